use async_trait::async_trait;
use revloop_domain::world::graph::Edge;
use revloop_domain::world::state::EntityRef;
use rusqlite::{TransactionBehavior, params};

use super::{SqliteStore, sql_err};
use crate::StoreResult;
use crate::graph::GraphStore;

fn vertex(text: &str) -> EntityRef {
    let (t, id) = text.split_once(':').unwrap_or((text, ""));
    EntityRef::new(t, id)
}

#[async_trait]
impl GraphStore for SqliteStore {
    async fn replace_edges(
        &self,
        tenant_id: &str,
        account_id: &str,
        by_record: &[(String, Vec<Edge>)],
    ) -> StoreResult<()> {
        if by_record.is_empty() {
            return Ok(());
        }
        let (t, a) = (tenant_id.to_string(), account_id.to_string());
        let rows: Vec<(String, Vec<(String, String, String)>)> = by_record
            .iter()
            .map(|(record, edges)| {
                let edges = edges
                    .iter()
                    .map(|e| (e.from.to_string(), e.kind.clone(), e.to.to_string()))
                    .collect();
                (record.clone(), edges)
            })
            .collect();
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            {
                let mut retract = tx
                    .prepare_cached("DELETE FROM graph_assertions WHERE tenant_id = ?1 AND record_key = ?2")
                    .map_err(sql_err)?;
                let mut insert = tx
                    .prepare_cached("INSERT OR IGNORE INTO graph_assertions (tenant_id, record_key, src, kind, dst, account_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                    .map_err(sql_err)?;
                for (record, edges) in &rows {
                    retract.execute(params![t, record]).map_err(sql_err)?;
                    for (src, kind, dst) in edges {
                        insert.execute(params![t, record, src, kind, dst, a]).map_err(sql_err)?;
                    }
                }
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn edges_at(&self, tenant_id: &str, at: &EntityRef) -> StoreResult<Vec<Edge>> {
        let (t, v) = (tenant_id.to_string(), at.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT src, kind, dst FROM graph_assertions WHERE tenant_id = ?1 AND src = ?2
                     UNION SELECT src, kind, dst FROM graph_assertions WHERE tenant_id = ?1 AND dst = ?2
                     ORDER BY 1, 2, 3",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, v], |r| {
                    Ok(Edge {
                        from: vertex(&r.get::<_, String>(0)?),
                        kind: r.get(1)?,
                        to: vertex(&r.get::<_, String>(2)?),
                    })
                })
                .map_err(sql_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
        })
        .await
    }
}
