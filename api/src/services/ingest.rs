//! IngestService: push a JSONL batch, or start perception of a file drop.

use std::collections::HashMap;

use chrono::Utc;
use revloop_activities::contracts::{PerceptionInput, SourceRef};
use revloop_activities::search_attributes;
use revloop_domain::auth::Role;
use revloop_domain::records::parse_jsonl;
use revloop_proto::v1 as pb;
use revloop_proto::v1::ingest_service_server::IngestService;
use revloop_store::{Evidence, Provenance, QuarantinedLine, Tenant, TenantConfig};
use revloop_workflows::PerceptionWorkflow;
use temporalio_client::WorkflowStartOptions;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::auth::require;
use crate::error;
use crate::server::AppState;

pub struct IngestApi {
    state: AppState,
}

impl IngestApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn start_perception(
        &self,
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
        let options = WorkflowStartOptions::new(self.state.task_queue.clone(), workflow_id.clone())
            .search_attributes(search_attributes::for_workflow(
                tenant,
                None,
                Some(trace_id),
                "perception",
            ))
            .static_summary(format!("perception for {tenant}"))
            .build();
        self.state
            .temporal
            .start_workflow(PerceptionWorkflow::run, input, options)
            .await
            .map_err(|e| error::temporal("starting perception", e))?;
        Ok(workflow_id)
    }

    async fn ensure_tenant(&self, tenant: &str) -> Result<(), Status> {
        let t = Tenant {
            tenant_id: tenant.to_string(),
            name: tenant.to_string(),
            config: TenantConfig::default(),
        };
        self.state
            .store
            .ensure_tenant(&t)
            .await
            .map_err(error::store)?;
        Ok(())
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
        let parsed = parse_jsonl(&req.jsonl);
        if parsed.records.is_empty() && parsed.rejected.is_empty() {
            return Err(Status::invalid_argument(
                "jsonl: the batch holds no records",
            ));
        }
        self.ensure_tenant(&tenant).await?;
        let now = Utc::now();
        let provenance = Provenance {
            source: if req.source.is_empty() {
                "grpc".into()
            } else {
                req.source.clone()
            },
            connector: "pushed_batch".into(),
            fetched_at: now,
            cursor: None,
            trust_class: "crm".into(),
        };
        // The batch is kept exactly as delivered; bad lines are also quarantined with their error.
        let evidence = Evidence::new(&tenant, req.jsonl.into_bytes(), provenance);
        self.state
            .store
            .put_evidence(&evidence)
            .await
            .map_err(error::store)?;
        for rejected in &parsed.rejected {
            let line = QuarantinedLine {
                tenant_id: tenant.clone(),
                batch_id: evidence.evidence_id.clone(),
                line: rejected.line,
                field: rejected.field.clone(),
                message: rejected.message.clone(),
                raw: rejected.raw.clone(),
                at: now,
            };
            self.state
                .store
                .quarantine(&line)
                .await
                .map_err(error::store)?;
        }
        let trace_id = uuid::Uuid::new_v4().to_string();
        let workflow_id = if parsed.records.is_empty() {
            String::new()
        } else {
            self.start_perception(
                &tenant,
                &trace_id,
                SourceRef::PushedBatch {
                    evidence_id: evidence.evidence_id.clone(),
                },
            )
            .await?
        };
        if !parsed.rejected.is_empty() {
            let mut details = ErrorDetails::new();
            for r in &parsed.rejected {
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
                    ("accepted".to_string(), parsed.records.len().to_string()),
                    ("rejected".to_string(), parsed.rejected.len().to_string()),
                    ("trace_id".to_string(), trace_id.clone()),
                    ("workflow_id".to_string(), workflow_id.clone()),
                    ("evidence_id".to_string(), evidence.evidence_id.clone()),
                ]),
            );
            let lines: Vec<String> = parsed.rejected.iter().map(|r| r.to_string()).collect();
            let message = format!(
                "{} line(s) rejected, {} accepted and processed: {}",
                parsed.rejected.len(),
                parsed.records.len(),
                lines.join("; ")
            );
            return Err(Status::with_error_details(
                Code::InvalidArgument,
                message,
                details,
            ));
        }
        Ok(Response::new(pb::IngestRecordsResponse {
            trace_id,
            workflow_id,
            evidence_id: evidence.evidence_id,
            accepted: parsed.records.len() as u32,
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
        if req.path.is_empty() {
            return Err(Status::invalid_argument("path: required"));
        }
        self.ensure_tenant(&tenant).await?;
        let trace_id = uuid::Uuid::new_v4().to_string();
        let workflow_id = IngestApi::start_perception(
            self,
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
