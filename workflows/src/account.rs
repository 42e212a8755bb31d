//! AccountWorkflow: one long-lived workflow per account. It collects signals, waits a short
//! debounce so a burst of signals becomes one decision, runs a DecisionWorkflow, and continues
//! as new before its history grows large. Between signals it sleeps on a durable timer until
//! the next meeting's brief is due, and raises MEETING_UPCOMING for it then.

use revloop_activities::workflow_ids;
use std::collections::BTreeSet;
use std::time::Duration;

use revloop_activities::contracts::*;
use temporalio_common::data_converters::RawValue;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    CancellableFuture, ContinueAsNewOptions, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult,
};

use revloop_activities::decision::DecisionActivities;
use revloop_domain::decision::meeting_timer::RECHECK_HOURS;

use crate::common::{
    Child, activity_options, child_options, payload_json, short_activity_options, workflow_now,
};
use crate::decision::DecisionWorkflow;

/// Continue as new after this many events by default, far below Temporal's limits.
const MAX_HISTORY_EVENTS: u32 = 2_000;

/// Continues as new past the history bound; signals that arrived meanwhile travel with the
/// input of the next run.
fn continue_as_new_when_long(
    ctx: &mut WorkflowContext<AccountWorkflow>,
    input: &AccountInput,
) -> WorkflowResult<()> {
    if ctx.continue_as_new_suggested()
        || ctx.history_length() > input.max_history_events.unwrap_or(MAX_HISTORY_EVENTS)
    {
        let next = ctx.state(|s| AccountInput {
            pending: s.pending.clone(),
            pending_trace_id: s.pending_trace_id.clone(),
            decisions_started: s.decisions_started,
            ..s.input.clone()
        });
        ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
    }
    Ok(())
}

#[workflow]
pub struct AccountWorkflow {
    input: AccountInput,
    pending: Vec<SignalRef>,
    pending_trace_id: Option<String>,
    /// Signal ids received in this run, so a re-delivered batch is not decided on twice.
    seen: BTreeSet<String>,
    decisions_started: u64,
    malformed_batches: u64,
}

