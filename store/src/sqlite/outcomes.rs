use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::outcomes::{Outcome, OutcomeStore};

#[async_trait]
impl OutcomeStore for SqliteStore {
    async fn record_outcome(&self, outcome: &Outcome) -> StoreResult<(Outcome, bool)> {
        let (o, body) = (outcome.clone(), to_json(outcome)?);
        self.with(move |c| {
            let created = c
                .execute(
                    "INSERT OR IGNORE INTO outcomes (tenant_id, outcome_id, action_id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![o.tenant_id, o.outcome_id, o.action_id, body],
                )
                .map_err(sql_err)?
                == 1;
            let stored: String = c
                .query_row(
                    "SELECT body FROM outcomes WHERE tenant_id = ?1 AND outcome_id = ?2",
                    params![o.tenant_id, o.outcome_id],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            Ok((from_json("outcome", &stored)?, created))
        })
        .await
    }

    async fn list_outcomes(
        &self,
        tenant_id: &str,
        action_id: Option<&str>,
    ) -> StoreResult<Vec<Outcome>> {
        let (t, a) = (tenant_id.to_string(), action_id.map(str::to_string));
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT body FROM outcomes WHERE tenant_id = ?1 AND (?2 IS NULL OR action_id = ?2) ORDER BY rowid")
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![t, a], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|b| from_json("outcome", &b.map_err(sql_err)?)).collect()
        })
        .await
    }
}
