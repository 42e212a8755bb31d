//! Perception activities, in loop order: fetch a batch, normalize and diff it against the last
//! versions seen, detect signals, and hand new signals to their AccountWorkflows.

use std::collections::BTreeMap;
use std::sync::Arc;

use revloop_domain::TenantId;
use revloop_domain::budget::CostClass;
use revloop_domain::ledger::LedgerKind;
use revloop_domain::signals::SignalType;
use revloop_domain::validators::{ReadRequest, Verdict};
use revloop_store::{BudgetRecord, TenantConfig};
use temporalio_client::{
    UntypedSignal, UntypedWorkflow, WorkflowIdConflictPolicy, WorkflowStartOptions,
};
use temporalio_common::data_converters::{PayloadConverter, RawValue};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::batch_sets;
use crate::connectors::{self, Connector, ConnectorError, source_kind};
use crate::contracts::*;
use crate::governance::{
    BudgetCall, LedgerScope, link_deal_outcomes, reserve_budget, settle_budget, validate_read,
};
use crate::heartbeat;
use crate::ledger_hook::{LedgerRecord, record};
use crate::{Deps, error, pipeline, search_attributes};

pub struct PerceptionActivities {
    deps: Deps,
    connectors: Vec<Box<dyn connectors::Connector>>,
}

