//! Grounding: an executable action without at least one evidence ref is BLOCKed (or WARNed by
//! policy). Revloop never acts on nothing.

use super::{ValidationContext, Validator, ValidatorResult, Verdict, result};

pub struct GroundingValidator;

impl Validator for GroundingValidator {
    fn name(&self) -> &'static str {
        "grounding"
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult {
        if ctx.proposal.evidence_refs.is_empty() {
            return result(
                self.name(),
                ctx.policy.ungrounded_verdict,
                vec![format!("{} cites no evidence", ctx.proposal.proposal_id)],
            );
        }
        result(self.name(), Verdict::Allow, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::test_support::*;

    #[test]
    fn one_ref_is_enough_none_blocks() {
        let grounded = proposal(vec!["rec:a".into()]);
        assert_eq!(
            GroundingValidator.validate(&ctx(&grounded, &[])).verdict,
            Verdict::Allow
        );
        let ungrounded = proposal(vec![]);
        assert_eq!(
            GroundingValidator.validate(&ctx(&ungrounded, &[])).verdict,
            Verdict::Block
        );
    }
}
