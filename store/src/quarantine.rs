//! Rejected input lines, kept with their error so nothing a source sent is lost.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantinedLine {
    pub tenant_id: String,
    /// The batch the line came from (its evidence id, or the ingest id for pushed batches).
    pub batch_id: String,
    pub line: usize,
    pub field: Option<String>,
    pub message: String,
    pub raw: String,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait QuarantineStore {
    /// Idempotent per (batch, line).
    async fn quarantine(&self, line: &QuarantinedLine) -> StoreResult<()>;
    async fn list_quarantined(&self, tenant_id: &str) -> StoreResult<Vec<QuarantinedLine>>;
}
