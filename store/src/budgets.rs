//! Budget counters with atomic, all-or-nothing reservations: a request touches every counter its
//! caps name, and either all are incremented (each staying within its hard cap) or none is. On
//! DynamoDB this is one TransactWriteItems of conditional increments (≤ 100 counters).

use std::collections::BTreeMap;

use async_trait::async_trait;
use revloop_domain::budget::CounterKey;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub tenant_id: String,
    /// Makes a retried reservation a no-op (the activity's idempotency key).
    pub reservation_id: String,
    /// Each counter with the hard cap it must stay within, if any.
    pub counters: Vec<(CounterKey, Option<u64>)>,
    pub amount: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationRecord {
    pub reservation_id: String,
    pub granted: bool,
    /// Each counter's usage just before this reservation (by `CounterKey::as_key`).
    pub usage_before: BTreeMap<String, u64>,
    pub amount: u64,
    /// Set once settled: what the operation really used.
    pub settled: Option<u64>,
}

#[async_trait]
pub trait BudgetStore {
    /// Reserves `amount` on every counter, or on none if any would exceed its hard cap.
    /// Returns the first outcome for a reservation id, however often it is called.
    async fn reserve(&self, reservation: &Reservation) -> StoreResult<ReservationRecord>;
    /// Records what a granted reservation really used, moving the counters by the difference
    /// (a failed operation settles at 0 and gives its budget back). Settling twice is a no-op.
    async fn settle(
        &self,
        tenant_id: &str,
        reservation_id: &str,
        actual: u64,
    ) -> StoreResult<ReservationRecord>;
    async fn usage(&self, counters: &[CounterKey]) -> StoreResult<BTreeMap<String, u64>>;
}