#[workflow_methods]
impl AccountWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: AccountInput) -> Self {
        Self {
            pending: input.pending.clone(),
            pending_trace_id: input.pending_trace_id.clone(),
            seen: input.pending.iter().map(|s| s.signal_id.clone()).collect(),
            decisions_started: input.decisions_started,
            malformed_batches: 0,
            input,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let input = ctx.state(|s| s.input.clone());
        // Runs started before the calendar look existed keep waiting for signals alone.
        let meeting_timer = ctx.patched("meeting-timer");
        loop {
            if meeting_timer {
                // The brief before each scheduled meeting, even when no record arrives: look
                // at the calendar, then sleep until the next brief is due (or the recheck),
                // unless signals come first.
                let now = workflow_now(ctx.workflow_time());
                // A failed look is visible in the history; the account keeps listening and
                // looks again at the recheck.
                let look = ctx
                    .execute_activity(
                        DecisionActivities::meeting_briefs_due,
                        MeetingTimerInput {
                            tenant_id: input.tenant_id.clone(),
                            account_id: input.account_id.clone(),
                            now,
                        },
                        short_activity_options(),
                    )
                    .await
                    .unwrap_or_else(|_| MeetingTimerOutput {
                        signals: Vec::new(),
                        wake_at: now + chrono::Duration::hours(RECHECK_HOURS),
                    });
                ctx.state_mut(|s| {
                    for signal in look.signals {
                        if s.seen.insert(signal.signal_id.clone()) {
                            s.pending.push(signal);
                        }
                    }
                });
                if ctx.state(|s| s.pending.is_empty()) {
                    ctx.set_current_details(format!(
                        "waiting for signals; next calendar look at {}",
                        look.wake_at.to_rfc3339()
                    ));
                    let now = workflow_now(ctx.workflow_time());
                    let sleep = (look.wake_at - now).to_std().unwrap_or(Duration::ZERO);
                    let mut wake = ctx.timer(sleep);
                    let got_signal = temporalio_sdk::workflows::select! {
                        r = ctx.wait_condition(|s| !s.pending.is_empty()) => { r?; true },
                        _ = wake => false
                    };
                    if got_signal {
                        wake.cancel();
                    } else {
                        drop(wake);
                        // Calendar looks alone grow the history too (a few events a look).
                        continue_as_new_when_long(ctx, &input)?;
                        continue;
                    }
                }
            } else {
                ctx.set_current_details("waiting for signals".to_string());
                ctx.wait_condition(|s| !s.pending.is_empty()).await?;
            }
            ctx.set_current_details("collecting a burst of signals".to_string());
            ctx.timer(Duration::from_secs(input.debounce_secs)).await;
            let (signals, trace_id, n) = ctx.state_mut(|s| {
                s.decisions_started += 1;
                (
                    std::mem::take(&mut s.pending),
                    s.pending_trace_id.take(),
                    s.decisions_started,
                )
            });
            let trace_id = trace_id.unwrap_or_default();
            let decision = DecisionInput {
                tenant_id: input.tenant_id.clone(),
                account_id: input.account_id.clone(),
                trace_id: trace_id.clone(),
                signal_ids: signals.iter().map(|s| s.signal_id.clone()).collect(),
                approval_timeout_secs: input.approval_timeout_secs,
            };
            let options = child_options(Child {
                workflow_id: workflow_ids::decision(&input.tenant_id, &input.account_id, n),
                tenant_id: &input.tenant_id,
                account_id: Some(&input.account_id),
                trace_id: &trace_id,
                kind: "decision",
                summary: format!(
                    "decide on {} signal(s) for {}",
                    signals.len(),
                    input.account_id
                ),
                outlive_parent: false,
            });
            ctx.set_current_details(format!("deciding on {} signal(s)", signals.len()));
            // A failed decision is visible in its own history; the account keeps listening.
            if let Ok(started) = ctx
                .start_child_workflow(DecisionWorkflow::run, decision, options)
                .await
            {
                let _ = started.result().await;
            }
            continue_as_new_when_long(ctx, &input)?;
        }
    }

    /// New signals for this account. Decoded by hand: a malformed batch is counted and dropped,
    /// never allowed to fail the workflow task.
    #[signal]
    pub fn signals_detected(&mut self, _ctx: &mut SyncWorkflowContext<Self>, batch: RawValue) {
        let Ok(batch) = serde_json::from_value::<SignalBatch>(payload_json(&batch)) else {
            self.malformed_batches += 1;
            return;
        };
        for signal in batch.signals {
            if self.seen.insert(signal.signal_id.clone()) {
                self.pending.push(signal);
            }
        }
        self.pending_trace_id = Some(batch.trace_id);
    }

    /// "What should I do next?": the account's ranked proposals now, answered synchronously.
    /// Suggestions only: nothing is proposed for approval or executed. The account is this
    /// workflow's own, never one the caller names; the question and the answer are ledgered
    /// (INTENT) by the activity.
    #[update]
    pub async fn next_best_actions(
        ctx: &mut WorkflowContext<Self>,
        ask: NextActionsAsk,
    ) -> Result<NextActions, Box<dyn std::error::Error + Send + Sync>> {
        let input = ctx.state(|s| NextActionsInput {
            tenant_id: s.input.tenant_id.clone(),
            account_id: s.input.account_id.clone(),
            asked_by: ask.asked_by.clone(),
            now: Some(workflow_now(ctx.workflow_time())),
        });
        let answer = ctx
            .execute_activity(DecisionActivities::next_actions, input, activity_options())
            .await?;
        Ok(answer)
    }

    #[query]
    pub fn pending_signals(&self, _ctx: &WorkflowContextView) -> Vec<SignalRef> {
        self.pending.clone()
    }
}
