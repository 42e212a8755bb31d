//! One ledger entry and how its hash is computed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hashing::{digest_of, sha256_hex};

/// The `prev_hash` of a tenant's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records (DESIGN §6.6). Stable ledger vocabulary: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerKind {
    Intent,
    Evidence,
    Signal,
    ToolCall,
    Validation,
    Budget,
    Decision,
    Approval,
    Action,
    Outcome,
    Artifact,
}

/// An entry as an activity submits it; the store assigns `seq` and `prev_hash` atomically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLedgerEntry {
    pub tenant_id: String,
    /// Makes the append happen once per completed activity, however often it is retried:
    /// `{workflow_id}/{run_id}/{activity_id}`.
    pub idempotency_key: String,
    pub at: DateTime<Utc>,
    pub trace_id: String,
    pub workflow_id: String,
    pub run_id: String,
    pub activity: String,
    pub kind: LedgerKind,
    pub snapshot_ref: Option<String>,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub tenant_id: String,
    pub seq: u64,
    pub prev_hash: String,
    pub hash: String,
    pub at: DateTime<Utc>,
    pub trace_id: String,
    pub workflow_id: String,
    pub run_id: String,
    pub activity: String,
    pub kind: LedgerKind,
    pub snapshot_ref: Option<String>,
    pub payload_digest: String,
    pub payload: serde_json::Value,
}

/// The fields the hash covers. The payload is covered through its digest, so a digest and a
/// proof can be shown without revealing the payload.
#[derive(Serialize)]
struct HashedFields<'a> {
    tenant_id: &'a str,
    seq: u64,
    prev_hash: &'a str,
    at: &'a DateTime<Utc>,
    trace_id: &'a str,
    workflow_id: &'a str,
    run_id: &'a str,
    activity: &'a str,
    kind: LedgerKind,
    snapshot_ref: &'a Option<String>,
    payload_digest: &'a str,
}

impl NewLedgerEntry {
    /// Seals the entry at a position in the chain.
    pub fn seal(self, seq: u64, prev_hash: &str) -> LedgerEntry {
        let mut entry = LedgerEntry {
            tenant_id: self.tenant_id,
            seq,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
            at: self.at,
            trace_id: self.trace_id,
            workflow_id: self.workflow_id,
            run_id: self.run_id,
            activity: self.activity,
            kind: self.kind,
            snapshot_ref: self.snapshot_ref,
            payload_digest: digest_of(&self.payload),
            payload: self.payload,
        };
        entry.hash = entry.compute_hash();
        entry
    }
}

impl LedgerEntry {
    pub fn compute_hash(&self) -> String {
        let fields = HashedFields {
            tenant_id: &self.tenant_id,
            seq: self.seq,
            prev_hash: &self.prev_hash,
            at: &self.at,
            trace_id: &self.trace_id,
            workflow_id: &self.workflow_id,
            run_id: &self.run_id,
            activity: &self.activity,
            kind: self.kind,
            snapshot_ref: &self.snapshot_ref,
            payload_digest: &self.payload_digest,
        };
        sha256_hex(&crate::hashing::canonical_json(&fields))
    }
}
