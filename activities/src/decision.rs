//! Decision activities: build the brief, ask the decision model for proposals, and run the
//! validator gateway on them.

use std::sync::Arc;

use revloop_domain::AccountId;
use revloop_domain::budget::CostClass;
use revloop_domain::decision::ActionClass;
use revloop_domain::decision::{DecisionMessage, MeetingBrief, Question, clarify, meeting_timer};
use revloop_domain::ledger::LedgerKind;
use revloop_domain::signals::Signal;
use revloop_domain::validators::{Checkpoint, Verdict};
use revloop_domain::world::{AccountFacts, AccountView};
use revloop_store::{
    ActionRecord, ActionStatus, Artifact, BudgetRecord, QuestionRecord, QuestionStatus, Store,
    TenantConfig,
};
use serde_json::json;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::contracts::*;
use crate::governance::{BudgetCall, LedgerScope, reserve_budget, settle_budget, validate_action};
use crate::ledger_hook::{LedgerRecord, record};
use crate::models::{self, DecisionContext, DecisionModel};
use crate::{Deps, error, metrics};
use crate::{notify, snapshot};
use revloop_domain::decision::{plan, writeback};

pub struct DecisionActivities {
    deps: Deps,
    /// Every registered model; each tenant's `[decision] model` picks one per call.
    models: Vec<Box<dyn DecisionModel>>,
}

impl DecisionActivities {
    /// Calls the tenant's decision model within its granted budget (settled at 1 when it
    /// answered, 0 when it failed), checks the answer against the protocol (a broken one is
    /// kept for the ledger and the playbooks answer instead), and stores every proposal as an
    /// action bound to the planning snapshot.
    async fn ask_model(
        &self,
        store: &dyn Store,
        input: &ProposeInput,
        context: &DecisionContext<'_>,
        budget: &BudgetRecord,
    ) -> Result<(ProposeOutput, serde_json::Value), ActivityError> {
        let checked = match models::decide_checked(&self.models, context).await {
            Ok(checked) => checked,
            Err(e) => {
                settle_budget(store, &input.tenant_id, budget, 0)
                    .await
                    .map_err(error::store)?;
                return Err(error::classify(e));
            }
        };
        settle_budget(store, &input.tenant_id, budget, 1)
            .await
            .map_err(error::store)?;
        store_answer(store, input, context, Some(budget), checked).await
    }

    /// The tenant's model asked in one step, within the model-call budget (EXPENSIVE, 1 per
    /// decision): a BLOCK proposes nothing and says so.
    async fn ask_budgeted(
        &self,
        store: &dyn Store,
        scope: &LedgerScope,
        input: &ProposeInput,
        context: &DecisionContext<'_>,
        signals: &[Signal],
    ) -> Result<(ProposeOutput, serde_json::Value), ActivityError> {
        let model_name = context.config.decision.model.clone();
        let budget = reserve_model_call(
            store,
            scope,
            context.config,
            &input.account_id,
            Some(input.decision_id.clone()),
            input.now,
        )
        .await?;
        if let Some(earliest) = signals.iter().map(|s| s.detected_at).min() {
            let waited = (chrono::Utc::now() - earliest).num_milliseconds() as f64 / 1000.0;
            metrics::decision_latency(&model_name, waited);
        }
        Ok(if budget.decision.verdict == Verdict::Block {
            metrics::plan_outcome("aborted", "budget");
            let out = ProposeOutput {
                message: "budget_blocked".into(),
                model: model_name,
                proposals: Vec::new(),
                question_ids: Vec::new(),
                plans: Vec::new(),
            };
            let ledgered = json!({ "output": out, "budget": budget });
            (out, ledgered)
        } else {
            self.ask_model(store, input, context, &budget).await?
        })
    }

