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
    Ok(())
}

pub async fn start_perception(
    state: &AppState,
    tenant: &str,
    trace_id: &str,
    source: SourceRef,
) -> Result<String, Status> {
    let workflow_id = format!("{tenant}/perception/{trace_id}");
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
    let parsed = parse_jsonl(&batch.jsonl);
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
    let trace_id = uuid::Uuid::new_v4().to_string();
    let workflow_id = if parsed.records.is_empty() {
        String::new()
    } else {
        start_perception(
            state,
            &batch.tenant_id,
            &trace_id,
            SourceRef::PushedBatch {
                evidence_id: evidence.evidence_id.clone(),
            },
        )
        .await?
    };
    Ok(Accepted {
        trace_id,
        workflow_id,
        evidence_id: evidence.evidence_id,
        accepted: parsed.records.len(),
        rejected: parsed.rejected,
    })
}
