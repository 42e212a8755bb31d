//! Multi-step plans: ordered steps, each an action, with one lifecycle
//! (proposed → approved → running → paused → completed | aborted | failed).
//!
//! A playbook proposes a plan by tagging its proposals with the plan's name and the step's
//! place ([`PlanStepOf`]); the decision stores the plan and a PlanWorkflow runs it. Every rule
//! a plan obeys is here, pure: which command counts in which state ([`judge`]), what a plan
//! touches and whom it conflicts with ([`touches`]), and which steps wait for a person
//! ([`step_waits_for_approval`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::actions::ActionKind;
use super::proposal::Proposal;
use crate::hashing::short_id;

/// Most steps a plan may have: a plan is a short sequence a person can read in one look.
pub const MAX_STEPS: u32 = 8;

/// A proposal's place in a plan: the plan's name (unique within the decision) and the step's
/// number, from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStepOf {
    pub plan: String,
    pub step: u32,
}

/// A plan's id derives from its decision and name, so a retried decision proposes the same plan.
pub fn plan_id(decision_id: &str, name: &str) -> String {
    short_id("plan", &[decision_id, name])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Waiting for its approval (whole-plan approval).
    Proposed,
    /// Waiting because a live plan already touches what it would touch.
    Held,
    /// Approved (or needing no plan approval); no step has run yet.
    Approved,
    Running,
    /// Holds before its next step until resumed.
    Paused,
    Completed,
    /// Stopped by a person (aborted or rejected) or by its approval expiring.
    Aborted,
    /// A step failed for good or a validator blocked it.
    Failed,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Held => "held",
            Self::Approved => "approved",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Aborted => "aborted",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    /// A plan that has ended never runs a step again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Aborted | Self::Failed)
    }
}

/// What became of one step of a plan. The serialized names are the ones plans were stored and
/// workflow histories recorded with when this was a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStepStatus {
    /// Not reached yet.
    Pending,
    /// Waits for its own approval (per-step approval).
    AwaitingApproval,
    Running,
    Executed,
    /// A validator or the budget stopped it: nothing ran.
    Blocked,
    Failed,
    /// Undone by the plan's compensation.
    Compensated,
    /// Its compensation was refused or failed: it stays done.
    Irreversible,
    /// The plan ended before it.
    NotRun,
}

impl PlanStepStatus {
    pub const ALL: [PlanStepStatus; 9] = [
        Self::Pending,
        Self::AwaitingApproval,
        Self::Running,
        Self::Executed,
        Self::Blocked,
        Self::Failed,
        Self::Compensated,
        Self::Irreversible,
        Self::NotRun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Running => "running",
            Self::Executed => "executed",
            Self::Blocked => "blocked",
            Self::Failed => "failed",
            Self::Compensated => "compensated",
            Self::Irreversible => "irreversible",
            Self::NotRun => "not_run",
        }
    }
}

/// What a person may tell a plan, as a signal with a plan token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanCommand {
    Approve,
    Reject,
    Pause,
    Resume,
    Abort,
}

impl PlanCommand {
    pub const ALL: [PlanCommand; 5] = [
        Self::Approve,
        Self::Reject,
        Self::Pause,
        Self::Resume,
        Self::Abort,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Abort => "abort",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How a tenant approves plans (`[plans] approval`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanApproval {
    /// One approval for the whole plan covers every step that needs a person.
    #[default]
    Whole,
    /// No plan approval: each step that needs a person waits for its own, at its turn.
    PerStep,
}

/// The tenant's `[plans]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanConfig {
    pub approval: PlanApproval,
}

/// Whether a step waits for its own approval at its turn: only under per-step approval, and
/// only if the step needs a person (its write-back routing).
pub fn step_waits_for_approval(mode: PlanApproval, step_needs_approval: bool) -> bool {
    mode == PlanApproval::PerStep && step_needs_approval
}

/// What the plan looks like to a command: its status, what a paused plan resumes to, and the
/// step waiting for its approval (per-step approval).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub status: PlanStatus,
    pub resume_to: Option<PlanStatus>,
    pub awaiting_step: Option<u32>,
}

/// What an accepted command changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum PlanChange {
    ApprovePlan,
    ApproveStep { step: u32 },
    Reject,
    Pause,
    Resume,
    Abort,
}

