//! Each account's current records, kept per process between detection runs as the view the
//! detectors read plus the records' stored refs, and brought up to date by reading only the
//! versions stored since ([`RecordStore::records_after_many`]). A delta that touches every
//! account (1 % of a tenant's records) then costs what changed: not a re-read, re-decode and
//! re-sort of every record of every account, and no hashing of records to cite them.
//!
//! The copy is keyed by the account's `versions` stamp in the store, so it is as current as
//! the account-state cache keyed by the same revision. On a backend whose stamps cannot say
//! what came after one (the AWS backend's are counters), every read is a full one and nothing
//! is kept.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;
use revloop_domain::AccountId;
use revloop_domain::records::Record;
use revloop_domain::world::{AccountView, RecordRefs};
use revloop_store::{CitedRecord, Store, StoreResult};

/// One account's current records as detection reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentRecords {
    pub view: AccountView,
    /// The stored evidence ref of each record of `view`.
    pub refs: RecordRefs,
}

impl CurrentRecords {
    fn from_cited(account_id: AccountId, cited: Vec<CitedRecord>) -> Self {
        let mut refs = RecordRefs::new();
        let records: Vec<_> = cited
            .into_iter()
            .map(|c| {
                refs.insert(&c.record, c.evidence_ref);
                c.record
            })
            .collect();
        Self {
            view: AccountView::from_records(account_id, records),
            refs,
        }
    }

    /// Takes later versions, in the order stored. The versions they replace whose refs are
    /// `wanted` go to `replaced`: a delta's previous versions, which the copy held until now.
    fn apply(
        &mut self,
        later: Vec<CitedRecord>,
        wanted: &BTreeSet<String>,
        replaced: &mut BTreeMap<String, Record>,
    ) {
        for c in later {
            let (record_type, id) = (c.record.record_type(), c.record.id());
            if let Some(old_ref) = self
                .refs
                .get(record_type, id)
                .filter(|r| wanted.contains(*r))
                && let Some(old) = self.view.get(record_type, id)
            {
                replaced.insert(old_ref.to_string(), old);
            }
            self.refs.insert(&c.record, c.evidence_ref);
            self.view.upsert(c.record);
        }
    }
}

/// What [`AccountRecordsCache::current_many`] answers.
#[derive(Debug, Default)]
pub struct CurrentRead {
    /// Each account's current records, in the order asked.
    pub accounts: Vec<Arc<CurrentRecords>>,
    /// Of the versions asked for by ref, those the kept copies held until they were brought up
    /// to date (the rest are the store's to read).
    pub replaced: BTreeMap<String, Record>,
}

struct Entry {
    stamp: i64,
    current: Arc<CurrentRecords>,
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

    /// The account's current records, as [`RecordStore::account_cited_records`] answers them.
    pub async fn current(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        account_id: &AccountId,
    ) -> StoreResult<Arc<CurrentRecords>> {
        let mut found = self
            .current_many(
                store,
                tenant_id,
                std::slice::from_ref(account_id),
                &BTreeSet::new(),
            )
            .await?;
        Ok(found.accounts.pop().unwrap_or_default())
    }

