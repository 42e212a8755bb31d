use async_trait::async_trait;

use super::items::{from_json, key, s, string, to_json};
use super::{AwsStore, tenant_pk};
use crate::StoreResult;
use crate::evidence::{Evidence, EvidenceStore};

/// Evidence bytes are an S3 object, `{tenant}/evidence/{sha256}`; the item `T#{tenant}` /
/// `EV#{evidence id}` keeps the provenance, and its conditional put says whether the batch was
/// new.
#[async_trait]
impl EvidenceStore for AwsStore {
    async fn put_evidence(&self, evidence: &Evidence) -> StoreResult<bool> {
        let object = self
            .put_content(
                &evidence.tenant_id,
                "evidence",
                evidence.content.clone(),
                "application/octet-stream",
            )
            .await?;
        let mut item = key(
            tenant_pk(&evidence.tenant_id),
            format!("EV#{}", evidence.evidence_id),
        );
        item.insert("provenance".into(), s(to_json(&evidence.provenance)?));
        item.insert("object".into(), s(object));
        self.put_new(self.main(), item).await
    }

    async fn get_evidence(
        &self,
        tenant_id: &str,
        evidence_id: &str,
    ) -> StoreResult<Option<Evidence>> {
        let Some(item) = self
            .get_main(&tenant_pk(tenant_id), &format!("EV#{evidence_id}"))
            .await?
        else {
            return Ok(None);
        };
        let object = string(&item, "object")?;
        let content = self.get_content_object(object).await?.ok_or_else(|| {
            super::errors::corrupt(format!(
                "evidence {evidence_id}: object {object} is missing"
            ))
        })?;
        Ok(Some(Evidence {
            tenant_id: tenant_id.to_string(),
            evidence_id: evidence_id.to_string(),
            content,
            provenance: from_json("provenance", string(&item, "provenance")?)?,
        }))
    }
}
