//! The situation graph's edges, per tenant, with lookups from either end.

use async_trait::async_trait;
use revloop_domain::world::graph::Edge;
use revloop_domain::world::state::EntityRef;

use crate::StoreResult;

#[async_trait]
pub trait GraphStore {
    /// For each record (by key, e.g. `contact:c1`), replaces every edge it asserted before with
    /// `edges`: what a record no longer says (a champion who is not one any more) is retracted.
    /// An edge stays while any record still asserts it. Notes the account the edges were read
    /// from.
    async fn replace_edges(
        &self,
        tenant_id: &str,
        account_id: &str,
        by_record: &[(String, Vec<Edge>)],
    ) -> StoreResult<()>;
    /// Every edge that starts or ends at the vertex, in a fixed order.
    async fn edges_at(&self, tenant_id: &str, vertex: &EntityRef) -> StoreResult<Vec<Edge>>;
}
