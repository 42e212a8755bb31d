//! Plan activities: store the plans a decision proposed, open one (claims, approval state),
//! judge the commands people send it (plan tokens), record each step's progress and end it.
//!
//! The PlanWorkflow carries only the plan's id, its step refs and small outcomes; the plan
//! itself (steps, events, end) lives in the store, where `revloop plans show` reads it.

use std::collections::BTreeMap;
use std::sync::Arc;

use revloop_domain::decision::Proposal;
use revloop_domain::decision::approval_token;
use revloop_domain::decision::plan::{
    self, PlanApproval, PlanChange, PlanCommand, PlanEnd, PlanStatus, PlanStepStatus,
};
use revloop_domain::ledger::LedgerKind;
use revloop_store::{
    ActionRecord, ActionStatus, ApprovalEvent, PlanEvent, PlanRecord, PlanStep, Store, TenantConfig,
};
use serde_json::json;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::approval::redact_token;
use crate::contracts::*;
use crate::decision::{load_action, tenant_config};
use crate::ledger_hook::{LedgerRecord, record};
use crate::{Deps, error, metrics};

/// Stores every plan among a decision's proposals (once: a retried decision finds them) and
/// returns their refs. Each step needs approval as the decision routed its proposal.
pub(crate) async fn store_plans(
    store: &dyn Store,
    input: &ProposeInput,
    proposals: &[Proposal],
    routed: &[ProposalRef],
    config: &TenantConfig,
) -> Result<Vec<PlanRef>, ActivityError> {
    let mut by_plan: BTreeMap<&str, Vec<&Proposal>> = BTreeMap::new();
    for p in proposals {
        if let Some(of) = &p.plan {
            by_plan.entry(of.plan.as_str()).or_default().push(p);
        }
    }
    let mut refs = Vec::new();
    for (name, mut steps) in by_plan {
        steps.sort_by_key(|p| p.plan.as_ref().map(|of| of.step));
        let plan_id = plan::plan_id(&input.decision_id, name);
        let record = PlanRecord {
            plan_id: plan_id.clone(),
            tenant_id: input.tenant_id.clone(),
            account_id: input.account_id.clone(),
            decision_id: input.decision_id.clone(),
            trace_id: input.trace_id.clone(),
            name: name.to_string(),
            title: format!("{} at {}", name.replace('_', " "), input.account_id),
            why_now: steps[0].why_now.clone(),
            status: PlanStatus::Proposed,
            resume_to: None,
            awaiting_step: None,
            approval: config.plans.approval,
            steps: steps
                .iter()
                .map(|p| PlanStep {
                    step: p.plan.as_ref().map_or(0, |of| of.step),
                    action_id: p.proposal_id.clone(),
                    kind: p.kind.as_str().into(),
                    title: p.title.clone(),
                    // As the decision routed it, once, with the write-back policy.
                    needs_approval: routed
                        .iter()
                        .find(|r| r.action_id == p.proposal_id)
                        .is_none_or(|r| r.requires_approval),
                    customer_facing: p.kind.is_customer_facing(),
                    status: PlanStepStatus::Pending,
                    detail: String::new(),
                })
                .collect(),
            touches: plan::touches(&steps).into_iter().collect(),
            held_by: None,
            end: None,
            events: Vec::new(),
            created_at: input.now,
            updated_at: input.now,
        };
        let stored = store.create_plan(&record).await.map_err(error::store)?;
        refs.push(PlanRef {
            plan_id,
            name: name.to_string(),
            steps: stored.steps.len() as u32,
        });
    }
    Ok(refs)
}

pub async fn load_plan(
    store: &dyn Store,
    tenant_id: &str,
    plan_id: &str,
) -> Result<PlanRecord, ActivityError> {
    store
        .get_plan(tenant_id, plan_id)
        .await
        .map_err(error::store)?
        .ok_or_else(|| {
            error::non_retryable(
                error::NOT_FOUND,
                format!("plan {plan_id} of tenant {tenant_id} not found"),
            )
        })
}

/// The first validator that blocked the action, and its reason.
pub fn blocking_validator(action: &ActionRecord) -> Option<(String, String)> {
    action
        .validations
        .iter()
        .rev()
        .find_map(|o| o.first_block())
        .map(|r| (r.validator.clone(), r.reason.clone()))
}

fn step_refs(plan: &PlanRecord) -> Vec<PlanStepRef> {
    plan.steps
        .iter()
        .map(|s| PlanStepRef {
            step: s.step,
            action_id: s.action_id.clone(),
            kind: s.kind.clone(),
            waits_for_approval: plan::step_waits_for_approval(plan.approval, s.needs_approval),
        })
        .collect()
}

