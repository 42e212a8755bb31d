use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::quarantine::{QuarantineStore, QuarantinedLine};

#[async_trait]
impl QuarantineStore for SqliteStore {
    async fn quarantine(&self, line: &QuarantinedLine) -> StoreResult<()> {
        let (l, body) = (line.clone(), to_json(line)?);
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO quarantine (tenant_id, batch_id, line, body) VALUES (?1, ?2, ?3, ?4)",
                params![l.tenant_id, l.batch_id, l.line as i64, body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn quarantine_all(&self, lines: &[QuarantinedLine]) -> StoreResult<()> {
        let rows = lines
            .iter()
            .map(|l| Ok((l.clone(), to_json(l)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        self.with(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            {
                let mut stmt = tx
                    .prepare_cached("INSERT OR IGNORE INTO quarantine (tenant_id, batch_id, line, body) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(sql_err)?;
                for (l, body) in &rows {
                    stmt.execute(params![l.tenant_id, l.batch_id, l.line as i64, body])
                        .map_err(sql_err)?;
                }
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn quarantined_page(
        &self,
        tenant_id: &str,
        batch_id: &str,
        after: usize,
        limit: usize,
    ) -> StoreResult<(Vec<QuarantinedLine>, usize)> {
        let (t, b) = (tenant_id.to_string(), batch_id.to_string());
        self.with(move |c| {
            let total: i64 = c
                .query_row(
                    "SELECT count(*) FROM quarantine WHERE tenant_id = ?1 AND batch_id = ?2",
                    params![t, b],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM quarantine WHERE tenant_id = ?1 AND batch_id = ?2 AND line > ?3 ORDER BY line LIMIT ?4",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, b, after as i64, limit as i64], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            let lines = rows
                .map(|body| from_json("quarantined line", &body.map_err(sql_err)?))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((lines, total as usize))
        })
        .await
    }

    async fn list_quarantined(&self, tenant_id: &str) -> StoreResult<Vec<QuarantinedLine>> {
        let t = tenant_id.to_string();
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT body FROM quarantine WHERE tenant_id = ?1 ORDER BY batch_id, line")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([t], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            rows.map(|b| from_json("quarantined line", &b.map_err(sql_err)?))
                .collect()
        })
        .await
    }
}
