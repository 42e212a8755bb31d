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
        /// http_push
        #[arg(long, default_value = "http_push")]
        kind: String,
        /// Where the API finds the secret, e.g. env:REVLOOP_PUSH_SECRET_CRM.
        #[arg(long)]
        secret_ref: String,
    },
    List,
}

pub async fn run(
    mut client: ApiClient,
    cmd: &ConnectorsCommand,
    json: bool,
) -> anyhow::Result<i32> {
    let connectors = match cmd {
        ConnectorsCommand::Add {
            id,
            kind,
            secret_ref,
        } => {
            let request = pb::RegisterConnectorRequest {
                tenant_id: String::new(),
                connector_id: id.clone(),
                kind: kind.clone(),
                secret_ref: secret_ref.clone(),
                config_json: String::new(),
            };
            vec![
                client
                    .connectors
                    .register_connector(request)
                    .await
                    .map_err(ApiError::from)?
                    .into_inner(),
            ]
        }
        ConnectorsCommand::List => {
            client
                .connectors
                .list_connectors(pb::ListConnectorsRequest::default())
                .await
                .map_err(ApiError::from)?
                .into_inner()
                .connectors
        }
    };
    if json {
        print_json(&connectors)?;
    } else {
        for c in &connectors {
            println!(
                "{:<20} {:<10} secret {:<30} {}",
                c.connector_id, c.kind, c.secret_ref, c.push_path
            );
        }
    }
    Ok(0)
}