    /// The decision agent's answer (or its fallback), checked against everything it was shown:
    /// the signals, memory, and every evidence ref its tool results held. Its turns were
    /// budgeted one by one, so nothing more is reserved here.
    async fn ask_agent(
        &self,
        store: &dyn Store,
        input: &ProposeInput,
        context: &DecisionContext<'_>,
        agent: &AgentOutcome,
    ) -> Result<(ProposeOutput, serde_json::Value), ActivityError> {
        let conversation =
            models::bedrock::conversation::load(store, &input.tenant_id, &agent.conversation_ref)
                .await
                .map_err(error::store)?;
        let given = match (&agent.answer_ref, &agent.fallback) {
            (Some(answer_ref), _) => {
                let answer: serde_json::Value =
                    load_json_artifact(store, &input.tenant_id, answer_ref).await?;
                Ok(answer)
            }
            (None, Some(reason)) => Err(reason.clone()),
            (None, None) => Err("malformed: the turns ended without an answer".to_string()),
        };
        let shown = conversation.refs_shown();
        let checked = models::check_given(
            &self.models,
            context,
            models::bedrock::MODEL_NAME,
            given,
            &shown,
        )
        .await
        .map_err(error::classify)?;
        if let Some(refused) = &checked.refused
            && agent.fallback.is_none()
        {
            metrics::model_fallback("refused");
            tracing::info!(
                violations = refused.violations.len(),
                "the agent's answer was refused"
            );
        }
        let (out, mut ledgered) = store_answer(store, input, context, None, checked).await?;
        ledgered["agent"] = serde_json::to_value(agent)?;
        // What the tool results showed, so a replay checks the answer against the same refs.
        ledgered["shown_refs"] = serde_json::to_value(&shown)?;
        Ok((out, ledgered))
    }
}

/// Stores every proposal of a checked answer as an action bound to the planning snapshot,
/// its plans and its questions; returns the output and what the DECISION entry records.
async fn store_answer(
    store: &dyn Store,
    input: &ProposeInput,
    context: &DecisionContext<'_>,
    budget: Option<&BudgetRecord>,
    checked: models::CheckedAnswer,
) -> Result<(ProposeOutput, serde_json::Value), ActivityError> {
    {
        let config = context.config;
        let message = &checked.message;
        let world_snapshots = match &input.brief.world_snapshots_ref {
            Some(key) => load_json_artifact::<Vec<String>>(store, &input.tenant_id, key).await?,
            None => input.brief.world_snapshots.clone(),
        };
        // When the tenant's model did not answer, every action says who did, and why.
        let decided_by = checked.refused.as_ref().map(|r| {
            let why: Vec<String> = r.violations.iter().map(|v| v.to_string()).collect();
            format!(
                "{}, instead of {}: {}",
                checked.model,
                r.model,
                why.join("; ")
            )
        });
        let mut proposals = Vec::new();
        for proposal in message.proposals() {
            let routing = writeback::route(proposal.kind, proposal.confidence, &config.writeback);
            let requires_approval = routing.needs_approval();
            let action = ActionRecord {
                action_id: proposal.proposal_id.clone(),
                tenant_id: input.tenant_id.clone(),
                account_id: input.account_id.clone(),
                trace_id: input.trace_id.clone(),
                decision_id: input.decision_id.clone(),
                proposal: proposal.clone(),
                status: ActionStatus::Proposed,
                snapshot_ref: Some(input.brief.snapshot_ref.clone()),
                world_snapshots: world_snapshots.clone(),
                validations: Vec::new(),
                budget: budget.into_iter().cloned().collect(),
                ledger_seqs: budget
                    .iter()
                    .map(|b| (format!("budget/{}", b.operation), b.ledger_seq))
                    .collect(),
                approval_events: Vec::new(),
                result: None,
                created_at: input.now,
                updated_at: input.now,
                routing: Some(routing.clone()),
                decided_by: decided_by.clone(),
            };
            store.create_action(&action).await.map_err(error::store)?;
            metrics::action_proposed(proposal.kind.as_str(), requires_approval);
            proposals.push(ProposalRef {
                action_id: proposal.proposal_id.clone(),
                kind: proposal.kind.as_str().into(),
                rank: proposal.rank,
                requires_approval,
                routing: Some(routing),
                plan_id: proposal
                    .plan
                    .as_ref()
                    .map(|of| plan::plan_id(&input.decision_id, &of.plan)),
            });
        }
        let plans =
            crate::plan::store_plans(store, input, message.proposals(), &proposals, config).await?;
        let question_ids = match message {
            DecisionMessage::ClarificationRequest { questions } => {
                ask_questions(store, input, context.facts, questions, config).await?
            }
            _ => Vec::new(),
        };
        let out = ProposeOutput {
            message: message.name().into(),
            model: checked.model.into(),
            proposals,
            question_ids,
            plans,
        };
        // What the model was shown beyond the signals, so a replay checks the answer against
        // the same input.
        let memory_refs: Vec<&str> = context
            .memory
            .iter()
            .map(|h| h.chunk.evidence_ref.as_str())
            .collect();
        let mut ledgered =
            json!({ "output": out, "model_answer": message, "memory_refs": memory_refs });
        if let Some(refused) = &checked.refused {
            // The refused answer stays on record: what the model said and every rule it broke.
            ledgered["refused_answer"] = serde_json::to_value(refused)?;
        }
        Ok((out, ledgered))
    }
}

