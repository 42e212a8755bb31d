//! Validators: deterministic, side-effect-free checks run by the gateway at every choke point.
//!
//! To add one, create `<name>.rs` with a type implementing [`Validator`] and add a line to
//! [`builtin()`]. Validator names are written into the ledger: add new ones, never rename.

mod compliance;
mod contradiction;
mod freshness;
mod gateway;
mod grounding;
mod pii;
mod policy;
pub mod recipient_current;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use compliance::{CompliancePolicy, ComplianceValidator, cedar_policies};
pub use contradiction::ContradictionValidator;
pub use freshness::FreshnessValidator;
pub use gateway::{GatewayOutcome, run_gateway};
pub use grounding::GroundingValidator;
pub use pii::{PiiFinding, find_pii};
pub use policy::{GovernancePolicy, SourceTtl, default_source_ttls};

use crate::decision::Proposal;
use crate::world::AccountFacts;

/// Where in the loop the gateway runs (DESIGN §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    BeforePlanApproval,
    BeforeStepExecution,
    BeforeExternalWriteback,
    BeforeExpensiveRead,
}

impl Checkpoint {
    /// The stable name written into the ledger, metrics and compliance policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Checkpoint::BeforePlanApproval => "before_plan_approval",
            Checkpoint::BeforeStepExecution => "before_step_execution",
            Checkpoint::BeforeExternalWriteback => "before_external_writeback",
            Checkpoint::BeforeExpensiveRead => "before_expensive_read",
        }
    }
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "ALLOW",
            Verdict::Warn => "WARN",
            Verdict::Block => "BLOCK",
        }
    }
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

/// An expensive read about to happen: a pull from a source through one of the tenant's
/// connectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadRequest {
    /// Identifies the read in the ledger (the fetch's run).
    pub read_id: String,
    pub connector_id: String,
    pub connector_kind: String,
}

/// What the gateway judges: a proposed action (plan approval, step execution, writeback) or an
/// expensive read.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Proposal(&'a Proposal),
    Read(&'a ReadRequest),
}

impl Subject<'_> {
    /// The proposal id or the read id, as the gateway outcome names it.
    pub fn id(&self) -> &str {
        match self {
            Subject::Proposal(p) => &p.proposal_id,
            Subject::Read(r) => &r.read_id,
        }
    }
}

pub struct ValidationContext<'a> {
    pub checkpoint: Checkpoint,
    pub now: DateTime<Utc>,
    pub subject: Subject<'a>,
    /// Facts for the proposal's evidence refs that the store could resolve.
    pub evidence: &'a [EvidenceFact],
    /// The account's facts planning used (by the ref that travels with the proposal), never a
    /// fresh read: `None` when it could not be loaded.
    pub snapshot: Option<&'a AccountFacts>,
    pub snapshot_ref: Option<&'a str>,
    pub policy: &'a GovernancePolicy,
}

impl<'a> ValidationContext<'a> {
    /// The proposal under judgement; `None` for a read.
    pub fn proposal(&self) -> Option<&'a Proposal> {
        match self.subject {
            Subject::Proposal(p) => Some(p),
            Subject::Read(_) => None,
        }
    }
}

/// One validator's answer: what it decided, why in one line, and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredValidatorResult")]
pub struct ValidatorResult {
    pub validator: String,
    pub result: Verdict,
    pub reason: String,
    pub details: serde_json::Value,
}

/// A validator result as stored by any version: earlier ones wrote `verdict` and a list of
/// `reasons`, without details. Actions stored then must still load.
#[derive(Deserialize)]
struct StoredValidatorResult {
    validator: String,
    #[serde(alias = "verdict")]
    result: Verdict,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    details: serde_json::Value,
}

impl From<StoredValidatorResult> for ValidatorResult {
    fn from(stored: StoredValidatorResult) -> Self {
        let reason = stored
            .reason
            .unwrap_or_else(|| match stored.reasons.is_empty() {
                true => "ok".to_string(),
                false => stored.reasons.join("; "),
            });
        Self {
            validator: stored.validator,
            result: stored.result,
            reason,
            details: stored.details,
        }
    }
}

pub trait Validator: Send + Sync {
    fn name(&self) -> &'static str;
    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult;
}

/// Every built-in validator, in the fixed order the gateway runs them.
pub fn builtin() -> Vec<Box<dyn Validator>> {
    vec![
        Box::new(FreshnessValidator),
        Box::new(GroundingValidator),
        Box::new(ContradictionValidator),
        Box::new(ComplianceValidator),
    ]
}

/// The result of a validator with nothing to judge in a read: ALLOW, saying so.
pub(crate) fn not_applicable(name: &str, why: &str) -> ValidatorResult {
    result(
        name,
        Verdict::Allow,
        vec![format!("not applicable: {why}")],
        serde_json::json!({ "applies": false }),
    )
}

/// Builds a result; `reasons` are joined into the one-line reason (`ok` when there are none).
pub(crate) fn result(
    name: &str,
    verdict: Verdict,
    reasons: Vec<String>,
    details: serde_json::Value,
) -> ValidatorResult {
    ValidatorResult {
        validator: name.to_string(),
        result: verdict,
        reason: if reasons.is_empty() {
            "ok".to_string()
        } else {
            reasons.join("; ")
        },
        details,
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
            subject: Subject::Proposal(proposal),
            evidence,
            snapshot: None,
            snapshot_ref: None,
            policy: &POLICY,
        }
    }
}
