use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

#[derive(Debug, Subcommand)]
pub enum ConnectorsCommand {
    /// Register (or replace) a connector.
    Add {
        #[arg(long)]
        id: String,
        /// http_push or http_pull
        #[arg(long, default_value = "http_push")]
        kind: String,
        /// Where the API or worker finds the secret, e.g. env:REVLOOP_PUSH_SECRET_CRM.
        #[arg(long, default_value = "")]
        secret_ref: String,
        /// Kind-specific settings (JSON file), e.g. an http_pull's url and field mapping.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    List,
    /// Pull a connector every N seconds on a Temporal Schedule (runs never overlap).
    Schedule {
        id: String,
        #[arg(long)]
        every: u64,
    },
    Pause {
        id: String,
    },
    Resume {
        id: String,
    },
    Unschedule {
        id: String,
    },
    Schedules,
}

pub async fn run(
    mut client: ApiClient,
    cmd: &ConnectorsCommand,
    json: bool,
) -> anyhow::Result<i32> {
    let c = &mut client.connectors;
    let schedule = |s: &pb::ConnectorSchedule| {
        format!(
            "{:<20} {:<30} paused {:<5} runs {}",
            s.connector_id, s.schedule_id, s.paused, s.recent_runs
        )
    };
    let (value, text) = match cmd {
        ConnectorsCommand::Add {
            id,
            kind,
            secret_ref,
            config,
        } => {
            let config_json = match config {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => String::new(),
            };
            let request = pb::RegisterConnectorRequest {
                tenant_id: String::new(),
                connector_id: id.clone(),
                kind: kind.clone(),
                secret_ref: secret_ref.clone(),
                config_json,
            };
            let r = c
                .register_connector(request)
                .await
                .map_err(ApiError::from)?
                .into_inner();
            let text = format!(
                "{:<20} {:<10} secret {:<30} {}",
                r.connector_id, r.kind, r.secret_ref, r.push_path
            );
            (serde_json::to_value(&r)?, text)
        }
        ConnectorsCommand::List => {
            let list = c
                .list_connectors(pb::ListConnectorsRequest::default())
                .await
                .map_err(ApiError::from)?
                .into_inner()
                .connectors;
            let text = list
                .iter()
                .map(|r| {
                    format!(
                        "{:<20} {:<10} secret {:<30} {}",
                        r.connector_id, r.kind, r.secret_ref, r.push_path
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            (serde_json::to_value(&list)?, text)
        }
        ConnectorsCommand::Schedule { id, every } => {
            let request = pb::ScheduleConnectorRequest {
                tenant_id: String::new(),
                connector_id: id.clone(),
                every_secs: *every,
            };
            let s = c
                .schedule_connector(request)
                .await
                .map_err(ApiError::from)?
                .into_inner();
            (serde_json::to_value(&s)?, schedule(&s))
        }
        ConnectorsCommand::Pause { id } | ConnectorsCommand::Resume { id } => {
            let paused = matches!(cmd, ConnectorsCommand::Pause { .. });
            let request = pb::SetSchedulePausedRequest {
                tenant_id: String::new(),
                connector_id: id.clone(),
                paused,
            };
            let s = c
                .set_schedule_paused(request)
                .await
                .map_err(ApiError::from)?
                .into_inner();
            (serde_json::to_value(&s)?, schedule(&s))
        }
        ConnectorsCommand::Unschedule { id } => {
            let request = pb::DeleteScheduleRequest {
                tenant_id: String::new(),
                connector_id: id.clone(),
            };
            let r = c
                .delete_schedule(request)
                .await
                .map_err(ApiError::from)?
                .into_inner();
            (
                serde_json::to_value(&r)?,
                format!("deleted {}", r.schedule_id),
            )
        }
        ConnectorsCommand::Schedules => {
            let list = c
                .list_schedules(pb::ListSchedulesRequest::default())
                .await
                .map_err(ApiError::from)?
                .into_inner()
                .schedules;
            let text = list.iter().map(schedule).collect::<Vec<_>>().join("\n");
            (serde_json::to_value(&list)?, text)
        }
    };
    if json {
        print_json(&value)?;
    } else if !text.is_empty() {
        println!("{text}");
    }
    Ok(0)
}
