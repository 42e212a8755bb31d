//! Computed account worlds, kept per account revision and stable span.
//!
//! An entry answers for an instant only if the account's revision is still the one it was
//! computed at (no record version, signal or snapshot of the account and no configuration
//! change since) and the instant lies inside the entry's stable span (no claim has gone stale,
//! no signal expired, nothing newer became known in between). Anything else is a miss and is
//! computed afresh, so the cache is never stale against a newer snapshot, only faster.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use lru::LruCache;
use revloop_domain::world::StableSpan;
use revloop_store::{AccountRevision, Store, StoreError};

use super::{AccountWorld, account_world};

/// Spans kept per account: "now" and a few instants of the past.
const SPANS_PER_ACCOUNT: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
}

impl CacheOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
        }
    }
}

struct Entry {
    revision: AccountRevision,
    span: StableSpan,
    world: Arc<AccountWorld>,
}

type Key = (String, String);

/// Least-recently-used accounts are dropped first once `capacity` accounts are cached.
pub struct AccountStateCache {
    entries: Mutex<LruCache<Key, Vec<Entry>>>,
}

impl AccountStateCache {
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    fn lookup(
        &self,
        key: &Key,
        revision: AccountRevision,
        as_of: DateTime<Utc>,
    ) -> Option<Arc<AccountWorld>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let spans = entries.get_mut(key)?;
        spans.retain(|e| e.revision == revision);
        spans
            .iter()
            .find(|e| e.span.contains(as_of))
            .map(|e| e.world.clone())
    }

    fn insert(&self, key: Key, entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let spans = entries.get_or_insert_mut(key, Vec::new);
        spans.retain(|e| e.revision == entry.revision);
        spans.insert(0, entry);
        spans.truncate(SPANS_PER_ACCOUNT);
    }

    /// The account's world as of `as_of`, from the cache when an entry still holds.
    pub async fn get(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        account_id: &str,
        as_of: DateTime<Utc>,
    ) -> Result<(AccountWorld, CacheOutcome), StoreError> {
        // The revision is read before the world: a write that lands in between leaves an entry
        // under the older revision, which the next read then no longer matches.
        let revision = store.account_revision(tenant_id, account_id).await?;
        let key = (tenant_id.to_string(), account_id.to_string());
        if let Some(world) = self.lookup(&key, revision, as_of) {
            return Ok((world.at(as_of), CacheOutcome::Hit));
        }
        let (world, span) = account_world(store, tenant_id, account_id, as_of).await?;
        let world = Arc::new(world);
        self.insert(
            key,
            Entry {
                revision,
                span,
                world: world.clone(),
            },
        );
        Ok((Arc::unwrap_or_clone(world), CacheOutcome::Miss))
    }

    /// How many accounts have entries.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
