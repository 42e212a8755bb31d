//! No meeting for weeks on an account with a deal or renewal in play: ask the champion, the
//! economic buyer or the primary contact for a meeting (for approval).

use serde_json::json;

use super::support::{
    cite, confidence, find_the_right_person, first_name, number, recipient, shown, signals_of,
};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::records::ContactRole;
use crate::signals::SignalType;

pub struct ReEngagePlaybook;

impl Playbook for ReEngagePlaybook {
    fn name(&self) -> &'static str {
        "re_engage"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::NoMeetingIn21Days]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::NoMeetingIn21Days);
        let Some(first) = signals.first() else {
            return Vec::new();
        };
        // A meeting already on the calendar answers the silence; meeting prep takes it from here.
        let scheduled = input.facts.meetings().iter().any(|m| {
            m.status == crate::records::MeetingStatus::Scheduled && m.starts_at > input.now
        });
        if scheduled {
            return Vec::new();
        }
        let why = match number(first, "days_without") {
            Some(days) => format!(
                "no meeting with {} in {} days",
                input.facts.account_name(),
                shown(days)
            ),
            None => format!("no meeting with {} on record", input.facts.account_name()),
        };
        let roles = [ContactRole::Champion, ContactRole::EconomicBuyer];
        let Some(contact) = recipient(input, &roles) else {
            return vec![find_the_right_person(
                input,
                &signals,
                "ask for a meeting",
                why,
            )];
        };
        let (refs, ids) = cite(&signals);
        vec![
            // One meeting request per decision, whichever playbook asks for it.
            Proposal::new_keyed(input.decision_id, ActionKind::RequestMeeting, "meeting")
                .title(format!("Ask {} for a 30-minute meeting", contact.name))
                .why_now(why)
                .confidence(confidence(&signals, 0.8))
                .evidence(refs, ids)
                .params(json!({
                    "to": contact.email,
                    "contact_id": contact.id,
                    "subject": format!("30 minutes to catch up, {}?", first_name(contact)),
                    "body": format!(
                        "Hi {},\n\nIt has been a while since we last spoke. Could we find 30 minutes in the next two weeks to catch up on how things are going?\n\nThanks,",
                        first_name(contact)
                    ),
                    "duration_minutes": 30,
                }))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn quiet() -> crate::signals::Signal {
        signal(
            SignalType::NoMeetingIn21Days,
            json!({"days_without": 34, "limit_days": 21}),
        )
    }

    #[test]
    fn the_champion_is_asked_for_a_meeting() {
        let p = propose(
            &ReEngagePlaybook,
            &view(&[ACCOUNT, BUYER, CHAMPION]),
            &[quiet()],
        );
        assert_eq!(kinds(&p), ["request_meeting"]);
        assert_eq!(p[0].params["to"], "ada@acme.test");
        assert!(p[0].kind.requires_approval());
        assert!(p[0].why_now.contains("in 34 days"), "{}", p[0].why_now);
    }

    #[test]
    fn a_scheduled_meeting_needs_no_request() {
        let meeting = r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"QBR","starts_at":"2026-03-12T09:00:00Z","status":"scheduled"}"#;
        assert!(
            propose(
                &ReEngagePlaybook,
                &view(&[ACCOUNT, CHAMPION, meeting]),
                &[quiet()]
            )
            .is_empty()
        );
        let past = r#"{"type":"meeting","id":"m0","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"Kickoff","starts_at":"2026-01-12T09:00:00Z","status":"held"}"#;
        assert_eq!(
            kinds(&propose(
                &ReEngagePlaybook,
                &view(&[ACCOUNT, CHAMPION, past]),
                &[quiet()]
            )),
            ["request_meeting"]
        );
    }

    #[test]
    fn without_a_reachable_contact_the_owner_gets_a_task() {
        let p = propose(
            &ReEngagePlaybook,
            &view(&[ACCOUNT, GONE_CHAMPION]),
            &[quiet()],
        );
        assert_eq!(kinds(&p), ["create_task"]);
        assert!(
            p[0].title.contains("Find the right contact"),
            "{}",
            p[0].title
        );
        let buyer_only = propose(
            &ReEngagePlaybook,
            &view(&[ACCOUNT, GONE_CHAMPION, BUYER]),
            &[quiet()],
        );
        assert_eq!(buyer_only[0].params["to"], "bob@acme.test");
    }
}
