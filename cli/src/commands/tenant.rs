use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Print the tenant's configuration.
    Config,
    /// Replace the tenant's configuration with a TOML file (`[signals]`, `[governance]`).
    SetConfig { file: PathBuf },
}

pub async fn run(mut client: ApiClient, cmd: &TenantCommand, json: bool) -> anyhow::Result<i32> {
    let response = match cmd {
        TenantCommand::Config => {
            client
                .tenants
                .get_tenant_config(pb::GetTenantConfigRequest::default())
                .await
        }
        TenantCommand::SetConfig { file } => {
            let config_toml = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            client
                .tenants
                .set_tenant_config(pb::SetTenantConfigRequest {
                    tenant_id: String::new(),
                    config_toml,
                })
                .await
        }
    }
    .map_err(ApiError::from)?
    .into_inner();
    if json {
        print_json(&response)?;
    } else {
        print!("{}", response.config_toml);
    }
    Ok(0)
}
