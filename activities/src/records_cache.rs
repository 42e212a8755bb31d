//! Each account's current records, kept per process between detection runs, and brought up to
//! date by reading only the versions stored since ([`RecordStore::records_after`]). A delta
//! that touches every account (1 % of a tenant's records) then costs what changed, not a
//! re-read and re-decode of every record of every account.
//!
//! The copy is keyed by the account's `versions` stamp in the store, so it is as current as
//! the account-state cache keyed by the same revision. On a backend whose stamps cannot say
//! what came after one (the AWS backend's are counters), every read is a full one and nothing
//! is kept.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;
use revloop_domain::records::{Record, RecordKey};
use revloop_store::{Store, StoreResult};

struct Entry {
    stamp: i64,
    records: Arc<BTreeMap<RecordKey, Record>>,
}

pub struct AccountRecordsCache {
    entries: Mutex<LruCache<(String, String), Entry>>,
    /// Cleared once the store answers that it cannot list what came after a stamp.
    incremental: AtomicBool,
}

impl AccountRecordsCache {
    /// Keeps at most `accounts` accounts' records (the least recently read go first).
    pub fn new(accounts: NonZeroUsize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(accounts)),
            incremental: AtomicBool::new(true),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, LruCache<(String, String), Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The account's current records, ordered by key, as [`RecordStore::account_records`]
    /// answers them.
    pub async fn records(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<Record>> {
        let mut found = self
            .records_many(store, tenant_id, &[account_id.to_string()])
            .await?;
        Ok(found.pop().unwrap_or_default())
    }

    /// [`AccountRecordsCache::records`] for several accounts, in their order: the ones kept
    /// are brought up to date in one store call.
    pub async fn records_many(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        accounts: &[String],
    ) -> StoreResult<Vec<Vec<Record>>> {
        let mut out: Vec<Option<Vec<Record>>> = vec![None; accounts.len()];
        // Taken out while they are brought up to date, so they are patched in place.
        let kept: Vec<(usize, Entry)> = {
            let mut entries = self.entries();
            accounts
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    entries
                        .pop(&(tenant_id.to_string(), a.clone()))
                        .map(|e| (i, e))
                })
                .collect()
        };
        if !kept.is_empty() {
            let after: Vec<(String, i64)> = kept
                .iter()
                .map(|(i, e)| (accounts[*i].clone(), e.stamp))
                .collect();
            match store.records_after_many(tenant_id, &after).await? {
                Some(updates) => {
                    for ((i, entry), (changed, now)) in kept.into_iter().zip(updates) {
                        let mut records = Arc::unwrap_or_clone(entry.records);
                        for record in changed {
                            records.insert(record.key(), record);
                        }
                        out[i] = Some(records.values().cloned().collect());
                        self.entries().put(
                            (tenant_id.to_string(), accounts[i].clone()),
                            Entry {
                                stamp: now,
                                records: Arc::new(records),
                            },
                        );
                    }
                }
                None => {
                    self.incremental.store(false, Ordering::Relaxed);
                    self.entries().clear();
                }
            }
        }
        for (i, slot) in out.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = Some(self.read_in_full(store, tenant_id, &accounts[i]).await?);
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn read_in_full(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<Record>> {
        // The stamp first: versions stored while the records are read come again next time,
        // and applying one twice leaves the same records.
        let stamp = store
            .account_revision(tenant_id, account_id)
            .await?
            .versions;
        let records = store.account_records(tenant_id, account_id).await?;
        if self.incremental.load(Ordering::Relaxed) {
            let by_key = records.iter().map(|r| (r.key(), r.clone())).collect();
            self.entries().put(
                (tenant_id.to_string(), account_id.to_string()),
                Entry {
                    stamp,
                    records: Arc::new(by_key),
                },
            );
        }
        Ok(records)
    }
}

impl Default for AccountRecordsCache {
    /// Room for 2 000 accounts: at about 150 records each, some 150 MiB of a worker's memory.
    fn default() -> Self {
        Self::new(NonZeroUsize::new(2_000).expect("non-zero"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use revloop_domain::records::parse_line;
    use revloop_store::{RecordStore, RecordVersion, SqliteStore, VersionWrite};

    fn version(line: &str) -> RecordVersion {
        let record = parse_line(1, line).unwrap();
        RecordVersion {
            tenant_id: "t1".into(),
            key: record.key(),
            account_id: record.account_id().to_string(),
            content_hash: record.content_hash(),
            evidence_ref: revloop_domain::world::record_ref(&record),
            record,
            evidence_id: "ev-1".into(),
            line: 1,
            previous_ref: None,
            trust_class: "crm".into(),
            observed_at: Utc::now(),
            source: "crm".into(),
        }
    }

    /// What the cache answers after each write is exactly what a full read answers.
    #[tokio::test]
    async fn a_patched_copy_answers_what_a_full_read_does() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
        let cache = AccountRecordsCache::default();
        let account = version(
            r#"{"type":"account","id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Acme"}"#,
        );
        let usage = |id: &str, value: u32, at: &str| {
            version(&format!(
                r#"{{"type":"usage","id":"{id}","account_id":"acme","updated_at":"{at}","date":"2026-01-01","metric":"api_calls","value":{value}}}"#
            ))
        };
        let write = |v: &RecordVersion, expected: Option<&RecordVersion>| VersionWrite {
            version: v.clone(),
            expected_hash: expected.map(|e| e.content_hash.clone()),
        };
        let (u1, u2) = (
            usage("u1", 10, "2026-01-01T00:00:00Z"),
            usage("u2", 20, "2026-01-01T00:00:00Z"),
        );
        store
            .put_versions(&[write(&account, None), write(&u1, None), write(&u2, None)])
            .await
            .unwrap();
        let full = store.account_records("t1", "acme").await.unwrap();
        assert_eq!(cache.records(&store, "t1", "acme").await.unwrap(), full);
        // A change and a new record: the copy is patched, not re-read.
        let u1b = usage("u1", 11, "2026-01-02T00:00:00Z");
        let u3 = usage("u3", 30, "2026-01-02T00:00:00Z");
        store
            .put_versions(&[write(&u1b, Some(&u1)), write(&u3, None)])
            .await
            .unwrap();
        let full = store.account_records("t1", "acme").await.unwrap();
        assert_eq!(full.len(), 4);
        assert_eq!(cache.records(&store, "t1", "acme").await.unwrap(), full);
        // Nothing new: the same answer again.
        assert_eq!(cache.records(&store, "t1", "acme").await.unwrap(), full);
        // Another account of the same store is its own entry.
        assert!(
            cache
                .records(&store, "t1", "globex")
                .await
                .unwrap()
                .is_empty()
        );
    }
}
