//! An upcoming meeting: attach the brief; with open risks, a prep task and a follow-up draft
//! that sets the agenda (for approval).

use serde_json::json;

use super::support::{cite, first_name, listed, owner, signals_of};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::{Signal, SignalType};

pub struct MeetingPrepPlaybook;

impl Playbook for MeetingPrepPlaybook {
    fn name(&self) -> &'static str {
        "meeting_prep"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::MeetingUpcoming]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let Some(meeting) = &input.brief.meeting else {
            return Vec::new();
        };
        let Some(meeting_signal) = signals_of(input, SignalType::MeetingUpcoming)
            .first()
            .copied()
        else {
            return Vec::new();
        };
        let risk_signals: Vec<&Signal> = input
            .signals
            .iter()
            .filter(|s| s.signal_type != SignalType::MeetingUpcoming)
            .collect();
        let account = input.facts.account_name();
        let hours = (meeting.starts_at - input.now).num_hours();
        let risk_titles: Vec<String> = input.brief.risks.iter().map(|r| r.title.clone()).collect();
        let brief_covers = match risk_titles.len() {
            0 => "the brief has the account's state; no open risks".to_string(),
            1 => format!("the brief covers one open risk: {}", risk_titles[0]),
            n => format!("the brief covers {n} open risks: {}", listed(&risk_titles)),
        };
        let (refs, ids) = cite(&[meeting_signal]);
        let mut proposals = vec![
            Proposal::new_for(input.decision_id, ActionKind::AttachBrief)
                .title(format!("Attach the meeting brief to \"{}\"", meeting.title))
                .why_now(format!("{account} meets in {hours} h; {brief_covers}"))
                .confidence(0.95)
                .evidence(refs, ids)
                .params(json!({
                    "artifact_key": input.brief_artifact_key,
                    "meeting_id": meeting.meeting_id,
                }))
                .build(),
        ];
        if risk_signals.is_empty() || risk_titles.is_empty() {
            return proposals;
        }
        let mut cited = risk_signals.clone();
        cited.push(meeting_signal);
        let (refs, ids) = cite(&cited);
        let risks = listed(&risk_titles);
        proposals.push(
            Proposal::new_for(input.decision_id, ActionKind::CreateTask)
                .title(format!(
                    "Prepare answers on {risks} before meeting {account}"
                ))
                .why_now(format!(
                    "\"{}\" is in {hours} h and {risks} are open",
                    meeting.title
                ))
                .confidence(0.85)
                .evidence(refs.clone(), ids.clone())
                .params(json!({
                    "title": format!("Prep for {}: {}", meeting.title, risk_titles.join("; ")),
                    "due_date": meeting.starts_at.date_naive(),
                    "owner": owner(input),
                }))
                .build(),
        );
        if let Some(contact) = input.facts.follow_up_contact() {
            proposals.push(
                Proposal::new_for(input.decision_id, ActionKind::SendFollowUp)
                    .title(format!("Send {} a follow-up before the meeting", contact.name))
                    .why_now(format!(
                        "{risks} are open ahead of \"{}\" in {hours} h; setting the agenda now avoids surprises",
                        meeting.title
                    ))
                    .confidence(0.7)
                    .evidence(refs, ids)
                    .params(json!({
                        "to": contact.email,
                        "contact_id": contact.id,
                        "subject": format!("Agenda for {}", meeting.title),
                        "body": format!(
                            "Hi {},\n\nAhead of our meeting I'd like to cover:\n{}\n\nAnything you'd add?",
                            first_name(contact),
                            input.brief.suggested_agenda.iter().map(|a| format!("- {a}")).collect::<Vec<_>>().join("\n")
                        ),
                    }))
                    .build(),
            );
        }
        proposals
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    const MEETING: &str = r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"QBR","starts_at":"2026-03-11T09:00:00Z","status":"scheduled"}"#;
    const TICKET: &str = r#"{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","subject":"Sync fails","severity":2,"status":"open","opened_at":"2026-02-20T00:00:00Z"}"#;

    fn meeting_signal() -> Signal {
        signal(
            SignalType::MeetingUpcoming,
            json!({"meeting_id": "m1", "title": "QBR", "hours_until": 20.0}),
        )
    }

    #[test]
    fn a_meeting_alone_gets_the_brief_and_no_empty_risk_list() {
        let v = view(&[ACCOUNT, CHAMPION, MEETING]);
        let proposals = propose(&MeetingPrepPlaybook, &v, &[meeting_signal()]);
        assert_eq!(kinds(&proposals), ["attach_brief"]);
        assert!(
            proposals[0].why_now.contains("no open risks"),
            "{}",
            proposals[0].why_now
        );
    }

    #[test]
    fn a_meeting_with_a_risk_gets_prep_and_a_follow_up() {
        let v = view(&[ACCOUNT, CHAMPION, MEETING, TICKET]);
        let aging = signal(
            SignalType::SupportSev2Aging,
            json!({"ticket_id": "t1", "subject": "Sync fails", "age_days": 18.5}),
        );
        let proposals = propose(&MeetingPrepPlaybook, &v, &[meeting_signal(), aging]);
        assert_eq!(
            kinds(&proposals),
            ["attach_brief", "create_task", "send_follow_up"]
        );
        assert_eq!(proposals[2].params["to"], "ada@acme.test");
    }

    #[test]
    fn no_upcoming_meeting_no_brief() {
        let v = view(&[ACCOUNT, CHAMPION]);
        assert!(propose(&MeetingPrepPlaybook, &v, &[meeting_signal()]).is_empty());
    }
}
