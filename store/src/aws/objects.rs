//! S3 objects: write-once puts (`If-None-Match: *`), SSE-KMS under the tenant's key, reads that
//! treat a missing key as absent.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectLockMode, ServerSideEncryption};
use base64::Engine;
use sha2::Digest;

use super::AwsStore;
use super::errors::{code_of, is_condition_failed, sdk_err};
use crate::error::StoreResult;

/// What a write-once put found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PutOnce {
    Written,
    /// An object already had the key; nothing was written.
    AlreadyThere,
}

impl AwsStore {
    /// The KMS key a tenant's objects are encrypted with: the tenant's own when the deployment
    /// names a per-tenant pattern, else the deployment's key.
    pub(crate) fn kms_key_for(&self, tenant: &str) -> Option<String> {
        let settings = self.settings();
        match &settings.tenant_key_pattern {
            Some(pattern) => Some(pattern.replace("{tenant}", tenant)),
            None => settings.kms_key_id.clone(),
        }
    }

    /// Puts `bytes` under `key` unless an object has that key (`If-None-Match: *`, which S3
    /// answers with 412 when one does).
    pub(crate) async fn put_once(
        &self,
        bucket: &str,
        tenant: &str,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> StoreResult<PutOnce> {
        self.put_once_locked(bucket, tenant, key, bytes, content_type, None)
            .await
    }

    /// A write-once put into the ledger bucket, locked in COMPLIANCE mode for the configured
    /// days: no one can delete the version or shorten the lock before it ends.
    pub(crate) async fn put_ledger_object(
        &self,
        tenant: &str,
        key: &str,
        bytes: Vec<u8>,
    ) -> StoreResult<PutOnce> {
        let bucket = self.settings().ledger_bucket.clone();
        let until =
            chrono::Utc::now().timestamp() + i64::from(self.settings().ledger_lock_days) * 86_400;
        self.put_once_locked(&bucket, tenant, key, bytes, "application/json", Some(until))
            .await
    }

    async fn put_once_locked(
        &self,
        bucket: &str,
        tenant: &str,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
        lock_until: Option<i64>,
    ) -> StoreResult<PutOnce> {
        let checksum =
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&bytes));
        let mut put = self
            .s3()
            .put_object()
            .bucket(bucket)
            .key(key)
            .if_none_match("*")
            .content_type(content_type)
            .body(ByteStream::from(bytes));
        if let Some(until) = lock_until {
            // S3 wants a checksum on puts that carry Object Lock settings.
            put = put
                .object_lock_mode(ObjectLockMode::Compliance)
                .object_lock_retain_until_date(aws_sdk_s3::primitives::DateTime::from_secs(until))
                .checksum_sha256(checksum);
        }
        if let Some(kms) = self.kms_key_for(tenant) {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        match put.send().await {
            Ok(_) => Ok(PutOnce::Written),
            // 409 ConditionalRequestConflict: a concurrent put of the same key won.
            Err(e)
                if is_condition_failed(&e) || code_of(&e) == Some("ConditionalRequestConflict") =>
            {
                Ok(PutOnce::AlreadyThere)
            }
            Err(e) => Err(sdk_err(&format!("PutObject {bucket}/{key}"), e)),
        }
    }

    /// Content-addressed content of a tenant: `{tenant}/{kind}/{sha256}` in the content bucket.
    /// Returns the key.
    pub(crate) async fn put_content(
        &self,
        tenant: &str,
        kind: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> StoreResult<String> {
        let key = format!(
            "{tenant}/{kind}/{}",
            revloop_domain::hashing::sha256_hex(&bytes)
        );
        let bucket = self.settings().content_bucket.clone();
        self.put_once(&bucket, tenant, &key, bytes, content_type)
            .await?;
        Ok(key)
    }

    pub(crate) async fn get_content_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let bucket = self.settings().content_bucket.clone();
        Ok(self.get_object(&bucket, key).await?.map(|(bytes, _)| bytes))
    }

    /// The object's bytes and content type; `None` when no object has the key.
    pub(crate) async fn get_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> StoreResult<Option<(Vec<u8>, Option<String>)>> {
        match self.s3().get_object().bucket(bucket).key(key).send().await {
            Ok(out) => {
                let content_type = out.content_type.clone();
                let bytes = out.body.collect().await.map_err(|e| {
                    crate::StoreError::new(
                        crate::StoreErrorKind::Unavailable,
                        format!("GetObject {bucket}/{key}: reading the body: {e}"),
                    )
                })?;
                Ok(Some((bytes.into_bytes().to_vec(), content_type)))
            }
            Err(e) if matches!(code_of(&e), Some("NoSuchKey") | Some("NotFound")) => Ok(None),
            Err(e) => Err(sdk_err(&format!("GetObject {bucket}/{key}"), e)),
        }
    }

    /// Every key under `prefix`, in key order.
    pub(crate) async fn list_keys(&self, bucket: &str, prefix: &str) -> StoreResult<Vec<String>> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .s3()
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_err(&format!("ListObjectsV2 {bucket}/{prefix}"), e))?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            match out.next_continuation_token {
                Some(next) if out.is_truncated == Some(true) => token = Some(next),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }
}
