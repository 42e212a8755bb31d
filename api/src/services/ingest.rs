//! IngestService: push a JSONL batch, or start perception of a file drop.

use revloop_activities::contracts::SourceRef;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_proto::v1::ingest_service_server::IngestService;
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::intake::{self, Batch, Chunk};
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
        let part_of = if req.trace_id.is_empty() {
            (req.first_line > 1).then(|| Chunk {
                trace_id: uuid::Uuid::new_v4().to_string(),
                first_line: req.first_line as usize,
            })
        } else {
            intake::check_trace_id(&req.trace_id)?;
            Some(Chunk {
                trace_id: req.trace_id,
                first_line: req.first_line.max(1) as usize,
            })
        };
        let batch = Batch {
            tenant_id: tenant,
            jsonl: req.jsonl,
            source,
            connector: "pushed_batch".into(),
            part_of,
        };
        let accepted = intake::accept_batch(&self.state, batch).await?;
        // The report travels in the body: status trailers have a size limit that a few dozen
        // bad lines pass. The first lines are shown; the rest are listed from quarantine.
        let rejected_lines = accepted
            .rejected
            .iter()
            .take(REPORTED_LINES)
            .map(|r| pb::RejectedLine {
                line: r.line as u32,
                field: r.field.clone().unwrap_or_default(),
                message: r.message.clone(),
            })
            .collect();
        Ok(Response::new(pb::IngestRecordsResponse {
            trace_id: accepted.trace_id,
            workflow_id: accepted.workflow_id,
            evidence_id: accepted.evidence_id,
            accepted: accepted.accepted as u32,
            rejected: accepted.rejected.len() as u32,
            rejected_lines,
        }))
    }

    async fn list_quarantined(
        &self,
        request: Request<pb::ListQuarantinedRequest>,
    ) -> Result<Response<pb::ListQuarantinedResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        if req.evidence_id.is_empty() {
            return Err(Status::invalid_argument("evidence_id: required"));
        }
        let (size, after) = page_bounds(req.page_size, &req.page_token)?;
        let (mut lines, total) = self
            .state
            .store
            .quarantined_page(&tenant, &req.evidence_id, after, size + 1)
            .await
            .map_err(crate::error::store)?;
        let next_page_token = match lines.len() > size {
            true => {
                lines.truncate(size);
                lines.last().map(|l| l.line.to_string()).unwrap_or_default()
            }
            false => String::new(),
        };
        Ok(Response::new(pb::ListQuarantinedResponse {
            lines: lines
                .into_iter()
                .map(|l| pb::RejectedLine {
                    line: l.line as u32,
                    field: l.field.unwrap_or_default(),
                    message: l.message,
                })
                .collect(),
            next_page_token,
            total: total as u32,
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

/// Rejected lines an ingest answer lists; the others are in quarantine.
pub const REPORTED_LINES: usize = 100;
const MAX_PAGE: usize = 1000;

/// The page size asked for, within bounds, and the line the token names.
fn page_bounds(page_size: u32, page_token: &str) -> Result<(usize, usize), Status> {
    let after = match page_token {
        "" => 0,
        t => t.parse().map_err(|_| {
            Status::invalid_argument(format!("page_token: {t:?} is not a token this API gave"))
        })?,
    };
    let size = match page_size as usize {
        0 => REPORTED_LINES,
        n => n.min(MAX_PAGE),
    };
    Ok((size, after))
}
