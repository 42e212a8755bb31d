//! Accepting a batch of records, shared by every way data arrives (gRPC ingest, HTTP push): the
//! batch is kept as evidence exactly as delivered, bad lines are quarantined with their error,
//! and perception starts on it.

use chrono::Utc;
use revloop_activities::contracts::{PerceptionInput, SourceRef};
use revloop_activities::search_attributes;
use revloop_domain::records::{RejectedLine, parse_jsonl};
use revloop_store::{Evidence, Provenance, QuarantinedLine, Tenant, TenantConfig};
use revloop_workflows::PerceptionWorkflow;
use temporalio_client::WorkflowStartOptions;
use tonic::Status;

use crate::error;
use crate::server::AppState;

pub struct Batch {
    pub tenant_id: String,
    pub jsonl: String,
    /// Where it came from, for provenance (a file name, `http_push:crm-webhook`).
    pub source: String,
    pub connector: String,
    /// Part of a file sent in chunks: the trace its first chunk started, and where in the file
    /// this chunk begins.
    pub part_of: Option<Chunk>,
}

/// One chunk of a file sent in parts under one trace.
pub struct Chunk {
    pub trace_id: String,
    /// The file's line number of the chunk's first line (from 1).
    pub first_line: usize,
}

/// Checks a trace id a client sends back: what `uuid` mints, or anything as plain.
pub fn check_trace_id(trace_id: &str) -> Result<(), Status> {
    let plain = !trace_id.is_empty()
        && trace_id.len() <= 64
        && trace_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if plain {
        Ok(())
    } else {
        Err(Status::invalid_argument(
            "trace_id: 1 to 64 letters, digits or '-' (send back the one the first chunk's answer named)",
        ))
    }
}

pub struct Accepted {
    pub trace_id: String,
    /// Empty when no line was accepted (nothing to perceive).
    pub workflow_id: String,
    pub evidence_id: String,
    pub accepted: usize,
    pub rejected: Vec<RejectedLine>,
}

/// Creates the tenant with the default config if it does not exist yet.
pub async fn ensure_tenant(state: &AppState, tenant: &str) -> Result<(), Status> {
    let t = Tenant {
        tenant_id: tenant.to_string(),
        name: tenant.to_string(),
        config: TenantConfig::default(),
    };
    state.store.ensure_tenant(&t).await.map_err(error::store)?;
    crate::digest_schedule::ensure(state, tenant).await;
    Ok(())
}

pub async fn start_perception(
    state: &AppState,
    tenant: &str,
    trace_id: &str,
    source: SourceRef,
) -> Result<String, Status> {
    start_perception_part(state, tenant, trace_id, None, source).await
}

/// Starts perception of one batch; the chunks of a file after its first each get their own
/// workflow under the file's trace, `{tenant}/perception/{trace}@{first line}`.
pub async fn start_perception_part(
    state: &AppState,
    tenant: &str,
    trace_id: &str,
    first_line: Option<usize>,
    source: SourceRef,
) -> Result<String, Status> {
    let workflow_id = revloop_activities::workflow_ids::perception(tenant, trace_id, first_line);
    let input = PerceptionInput {
        tenant_id: tenant.to_string(),
        trace_id: trace_id.to_string(),
        source,
    };
    let options = WorkflowStartOptions::new(state.task_queue.clone(), workflow_id.clone())
        .search_attributes(search_attributes::for_workflow(
            tenant,
            None,
            Some(trace_id),
            "perception",
        ))
        .static_summary(format!("perception for {tenant}"))
        .build();
    state
        .temporal
        .start_workflow(PerceptionWorkflow::run, input, options)
        .await
        .map_err(|e| error::temporal("starting perception", e))?;
    Ok(workflow_id)
}

pub async fn accept_batch(state: &AppState, batch: Batch) -> Result<Accepted, Status> {
    let (trace_id, first_line) = match &batch.part_of {
        Some(chunk) => (chunk.trace_id.clone(), Some(chunk.first_line)),
        None => (uuid::Uuid::new_v4().to_string(), None),
    };
    // The ingest's span roots its trace: the perception workflows' activity spans, in the
    // worker, join the same trace id (revloop_runtime::telemetry::enter_trace).
    let span = tracing::info_span!(
        "ingest",
        tenant_id = %batch.tenant_id,
        trace_id = %trace_id,
        source = %batch.source,
        first_line = first_line.unwrap_or(1),
    );
    revloop_runtime::telemetry::enter_trace(&span, &trace_id);
    tracing::Instrument::instrument(
        accept_batch_traced(state, batch, trace_id, first_line),
        span,
    )
    .await
}

async fn accept_batch_traced(
    state: &AppState,
    batch: Batch,
    trace_id: String,
    first_line: Option<usize>,
) -> Result<Accepted, Status> {
    let mut parsed = parse_jsonl(&batch.jsonl);
    // Lines are numbered as in the whole file.
    let offset = batch
        .part_of
        .as_ref()
        .map_or(0, |c| c.first_line.saturating_sub(1));
    for rejected in &mut parsed.rejected {
        rejected.line += offset;
    }
    if parsed.records.is_empty() && parsed.rejected.is_empty() {
        return Err(Status::invalid_argument("the batch holds no records"));
    }
    let now = Utc::now();
    let provenance = Provenance {
        source: batch.source,
        connector: batch.connector,
        fetched_at: now,
        cursor: None,
        trust_class: "crm".into(),
    };
    let evidence = Evidence::new(&batch.tenant_id, batch.jsonl.into_bytes(), provenance);
    state
        .store
        .put_evidence(&evidence)
        .await
        .map_err(error::store)?;
    let quarantined: Vec<QuarantinedLine> = parsed
        .rejected
        .iter()
        .map(|rejected| QuarantinedLine {
            tenant_id: batch.tenant_id.clone(),
            batch_id: evidence.evidence_id.clone(),
            line: rejected.line,
            field: rejected.field.clone(),
            message: rejected.message.clone(),
            raw: rejected.raw.clone(),
            at: now,
        })
        .collect();
    state
        .store
        .quarantine_all(&quarantined)
        .await
        .map_err(error::store)?;
    let workflow_id = if parsed.records.is_empty() {
        String::new()
    } else {
        start_perception_part(
            state,
            &batch.tenant_id,
            &trace_id,
            first_line,
            SourceRef::PushedBatch {
                evidence_id: evidence.evidence_id.clone(),
            },
        )
        .await?
    };
    tracing::info!(
        evidence_id = %evidence.evidence_id,
        accepted = parsed.records.len(),
        rejected = parsed.rejected.len(),
        workflow_id = %workflow_id,
        "batch accepted"
    );
    Ok(Accepted {
        trace_id,
        workflow_id,
        evidence_id: evidence.evidence_id,
        accepted: parsed.records.len(),
        rejected: parsed.rejected,
    })
}
