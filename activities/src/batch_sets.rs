//! Lists that grow with a batch (its changed records, its new signals) live in the store as
//! content-addressed artifacts, and workflows carry only their key and count: a workflow's
//! history must not grow with its input, and Temporal refuses a payload over 2 MB.

use revloop_store::{Artifact, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_sdk::activities::ActivityError;

use crate::error;

/// Content type of a stored list of [`crate::contracts::RecordChange`].
pub const CHANGE_SET: &str = "application/vnd.revloop.change-set+json";
/// Content type of a stored list of [`crate::contracts::SignalRef`].
pub const SIGNAL_SET: &str = "application/vnd.revloop.signal-set+json";

/// How many names a workflow result may list (accounts, refusals); the count says how many
/// there were in all.
pub const SAMPLE: usize = 20;

/// Stores the list and returns its key (the same list always gets the same key).
pub async fn put<T: Serialize>(
    store: &dyn Store,
    tenant_id: &str,
    content_type: &str,
    items: &[T],
) -> Result<String, ActivityError> {
    let artifact = Artifact::new(tenant_id, content_type, serde_json::to_vec(items)?);
    store.put_artifact(&artifact).await.map_err(error::store)?;
    Ok(artifact.artifact_key)
}

/// Reads a stored list back; a missing one is a non-retryable error naming it.
pub async fn get<T: DeserializeOwned>(
    store: &dyn Store,
    tenant_id: &str,
    key: &str,
) -> Result<Vec<T>, ActivityError> {
    crate::decision::load_json_artifact(store, tenant_id, key).await
}

/// The first [`SAMPLE`] items, for a result a person reads; the full list is in the store.
pub fn sample<T: Clone>(items: &[T]) -> Vec<T> {
    items.iter().take(SAMPLE).cloned().collect()
}
