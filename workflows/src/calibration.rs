//! CalibrationWorkflow: runs N no-op activities one after another, with the options revloop's
//! short activities use. `revloop bench decision` runs it beside the decision loop, with as
//! many activities as a decision runs, to report the loop's cost over Temporal's own.

use revloop_activities::calibration::CalibrationActivities;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::common::short_activity_options;

/// The most activities one calibration run may ask for.
pub const MAX_CALIBRATION_ACTIVITIES: u32 = 1_000;

#[workflow]
pub struct CalibrationWorkflow {
    activities: u32,
}

#[workflow_methods]
impl CalibrationWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, activities: u32) -> Self {
        Self {
            activities: activities.min(MAX_CALIBRATION_ACTIVITIES),
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        let n = ctx.state(|s| s.activities);
        for i in 0..n {
            ctx.execute_activity(CalibrationActivities::noop, i, short_activity_options())
                .await?;
        }
        Ok(n)
    }
}
