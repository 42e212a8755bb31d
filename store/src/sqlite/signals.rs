use async_trait::async_trait;
use revloop_domain::signals::Signal;
use rusqlite::params;

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::signals::SignalStore;

#[async_trait]
impl SignalStore for SqliteStore {
    async fn put_signal(&self, signal: &Signal) -> StoreResult<(Signal, bool)> {
        let s = signal.clone();
        let body = to_json(&s)?;
        self.with(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO signals (tenant_id, signal_id, account_id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![s.tenant_id.as_str(), s.signal_id, s.account_id.as_str(), body],
                )
                .map_err(sql_err)?;
            let stored: String = c
                .query_row("SELECT body FROM signals WHERE tenant_id = ?1 AND signal_id = ?2", params![s.tenant_id.as_str(), s.signal_id], |r| r.get(0))
                .map_err(sql_err)?;
            Ok((from_json("signal", &stored)?, n == 1))
        })
        .await
    }

    async fn list_signals(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
    ) -> StoreResult<Vec<Signal>> {
        let (t, a) = (tenant_id.to_string(), account_id.map(str::to_string));
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT body FROM signals WHERE tenant_id = ?1 AND (?2 IS NULL OR account_id = ?2) ORDER BY signal_id",
                )
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![t, a], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|b| from_json("signal", &b.map_err(sql_err)?)).collect()
        })
        .await
    }
}