/// Applies an accepted change to the plan's step actions: a plan approval approves every step
/// that needs a person, a step approval that step, and a rejection or abort settles every step
/// not yet run as rejected, so nothing of the plan can run after it.
async fn apply_to_actions(
    store: &dyn Store,
    plan: &PlanRecord,
    change: PlanChange,
    by: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ActivityError> {
    let (targets, status, signal, reason): (Vec<&PlanStep>, ActionStatus, &str, String) =
        match change {
            PlanChange::ApprovePlan => (
                plan.steps.iter().filter(|s| s.needs_approval).collect(),
                ActionStatus::Approved,
                "approve",
                format!("approved with plan {}", plan.plan_id),
            ),
            PlanChange::ApproveStep { step } => (
                plan.steps.iter().filter(|s| s.step == step).collect(),
                ActionStatus::Approved,
                "approve",
                format!("step {step} of plan {}", plan.plan_id),
            ),
            PlanChange::Reject | PlanChange::Abort => (
                plan.steps.iter().collect(),
                ActionStatus::Rejected,
                "reject",
                format!("plan {} ended by {by}", plan.plan_id),
            ),
            PlanChange::Pause | PlanChange::Resume => return Ok(()),
        };
    for step in targets {
        let mut action = load_action(store, &plan.tenant_id, &step.action_id).await?;
        let open = matches!(
            action.status,
            ActionStatus::Proposed | ActionStatus::AwaitingApproval
        ) || (status == ActionStatus::Rejected
            && action.status == ActionStatus::Approved);
        if !open {
            continue;
        }
        action.status = status;
        action.approval_events.push(ApprovalEvent {
            signal: signal.into(),
            accepted: true,
            approver: Some(by.to_string()),
            reason: Some(reason.clone()),
            error: None,
            changes: None,
            payload: json!({ "plan_id": plan.plan_id }),
            at,
        });
        action.updated_at = at;
        store.save_action(&action).await.map_err(error::store)?;
    }
    Ok(())
}

/// Verifies the command's plan token at the signal's instant; returns who sent it and the
/// step it names.
fn verified_sender(
    keys: &crate::approval_token::ApprovalKeys,
    plan: &PlanRecord,
    command: PlanCommand,
    payload: &serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(String, Option<u32>), String> {
    let token = payload["token"].as_str().ok_or_else(|| {
        format!(
            "no plan token: a command counts only with a token issued to an approver \
             (`revloop plans {} {}`)",
            command.as_str(),
            plan.plan_id
        )
    })?;
    let claims = keys
        .verify_plan(&plan.tenant_id, token)
        .map_err(|e| e.to_string())?;
    approval_token::check_plan_claims(
        &claims,
        &plan.tenant_id,
        &plan.plan_id,
        command,
        at.timestamp().max(0) as u64,
    )
    .map_err(|e| format!("plan token refused: {e}"))?;
    Ok((claims.sub, claims.step))
}

pub struct PlanActivities {
    deps: Deps,
}

impl PlanActivities {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}

#[activities]
impl PlanActivities {
    /// Opens the plan: a step the validators blocked at proposal ends it before it starts;
    /// otherwise it claims what it touches (held, naming the live plan that holds a claim) and
    /// waits for its approval (whole-plan approval, when a step needs a person) or is approved.
    /// Its steps' actions stay `proposed` until the plan's commands approve them: they are
    /// approved through the plan, never one by one as single actions.
    #[activity]
    pub async fn open_plan(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PlanKey,
    ) -> Result<PlanOpened, ActivityError> {
        let store = &*self.deps.store;
        let mut plan = load_plan(store, &input.tenant_id, &input.plan_id).await?;
        let config = tenant_config(store, &input.tenant_id).await?;
        let mut opened = PlanOpened {
            status: plan.status,
            held_by: None,
            steps: step_refs(&plan),
            expire_after_secs: config.approval.expire_after_secs,
            end: plan.end.clone(),
            awaits_approval: false,
        };
        if plan.status.is_terminal() {
            return Ok(opened);
        }
        for step in &plan.steps {
            let action = load_action(store, &input.tenant_id, &step.action_id).await?;
            if action.status == ActionStatus::Blocked {
                let (validator, detail) = blocking_validator(&action).unzip();
                opened.end = Some(PlanEnd {
                    reason: "blocked".into(),
                    by: None,
                    step: Some(step.step),
                    validator,
                    detail: detail.unwrap_or_default(),
                });
                return Ok(opened);
            }
        }
        let holder = store
            .claim_for_plan(&input.tenant_id, &input.plan_id, &plan.touches)
            .await
            .map_err(error::store)?;
        let needs_person = plan.steps.iter().any(|s| s.needs_approval);
        let fresh = if plan.approval == PlanApproval::Whole && needs_person {
            PlanStatus::Proposed
        } else {
            PlanStatus::Approved
        };
        // What the plan is now, beneath a pause: a pause given while it was held (or before
        // it opened) resumes to what opening decides.
        let underlying = match plan.status {
            PlanStatus::Paused => plan.resume_to.unwrap_or(PlanStatus::Proposed),
            other => other,
        };
        let underlying = match (&holder, underlying) {
            (Some(_), _) => PlanStatus::Held,
            (None, PlanStatus::Held | PlanStatus::Proposed) => fresh,
            (None, other) => other,
        };
        if plan.status == PlanStatus::Paused {
            plan.resume_to = Some(underlying);
        } else {
            plan.status = underlying;
        }
        opened.awaits_approval = underlying == PlanStatus::Proposed;
        plan.held_by = holder.clone();
        plan.updated_at = input.at;
        store.save_plan(&plan).await.map_err(error::store)?;
        opened.status = plan.status;
        opened.held_by = holder;
        // The approvers hear that a plan waits for them (each notifier once, whatever the
        // retries); the plan's own page is `revloop plans show`.
        let request_notice = if opened.awaits_approval && opened.held_by.is_none() {
            let notice = crate::notify::Notice {
                tenant_id: plan.tenant_id.clone(),
                action_id: plan.plan_id.clone(),
                notice: "request".into(),
                to: "approvers".into(),
                title: format!("plan: {} ({} steps)", plan.title, plan.steps.len()),
                link: None,
            };
            let delivery = crate::notify::deliver(
                store,
                &self.deps.settings,
                &config.notify,
                &notice,
                ctx.info().attempt,
                input.at,
            )
            .await?;
            Some(delivery)
        } else {
            None
        };
        let ledgered = json!({
            "plan_id": plan.plan_id,
            "status": opened.status,
            "held_by": opened.held_by,
            "approval": plan.approval,
            "touches": plan.touches,
            "request_notice": request_notice,
            "steps": plan.steps.iter().map(|s| json!({"step": s.step, "action_id": s.action_id, "kind": s.kind, "needs_approval": s.needs_approval})).collect::<Vec<_>>(),
        });
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Intent,
                snapshot_ref: None,
                result: &ledgered,
            },
        )
        .await?;
        Ok(opened)
    }

    /// Checks one command signal (its plan token, then whether the command counts in the
    /// plan's state) and applies it. A refused command is kept on the plan with its reason;
    /// the workflow goes on.
    #[activity]
    pub async fn plan_command(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PlanCommandInput,
    ) -> Result<PlanCommandOutcome, ActivityError> {
        let store = &*self.deps.store;
        let mut plan = load_plan(store, &input.tenant_id, &input.plan_id).await?;
        let payload = redact_token(&input.payload);
        // A retried attempt finds its own event applied and answers the same.
        if let Some(done) = plan
            .events
            .get(input.seq as usize)
            .filter(|e| e.at == input.at && e.command == input.signal)
        {
            return Ok(PlanCommandOutcome {
                accepted: done.accepted,
                change: done.change,
                by: done.by.clone(),
                error: done.error.clone(),
            });
        }
        let judged = PlanCommand::parse(&input.signal)
            .ok_or_else(|| format!("{:?} is not a plan command", input.signal))
            .and_then(|command| {
                let (by, step) = verified_sender(
                    &self.deps.approval_keys,
                    &plan,
                    command,
                    &input.payload,
                    input.at,
                )?;
                let change = plan::judge(plan.view(), command, step)?;
                Ok((by, step, change))
            });
        let outcome = match &judged {
            Ok((by, _, change)) => PlanCommandOutcome {
                accepted: true,
                change: Some(*change),
                by: Some(by.clone()),
                error: None,
            },
            Err(e) => PlanCommandOutcome {
                accepted: false,
                change: None,
                by: None,
                error: Some(e.clone()),
            },
        };
        if let Ok((by, _, change)) = &judged {
            apply_to_actions(store, &plan, *change, by, input.at).await?;
            let next = plan::apply(plan.view(), *change);
            plan.status = next.status;
            plan.resume_to = next.resume_to;
            plan.awaiting_step = next.awaiting_step;
            if *change == PlanChange::Pause {
                metrics::plan_outcome("paused", "person");
            }
        }
        plan.events.push(PlanEvent {
            command: input.signal.clone(),
            step: judged.as_ref().ok().and_then(|(_, step, _)| *step),
            accepted: outcome.accepted,
            by: outcome.by.clone(),
            error: outcome.error.clone(),
            at: input.at,
            change: outcome.change,
        });
        plan.updated_at = input.at;
        store.save_plan(&plan).await.map_err(error::store)?;
        let ledgered = json!({
            "plan_id": plan.plan_id,
            "command": input.signal,
            "outcome": outcome,
            "status": plan.status.as_str(),
            "payload": payload,
        });
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Approval,
                snapshot_ref: None,
                result: &ledgered,
            },
        )
        .await?;
        Ok(outcome)
    }

    /// Records a step's progress on the plan; for a blocked step, returns the validator that
    /// blocked it (the plan's completion reason names it).
    #[activity]
    pub async fn plan_step(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: PlanStepUpdate,
    ) -> Result<PlanStepRecorded, ActivityError> {
        let store = &*self.deps.store;
        let mut plan = load_plan(store, &input.tenant_id, &input.plan_id).await?;
        let action_id = plan
            .step(input.step)
            .map(|s| s.action_id.clone())
            .ok_or_else(|| {
                error::non_retryable(
                    error::INVALID_INPUT,
                    format!("plan {} has no step {}", plan.plan_id, input.step),
                )
            })?;
        let mut detail = input.detail.clone();
        let mut validator = None;
        if input.status == PlanStepStatus::Blocked {
            let action = load_action(store, &input.tenant_id, &action_id).await?;
            if let Some((name, reason)) = blocking_validator(&action) {
                detail = format!("{name}: {reason}");
                validator = Some(name);
            } else if let Some(result) = &action.result {
                detail = result.to_string();
            }
        }
        match input.status {
            PlanStepStatus::AwaitingApproval => plan.awaiting_step = Some(input.step),
            PlanStepStatus::Running => {
                plan.awaiting_step = None;
                if !plan.status.is_terminal() {
                    plan.status = PlanStatus::Running;
                }
            }
            _ => {}
        }
        if let Some(step) = plan.step_mut(input.step) {
            step.status = input.status;
            step.detail = detail;
        }
        plan.updated_at = input.at;
        store.save_plan(&plan).await.map_err(error::store)?;
        Ok(PlanStepRecorded { validator })
    }

    /// Ends the plan with its completion reason: its claims are released (and the plans held by
    /// it are named, to be told), steps that never ran are marked so, and the end is ledgered
    /// (OUTCOME) and counted in the plan metrics.
    #[activity]
    pub async fn finish_plan(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PlanFinishInput,
    ) -> Result<PlanFinished, ActivityError> {
        let store = &*self.deps.store;
        let mut plan = load_plan(store, &input.tenant_id, &input.plan_id).await?;
        // An abort or a rejection marked the plan aborted already (so no later command counts
        // while its steps are compensated); its end is written here, once.
        if plan.end.is_none() {
            plan.status = input.end.status();
            plan.end = Some(input.end.clone());
            plan.resume_to = None;
            plan.awaiting_step = None;
            for step in &mut plan.steps {
                if matches!(
                    step.status,
                    PlanStepStatus::Pending | PlanStepStatus::AwaitingApproval
                ) {
                    step.status = PlanStepStatus::NotRun;
                }
            }
            plan.updated_at = input.at;
            store.save_plan(&plan).await.map_err(error::store)?;
            let outcome = if plan.status == PlanStatus::Completed {
                "success"
            } else {
                "aborted"
            };
            metrics::plan_outcome(outcome, input.end.attribution());
            let in_plan = (input.at - plan.created_at).num_milliseconds() as f64 / 1000.0;
            metrics::plan_duration(
                &format!("plan:{}", plan.name),
                plan.status.as_str(),
                in_plan,
            );
        }
        // Any action of the plan still waiting can never run now.
        if plan.status != PlanStatus::Completed {
            let by = plan.end.as_ref().and_then(|e| e.by.clone());
            let by = by.unwrap_or_else(|| "revloop".into());
            apply_to_actions(store, &plan, PlanChange::Abort, &by, input.at).await?;
        }
        store
            .release_plan_claims(&input.tenant_id, &input.plan_id)
            .await
            .map_err(error::store)?;
        let released: Vec<String> = store
            .list_plans(&input.tenant_id, Some(PlanStatus::Held))
            .await
            .map_err(error::store)?
            .into_iter()
            .filter(|p| p.held_by.as_deref() == Some(input.plan_id.as_str()))
            .map(|p| p.plan_id)
            .collect();
        let out = PlanFinished {
            status: plan.status,
            released,
        };
        let ledgered = json!({
            "plan_id": plan.plan_id,
            "status": out.status,
            "end": plan.end,
            "reason": plan.end.as_ref().map(PlanEnd::describe),
            "steps": plan.steps.iter().map(|s| json!({"step": s.step, "action_id": s.action_id, "status": s.status})).collect::<Vec<_>>(),
        });
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Outcome,
                snapshot_ref: None,
                result: &ledgered,
            },
        )
        .await?;
        Ok(out)
    }
}
