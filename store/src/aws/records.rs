use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use futures::stream::{self, StreamExt, TryStreamExt};
use revloop_domain::records::RecordKey;

use super::items::{Item, TransactOutcome, built, key, n, s, stored_stamp, string, to_json};
use super::revisions::{Counter, REVISION_SK};
use super::snapshots::sort_by_stored;
use super::{AwsStore, account_pk};
use crate::StoreResult;
use crate::error::{StoreError, StoreErrorKind};
use crate::records::{CitedRecord, RecordStore, RecordVersion, VersionWrite};

/// Half of a TransactWriteItems: each version's conditional put, and the revision of each
/// account the versions touch (at most one per version), so the revisions move in the same
/// transaction as the data.
const MAX_VERSION_WRITES: usize = 50;

/// Record versions live in two kinds of item:
/// - the latest, `T#{tenant}#REC#{type}:{id}` / `LATEST`, with its `hash`, its `account` and
///   every account the record was ever in (`accounts`): what the diff reads and its conditional
///   put checks;
/// - every version, `T#{tenant}#ACCT#{account}` / `V#{evidence ref}`: the account's history in
///   its own partition, read back in one strongly consistent query.
const LATEST_SK: &str = "LATEST";

fn latest_pk(tenant: &str, key: &str) -> String {
    format!("T#{tenant}#REC#{key}")
}

/// `rec:{type}:{id}@{hash16}` → `{type}:{id}`.
fn key_of_ref(evidence_ref: &str) -> Option<&str> {
    evidence_ref
        .strip_prefix("rec:")?
        .rsplit_once('@')
        .map(|(k, _)| k)
}

fn accounts_of(item: &Item) -> Vec<String> {
    match item.get("accounts") {
        Some(AttributeValue::Ss(accounts)) => accounts.clone(),
        _ => Vec::new(),
    }
}

impl AwsStore {
    async fn latest_items(
        &self,
        tenant: &str,
        keys: &[String],
    ) -> StoreResult<HashMap<String, Item>> {
        let wanted = keys
            .iter()
            .map(|k| key(latest_pk(tenant, k), LATEST_SK))
            .collect();
        let items = self.batch_get(self.main(), wanted).await?;
        let mut by_key = HashMap::with_capacity(items.len());
        for item in items {
            by_key.insert(string(&item, "record_key")?.to_string(), item);
        }
        Ok(by_key)
    }

    async fn put_history(&self, version: &RecordVersion) -> StoreResult<()> {
        let mut item = key(
            account_pk(&version.tenant_id, &version.account_id),
            format!("V#{}", version.evidence_ref),
        );
        item.insert("stored".into(), n(stored_stamp()));
        item.insert("record_key".into(), s(version.key.to_string()));
        self.set_body(&version.tenant_id, &mut item, to_json(version)?)
            .await?;
        // A version already kept (a retried batch) keeps its first stamp.
        self.put_new(self.main(), item).await?;
        Ok(())
    }
}

