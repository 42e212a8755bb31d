//! Validators: deterministic, side-effect-free checks run by the gateway at every choke point.
//!
//! To add one, create `<name>.rs` with a type implementing [`Validator`] and add a line to
//! [`builtin()`]. Validator names are written into the ledger: add new ones, never rename.

mod freshness;
mod gateway;
mod grounding;
mod policy;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use freshness::FreshnessValidator;
pub use gateway::{GatewayOutcome, run_gateway};
pub use grounding::GroundingValidator;
pub use policy::{GovernancePolicy, SourceTtl};

use crate::decision::Proposal;

/// Where in the loop the gateway runs (DESIGN §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    BeforePlanApproval,
    BeforeStepExecution,
    BeforeExternalWriteback,
    BeforeExpensiveRead,
}

/// ALLOW < WARN < BLOCK: the aggregate is the worst result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Allow,
    Warn,
    Block,
}

/// What the validators know about one cited piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFact {
    pub evidence_ref: String,
    /// Trust class of the source (`crm`, `support`, `telemetry`, …).
    pub source: String,
    /// When revloop last saw this version.
    pub observed_at: DateTime<Utc>,
}

pub struct ValidationContext<'a> {
    pub checkpoint: Checkpoint,
    pub now: DateTime<Utc>,
    pub proposal: &'a Proposal,
    /// Facts for the proposal's evidence refs that the store could resolve.
    pub evidence: &'a [EvidenceFact],
    pub policy: &'a GovernancePolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorResult {
    pub validator: String,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
}

pub trait Validator: Send + Sync {
    fn name(&self) -> &'static str;
    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult;
}

/// Every built-in validator, in the fixed order the gateway runs them.
pub fn builtin() -> Vec<Box<dyn Validator>> {
    vec![Box::new(FreshnessValidator), Box::new(GroundingValidator)]
}

pub(crate) fn result(name: &str, verdict: Verdict, reasons: Vec<String>) -> ValidatorResult {
    ValidatorResult {
        validator: name.to_string(),
        verdict,
        reasons,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::decision::{ActionKind, Proposal};

    pub fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    pub fn proposal(evidence_refs: Vec<String>) -> Proposal {
        Proposal::new_for("d1", ActionKind::CreateTask)
            .evidence(evidence_refs, vec![])
            .build()
    }

    pub fn fact(evidence_ref: &str, source: &str, age_secs: i64) -> EvidenceFact {
        EvidenceFact {
            evidence_ref: evidence_ref.into(),
            source: source.into(),
            observed_at: now() - chrono::Duration::seconds(age_secs),
        }
    }

    pub fn ctx<'a>(proposal: &'a Proposal, evidence: &'a [EvidenceFact]) -> ValidationContext<'a> {
        static POLICY: std::sync::LazyLock<GovernancePolicy> =
            std::sync::LazyLock::new(GovernancePolicy::default);
        ValidationContext {
            checkpoint: Checkpoint::BeforePlanApproval,
            now: now(),
            proposal,
            evidence,
            policy: &POLICY,
        }
    }
}
