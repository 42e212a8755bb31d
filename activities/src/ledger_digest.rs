//! Making and proving ledger digests against the store, shared by the API (on request) and
//! anything that makes them on a schedule. The rules (Merkle tree, signature, proof check) are
//! in `revloop_domain::ledger`; this reads the entries and keeps the digests.

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use revloop_domain::ledger::{
    DigestError, InclusionProof, LedgerDigest, LedgerEntry, prove, verify_chain,
};
use revloop_store::{Store, StoreError, StoreErrorKind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::Deps;

const PAGE: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum LedgerDigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("tenant {0} has no ledger entries yet")]
    Empty(String),
    #[error(
        "the ledger is broken at entry {seq} ({reason}): no digest is signed over a broken chain"
    )]
    Broken { seq: u64, reason: String },
    #[error("tenant {tenant} has no ledger digest{}", match .to_seq { Some(s) => format!(" ending at entry {s}"), None => String::new() })]
    NoDigest { tenant: String, to_seq: Option<u64> },
    #[error("{0}")]
    Digest(#[from] DigestError),
}

/// Entries `from..=to` (or to the head), in order.
async fn entries(
    store: &dyn Store,
    tenant: &str,
    from: u64,
    to: Option<u64>,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let mut out: Vec<LedgerEntry> = Vec::new();
    let mut after = from.saturating_sub(1);
    loop {
        let page = store.list_entries(tenant, after, PAGE).await?;
        let done = page.len() < PAGE;
        for entry in page {
            if to.is_some_and(|to| entry.seq > to) {
                return Ok(out);
            }
            after = entry.seq;
            out.push(entry);
        }
        if done {
            return Ok(out);
        }
    }
}

/// Verifies the tenant's whole chain, then signs a digest over it unless the latest one already
/// ends at the head; returns the digest and whether it is new.
pub async fn create_digest(
    store: &dyn Store,
    key: &SigningKey,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<(LedgerDigest, bool), LedgerDigestError> {
    let all = entries(store, tenant, 1, None).await?;
    let head = all
        .last()
        .ok_or_else(|| LedgerDigestError::Empty(tenant.to_string()))?;
    // Checked every time, also when nothing is new: a periodic digest is a periodic audit.
    let report = verify_chain(&all);
    if let Some(broken) = report.first_break {
        return Err(LedgerDigestError::Broken {
            seq: broken.seq,
            reason: broken.reason,
        });
    }
    if let Some(latest) = store.latest_digest(tenant).await?
        && latest.to_seq == head.seq
    {
        return Ok((latest, false));
    }
    let digest = LedgerDigest::sign(&all, now, key)?;
    match store.put_digest(&digest).await {
        Ok(()) => Ok((digest, true)),
        // Another replica signed the same range first: its digest is the one kept.
        Err(e) if e.kind == StoreErrorKind::Conflict => {
            let kept = store
                .get_digest(tenant, digest.to_seq)
                .await?
                .ok_or_else(|| LedgerDigestError::NoDigest {
                    tenant: tenant.to_string(),
                    to_seq: Some(digest.to_seq),
                })?;
            Ok((kept, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// The proof of entry `seq` against the digest ending at `digest_to_seq` (the latest if
/// `None`), built from the stored entries.
pub async fn prove_entry(
    store: &dyn Store,
    tenant: &str,
    seq: u64,
    digest_to_seq: Option<u64>,
    with_payload: bool,
) -> Result<(InclusionProof, LedgerDigest), LedgerDigestError> {
    let digest = match digest_to_seq {
        Some(to) => store.get_digest(tenant, to).await?,
        None => store.latest_digest(tenant).await?,
    }
    .ok_or_else(|| LedgerDigestError::NoDigest {
        tenant: tenant.to_string(),
        to_seq: digest_to_seq,
    })?;
    let range = entries(store, tenant, digest.from_seq, Some(digest.to_seq)).await?;
    let proof = prove(&range, &digest, seq, with_payload)?;
    Ok((proof, digest))
}

/// What the scheduled digest asks for: one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerDigestInput {
    pub tenant_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerDigestOutput {
    /// The kept digest's last entry; 0 while the tenant has no entries.
    pub to_seq: u64,
    pub created: bool,
}

/// The digest step of `LedgerDigestWorkflow`, run on each tenant's schedule.
pub struct LedgerDigestActivities {
    deps: Deps,
}

impl LedgerDigestActivities {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}

#[activities]
impl LedgerDigestActivities {
    /// Signs a digest over the tenant's chain unless the latest already covers its head. A
    /// broken chain fails the run (non-retryable, visible in the Web UI) and signs nothing.
    #[activity]
    pub async fn digest_ledger(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: LedgerDigestInput,
    ) -> Result<LedgerDigestOutput, ActivityError> {
        let key = self.deps.approval_keys.ledger_signing_key();
        match create_digest(&*self.deps.store, &key, &input.tenant_id, Utc::now()).await {
            Ok((digest, created)) => {
                tracing::info!(from_seq = digest.from_seq, to_seq = digest.to_seq, created, root = %digest.root, "ledger digest");
                Ok(LedgerDigestOutput {
                    to_seq: digest.to_seq,
                    created,
                })
            }
            Err(LedgerDigestError::Empty(_)) => Ok(LedgerDigestOutput {
                to_seq: 0,
                created: false,
            }),
            Err(LedgerDigestError::Store(e)) => Err(crate::error::store(e)),
            Err(e @ LedgerDigestError::Broken { .. }) => {
                Err(crate::error::non_retryable("LedgerBroken", e.to_string()))
            }
            Err(e) => Err(crate::error::non_retryable("LedgerDigest", e.to_string())),
        }
    }
}
