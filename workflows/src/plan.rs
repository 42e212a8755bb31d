//! PlanWorkflow: a multi-step plan, step by step, each step a child ActionWorkflow.
//!
//! proposed → approved → running → paused → completed | aborted | failed. The plan is first
//! opened (held while another live plan touches the same field or contact, until that plan
//! ends), then waits for its approval (whole-plan approval) and runs its steps in order. Before
//! each step it looks at the commands people sent: a pause holds before the next step, resume
//! continues, abort stops. Under per-step approval a step that needs a person waits for its own
//! approval at its turn. When a step fails for good (or is blocked), or the plan is aborted,
//! the steps that ran are compensated in reverse order, each in a child UndoActionWorkflow;
//! a step that cannot be undone is recorded as irreversible.
//!
//! Commands arrive as signals with raw JSON payloads carrying a plan token, checked by the
//! `plan_command` activity: a forged or malformed command is recorded as refused and changes
//! nothing. History holds the plan's id, its step refs (at most `plan::MAX_STEPS`) and small
//! outcomes; the plan itself lives in the store.

use revloop_activities::workflow_ids;
use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use revloop_activities::contracts::*;
use revloop_activities::plan::PlanActivities;
use revloop_domain::decision::plan::{PlanChange, PlanEnd, PlanStatus, PlanStepStatus};
use serde::{Deserialize, Serialize};
use temporalio_common::data_converters::RawValue;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    CancellableFuture, SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult,
};

use crate::action::ActionWorkflow;
use crate::common::{Child, child_options, payload_json, short_activity_options, workflow_now};
use crate::undo::UndoActionWorkflow;

/// How often a held plan looks again on its own, in case the plan holding it ended without
/// telling it (it is told when that plan ends).
const HELD_RECHECK: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanProgress {
    pub plan_id: String,
    pub status: String,
    /// The step the plan is at (0 before the first).
    pub step: u32,
    pub queued_signals: usize,
    pub refused_signals: usize,
}

#[workflow]
pub struct PlanWorkflow {
    input: PlanInput,
    inbox: VecDeque<(String, serde_json::Value)>,
    released: bool,
    status: String,
    step: u32,
    refused_signals: usize,
    /// Commands sent to `plan_command` so far.
    commands: u32,
}

/// What the commands so far have decided.
#[derive(Debug, Default)]
struct Decided {
    approved: bool,
    paused: bool,
    approved_step: Option<u32>,
    end: Option<PlanEnd>,
}

fn ended_by(reason: &str, by: Option<String>) -> PlanEnd {
    PlanEnd {
        reason: reason.into(),
        by,
        step: None,
        validator: None,
        detail: String::new(),
    }
}

/// Sends every queued command to the `plan_command` activity, in order, and folds the accepted
/// ones into `decided`.
async fn drain(
    ctx: &WorkflowContext<PlanWorkflow>,
    input: &PlanInput,
    decided: &mut Decided,
) -> WorkflowResult<()> {
    while let Some((signal, payload)) = ctx.state_mut(|s| s.inbox.pop_front()) {
        let seq = ctx.state_mut(|s| {
            s.commands += 1;
            s.commands - 1
        });
        let outcome = ctx
            .execute_activity(
                PlanActivities::plan_command,
                PlanCommandInput {
                    tenant_id: input.tenant_id.clone(),
                    plan_id: input.plan_id.clone(),
                    trace_id: input.trace_id.clone(),
                    signal,
                    payload,
                    at: workflow_now(ctx.workflow_time()),
                    seq,
                },
                short_activity_options(),
            )
            .await?;
        match outcome.change {
            Some(PlanChange::ApprovePlan) => decided.approved = true,
            Some(PlanChange::ApproveStep { step }) => decided.approved_step = Some(step),
            Some(PlanChange::Pause) => decided.paused = true,
            Some(PlanChange::Resume) => decided.paused = false,
            Some(PlanChange::Reject) => decided.end = Some(ended_by("rejected", outcome.by)),
            Some(PlanChange::Abort) => decided.end = Some(ended_by("aborted", outcome.by)),
            None => ctx.state_mut(|s| s.refused_signals += 1),
        }
        if decided.end.is_some() {
            break;
        }
    }
    Ok(())
}

/// Waits for a signal, or until `deadline`: false when the deadline came first.
async fn next_signal(
    ctx: &WorkflowContext<PlanWorkflow>,
    deadline: Option<DateTime<Utc>>,
) -> WorkflowResult<bool> {
    let Some(deadline) = deadline else {
        ctx.wait_condition(|s| !s.inbox.is_empty()).await?;
        return Ok(true);
    };
    let now = workflow_now(ctx.workflow_time());
    let mut timer = ctx.timer((deadline - now).to_std().unwrap_or(Duration::ZERO));
    let got = temporalio_sdk::workflows::select! {
        r = ctx.wait_condition(|s| !s.inbox.is_empty()) => { r?; true },
        _ = timer => false
    };
    if got {
        timer.cancel();
    }
    Ok(got)
}

