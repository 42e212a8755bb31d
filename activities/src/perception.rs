//! Perception activities, in loop order: fetch a batch, normalize and diff it against the last
//! versions seen, detect signals, and hand new signals to their AccountWorkflows.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use revloop_domain::ledger::LedgerKind;
use revloop_domain::records::{Record, RecordKey, parse_jsonl};
use revloop_domain::signals::{DetectionContext, builtin, detect_all};
use revloop_domain::world::{AccountView, record_ref};
use revloop_domain::{AccountId, TenantId};
use revloop_store::{QuarantinedLine, RecordVersion, TenantConfig};
use temporalio_client::{
    UntypedSignal, UntypedWorkflow, WorkflowIdConflictPolicy, WorkflowStartOptions,
};
use temporalio_common::data_converters::{PayloadConverter, RawValue};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::connectors::{self, ConnectorError, source_kind};
use crate::contracts::*;
use crate::ledger_hook::{LedgerRecord, record};
use crate::{Deps, error, search_attributes};

pub struct PerceptionActivities {
    deps: Deps,
    connectors: Vec<Box<dyn connectors::Connector>>,
}

impl PerceptionActivities {
    pub fn new(deps: Deps) -> Self {
        let connectors = connectors::builtin(deps.store.clone(), deps.settings.inbox_dir.clone());
        Self { deps, connectors }
    }

    /// Runs every connector's side-effect-free check; the worker calls this at start-up.
    pub async fn check_connectors(&self) -> Result<(), ConnectorError> {
        for c in &self.connectors {
            c.check().await?;
        }
        Ok(())
    }
}

/// Parses the `type:id` form that record keys travel in.
fn record_key(text: &str) -> Result<RecordKey, ActivityError> {
    let (record_type, id) = text.split_once(':').ok_or_else(|| {
        error::non_retryable(
            error::INVALID_INPUT,
            format!("record key {text:?} is not type:id"),
        )
    })?;
    Ok(RecordKey {
        record_type: record_type.to_string(),
        id: id.to_string(),
    })
}

fn tenant(id: &str) -> Result<TenantId, ActivityError> {
    TenantId::parse(id).map_err(|e| error::non_retryable(error::INVALID_INPUT, e.to_string()))
}

async fn tenant_config(deps: &Deps, tenant_id: &str) -> Result<TenantConfig, ActivityError> {
    Ok(deps
        .store
        .get_tenant(tenant_id)
        .await
        .map_err(error::store)?
        .map(|t| t.config)
        .unwrap_or_default())
}

