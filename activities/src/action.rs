//! The action activity: run the action's executor once, under an idempotency key.

use std::sync::Arc;

use chrono::Utc;
use revloop_domain::budget::CostClass;
use revloop_domain::decision::ActionKind;
use revloop_domain::hashing::short_id;
use revloop_domain::ledger::LedgerKind;
use revloop_domain::validators::Verdict;
use revloop_store::{ActionRecord, ActionStatus, BudgetRecord, Outcome, Store};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::contracts::*;
use crate::decision::{load_action, tenant_config};
use crate::executors::{self, ActionExecutor, ExecutorError};
use crate::governance::{
    BudgetCall, LedgerScope, record_blocked, record_outcome, reserve_budget, settle_budget,
};
use crate::ledger_hook::{LedgerRecord, record};
use crate::{Deps, error, metrics};

/// The cost class of each action kind's tool call, as the action catalog states it.
pub fn tool_cost_class(kind: ActionKind) -> CostClass {
    kind.cost_class()
}

/// The key an action's side effect is recorded under: the action's own, so the effect happens
/// once per action whichever workflow (or hand-started copy of one) asks for it.
pub fn effect_key(action: &ActionRecord) -> String {
    format!("{}/{}/execute", action.tenant_id, action.action_id)
}

/// The answer for an action that was executed before: what its execution recorded.
fn already_executed(action: &ActionRecord) -> ExecuteOutput {
    let result = action.result.clone().unwrap_or_default();
    ExecuteOutput {
        action_id: action.action_id.clone(),
        effect: result["effect"].as_str().unwrap_or_default().to_string(),
        created: false,
        result: result["payload"].clone(),
        blocked: false,
    }
}

/// Records what became of an action (`executed`, `failed`, `undone`, `undo_refused`), by whom
/// when a person caused it.
pub(crate) async fn action_outcome(
    store: &dyn Store,
    scope: &LedgerScope,
    action: &ActionRecord,
    kind: &str,
    reason: Option<String>,
    actor: Option<String>,
) -> Result<(), ActivityError> {
    let outcome = Outcome {
        tenant_id: action.tenant_id.clone(),
        outcome_id: short_id("out", &[&action.action_id, kind]),
        action_id: action.action_id.clone(),
        account_id: action.account_id.clone(),
        kind: kind.to_string(),
        diff: None,
        reason,
        actor,
        at: action.updated_at,
    };
    record_outcome(store, scope, &outcome)
        .await
        .map_err(error::store)?;
    Ok(())
}

pub struct ActionActivities {
    deps: Deps,
    executors: Vec<Box<dyn ActionExecutor>>,
}

impl ActionActivities {
    pub fn new(deps: Deps) -> Self {
        let smtp = crate::smtp::SmtpSender::new(
            deps.settings.secrets.clone(),
            deps.settings.egress.clone(),
        );
        let reach = crate::connectors::Reach::of(&deps.settings);
        let crm = crate::crm::CrmWriteBack::new(deps.store.clone(), reach);
        let executors = executors::builtin(deps.store.clone(), smtp, crm, deps.settings.clone());
        Self { deps, executors }
    }

    /// Runs the action's executor once under the action's effect key, settles the
    /// reservation at what it used, and records the outcome.
    async fn run_executor(
        &self,
        executor: &dyn ActionExecutor,
        action: &mut ActionRecord,
        scope: &LedgerScope,
        budget: &BudgetRecord,
    ) -> Result<ExecuteOutput, ActivityError> {
        let store = &*self.deps.store;
        let tenant_id = action.tenant_id.clone();
        let key = effect_key(action);
        let executed = executor.execute(action, &key, Utc::now()).await;
        let (effect, created) = match executed {
            Ok(done) => done,
            Err(e) => {
                settle_budget(store, &tenant_id, budget, 0)
                    .await
                    .map_err(error::store)?;
                if let ExecutorError::Invalid(m) = &e {
                    // Invalid parameters will never succeed: the action failed for good.
                    action.status = ActionStatus::Failed;
                    action.result = Some(serde_json::json!({ "error": m }));
                    action.updated_at = Utc::now();
                    store.save_action(action).await.map_err(error::store)?;
                    action_outcome(store, scope, action, "failed", Some(m.clone()), None).await?;
                }
                return Err(error::classify(e));
            }
        };
        settle_budget(store, &tenant_id, budget, 1)
            .await
            .map_err(error::store)?;
        action.status = ActionStatus::Executed;
        action.result = Some(
            serde_json::json!({ "effect": effect.kind, "idempotency_key": effect.idempotency_key, "payload": effect.payload }),
        );
        action.updated_at = effect.at;
        store.save_action(action).await.map_err(error::store)?;
        action_outcome(store, scope, action, "executed", None, None).await?;
        let kind = action.proposal.kind.as_str();
        metrics::action_executed(kind);
        metrics::plan_outcome("success", "none");
        let in_plan = (action.updated_at - action.created_at).num_milliseconds() as f64 / 1000.0;
        metrics::plan_duration(kind, "executed", in_plan);
        Ok(ExecuteOutput {
            action_id: action.action_id.clone(),
            effect: effect.kind.clone(),
            created,
            result: effect.payload,
            blocked: false,
        })
    }

