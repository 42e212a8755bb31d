use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::actions::{ActionRecord, ActionStatus, ActionStore, StatusBacklog};

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
            // The feed across accounts: what needs a person first, then the most urgent
            // (most confident) proposal, then each account's own rank, then the newest.
            actions.sort_by(|a, b| {
                a.status
                    .attention_order()
                    .cmp(&b.status.attention_order())
                    .then_with(|| b.proposal.confidence.total_cmp(&a.proposal.confidence))
                    .then_with(|| a.proposal.rank.cmp(&b.proposal.rank))
                    .then_with(|| b.created_at.cmp(&a.created_at))
                    .then_with(|| a.action_id.cmp(&b.action_id))
            });
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
        let mut by_tenant: std::collections::BTreeMap<String, StatusBacklog> = Default::default();
        for body in bodies {
            let action: ActionRecord = from_json("action", &body)?;
            let entry = by_tenant
                .entry(action.tenant_id.clone())
                .or_insert_with(|| StatusBacklog {
                    tenant_id: action.tenant_id.clone(),
                    count: 0,
                    oldest_updated_at: action.updated_at,
                });
            entry.count += 1;
            entry.oldest_updated_at = entry.oldest_updated_at.min(action.updated_at);
        }
        Ok(by_tenant.into_values().collect())
    }
}