impl DecisionActivities {
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            models: models::builtin(),
        }
    }

    /// Registers one more model (one that needs a client, such as Bedrock's), for the
    /// decisions and "what next?" answers that ask it in one step.
    pub fn with_model(mut self, model: Box<dyn DecisionModel>) -> Self {
        self.models.push(model);
        self
    }
}

/// Stores the decision's questions, routed to the account's owner, and returns the ids of
/// those that now wait for an answer. A field that already has an open question on this
/// account is not asked about again: the first question's answer settles it for every
/// decision.
async fn ask_questions(
    store: &dyn Store,
    input: &ProposeInput,
    facts: &AccountFacts,
    questions: &[Question],
    config: &TenantConfig,
) -> Result<Vec<String>, ActivityError> {
    let open = store
        .list_questions(&input.tenant_id, Some(&input.account_id), true)
        .await
        .map_err(error::store)?;
    let asked_of = facts.owner().unwrap_or_else(|| "approvers".into());
    let workflow_id = clarification_workflow_id(&input.decision_id);
    let records: Vec<QuestionRecord> = questions
        .iter()
        .filter(|q| {
            !open
                .iter()
                .any(|o| o.entity == q.entity && o.field == q.field && o.workflow_id != workflow_id)
        })
        .map(|q| QuestionRecord {
            question_id: clarify::question_id(&input.decision_id, q),
            tenant_id: input.tenant_id.clone(),
            account_id: input.account_id.clone(),
            decision_id: input.decision_id.clone(),
            workflow_id: workflow_id.clone(),
            entity: q.entity.clone(),
            field: q.field.clone(),
            question: q.question.clone(),
            options: q.options.clone(),
            asked_of: asked_of.clone(),
            status: QuestionStatus::Open,
            answer: None,
            created_at: input.now,
            expires_at: input.now
                + chrono::Duration::seconds(config.decision.question_expire_after_secs as i64),
        })
        .collect();
    store
        .create_questions(&records)
        .await
        .map_err(error::store)?;
    Ok(records.into_iter().map(|q| q.question_id).collect())
}

async fn account_view(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
) -> Result<AccountView, ActivityError> {
    let id = AccountId::parse(account_id)
        .map_err(|e| error::non_retryable(error::INVALID_INPUT, e.to_string()))?;
    let records = store
        .account_records(tenant_id, account_id)
        .await
        .map_err(error::store)?;
    Ok(AccountView::from_records(id, records))
}

async fn signals(
    store: &dyn Store,
    tenant_id: &str,
    account_id: &str,
    ids: &[String],
) -> Result<Vec<Signal>, ActivityError> {
    let all = store
        .list_signals(tenant_id, Some(account_id))
        .await
        .map_err(error::store)?;
    let found: Vec<Signal> = all
        .into_iter()
        .filter(|s| ids.contains(&s.signal_id))
        .collect();
    if found.len() != ids.len() {
        return Err(error::non_retryable(
            error::NOT_FOUND,
            format!(
                "{} of {} signals not found for account {account_id}",
                ids.len() - found.len(),
                ids.len()
            ),
        ));
    }
    Ok(found)
}

/// The tenant's configuration; defaults when the tenant has none stored.
pub async fn tenant_config(
    store: &dyn Store,
    tenant_id: &str,
) -> Result<TenantConfig, ActivityError> {
    Ok(store
        .get_tenant(tenant_id)
        .await
        .map_err(error::store)?
        .map(|t| t.config)
        .unwrap_or_default())
}