#[async_trait]
impl RecordStore for AwsStore {
    async fn latest_version(
        &self,
        tenant_id: &str,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordVersion>> {
        Ok(self
            .latest_versions(tenant_id, std::slice::from_ref(key))
            .await?
            .pop()
            .flatten())
    }

    async fn latest_versions(
        &self,
        tenant_id: &str,
        keys: &[RecordKey],
    ) -> StoreResult<Vec<Option<RecordVersion>>> {
        let texts: Vec<String> = keys.iter().map(ToString::to_string).collect();
        let mut found = self.latest_items(tenant_id, &texts).await?;
        let mut out = Vec::with_capacity(keys.len());
        for k in &texts {
            out.push(match found.remove(k) {
                Some(item) => Some(self.body("record version", &item).await?),
                None => None,
            });
        }
        Ok(out)
    }

    fn max_version_writes(&self) -> usize {
        MAX_VERSION_WRITES
    }

    async fn put_versions(&self, writes: &[VersionWrite]) -> StoreResult<()> {
        if writes.len() > MAX_VERSION_WRITES {
            return Err(StoreError::new(
                StoreErrorKind::Internal,
                format!(
                    "{} version writes in one call; at most {MAX_VERSION_WRITES}",
                    writes.len()
                ),
            ));
        }
        let Some(tenant) = writes.first().map(|w| w.version.tenant_id.clone()) else {
            return Ok(());
        };
        if writes.iter().any(|w| w.version.tenant_id != tenant) {
            return Err(StoreError::new(
                StoreErrorKind::Internal,
                "one put_versions call writes one tenant's versions",
            ));
        }
        let keys: Vec<String> = writes.iter().map(|w| w.version.key.to_string()).collect();
        if keys.iter().collect::<BTreeSet<_>>().len() != keys.len() {
            return Err(StoreError::new(
                StoreErrorKind::Internal,
                "a key appears twice in one put_versions call",
            ));
        }
        let current = self.latest_items(&tenant, &keys).await?;
        let mut changed = Vec::new();
        for (write, k) in writes.iter().zip(&keys) {
            let hash = current
                .get(k)
                .map(|item| string(item, "hash"))
                .transpose()?;
            if hash == Some(write.version.content_hash.as_str()) {
                continue;
            }
            if hash != write.expected_hash.as_deref() {
                return Err(StoreError::conflict(format!(
                    "record {k}: latest hash is {hash:?}, expected {:?}",
                    write.expected_hash
                )));
            }
            changed.push((write, k));
        }
        if changed.is_empty() {
            return Ok(());
        }
        // The history first (idempotent by ref), so a latest item never names a version that
        // is not kept.
        let history: Vec<RecordVersion> = changed.iter().map(|(w, _)| w.version.clone()).collect();
        stream::iter(history)
            .map(|v| async move { self.put_history(&v).await })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        let mut items = Vec::with_capacity(changed.len() * 2);
        let mut accounts = BTreeSet::new();
        for (write, k) in &changed {
            let v = &write.version;
            let mut known: BTreeSet<String> = current
                .get(*k)
                .map(accounts_of)
                .unwrap_or_default()
                .into_iter()
                .collect();
            known.insert(v.account_id.clone());
            accounts.insert(v.account_id.clone());
            let mut item = key(latest_pk(&tenant, k), LATEST_SK);
            item.insert("record_key".into(), s(k.as_str()));
            item.insert("hash".into(), s(&v.content_hash));
            item.insert("account".into(), s(&v.account_id));
            item.insert(
                "accounts".into(),
                AttributeValue::Ss(known.into_iter().collect()),
            );
            self.set_body(&tenant, &mut item, to_json(v)?).await?;
            let mut put = Put::builder().table_name(self.main()).set_item(Some(item));
            put = match &write.expected_hash {
                None => put.condition_expression("attribute_not_exists(pk)"),
                Some(expected) => put
                    .condition_expression("#h = :expected")
                    .expression_attribute_names("#h", "hash")
                    .expression_attribute_values(":expected", s(expected)),
            };
            items.push(
                TransactWriteItem::builder()
                    .put(built("Put", put.build())?)
                    .build(),
            );
        }
        // The accounts' revisions move in the same transaction, so a reader never sees the new
        // latest versions under an old revision, even when this call dies right after.
        for account in &accounts {
            let update = Update::builder()
                .table_name(self.main())
                .set_key(Some(key(account_pk(&tenant, account), REVISION_SK)))
                .update_expression("ADD #c :one")
                .expression_attribute_names("#c", Counter::Versions.attribute())
                .expression_attribute_values(":one", n(1));
            items.push(
                TransactWriteItem::builder()
                    .update(built("Update", update.build())?)
                    .build(),
            );
        }
        match self.transact(items).await? {
            TransactOutcome::Committed => Ok(()),
            TransactOutcome::Cancelled(reasons) => {
                let lost = reasons
                    .iter()
                    .zip(&changed)
                    .find(|(r, _)| r.as_deref() == Some("ConditionalCheckFailed"));
                match lost {
                    Some((_, (write, k))) => Err(StoreError::conflict(format!(
                        "record {k}: the latest version changed (expected {:?})",
                        write.expected_hash
                    ))),
                    None => Err(StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("version batch cancelled: {reasons:?}"),
                    )),
                }
            }
        }
    }

    async fn account_cited_records(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<CitedRecord>> {
        let history = self
            .query_partition(self.main(), &account_pk(tenant_id, account_id), Some("V#"))
            .await?;
        let keys: BTreeSet<String> = history
            .iter()
            .map(|item| string(item, "record_key").map(str::to_string))
            .collect::<StoreResult<_>>()?;
        let keys: Vec<String> = keys.into_iter().collect();
        let latest = self.latest_items(tenant_id, &keys).await?;
        let mut records = Vec::new();
        // BTreeSet order is the keys' text order, as SQLite's ORDER BY record_key.
        for k in &keys {
            let Some(item) = latest.get(k) else { continue };
            if string(item, "account")? != account_id {
                continue;
            }
            let version: RecordVersion = self.body("record version", item).await?;
            records.push(CitedRecord {
                record: version.record,
                evidence_ref: version.evidence_ref,
            });
        }
        Ok(records)
    }

    async fn version_by_ref(
        &self,
        tenant_id: &str,
        evidence_ref: &str,
    ) -> StoreResult<Option<RecordVersion>> {
        let Some(record_key) = key_of_ref(evidence_ref) else {
            return Ok(None);
        };
        let Some(latest) = self
            .get_main(&latest_pk(tenant_id, record_key), LATEST_SK)
            .await?
        else {
            return Ok(None);
        };
        for account in accounts_of(&latest) {
            if let Some(item) = self
                .get_main(
                    &account_pk(tenant_id, &account),
                    &format!("V#{evidence_ref}"),
                )
                .await?
            {
                return Ok(Some(self.body("record version", &item).await?));
            }
        }
        Ok(None)
    }

    async fn account_versions(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<RecordVersion>> {
        let mut items = self
            .query_partition(self.main(), &account_pk(tenant_id, account_id), Some("V#"))
            .await?;
        sort_by_stored(&mut items)?;
        self.bodies("record version", &items).await
    }

    async fn versions_by_refs(
        &self,
        tenant_id: &str,
        evidence_refs: &[String],
    ) -> StoreResult<Vec<RecordVersion>> {
        let tenant = tenant_id.to_string();
        let found: Vec<Option<RecordVersion>> = stream::iter(evidence_refs.to_vec())
            .map(|r| {
                let tenant = tenant.clone();
                async move { self.version_by_ref(&tenant, &r).await }
            })
            .buffered(16)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }
}
