//! Runs the playbooks for one account's batch: one decision, duplicates merged, ranked 1..n.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Playbook, PlaybookInput, support};
use crate::decision::actions::ActionKind;
use crate::decision::clarify::{MAX_QUESTIONS, Uncertain, uncertain_fields};
use crate::decision::proposal::Proposal;
use crate::decision::protocol::DecisionMessage;
use crate::decision::protocol::Question;

/// Every enabled playbook whose signals are present proposes; proposals with the same id (the
/// same action for the same purpose) are merged; the rest are ranked, most confident first.
pub fn run_playbooks(
    playbooks: &[Box<dyn Playbook>],
    input: &PlaybookInput<'_>,
) -> DecisionMessage {
    let mut merged: BTreeMap<String, Proposal> = BTreeMap::new();
    let mut turned_off = Vec::new();
    let uncertain = uncertain_fields(&input.facts.entities);
    let mut questions: Vec<Question> = Vec::new();
    for playbook in playbooks {
        let present = playbook
            .answers()
            .iter()
            .any(|t| input.signals.iter().any(|s| s.signal_type == *t));
        if !present {
            continue;
        }
        let setting = input.config.setting(playbook.name());
        if !setting.enabled {
            turned_off.push(playbook.name());
            continue;
        }
        let disputed: Vec<&Uncertain> = uncertain
            .iter()
            .filter(|u| playbook.depends_on().contains(&u.key().as_str()))
            .collect();
        if !disputed.is_empty() {
            for u in disputed {
                let q = u.question();
                if !questions
                    .iter()
                    .any(|a| a.entity == q.entity && a.field == q.field)
                {
                    questions.push(q);
                }
            }
            continue;
        }
        for mut proposal in playbook.propose(input) {
            if proposal.playbook.is_empty() {
                proposal.playbook = playbook.name().to_string();
            }
            if let Some(kind) = setting.action
                && kind != proposal.kind
            {
                proposal = replaced(input, playbook.name(), &proposal, kind);
            }
            match merged.get_mut(&proposal.proposal_id) {
                Some(existing) => merge(existing, proposal),
                None => {
                    merged.insert(proposal.proposal_id.clone(), proposal);
                }
            }
        }
    }
    // A fact the decision needs is in dispute: it asks first, and proposes nothing until the
    // answer comes (the decision then runs again on the settled state).
    if !questions.is_empty() {
        questions.sort_by(|a, b| (&a.entity, &a.field).cmp(&(&b.entity, &b.field)));
        questions.truncate(MAX_QUESTIONS);
        return DecisionMessage::ClarificationRequest { questions };
    }
    let mut proposals: Vec<Proposal> =
        fold_check_ins_into_follow_ups(merged.into_values().collect())
            .into_iter()
            .filter(|p| !p.evidence_refs.is_empty())
            .collect();
    if proposals.is_empty() {
        return DecisionMessage::NoAction {
            reason: no_action_reason(input, &turned_off),
        };
    }
    proposals.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.kind.cmp(&b.kind))
            .then(a.proposal_id.cmp(&b.proposal_id))
    });
    for (i, p) in proposals.iter_mut().enumerate() {
        p.rank = i as u32 + 1;
    }
    DecisionMessage::ActionProposals { proposals }
}

/// A person who gets a follow-up in this decision gets no separate check-in: one email says
/// both, citing the check-in's evidence too.
fn fold_check_ins_into_follow_ups(proposals: Vec<Proposal>) -> Vec<Proposal> {
    let follow_up_to: Vec<String> = proposals
        .iter()
        .filter(|p| p.kind == ActionKind::SendFollowUp)
        .filter_map(|p| p.params["to"].as_str().map(str::to_string))
        .collect();
    let (folded, mut kept): (Vec<Proposal>, Vec<Proposal>) = proposals.into_iter().partition(|p| {
        p.kind == ActionKind::SendEmail
            && p.params["purpose"] == "check_in"
            && p.params["to"]
                .as_str()
                .is_some_and(|to| follow_up_to.iter().any(|f| f == to))
    });
    for check_in in folded {
        if let Some(follow_up) = kept
            .iter_mut()
            .find(|p| p.kind == ActionKind::SendFollowUp && p.params["to"] == check_in.params["to"])
        {
            merge(follow_up, check_in);
        }
    }
    kept
}

