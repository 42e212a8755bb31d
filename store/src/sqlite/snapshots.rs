use async_trait::async_trait;
use revloop_domain::world::state::EntityRef;
use rusqlite::{TransactionBehavior, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::snapshots::{AccountRevision, EntitySnapshot, SnapshotRef, SnapshotStore};

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn put_snapshots(&self, snapshots: &[EntitySnapshot]) -> StoreResult<usize> {
        if snapshots.is_empty() {
            return Ok(0);
        }
        let rows = snapshots
            .iter()
            .map(|s| {
                Ok((
                    s.tenant_id.clone(),
                    s.entity.to_string(),
                    s.state_hash.clone(),
                    s.as_of.to_rfc3339(),
                    to_json(s)?,
                    s.account_id.clone(),
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            let mut new = 0;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO snapshots (tenant_id, entity, state_hash, as_of, body, account_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(sql_err)?;
                for (tenant, entity, hash, as_of, body, account) in &rows {
                    new += insert
                        .execute(params![tenant, entity, hash, as_of, body, account])
                        .map_err(sql_err)?;
                }
            }
            tx.commit().map_err(sql_err)?;
            Ok(new)
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

    async fn account_snapshots(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<SnapshotRef>> {
        let (t, a) = (tenant_id.to_string(), account_id.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT entity, state_hash, as_of FROM snapshots WHERE tenant_id = ?1 AND account_id = ?2 ORDER BY rowid")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, a], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(sql_err)?;
            rows.map(|row| {
                let (entity, state_hash, as_of) = row.map_err(sql_err)?;
                Ok(SnapshotRef {
                    entity: entity_ref(&entity)?,
                    state_hash,
                    as_of: instant(&as_of)?,
                })
            })
            .collect()
        })
        .await
    }

    async fn account_revision(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<AccountRevision> {
        let (t, a) = (tenant_id.to_string(), account_id.to_string());
        self.with(move |c| {
            // Rows are only ever added to these tables, so the largest rowid of the account's
            // rows grows with every write; each lookup is one seek in an (tenant, account) index.
            c.prepare_cached(
                "SELECT
                    (SELECT IFNULL(MAX(rowid), 0) FROM record_versions WHERE tenant_id = ?1 AND account_id = ?2),
                    (SELECT IFNULL(MAX(rowid), 0) FROM signals WHERE tenant_id = ?1 AND account_id = ?2),
                    (SELECT IFNULL(MAX(rowid), 0) FROM snapshots WHERE tenant_id = ?1 AND account_id = ?2),
                    (SELECT IFNULL(MAX(revision), 0) FROM tenants WHERE tenant_id = ?1),
                    (SELECT IFNULL(MAX(rowid), 0) FROM question_answers WHERE tenant_id = ?1 AND account_id = ?2)",
            )
            .map_err(sql_err)?
            .query_row(params![t, a], |r| {
                Ok(AccountRevision {
                    versions: r.get(0)?,
                    signals: r.get(1)?,
                    snapshots: r.get(2)?,
                    config: r.get(3)?,
                    answers: r.get(4)?,
                })
            })
            .map_err(sql_err)
        })
        .await
    }
}

fn entity_ref(text: &str) -> StoreResult<EntityRef> {
    let (entity_type, entity_id) = text.split_once(':').ok_or_else(|| {
        crate::StoreError::new(
            crate::StoreErrorKind::Corrupt,
            format!("snapshot entity {text:?} is not type:id"),
        )
    })?;
    Ok(EntityRef::new(entity_type, entity_id))
}

fn instant(text: &str) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    text.parse().map_err(|e| {
        crate::StoreError::new(
            crate::StoreErrorKind::Corrupt,
            format!("snapshot as_of {text:?}: {e}"),
        )
    })
}
