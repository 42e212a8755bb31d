//! Freshness: age > hard TTL → BLOCK (`DATA_STALE`); soft TTL < age ≤ hard TTL → WARN; else
//! ALLOW, per source. A cited ref the store could not resolve counts as unknown age and blocks:
//! fail closed.

use serde_json::json;

use super::{ValidationContext, Validator, ValidatorResult, Verdict, not_applicable, result};

pub struct FreshnessValidator;

impl Validator for FreshnessValidator {
    fn name(&self) -> &'static str {
        "freshness"
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult {
        let Some(proposal) = ctx.proposal() else {
            return not_applicable(self.name(), "a read cites no evidence, it brings new data");
        };
        let mut verdict = Verdict::Allow;
        let mut reasons = Vec::new();
        let mut checked = Vec::new();
        for evidence_ref in &proposal.evidence_refs {
            let Some(fact) = ctx
                .evidence
                .iter()
                .find(|f| &f.evidence_ref == evidence_ref)
            else {
                verdict = Verdict::Block;
                reasons.push(format!(
                    "DATA_STALE: {evidence_ref}: unknown evidence, age cannot be checked"
                ));
                checked.push(json!({ "evidence_ref": evidence_ref, "result": Verdict::Block, "source": null, "age_secs": null }));
                continue;
            };
            let ttl = ctx.policy.ttl_for(&fact.source);
            let age = (ctx.now - fact.observed_at).num_seconds();
            let this = if age > ttl.hard_secs {
                reasons.push(format!(
                    "DATA_STALE: {evidence_ref}: {} data is {age}s old, hard limit {}s",
                    fact.source, ttl.hard_secs
                ));
                Verdict::Block
            } else if age > ttl.soft_secs {
                reasons.push(format!(
                    "{evidence_ref}: {} data is {age}s old, soft limit {}s",
                    fact.source, ttl.soft_secs
                ));
                Verdict::Warn
            } else {
                Verdict::Allow
            };
            verdict = verdict.max(this);
            checked.push(json!({
                "evidence_ref": evidence_ref,
                "result": this,
                "source": fact.source,
                "age_secs": age,
                "soft_ttl_secs": ttl.soft_secs,
                "hard_ttl_secs": ttl.hard_secs,
            }));
        }
        let code = (verdict == Verdict::Block).then_some("DATA_STALE");
        result(
            self.name(),
            verdict,
            reasons,
            json!({ "code": code, "evidence": checked }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::test_support::*;

    fn verdict_at_age(source: &str, secs: i64) -> ValidatorResult {
        let proposal = proposal(vec!["rec:a".into()]);
        let facts = vec![fact("rec:a", source, secs)];
        FreshnessValidator.validate(&ctx(&proposal, &facts))
    }

    #[test]
    fn boundaries_of_the_crm_ttls() {
        let day = 86_400;
        assert_eq!(verdict_at_age("crm", 7 * day).result, Verdict::Allow);
        assert_eq!(verdict_at_age("crm", 7 * day + 1).result, Verdict::Warn);
        assert_eq!(verdict_at_age("crm", 30 * day).result, Verdict::Warn);
        let stale = verdict_at_age("crm", 30 * day + 1);
        assert_eq!(stale.result, Verdict::Block);
        assert!(stale.reason.starts_with("DATA_STALE"), "{}", stale.reason);
        assert_eq!(stale.details["code"], "DATA_STALE");
        assert_eq!(stale.details["evidence"][0]["source"], "crm");
        assert_eq!(stale.details["evidence"][0]["age_secs"], 30 * day + 1);
    }

    #[test]
    fn each_source_has_its_own_ttls() {
        let day = 86_400;
        assert_eq!(verdict_at_age("telemetry", 2 * day).result, Verdict::Allow);
        assert_eq!(
            verdict_at_age("telemetry", 2 * day + 1).result,
            Verdict::Warn
        );
        assert_eq!(
            verdict_at_age("telemetry", 7 * day + 1).result,
            Verdict::Block
        );
        assert_eq!(verdict_at_age("crm", 7 * day + 1).result, Verdict::Warn);
    }

    #[test]
    fn unresolvable_evidence_blocks() {
        let proposal = proposal(vec!["rec:missing".into()]);
        let outcome = FreshnessValidator.validate(&ctx(&proposal, &[]));
        assert_eq!(outcome.result, Verdict::Block);
        assert!(outcome.reason.contains("rec:missing"));
    }
}
