//! The situation graph's edges, per tenant, with lookups from either end.

use async_trait::async_trait;
use revloop_domain::world::graph::Edge;
use revloop_domain::world::state::EntityRef;

use crate::StoreResult;

#[async_trait]
pub trait GraphStore {
    /// Adds the edges (each once) for the tenant, noting the account they were read from.
    async fn put_edges(&self, tenant_id: &str, account_id: &str, edges: &[Edge])
    -> StoreResult<()>;
    /// Every edge that starts or ends at the vertex, in a fixed order.
    async fn edges_at(&self, tenant_id: &str, vertex: &EntityRef) -> StoreResult<Vec<Edge>>;
}