#[activities]
impl PerceptionActivities {
    /// Reads the batch through its connector and stores it as immutable evidence.
    #[activity]
    pub async fn fetch_delta(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: FetchInput,
    ) -> Result<FetchOutput, ActivityError> {
        tenant(&input.tenant_id)?;
        let kind = source_kind(&*self.deps.store, &input.tenant_id, &input.source)
            .await
            .map_err(|e| match e {
                ConnectorError::Invalid(m) => error::non_retryable(error::INVALID_INPUT, m),
                ConnectorError::Unavailable(m) => ActivityError::from(anyhow::anyhow!(m)),
            })?;
        let connector = self
            .connectors
            .iter()
            .find(|c| c.kind() == kind)
            .ok_or_else(|| {
                error::non_retryable(error::INVALID_INPUT, format!("no connector for {kind}"))
            })?;
        // Pulls can be long: heartbeat while the connector works, so a worker that dies
        // mid-pull is noticed within the heartbeat timeout and the pull retried elsewhere.
        let fetch = connector.fetch(&input.tenant_id, &input.source, input.now);
        tokio::pin!(fetch);
        let mut beat = tokio::time::interval(std::time::Duration::from_secs(2));
        let fetched = loop {
            tokio::select! {
                done = &mut fetch => break done,
                _ = beat.tick() => { ctx.record_heartbeat(()).await?; }
            }
        };
        let evidence = fetched.map_err(|e| match e {
            ConnectorError::Invalid(m) => error::non_retryable(error::INVALID_INPUT, m),
            ConnectorError::Unavailable(m) => ActivityError::from(anyhow::anyhow!(m)),
        })?;
        // An empty delta (nothing changed at the source) leaves no evidence behind.
        let empty = evidence.content.is_empty();
        if !empty {
            self.deps
                .store
                .put_evidence(&evidence)
                .await
                .map_err(error::store)?;
        }
        let out = FetchOutput {
            evidence_id: if empty {
                String::new()
            } else {
                evidence.evidence_id.clone()
            },
            connector: kind.clone(),
            bytes: evidence.content.len(),
            cursor: evidence.provenance.cursor.clone(),
        };
        record(
            &*self.deps.store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Evidence,
                snapshot_ref: None,
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }

    /// Parses the batch (quarantining bad lines with their error) and stores each record whose
    /// content changed as its new latest version.
    #[activity]
    pub async fn normalize_records(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: NormalizeInput,
    ) -> Result<NormalizeOutput, ActivityError> {
        let store = &self.deps.store;
        let evidence = store
            .get_evidence(&input.tenant_id, &input.evidence_id)
            .await
            .map_err(error::store)?
            .ok_or_else(|| {
                error::non_retryable(
                    error::NOT_FOUND,
                    format!(
                        "evidence {} of tenant {}",
                        input.evidence_id, input.tenant_id
                    ),
                )
            })?;
        let text = String::from_utf8_lossy(&evidence.content);
        let parsed = parse_jsonl(&text);
        for rejected in &parsed.rejected {
            store
                .quarantine(&QuarantinedLine {
                    tenant_id: input.tenant_id.clone(),
                    batch_id: input.evidence_id.clone(),
                    line: rejected.line,
                    field: rejected.field.clone(),
                    message: rejected.message.clone(),
                    raw: rejected.raw.clone(),
                    at: input.now,
                })
                .await
                .map_err(error::store)?;
        }
        let mut changes = Vec::new();
        let mut unchanged = 0;
        // Later lines win when a batch holds two versions of one record.
        let mut latest_in_batch: BTreeMap<_, (usize, Record)> = BTreeMap::new();
        for (line, rec) in parsed.records {
            latest_in_batch.insert(rec.key(), (line, rec));
        }
        let accepted = latest_in_batch.len();
        for (key, (line, rec)) in latest_in_batch {
            let latest = store
                .latest_version(&input.tenant_id, &key)
                .await
                .map_err(error::store)?;
            let hash = rec.content_hash();
            if let Some(latest) = latest.as_ref().filter(|l| l.content_hash == hash) {
                // Written from this very batch (an earlier attempt of this activity, or the same
                // bytes ingested again): still this batch's change, with the same predecessor.
                if latest.evidence_id == input.evidence_id {
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
            let version = RecordVersion {
                tenant_id: input.tenant_id.clone(),
                key: key.clone(),
                account_id: rec.account_id().to_string(),
                content_hash: hash,
                evidence_ref: record_ref(&rec),
                trust_class: rec.trust_class().into(),
                record: rec,
                evidence_id: input.evidence_id.clone(),
                line,
                previous_ref: previous.as_ref().map(|p| p.evidence_ref.clone()),
                observed_at: input.now,
            };
            // A lost race (Conflict) is retried by Temporal and re-diffed against the winner.
            store
                .put_version(&version, previous.as_ref().map(|p| p.content_hash.as_str()))
                .await
                .map_err(error::store)?;
            changes.push(RecordChange {
                record_key: key.to_string(),
                account_id: version.account_id.clone(),
                evidence_ref: version.evidence_ref.clone(),
                previous_ref: previous.map(|p| p.evidence_ref),
            });
        }
        let out = NormalizeOutput {
            accepted,
            unchanged,
            rejected: parsed.rejected.len(),
            changes,
        };
        record(
            &**store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Evidence,
                snapshot_ref: Some(input.evidence_id.clone()),
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }

    /// Runs every detector on each account that changed; stores and returns the new signals.
    #[activity]
    pub async fn detect_signals(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DetectInput,
    ) -> Result<DetectOutput, ActivityError> {
        let tenant_id = tenant(&input.tenant_id)?;
        let store = &self.deps.store;
        let config = tenant_config(&self.deps, &input.tenant_id).await?;
        let accounts: BTreeSet<&str> = input
            .changes
            .iter()
            .map(|c| c.account_id.as_str())
            .collect();
        let detectors = builtin();
        let mut new_signals = Vec::new();
        let mut already_known = 0;
        for account in accounts {
            let account_id = AccountId::parse(account)
                .map_err(|e| error::non_retryable(error::INVALID_INPUT, e.to_string()))?;
            let versions = store
                .account_records(&input.tenant_id, account)
                .await
                .map_err(error::store)?;
            let view =
                AccountView::from_records(account_id, versions.into_iter().map(|v| v.record));
            let mut previous = BTreeMap::new();
            let mut changed = BTreeSet::new();
            for change in input.changes.iter().filter(|c| c.account_id == account) {
                changed.insert(record_key(&change.record_key)?);
                if let Some(prev_ref) = &change.previous_ref
                    && let Some(v) = store
                        .version_by_ref(&input.tenant_id, prev_ref)
                        .await
                        .map_err(error::store)?
                {
                    previous.insert(v.key.clone(), v.record);
                }
            }
            let ctx = DetectionContext {
                tenant_id: &tenant_id,
                current: &view,
                previous: &previous,
                changed: &changed,
                now: input.now,
                config: &config.signals,
            };
            for signal in detect_all(&detectors, &ctx) {
                let (stored, inserted) = store.put_signal(&signal).await.map_err(error::store)?;
                // Detected at this run's logical time means an earlier attempt of this very
                // activity stored it: it is still this run's to emit.
                if inserted || stored.detected_at == input.now {
                    new_signals.push(SignalRef {
                        signal_id: signal.signal_id.clone(),
                        signal_type: signal.signal_type.as_str(),
                        account_id: signal.account_id.to_string(),
                    });
                } else {
                    already_known += 1;
                }
            }
        }
        // If an earlier attempt completed its ledger entry, that entry's result is the one the
        // workflow sees, so history and ledger agree.
        let out = DetectOutput {
            new_signals,
            already_known,
        };
        let entry = record(
            &**store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Signal,
                snapshot_ref: None,
                result: &out,
            },
        )
        .await?;
        Ok(serde_json::from_value(entry.payload)?)
    }

    /// Moves a pull connector's cursor forward once its batch was processed. Never moves it
    /// back, and a retried commit is a no-op.
    #[activity]
    pub async fn commit_cursor(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: CommitCursorInput,
    ) -> Result<Option<String>, ActivityError> {
        let store = &*self.deps.store;
        let current = store
            .get_cursor(&input.tenant_id, &input.connector_id)
            .await
            .map_err(error::store)?;
        let newer = |c: &str, than: &str| match (
            c.parse::<chrono::DateTime<chrono::Utc>>(),
            than.parse::<chrono::DateTime<chrono::Utc>>(),
        ) {
            (Ok(a), Ok(b)) => a > b,
            _ => c > than,
        };
        let committed = match &current {
            Some(c) if !newer(&input.cursor, c) => current.clone(),
            _ => {
                store
                    .set_cursor(
                        &input.tenant_id,
                        &input.connector_id,
                        current.as_deref(),
                        &input.cursor,
                    )
                    .await
                    .map_err(error::store)?;
                Some(input.cursor.clone())
            }
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Evidence,
                snapshot_ref: None,
                result: &serde_json::json!({ "connector_id": input.connector_id, "cursor": committed }),
            },
        )
        .await?;
        Ok(committed)
    }

    /// Signal-with-start: each account's long-lived AccountWorkflow receives its new signals.
    #[activity]
    pub async fn emit_signals(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: EmitInput,
    ) -> Result<EmitOutput, ActivityError> {
        let client = self.deps.temporal.clone().ok_or_else(|| {
            error::non_retryable("Misconfigured", "emit_signals needs a Temporal client")
        })?;
        let mut by_account: BTreeMap<&str, Vec<SignalRef>> = BTreeMap::new();
        for s in &input.signals {
            by_account
                .entry(s.account_id.as_str())
                .or_default()
                .push(s.clone());
        }
        let converter = PayloadConverter::default();
        let settings = &self.deps.settings;
        for (account, signals) in &by_account {
            let start = AccountInput {
                tenant_id: input.tenant_id.clone(),
                account_id: account.to_string(),
                debounce_secs: settings.debounce_secs,
                approval_timeout_secs: settings.approval_timeout_secs,
                pending: Vec::new(),
                pending_trace_id: None,
                decisions_started: 0,
            };
            let batch = SignalBatch {
                trace_id: input.trace_id.clone(),
                signals: signals.clone(),
            };
            let workflow_id = format!("{}/account/{account}", input.tenant_id);
            let options = WorkflowStartOptions::new(settings.task_queue.clone(), workflow_id)
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                .search_attributes(search_attributes::for_workflow(
                    &input.tenant_id,
                    Some(account),
                    None,
                    "account",
                ))
                .static_summary(format!("account {account} of {}", input.tenant_id))
                .build();
            client
                .signal_with_start_workflow(
                    UntypedWorkflow::new(names::ACCOUNT_WORKFLOW),
                    RawValue::from_value(&start, &converter),
                    UntypedSignal::<UntypedWorkflow>::new(names::SIGNALS_DETECTED),
                    RawValue::from_value(&batch, &converter),
                    options,
                )
                .await
                .map_err(|e| {
                    ActivityError::from(anyhow::anyhow!("signal-with-start {account}: {e}"))
                })?;
        }
        let out = EmitOutput {
            accounts: by_account.keys().map(|a| a.to_string()).collect(),
        };
        record(
            &*self.deps.store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Signal,
                snapshot_ref: None,
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }
}
