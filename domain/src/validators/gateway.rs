//! The gateway runs every validator in order, never short-circuits, and keeps each result with
//! the aggregate: any BLOCK → BLOCK, else any WARN → WARN, else ALLOW.

use serde::{Deserialize, Serialize};

use super::{Checkpoint, ValidationContext, Validator, ValidatorResult, Verdict};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayOutcome {
    pub checkpoint: Checkpoint,
    pub proposal_id: String,
    pub results: Vec<ValidatorResult>,
    pub aggregate: Verdict,
}

impl GatewayOutcome {
    /// The first validator that blocked, when the gateway blocked: what a block is attributed to.
    pub fn first_block(&self) -> Option<&ValidatorResult> {
        self.results.iter().find(|r| r.result == Verdict::Block)
    }
}

pub fn run_gateway(
    validators: &[Box<dyn Validator>],
    ctx: &ValidationContext<'_>,
) -> GatewayOutcome {
    let results: Vec<ValidatorResult> = validators.iter().map(|v| v.validate(ctx)).collect();
    let aggregate = results
        .iter()
        .map(|r| r.result)
        .max()
        .unwrap_or(Verdict::Allow);
    GatewayOutcome {
        checkpoint: ctx.checkpoint,
        proposal_id: ctx.subject.id().to_string(),
        results,
        aggregate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::{builtin, test_support::*};

    #[test]
    fn all_validators_run_in_order_even_after_blocks() {
        // Ungrounded (grounding BLOCKs) and no snapshot (contradiction BLOCKs); freshness has
        // nothing to check and compliance allows: all four results are still there.
        let p = proposal(vec![]);
        let outcome = run_gateway(&builtin(), &ctx(&p, &[]));
        let names: Vec<&str> = outcome
            .results
            .iter()
            .map(|r| r.validator.as_str())
            .collect();
        assert_eq!(
            names,
            ["freshness", "grounding", "contradiction", "compliance"]
        );
        let verdicts: Vec<Verdict> = outcome.results.iter().map(|r| r.result).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Allow,
                Verdict::Block,
                Verdict::Block,
                Verdict::Allow
            ]
        );
        assert_eq!(outcome.aggregate, Verdict::Block);
    }

    #[test]
    fn warn_without_block_aggregates_to_warn() {
        let p = proposal(vec!["rec:a".into()]);
        let facts = vec![fact("rec:a", "crm", 8 * 86_400)];
        let only_freshness: Vec<Box<dyn Validator>> =
            vec![Box::new(crate::validators::FreshnessValidator)];
        assert_eq!(
            run_gateway(&only_freshness, &ctx(&p, &facts)).aggregate,
            Verdict::Warn
        );
        let none: Vec<Box<dyn Validator>> = Vec::new();
        assert_eq!(
            run_gateway(&none, &ctx(&p, &facts)).aggregate,
            Verdict::Allow
        );
    }

    #[test]
    fn a_read_runs_every_validator_and_only_compliance_judges_it() {
        let read = crate::validators::ReadRequest {
            read_id: "t1/perception/p1".into(),
            connector_id: "crm".into(),
            connector_kind: "http_pull".into(),
        };
        let p = proposal(vec![]);
        let mut c = ctx(&p, &[]);
        c.subject = crate::validators::Subject::Read(&read);
        c.checkpoint = Checkpoint::BeforeExpensiveRead;
        let outcome = run_gateway(&builtin(), &c);
        assert_eq!(outcome.proposal_id, "t1/perception/p1");
        assert_eq!(outcome.results.len(), 4);
        assert!(
            outcome.results[..3]
                .iter()
                .all(|r| r.reason.starts_with("not applicable"))
        );
        assert_eq!(outcome.aggregate, Verdict::Allow);
    }

    #[test]
    fn results_stored_by_earlier_versions_still_load() {
        let legacy: GatewayOutcome = serde_json::from_value(serde_json::json!({
            "checkpoint": "before_plan_approval",
            "proposal_id": "act-1",
            "aggregate": "WARN",
            "results": [
                { "validator": "freshness", "verdict": "WARN", "reasons": ["rec:a: crm data is 9d old", "rec:b: too"] },
                { "validator": "grounding", "verdict": "ALLOW", "reasons": [] }
            ]
        }))
        .unwrap();
        assert_eq!(legacy.results[0].result, Verdict::Warn);
        assert_eq!(
            legacy.results[0].reason,
            "rec:a: crm data is 9d old; rec:b: too"
        );
        assert_eq!(legacy.results[1].reason, "ok");
        let current = serde_json::to_value(&legacy.results[0]).unwrap();
        let again: crate::validators::ValidatorResult = serde_json::from_value(current).unwrap();
        assert_eq!(again, legacy.results[0], "the current form round-trips");
    }
}
