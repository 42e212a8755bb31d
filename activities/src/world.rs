//! The account state service: the account's record versions become observations, the
//! observations entity states, and those with the account's signals the account state. Read
//! only; the API answers `GetAccountState` with it and activities can call it the same way.

use chrono::{DateTime, Utc};
use revloop_domain::world::state::{EntityState, Provenance, entity_states, observations_of};
use revloop_domain::world::{AccountState, account_state};
use revloop_store::{Store, StoreError};

/// The account's state and the entity states it was computed from, as of `as_of`.
pub async fn account_world(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
    as_of: DateTime<Utc>,
) -> Result<(AccountState, Vec<EntityState>), StoreError> {
    let versions = store.account_versions(tenant_id, account_id).await?;
    let observations: Vec<_> = versions
        .iter()
        .flat_map(|v| {
            // Versions stored before sources were kept count as their trust class speaking.
            let source = if v.source.is_empty() {
                &v.trust_class
            } else {
                &v.source
            };
            observations_of(
                &v.record,
                Provenance {
                    evidence_id: &v.evidence_ref,
                    source,
                    trust_class: &v.trust_class,
                    observed_at: v.observed_at,
                },
            )
        })
        .collect();
    let config = store
        .get_tenant(tenant_id)
        .await?
        .map(|t| t.config.world)
        .unwrap_or_default();
    let entities = entity_states(&observations, as_of, &config);
    let signals = store.list_signals(tenant_id, Some(account_id)).await?;
    let state = account_state(account_id, &entities, &signals, as_of);
    Ok((state, entities))
}