/// Stores a brief (and its Markdown) as an artifact, what "attach brief" points at.
async fn store_brief(
    store: &dyn Store,
    tenant_id: &str,
    brief: &MeetingBrief,
) -> Result<Artifact, ActivityError> {
    let content =
        serde_json::to_vec_pretty(&json!({ "brief": brief, "markdown": brief.to_markdown() }))?;
    let artifact = Artifact::new(tenant_id, "application/json", content);
    store.put_artifact(&artifact).await.map_err(error::store)?;
    Ok(artifact)
}

/// A decision-model call is EXPENSIVE and goes through the budget service first, as
/// `model:{the tenant's model}` on the account (and the decision, when there is one).
async fn reserve_model_call(
    store: &dyn Store,
    scope: &LedgerScope,
    config: &TenantConfig,
    account_id: &str,
    plan_id: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<BudgetRecord, ActivityError> {
    let model = &config.decision.model;
    reserve_budget(
        store,
        scope,
        &config.budgets,
        &BudgetCall {
            operation: format!("model:{model}"),
            cost_class: CostClass::Expensive,
            account_id: Some(account_id.to_string()),
            plan_id,
            tool: Some(format!("model:{model}")),
            amount: 1,
            at,
        },
    )
    .await
    .map_err(error::store)
}

/// What a decision model is shown, loaded once: the planning snapshot's facts, the signals,
/// the brief, what memory recalls and the tenant's config.
pub(crate) struct DecisionInputs {
    pub facts: AccountFacts,
    pub signals: Vec<Signal>,
    pub brief: MeetingBrief,
    pub memory: Vec<crate::memory::MemoryHit>,
    pub config: TenantConfig,
}

impl DecisionInputs {
    pub fn context<'a>(&'a self, input: &'a ProposeInput) -> DecisionContext<'a> {
        DecisionContext {
            decision_id: &input.decision_id,
            facts: &self.facts,
            signals: &self.signals,
            brief: &self.brief,
            brief_artifact_key: &input.brief.artifact_key,
            memory: &self.memory,
            tools: &[],
            config: &self.config,
            now: input.now,
        }
    }
}

pub(crate) async fn load_inputs(
    deps: &Deps,
    input: &ProposeInput,
) -> Result<DecisionInputs, ActivityError> {
    let store = &*deps.store;
    // The decision reads the facts its brief was made on: the planning snapshot.
    let facts = snapshot::load_snapshot(store, &input.tenant_id, &input.brief.snapshot_ref)
        .await
        .map_err(error::store)?
        .ok_or_else(|| {
            error::non_retryable(
                error::NOT_FOUND,
                format!(
                    "planning snapshot {} of tenant {}",
                    input.brief.snapshot_ref, input.tenant_id
                ),
            )
        })?;
    let signals = signals(
        store,
        &input.tenant_id,
        &input.account_id,
        &input.signal_ids,
    )
    .await?;
    let stored: serde_json::Value =
        load_json_artifact(store, &input.tenant_id, &input.brief.artifact_key).await?;
    let brief: MeetingBrief = serde_json::from_value(stored["brief"].clone())?;
    let memory = models::recall(&*deps.memory, &input.tenant_id, &input.account_id, &signals).await;
    let config = tenant_config(store, &input.tenant_id).await?;
    Ok(DecisionInputs {
        facts,
        signals,
        brief,
        memory,
        config,
    })
}

/// A stored list of world-state snapshot refs (what a decision rests on).
pub const SNAPSHOT_SET_CONTENT_TYPE: &str = "application/vnd.revloop.snapshot-set+json";

/// The most signals a "what next?" answer is computed from (the newest).
const MAX_SIGNALS_SHOWN: usize = 200;

/// A stored JSON artifact, decoded; a missing one is a non-retryable error naming it.
pub(crate) async fn load_json_artifact<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    tenant_id: &str,
    key: &str,
) -> Result<T, ActivityError> {
    let artifact = store
        .get_artifact(tenant_id, key)
        .await
        .map_err(error::store)?
        .ok_or_else(|| {
            error::non_retryable(
                error::NOT_FOUND,
                format!("artifact {key} of tenant {tenant_id}"),
            )
        })?;
    Ok(serde_json::from_slice(&artifact.content)?)
}

