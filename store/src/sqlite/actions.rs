use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::actions::{ActionRecord, ActionStatus, ActionStore, StatusBacklog, feed_order};

#[async_trait]
impl ActionStore for SqliteStore {
    async fn create_action(&self, action: &ActionRecord) -> StoreResult<ActionRecord> {
        let (a, body) = (action.clone(), to_json(action)?);
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO actions (action_id, tenant_id, status, body) VALUES (?1, ?2, ?3, ?4)",
                params![a.action_id, a.tenant_id, a.status.as_str(), body],
            )
            .map_err(sql_err)?;
            let stored: String = c
                .query_row("SELECT body FROM actions WHERE action_id = ?1", [&a.action_id], |r| r.get(0))
                .map_err(sql_err)?;
            from_json("action", &stored)
        })
        .await
    }

    async fn save_action(&self, action: &ActionRecord) -> StoreResult<()> {
        let (a, body) = (action.clone(), to_json(action)?);
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE actions SET status = ?3, body = ?4 WHERE action_id = ?1 AND tenant_id = ?2",
                    params![a.action_id, a.tenant_id, a.status.as_str(), body],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(crate::StoreError::not_found(format!("action {} of tenant {}", a.action_id, a.tenant_id)));
            }
            Ok(())
        })
        .await
    }

    async fn get_action(&self, action_id: &str) -> StoreResult<Option<ActionRecord>> {
        let id = action_id.to_string();
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM actions WHERE action_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("action", &b)).transpose()
        })
        .await
    }

    async fn list_actions(
        &self,
        tenant_id: &str,
        status: Option<ActionStatus>,
    ) -> StoreResult<Vec<ActionRecord>> {
        let (t, s) = (tenant_id.to_string(), status.map(|s| s.as_str()));
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT body FROM actions WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2)",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, s], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            let mut actions: Vec<ActionRecord> = rows
                .map(|b| from_json("action", &b.map_err(sql_err)?))
                .collect::<StoreResult<_>>()?;
            actions.sort_by(feed_order);
            Ok(actions)
        })
        .await
    }

    async fn status_backlog(&self, status: ActionStatus) -> StoreResult<Vec<StatusBacklog>> {
        let s = status.as_str();
        let bodies = self
            .with(move |c| {
                let mut stmt = c
                    .prepare_cached("SELECT body FROM actions WHERE status = ?1")
                    .map_err(sql_err)?;
                let rows = stmt
                    .query_map(params![s], |r| r.get::<_, String>(0))
                    .map_err(sql_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
            })
            .await?;
        let actions = bodies
            .iter()
            .map(|body| from_json("action", body))
            .collect::<StoreResult<Vec<ActionRecord>>>()?;
        Ok(StatusBacklog::tally(&actions))
    }
}
