//! The append-only ledger. No method deletes or rewrites an entry.

use async_trait::async_trait;
use revloop_domain::ledger::{LedgerEntry, NewLedgerEntry};

use crate::StoreResult;

#[async_trait]
pub trait LedgerStore {
    /// Appends at the tenant's next sequence number, atomically with the chain head. An entry
    /// whose idempotency key is already in the chain is not appended again: the stored one is
    /// returned.
    async fn append(&self, entry: NewLedgerEntry) -> StoreResult<LedgerEntry>;
    /// Entries with `seq > after_seq`, in order, at most `limit`.
    async fn list_entries(
        &self,
        tenant_id: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<LedgerEntry>>;
}
