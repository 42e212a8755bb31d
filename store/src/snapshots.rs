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
    pub entity: EntityRef,
    pub state_hash: String,
    pub as_of: DateTime<Utc>,
    /// The schema the state was checked against before it was written.
    pub schema: SchemaRef,
    pub state: EntityState,
}

#[async_trait]
pub trait SnapshotStore {
    /// Stores the snapshot unless one with the same state hash exists for the entity; returns
    /// whether it was new.
    async fn put_snapshot(&self, snapshot: &EntitySnapshot) -> StoreResult<bool>;
    /// The entity's snapshots, oldest first.
    async fn list_snapshots(
        &self,
        tenant_id: &str,
        entity: &EntityRef,
    ) -> StoreResult<Vec<EntitySnapshot>>;
}
