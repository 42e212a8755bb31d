//! A proposed action: what, why now, how sure, and the evidence it rests on.

use serde::{Deserialize, Serialize};

use super::actions::{ActionClass, ActionKind};
use super::plan::PlanStepOf;
use crate::hashing::short_id;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Also the action id once the proposal is accepted for routing.
    pub proposal_id: String,
    pub kind: ActionKind,
    pub class: ActionClass,
    /// 1 is the most important.
    pub rank: u32,
    pub title: String,
    pub why_now: String,
    pub confidence: f64,
    pub evidence_refs: Vec<String>,
    pub signal_ids: Vec<String>,
    /// Executor parameters (`to`, `subject`, `artifact_key`, …).
    pub params: serde_json::Value,
    /// The playbook (or model) that proposed it; merged proposals name each, joined by `+`.
    #[serde(default)]
    pub playbook: String,
    /// The plan this proposal is a step of, when a playbook proposed a multi-step plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanStepOf>,
}

impl Proposal {
    /// Proposal ids derive from the decision that made them, so a retried decision step
    /// proposes the same ids instead of new ones.
    pub fn derive_id(decision_id: &str, kind: ActionKind) -> String {
        short_id("act", &[decision_id, kind.as_str()])
    }

    /// The id of a proposal of `kind` for one purpose (`key`): two playbooks proposing the
    /// same thing (a meeting with the same person) get the same id and are merged.
    pub fn derive_keyed_id(decision_id: &str, kind: ActionKind, key: &str) -> String {
        short_id("act", &[decision_id, kind.as_str(), key])
    }

    pub fn new_for(decision_id: &str, kind: ActionKind) -> ProposalBuilder {
        Self::builder(Self::derive_id(decision_id, kind), kind)
    }

    pub fn new_keyed(decision_id: &str, kind: ActionKind, key: &str) -> ProposalBuilder {
        Self::builder(Self::derive_keyed_id(decision_id, kind, key), kind)
    }

    fn builder(proposal_id: String, kind: ActionKind) -> ProposalBuilder {
        ProposalBuilder {
            proposal: Proposal {
                proposal_id,
                kind,
                class: kind.class(),
                rank: 0,
                title: String::new(),
                why_now: String::new(),
                confidence: 0.0,
                evidence_refs: Vec::new(),
                signal_ids: Vec::new(),
                params: serde_json::Value::Null,
                playbook: String::new(),
                plan: None,
            },
        }
    }
}

/// Fills a proposal field by field, so playbooks read as a list of what they propose.
pub struct ProposalBuilder {
    proposal: Proposal,
}

impl ProposalBuilder {
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.proposal.title = title.into();
        self
    }
    pub fn why_now(mut self, why: impl Into<String>) -> Self {
        self.proposal.why_now = why.into();
        self
    }
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.proposal.confidence = confidence;
        self
    }
    pub fn evidence(mut self, refs: Vec<String>, signal_ids: Vec<String>) -> Self {
        self.proposal.evidence_refs = refs;
        self.proposal.signal_ids = signal_ids;
        self
    }
    pub fn playbook(mut self, name: impl Into<String>) -> Self {
        self.proposal.playbook = name.into();
        self
    }
    pub fn params(mut self, params: serde_json::Value) -> Self {
        self.proposal.params = params;
        self
    }
    /// Makes the proposal step `step` (from 1) of the decision's plan `plan`.
    pub fn plan_step(mut self, plan: &str, step: u32) -> Self {
        self.proposal.plan = Some(PlanStepOf {
            plan: plan.to_string(),
            step,
        });
        self
    }
    pub fn build(self) -> Proposal {
        self.proposal
    }
}