    /// [`AccountRecordsCache::current`] for several accounts, in their order: the ones kept
    /// are brought up to date in one store call. The versions with `previous_refs` that this
    /// replaces come back with them.
    pub async fn current_many(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        accounts: &[AccountId],
        previous_refs: &BTreeSet<String>,
    ) -> StoreResult<CurrentRead> {
        let mut replaced = BTreeMap::new();
        let key = |a: &AccountId| (tenant_id.to_string(), a.to_string());
        let mut out: Vec<Option<Arc<CurrentRecords>>> = vec![None; accounts.len()];
        // Taken out while they are brought up to date, so they are patched in place.
        let kept: Vec<(usize, Entry)> = {
            let mut entries = self.entries();
            accounts
                .iter()
                .enumerate()
                .filter_map(|(i, a)| entries.pop(&key(a)).map(|e| (i, e)))
                .collect()
        };
        if !kept.is_empty() {
            let after: Vec<(String, i64)> = kept
                .iter()
                .map(|(i, e)| (accounts[*i].to_string(), e.stamp))
                .collect();
            match store.records_after_many(tenant_id, &after).await? {
                Some(updates) => {
                    for ((i, entry), (later, now)) in kept.into_iter().zip(updates) {
                        let mut current = entry.current;
                        if !later.is_empty() {
                            // Copied only if a reader still holds the previous state.
                            Arc::make_mut(&mut current).apply(later, previous_refs, &mut replaced);
                        }
                        out[i] = Some(current.clone());
                        self.entries().put(
                            key(&accounts[i]),
                            Entry {
                                stamp: now,
                                current,
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
        Ok(CurrentRead {
            accounts: out.into_iter().map(Option::unwrap_or_default).collect(),
            replaced,
        })
    }

    async fn read_in_full(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        account_id: &AccountId,
    ) -> StoreResult<Arc<CurrentRecords>> {
        // The stamp first: versions stored while the records are read come again next time,
        // and applying one twice leaves the same records.
        let stamp = store
            .account_revision(tenant_id, account_id.as_str())
            .await?
            .versions;
        let cited = store
            .account_cited_records(tenant_id, account_id.as_str())
            .await?;
        let current = Arc::new(CurrentRecords::from_cited(account_id.clone(), cited));
        if self.incremental.load(Ordering::Relaxed) {
            self.entries().put(
                (tenant_id.to_string(), account_id.to_string()),
                Entry {
                    stamp,
                    current: current.clone(),
                },
            );
        }
        Ok(current)
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
    use revloop_store::{RecordStore, RecordVersion, SqliteStore, VersionWrite};

    fn version(line: &str) -> RecordVersion {
        revloop_store::conformance::version(line, "ev-1")
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
        let acme = AccountId::parse("acme").unwrap();
        let full = |cited| CurrentRecords::from_cited(acme.clone(), cited);
        let read = store.account_cited_records("t1", "acme").await.unwrap();
        assert_eq!(
            *cache.current(&store, "t1", &acme).await.unwrap(),
            full(read)
        );
        // A change and a new record: the copy is patched, not re-read.
        let u1b = usage("u1", 11, "2026-01-02T00:00:00Z");
        let u3 = usage("u3", 30, "2026-01-02T00:00:00Z");
        store
            .put_versions(&[write(&u1b, Some(&u1)), write(&u3, None)])
            .await
            .unwrap();
        let read = store.account_cited_records("t1", "acme").await.unwrap();
        assert_eq!(read.len(), 4);
        // The version u1b replaced comes back from the copy when asked for by its ref; a ref
        // the copy never held (u3 is new) does not.
        let wanted = BTreeSet::from([u1.evidence_ref.clone(), "rec:usage:u9@0".to_string()]);
        let answer = cache
            .current_many(&store, "t1", std::slice::from_ref(&acme), &wanted)
            .await
            .unwrap();
        assert_eq!(
            answer.replaced,
            BTreeMap::from([(u1.evidence_ref.clone(), u1.record.clone())])
        );
        let patched = answer.accounts[0].clone();
        assert_eq!(*patched, full(read.clone()));
        // The changed usage cites its new version, as stored.
        assert_eq!(
            patched.refs.get("usage", "u1"),
            Some(u1b.evidence_ref.as_str())
        );
        assert_eq!(patched.refs.len(), 4);
        // Nothing new: the same answer again, the same copy.
        let again = cache.current(&store, "t1", &acme).await.unwrap();
        assert!(Arc::ptr_eq(&again, &patched));
        assert_eq!(*again, full(read));
        // Another account of the same store is its own entry.
        let globex = AccountId::parse("globex").unwrap();
        assert!(
            cache
                .current(&store, "t1", &globex)
                .await
                .unwrap()
                .view
                .is_empty()
        );
    }
}