/// Two playbooks asked for the same thing: one proposal that cites both and says both whys.
fn merge(existing: &mut Proposal, other: Proposal) {
    existing.evidence_refs.extend(other.evidence_refs);
    existing.evidence_refs.sort();
    existing.evidence_refs.dedup();
    existing.signal_ids.extend(other.signal_ids);
    existing.signal_ids.sort();
    existing.signal_ids.dedup();
    if !existing.why_now.contains(&other.why_now) {
        existing.why_now = format!("{}; {}", existing.why_now, other.why_now);
    }
    existing.confidence = existing.confidence.max(other.confidence);
    let mut names: Vec<&str> = existing.playbook.split('+').collect();
    if !names.contains(&other.playbook.as_str()) {
        names.push(&other.playbook);
        names.sort();
        existing.playbook = names.join("+");
    }
}

/// The tenant asked this playbook to propose an internal task (or note) instead.
fn replaced(
    input: &PlaybookInput<'_>,
    playbook: &str,
    original: &Proposal,
    kind: ActionKind,
) -> Proposal {
    let params = match kind {
        ActionKind::LogNote => {
            json!({ "body": format!("{}: {}", original.title, original.why_now) })
        }
        _ => {
            json!({ "title": original.title, "owner": support::owner(input), "due_date": support::due_in(input, 2) })
        }
    };
    Proposal::new_keyed(input.decision_id, kind, playbook)
        .title(original.title.clone())
        .why_now(original.why_now.clone())
        .confidence(original.confidence)
        .evidence(original.evidence_refs.clone(), original.signal_ids.clone())
        .params(params)
        .playbook(original.playbook.clone())
        .build()
}