/// The plan after `change`.
pub fn apply(view: PlanView, change: PlanChange) -> PlanView {
    let mut next = view;
    match change {
        PlanChange::ApprovePlan if view.status == PlanStatus::Paused => {
            next.resume_to = Some(PlanStatus::Approved)
        }
        PlanChange::ApprovePlan => next.status = PlanStatus::Approved,
        PlanChange::ApproveStep { .. } => next.awaiting_step = None,
        PlanChange::Reject | PlanChange::Abort => {
            next.status = PlanStatus::Aborted;
            next.resume_to = None;
            next.awaiting_step = None;
        }
        PlanChange::Pause => {
            next.resume_to = Some(view.status);
            next.status = PlanStatus::Paused;
        }
        PlanChange::Resume => {
            next.status = view.resume_to.unwrap_or(PlanStatus::Approved);
            next.resume_to = None;
        }
    }
    next
}

/// Whether `command` (for `step`, when it names one) counts now, and what it changes; the
/// error says why not, for the person and the ledger.
pub fn judge(
    view: PlanView,
    command: PlanCommand,
    step: Option<u32>,
) -> Result<PlanChange, String> {
    let status = view.status;
    if status.is_terminal() {
        return Err(format!("the plan is {} already", status.as_str()));
    }
    // Under a pause the plan keeps what it was doing: approval still counts.
    let underlying = match status {
        PlanStatus::Paused => view.resume_to.unwrap_or(PlanStatus::Approved),
        other => other,
    };
    match command {
        PlanCommand::Abort => Ok(PlanChange::Abort),
        PlanCommand::Pause if status == PlanStatus::Paused => {
            Err("the plan is paused already".into())
        }
        PlanCommand::Pause => Ok(PlanChange::Pause),
        PlanCommand::Resume if status != PlanStatus::Paused => {
            Err(format!("the plan is {}, not paused", status.as_str()))
        }
        PlanCommand::Resume => Ok(PlanChange::Resume),
        PlanCommand::Approve | PlanCommand::Reject => {
            let change = |approve: PlanChange| match command {
                PlanCommand::Approve => approve,
                _ => PlanChange::Reject,
            };
            match (underlying, view.awaiting_step, step) {
                (PlanStatus::Proposed, _, None) => Ok(change(PlanChange::ApprovePlan)),
                (PlanStatus::Proposed, _, Some(s)) => Err(format!(
                    "the whole plan awaits approval, not step {s} alone"
                )),
                (_, Some(waiting), Some(s)) if s == waiting => {
                    Ok(change(PlanChange::ApproveStep { step: s }))
                }
                (_, Some(waiting), asked) => Err(format!(
                    "step {waiting} awaits approval{}",
                    asked.map(|s| format!(", not step {s}")).unwrap_or_default()
                )),
                (other, None, _) => Err(format!(
                    "nothing in the plan awaits approval (it is {})",
                    other.as_str()
                )),
            }
        }
    }
}

/// What a plan's steps would touch, as claims no other live plan may hold at the same time:
/// each CRM field it writes (`opportunity:006….next_step`) and each customer contact it writes
/// to (`contact:ada.outreach`). Two plans with a common claim would step on each other.
pub fn touches(steps: &[&Proposal]) -> BTreeSet<String> {
    let mut claims = BTreeSet::new();
    for step in steps {
        let params = &step.params;
        if step.kind == ActionKind::UpdateCrmField
            && let (Some(entity), Some(field)) =
                (params["entity"].as_str(), params["field"].as_str())
        {
            claims.insert(format!("{entity}.{field}"));
        }
        if step.kind.is_customer_facing() {
            let who = params["contact_id"]
                .as_str()
                .or_else(|| params["to"].as_str())
                .unwrap_or("unknown");
            claims.insert(format!("contact:{who}.outreach"));
        }
    }
    claims
}

/// Checks the plan tags of a model's proposals: steps of one plan are numbered 1..n without
/// gaps or repeats, and no plan is longer than [`MAX_STEPS`]. The error names the plan.
pub fn check_plan_steps(proposals: &[Proposal]) -> Result<(), String> {
    let mut plans: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
    for p in proposals {
        if let Some(of) = &p.plan {
            if of.plan.trim().is_empty() {
                return Err(format!("proposal {}: plan name is empty", p.proposal_id));
            }
            plans.entry(&of.plan).or_default().push(of.step);
        }
    }
    for (name, mut steps) in plans {
        steps.sort_unstable();
        if steps.len() as u32 > MAX_STEPS {
            return Err(format!(
                "plan {name}: {} steps, at most {MAX_STEPS}",
                steps.len()
            ));
        }
        let expected: Vec<u32> = (1..=steps.len() as u32).collect();
        if steps != expected {
            return Err(format!(
                "plan {name}: steps {steps:?} are not numbered 1..{}",
                steps.len()
            ));
        }
    }
    Ok(())
}

