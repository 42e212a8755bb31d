//! Contradiction: checks the action against the very snapshot planning used (its ref travels
//! with the proposal; nothing is re-read). A cited record whose version differs from the
//! snapshot's, a cited record the snapshot does not hold, or a target (contact, meeting) that
//! the snapshot contradicts is a conflict: BLOCK, or WARN by tenant config. Without the
//! snapshot nothing can be checked, so it blocks: fail closed.

use std::collections::BTreeMap;

use serde_json::json;

use super::{ValidationContext, Validator, ValidatorResult, Verdict, not_applicable, result};
use crate::decision::Proposal;
use crate::world::{AccountFacts, ContactFact};

pub struct ContradictionValidator;

impl Validator for ContradictionValidator {
    fn name(&self) -> &'static str {
        "contradiction"
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult {
        let Some(proposal) = ctx.proposal() else {
            return not_applicable(self.name(), "a read has no plan to contradict");
        };
        let Some(snapshot) = ctx.snapshot else {
            return result(
                self.name(),
                Verdict::Block,
                vec![format!(
                    "SNAPSHOT_MISSING: the snapshot {} planning used cannot be read",
                    ctx.snapshot_ref.unwrap_or("(none)")
                )],
                json!({ "snapshot_ref": ctx.snapshot_ref, "conflicts": [] }),
            );
        };
        let conflicts = conflicts(proposal, snapshot);
        let verdict = if conflicts.is_empty() {
            Verdict::Allow
        } else {
            ctx.policy.contradiction_verdict
        };
        let reasons = conflicts
            .iter()
            .map(|c| format!("CONTRADICTION: {c}"))
            .collect();
        result(
            self.name(),
            verdict,
            reasons,
            json!({ "snapshot_ref": ctx.snapshot_ref, "conflicts": conflicts }),
        )
    }
}

