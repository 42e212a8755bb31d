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