impl PerceptionActivities {
    pub fn new(deps: Deps) -> Self {
        let connectors = connectors::builtin(deps.store.clone(), &deps.settings);
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

/// Pipeline failures, as [`error::classify`] does.
fn pipeline_error(e: pipeline::PipelineError) -> ActivityError {
    error::classify(e)
}

fn tenant(id: &str) -> Result<TenantId, ActivityError> {
    TenantId::parse(id).map_err(|e| error::non_retryable(error::INVALID_INPUT, e.to_string()))
}

async fn tenant_config(deps: &Deps, tenant_id: &str) -> Result<TenantConfig, ActivityError> {
    crate::decision::tenant_config(&*deps.store, tenant_id).await
}

impl PerceptionActivities {
    /// The gateway before an expensive read: pulls from a source only (a pushed batch or a
    /// dropped file is already here). Returns whether it blocked.
    async fn read_gateway(
        &self,
        ctx: &ActivityContext,
        input: &FetchInput,
        kind: &str,
        config: &TenantConfig,
    ) -> Result<bool, ActivityError> {
        let SourceRef::Pull { connector_id } = &input.source else {
            return Ok(false);
        };
        let scope = LedgerScope::from_activity(ctx, &input.tenant_id, &input.trace_id);
        let read = ReadRequest {
            read_id: scope.workflow_id.clone(),
            connector_id: connector_id.clone(),
            connector_kind: kind.to_string(),
        };
        let outcome = validate_read(
            &*self.deps.store,
            &scope,
            &read,
            input.now,
            &config.governance,
        )
        .await
        .map_err(error::store)?;
        Ok(outcome.aggregate == Verdict::Block)
    }

    /// Reading from a source is a CHEAP call through the budget service; a pushed batch was
    /// already delivered, so it costs nothing here.
    async fn fetch_budget(
        &self,
        ctx: &ActivityContext,
        input: &FetchInput,
        kind: &str,
        config: &TenantConfig,
    ) -> Result<Option<BudgetRecord>, ActivityError> {
        let tool = match &input.source {
            SourceRef::PushedBatch { .. } => return Ok(None),
            SourceRef::Pull { connector_id } => connector_id.clone(),
            SourceRef::JsonlFile { .. } => kind.to_string(),
        };
        let scope = LedgerScope::from_activity(ctx, &input.tenant_id, &input.trace_id);
        let call = BudgetCall {
            operation: format!("fetch:{tool}"),
            cost_class: CostClass::Cheap,
            account_id: None,
            plan_id: None,
            tool: Some(tool),
            amount: 1,
            at: input.now,
        };
        reserve_budget(&*self.deps.store, &scope, &config.budgets, &call)
            .await
            .map(Some)
            .map_err(error::store)
    }

    /// Reads the batch through the connector (heartbeating), settles the fetch's budget and
    /// stores what came back as evidence.
    async fn read_source(
        &self,
        ctx: &ActivityContext,
        input: &FetchInput,
        connector: &dyn Connector,
        kind: &str,
        budget: Option<&BudgetRecord>,
    ) -> Result<FetchOutput, ActivityError> {
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
        if let Some(b) = budget {
            // A failed read used nothing and gives its reservation back.
            let used = u64::from(fetched.is_ok());
            settle_budget(&*self.deps.store, &input.tenant_id, b, used)
                .await
                .map_err(error::store)?;
        }
        let evidence = fetched.map_err(error::classify)?;
        // An empty delta (nothing changed at the source) leaves no evidence behind.
        let empty = evidence.content.is_empty();
        if !empty {
            self.deps
                .store
                .put_evidence(&evidence)
                .await
                .map_err(error::store)?;
        }
        // A pull past one step's bounds is kept whole, and also as bounded parts.
        let mut parts = None;
        if matches!(input.source, SourceRef::Pull { .. }) {
            let split = batch_sets::split_lines(
                &evidence.content,
                batch_sets::MAX_PART_RECORDS,
                batch_sets::MAX_PART_BYTES,
            );
            if split.len() > 1 {
                let mut ids = Vec::with_capacity(split.len());
                for content in split {
                    let part = revloop_store::Evidence::new(
                        &input.tenant_id,
                        content,
                        evidence.provenance.clone(),
                    );
                    self.deps
                        .store
                        .put_evidence(&part)
                        .await
                        .map_err(error::store)?;
                    ids.push(part.evidence_id);
                }
                parts = Some(BatchParts {
                    count: ids.len(),
                    set_key: batch_sets::put(
                        &*self.deps.store,
                        &input.tenant_id,
                        batch_sets::BATCH_PARTS,
                        &ids,
                    )
                    .await?,
                });
            }
        }
        tracing::info!(
            connector = %kind,
            bytes = evidence.content.len(),
            parts = parts.as_ref().map_or(1, |p| p.count),
            empty,
            "delta fetched"
        );
        Ok(FetchOutput {
            parts,
            evidence_id: if empty {
                String::new()
            } else {
                evidence.evidence_id.clone()
            },
            connector: kind.to_string(),
            bytes: evidence.content.len(),
            cursor: evidence.provenance.cursor.clone(),
            blocked: false,
        })
    }
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
            .map_err(error::classify)?;
        let connector = self
            .connectors
            .iter()
            .find(|c| c.kind() == kind)
            .ok_or_else(|| {
                error::non_retryable(error::INVALID_INPUT, format!("no connector for {kind}"))
            })?;
        // An expensive read passes the validator gateway, then the budget service; either can
        // stop it before anything is read.
        let config = tenant_config(&self.deps, &input.tenant_id).await?;
        let read_blocked = self.read_gateway(&ctx, &input, &kind, &config).await?;
        let budget = match read_blocked {
            true => None,
            false => self.fetch_budget(&ctx, &input, &kind, &config).await?,
        };
        let budget_blocked = budget
            .as_ref()
            .is_some_and(|b| b.decision.verdict == Verdict::Block);
        let out = match read_blocked || budget_blocked {
            true => FetchOutput {
                evidence_id: String::new(),
                connector: kind.clone(),
                bytes: 0,
                cursor: None,
                blocked: true,
                parts: None,
            },
            false => {
                self.read_source(&ctx, &input, connector.as_ref(), &kind, budget.as_ref())
                    .await?
            }
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
        let evidence_id = match &input.part {
            None => input.evidence_id.clone(),
            Some(part) => {
                let ids: Vec<String> =
                    batch_sets::get(&**store, &input.tenant_id, &part.set_key).await?;
                ids.get(part.index).cloned().ok_or_else(|| {
                    error::non_retryable(
                        error::NOT_FOUND,
                        format!(
                            "part {} of {} (it has {})",
                            part.index,
                            part.set_key,
                            ids.len()
                        ),
                    )
                })?
            }
        };
        let mut out = heartbeat::while_working(
            &ctx,
            pipeline::normalize_batch(&**store, &input.tenant_id, &evidence_id, input.now),
        )
        .await?
        .map_err(pipeline_error)?;
        // The touched accounts' world state, checked against the schema registry, becomes new
        // snapshots; a refused state is ledgered and reported, never written.
        let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
        let memory = &*self.deps.memory;
        out.world = heartbeat::while_working(
            &ctx,
            crate::world::update_snapshots(&**store, memory, &scope, &out.changes, input.now),
        )
        .await?
        .map_err(error::store)?;
        // The change set goes to the store; the workflow carries its key and count.
        let changes = std::mem::take(&mut out.changes);
        out.changed = changes.len();
        tracing::info!(
            evidence_id = %input.evidence_id,
            changed = out.changed,
            "records normalized"
        );
        if !changes.is_empty() {
            out.change_set = Some(
                batch_sets::put(&**store, &input.tenant_id, batch_sets::CHANGE_SET, &changes)
                    .await?,
            );
        }
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
        let store = &self.deps.store;
        let config = tenant_config(&self.deps, &input.tenant_id).await?;
        let changes = match &input.change_set {
            Some(key) => batch_sets::get(&**store, &input.tenant_id, key).await?,
            None => input.changes.clone(),
        };
        let detect = pipeline::detect_changes(
            &**store,
            &self.deps.records,
            &input.tenant_id,
            &changes,
            input.now,
            &config.signals,
        );
        let mut out = heartbeat::while_working(&ctx, detect)
            .await?
            .map_err(pipeline_error)?;
        for signal in &out.new_signals {
            crate::metrics::signal_detected(&signal.signal_type);
        }
        // A deal that closed is the later outcome of the actions taken on its account.
        let closes: Vec<&SignalRef> = out
            .new_signals
            .iter()
            .filter(|s| s.signal_type == SignalType::OpportunityStageChanged.as_str())
            .collect();
        if !closes.is_empty() {
            let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
            let mut found = Vec::new();
            for account in closes
                .iter()
                .map(|s| s.account_id.as_str())
                .collect::<std::collections::BTreeSet<_>>()
            {
                let stored = store
                    .list_signals(&input.tenant_id, Some(account))
                    .await
                    .map_err(error::store)?;
                found.extend(
                    stored
                        .into_iter()
                        .filter(|s| closes.iter().any(|c| c.signal_id == s.signal_id)),
                );
            }
            link_deal_outcomes(&**store, &scope, &found)
                .await
                .map_err(error::store)?;
        }
        let new_signals = std::mem::take(&mut out.new_signals);
        out.new_signal_count = new_signals.len();
        tracing::info!(new_signals = out.new_signal_count, "signals detected");
        for signal in &new_signals {
            tracing::debug!(
                signal_type = %signal.signal_type,
                account_id = %signal.account_id,
                "signal raised"
            );
        }
        if !new_signals.is_empty() {
            out.signal_set = Some(
                batch_sets::put(
                    &**store,
                    &input.tenant_id,
                    batch_sets::SIGNAL_SET,
                    &new_signals,
                )
                .await?,
            );
        }
        // If an earlier attempt completed its ledger entry, that entry's result is the one the
        // workflow sees, so history and ledger agree.
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
        let signals: Vec<SignalRef> = match &input.signal_set {
            Some(key) => batch_sets::get(&*self.deps.store, &input.tenant_id, key).await?,
            None => input.signals.clone(),
        };
        let mut by_account: BTreeMap<&str, Vec<SignalRef>> = BTreeMap::new();
        for s in &signals {
            by_account
                .entry(s.account_id.as_str())
                .or_default()
                .push(s.clone());
        }
        let converter = PayloadConverter::default();
        let settings = &self.deps.settings;
        for (account, signals) in &by_account {
            // One signal-with-start per account: a large batch takes a while, so say so.
            ctx.record_heartbeat(()).await?;
            let start = AccountInput {
                tenant_id: input.tenant_id.clone(),
                account_id: account.to_string(),
                debounce_secs: settings.debounce_secs,
                approval_timeout_secs: settings.approval_timeout_secs,
                pending: Vec::new(),
                pending_trace_id: None,
                decisions_started: 0,
                max_history_events: None,
            };
            let batch = SignalBatch {
                trace_id: input.trace_id.clone(),
                signals: signals.clone(),
            };
            let workflow_id = crate::workflow_ids::account(&input.tenant_id, account);
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
                    error::classify(error::ActivityFailure::retryable(format!(
                        "signal-with-start {account}: {e}"
                    )))
                })?;
        }
        let accounts: Vec<String> = by_account.keys().map(|a| a.to_string()).collect();
        let out = EmitOutput {
            accounts: batch_sets::sample(&accounts),
            account_count: accounts.len(),
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
