//! Outcomes: what became of each action (approved, edited with the diff, rejected, executed,
//! failed, the plan's completion reason, and later wins or losses). Write-only here: revloop
//! records them for people and later analysis and learns nothing from them by itself.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub tenant_id: String,
    /// Stable per (action, what happened), so a retried step records it once.
    pub outcome_id: String,
    pub action_id: String,
    pub account_id: String,
    /// `approved`, `edited`, `rejected`, `expired`, `executed`, `failed`, `blocked` (the plan
    /// ended at a validator or the budget; the reason says which), `undone` (reversed by a person), `undo_refused` (it could not be), `won` or `lost`.
    pub kind: String,
    /// For `edited`: each changed parameter with its old and new value.
    pub diff: Option<serde_json::Value>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait OutcomeStore {
    /// Inserts unless the outcome id exists; returns the stored outcome and whether it is new.
    async fn record_outcome(&self, outcome: &Outcome) -> StoreResult<(Outcome, bool)>;
    /// The outcomes of a tenant, optionally of one action, in the order recorded.
    async fn list_outcomes(
        &self,
        tenant_id: &str,
        action_id: Option<&str>,
    ) -> StoreResult<Vec<Outcome>>;
}
