//! Detected signals, stored once per signal id.

use async_trait::async_trait;
use revloop_domain::signals::Signal;

use crate::StoreResult;

#[async_trait]
pub trait SignalStore {
    /// Inserts each signal unless its id is already stored, all in one write; returns, in input
    /// order, the stored signal and whether this call inserted it.
    async fn put_signals(&self, signals: &[Signal]) -> StoreResult<Vec<(Signal, bool)>>;
    async fn list_signals(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
    ) -> StoreResult<Vec<Signal>>;
}
