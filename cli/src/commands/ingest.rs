use std::path::Path;

use anyhow::Context;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, EXIT_INVALID, print_json};

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
        report(&response);
    }
    Ok(if response.rejected > 0 {
        EXIT_INVALID
    } else {
        0
    })
}

/// What was accepted, then every reported bad line with its line number and field, and how to
/// list the ones the answer left out.
fn report(response: &pb::IngestRecordsResponse) {
    println!(
        "accepted {} record(s); perception {} (trace {})",
        response.accepted, response.workflow_id, response.trace_id
    );
    if response.rejected == 0 {
        return;
    }
    eprintln!(
        "{} line(s) rejected, {} accepted and processed; the rejected lines are kept in quarantine:",
        response.rejected, response.accepted
    );
    for line in &response.rejected_lines {
        match line.field.as_str() {
            "" => eprintln!("  line {}: {}", line.line, line.message),
            field => eprintln!("  line {}: {field}: {}", line.line, line.message),
        }
    }
    let more = response.rejected as usize - response.rejected_lines.len();
    if more > 0 {
        eprintln!(
            "  … and {more} more: revloop quarantine {}",
            response.evidence_id
        );
    }
}

/// Every quarantined line of one batch, a page at a time.
pub async fn quarantine(
    mut client: ApiClient,
    evidence_id: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let mut token = String::new();
    loop {
        let page = client
            .ingest
            .list_quarantined(pb::ListQuarantinedRequest {
                tenant_id: String::new(),
                evidence_id: evidence_id.to_string(),
                page_size: 1000,
                page_token: token.clone(),
            })
            .await
            .map_err(ApiError::from)?
            .into_inner();
        for line in &page.lines {
            if json {
                println!("{}", serde_json::to_string(line)?);
            } else if line.field.is_empty() {
                println!("line {}: {}", line.line, line.message);
            } else {
                println!("line {}: {}: {}", line.line, line.field, line.message);
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(0);
        }
        token = page.next_page_token;
    }
}
