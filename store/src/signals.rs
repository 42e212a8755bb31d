//! Detected signals, stored once per signal id.

use async_trait::async_trait;
use revloop_domain::signals::Signal;

use crate::StoreResult;

#[async_trait]
pub trait SignalStore {
    /// Inserts the signal unless its id is already stored; returns the stored signal and
    /// whether this call inserted it.
    async fn put_signal(&self, signal: &Signal) -> StoreResult<(Signal, bool)>;
    async fn list_signals(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
    ) -> StoreResult<Vec<Signal>>;
}
