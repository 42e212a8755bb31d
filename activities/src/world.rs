//! The world model as the activities and the API use it: an account's record versions become
//! observations, the observations entity states, and those with the account's signals the
//! account state. After each batch, the touched accounts' entity states are checked against
//! their schemas and written as snapshots (a state that fails its schema is not written), and
//! the situation graph gains the edges their records assert.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use revloop_domain::decision::clarify;
use revloop_domain::ledger::LedgerKind;
use revloop_domain::records::Record;
use revloop_domain::world::graph::edges_of;
use revloop_domain::world::memory::chunks_of;
use revloop_domain::world::state::{
    EntityRef, EntityState, Observation, Provenance, SchemaChecker, StateConfig, builtin_schemas,
    entity_of, entity_states, observations_of_all, tier,
};
use revloop_domain::world::{
    AccountFacts, AccountState, StableSpan, account_state, account_state_at, entity_state_at,
    stable_span, usage_series,
};
use revloop_store::{EntitySnapshot, RecordVersion, SnapshotRef, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::contracts::RecordChange;
use crate::governance::LedgerScope;
use crate::memory::MemoryIndex;

mod cache;
pub mod graph_query;

pub use cache::{AccountStateCache, CacheOutcome};

async fn state_config(store: &dyn Store, tenant_id: &str) -> Result<StateConfig, StoreError> {
    Ok(store
        .get_tenant(tenant_id)
        .await?
        .map(|t| t.config.world)
        .unwrap_or_default())
}

/// A stored version with where it came from.
fn with_provenance(v: &RecordVersion) -> (&Record, Provenance<'_>) {
    // Versions stored before sources were kept count as their trust class speaking.
    let source = if v.source.is_empty() {
        &v.trust_class
    } else {
        &v.source
    };
    (
        &v.record,
        Provenance {
            evidence_id: &v.evidence_ref,
            source,
            trust_class: &v.trust_class,
            observed_at: v.observed_at,
        },
    )
}

/// Every claim the account's record versions make.
fn observations_of_versions(versions: &[RecordVersion]) -> Vec<Observation> {
    observations_of_all(versions.iter().map(with_provenance))
}

/// Every claim about the account: its record versions', and the answers people gave to its
/// questions (`user_input`, which settle what was disputed when they answered).
async fn account_observations(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
    versions: &[RecordVersion],
) -> Result<Vec<Observation>, StoreError> {
    let mut observations = observations_of_versions(versions);
    for answer in store.account_answers(tenant_id, account_id).await? {
        if let Some(entity) = clarify::parse_entity(&answer.entity) {
            observations.push(clarify::answer_observation(
                &entity,
                &answer.field,
                answer.value,
                &answer.evidence_id,
                answer.answered_at,
            ));
        }
    }
    Ok(observations)
}

/// Where a supporting artifact lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// A stored entity snapshot, `snap:{type}:{id}@{state hash}`.
    Snapshot,
    /// A stored evidence batch the account's records were read from.
    Evidence,
}

/// A stored artifact the account state rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportingArtifact {
    pub kind: ArtifactKind,
    pub reference: String,
    /// When the snapshot was taken, or the newest observation the batch holds.
    pub as_of: DateTime<Utc>,
}

/// The account state, the entity states it was computed from, and the stored artifacts it
/// rests on, as of one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountWorld {
    pub state: AccountState,
    pub entities: Vec<EntityState>,
    pub supporting: Vec<SupportingArtifact>,
}

impl AccountWorld {
    /// The same world as of another instant of its stable span.
    pub fn at(&self, as_of: DateTime<Utc>) -> AccountWorld {
        AccountWorld {
            state: account_state_at(&self.state, as_of),
            entities: self
                .entities
                .iter()
                .map(|e| entity_state_at(e, as_of))
                .collect(),
            supporting: self.supporting.clone(),
        }
    }

