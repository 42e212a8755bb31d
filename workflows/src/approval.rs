//! ApprovalWorkflow: waits for `approve`, `edit` or `reject` (or the expiry timer), then runs the
//! approved action as a child ActionWorkflow.
//!
//! Signal payloads arrive as raw payloads and are checked by an activity: with this SDK a typed
//! payload that fails to decode would fail every replay of the workflow task and wedge the
//! workflow. Malformed approvals are recorded as refused, and the workflow keeps waiting.

use revloop_activities::workflow_ids;
use std::collections::VecDeque;
use std::time::Duration;

use revloop_activities::approval::{ApprovalActivities, EXPIRE};
use revloop_activities::contracts::*;
use revloop_activities::search_attributes;
use serde::{Deserialize, Serialize};
use temporalio_common::data_converters::RawValue;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    CancellableFuture, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::action::ActionWorkflow;
use crate::common::{Child, child_options, payload_json, short_activity_options, workflow_now};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalStatus {
    pub action_id: String,
    pub decision: Option<String>,
    pub queued_signals: usize,
    pub invalid_signals: usize,
}

#[workflow]
pub struct ApprovalWorkflow {
    input: ApprovalInput,
    inbox: VecDeque<(String, serde_json::Value)>,
    decision: Option<String>,
    invalid_signals: usize,
    /// Signals recorded as ignored because they came after the decision.
    late_signals: usize,
}

