//! Plans: ordered steps (each an action) with one lifecycle, and the claims that keep two live
//! plans from touching the same field or contact at once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::plan::{PlanApproval, PlanEnd, PlanStatus, PlanStepStatus, PlanView};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// One step of a plan, with what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStep {
    /// From 1.
    pub step: u32,
    pub action_id: String,
    pub kind: String,
    pub title: String,
    /// Its write-back routing asks for a person.
    pub needs_approval: bool,
    pub customer_facing: bool,
    pub status: PlanStepStatus,
    #[serde(default)]
    pub detail: String,
}

/// One command a plan received, counted or refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanEvent {
    pub command: String,
    #[serde(default)]
    pub step: Option<u32>,
    pub accepted: bool,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub at: DateTime<Utc>,
    /// What the command changed, when it counted.
    #[serde(default)]
    pub change: Option<revloop_domain::decision::plan::PlanChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub plan_id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub decision_id: String,
    pub trace_id: String,
    /// The plan's name within its decision (the playbook's: `renewal_at_risk`).
    pub name: String,
    pub title: String,
    pub why_now: String,
    pub status: PlanStatus,
    /// What a paused plan resumes to.
    #[serde(default)]
    pub resume_to: Option<PlanStatus>,
    /// The step waiting for its own approval (per-step approval).
    #[serde(default)]
    pub awaiting_step: Option<u32>,
    pub approval: PlanApproval,
    pub steps: Vec<PlanStep>,
    /// What the plan claims while live (`opportunity:006….next_step`, `contact:ada.outreach`).
    pub touches: Vec<String>,
    /// The live plan it waits for, while held.
    #[serde(default)]
    pub held_by: Option<String>,
    #[serde(default)]
    pub end: Option<PlanEnd>,
    #[serde(default)]
    pub events: Vec<PlanEvent>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlanRecord {
    pub fn view(&self) -> PlanView {
        PlanView {
            status: self.status,
            resume_to: self.resume_to,
            awaiting_step: self.awaiting_step,
        }
    }

    pub fn step(&self, n: u32) -> Option<&PlanStep> {
        self.steps.iter().find(|s| s.step == n)
    }

    pub fn step_mut(&mut self, n: u32) -> Option<&mut PlanStep> {
        self.steps.iter_mut().find(|s| s.step == n)
    }
}

#[async_trait]
pub trait PlanStore {
    /// Inserts the plan unless its id exists; returns the stored plan either way.
    async fn create_plan(&self, plan: &PlanRecord) -> StoreResult<PlanRecord>;
    /// Replaces the stored plan (same id, same tenant).
    async fn save_plan(&self, plan: &PlanRecord) -> StoreResult<()>;
    async fn get_plan(&self, tenant_id: &str, plan_id: &str) -> StoreResult<Option<PlanRecord>>;
    /// The tenant's plans, newest first.
    async fn list_plans(
        &self,
        tenant_id: &str,
        status: Option<PlanStatus>,
    ) -> StoreResult<Vec<PlanRecord>>;
    /// Claims every one of `claims` for `plan_id`, all or none: when another plan that has not
    /// ended holds one, nothing is claimed and that plan's id is returned. Claims of an ended
    /// plan are taken over.
    async fn claim_for_plan(
        &self,
        tenant_id: &str,
        plan_id: &str,
        claims: &[String],
    ) -> StoreResult<Option<String>>;
    /// Drops every claim of `plan_id`.
    async fn release_plan_claims(&self, tenant_id: &str, plan_id: &str) -> StoreResult<()>;
}