    /// Every supporting snapshot, by reference.
    pub fn snapshot_refs(&self) -> Vec<String> {
        self.supporting
            .iter()
            .filter(|a| a.kind == ArtifactKind::Snapshot)
            .map(|a| a.reference.clone())
            .collect()
    }

    /// The account's own snapshot among the supporting artifacts: what a decision made on this
    /// state binds to.
    pub fn account_snapshot(&self) -> Option<&str> {
        let own = format!("snap:account:{}@", self.state.account_id);
        self.supporting
            .iter()
            .find(|a| a.kind == ArtifactKind::Snapshot && a.reference.starts_with(&own))
            .map(|a| a.reference.as_str())
    }
}

/// Per entity, its latest snapshot taken at or before `as_of`; and per evidence batch the
/// newest observation it holds, for the versions known by then.
fn supporting_artifacts(
    snapshots: &[SnapshotRef],
    versions: &[RecordVersion],
    as_of: DateTime<Utc>,
) -> Vec<SupportingArtifact> {
    let mut latest: BTreeMap<&EntityRef, &SnapshotRef> = BTreeMap::new();
    for s in snapshots.iter().filter(|s| s.as_of <= as_of) {
        if latest.get(&s.entity).is_none_or(|l| l.as_of <= s.as_of) {
            latest.insert(&s.entity, s);
        }
    }
    let mut batches: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for v in versions.iter().filter(|v| v.observed_at <= as_of) {
        let newest = batches.entry(&v.evidence_id).or_insert(v.observed_at);
        *newest = (*newest).max(v.observed_at);
    }
    let snapshot_artifacts = latest.values().map(|s| SupportingArtifact {
        kind: ArtifactKind::Snapshot,
        reference: s.key(),
        as_of: s.as_of,
    });
    let evidence_artifacts = batches.into_iter().map(|(id, at)| SupportingArtifact {
        kind: ArtifactKind::Evidence,
        reference: id.to_string(),
        as_of: at,
    });
    snapshot_artifacts.chain(evidence_artifacts).collect()
}

/// The account's world as of `as_of`, and the span of instants over which it stays the same
/// but for its age.
pub async fn account_world(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
    as_of: DateTime<Utc>,
) -> Result<(AccountWorld, StableSpan), StoreError> {
    let versions = store.account_versions(tenant_id, account_id).await?;
    world_of_versions(store, tenant_id, account_id, &versions, as_of).await
}

/// What a decision reads of the account as of `as_of`: its world (entity states with the
/// answers people gave, the account state) and its recent daily usage; and the world itself,
/// for the snapshots it rests on.
pub async fn account_facts(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
    as_of: DateTime<Utc>,
) -> Result<(AccountFacts, AccountWorld), StoreError> {
    let versions = store.account_versions(tenant_id, account_id).await?;
    let (world, _) = world_of_versions(store, tenant_id, account_id, &versions, as_of).await?;
    let usage = usage_series(versions.iter().map(with_provenance), as_of);
    let facts = AccountFacts::new(
        account_id.to_string(),
        as_of,
        world.state.clone(),
        world.entities.clone(),
        usage,
    );
    Ok((facts, world))
}

async fn world_of_versions(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
    versions: &[RecordVersion],
    as_of: DateTime<Utc>,
) -> Result<(AccountWorld, StableSpan), StoreError> {
    let observations = account_observations(store, tenant_id, account_id, versions).await?;
    let config = state_config(store, tenant_id).await?;
    let entities = entity_states(&observations, as_of, &config);
    let signals = store.list_signals(tenant_id, Some(account_id)).await?;
    let snapshots = store.account_snapshots(tenant_id, account_id).await?;
    let state = account_state(account_id, &entities, &signals, as_of);
    let span = stable_span(&observations, &signals, &config, as_of).narrowed(
        snapshots
            .iter()
            .map(|s| s.as_of)
            .chain(versions.iter().map(|v| v.observed_at)),
        as_of,
    );
    let world = AccountWorld {
        state,
        entities,
        supporting: supporting_artifacts(&snapshots, versions, as_of),
    };
    Ok((world, span))
}