#[workflow_methods]
impl ApprovalWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ApprovalInput) -> Self {
        Self {
            input,
            inbox: VecDeque::new(),
            decision: None,
            invalid_signals: 0,
            late_signals: 0,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ApprovalResult> {
        let input = ctx.state(|s| s.input.clone());
        let (tenant, trace) = (input.tenant_id.clone(), input.trace_id.clone());
        let opened = ctx
            .execute_activity(
                ApprovalActivities::open_approval,
                OpenApprovalInput {
                    tenant_id: tenant.clone(),
                    trace_id: trace.clone(),
                    action_id: input.action_id.clone(),
                },
                short_activity_options(),
            )
            .await?;
        ctx.set_current_details(format!("awaiting approval of {}", input.action_id));
        // Reminder, escalation and expiry times come from the tenant's `[approval]` table;
        // histories from before they existed keep the single expiry timer.
        let reminders = ctx.patched("approval-reminders");
        let timers = opened.approval_timers.filter(|_| reminders);
        if reminders {
            ctx.upsert_search_attributes([
                search_attributes::APPROVAL_STATUS.value_set("pending".to_string())
            ]);
        }
        let opened_at = workflow_now(ctx.workflow_time());
        let after = |secs: u64| opened_at + chrono::Duration::seconds(secs as i64);
        let expire_secs = timers
            .as_ref()
            .and_then(|t| t.expire_after_secs)
            .unwrap_or(input.timeout_secs);
        let deadline = after(expire_secs);
        // Notices still to fire, soonest first; none at or after the expiry.
        let mut notices: VecDeque<(chrono::DateTime<chrono::Utc>, &str, String)> = timers
            .iter()
            .flat_map(|t| {
                [
                    (t.remind_after_secs, "reminder", "approvers".to_string()),
                    (t.escalate_after_secs, "escalation", t.escalate_to.clone()),
                ]
            })
            .filter(|(secs, _, _)| *secs > 0 && *secs < expire_secs)
            .map(|(secs, notice, to)| (after(secs), notice, to))
            .collect();
        notices.make_contiguous().sort_by_key(|n| n.0);
        let (decision, approver) = loop {
            let now = workflow_now(ctx.workflow_time());
            let next_notice = notices.front().map(|n| n.0);
            let wake = next_notice.map_or(deadline, |n| n.min(deadline));
            let remaining = (wake - now).to_std().unwrap_or(Duration::ZERO);
            let mut expiry = ctx.timer(remaining);
            // Polled top-down: a queued approval wins over an expiry that fires in the same task.
            let got_signal = temporalio_sdk::workflows::select! {
                r = ctx.wait_condition(|s| !s.inbox.is_empty()) => { r?; true },
                _ = expiry => false
            };
            if got_signal {
                expiry.cancel();
            }
            if !got_signal && next_notice.is_some_and(|n| n < deadline) {
                let (_, notice, to) = notices.pop_front().expect("a notice was due");
                ctx.set_current_details(format!(
                    "{notice} sent; awaiting approval of {}",
                    input.action_id
                ));
                ctx.execute_activity(
                    ApprovalActivities::record_approval_notice,
                    ApprovalNoticeInput {
                        tenant_id: tenant.clone(),
                        trace_id: trace.clone(),
                        action_id: input.action_id.clone(),
                        notice: notice.to_string(),
                        to,
                        at: workflow_now(ctx.workflow_time()),
                    },
                    short_activity_options(),
                )
                .await?;
                continue;
            }
            let (signal, payload) = match ctx.state_mut(|s| s.inbox.pop_front()) {
                Some(event) if got_signal => event,
                _ => (EXPIRE.to_string(), serde_json::Value::Null),
            };
            let event = ApprovalEventInput {
                tenant_id: tenant.clone(),
                trace_id: trace.clone(),
                action_id: input.action_id.clone(),
                signal: signal.clone(),
                payload: payload.clone(),
                at: workflow_now(ctx.workflow_time()),
            };
            let outcome = ctx
                .execute_activity(
                    ApprovalActivities::record_approval_event,
                    event,
                    short_activity_options(),
                )
                .await?;
            if let Some(decision) = outcome.decision {
                // The approver is the one the activity verified, never a name in the payload.
                break (decision, outcome.approver);
            }
            ctx.state_mut(|s| s.invalid_signals += 1);
        };
        ctx.state_mut(|s| s.decision = Some(decision.clone()));
        if reminders {
            ctx.upsert_search_attributes([
                search_attributes::APPROVAL_STATUS.value_set(decision.clone())
            ]);
        }
        let mut executed = false;
        if decision == "approved" || decision == "edited" {
            ctx.set_current_details(format!("{decision}: executing {}", input.action_id));
            let options = child_options(Child {
                workflow_id: workflow_ids::action(&tenant, &input.action_id),
                tenant_id: &tenant,
                account_id: None,
                trace_id: &trace,
                kind: "action",
                summary: format!("execute approved {}", input.action_id),
                outlive_parent: false,
            });
            let action = ActionInput {
                tenant_id: tenant.clone(),
                action_id: input.action_id.clone(),
                trace_id: trace.clone(),
            };
            let started = ctx
                .start_child_workflow(ActionWorkflow::run, action, options)
                .await?;
            executed = started.result().await?.status == ActionStatus::Executed;
        }
        // Signals that came after the decision (a second approve, a reject too late) are
        // recorded on the action as ignored: nothing runs twice, and nothing goes untraced.
        if ctx.patched("record-late-signals") {
            while let Some((signal, payload)) = ctx.state_mut(|s| s.inbox.pop_front()) {
                let event = ApprovalEventInput {
                    tenant_id: tenant.clone(),
                    trace_id: trace.clone(),
                    action_id: input.action_id.clone(),
                    signal,
                    payload,
                    at: workflow_now(ctx.workflow_time()),
                };
                ctx.execute_activity(
                    ApprovalActivities::record_approval_event,
                    event,
                    short_activity_options(),
                )
                .await?;
                ctx.state_mut(|s| s.late_signals += 1);
            }
        }
        Ok(ApprovalResult {
            action_id: input.action_id,
            decision,
            approver,
            invalid_signals: ctx.state(|s| s.invalid_signals),
            late_signals: ctx.state(|s| s.late_signals),
            executed,
        })
    }

    #[signal]
    pub fn approve(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("approve".into(), payload_json(&payload)));
    }

    #[signal]
    pub fn edit(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("edit".into(), payload_json(&payload)));
    }

    #[signal]
    pub fn reject(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox
            .push_back(("reject".into(), payload_json(&payload)));
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> ApprovalStatus {
        ApprovalStatus {
            action_id: self.input.action_id.clone(),
            decision: self.decision.clone(),
            queued_signals: self.inbox.len(),
            invalid_signals: self.invalid_signals,
        }
    }
}
