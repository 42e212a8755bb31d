//! Grounding: an executable action without at least one evidence ref is BLOCKed (or WARNed by
//! policy). Revloop never acts on nothing. No sentence-level grounding: a ref must exist, and
//! freshness and contradiction judge what it says.

use serde_json::json;

use super::{ValidationContext, Validator, ValidatorResult, Verdict, not_applicable, result};

pub struct GroundingValidator;

impl Validator for GroundingValidator {
    fn name(&self) -> &'static str {
        "grounding"
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult {
        let Some(proposal) = ctx.proposal() else {
            return not_applicable(self.name(), "a read is not an action");
        };
        let refs = proposal.evidence_refs.len();
        let details = json!({ "evidence_refs": refs });
        if refs == 0 {
            return result(
                self.name(),
                ctx.policy.ungrounded_verdict,
                vec![format!(
                    "UNGROUNDED: {} cites no evidence",
                    proposal.proposal_id
                )],
                details,
            );
        }
        result(self.name(), Verdict::Allow, Vec::new(), details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::GovernancePolicy;
    use crate::validators::test_support::*;

    #[test]
    fn one_ref_is_enough_none_blocks() {
        let grounded = proposal(vec!["rec:a".into()]);
        assert_eq!(
            GroundingValidator.validate(&ctx(&grounded, &[])).result,
            Verdict::Allow
        );
        let ungrounded = proposal(vec![]);
        let outcome = GroundingValidator.validate(&ctx(&ungrounded, &[]));
        assert_eq!(outcome.result, Verdict::Block);
        assert!(outcome.reason.starts_with("UNGROUNDED"));
    }

    #[test]
    fn tenant_config_can_make_ungrounded_a_warning() {
        let ungrounded = proposal(vec![]);
        let policy = GovernancePolicy {
            ungrounded_verdict: Verdict::Warn,
            ..GovernancePolicy::default()
        };
        let mut c = ctx(&ungrounded, &[]);
        c.policy = &policy;
        assert_eq!(GroundingValidator.validate(&c).result, Verdict::Warn);
    }
}
