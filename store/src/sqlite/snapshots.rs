use async_trait::async_trait;
use revloop_domain::world::state::EntityRef;
use rusqlite::params;

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::snapshots::{EntitySnapshot, SnapshotStore};

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn put_snapshot(&self, snapshot: &EntitySnapshot) -> StoreResult<bool> {
        let s = snapshot.clone();
        let body = to_json(snapshot)?;
        self.with(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO snapshots (tenant_id, entity, state_hash, as_of, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![s.tenant_id, s.entity.to_string(), s.state_hash, s.as_of.to_rfc3339(), body],
                )
                .map_err(sql_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn list_snapshots(
        &self,
        tenant_id: &str,
        entity: &EntityRef,
    ) -> StoreResult<Vec<EntitySnapshot>> {
        let (t, e) = (tenant_id.to_string(), entity.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT body FROM snapshots WHERE tenant_id = ?1 AND entity = ?2 ORDER BY rowid")
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![t, e], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|b| from_json("snapshot", &b.map_err(sql_err)?)).collect()
        })
        .await
    }
}