/// Loads an action and refuses it unless it belongs to `tenant_id`.
pub async fn load_action(
    store: &dyn Store,
    tenant_id: &str,
    action_id: &str,
) -> Result<ActionRecord, ActivityError> {
    let action = store
        .get_action(action_id)
        .await
        .map_err(error::store)?
        .ok_or_else(|| {
            error::non_retryable(error::NOT_FOUND, format!("action {action_id} not found"))
        })?;
    error::check_tenant(&action.tenant_id, tenant_id, &format!("action {action_id}"))?;
    Ok(action)
}

#[activities]
impl DecisionActivities {
    /// The account state service as an activity: posture, risks, unknowns, momentum, recent
    /// changes as of an instant, with the snapshots it rests on. Ledgered, bound to the
    /// account's snapshot: the state a decision started from.
    #[activity]
    pub async fn account_state(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: AccountStateInput,
    ) -> Result<AccountStateOutput, ActivityError> {
        let store = &*self.deps.store;
        let (world, _) =
            crate::world::account_world(store, &input.tenant_id, &input.account_id, input.as_of)
                .await
                .map_err(error::store)?;
        let set = Artifact::new(
            &input.tenant_id,
            SNAPSHOT_SET_CONTENT_TYPE,
            revloop_domain::hashing::canonical_json(&world.snapshot_refs()),
        );
        store.put_artifact(&set).await.map_err(error::store)?;
        let out = AccountStateOutput {
            snapshot_ref: world.account_snapshot().map(str::to_string),
            world_snapshots: Vec::new(),
            world_snapshots_ref: Some(set.artifact_key),
            state: world.state,
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Artifact,
                snapshot_ref: out.snapshot_ref.clone(),
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }

    /// Computes the meeting brief from the account's facts and signals; stores it as an
    /// artifact, and the facts as the decision's planning snapshot.
    #[activity]
    pub async fn prepare_brief(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: BriefInput,
    ) -> Result<BriefOutput, ActivityError> {
        let store = &*self.deps.store;
        let (facts, _) =
            crate::world::account_facts(store, &input.tenant_id, &input.account_id, input.now)
                .await
                .map_err(error::store)?;
        let signals = signals(
            store,
            &input.tenant_id,
            &input.account_id,
            &input.signal_ids,
        )
        .await?;
        let brief = MeetingBrief::compute(&facts, &signals, input.now);
        let snapshot = snapshot::store_snapshot(store, &input.tenant_id, &facts)
            .await
            .map_err(error::store)?;
        let artifact = store_brief(store, &input.tenant_id, &brief).await?;
        let config = tenant_config(store, &input.tenant_id).await?;
        let agent_rounds = if config.decision.model == models::bedrock::MODEL_NAME {
            config.decision.bedrock.max_rounds
        } else {
            0
        };
        let out = BriefOutput {
            artifact_key: artifact.artifact_key,
            snapshot_ref: snapshot.artifact_key,
            world_snapshots: input.world_snapshots.clone(),
            world_snapshots_ref: input.world_snapshots_ref.clone(),
            agent_rounds,
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Artifact,
                snapshot_ref: Some(out.snapshot_ref.clone()),
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }

    /// Asks the decision model; stores every proposal as an action. The ledger keeps the model's
    /// whole answer, so the decision can be replayed later without calling the model again.
    #[activity]
    pub async fn propose_actions(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ProposeInput,
    ) -> Result<ProposeOutput, ActivityError> {
        let store = &*self.deps.store;
        let loaded = load_inputs(&self.deps, &input).await?;
        let context = loaded.context(&input);
        let (out, ledgered) = match &input.agent {
            Some(agent) => self.ask_agent(store, &input, &context, agent).await?,
            None => {
                let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
                self.ask_budgeted(store, &scope, &input, &context, &loaded.signals)
                    .await?
            }
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Decision,
                snapshot_ref: Some(input.brief.snapshot_ref.clone()),
                result: &ledgered,
            },
        )
        .await?;
        Ok(out)
    }

    /// "What should I do next?" for one account: the tenant's model on the account's current
    /// (unexpired) signals, checked against the protocol, within the model-call budget. No
    /// action is created; the question and the answer are ledgered as INTENT.
    #[activity]
    pub async fn next_actions(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: NextActionsInput,
    ) -> Result<NextActions, ActivityError> {
        let store = &*self.deps.store;
        let now = input.now.unwrap_or_else(chrono::Utc::now);
        let config = tenant_config(store, &input.tenant_id).await?;
        let (facts, _) =
            crate::world::account_facts(store, &input.tenant_id, &input.account_id, now)
                .await
                .map_err(error::store)?;
        let mut current: Vec<Signal> = store
            .list_signals(&input.tenant_id, Some(&input.account_id))
            .await
            .map_err(error::store)?
            .into_iter()
            .filter(|s| s.expires_at > now)
            .collect();
        // The newest first, bounded: what a person would read, and what the model is shown.
        current.sort_by(|a, b| {
            b.detected_at
                .cmp(&a.detected_at)
                .then(a.signal_id.cmp(&b.signal_id))
        });
        current.truncate(MAX_SIGNALS_SHOWN);
        let brief = MeetingBrief::compute(&facts, &current, now);
        // Stored like a decision's brief, so a suggested attach_brief points at a real one.
        let brief_artifact = store_brief(store, &input.tenant_id, &brief).await?;
        let decision_id = format!("{}/next/{}", input.tenant_id, input.account_id);
        let memory = models::recall(
            &*self.deps.memory,
            &input.tenant_id,
            &input.account_id,
            &current,
        )
        .await;
        let context = DecisionContext {
            decision_id: &decision_id,
            facts: &facts,
            signals: &current,
            brief: &brief,
            brief_artifact_key: &brief_artifact.artifact_key,
            memory: &memory,
            tools: &[],
            config: &config,
            now,
        };
        let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &decision_id);
        let model_name = config.decision.model.clone();
        let budget =
            reserve_model_call(store, &scope, &config, &input.account_id, None, now).await?;
        let mut answer = NextActions {
            account_id: input.account_id.clone(),
            message: "budget_blocked".into(),
            model: model_name.clone(),
            reason: String::new(),
            signal_count: current.len(),
            proposals: Vec::new(),
            ledger_seq: 0,
        };
        let mut refused = None;
        if budget.decision.verdict != Verdict::Block {
            let checked = models::decide_checked(&self.models, &context).await;
            settle_budget(store, &input.tenant_id, &budget, u64::from(checked.is_ok()))
                .await
                .map_err(error::store)?;
            let checked = checked.map_err(error::classify)?;
            answer.message = checked.message.name().into();
            answer.model = checked.model.into();
            match &checked.message {
                DecisionMessage::NoAction { reason } => answer.reason = reason.clone(),
                // Suggestions wait on the same facts a decision would: say what is in doubt.
                DecisionMessage::ClarificationRequest { questions } => {
                    answer.reason = questions
                        .iter()
                        .map(|q| q.question.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                }
                _ => {}
            }
            answer.proposals = checked
                .message
                .proposals()
                .iter()
                .take(MAX_NEXT_ACTIONS)
                .map(|p| SuggestedAction {
                    rank: p.rank,
                    kind: p.kind.as_str().into(),
                    title: p.title.clone(),
                    why_now: p.why_now.clone(),
                    confidence: p.confidence,
                    requires_approval: writeback::route(p.kind, p.confidence, &config.writeback)
                        .needs_approval(),
                    playbook: p.playbook.clone(),
                    evidence_refs: p.evidence_refs.clone(),
                })
                .collect();
            refused = checked.refused;
        }
        let entry = record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &decision_id,
                kind: LedgerKind::Intent,
                snapshot_ref: None,
                result: &json!({
                    "question": "next_best_actions",
                    "asked_by": input.asked_by,
                    "answer": answer,
                    "refused_answer": refused,
                }),
            },
        )
        .await?;
        answer.ledger_seq = entry.seq;
        Ok(answer)
    }

    /// The account's calendar at workflow time: a scheduled meeting within the tenant's
    /// `brief_lead_hours` that has no MEETING_UPCOMING yet gets one now (stored once, ledgered),
    /// so its brief is prepared even when no new record arrives; and when to look again.
    #[activity]
    pub async fn meeting_briefs_due(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: MeetingTimerInput,
    ) -> Result<MeetingTimerOutput, ActivityError> {
        let store = &*self.deps.store;
        let tenant = revloop_domain::TenantId::parse(&input.tenant_id)
            .map_err(|e| error::non_retryable(error::INVALID_INPUT, e.to_string()))?;
        let config = tenant_config(store, &input.tenant_id).await?;
        let view = account_view(store, &input.tenant_id, &input.account_id).await?;
        let timer = meeting_timer::meeting_timer(
            &tenant,
            &view,
            input.now,
            config.decision.brief_lead_hours,
        );
        let mut due = timer.due.clone();
        due.truncate(MAX_MEETING_SIGNALS);
        let mut out = MeetingTimerOutput {
            signals: Vec::new(),
            wake_at: meeting_timer::next_wake(&timer, input.now),
        };
        for (stored, inserted) in store.put_signals(&due).await.map_err(error::store)? {
            // Raised by this look (or by this very activity's earlier attempt).
            if inserted || stored.detected_at == input.now {
                out.signals.push(SignalRef {
                    signal_id: stored.signal_id.clone(),
                    signal_type: stored.signal_type.as_str(),
                    account_id: stored.account_id.to_string(),
                });
            }
        }
        if !out.signals.is_empty() {
            record(
                store,
                &ctx,
                LedgerRecord {
                    tenant_id: &input.tenant_id,
                    trace_id: &format!("{}/meetings/{}", input.tenant_id, input.account_id),
                    kind: LedgerKind::Signal,
                    snapshot_ref: None,
                    result: &out,
                },
            )
            .await?;
        }
        Ok(out)
    }

    /// Runs every validator on every action (never short-circuiting) and records each result;
    /// a BLOCK marks the action blocked.
    #[activity]
    pub async fn validate_proposals(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ValidateInput,
    ) -> Result<Verdicts, ActivityError> {
        let store = &*self.deps.store;
        let config = tenant_config(store, &input.tenant_id).await?;
        let policy = &config.governance;
        let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
        let mut verdicts = Vec::new();
        let mut outcomes = Vec::new();
        let mut notices = Vec::new();
        for action_id in &input.action_ids {
            let mut action = load_action(store, &input.tenant_id, action_id).await?;
            if action.status.is_settled() {
                // Executed, refused or ended: nothing is validated (or executed) again, and a
                // late or hand-started workflow cannot change how it ended.
                verdicts.push((action_id.clone(), Verdict::Block));
                continue;
            }
            // Executing a customer-facing action is the external writeback: that choke point
            // is checked too, right before it.
            let mut checkpoints = vec![input.checkpoint];
            if input.checkpoint == Checkpoint::BeforeStepExecution
                && action.proposal.class == ActionClass::ExternalHumanTouch
            {
                checkpoints.push(Checkpoint::BeforeExternalWriteback);
            }
            let ran = validate_action(store, &scope, &mut action, &checkpoints, input.now, policy)
                .await
                .map_err(error::store)?;
            let aggregate = ran
                .iter()
                .map(|o| o.aggregate)
                .max()
                .unwrap_or(Verdict::Allow);
            outcomes.extend(ran);
            // Sent before the block is saved: a retry after a failed send finds the action
            // unsettled and sends again (each notifier still once).
            if aggregate == Verdict::Block {
                // The account's owner hears that something meant for their account was stopped.
                let owner = account_view(store, &input.tenant_id, &action.account_id)
                    .await?
                    .account
                    .and_then(|a| a.owner)
                    .unwrap_or_else(|| "approvers".into());
                let notice = crate::approval::approval_notice(&config, &action, "blocked", &owner);
                let delivery = notify::deliver(
                    store,
                    &self.deps.settings,
                    &config.notify,
                    &notice,
                    ctx.info().attempt,
                    input.now,
                )
                .await?;
                notices.push(json!({ "action_id": action_id, "to": owner, "sent": delivery.sent, "not_sent": delivery.not_sent }));
            }
            store.save_action(&action).await.map_err(error::store)?;
            verdicts.push((action_id.clone(), aggregate));
        }
        let out = Verdicts { verdicts };
        let ledgered = json!({ "output": out, "gateway": outcomes, "blocked_notices": notices });
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Validation,
                snapshot_ref: None,
                result: &ledgered,
            },
        )
        .await?;
        Ok(out)
    }
}
