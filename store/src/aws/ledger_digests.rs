use async_trait::async_trait;
use revloop_domain::ledger::LedgerDigest;

use super::AwsStore;
use super::items::to_json;
use super::objects::PutOnce;
use crate::ledger_digests::LedgerDigestStore;
use crate::{StoreError, StoreResult};

/// A digest is the object `{tenant}/digests/{to seq:020}.json` in the ledger bucket: written
/// with `If-None-Match: *`, under the bucket's default Object Lock retention in COMPLIANCE mode,
/// so no one (the account root included) can delete or shorten it before the retention ends.
pub(crate) fn digest_key(tenant: &str, to_seq: u64) -> String {
    format!("{tenant}/digests/{to_seq:020}.json")
}

#[async_trait]
impl LedgerDigestStore for AwsStore {
    async fn put_digest(&self, digest: &LedgerDigest) -> StoreResult<()> {
        let key = digest_key(&digest.tenant_id, digest.to_seq);
        let bytes = to_json(digest)?.into_bytes();
        match self
            .put_ledger_object(&digest.tenant_id, &key, bytes)
            .await?
        {
            PutOnce::Written => Ok(()),
            PutOnce::AlreadyThere => Err(StoreError::conflict(format!(
                "tenant {} already has a ledger digest ending at entry {}; digests are write-once",
                digest.tenant_id, digest.to_seq
            ))),
        }
    }

    async fn get_digest(&self, tenant_id: &str, to_seq: u64) -> StoreResult<Option<LedgerDigest>> {
        let bucket = self.settings().ledger_bucket.clone();
        match self
            .get_object(&bucket, &digest_key(tenant_id, to_seq))
            .await?
        {
            Some((bytes, _)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| super::errors::corrupt(format!("ledger digest {to_seq}: {e}"))),
            None => Ok(None),
        }
    }

    async fn latest_digest(&self, tenant_id: &str) -> StoreResult<Option<LedgerDigest>> {
        let bucket = self.settings().ledger_bucket.clone();
        let keys = self
            .list_keys(&bucket, &format!("{tenant_id}/digests/"))
            .await?;
        // Zero-padded sequence numbers sort as numbers.
        let Some(last) = keys.last() else {
            return Ok(None);
        };
        let to_seq = last
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| super::errors::corrupt(format!("ledger digest object {last}")))?;
        self.get_digest(tenant_id, to_seq).await
    }
}
