//! LedgerService: read the chain, verify it end to end, sign digests and prove entries.

use revloop_domain::auth::Role;
use revloop_domain::ledger::{LedgerEntry, verify_chain};
use revloop_proto::v1 as pb;
use revloop_proto::v1::ledger_service_server::LedgerService;
use revloop_store::StoreErrorKind;
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::server::AppState;
use crate::{convert, error, paging};
use revloop_activities::ledger_digest::{self, LedgerDigestError};
use revloop_domain::ledger::DigestError;

const PAGE: usize = 1_000;

pub struct LedgerApi {
    state: AppState,
}

impl LedgerApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl LedgerService for LedgerApi {
    async fn list_ledger_entries(
        &self,
        request: Request<pb::ListLedgerEntriesRequest>,
    ) -> Result<Response<pb::ListLedgerEntriesResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        let limit = if req.limit == 0 {
            PAGE
        } else {
            (req.limit as usize).min(10 * PAGE)
        };
        // The token is the last sequence number the previous page held.
        let from = paging::page_request(0, &req.page_token, PAGE, PAGE)?.after;
        let mut after = from.max(req.after_seq);
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        let mut more = false;
        // Filtering by trace may skip many entries: page until the limit is filled.
        'pages: loop {
            let page = self
                .state
                .store
                .list_entries(&tenant, after, PAGE)
                .await
                .map_err(error::store)?;
            let done = page.len() < PAGE;
            for entry in page {
                if !(req.trace_id.is_empty() || entry.trace_id == req.trace_id) {
                    after = entry.seq;
                    continue;
                }
                let converted = convert::ledger_entry(&entry);
                let len = prost::Message::encoded_len(&converted);
                if entries.len() >= limit
                    || (!entries.is_empty() && bytes + len > paging::MAX_PAGE_BYTES)
                {
                    more = true;
                    break 'pages;
                }
                bytes += len;
                after = entry.seq;
                entries.push(converted);
            }
            if done {
                break;
            }
        }
        Ok(Response::new(pb::ListLedgerEntriesResponse {
            entries,
            next_page_token: if more {
                after.to_string()
            } else {
                String::new()
            },
        }))
    }

    async fn verify_ledger(
        &self,
        request: Request<pb::VerifyLedgerRequest>,
    ) -> Result<Response<pb::VerifyLedgerResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let mut all: Vec<LedgerEntry> = Vec::new();
        loop {
            let after = all.last().map(|e| e.seq).unwrap_or(0);
            match self.state.store.list_entries(&tenant, after, PAGE).await {
                Ok(page) => {
                    let done = page.len() < PAGE;
                    all.extend(page);
                    if done {
                        break;
                    }
                }
                // A row whose stored text no longer even decodes was altered: that is a break.
                Err(e) if e.kind == StoreErrorKind::Corrupt => {
                    return Ok(Response::new(pb::VerifyLedgerResponse {
                        intact: false,
                        entries_checked: all.len() as u64,
                        first_broken_seq: all.last().map(|e| e.seq + 1).unwrap_or(1),
                        reason: e.message,
                    }));
                }
                Err(e) => return Err(error::store(e)),
            }
        }
        let report = verify_chain(&all);
        let (first_broken_seq, reason) = report
            .first_break
            .map(|b| (b.seq, b.reason))
            .unwrap_or((0, String::new()));
        Ok(Response::new(pb::VerifyLedgerResponse {
            intact: first_broken_seq == 0,
            entries_checked: report.entries_checked,
            first_broken_seq,
            reason,
        }))
    }

    async fn create_ledger_digest(
        &self,
        request: Request<pb::CreateLedgerDigestRequest>,
    ) -> Result<Response<pb::LedgerDigestResponse>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let key = self.state.approval_keys.ledger_signing_key();
        let (digest, created) =
            ledger_digest::create_digest(&*self.state.store, &key, &tenant, chrono::Utc::now())
                .await
                .map_err(digest_status)?;
        tracing::info!(tenant_id = %tenant, from_seq = digest.from_seq, to_seq = digest.to_seq, created, "ledger digest");
        Ok(Response::new(pb::LedgerDigestResponse {
            digest_json: to_json(&digest)?,
            from_seq: digest.from_seq,
            to_seq: digest.to_seq,
            root: digest.root.clone(),
            public_key: digest.public_key.clone(),
            created,
        }))
    }

    async fn prove_ledger_entry(
        &self,
        request: Request<pb::ProveLedgerEntryRequest>,
    ) -> Result<Response<pb::ProveLedgerEntryResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        if req.seq == 0 {
            return Err(Status::invalid_argument("seq: ledger entries start at 1"));
        }
        let (proof, digest) = ledger_digest::prove_entry(
            &*self.state.store,
            &tenant,
            req.seq,
            (req.digest_to_seq > 0).then_some(req.digest_to_seq),
            req.with_payload,
        )
        .await
        .map_err(digest_status)?;
        Ok(Response::new(pb::ProveLedgerEntryResponse {
            proof_json: to_json(&proof)?,
            digest_json: to_json(&digest)?,
        }))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Status> {
    serde_json::to_string_pretty(value).map_err(|e| Status::internal(format!("encoding: {e}")))
}

/// Digest failures as gRPC statuses, classified once here.
fn digest_status(err: LedgerDigestError) -> Status {
    match err {
        LedgerDigestError::Store(e) => error::store(e),
        LedgerDigestError::Empty(_) | LedgerDigestError::Broken { .. } => {
            Status::failed_precondition(err.to_string())
        }
        LedgerDigestError::NoDigest { .. } => {
            Status::not_found(format!("{err}: make one with `revloop ledger digest`"))
        }
        LedgerDigestError::Digest(DigestError::OutOfRange { .. }) => {
            Status::out_of_range(err.to_string())
        }
        LedgerDigestError::Digest(DigestError::Mismatch(_) | DigestError::EntryChanged { .. }) => {
            Status::data_loss(format!(
                "{err}: the ledger was changed after the digest was signed"
            ))
        }
        LedgerDigestError::Digest(e) => Status::internal(e.to_string()),
    }
}
