//! Canonical record versions: the latest one per record (for diffs) and every past one (so
//! evidence refs stay resolvable and detectors can see what changed).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::records::{Record, RecordKey};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordVersion {
    pub tenant_id: String,
    pub key: RecordKey,
    pub account_id: String,
    pub content_hash: String,
    /// `rec:{type}:{id}@{hash16}`, what signals and proposals cite.
    pub evidence_ref: String,
    pub record: Record,
    /// The raw batch this version was read from, and the line in it.
    pub evidence_id: String,
    pub line: usize,
    /// The version this one replaced, so a retried diff can still say what changed.
    pub previous_ref: Option<String>,
    pub trust_class: String,
    pub observed_at: DateTime<Utc>,
    /// The system the batch came from (its provenance `source`), so two systems that both
    /// know a fact count as two claims. Empty for versions stored before it was kept.
    #[serde(default)]
    pub source: String,
}

/// A record as one of its versions holds it, with that version's evidence ref, so whoever
/// cites it need not hash it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitedRecord {
    pub record: Record,
    pub evidence_ref: String,
}

/// The most versions one `put_versions` call writes on a store that says no fewer: what one
/// DynamoDB TransactWriteItems allows (100 items), so both backends keep one design.
pub const MAX_VERSION_WRITES: usize = 100;

/// One conditional write of a diff batch: the new version, and the content hash the key's
/// latest version must still have (`None`: the key must be absent).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionWrite {
    pub version: RecordVersion,
    pub expected_hash: Option<String>,
}

#[async_trait]
pub trait RecordStore {
    async fn latest_version(
        &self,
        tenant_id: &str,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordVersion>>;
    /// Makes `version` the latest, only if the latest still has `expected_hash` (`None`: absent).
    /// A lost race is a `Conflict`. Writing the version that already is the latest is a no-op.
    async fn put_version(
        &self,
        version: &RecordVersion,
        expected_hash: Option<&str>,
    ) -> StoreResult<()> {
        self.put_versions(&[VersionWrite {
            version: version.clone(),
            expected_hash: expected_hash.map(str::to_string),
        }])
        .await
    }
    /// The latest version of each key, in the keys' order (`None` where absent): one read for
    /// a whole diff batch (DynamoDB: BatchGetItem).
    async fn latest_versions(
        &self,
        tenant_id: &str,
        keys: &[RecordKey],
    ) -> StoreResult<Vec<Option<RecordVersion>>>;
    /// The most versions one [`RecordStore::put_versions`] call may write.
    fn max_version_writes(&self) -> usize {
        MAX_VERSION_WRITES
    }

    /// `put_version` for up to [`RecordStore::max_version_writes`] versions at once, all or none: if any
    /// key's latest no longer has its expected hash, nothing is written and the answer is a
    /// `Conflict` naming it (DynamoDB: one TransactWriteItems of conditional puts).
    async fn put_versions(&self, writes: &[VersionWrite]) -> StoreResult<()>;
    /// The latest record of each key of the account with its evidence ref, ordered by key:
    /// what detection reads, without the rest of the version bookkeeping.
    async fn account_cited_records(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<CitedRecord>>;
    /// [`RecordStore::account_cited_records`] without the refs: what decisions read.
    async fn account_records(&self, tenant_id: &str, account_id: &str) -> StoreResult<Vec<Record>> {
        let cited = self.account_cited_records(tenant_id, account_id).await?;
        Ok(cited.into_iter().map(|c| c.record).collect())
    }
    /// A past or present version by its evidence ref.
    async fn version_by_ref(
        &self,
        tenant_id: &str,
        evidence_ref: &str,
    ) -> StoreResult<Option<RecordVersion>>;
    /// Every version, past and present, of every record of the account, in the order they
    /// were stored: what the world state is computed from.
    async fn account_versions(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<RecordVersion>>;
    /// The versions with these evidence refs, in one read; refs not stored are left out.
    async fn versions_by_refs(
        &self,
        tenant_id: &str,
        evidence_refs: &[String],
    ) -> StoreResult<Vec<RecordVersion>>;

    /// For each account (with a stamp `after`, an
    /// [`AccountRevision::versions`](crate::AccountRevision) read earlier), the records of its
    /// versions stored since, in the order stored, and the stamp they bring the account to:
    /// what turns a process's copy of accounts' records into the current ones without reading
    /// them all again, in one call. `None` when the backend's stamps cannot say what came
    /// after one (the caller then reads everything).
    async fn records_after_many(
        &self,
        _tenant_id: &str,
        _after: &[(String, i64)],
    ) -> StoreResult<Option<Vec<(Vec<CitedRecord>, i64)>>> {
        Ok(None)
    }
}
