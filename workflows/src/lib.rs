//! Temporal workflows of revloop: they decide the order of steps, never their outcomes.
//!
//! Only deterministic code lives here: workflow time, workflow randomness and activity results.
//! Every pure rule (detectors, validators, playbooks) runs inside an activity, so its result is
//! recorded in history and changing a rule can never break the replay of a running workflow.

mod account;
mod action;
mod approval;
mod common;
mod decision;
mod perception;
pub mod replay;

pub use account::AccountWorkflow;
pub use action::ActionWorkflow;
pub use approval::{ApprovalStatus, ApprovalWorkflow};
pub use decision::DecisionWorkflow;
pub use perception::PerceptionWorkflow;

#[cfg(test)]
mod tests {
    use revloop_activities::contracts::names;

    use super::*;
    use temporalio_common::{SignalDefinition, WorkflowDefinition};

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
    }
}
