//! ClarificationWorkflow: a decision asked a person about a disputed fact. It opens the
//! questions (routed to the account's owner), waits for `answer` signals (or the expiry
//! timer), and once every question is answered runs the decision again, on the settled state,
//! as a child DecisionWorkflow.
//!
//! Answer payloads arrive raw and are checked by an activity, as approvals are: a malformed
//! or forged answer is recorded as refused, and the wait goes on.

use std::collections::VecDeque;
use std::time::Duration;

use revloop_activities::clarification::ClarificationActivities;
use revloop_activities::contracts::*;
use temporalio_common::data_converters::RawValue;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    CancellableFuture, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::common::{Child, child_options, payload_json, short_activity_options, workflow_now};
use crate::decision::DecisionWorkflow;

#[workflow]
pub struct ClarificationWorkflow {
    input: ClarificationInput,
    inbox: VecDeque<serde_json::Value>,
    answered: usize,
    refused_signals: usize,
}

#[workflow_methods]
impl ClarificationWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ClarificationInput) -> Self {
        Self {
            input,
            inbox: VecDeque::new(),
            answered: 0,
            refused_signals: 0,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ClarificationResult> {
        let input = ctx.state(|s| s.input.clone());
        let (tenant, trace) = (input.tenant_id.clone(), input.trace_id.clone());
        let opened = ctx
            .execute_activity(
                ClarificationActivities::open_questions,
                OpenQuestionsInput {
                    tenant_id: tenant.clone(),
                    trace_id: trace.clone(),
                    question_ids: input.question_ids.clone(),
                    at: workflow_now(ctx.workflow_time()),
                },
                short_activity_options(),
            )
            .await?;
        let deadline = workflow_now(ctx.workflow_time())
            + chrono::Duration::seconds(opened.expire_after_secs as i64);
        let mut open = opened.open;
        while open > 0 {
            ctx.set_current_details(format!(
                "awaiting {open} answer(s) for {}",
                input.account_id
            ));
            let now = workflow_now(ctx.workflow_time());
            let remaining = (deadline - now).to_std().unwrap_or(Duration::ZERO);
            let mut expiry = ctx.timer(remaining);
            // Polled top-down: a queued answer wins over an expiry that fires in the same task.
            let got_signal = temporalio_sdk::workflows::select! {
                r = ctx.wait_condition(|s| !s.inbox.is_empty()) => { r?; true },
                _ = expiry => false
            };
            if !got_signal {
                let expired = ctx
                    .execute_activity(
                        ClarificationActivities::expire_questions,
                        ExpireQuestionsInput {
                            tenant_id: tenant.clone(),
                            trace_id: trace.clone(),
                            question_ids: input.question_ids.clone(),
                            at: workflow_now(ctx.workflow_time()),
                        },
                        short_activity_options(),
                    )
                    .await?;
                return Ok(ClarificationResult {
                    answered: ctx.state(|s| s.answered),
                    expired,
                    refused_signals: ctx.state(|s| s.refused_signals),
                    redecision_id: None,
                    redecision: None,
                });
            }
            expiry.cancel();
            let Some(payload) = ctx.state_mut(|s| s.inbox.pop_front()) else {
                continue;
            };
            let outcome = ctx
                .execute_activity(
                    ClarificationActivities::record_answer,
                    AnswerEventInput {
                        tenant_id: tenant.clone(),
                        trace_id: trace.clone(),
                        question_ids: input.question_ids.clone(),
                        payload,
                        at: workflow_now(ctx.workflow_time()),
                    },
                    short_activity_options(),
                )
                .await?;
            ctx.state_mut(|s| {
                if outcome.accepted {
                    s.answered += 1;
                } else {
                    s.refused_signals += 1;
                }
            });
            open = outcome.open;
        }
        // Every question is settled: the decision runs again on the answered state.
        let redecision_id = format!("{}-answered", input.decision_id);
        ctx.set_current_details(format!("answered: deciding again for {}", input.account_id));
        let options = child_options(Child {
            workflow_id: redecision_id.clone(),
            tenant_id: &tenant,
            account_id: Some(&input.account_id),
            trace_id: &trace,
            kind: "decision",
            summary: format!("decide again for {} on the answers", input.account_id),
            outlive_parent: false,
        });
        let decision = DecisionInput {
            tenant_id: tenant.clone(),
            account_id: input.account_id.clone(),
            trace_id: trace.clone(),
            signal_ids: input.signal_ids.clone(),
            approval_timeout_secs: input.approval_timeout_secs,
        };
        let started = ctx
            .start_child_workflow(DecisionWorkflow::run, decision, options)
            .await?;
        let redecision = started.result().await?;
        Ok(ClarificationResult {
            answered: ctx.state(|s| s.answered),
            expired: 0,
            refused_signals: ctx.state(|s| s.refused_signals),
            redecision_id: Some(redecision_id),
            redecision: Some(redecision),
        })
    }

    /// An answer: `{"question_id", "choice" | "value", "token"}`, checked by the activity.
    #[signal]
    pub fn answer(&mut self, _ctx: &mut SyncWorkflowContext<Self>, payload: RawValue) {
        self.inbox.push_back(payload_json(&payload));
    }

    #[query]
    pub fn answered(&self, _ctx: &WorkflowContextView) -> usize {
        self.answered
    }
}