/// Why a plan ended, as its completion reason reads (`aborted by carol`, `failed at step 2:
/// …`, `blocked at step 3 by freshness`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEnd {
    /// `completed`, `aborted`, `rejected`, `expired`, `failed` or `blocked`.
    pub reason: String,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub step: Option<u32>,
    #[serde(default)]
    pub validator: Option<String>,
    #[serde(default)]
    pub detail: String,
}

impl PlanEnd {
    /// The status a plan ends in for this reason.
    pub fn status(&self) -> PlanStatus {
        match self.reason.as_str() {
            "completed" => PlanStatus::Completed,
            "failed" | "blocked" => PlanStatus::Failed,
            _ => PlanStatus::Aborted,
        }
    }

    /// One line for a person.
    pub fn describe(&self) -> String {
        let mut line = self.reason.clone();
        if let Some(step) = self.step {
            line.push_str(&format!(" at step {step}"));
        }
        if let Some(validator) = &self.validator {
            line.push_str(&format!(" by {validator}"));
        } else if let Some(by) = &self.by {
            line.push_str(&format!(" by {by}"));
        }
        if !self.detail.is_empty() {
            line.push_str(&format!(": {}", self.detail));
        }
        line
    }

    /// The attribution the plan-outcome metric carries: who or what ended it.
    pub fn attribution(&self) -> &'static str {
        match self.reason.as_str() {
            "completed" => "none",
            "aborted" | "rejected" => "person",
            "expired" => "timeout",
            "blocked" => "validator",
            _ => "step",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view(status: PlanStatus) -> PlanView {
        PlanView {
            status,
            resume_to: None,
            awaiting_step: None,
        }
    }

    #[test]
    fn a_proposed_plan_is_approved_whole_and_a_step_approval_is_refused() {
        let proposed = view(PlanStatus::Proposed);
        assert_eq!(
            judge(proposed, PlanCommand::Approve, None),
            Ok(PlanChange::ApprovePlan)
        );
        assert_eq!(
            judge(proposed, PlanCommand::Reject, None),
            Ok(PlanChange::Reject)
        );
        let err = judge(proposed, PlanCommand::Approve, Some(2)).unwrap_err();
        assert!(err.contains("not step 2"), "{err}");
        assert_eq!(
            apply(proposed, PlanChange::ApprovePlan).status,
            PlanStatus::Approved
        );
    }

    #[test]
    fn only_the_waiting_step_is_approved() {
        let waiting = PlanView {
            awaiting_step: Some(3),
            ..view(PlanStatus::Running)
        };
        assert_eq!(
            judge(waiting, PlanCommand::Approve, Some(3)),
            Ok(PlanChange::ApproveStep { step: 3 })
        );
        let other = judge(waiting, PlanCommand::Approve, Some(2)).unwrap_err();
        assert_eq!(other, "step 3 awaits approval, not step 2");
        let none = judge(view(PlanStatus::Running), PlanCommand::Approve, Some(3)).unwrap_err();
        assert!(
            none.contains("nothing in the plan awaits approval"),
            "{none}"
        );
        assert_eq!(
            apply(waiting, PlanChange::ApproveStep { step: 3 }).awaiting_step,
            None
        );
    }

    #[test]
    fn pause_remembers_what_it_paused_and_resume_returns_to_it() {
        let running = view(PlanStatus::Running);
        assert_eq!(
            judge(running, PlanCommand::Pause, None),
            Ok(PlanChange::Pause)
        );
        let paused = apply(running, PlanChange::Pause);
        assert_eq!(paused.status, PlanStatus::Paused);
        assert!(
            judge(paused, PlanCommand::Pause, None)
                .unwrap_err()
                .contains("paused already")
        );
        assert_eq!(
            apply(paused, PlanChange::Resume).status,
            PlanStatus::Running
        );
        assert!(
            judge(running, PlanCommand::Resume, None)
                .unwrap_err()
                .contains("not paused")
        );
    }

    #[test]
    fn a_paused_proposed_plan_can_be_approved_and_stays_paused() {
        let paused = apply(view(PlanStatus::Proposed), PlanChange::Pause);
        assert_eq!(
            judge(paused, PlanCommand::Approve, None),
            Ok(PlanChange::ApprovePlan)
        );
        let approved = apply(paused, PlanChange::ApprovePlan);
        assert_eq!(approved.status, PlanStatus::Paused);
        assert_eq!(
            apply(approved, PlanChange::Resume).status,
            PlanStatus::Approved
        );
    }

    #[test]
    fn an_ended_plan_refuses_every_command_and_abort_counts_in_any_live_state() {
        for ended in [
            PlanStatus::Completed,
            PlanStatus::Aborted,
            PlanStatus::Failed,
        ] {
            for command in PlanCommand::ALL {
                let err = judge(view(ended), command, None).unwrap_err();
                assert!(err.contains("already"), "{err}");
            }
        }
        for live in [
            PlanStatus::Proposed,
            PlanStatus::Held,
            PlanStatus::Approved,
            PlanStatus::Running,
            PlanStatus::Paused,
        ] {
            assert_eq!(
                judge(view(live), PlanCommand::Abort, None),
                Ok(PlanChange::Abort)
            );
            assert_eq!(
                apply(view(live), PlanChange::Abort).status,
                PlanStatus::Aborted
            );
        }
    }

    fn proposal(kind: ActionKind, params: serde_json::Value) -> Proposal {
        Proposal::new_keyed("d1", kind, &params.to_string())
            .params(params)
            .build()
    }

    #[test]
    fn a_plan_touches_the_fields_it_writes_and_the_contacts_it_writes_to() {
        let task = proposal(ActionKind::CreateTask, json!({"title": "t"}));
        let email = proposal(
            ActionKind::SendEmail,
            json!({"to": "ada@acme.test", "contact_id": "ada"}),
        );
        let update = proposal(
            ActionKind::UpdateCrmField,
            json!({"entity": "opportunity:006A", "field": "next_step", "value": "x"}),
        );
        let claims = touches(&[&task, &email, &update]);
        assert_eq!(
            claims.into_iter().collect::<Vec<_>>(),
            ["contact:ada.outreach", "opportunity:006A.next_step"]
        );
        assert!(touches(&[&task]).is_empty());
    }

    #[test]
    fn plan_steps_are_numbered_from_one_without_gaps() {
        let tagged = |step: u32| {
            let mut p = proposal(ActionKind::CreateTask, json!({"n": step}));
            p.plan = Some(PlanStepOf {
                plan: "renewal_at_risk".into(),
                step,
            });
            p
        };
        assert_eq!(check_plan_steps(&[tagged(2), tagged(1)]), Ok(()));
        let gap = check_plan_steps(&[tagged(1), tagged(3)]).unwrap_err();
        assert!(gap.contains("plan renewal_at_risk"), "{gap}");
        let twice = check_plan_steps(&[tagged(1), tagged(1)]).unwrap_err();
        assert!(twice.contains("not numbered"), "{twice}");
        let long: Vec<Proposal> = (1..=MAX_STEPS + 1).map(tagged).collect();
        assert!(check_plan_steps(&long).unwrap_err().contains("at most 8"));
    }

    #[test]
    fn per_step_approval_waits_only_for_steps_that_need_a_person() {
        assert!(step_waits_for_approval(PlanApproval::PerStep, true));
        assert!(!step_waits_for_approval(PlanApproval::PerStep, false));
        assert!(!step_waits_for_approval(PlanApproval::Whole, true));
    }

    /// Stored plans and recorded histories carry these names: each must read back as itself.
    #[test]
    fn step_statuses_serialize_as_their_names() {
        for status in PlanStepStatus::ALL {
            let text = serde_json::to_value(status).unwrap();
            assert_eq!(text, serde_json::json!(status.as_str()));
            assert_eq!(
                serde_json::from_value::<PlanStepStatus>(text).unwrap(),
                status
            );
        }
        assert!(serde_json::from_value::<PlanStepStatus>(serde_json::json!("")).is_err());
    }

    #[test]
    fn an_end_reads_as_its_reason_and_maps_to_a_status() {
        let blocked = PlanEnd {
            reason: "blocked".into(),
            by: None,
            step: Some(3),
            validator: Some("freshness".into()),
            detail: String::new(),
        };
        assert_eq!(blocked.describe(), "blocked at step 3 by freshness");
        assert_eq!(blocked.status(), PlanStatus::Failed);
        let aborted = PlanEnd {
            reason: "aborted".into(),
            by: Some("carol".into()),
            step: None,
            validator: None,
            detail: String::new(),
        };
        assert_eq!(aborted.describe(), "aborted by carol");
        assert_eq!(aborted.status(), PlanStatus::Aborted);
        assert_eq!(aborted.attribution(), "person");
    }
}
