use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::tool_runs::{ToolRun, ToolRunStore};

#[async_trait]
impl ToolRunStore for SqliteStore {
    async fn record_tool_run(&self, run: &ToolRun) -> StoreResult<(ToolRun, bool)> {
        let (r, body) = (run.clone(), to_json(run)?);
        self.with(move |c| {
            let created = c
                .execute(
                    "INSERT OR IGNORE INTO tool_runs (tenant_id, tool_run_id, trace_id, at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![r.tenant_id, r.tool_run_id, r.trace_id, r.at.to_rfc3339(), body],
                )
                .map_err(sql_err)?
                == 1;
            let stored: String = c
                .query_row(
                    "SELECT body FROM tool_runs WHERE tenant_id = ?1 AND tool_run_id = ?2",
                    params![r.tenant_id, r.tool_run_id],
                    |row| row.get(0),
                )
                .map_err(sql_err)?;
            Ok((from_json("tool run", &stored)?, created))
        })
        .await
    }

    async fn get_tool_run(
        &self,
        tenant_id: &str,
        tool_run_id: &str,
    ) -> StoreResult<Option<ToolRun>> {
        let (t, id) = (tenant_id.to_string(), tool_run_id.to_string());
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM tool_runs WHERE tenant_id = ?1 AND tool_run_id = ?2",
                    params![t, id],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("tool run", &b)).transpose()
        })
        .await
    }

    async fn list_tool_runs(&self, tenant_id: &str, trace_id: &str) -> StoreResult<Vec<ToolRun>> {
        let (t, trace) = (tenant_id.to_string(), trace_id.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT body FROM tool_runs WHERE tenant_id = ?1 AND trace_id = ?2 ORDER BY at, tool_run_id")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, trace], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            rows.map(|b| from_json("tool run", &b.map_err(sql_err)?)).collect()
        })
        .await
    }
}
