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

pub fn run_gateway(
    validators: &[Box<dyn Validator>],
    ctx: &ValidationContext<'_>,
) -> GatewayOutcome {
    let results: Vec<ValidatorResult> = validators.iter().map(|v| v.validate(ctx)).collect();
    let aggregate = results
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Allow);
    GatewayOutcome {
        checkpoint: ctx.checkpoint,
        proposal_id: ctx.proposal.proposal_id.clone(),
        results,
        aggregate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::{builtin, test_support::*};

    #[test]
    fn all_validators_run_even_after_a_block() {
        // Ungrounded (grounding BLOCKs) and freshness has nothing to check (ALLOW).
        let p = proposal(vec![]);
        let outcome = run_gateway(&builtin(), &ctx(&p, &[]));
        assert_eq!(outcome.results.len(), 2);
        assert_eq!(outcome.aggregate, Verdict::Block);
        assert_eq!(outcome.results[0].validator, "freshness");
    }

    #[test]
    fn warn_without_block_aggregates_to_warn() {
        let p = proposal(vec!["rec:a".into()]);
        let facts = vec![fact("rec:a", "crm", 8 * 86_400)];
        assert_eq!(
            run_gateway(&builtin(), &ctx(&p, &facts)).aggregate,
            Verdict::Warn
        );
    }
}
