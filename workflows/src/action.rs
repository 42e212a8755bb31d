//! ActionWorkflow: validate once more right before acting, then run the executor once.

use revloop_activities::action::ActionActivities;
use revloop_activities::contracts::*;
use revloop_activities::decision::DecisionActivities;
use revloop_domain::validators::{Checkpoint, Verdict};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::common::{short_activity_options, side_effect_activity_options, workflow_now};

#[workflow]
pub struct ActionWorkflow {
    input: ActionInput,
}

#[workflow_methods]
impl ActionWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ActionInput) -> Self {
        Self { input }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ActionResult> {
        let input = ctx.state(|s| s.input.clone());
        let now = workflow_now(ctx.workflow_time());
        ctx.set_current_details("validating before execution".to_string());
        let verdicts = ctx
            .execute_activity(
                DecisionActivities::validate_proposals,
                ValidateInput {
                    tenant_id: input.tenant_id.clone(),
                    trace_id: input.trace_id.clone(),
                    action_ids: vec![input.action_id.clone()],
                    checkpoint: Checkpoint::BeforeStepExecution,
                    now,
                },
                short_activity_options(),
            )
            .await?;
        if verdicts.verdicts.iter().any(|(_, v)| *v == Verdict::Block) {
            return Ok(ActionResult {
                action_id: input.action_id,
                status: ActionStatus::Blocked,
                effect: None,
                approval_timers: None,
            });
        }
        ctx.set_current_details("executing".to_string());
        let out = ctx
            .execute_activity(
                ActionActivities::execute_action,
                input.clone(),
                side_effect_activity_options(),
            )
            .await?;
        Ok(ActionResult {
            action_id: input.action_id,
            status: if out.blocked {
                ActionStatus::Blocked
            } else {
                ActionStatus::Executed
            },
            effect: Some(out.effect),
            approval_timers: None,
        })
    }
}