/// What a batch did to the world model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorldUpdate {
    /// New snapshots written (states that did not change are not written again).
    pub snapshots: usize,
    /// The first states refused by the schema registry: `{entity}: {why}` (each refusal is
    /// ledgered). Nothing was written for them.
    pub errors: Vec<String>,
    /// How many states were refused in all.
    #[serde(default)]
    pub refused: usize,
}

/// For the batch's changes: links what the changed records assert into the graph, indexes their
/// text into memory, and checks the state of every entity they touch (their own, and their
/// account's) against its schema as of `now`, writing the ones that conform as snapshots. Each
/// refusal is ledgered.
pub async fn update_snapshots(
    store: &dyn Store,
    memory: &dyn MemoryIndex,
    scope: &LedgerScope,
    changes: &[RecordChange],
    now: DateTime<Utc>,
) -> Result<WorldUpdate, StoreError> {
    let tenant = store
        .get_tenant(&scope.tenant_id)
        .await?
        .map(|t| t.config)
        .unwrap_or_default();
    let (config, competitors) = (tenant.world, tenant.signals.competitors);
    let checker = SchemaChecker::new(builtin_schemas());
    let mut update = WorldUpdate::default();
    let accounts: BTreeSet<&str> = changes.iter().map(|c| c.account_id.as_str()).collect();
    let changed: BTreeSet<&str> = changes.iter().map(|c| c.evidence_ref.as_str()).collect();
    // Indexed once for the whole batch: each index commit costs a writer and an fsync.
    let mut chunks = Vec::new();
    for account in accounts {
        let versions = store.account_versions(&scope.tenant_id, account).await?;
        let new: Vec<&RecordVersion> = versions
            .iter()
            .filter(|v| changed.contains(v.evidence_ref.as_str()))
            .collect();
        let by_record: Vec<(String, Vec<_>)> = new
            .iter()
            .map(|v| (v.key.to_string(), edges_of(&v.record, &competitors)))
            .collect();
        store
            .replace_edges(&scope.tenant_id, account, &by_record)
            .await?;
        // A changed record's new chunks replace its earlier ones.
        chunks.extend(
            new.iter()
                .flat_map(|v| chunks_of(&v.record, &v.evidence_ref)),
        );
        let mut touched: BTreeSet<EntityRef> = new.iter().map(|v| entity_of(&v.record)).collect();
        touched.insert(EntityRef::new("account", account));
        let observations =
            account_observations(store, &scope.tenant_id, account, &versions).await?;
        let states = entity_states(&observations, now, &config);
        let mut snapshots = Vec::new();
        for state in states.into_iter().filter(|s| touched.contains(&s.entity)) {
            match checker.check(&state, &config.schemas) {
                Ok(schema) => snapshots.push(EntitySnapshot {
                    tenant_id: scope.tenant_id.clone(),
                    account_id: account.to_string(),
                    entity: state.entity.clone(),
                    state_hash: state.state_hash.clone(),
                    as_of: now,
                    schema,
                    tier: tier(&state),
                    state,
                }),
                Err(e) => {
                    let entity = state.entity.to_string();
                    let payload = serde_json::json!({
                        "entity": entity,
                        "validator": "schema_registry",
                        "result": "BLOCK",
                        "reason": e.to_string(),
                        "details": e,
                    });
                    scope
                        .append(
                            store,
                            &format!("/schema/{entity}"),
                            LedgerKind::Validation,
                            None,
                            &payload,
                        )
                        .await?;
                    update.refused += 1;
                    if update.errors.len() < crate::batch_sets::SAMPLE {
                        update.errors.push(format!("{entity}: {e}"));
                    }
                }
            }
        }
        update.snapshots += store.put_snapshots(&snapshots).await?;
    }
    memory
        .index(&scope.tenant_id, &chunks)
        .await
        .map_err(|e| StoreError::new(revloop_store::StoreErrorKind::Unavailable, e.to_string()))?;
    Ok(update)
}
