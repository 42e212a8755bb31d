//! IngestService: push a JSONL batch, or start perception of a file drop.

use std::collections::HashMap;

use revloop_activities::contracts::SourceRef;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_proto::v1::ingest_service_server::IngestService;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::auth::require;
use crate::intake::{self, Accepted, Batch};
use crate::server::AppState;

pub struct IngestApi {
    state: AppState,
}

impl IngestApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl IngestService for IngestApi {
    async fn ingest_records(
        &self,
        request: Request<pb::IngestRecordsRequest>,
    ) -> Result<Response<pb::IngestRecordsResponse>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        intake::ensure_tenant(&self.state, &tenant).await?;
        let source = if req.source.is_empty() {
            "grpc".to_string()
        } else {
            req.source
        };
        let batch = Batch {
            tenant_id: tenant,
            jsonl: req.jsonl,
            source,
            connector: "pushed_batch".into(),
        };
        let accepted = intake::accept_batch(&self.state, batch).await?;
        if !accepted.rejected.is_empty() {
            return Err(rejected_status(&accepted));
        }
        Ok(Response::new(pb::IngestRecordsResponse {
            trace_id: accepted.trace_id,
            workflow_id: accepted.workflow_id,
            evidence_id: accepted.evidence_id,
            accepted: accepted.accepted as u32,
            rejected: 0,
            rejected_lines: Vec::new(),
        }))
    }

    async fn start_perception(
        &self,
        request: Request<pb::StartPerceptionRequest>,
    ) -> Result<Response<pb::StartPerceptionResponse>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        revloop_activities::connectors::inbox::check_relative(&req.path).map_err(|e| {
            Status::invalid_argument(format!(
                "path: {e} (paths are relative to the tenant's inbox folder)"
            ))
        })?;
        intake::ensure_tenant(&self.state, &tenant).await?;
        let trace_id = uuid::Uuid::new_v4().to_string();
        let workflow_id = intake::start_perception(
            &self.state,
            &tenant,
            &trace_id,
            SourceRef::JsonlFile { path: req.path },
        )
        .await?;
        Ok(Response::new(pb::StartPerceptionResponse {
            trace_id,
            workflow_id,
        }))
    }
}

/// INVALID_ARGUMENT with a BadRequest violation per rejected line (field `line N: <field>`) and
/// an ErrorInfo saying what was accepted: the good lines were processed all the same.
fn rejected_status(accepted: &Accepted) -> Status {
    let mut details = ErrorDetails::new();
    for r in &accepted.rejected {
        let field = match &r.field {
            Some(f) => format!("line {}: {f}", r.line),
            None => format!("line {}", r.line),
        };
        details.add_bad_request_violation(field, r.message.clone());
    }
    details.set_error_info(
        "RECORDS_REJECTED",
        "revloop",
        HashMap::from([
            ("accepted".to_string(), accepted.accepted.to_string()),
            ("rejected".to_string(), accepted.rejected.len().to_string()),
            ("trace_id".to_string(), accepted.trace_id.clone()),
            ("workflow_id".to_string(), accepted.workflow_id.clone()),
            ("evidence_id".to_string(), accepted.evidence_id.clone()),
        ]),
    );
    let lines: Vec<String> = accepted.rejected.iter().map(|r| r.to_string()).collect();
    let message = format!(
        "{} line(s) rejected, {} accepted and processed: {}",
        accepted.rejected.len(),
        accepted.accepted,
        lines.join("; ")
    );
    Status::with_error_details(Code::InvalidArgument, message, details)
}
