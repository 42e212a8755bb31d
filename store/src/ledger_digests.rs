//! Signed ledger digests, write-once: a digest for a range end, once kept, can be neither
//! replaced nor removed (on AWS: an object under Object Lock in COMPLIANCE mode; on SQLite: a
//! table whose triggers refuse UPDATE and DELETE).

use async_trait::async_trait;
use revloop_domain::ledger::LedgerDigest;

use crate::StoreResult;

#[async_trait]
pub trait LedgerDigestStore {
    /// Keeps a digest. A second digest for the same tenant and `to_seq` is refused with a
    /// conflict, even an identical one: digests are never rewritten.
    async fn put_digest(&self, digest: &LedgerDigest) -> StoreResult<()>;
    /// The digest whose range ends at `to_seq`.
    async fn get_digest(&self, tenant_id: &str, to_seq: u64) -> StoreResult<Option<LedgerDigest>>;
    /// The tenant's digest with the highest `to_seq`.
    async fn latest_digest(&self, tenant_id: &str) -> StoreResult<Option<LedgerDigest>>;
}
