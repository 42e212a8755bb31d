//! Queries over the situation graph, shared by the API's `QueryGraph` and the `graph_query`
//! tool: neighbours, stakeholders and the shortest path. Every lookup stays in one tenant.

use std::collections::BTreeMap;

use revloop_domain::world::graph::{Edge, shortest_path};
use revloop_domain::world::state::EntityRef;
use revloop_store::{Store, StoreError};
use serde::Serialize;

/// The most hops a path search goes out by default.
pub const DEFAULT_MAX_DEPTH: usize = 6;

/// A contact linked to an account, and how: works at, champion of, and the events and
/// interactions they took part in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stakeholder {
    pub contact: EntityRef,
    pub relations: Vec<String>,
}

/// Every edge that starts or ends at the vertex.
pub async fn edges(
    store: &dyn Store,
    tenant: &str,
    at: &EntityRef,
) -> Result<Vec<Edge>, StoreError> {
    store.edges_at(tenant, at).await
}

/// The vertices one edge away, either way.
pub async fn neighbours(
    store: &dyn Store,
    tenant: &str,
    at: &EntityRef,
) -> Result<Vec<EntityRef>, StoreError> {
    Ok(store
        .edges_at(tenant, at)
        .await?
        .into_iter()
        .map(|e| if &e.from == at { e.to } else { e.from })
        .collect())
}

pub async fn stakeholders(
    store: &dyn Store,
    tenant: &str,
    account: &EntityRef,
) -> Result<Vec<Stakeholder>, StoreError> {
    let mut map: BTreeMap<EntityRef, Vec<String>> = BTreeMap::new();
    for e in store
        .edges_at(tenant, account)
        .await?
        .iter()
        .filter(|e| e.from.entity_type == "contact")
    {
        map.entry(e.from.clone()).or_default().push(e.kind.clone());
    }
    for (contact, relations) in map.iter_mut() {
        for e in store.edges_at(tenant, contact).await? {
            if e.from == *contact && e.to.entity_type == "event" {
                relations.push(format!("attended:{}", e.to.entity_id));
            } else if e.to == *contact && e.kind == "involves" {
                relations.push(format!("involved_in:{}", e.from.entity_id));
            }
        }
    }
    Ok(map
        .into_iter()
        .map(|(contact, relations)| Stakeholder { contact, relations })
        .collect())
}

/// The shortest path from `from` to `to` within `max_depth` hops, if there is one.
///
/// Breadth first, one store lookup per vertex reached, level by level until the target shows
/// up; the search over what was looked up is a pure function.
pub async fn path(
    store: &dyn Store,
    tenant: &str,
    from: &EntityRef,
    to: &EntityRef,
    max_depth: usize,
) -> Result<Option<Vec<EntityRef>>, StoreError> {
    let mut known: BTreeMap<EntityRef, Vec<EntityRef>> = BTreeMap::new();
    let mut frontier = vec![from.clone()];
    for _ in 0..max_depth {
        let mut next = Vec::new();
        for v in frontier {
            if known.contains_key(&v) {
                continue;
            }
            let n = neighbours(store, tenant, &v).await?;
            next.extend(n.iter().cloned());
            known.insert(v, n);
        }
        if next.contains(to) {
            break;
        }
        frontier = next;
    }
    Ok(shortest_path(from, to, max_depth, |v| {
        known.get(v).cloned().unwrap_or_default()
    }))
}
