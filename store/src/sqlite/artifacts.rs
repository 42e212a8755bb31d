use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, sql_err};
use crate::StoreResult;
use crate::artifacts::{Artifact, ArtifactStore};

#[async_trait]
impl ArtifactStore for SqliteStore {
    async fn put_artifact(&self, artifact: &Artifact) -> StoreResult<()> {
        let a = artifact.clone();
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO artifacts (tenant_id, artifact_key, content_type, content) VALUES (?1, ?2, ?3, ?4)",
                params![a.tenant_id, a.artifact_key, a.content_type, a.content],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_artifact(
        &self,
        tenant_id: &str,
        artifact_key: &str,
    ) -> StoreResult<Option<Artifact>> {
        let (t, k) = (tenant_id.to_string(), artifact_key.to_string());
        self.with(move |c| {
            c.query_row(
                "SELECT content_type, content FROM artifacts WHERE tenant_id = ?1 AND artifact_key = ?2",
                params![t, k],
                |r| Ok(Artifact { tenant_id: t.clone(), artifact_key: k.clone(), content_type: r.get(0)?, content: r.get(1)? }),
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }
}
