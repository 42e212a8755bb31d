//! Temporal workflows of revloop: they decide the order of steps, never their outcomes.
//!
//! Only deterministic code lives here: workflow time, workflow randomness and activity results.
//! Every pure rule (detectors, validators, playbooks) runs inside an activity, so its result is
//! recorded in history and changing a rule can never break the replay of a running workflow.

mod account;
mod action;
mod approval;
mod calibration;
mod clarification;
mod common;
mod decision;
mod ledger_digest;
mod perception;
mod plan;
pub mod replay;
mod undo;

pub use account::AccountWorkflow;
pub use action::ActionWorkflow;
pub use approval::{ApprovalStatus, ApprovalWorkflow};
pub use calibration::CalibrationWorkflow;
pub use clarification::ClarificationWorkflow;
pub use decision::DecisionWorkflow;
pub use ledger_digest::LedgerDigestWorkflow;
pub use perception::PerceptionWorkflow;
pub use plan::{PlanProgress, PlanWorkflow};
pub use undo::UndoActionWorkflow;

/// The signal names each workflow type handles. The SDK drops a signal under any other name
/// before workflow code sees it, so the worker records those itself (as ignored, in the ledger).
pub fn handled_signals(workflow_type: &str) -> Option<Vec<&'static str>> {
    use temporalio_common::{SignalDefinition, WorkflowDefinition};
    let handled = if workflow_type == ApprovalWorkflow::run.name() {
        vec![
            ApprovalWorkflow::approve.name(),
            ApprovalWorkflow::edit.name(),
            ApprovalWorkflow::reject.name(),
        ]
    } else if workflow_type == AccountWorkflow::run.name() {
        vec![AccountWorkflow::signals_detected.name()]
    } else if workflow_type == PlanWorkflow::run.name() {
        vec![
            PlanWorkflow::approve.name(),
            PlanWorkflow::reject.name(),
            PlanWorkflow::pause.name(),
            PlanWorkflow::resume.name(),
            PlanWorkflow::abort.name(),
            PlanWorkflow::released.name(),
        ]
    } else if workflow_type == ClarificationWorkflow::run.name() {
        vec![ClarificationWorkflow::answer.name()]
    } else if [
        PerceptionWorkflow::run.name(),
        DecisionWorkflow::run.name(),
        ActionWorkflow::run.name(),
        CalibrationWorkflow::run.name(),
        UndoActionWorkflow::run.name(),
        LedgerDigestWorkflow::run.name(),
    ]
    .contains(&workflow_type)
    {
        Vec::new()
    } else {
        return None;
    };
    Some(handled)
}

#[cfg(test)]
mod tests {
    use revloop_activities::contracts::names;

    use super::*;
    use temporalio_common::{SignalDefinition, WorkflowDefinition};

    #[test]
    fn every_workflows_handled_signals_are_known() {
        assert_eq!(
            handled_signals(names::APPROVAL_WORKFLOW),
            Some(vec!["approve", "edit", "reject"])
        );
        assert_eq!(
            handled_signals(names::ACCOUNT_WORKFLOW),
            Some(vec![names::SIGNALS_DETECTED])
        );
        assert_eq!(handled_signals(names::ACTION_WORKFLOW), Some(vec![]));
        assert_eq!(
            handled_signals(names::CLARIFICATION_WORKFLOW),
            Some(vec![names::ANSWER])
        );
        assert_eq!(handled_signals("SomeoneElsesWorkflow"), None);
    }

    /// Activities start and signal some workflows by name (they cannot depend on this crate):
    /// the names must match the registered types.
    #[test]
    fn names_used_by_activities_match_the_workflows() {
        assert_eq!(AccountWorkflow::run.name(), names::ACCOUNT_WORKFLOW);
        assert_eq!(
            AccountWorkflow::signals_detected.name(),
            names::SIGNALS_DETECTED
        );
        assert_eq!(PerceptionWorkflow::run.name(), names::PERCEPTION_WORKFLOW);
        assert_eq!(DecisionWorkflow::run.name(), names::DECISION_WORKFLOW);
        assert_eq!(ApprovalWorkflow::run.name(), names::APPROVAL_WORKFLOW);
        assert_eq!(ActionWorkflow::run.name(), names::ACTION_WORKFLOW);
        assert_eq!(ApprovalWorkflow::approve.name(), "approve");
        assert_eq!(
            ClarificationWorkflow::run.name(),
            names::CLARIFICATION_WORKFLOW
        );
        assert_eq!(ClarificationWorkflow::answer.name(), names::ANSWER);
        assert_eq!(UndoActionWorkflow::run.name(), names::UNDO_ACTION_WORKFLOW);
        assert_eq!(PlanWorkflow::run.name(), names::PLAN_WORKFLOW);
        assert_eq!(PlanWorkflow::released.name(), names::PLAN_RELEASED);
        let commands: Vec<&str> = handled_signals(names::PLAN_WORKFLOW).unwrap()[..5].to_vec();
        assert_eq!(commands, names::PLAN_SIGNALS);
    }
}
