//! Artifacts: outputs too big for a workflow payload (briefs, reports), content-addressed.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub tenant_id: String,
    /// `art-` + SHA-256 of the content.
    pub artifact_key: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

impl Artifact {
    pub fn new(tenant_id: &str, content_type: &str, content: Vec<u8>) -> Self {
        let artifact_key = format!("art-{}", revloop_domain::hashing::sha256_hex(&content));
        Self {
            tenant_id: tenant_id.into(),
            artifact_key,
            content_type: content_type.into(),
            content,
        }
    }
}

#[async_trait]
pub trait ArtifactStore {
    async fn put_artifact(&self, artifact: &Artifact) -> StoreResult<()>;
    async fn get_artifact(
        &self,
        tenant_id: &str,
        artifact_key: &str,
    ) -> StoreResult<Option<Artifact>>;
}
