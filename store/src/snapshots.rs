//! World-state snapshots: immutable, content-addressed by the state hash, listed per entity.
//! What decisions, approvals and ledger entries can bind to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::world::state::{EntityRef, EntityState, SchemaRef};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitySnapshot {
    pub tenant_id: String,
    /// The account the entity belongs to, so an account's snapshots list in one lookup.
    /// Empty in snapshots stored before accounts were kept (other than accounts' own).
    #[serde(default)]
    pub account_id: String,
    pub entity: EntityRef,
    pub state_hash: String,
    pub as_of: DateTime<Utc>,
    /// The schema the state was checked against before it was written.
    pub schema: SchemaRef,
    /// What the critical-field registry makes of the state: 1 = every critical field fresh and
    /// undisputed, 2 = all present but some stale or disputed, 3 = one missing or expired
    /// (0 in snapshots stored before tiers were kept).
    #[serde(default)]
    pub tier: u8,
    pub state: EntityState,
}

#[async_trait]
pub trait SnapshotStore {
    /// Stores each snapshot unless one with the same state hash exists for its entity, all in
    /// one write; returns how many were new.
    async fn put_snapshots(&self, snapshots: &[EntitySnapshot]) -> StoreResult<usize>;
    /// The entity's snapshots, oldest first.
    async fn list_snapshots(
        &self,
        tenant_id: &str,
        entity: &EntityRef,
    ) -> StoreResult<Vec<EntitySnapshot>>;
    /// Every snapshot of every entity of the account, without the states, oldest first.
    async fn account_snapshots(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<SnapshotRef>>;
    /// What the account's world is computed from, as a cheap stamp: it changes whenever a
    /// record version, a signal or a snapshot of the account is written, or the tenant's
    /// configuration changes. Caches of computed account state key on it.
    async fn account_revision(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<AccountRevision>;
}

/// A stored snapshot, by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRef {
    pub entity: EntityRef,
    pub state_hash: String,
    pub as_of: DateTime<Utc>,
}

impl SnapshotRef {
    /// `snap:{type}:{id}@{state hash}`: how decisions, approvals and ledger entries cite it.
    pub fn key(&self) -> String {
        format!("snap:{}@{}", self.entity, self.state_hash)
    }
}

/// Monotone counters of what an account's world is computed from. Equal revisions mean equal
/// inputs; any write to the account (or its tenant's configuration) makes one of them grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountRevision {
    pub versions: i64,
    pub signals: i64,
    pub snapshots: i64,
    pub config: i64,
    /// Answers people gave to the account's questions (user-input evidence).
    #[serde(default)]
    pub answers: i64,
}
