use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::effects::{Effect, EffectStore};

#[async_trait]
impl EffectStore for SqliteStore {
    async fn record_effect(&self, effect: &Effect) -> StoreResult<(Effect, bool)> {
        let (e, body) = (effect.clone(), to_json(effect)?);
        self.with(move |c| {
            let created = c
                .execute(
                    "INSERT OR IGNORE INTO effects (idempotency_key, tenant_id, action_id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![e.idempotency_key, e.tenant_id, e.action_id, body],
                )
                .map_err(sql_err)?
                == 1;
            let stored: String = c
                .query_row("SELECT body FROM effects WHERE idempotency_key = ?1", [&e.idempotency_key], |r| r.get(0))
                .map_err(sql_err)?;
            Ok((from_json("effect", &stored)?, created))
        })
        .await
    }

    async fn list_effects(&self, tenant_id: &str, action_id: &str) -> StoreResult<Vec<Effect>> {
        let (t, a) = (tenant_id.to_string(), action_id.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT body FROM effects WHERE tenant_id = ?1 AND action_id = ?2 ORDER BY idempotency_key")
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![t, a], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|b| from_json("effect", &b.map_err(sql_err)?)).collect()
        })
        .await
    }
}
