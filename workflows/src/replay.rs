//! A replayer with every revloop workflow registered: recorded histories must replay
//! deterministically against the current code before a workflow change ships.

use temporalio_sdk::workflow_replayer::{
    WorkflowReplayError, WorkflowReplayer, WorkflowReplayerOptions,
};

use crate::*;

pub fn replayer() -> Result<WorkflowReplayer, WorkflowReplayError> {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<PerceptionWorkflow>()
        .and_then(|o| o.register_workflow::<AccountWorkflow>())
        .and_then(|o| o.register_workflow::<DecisionWorkflow>())
        .and_then(|o| o.register_workflow::<ApprovalWorkflow>())
        .and_then(|o| o.register_workflow::<ActionWorkflow>())
        .and_then(|o| o.register_workflow::<ClarificationWorkflow>())
        .and_then(|o| o.register_workflow::<CalibrationWorkflow>())
        .and_then(|o| o.register_workflow::<UndoActionWorkflow>())
        .and_then(|o| o.register_workflow::<PlanWorkflow>())
        .and_then(|o| o.register_workflow::<LedgerDigestWorkflow>())
        .map_err(|e| {
            WorkflowReplayError::from(
                temporalio_sdk::workflow_replayer::WorkflowReplayWorkerError::Internal {
                    message: e.to_string(),
                },
            )
        })?
        .build();
    WorkflowReplayer::new(options)
}
