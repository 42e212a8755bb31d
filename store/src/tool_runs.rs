//! Tool runs: one record per governed tool call (from the decision agent or an MCP client),
//! keyed by an id derived from the call's idempotency key, so a retried call finds its run and
//! answers what it answered the first time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::budget::CostClass;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRun {
    pub tool_run_id: String,
    pub tenant_id: String,
    pub trace_id: String,
    pub tool: String,
    /// Who called: `agent:decision`, `user:{sub}`, `agent:{sub}`.
    pub caller: String,
    /// SHA-256 of the canonical JSON of the arguments (the arguments themselves may hold text
    /// the ledger should not repeat).
    pub args_digest: String,
    /// `ok` or `refused`.
    pub outcome: String,
    /// Why it was refused: the rule or the field, as the caller was told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<serde_json::Value>,
    /// A result of at most the inline limit, as answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The artifact holding a larger result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_ref: Option<String>,
    #[serde(default)]
    pub result_digest: String,
    #[serde(default)]
    pub result_bytes: u64,
    /// The action a write tool proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    pub cost_class: CostClass,
    pub duration_ms: u64,
    pub at: DateTime<Utc>,
    /// The TOOL_CALL ledger entry.
    pub ledger_seq: u64,
}

#[async_trait]
pub trait ToolRunStore {
    /// Stores the run unless its id is already taken; returns the stored run and whether this
    /// call created it.
    async fn record_tool_run(&self, run: &ToolRun) -> StoreResult<(ToolRun, bool)>;
    async fn get_tool_run(
        &self,
        tenant_id: &str,
        tool_run_id: &str,
    ) -> StoreResult<Option<ToolRun>>;
    /// The tenant's runs under one trace, oldest first.
    async fn list_tool_runs(&self, tenant_id: &str, trace_id: &str) -> StoreResult<Vec<ToolRun>>;
}
