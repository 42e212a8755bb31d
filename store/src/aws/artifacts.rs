use async_trait::async_trait;

use super::AwsStore;
use crate::StoreResult;
use crate::artifacts::{Artifact, ArtifactStore};

/// An artifact is one S3 object, `{tenant}/artifacts/{artifact key}`, whose content type is
/// the object's: content-addressed, so a second put of the same bytes writes nothing.
#[async_trait]
impl ArtifactStore for AwsStore {
    async fn put_artifact(&self, artifact: &Artifact) -> StoreResult<()> {
        let bucket = self.settings().content_bucket.clone();
        let key = object_key(&artifact.tenant_id, &artifact.artifact_key);
        self.put_once(
            &bucket,
            &artifact.tenant_id,
            &key,
            artifact.content.clone(),
            &artifact.content_type,
        )
        .await?;
        Ok(())
    }

    async fn get_artifact(
        &self,
        tenant_id: &str,
        artifact_key: &str,
    ) -> StoreResult<Option<Artifact>> {
        let bucket = self.settings().content_bucket.clone();
        let found = self
            .get_object(&bucket, &object_key(tenant_id, artifact_key))
            .await?;
        Ok(found.map(|(content, content_type)| Artifact {
            tenant_id: tenant_id.to_string(),
            artifact_key: artifact_key.to_string(),
            content_type: content_type.unwrap_or_else(|| "application/octet-stream".into()),
            content,
        }))
    }
}

fn object_key(tenant: &str, artifact_key: &str) -> String {
    format!("{tenant}/artifacts/{artifact_key}")
}
