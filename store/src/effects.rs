//! Effects: the side effects executors cause, keyed by idempotency key so each happens once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub idempotency_key: String,
    pub tenant_id: String,
    pub action_id: String,
    /// `task_created`, `brief_attached`, `email_queued`, …
    pub kind: String,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait EffectStore {
    /// Records the effect unless its key was already used; returns the stored effect and
    /// whether this call created it.
    async fn record_effect(&self, effect: &Effect) -> StoreResult<(Effect, bool)>;
    async fn list_effects(&self, tenant_id: &str, action_id: &str) -> StoreResult<Vec<Effect>>;
}