async fn record_step(
    ctx: &WorkflowContext<PlanWorkflow>,
    input: &PlanInput,
    step: u32,
    status: PlanStepStatus,
    detail: String,
) -> WorkflowResult<PlanStepRecorded> {
    ctx.state_mut(|s| s.step = step);
    let recorded = ctx
        .execute_activity(
            PlanActivities::plan_step,
            PlanStepUpdate {
                tenant_id: input.tenant_id.clone(),
                plan_id: input.plan_id.clone(),
                trace_id: input.trace_id.clone(),
                step,
                status,
                detail,
                at: workflow_now(ctx.workflow_time()),
            },
            short_activity_options(),
        )
        .await?;
    Ok(recorded)
}

fn set_status(ctx: &WorkflowContext<PlanWorkflow>, status: &str, details: String) {
    ctx.state_mut(|s| s.status = status.to_string());
    ctx.set_current_details(details);
}

#[workflow_methods]
impl PlanWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PlanInput) -> Self {
        Self {
            input,
            inbox: VecDeque::new(),
            released: false,
            status: "opening".into(),
            step: 0,
            refused_signals: 0,
            commands: 0,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PlanResult> {
        let input = ctx.state(|s| s.input.clone());
        let (tenant, plan_id) = (input.tenant_id.clone(), input.plan_id.clone());
        let key = |ctx: &WorkflowContext<Self>| PlanKey {
            tenant_id: tenant.clone(),
            plan_id: plan_id.clone(),
            trace_id: input.trace_id.clone(),
            at: workflow_now(ctx.workflow_time()),
        };
        let mut decided = Decided::default();
        let mut executed: Vec<PlanStepRef> = Vec::new();

        // Open: held while a live plan touches the same field or contact.
        let opened = loop {
            let opened = ctx
                .execute_activity(
                    PlanActivities::open_plan,
                    key(ctx),
                    short_activity_options(),
                )
                .await?;
            let Some(holder) = opened.held_by.clone() else {
                break opened;
            };
            set_status(
                ctx,
                "held",
                format!("held: plan {holder} touches the same field or contact"),
            );
            let mut recheck = ctx.timer(HELD_RECHECK);
            let woken = temporalio_sdk::workflows::select! {
                r = ctx.wait_condition(|s| s.released || !s.inbox.is_empty()) => { r?; true },
                _ = recheck => false
            };
            if woken {
                recheck.cancel();
            }
            ctx.state_mut(|s| s.released = false);
            drain(ctx, &input, &mut decided).await?;
            if decided.end.is_some() {
                break opened;
            }
        };
        let expire_secs = opened
            .expire_after_secs
            .unwrap_or(input.approval_timeout_secs);
        let total = opened.steps.len();
        decided.approved |= !opened.awaits_approval;
        decided.paused |= opened.status == PlanStatus::Paused;
        if let Some(end) = opened.end.clone() {
            decided.end.get_or_insert(end);
        }

        // The whole plan's approval.
        let opened_at = workflow_now(ctx.workflow_time());
        let deadline = opened_at + chrono::Duration::seconds(expire_secs as i64);
        while !decided.approved && decided.end.is_none() {
            set_status(
                ctx,
                "proposed",
                format!("awaiting approval of the plan ({total} steps)"),
            );
            if !next_signal(ctx, Some(deadline)).await? {
                decided.end = Some(ended_by("expired", None));
                break;
            }
            drain(ctx, &input, &mut decided).await?;
        }

        // The steps, in order.
        for step in opened.steps.clone() {
            if decided.end.is_some() {
                break;
            }
            let mut step_deadline = None;
            loop {
                if ctx.state(|s| !s.inbox.is_empty()) {
                    drain(ctx, &input, &mut decided).await?;
                }
                if decided.end.is_some() {
                    break;
                }
                if decided.paused {
                    set_status(
                        ctx,
                        "paused",
                        format!("paused before step {}/{total}", step.step),
                    );
                    next_signal(ctx, None).await?;
                    continue;
                }
                if step.waits_for_approval && decided.approved_step != Some(step.step) {
                    let deadline = match step_deadline {
                        Some(d) => d,
                        None => {
                            record_step(
                                ctx,
                                &input,
                                step.step,
                                PlanStepStatus::AwaitingApproval,
                                String::new(),
                            )
                            .await?;
                            let d = workflow_now(ctx.workflow_time())
                                + chrono::Duration::seconds(expire_secs as i64);
                            step_deadline = Some(d);
                            d
                        }
                    };
                    set_status(
                        ctx,
                        "running",
                        format!("step {}/{total} ({}) awaits approval", step.step, step.kind),
                    );
                    if !next_signal(ctx, Some(deadline)).await? {
                        let mut end = ended_by("expired", None);
                        end.step = Some(step.step);
                        decided.end = Some(end);
                    }
                    continue;
                }
                break;
            }
            if decided.end.is_some() {
                break;
            }
            record_step(
                ctx,
                &input,
                step.step,
                PlanStepStatus::Running,
                String::new(),
            )
            .await?;
            set_status(
                ctx,
                "running",
                format!("step {}/{total}: {}", step.step, step.kind),
            );
            let options = child_options(Child {
                workflow_id: workflow_ids::action(&tenant, &step.action_id),
                tenant_id: &tenant,
                account_id: Some(&input.account_id),
                trace_id: &input.trace_id,
                kind: "action",
                summary: format!("plan {plan_id} step {}/{total}: {}", step.step, step.kind),
                outlive_parent: false,
            });
            let action = ActionInput {
                tenant_id: tenant.clone(),
                action_id: step.action_id.clone(),
                trace_id: input.trace_id.clone(),
            };
            let started = ctx
                .start_child_workflow(ActionWorkflow::run, action, options)
                .await?;
            let (status, detail) = match started.result().await {
                Ok(done) if done.status == ActionStatus::Executed => {
                    (PlanStepStatus::Executed, done.effect.unwrap_or_default())
                }
                Ok(done) => (PlanStepStatus::Blocked, done.effect.unwrap_or_default()),
                Err(e) => (PlanStepStatus::Failed, e.to_string()),
            };
            let recorded = record_step(ctx, &input, step.step, status, detail.clone()).await?;
            if status == PlanStepStatus::Executed {
                executed.push(step);
                continue;
            }
            decided.end = Some(PlanEnd {
                reason: status.as_str().into(),
                by: None,
                step: Some(step.step),
                validator: recorded.validator,
                detail,
            });
        }

        // Saga: what ran is compensated, last first.
        let end = decided
            .end
            .clone()
            .unwrap_or_else(|| ended_by("completed", None));
        let mut compensated = Vec::new();
        if end.reason != "completed" {
            let requested_by = end.by.clone().unwrap_or_else(|| format!("plan:{plan_id}"));
            let reason = format!("plan {plan_id} {}", end.describe());
            for step in executed.iter().rev() {
                set_status(
                    ctx,
                    "compensating",
                    format!("compensating step {}/{total}: {}", step.step, step.kind),
                );
                let options = child_options(Child {
                    workflow_id: format!("{}/compensate/{}", ctx.workflow_id(), step.step),
                    tenant_id: &tenant,
                    account_id: Some(&input.account_id),
                    trace_id: &input.trace_id,
                    kind: "undo",
                    summary: format!(
                        "compensate step {} ({}) of plan {plan_id}",
                        step.step, step.kind
                    ),
                    outlive_parent: false,
                });
                let undo = UndoInput {
                    tenant_id: tenant.clone(),
                    action_id: step.action_id.clone(),
                    trace_id: input.trace_id.clone(),
                    requested_by: requested_by.clone(),
                    reason: reason.clone(),
                };
                let started = ctx
                    .start_child_workflow(UndoActionWorkflow::run, undo, options)
                    .await?;
                let (status, detail) = match started.result().await {
                    Ok(out) if out.undone => (PlanStepStatus::Compensated, out.detail),
                    Ok(out) => (PlanStepStatus::Irreversible, out.detail),
                    Err(e) => (PlanStepStatus::Irreversible, e.to_string()),
                };
                record_step(ctx, &input, step.step, status, detail).await?;
                compensated.push(step.step);
            }
        }
        let finished = ctx
            .execute_activity(
                PlanActivities::finish_plan,
                PlanFinishInput {
                    tenant_id: tenant.clone(),
                    plan_id: plan_id.clone(),
                    trace_id: input.trace_id.clone(),
                    end: end.clone(),
                    at: workflow_now(ctx.workflow_time()),
                },
                short_activity_options(),
            )
            .await?;
        set_status(ctx, finished.status.as_str(), end.describe());
        // Commands that came after the end are recorded on the plan as refused: nothing runs
        // again, and nothing goes untraced.
        drain(ctx, &input, &mut Decided::default()).await?;
        // The plans this one held may go on now. One that ended meanwhile cannot be told,
        // and needs not be.
        for held in &finished.released {
            let _ = ctx
                .external_workflow(workflow_ids::plan(&tenant, held), None)
                .signal(
                    PlanWorkflow::released,
                    RawValue::empty(),
                    SignalWorkflowOptions::default(),
                )
                .await;
        }
        Ok(PlanResult {
            plan_id,
            status: finished.status,
            reason: end.describe(),
            executed: executed.iter().map(|s| s.step).collect(),
            compensated,
        })
    }

    #[signal]
    pub fn approve(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("approve".into(), payload_json(&payload)));
    }

    #[signal]
    pub fn reject(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("reject".into(), payload_json(&payload)));
    }

    #[signal]
    pub fn pause(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("pause".into(), payload_json(&payload)));
    }

    #[signal]
    pub fn resume(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("resume".into(), payload_json(&payload)));
    }

    #[signal]
    pub fn abort(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("abort".into(), payload_json(&payload)));
    }

    /// The plan it waited for has ended: look again. Carries nothing a sender could forge.
    #[signal]
    pub fn released(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _payload: RawValue) {
        self.released = true;
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> PlanProgress {
        PlanProgress {
            plan_id: self.input.plan_id.clone(),
            status: self.status.clone(),
            step: self.step,
            queued_signals: self.inbox.len(),
            refused_signals: self.refused_signals,
        }
    }
}
