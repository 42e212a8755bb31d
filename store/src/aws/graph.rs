use std::collections::BTreeSet;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use revloop_domain::world::graph::Edge;
use revloop_domain::world::state::EntityRef;

use super::items::{Item, from_json, key, s, string, to_json};
use super::{AwsStore, errors::sdk_err};
use crate::StoreResult;
use crate::graph::GraphStore;

/// An edge asserted by a record is an item at each of its ends, `T#{tenant}#V#{vertex}` /
/// `{src}|{kind}|{dst}|{record}`, so either end finds it in one query; what each record
/// asserts is kept at `T#{tenant}#GREC#{record}` / `EDGES`, so a replacement knows what to
/// retract.
type Triple = (String, String, String);

fn vertex_pk(tenant: &str, vertex: &str) -> String {
    format!("T#{tenant}#V#{vertex}")
}

fn record_pk(tenant: &str, record: &str) -> String {
    format!("T#{tenant}#GREC#{record}")
}

fn edge_sk((src, kind, dst): &Triple, record: &str) -> String {
    format!("{src}|{kind}|{dst}|{record}")
}

fn vertex(text: &str) -> EntityRef {
    let (t, id) = text.split_once(':').unwrap_or((text, ""));
    EntityRef::new(t, id)
}

impl AwsStore {
    async fn delete_main(&self, item_key: Item) -> StoreResult<()> {
        self.ddb()
            .delete_item()
            .table_name(self.main())
            .set_key(Some(item_key))
            .send()
            .await
            .map_err(|e| sdk_err("DeleteItem edge", e))?;
        Ok(())
    }
}

#[async_trait]
impl GraphStore for AwsStore {
    async fn replace_edges(
        &self,
        tenant_id: &str,
        account_id: &str,
        by_record: &[(String, Vec<Edge>)],
    ) -> StoreResult<()> {
        for (record, edges) in by_record {
            let new: BTreeSet<Triple> = edges
                .iter()
                .map(|e| (e.from.to_string(), e.kind.clone(), e.to.to_string()))
                .collect();
            let old: BTreeSet<Triple> = match self
                .get_main(&record_pk(tenant_id, record), "EDGES")
                .await?
            {
                Some(item) => from_json("graph assertions", string(&item, "edges")?)?,
                None => BTreeSet::new(),
            };
            let mut writes: Vec<(Item, bool)> = Vec::new();
            for triple in old.difference(&new) {
                for end in [&triple.0, &triple.2] {
                    writes.push((
                        key(vertex_pk(tenant_id, end), edge_sk(triple, record)),
                        false,
                    ));
                }
            }
            for triple in new.difference(&old) {
                for end in [&triple.0, &triple.2] {
                    let mut item = key(vertex_pk(tenant_id, end), edge_sk(triple, record));
                    item.insert("src".into(), s(&triple.0));
                    item.insert("kind".into(), s(&triple.1));
                    item.insert("dst".into(), s(&triple.2));
                    item.insert("account".into(), s(account_id));
                    writes.push((item, true));
                }
            }
            stream::iter(writes)
                .map(|(item, put)| async move {
                    if put {
                        self.put_item(self.main(), item).await
                    } else {
                        self.delete_main(item).await
                    }
                })
                .buffer_unordered(16)
                .try_collect::<Vec<()>>()
                .await?;
            // Written last: a retry after a crash above compares against the old assertions
            // and finishes the same writes.
            let mut assertions = key(record_pk(tenant_id, record), "EDGES");
            assertions.insert("edges".into(), s(to_json(&new)?));
            self.put_item(self.main(), assertions).await?;
        }
        Ok(())
    }

    async fn edges_at(&self, tenant_id: &str, at: &EntityRef) -> StoreResult<Vec<Edge>> {
        let items = self
            .query_partition(self.main(), &vertex_pk(tenant_id, &at.to_string()), None)
            .await?;
        let mut triples = BTreeSet::new();
        for item in &items {
            triples.insert((
                string(item, "src")?.to_string(),
                string(item, "kind")?.to_string(),
                string(item, "dst")?.to_string(),
            ));
        }
        Ok(triples
            .into_iter()
            .map(|(src, kind, dst)| Edge {
                from: vertex(&src),
                kind,
                to: vertex(&dst),
            })
            .collect())
    }
}