fn conflicts(proposal: &Proposal, snapshot: &AccountFacts) -> Vec<String> {
    let mut found = Vec::new();
    let held = snapshot.evidence_held();
    // `rec:{type}:{id}` → the versions of that record the snapshot rests on.
    let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for full in &held {
        let key = full.split('@').next().unwrap_or_default();
        versions.entry(key).or_default().push(full);
    }
    for cited in proposal
        .evidence_refs
        .iter()
        .filter(|r| r.starts_with("rec:"))
    {
        if held.contains(cited.as_str()) {
            continue;
        }
        let key = cited.split('@').next().unwrap_or_default();
        // A change (a slipped close date, a stage move) cites the version before it and the
        // version after: the earlier one is history, not a conflict, as long as the proposal
        // also cites the version the snapshot holds.
        let cites_held_version = versions.get(key).is_some_and(|full| {
            full.iter()
                .any(|v| proposal.evidence_refs.iter().any(|r| r == v))
        });
        if cites_held_version {
            continue;
        }
        match versions.get(key) {
            Some(full) => found.push(format!(
                "cites {cited} but the snapshot planning used holds {}",
                full.join(", ")
            )),
            None => found.push(format!(
                "cites {cited}, which the snapshot planning used does not hold"
            )),
        }
    }
    let params = &proposal.params;
    if let Some(contact_id) = params["contact_id"].as_str() {
        match snapshot.contacts().iter().find(|c| c.id == contact_id) {
            None => found.push(format!("contact {contact_id} is not in the snapshot")),
            Some(c) if !c.active => {
                found.push(format!("contact {contact_id} is inactive in the snapshot"))
            }
            Some(_) => {}
        }
    }
    if let Some(to) = params["to"].as_str() {
        let addressed = |c: &&ContactFact| {
            c.active
                && c.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(to))
        };
        match snapshot.contacts().iter().find(addressed) {
            None => found.push(format!(
                "recipient {to} is no active contact of the account in the snapshot"
            )),
            Some(c) if !c.reachable() => found.push(format!(
                "recipient {to}: trusted sources dispute contact {}'s address in the snapshot",
                c.id
            )),
            Some(_) => {}
        }
    }
    if let Some(meeting_id) = params["meeting_id"].as_str()
        && !snapshot.meetings().iter().any(|m| m.id == meeting_id)
    {
        found.push(format!("meeting {meeting_id} is not in the snapshot"));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{ActionKind, Proposal};
    use crate::records::{Record, parse_line};
    use crate::validators::GovernancePolicy;
    use crate::validators::test_support::*;
    use crate::world::record_ref;

    fn record(line: &str) -> Record {
        parse_line(1, line).unwrap_or_else(|e| panic!("{e}"))
    }

    fn contact(active: bool) -> Record {
        record(&format!(
            r#"{{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lee","email":"ada@acme.test","role":"champion","active":{active}}}"#
        ))
    }

    fn view(records: Vec<Record>) -> AccountFacts {
        let now = "2026-03-10T00:00:00Z".parse().unwrap();
        AccountFacts::of_records("acme", &records, &[], now)
    }

    fn follow_up(refs: Vec<String>, to: &str) -> Proposal {
        Proposal::new_for("d1", ActionKind::SendFollowUp)
            .evidence(refs, vec![])
            .params(json!({ "to": to, "contact_id": "c1", "subject": "Agenda", "body": "Hi" }))
            .build()
    }

    fn check(proposal: &Proposal, snapshot: Option<&AccountFacts>) -> ValidatorResult {
        let mut c = ctx(proposal, &[]);
        c.snapshot = snapshot;
        c.snapshot_ref = Some("art-snap");
        ContradictionValidator.validate(&c)
    }

    #[test]
    fn agreeing_with_the_snapshot_allows() {
        let c = contact(true);
        let p = follow_up(vec![record_ref(&c)], "ADA@acme.test");
        let outcome = check(&p, Some(&view(vec![c])));
        assert_eq!(outcome.result, Verdict::Allow, "{}", outcome.reason);
    }

    #[test]
    fn a_cited_version_the_snapshot_does_not_hold_blocks() {
        let old = contact(true);
        let newer = record(
            r#"{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-03-05T00:00:00Z","name":"Ada Lee","email":"ada@acme.test","role":"champion"}"#,
        );
        let p = follow_up(vec![record_ref(&old)], "ada@acme.test");
        let outcome = check(&p, Some(&view(vec![newer])));
        assert_eq!(outcome.result, Verdict::Block);
        assert!(
            outcome.reason.contains("holds rec:contact:c1@"),
            "{}",
            outcome.reason
        );
        let p = follow_up(
            vec!["rec:ticket:t9@0000000000000000".into()],
            "ada@acme.test",
        );
        let outcome = check(&p, Some(&view(vec![old])));
        assert_eq!(outcome.result, Verdict::Block);
        assert_eq!(outcome.details["conflicts"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_change_citing_the_version_before_and_the_one_held_allows() {
        let old = contact(true);
        let newer = record(
            r#"{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-03-05T00:00:00Z","name":"Ada Lee","email":"ada@acme.test","role":"champion"}"#,
        );
        let snapshot = view(vec![newer.clone()]);
        let p = follow_up(vec![record_ref(&old), record_ref(&newer)], "ada@acme.test");
        let outcome = check(&p, Some(&snapshot));
        assert_eq!(outcome.result, Verdict::Allow, "{}", outcome.reason);
        // The old version alone is a stale reading: it still conflicts.
        let p = follow_up(vec![record_ref(&old)], "ada@acme.test");
        assert_eq!(check(&p, Some(&snapshot)).result, Verdict::Block);
    }

    #[test]
    fn an_inactive_or_unknown_recipient_conflicts() {
        let c = contact(false);
        let p = follow_up(vec![record_ref(&c)], "ada@acme.test");
        let outcome = check(&p, Some(&view(vec![c.clone()])));
        assert_eq!(outcome.result, Verdict::Block);
        assert_eq!(outcome.details["conflicts"].as_array().unwrap().len(), 2);
        let active = contact(true);
        let p = follow_up(vec![record_ref(&active)], "someone@else.test");
        assert_eq!(check(&p, Some(&view(vec![active]))).result, Verdict::Block);
    }

    #[test]
    fn conflicts_warn_when_the_tenant_says_so_and_a_missing_snapshot_blocks() {
        let c = contact(false);
        let p = follow_up(vec![record_ref(&c)], "ada@acme.test");
        let policy = GovernancePolicy {
            contradiction_verdict: Verdict::Warn,
            ..GovernancePolicy::default()
        };
        let snapshot = view(vec![c]);
        let mut with_policy = ctx(&p, &[]);
        with_policy.snapshot = Some(&snapshot);
        with_policy.policy = &policy;
        assert_eq!(
            ContradictionValidator.validate(&with_policy).result,
            Verdict::Warn
        );
        let missing = check(&p, None);
        assert_eq!(missing.result, Verdict::Block);
        assert!(missing.reason.starts_with("SNAPSHOT_MISSING"));
    }

    #[test]
    fn a_recipient_whose_address_sources_dispute_conflicts() {
        use crate::world::state::{Provenance, StateConfig};
        let crm = contact(true);
        let other = record(
            r#"{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lee","email":"ada@elsewhere.test","role":"champion"}"#,
        );
        let at = "2026-03-09T00:00:00Z".parse().unwrap();
        let from = |evidence_id, source| Provenance {
            evidence_id,
            source,
            trust_class: "crm",
            observed_at: at,
        };
        let crm_ref = record_ref(&crm);
        let versions = [
            (&crm, from(crm_ref.as_str(), "salesforce")),
            (&other, from("rec:contact:c1@hubspot", "hubspot")),
        ];
        let snapshot =
            AccountFacts::from_versions("acme", &versions, &[], at, &StateConfig::default());
        // Whichever address won, the other source disputes it.
        let to = snapshot.contacts()[0].email.clone().unwrap();
        let p = follow_up(vec![crm_ref.clone()], &to);
        let outcome = check(&p, Some(&snapshot));
        assert_eq!(outcome.result, Verdict::Block, "{}", outcome.reason);
        assert!(outcome.reason.contains("dispute"), "{}", outcome.reason);
    }
}