fn no_action_reason(input: &PlaybookInput<'_>, turned_off: &[&str]) -> String {
    let mut types: Vec<String> = input
        .signals
        .iter()
        .map(|s| s.signal_type.as_str())
        .collect();
    types.sort();
    types.dedup();
    if types.is_empty() {
        return "no signal to act on".into();
    }
    if !turned_off.is_empty() {
        return format!(
            "{} answered only by playbooks the tenant turned off ({})",
            support::listed(&types),
            turned_off.join(", ")
        );
    }
    format!(
        "nothing to do for {}: every condition for an action is unmet",
        support::listed(&types)
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{PlaybookConfig, builtin_playbooks};
    use super::*;
    use crate::signals::{Signal, SignalType};
    use crate::world::AccountFacts;
    use proptest::prelude::*;

    fn decide(
        facts: &AccountFacts,
        signals: &[Signal],
        config: &PlaybookConfig,
    ) -> DecisionMessage {
        with_input(facts, signals, config, |input| {
            run_playbooks(&builtin_playbooks(), input)
        })
    }

    fn all_signals() -> Vec<Signal> {
        vec![
            signal(
                SignalType::RenewalWindowEntered,
                json!({"end_date": "2026-05-09", "days_remaining": 60}),
            ),
            signal(SignalType::NoMeetingIn21Days, json!({"days_without": 30})),
            signal(
                SignalType::ChampionEngagementDropped,
                json!({"contact_id": "ada", "name": "Ada Lovelace", "drop_pct": 75.0, "recent_touches": 1.0, "baseline_touches_per_14_days": 4.0}),
            ),
            signal(
                SignalType::UsageDropPercent,
                json!({"metric": "seats", "drop_pct": 55.0, "recent_mean": 90.0, "baseline_mean": 200.0, "baseline_days": 28}),
            ),
            signal(
                SignalType::SupportSev2Aging,
                json!({"ticket_id": "t1", "subject": "Sync", "age_days": 9}),
            ),
            signal(
                SignalType::FundingAnnouncement,
                json!({"news_id": "n1", "headline": "Series B"}),
            ),
            signal(
                SignalType::PartnershipAnnouncement,
                json!({"news_id": "n2", "headline": "Partners"}),
            ),
            signal(
                SignalType::CompetitiveThreatDetected,
                json!({"competitor": "RivalSoft", "record_type": "note"}),
            ),
        ]
    }

    #[test]
    fn two_check_ins_with_the_champion_become_one_email_citing_both() {
        let v = view(&[ACCOUNT, CHAMPION]);
        let DecisionMessage::ActionProposals { proposals } =
            decide(&v, &all_signals(), &PlaybookConfig::default())
        else {
            panic!("proposals expected");
        };
        let emails: Vec<&Proposal> = proposals
            .iter()
            .filter(|p| p.kind == ActionKind::SendEmail && p.params["purpose"] == "check_in")
            .collect();
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].signal_ids.len(), 2);
        assert_eq!(emails[0].playbook, "champion_check_in+usage_drop_check_in");
        assert!(
            emails[0].why_now.contains("seats down 55 %")
                && emails[0].why_now.contains("engagement is down")
        );
        let ranks: Vec<u32> = proposals.iter().map(|p| p.rank).collect();
        assert_eq!(ranks, (1..=proposals.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn a_follow_up_to_the_champion_takes_the_check_in_in() {
        let meeting = r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"QBR","starts_at":"2026-03-11T09:00:00Z","status":"scheduled"}"#;
        let v = view(&[ACCOUNT, CHAMPION, meeting]);
        let mut signals = all_signals();
        signals.push(signal(
            SignalType::MeetingUpcoming,
            json!({"meeting_id": "m1", "hours_until": 20.5}),
        ));
        let DecisionMessage::ActionProposals { proposals } =
            decide(&v, &signals, &PlaybookConfig::default())
        else {
            panic!("proposals expected");
        };
        let to_ada: Vec<&str> = proposals
            .iter()
            .filter(|p| {
                // A plan's steps are approved as a plan, apart from the single actions.
                p.params["to"] == "ada@acme.test"
                    && p.params["purpose"] != "congratulations"
                    && p.plan.is_none()
            })
            .map(|p| p.kind.as_str())
            .collect();
        assert_eq!(
            to_ada,
            ["send_follow_up"],
            "no separate check-in beside the follow-up"
        );
        let follow_up = proposals
            .iter()
            .find(|p| p.kind == ActionKind::SendFollowUp)
            .unwrap();
        assert!(
            follow_up.why_now.contains("seats down 55 %"),
            "{}",
            follow_up.why_now
        );
    }

    #[test]
    fn the_tenant_can_turn_a_playbook_off_or_make_it_a_task() {
        let v = view(&[ACCOUNT, CHAMPION]);
        let usage = vec![all_signals()[3].clone()];
        let as_task: PlaybookConfig =
            serde_json::from_value(json!({"usage_drop_check_in": {"action": "create_task"}}))
                .unwrap();
        let DecisionMessage::ActionProposals { proposals } = decide(&v, &usage, &as_task) else {
            panic!("proposals expected");
        };
        assert_eq!(proposals.len(), 1);
        assert_eq!(proposals[0].kind, ActionKind::CreateTask);
        assert_eq!(proposals[0].params["title"], "Check in with Ada Lovelace");
        let off: PlaybookConfig =
            serde_json::from_value(json!({"usage_drop_check_in": {"enabled": false}})).unwrap();
        let DecisionMessage::NoAction { reason } = decide(&v, &usage, &off) else {
            panic!("no action expected");
        };
        assert!(
            reason.contains("turned off (usage_drop_check_in)"),
            "{reason}"
        );
    }

    #[test]
    fn nothing_to_do_says_why() {
        let v = view(&[ACCOUNT]);
        // A meeting signal with no scheduled meeting in the records: nothing to prepare.
        let meeting = signal(SignalType::MeetingUpcoming, json!({"meeting_id": "gone"}));
        let DecisionMessage::NoAction { reason } =
            decide(&v, &[meeting], &PlaybookConfig::default())
        else {
            panic!("no action expected");
        };
        assert!(reason.contains("MEETING_UPCOMING"), "{reason}");
    }

    proptest! {
        /// The same signals in any order give the same decision; every proposal is grounded in
        /// them, and nothing customer-facing goes without a recipient.
        #[test]
        fn order_does_not_matter_and_every_proposal_is_grounded(
            picks in proptest::sample::subsequence((0..8usize).collect::<Vec<_>>(), 1..8),
            shuffle in any::<u64>(),
            reachable in any::<bool>(),
        ) {
            let lines: Vec<&str> = if reachable { vec![ACCOUNT, CHAMPION, BUYER] } else { vec![ACCOUNT, GONE_CHAMPION] };
            let v = view(&lines);
            let signals: Vec<Signal> = picks.iter().map(|&i| all_signals()[i].clone()).collect();
            let mut shuffled = signals.clone();
            let n = shuffled.len();
            for i in 0..n {
                shuffled.swap(i, (shuffle as usize).wrapping_add(i * 7) % n);
            }
            let a = decide(&v, &signals, &PlaybookConfig::default());
            let b = decide(&v, &shuffled, &PlaybookConfig::default());
            prop_assert_eq!(&a, &b);
            // What the playbooks answer always passes the protocol check that every model's
            // answer must pass (they are what a refused answer falls back to).
            let refs = crate::decision::ModelInputRefs::from_signals(&signals);
            let violations = crate::decision::check_answer(&a, &refs);
            prop_assert!(violations.is_empty(), "{:?}", violations);
            let cited: Vec<&String> = signals.iter().flat_map(|s| &s.evidence_refs).collect();
            for p in a.proposals() {
                prop_assert!(!p.evidence_refs.is_empty());
                prop_assert!(p.evidence_refs.iter().all(|r| cited.contains(&r)));
                if p.kind.is_customer_facing() {
                    prop_assert!(p.params["to"].as_str().is_some_and(|t| t.contains('@')));
                }
            }
        }
    }

    fn renewal_dispute(answer: Option<&str>) -> Vec<crate::world::state::EntityState> {
        use crate::world::state::{EntityRef, Observation, StateConfig, compute_state};
        let claim = |value: &str, source: &str, ev: &str| Observation {
            entity: EntityRef::new("account", "acme"),
            field: "renewal_date".into(),
            value: json!(value),
            evidence_id: ev.into(),
            source: source.into(),
            trust_class: "crm".into(),
            observed_at: now() - chrono::Duration::days(2),
            confidence: 1.0,
        };
        let mut observations = vec![
            claim("2026-05-09", "salesforce", "ev-1"),
            claim("2026-07-31", "contracts", "ev-2"),
        ];
        if let Some(value) = answer {
            observations.push(crate::decision::clarify::answer_observation(
                &EntityRef::new("account", "acme"),
                "renewal_date",
                json!(value),
                "ev-answer",
                now() - chrono::Duration::days(1),
            ));
        }
        vec![compute_state(
            &EntityRef::new("account", "acme"),
            &observations,
            now(),
            &StateConfig::default(),
        )]
    }

    fn decide_on(entities: Vec<crate::world::state::EntityState>) -> DecisionMessage {
        let v = with_world(&[ACCOUNT, CHAMPION], entities);
        let signals = all_signals();
        let brief = crate::decision::MeetingBrief::compute(&v, &signals, now());
        let config = PlaybookConfig::default();
        run_playbooks(
            &builtin_playbooks(),
            &PlaybookInput {
                decision_id: "t1/decision/acme-1",
                facts: &v,
                signals: &signals,
                brief: &brief,
                brief_artifact_key: "art-brief",
                now: now(),
                config: &config,
            },
        )
    }

    #[test]
    fn a_disputed_renewal_date_asks_one_question_and_proposes_nothing() {
        let message = decide_on(renewal_dispute(None));
        let DecisionMessage::ClarificationRequest { questions } = &message else {
            panic!("a question expected, got {message:?}");
        };
        assert_eq!(questions.len(), 1);
        assert_eq!(
            (questions[0].entity.as_str(), questions[0].field.as_str()),
            ("account:acme", "renewal_date")
        );
        assert_eq!(questions[0].options.len(), 2);
        assert!(
            message.proposals().is_empty(),
            "nothing customer-facing, nothing at all"
        );
        let refs = crate::decision::ModelInputRefs::from_signals(&all_signals());
        assert!(crate::decision::check_answer(&message, &refs).is_empty());
    }

    #[test]
    fn once_answered_the_decision_proposes_on_the_answered_date() {
        let DecisionMessage::ActionProposals { proposals } =
            decide_on(renewal_dispute(Some("2026-07-31")))
        else {
            panic!("proposals expected once the date is settled");
        };
        let plan = proposals
            .iter()
            .find(|p| p.playbook == "renewal_plan")
            .expect("the renewal plan");
        assert!(
            plan.why_now.contains("ends on 2026-07-31"),
            "{}",
            plan.why_now
        );
        assert!(proposals.iter().any(|p| p.kind.is_customer_facing()));
    }

    #[test]
    fn a_dispute_no_present_playbook_depends_on_asks_nothing() {
        let v = with_world(&[ACCOUNT, CHAMPION], renewal_dispute(None));
        let signals = vec![signal(
            SignalType::FundingAnnouncement,
            json!({"news_id": "n1", "headline": "Series B"}),
        )];
        let brief = crate::decision::MeetingBrief::compute(&v, &signals, now());
        let config = PlaybookConfig::default();
        let message = run_playbooks(
            &builtin_playbooks(),
            &PlaybookInput {
                decision_id: "t1/decision/acme-1",
                facts: &v,
                signals: &signals,
                brief: &brief,
                brief_artifact_key: "art-brief",
                now: now(),
                config: &config,
            },
        );
        assert_eq!(message.name(), "ACTION_PROPOSALS");
    }
}
