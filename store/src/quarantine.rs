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
    /// Every line of a batch in one write (a batch may have 100 000 bad lines); idempotent
    /// per (batch, line) like [`QuarantineStore::quarantine`].
    async fn quarantine_all(&self, lines: &[QuarantinedLine]) -> StoreResult<()>;
    async fn list_quarantined(&self, tenant_id: &str) -> StoreResult<Vec<QuarantinedLine>>;
    /// One batch's lines after line `after`, at most `limit`, in line order, and how many lines
    /// the batch has in all.
    async fn quarantined_page(
        &self,
        tenant_id: &str,
        batch_id: &str,
        after: usize,
        limit: usize,
    ) -> StoreResult<(Vec<QuarantinedLine>, usize)>;
}
