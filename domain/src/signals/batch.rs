//! Detection over a whole batch: group records by account, work out what changed against the
//! previous versions, and run every detector per account. The offline `revloop signals detect`
//! and the tests use this; the perception activity does the same against the store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{DetectionContext, Signal, SignalConfig, SignalDetector, detect_all};
use crate::ids::TenantId;
use crate::records::{Record, RecordKey};
use crate::world::AccountView;

/// Keys of `current` records that are new or differ from their `previous` version.
pub fn changed_keys(
    current: &[Record],
    previous: &BTreeMap<RecordKey, Record>,
) -> BTreeSet<RecordKey> {
    current
        .iter()
        .filter(|r| {
            previous
                .get(&r.key())
                .is_none_or(|p| p.content_hash() != r.content_hash())
        })
        .map(Record::key)
        .collect()
}

/// Runs `detectors` over `current` (latest versions) against `previous` (earlier versions),
/// account by account; signals sorted by account, then id.
pub fn detect_batch(
    detectors: &[Box<dyn SignalDetector>],
    tenant_id: &TenantId,
    current: Vec<Record>,
    previous: Vec<Record>,
    now: DateTime<Utc>,
    config: &SignalConfig,
) -> Vec<Signal> {
    // Later versions of one record in a batch replace earlier ones.
    let current: BTreeMap<RecordKey, Record> = current.into_iter().map(|r| (r.key(), r)).collect();
    let previous: BTreeMap<RecordKey, Record> =
        previous.into_iter().map(|r| (r.key(), r)).collect();
    let mut by_account: BTreeMap<_, Vec<Record>> = BTreeMap::new();
    for record in current.into_values() {
        by_account
            .entry(record.account_id().clone())
            .or_default()
            .push(record);
    }
    let mut signals = Vec::new();
    for (account_id, records) in by_account {
        let changed = changed_keys(&records, &previous);
        let view = AccountView::from_records(account_id, records);
        let ctx = DetectionContext {
            tenant_id,
            current: &view,
            current_refs: &crate::world::NO_REFS,
            previous: &previous,
            changed: &changed,
            now,
            config,
        };
        signals.extend(detect_all(detectors, &ctx));
    }
    signals
}
