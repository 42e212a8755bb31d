//! Raw evidence: immutable, content-addressed batches exactly as a source delivered them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// Where a batch came from. Kept forever with the batch so any conclusion can be traced back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub source: String,
    pub connector: String,
    pub fetched_at: DateTime<Utc>,
    pub cursor: Option<String>,
    /// Trust class: crm, support, telemetry, calendar, news, user_input, agent_inference.
    pub trust_class: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub tenant_id: String,
    /// `ev-` + SHA-256 of the content: the same bytes are stored once.
    pub evidence_id: String,
    pub content: Vec<u8>,
    pub provenance: Provenance,
}

impl Evidence {
    pub fn new(tenant_id: &str, content: Vec<u8>, provenance: Provenance) -> Self {
        let evidence_id = format!("ev-{}", revloop_domain::hashing::sha256_hex(&content));
        Self {
            tenant_id: tenant_id.to_string(),
            evidence_id,
            content,
            provenance,
        }
    }
}

#[async_trait]
pub trait EvidenceStore {
    /// Stores the batch unless the same content is already there; returns whether it was new.
    async fn put_evidence(&self, evidence: &Evidence) -> StoreResult<bool>;
    async fn get_evidence(
        &self,
        tenant_id: &str,
        evidence_id: &str,
    ) -> StoreResult<Option<Evidence>>;
}
