//! Connector registrations: which sources feed a tenant, how, and where their credentials live.
//! Only a *reference* to a secret is stored (`env:NAME`), never the secret itself.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorRecord {
    pub tenant_id: String,
    pub connector_id: String,
    /// `http_push`, `jsonl_file`, …
    pub kind: String,
    /// Where the credential comes from, e.g. `env:REVLOOP_PUSH_SECRET_CRM`.
    pub secret_ref: Option<String>,
    /// Kind-specific settings.
    pub config: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait ConnectorStore {
    /// Creates or replaces the registration.
    async fn put_connector(&self, connector: &ConnectorRecord) -> StoreResult<()>;
    async fn get_connector(
        &self,
        tenant_id: &str,
        connector_id: &str,
    ) -> StoreResult<Option<ConnectorRecord>>;
    async fn list_connectors(&self, tenant_id: &str) -> StoreResult<Vec<ConnectorRecord>>;
    /// Where the last successful pull stopped (`None` before the first).
    async fn get_cursor(&self, tenant_id: &str, connector_id: &str) -> StoreResult<Option<String>>;
    /// Moves the cursor, only if it still is `expected` (a lost race is a `Conflict`).
    /// Setting the cursor it already has is a no-op, so a retried commit succeeds.
    async fn set_cursor(
        &self,
        tenant_id: &str,
        connector_id: &str,
        expected: Option<&str>,
        cursor: &str,
    ) -> StoreResult<()>;
    /// Claims a push delivery's signature, once: `true` the first time, `false` for a replay.
    /// The claim is kept until `keep_until` (the end of the signature's tolerance window);
    /// claims past theirs are forgotten, since their timestamp alone refuses them by then.
    async fn claim_push_delivery(
        &self,
        tenant_id: &str,
        connector_id: &str,
        signature: &str,
        now: DateTime<Utc>,
        keep_until: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
