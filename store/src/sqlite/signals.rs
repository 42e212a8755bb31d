use async_trait::async_trait;
use revloop_domain::signals::Signal;
use rusqlite::{TransactionBehavior, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::signals::SignalStore;

#[async_trait]
impl SignalStore for SqliteStore {
    async fn put_signals(&self, signals: &[Signal]) -> StoreResult<Vec<(Signal, bool)>> {
        if signals.is_empty() {
            return Ok(Vec::new());
        }
        let rows = signals
            .iter()
            .map(|s| {
                Ok((
                    s.tenant_id.to_string(),
                    s.signal_id.clone(),
                    s.account_id.to_string(),
                    to_json(s)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let stored = self
            .with(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let mut out = Vec::with_capacity(rows.len());
                {
                    let mut insert = tx
                        .prepare_cached("INSERT OR IGNORE INTO signals (tenant_id, signal_id, account_id, body) VALUES (?1, ?2, ?3, ?4)")
                        .map_err(sql_err)?;
                    let mut select = tx
                        .prepare_cached("SELECT body FROM signals WHERE tenant_id = ?1 AND signal_id = ?2")
                        .map_err(sql_err)?;
                    for (tenant, signal_id, account, body) in &rows {
                        let n = insert.execute(params![tenant, signal_id, account, body]).map_err(sql_err)?;
                        let stored: String = select.query_row(params![tenant, signal_id], |r| r.get(0)).map_err(sql_err)?;
                        out.push((stored, n == 1));
                    }
                }
                tx.commit().map_err(sql_err)?;
                Ok(out)
            })
            .await?;
        stored
            .into_iter()
            .map(|(body, inserted)| Ok((from_json("signal", &body)?, inserted)))
            .collect()
    }

    async fn list_signals(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
    ) -> StoreResult<Vec<Signal>> {
        let (t, a) = (tenant_id.to_string(), account_id.map(str::to_string));
        self.with(move |c| {
            // One statement per case, so the per-account one can use the account index.
            let mut stmt = match a {
                Some(_) => c.prepare_cached(
                    "SELECT body FROM signals WHERE tenant_id = ?1 AND account_id = ?2 ORDER BY signal_id",
                ),
                None => c.prepare_cached(
                    "SELECT body FROM signals WHERE tenant_id = ?1 AND ?2 IS NULL ORDER BY signal_id",
                ),
            }
            .map_err(sql_err)?;
            let rows = stmt.query_map(params![t, a], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|b| from_json("signal", &b.map_err(sql_err)?)).collect()
        })
        .await
    }
}
