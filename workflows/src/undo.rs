//! UndoActionWorkflow: a person reverses an executed action. One activity runs the executor's
//! compensation, so the reversal is retried through a CRM outage like any other side effect and
//! shows in the Temporal UI beside the action it undoes.

use revloop_activities::action::ActionActivities;
use revloop_activities::contracts::*;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::common::side_effect_activity_options;

#[workflow]
pub struct UndoActionWorkflow {
    input: UndoInput,
}

#[workflow_methods]
impl UndoActionWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: UndoInput) -> Self {
        Self { input }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<UndoOutput> {
        let input = ctx.state(|s| s.input.clone());
        ctx.set_current_details(format!(
            "undoing {} for {}",
            input.action_id, input.requested_by
        ));
        let out = ctx
            .execute_activity(
                ActionActivities::undo_action,
                input,
                side_effect_activity_options(),
            )
            .await?;
        Ok(out)
    }
}
