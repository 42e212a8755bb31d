use std::path::Path;

use anyhow::Context;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

pub async fn run(
    mut client: ApiClient,
    file: &Path,
    tenant: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let jsonl =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let request = pb::IngestRecordsRequest {
        tenant_id: tenant.to_string(),
        jsonl,
        source: file.display().to_string(),
    };
    let response = client
        .ingest
        .ingest_records(request)
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&response)?;
    } else {
        println!(
            "accepted {} record(s); perception {} (trace {})",
            response.accepted, response.workflow_id, response.trace_id
        );
    }
    Ok(0)
}
