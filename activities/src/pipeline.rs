//! The perception pipeline's steps as plain functions over a store: normalize and diff a batch,
//! then detect signals on what changed. The activities wrap these with the ledger and Temporal's
//! error classes; `revloop bench perception` runs them directly.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use revloop_domain::records::{Record, RecordKey, parse_jsonl};
use revloop_domain::signals::{
    DetectionContext, Signal, SignalConfig, SignalDetector, builtin, detect_all,
};
use revloop_domain::world::record_ref_with_hash;
use revloop_domain::{AccountId, TenantId};
use revloop_store::{QuarantinedLine, RecordVersion, Store, StoreError, VersionWrite};

use crate::contracts::{DetectOutput, NormalizeOutput, RecordChange, SignalRef};
use crate::records_cache::{AccountRecordsCache, CurrentRecords};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// The detectors' task did not finish (it panicked, or the runtime is shutting down).
    #[error("detection did not finish: {0}")]
    Detection(String),
}

/// The connectors whose batches the API quarantines as it takes them (gRPC and HTTP push).
pub const QUARANTINED_AT_INTAKE: [&str; 2] = ["pushed_batch", crate::connectors::HTTP_PUSH];

/// Parses the batch (quarantining bad lines with their error) and stores each record whose
/// content changed as its new latest version, unless the latest is newer (by `updated_at`):
/// such a stale version is counted and left out, so the records and the world state agree.
pub async fn normalize_batch(
    store: &dyn Store,
    tenant_id: &str,
    evidence_id: &str,
    now: DateTime<Utc>,
) -> Result<NormalizeOutput, PipelineError> {
    let evidence = store
        .get_evidence(tenant_id, evidence_id)
        .await?
        .ok_or_else(|| {
            PipelineError::NotFound(format!("evidence {evidence_id} of tenant {tenant_id}"))
        })?;
    let text = String::from_utf8_lossy(&evidence.content);
    let parsed = parse_jsonl(&text);
    // A pushed batch was quarantined when the API took it, with its lines numbered as in the
    // whole file it came in (a chunk does not know where it starts); others are kept here.
    if !QUARANTINED_AT_INTAKE.contains(&evidence.provenance.connector.as_str()) {
        let lines: Vec<QuarantinedLine> = parsed
            .rejected
            .iter()
            .map(|rejected| QuarantinedLine {
                tenant_id: tenant_id.to_string(),
                batch_id: evidence_id.to_string(),
                line: rejected.line,
                field: rejected.field.clone(),
                message: rejected.message.clone(),
                raw: rejected.raw.clone(),
                at: now,
            })
            .collect();
        store.quarantine_all(&lines).await?;
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut stale = 0;
    // Later lines win when a batch holds two versions of one record.
    let mut latest_in_batch: BTreeMap<_, (usize, Record)> = BTreeMap::new();
    for (line, rec) in parsed.records {
        latest_in_batch.insert(rec.key(), (line, rec));
    }
    let accepted = latest_in_batch.len();
    let mut batch = latest_in_batch.into_iter();
    // The diff goes in groups of at most the store's `max_version_writes` keys: one read of
    // their latest versions, one all-or-nothing write of what changed (DynamoDB: BatchGetItem
    // and one TransactWriteItems).
    let group_size = store.max_version_writes();
    loop {
        let group: Vec<(RecordKey, (usize, Record))> = batch.by_ref().take(group_size).collect();
        if group.is_empty() {
            break;
        }
        let keys: Vec<RecordKey> = group.iter().map(|(key, _)| key.clone()).collect();
        let latest = store.latest_versions(tenant_id, &keys).await?;
        let mut writes = Vec::new();
        for ((key, (line, rec)), latest) in group.into_iter().zip(latest) {
            // A version never replaces a newer one, whatever order deliveries arrive in (a
            // replayed or late webhook, a source re-sending its history).
            if latest
                .as_ref()
                .is_some_and(|l| l.record.updated_at() > rec.updated_at())
            {
                stale += 1;
                continue;
            }
            let hash = rec.content_hash();
            if let Some(latest) = latest.as_ref().filter(|l| l.content_hash == hash) {
                // Written from this very batch (an earlier attempt, or the same bytes ingested
                // again): still this batch's change, with the same predecessor.
                if latest.evidence_id == evidence_id {
                    changes.push(RecordChange {
                        record_key: key.to_string(),
                        account_id: latest.account_id.clone(),
                        evidence_ref: latest.evidence_ref.clone(),
                        previous_ref: latest.previous_ref.clone(),
                    });
                } else {
                    unchanged += 1;
                }
                continue;
            }
            let previous = latest;
            let evidence_ref = record_ref_with_hash(&rec, &hash);
            let version = RecordVersion {
                tenant_id: tenant_id.to_string(),
                key: key.clone(),
                account_id: rec.account_id().to_string(),
                content_hash: hash,
                evidence_ref,
                trust_class: rec.trust_class().into(),
                record: rec,
                evidence_id: evidence_id.to_string(),
                line,
                previous_ref: previous.as_ref().map(|p| p.evidence_ref.clone()),
                observed_at: now,
                source: evidence.provenance.source.clone(),
            };
            changes.push(RecordChange {
                record_key: key.to_string(),
                account_id: version.account_id.clone(),
                evidence_ref: version.evidence_ref.clone(),
                previous_ref: version.previous_ref.clone(),
            });
            writes.push(VersionWrite {
                version,
                expected_hash: previous.map(|p| p.content_hash),
            });
        }
        // A lost race (Conflict) fails the group; the activity is retried and re-diffs
        // against the winner.
        if !writes.is_empty() {
            store.put_versions(&writes).await?;
        }
    }
    Ok(NormalizeOutput {
        accepted,
        unchanged,
        stale,
        rejected: parsed.rejected.len(),
        changed: changes.len(),
        changes,
        change_set: None,
        world: Default::default(),
    })
}

/// Parses the `type:id` form that record keys travel in.
fn record_key(text: &str) -> Result<RecordKey, PipelineError> {
    let (record_type, id) = text
        .split_once(':')
        .ok_or_else(|| PipelineError::Invalid(format!("record key {text:?} is not type:id")))?;
    Ok(RecordKey {
        record_type: record_type.to_string(),
        id: id.to_string(),
    })
}

/// How many accounts detection reads, detects on and writes signals for together: each store
/// call then serves them all (a delta touching every account costs a few calls per chunk, not
/// per account), and a batch's memory stays bounded by the chunk (two chunks: the one being
/// detected on and the next, read meanwhile).
const DETECT_CHUNK: usize = 64;

/// Runs every detector on each account that changed; stores the signals and returns the new
/// ones. A signal detected at this run's `now` counts as new even if an earlier attempt of the
/// same run stored it, so a retried step still emits it.
///
/// Chunk by chunk, the detectors run on the blocking pool while the next chunk is read, so
/// the store's work and the detectors' overlap.
pub async fn detect_changes(
    store: &dyn Store,
    records: &AccountRecordsCache,
    tenant_id: &str,
    changes: &[RecordChange],
    now: DateTime<Utc>,
    config: &SignalConfig,
) -> Result<DetectOutput, PipelineError> {
    let tenant = TenantId::parse(tenant_id).map_err(|e| PipelineError::Invalid(e.to_string()))?;
    let mut by_account: BTreeMap<&str, Vec<&RecordChange>> = BTreeMap::new();
    for change in changes {
        by_account
            .entry(change.account_id.as_str())
            .or_default()
            .push(change);
    }
    let accounts: Vec<(&str, Vec<&RecordChange>)> = by_account.into_iter().collect();
    let chunks: Vec<_> = accounts.chunks(DETECT_CHUNK).collect();
    let detectors = Arc::new(builtin());
    let config = Arc::new(config.clone());
    let mut output = DetectOutput {
        new_signals: Vec::new(),
        already_known: 0,
        new_signal_count: 0,
        signal_set: None,
    };
    let mut read = match chunks.first() {
        Some(first) => Some(read_chunk(store, records, tenant_id, first).await?),
        None => None,
    };
    for next in (1..=chunks.len()).map(|i| chunks.get(i)) {
        let Some(accounts) = read.take() else { break };
        let (tenant, config, detectors) = (tenant.clone(), config.clone(), detectors.clone());
        let detecting = tokio::task::spawn_blocking(move || {
            detect_accounts(&accounts, &tenant, now, &config, &detectors)
        });
        let reading = async {
            match next {
                Some(chunk) => read_chunk(store, records, tenant_id, chunk).await.map(Some),
                None => Ok(None),
            }
        };
        let (signals, next_read) = tokio::join!(detecting, reading);
        let signals = signals.map_err(|e| PipelineError::Detection(e.to_string()))?;
        read = next_read?;
        let found = store_signals(store, &signals, now).await?;
        output.new_signals.extend(found.new_signals);
        output.already_known += found.already_known;
    }
    output.new_signal_count = output.new_signals.len();
    Ok(output)
}

/// What the detectors look at for one account.
struct AccountInput {
    current: Arc<CurrentRecords>,
    changed: BTreeSet<RecordKey>,
    previous: BTreeMap<RecordKey, Record>,
}

/// A chunk's accounts as the detectors see them: their current records in one store call
/// (the kept ones brought up to date) and the previous versions of what changed in one.
async fn read_chunk(
    store: &dyn Store,
    cache: &AccountRecordsCache,
    tenant_id: &str,
    chunk: &[(&str, Vec<&RecordChange>)],
) -> Result<Vec<AccountInput>, PipelineError> {
    let ids = chunk
        .iter()
        .map(|(a, _)| AccountId::parse(*a).map_err(|e| PipelineError::Invalid(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let previous_refs: BTreeSet<String> = chunk
        .iter()
        .flat_map(|(_, changes)| changes.iter().filter_map(|c| c.previous_ref.clone()))
        .collect();
    // The kept copies hold most previous versions until they take the new ones; the store
    // answers for the rest.
    let read = cache
        .current_many(store, tenant_id, &ids, &previous_refs)
        .await?;
    let mut previous_by_ref = read.replaced;
    let missing: Vec<String> = previous_refs
        .into_iter()
        .filter(|r| !previous_by_ref.contains_key(r))
        .collect();
    for version in store.versions_by_refs(tenant_id, &missing).await? {
        previous_by_ref.insert(version.evidence_ref, version.record);
    }
    let current = read.accounts;
    chunk
        .iter()
        .zip(current)
        .map(|((_, changes), current)| {
            let changed = changes
                .iter()
                .map(|c| record_key(&c.record_key))
                .collect::<Result<BTreeSet<_>, _>>()?;
            let previous = changes
                .iter()
                .filter_map(|c| {
                    c.previous_ref
                        .as_ref()
                        .and_then(|r| previous_by_ref.remove(r))
                })
                .map(|record| (record.key(), record))
                .collect();
            Ok(AccountInput {
                current,
                changed,
                previous,
            })
        })
        .collect()
}

/// Every detector on each account of a chunk: pure, so it runs off the async threads.
fn detect_accounts(
    accounts: &[AccountInput],
    tenant: &TenantId,
    now: DateTime<Utc>,
    config: &SignalConfig,
    detectors: &[Box<dyn SignalDetector>],
) -> Vec<Signal> {
    let mut signals = Vec::new();
    for account in accounts {
        let ctx = DetectionContext {
            tenant_id: tenant,
            current: &account.current.view,
            current_refs: &account.current.refs,
            previous: &account.previous,
            changed: &account.changed,
            now,
            config,
        };
        signals.extend(detect_all(detectors, &ctx));
    }
    signals
}

/// One write of a chunk's signals; which of them are new.
async fn store_signals(
    store: &dyn Store,
    signals: &[Signal],
    now: DateTime<Utc>,
) -> Result<DetectOutput, PipelineError> {
    let mut output = DetectOutput {
        new_signals: Vec::new(),
        already_known: 0,
        new_signal_count: 0,
        signal_set: None,
    };
    for (stored, inserted) in store.put_signals(signals).await? {
        if inserted || stored.detected_at == now {
            output.new_signals.push(SignalRef {
                signal_id: stored.signal_id.clone(),
                signal_type: stored.signal_type.as_str(),
                account_id: stored.account_id.to_string(),
            });
        } else {
            output.already_known += 1;
        }
    }
    output.new_signal_count = output.new_signals.len();
    Ok(output)
}

#[cfg(test)]
mod tests {
    use revloop_store::{Evidence, EvidenceStore, Provenance, RecordStore, SqliteStore};

    use super::*;

    async fn ingest(store: &SqliteStore, jsonl: &str, now: DateTime<Utc>) -> NormalizeOutput {
        let provenance = Provenance {
            source: "test".into(),
            connector: "test".into(),
            fetched_at: now,
            cursor: None,
            trust_class: "crm".into(),
        };
        let evidence = Evidence::new("t1", jsonl.as_bytes().to_vec(), provenance);
        store.put_evidence(&evidence).await.unwrap();
        normalize_batch(store, "t1", &evidence.evidence_id, now)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_older_version_arriving_later_never_replaces_the_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
        let now = Utc::now();
        let newer = r#"{"type":"account","id":"acme","updated_at":"2026-03-02T00:00:00Z","name":"Acme New"}"#;
        let older = r#"{"type":"account","id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme Old"}"#;
        assert_eq!(ingest(&store, newer, now).await.changed, 1);
        let replayed = ingest(&store, older, now).await;
        assert_eq!((replayed.changed, replayed.stale), (0, 1));
        let key = RecordKey {
            record_type: "account".into(),
            id: "acme".into(),
        };
        let latest = store.latest_version("t1", &key).await.unwrap().unwrap();
        let Record::Account(account) = latest.record else {
            panic!("an account")
        };
        assert_eq!(account.name, "Acme New");
        // The world state is computed from the versions: the stale one is not among them.
        assert_eq!(store.account_versions("t1", "acme").await.unwrap().len(), 1);
    }
}