    pub async fn check_executors(&self) -> Result<(), ExecutorError> {
        for e in &self.executors {
            e.check().await?;
        }
        Ok(())
    }
}

#[activities]
impl ActionActivities {
    #[activity]
    pub async fn execute_action(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ActionInput,
    ) -> Result<ExecuteOutput, ActivityError> {
        let store = &*self.deps.store;
        let mut action = load_action(store, &input.tenant_id, &input.action_id).await?;
        if action.status == ActionStatus::Executed {
            // Done already: a retry after a crash, or another workflow asking again. The
            // effect is never repeated; the answer is what the first execution recorded.
            return Ok(already_executed(&action));
        }
        let allowed = match action.needs_approval() {
            true => action.status == ActionStatus::Approved,
            false => action.status == ActionStatus::Proposed,
        };
        if !allowed {
            return Err(error::non_retryable(
                "NotExecutable",
                format!("action {} is {}", action.action_id, action.status.as_str()),
            ));
        }
        let executor = self
            .executors
            .iter()
            .find(|e| e.kind() == action.proposal.kind)
            .ok_or_else(|| {
                error::non_retryable(
                    "NoExecutor",
                    format!("no executor for {}", action.proposal.kind.as_str()),
                )
            })?;
        // The executor is the tool: its call is tagged with a cost class and budgeted first.
        let config = tenant_config(store, &input.tenant_id).await?;
        let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
        let kind = action.proposal.kind;
        let budget = reserve_budget(
            store,
            &scope,
            &config.budgets,
            &BudgetCall {
                operation: format!("tool:{}", kind.as_str()),
                cost_class: tool_cost_class(kind),
                account_id: Some(action.account_id.clone()),
                // A plan's steps count against the plan's scope; a single action's, its
                // decision's.
                plan_id: Some(
                    action
                        .plan_id()
                        .unwrap_or_else(|| action.decision_id.clone()),
                ),
                tool: Some(kind.as_str().to_string()),
                amount: 1,
                at: Utc::now(),
            },
        )
        .await
        .map_err(error::store)?;
        if !action
            .budget
            .iter()
            .any(|b| b.reservation_id == budget.reservation_id)
        {
            action.budget.push(budget.clone());
        }
        action
            .ledger_seqs
            .insert(format!("budget/{}", budget.operation), budget.ledger_seq);
        let out = if budget.decision.verdict == Verdict::Block {
            action.status = ActionStatus::Blocked;
            metrics::plan_outcome("aborted", "budget");
            let reason = format!("budget: {}", budget.decision.reason());
            record_blocked(store, &scope, &action, Some(reason))
                .await
                .map_err(error::store)?;
            action.updated_at = Utc::now();
            store.save_action(&action).await.map_err(error::store)?;
            ExecuteOutput {
                action_id: action.action_id.clone(),
                effect: "budget_blocked".into(),
                created: false,
                result: serde_json::json!({ "budget": budget.decision }),
                blocked: true,
            }
        } else {
            // The side effect heartbeats: a worker that dies in the middle of a CRM call is
            // noticed within the heartbeat timeout and the retry finds what the call did.
            crate::heartbeat::while_working(
                &ctx,
                self.run_executor(executor.as_ref(), &mut action, &scope, &budget),
            )
            .await??
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Action,
                snapshot_ref: action.snapshot_ref.clone(),
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }

    /// Reverses an executed action through its executor's compensation (see [`crate::undo`]).
    #[activity]
    pub async fn undo_action(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: UndoInput,
    ) -> Result<UndoOutput, ActivityError> {
        let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
        let undo = crate::undo::undo_action(&*self.deps.store, &self.executors, &scope, &input);
        crate::heartbeat::while_working(&ctx, undo).await?
    }
}
