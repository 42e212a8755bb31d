//! Builders for playbook tests: an account from JSON lines, signals with the details their
//! detectors write, and a run that checks what every proposal must hold.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Playbook, PlaybookConfig, PlaybookInput};
use crate::decision::brief::MeetingBrief;
use crate::decision::proposal::Proposal;
use crate::ids::{AccountId, TenantId};
use crate::signals::{Severity, Signal, SignalParts, SignalType};
use crate::world::AccountFacts;
use crate::world::state::EntityState;

pub fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

pub const ACCOUNT: &str = r#"{"type":"account","id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme","owner":"sam"}"#;
pub const CHAMPION: &str = r#"{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lovelace","email":"ada@acme.test","role":"champion","is_primary":true,"active":true}"#;
pub const BUYER: &str = r#"{"type":"contact","id":"bob","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Bob Byer","email":"bob@acme.test","role":"economic_buyer","active":true}"#;
pub const GONE_CHAMPION: &str = r#"{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lovelace","email":"ada@acme.test","role":"champion","is_primary":true,"active":false}"#;

/// Acme's facts at [`now`] from its CRM records.
pub fn view(lines: &[&str]) -> AccountFacts {
    let records: Vec<_> = lines
        .iter()
        .map(|l| crate::records::parse_line(1, l).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    AccountFacts::of_records(
        AccountId::parse("acme").unwrap().as_str(),
        &records,
        &[],
        now(),
    )
}

/// Acme and its champion, whose address two trusted sources dispute.
pub fn champion_with_disputed_address() -> AccountFacts {
    use crate::world::state::{Provenance, StateConfig};
    let parse = |l: &str| crate::records::parse_line(1, l).unwrap_or_else(|e| panic!("{e}"));
    let (account, crm, other) = (
        parse(ACCOUNT),
        parse(CHAMPION),
        parse(&CHAMPION.replace("ada@acme.test", "ada@personal.test")),
    );
    let from = |evidence_id, source| Provenance {
        evidence_id,
        source,
        trust_class: "crm",
        observed_at: now() - chrono::Duration::hours(1),
    };
    let versions = [
        (&account, from("rec:account:acme@a", "salesforce")),
        (&crm, from("rec:contact:ada@a", "salesforce")),
        (&other, from("rec:contact:ada@b", "hubspot")),
    ];
    AccountFacts::from_versions("acme", &versions, &[], now(), &StateConfig::default())
}

/// Acme's facts from its CRM records, with `entities` in place of the states those records
/// give the same entities (a dispute, an answer).
pub fn with_world(lines: &[&str], entities: Vec<EntityState>) -> AccountFacts {
    let facts = view(lines);
    let mut all: Vec<EntityState> = facts
        .entities
        .into_iter()
        .filter(|e| !entities.iter().any(|given| given.entity == e.entity))
        .collect();
    all.extend(entities);
    all.sort_by(|a, b| a.entity.cmp(&b.entity));
    AccountFacts::new(facts.account_id, facts.as_of, facts.state, all, facts.usage)
}

pub fn signal(signal_type: SignalType, details: Value) -> Signal {
    Signal::new(
        &TenantId::parse("t1").unwrap(),
        now(),
        SignalParts {
            signal_type,
            account_id: AccountId::parse("acme").unwrap(),
            severity: Severity::High,
            confidence: 0.9,
            evidence_refs: vec![format!(
                "rec:test:{}@0000000000000000",
                signal_type.as_str()
            )],
            expires_at: now() + chrono::Duration::days(7),
            dedup_key: details.to_string(),
            details,
        },
    )
}

/// The input a decision of account acme at [`now`] gets, handed to `f`.
pub fn with_input<T>(
    facts: &AccountFacts,
    signals: &[Signal],
    config: &PlaybookConfig,
    f: impl FnOnce(&PlaybookInput<'_>) -> T,
) -> T {
    let brief = MeetingBrief::compute(facts, signals, now());
    f(&PlaybookInput {
        decision_id: "t1/decision/acme-1",
        facts,
        signals,
        brief: &brief,
        brief_artifact_key: "art-brief",
        now: now(),
        config,
    })
}

/// Runs one playbook and checks what every proposal must hold: grounded in the signals' evidence,
/// a why-now, a confidence in (0, 1], and a recipient for anything customer-facing.
pub fn propose(playbook: &dyn Playbook, facts: &AccountFacts, signals: &[Signal]) -> Vec<Proposal> {
    let proposals = with_input(facts, signals, &PlaybookConfig::default(), |input| {
        playbook.propose(input)
    });
    let cited: Vec<&String> = signals.iter().flat_map(|s| &s.evidence_refs).collect();
    for p in &proposals {
        assert!(!p.evidence_refs.is_empty(), "{}: no evidence", p.title);
        assert!(
            p.evidence_refs.iter().all(|r| cited.contains(&r)),
            "{}: evidence not from its signals",
            p.title
        );
        assert!(!p.why_now.trim().is_empty(), "{}: no why-now", p.title);
        assert!(!p.why_now.contains("0 risk"), "{}", p.why_now);
        assert!(
            !p.why_now.contains(": ;") && !p.why_now.trim_end().ends_with(':'),
            "{}",
            p.why_now
        );
        assert!(
            p.confidence > 0.0 && p.confidence <= 1.0,
            "{}: {}",
            p.title,
            p.confidence
        );
        if p.kind.is_customer_facing() {
            let to = p.params["to"].as_str().unwrap_or_default();
            assert!(
                to.contains('@'),
                "{}: customer-facing without a recipient",
                p.title
            );
        }
        for param in p.kind.required_params() {
            assert!(!p.params[*param].is_null(), "{}: missing {param}", p.title);
        }
    }
    proposals
}

pub fn kinds(proposals: &[Proposal]) -> Vec<&'static str> {
    proposals.iter().map(|p| p.kind.as_str()).collect()
}
