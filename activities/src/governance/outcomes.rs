//! Outcome capture: one record per (action, what happened), stored and ledgered.

use revloop_domain::ledger::LedgerKind;
use revloop_store::{Outcome, Store, StoreError};

use super::LedgerScope;

/// Records the outcome once (by its id) and ledgers it; returns whether it was new.
pub async fn record_outcome(
    store: &dyn Store,
    scope: &LedgerScope,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let (stored, created) = store.record_outcome(outcome).await?;
    scope
        .append(
            store,
            &format!("/outcome/{}", stored.kind),
            LedgerKind::Outcome,
            None,
            &stored,
        )
        .await?;
    Ok(created)
}
