//! Freshness: age > hard TTL → BLOCK; soft TTL < age ≤ hard TTL → WARN; else ALLOW, per source.
//! A cited ref the store could not resolve counts as unknown age and blocks: fail closed.

use super::{ValidationContext, Validator, ValidatorResult, Verdict, result};

pub struct FreshnessValidator;

impl Validator for FreshnessValidator {
    fn name(&self) -> &'static str {
        "freshness"
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult {
        let mut verdict = Verdict::Allow;
        let mut reasons = Vec::new();
        for evidence_ref in &ctx.proposal.evidence_refs {
            let Some(fact) = ctx
                .evidence
                .iter()
                .find(|f| &f.evidence_ref == evidence_ref)
            else {
                verdict = Verdict::Block;
                reasons.push(format!(
                    "{evidence_ref}: unknown evidence, age cannot be checked"
                ));
                continue;
            };
            let ttl = ctx.policy.ttl_for(&fact.source);
            let age = (ctx.now - fact.observed_at).num_seconds();
            if age > ttl.hard_secs {
                verdict = Verdict::Block;
                reasons.push(format!(
                    "{evidence_ref}: {} data is {age}s old, hard limit {}s",
                    fact.source, ttl.hard_secs
                ));
            } else if age > ttl.soft_secs {
                verdict = verdict.max(Verdict::Warn);
                reasons.push(format!(
                    "{evidence_ref}: {} data is {age}s old, soft limit {}s",
                    fact.source, ttl.soft_secs
                ));
            }
        }
        result(self.name(), verdict, reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::test_support::*;

    fn verdict_at_age(secs: i64) -> Verdict {
        let proposal = proposal(vec!["rec:a".into()]);
        let facts = vec![fact("rec:a", "crm", secs)];
        FreshnessValidator.validate(&ctx(&proposal, &facts)).verdict
    }

    #[test]
    fn boundaries_of_the_crm_ttls() {
        let day = 86_400;
        assert_eq!(verdict_at_age(7 * day), Verdict::Allow);
        assert_eq!(verdict_at_age(7 * day + 1), Verdict::Warn);
        assert_eq!(verdict_at_age(30 * day), Verdict::Warn);
        assert_eq!(verdict_at_age(30 * day + 1), Verdict::Block);
    }

    #[test]
    fn unresolvable_evidence_blocks() {
        let proposal = proposal(vec!["rec:missing".into()]);
        let outcome = FreshnessValidator.validate(&ctx(&proposal, &[]));
        assert_eq!(outcome.verdict, Verdict::Block);
        assert!(outcome.reasons[0].contains("rec:missing"));
    }
}
