//! Deterministic playbooks: the default decision model. A playbook reads the brief and the
//! signals and answers in the decision protocol; the same input always gives the same answer.
//!
//! To add one, implement [`Playbook`] in this file's neighbourhood and add it to
//! [`builtin_playbooks`].

use chrono::{DateTime, Utc};
use serde_json::json;

use super::actions::ActionKind;
use super::brief::MeetingBrief;
use super::proposal::Proposal;
use super::protocol::DecisionMessage;
use crate::signals::{Signal, SignalType};
use crate::world::AccountView;

pub struct PlaybookInput<'a> {
    /// The decision's id (its workflow id): proposal ids derive from it.
    pub decision_id: &'a str,
    pub view: &'a AccountView,
    pub signals: &'a [Signal],
    pub brief: &'a MeetingBrief,
    /// Where the stored brief lives, so "attach brief" can point at it.
    pub brief_artifact_key: &'a str,
    pub now: DateTime<Utc>,
}

pub trait Playbook: Send + Sync {
    fn name(&self) -> &'static str;
    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal>;
}

pub fn builtin_playbooks() -> Vec<Box<dyn Playbook>> {
    vec![Box::new(MeetingPrepPlaybook)]
}

/// Runs every playbook, ranks the proposals (most confident first, then by kind) and answers.
pub fn run_playbooks(
    playbooks: &[Box<dyn Playbook>],
    input: &PlaybookInput<'_>,
) -> DecisionMessage {
    let mut proposals: Vec<Proposal> = playbooks.iter().flat_map(|p| p.propose(input)).collect();
    if proposals.is_empty() {
        return DecisionMessage::NoAction {
            reason: format!("no playbook applies to {} signal(s)", input.signals.len()),
        };
    }
    proposals.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.kind.cmp(&b.kind))
    });
    for (i, p) in proposals.iter_mut().enumerate() {
        p.rank = i as u32 + 1;
    }
    DecisionMessage::ActionProposals { proposals }
}

/// First wedge: an upcoming meeting with risk signals gets a brief, a prep task and a
/// follow-up draft for approval.
pub struct MeetingPrepPlaybook;

impl Playbook for MeetingPrepPlaybook {
    fn name(&self) -> &'static str {
        "meeting_prep"
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let Some(meeting) = &input.brief.meeting else {
            return Vec::new();
        };
        let Some(meeting_signal) = input
            .signals
            .iter()
            .find(|s| s.signal_type == SignalType::MeetingUpcoming)
        else {
            return Vec::new();
        };
        let risk_signals: Vec<&Signal> = input
            .signals
            .iter()
            .filter(|s| s.signal_type != SignalType::MeetingUpcoming)
            .collect();
        let all_refs = |signals: &[&Signal]| {
            let mut refs: Vec<String> = signals
                .iter()
                .flat_map(|s| s.evidence_refs.clone())
                .collect();
            refs.sort();
            refs.dedup();
            refs
        };
        let ids = |signals: &[&Signal]| {
            signals
                .iter()
                .map(|s| s.signal_id.clone())
                .collect::<Vec<_>>()
        };
        let account = input.view.account_name();
        let hours = (meeting.starts_at - input.now).num_hours();
        let mut proposals = vec![
            Proposal::new_for(input.decision_id, ActionKind::AttachBrief)
                .title(format!("Attach the meeting brief to \"{}\"", meeting.title))
                .why_now(format!(
                    "{account} meets in {hours}h; the brief gathers {} risk(s)",
                    input.brief.risks.len()
                ))
                .confidence(0.95)
                .evidence(all_refs(&[meeting_signal]), ids(&[meeting_signal]))
                .params(json!({
                    "artifact_key": input.brief_artifact_key,
                    "meeting_id": meeting.meeting_id,
                }))
                .build(),
        ];
        if risk_signals.is_empty() {
            return proposals;
        }
        let mut cited = risk_signals.clone();
        cited.push(meeting_signal);
        let risk_titles: Vec<&str> = input.brief.risks.iter().map(|r| r.title.as_str()).collect();
        let owner = input.view.account.as_ref().and_then(|a| a.owner.clone());
        proposals.push(
            Proposal::new_for(input.decision_id, ActionKind::CreateTask)
                .title(format!(
                    "Prepare answers on {} risk(s) before meeting {account}",
                    risk_titles.len()
                ))
                .why_now(format!(
                    "meeting in {hours}h with open risks: {}",
                    risk_titles.join("; ")
                ))
                .confidence(0.85)
                .evidence(all_refs(&cited), ids(&cited))
                .params(json!({
                    "title": format!("Prep for {}: {}", meeting.title, risk_titles.join("; ")),
                    "due_date": meeting.starts_at.date_naive(),
                    "owner": owner,
                }))
                .build(),
        );
        if let Some(contact) = input.view.follow_up_contact() {
            let first_name = contact
                .name
                .split_whitespace()
                .next()
                .unwrap_or(&contact.name);
            proposals.push(
                Proposal::new_for(input.decision_id, ActionKind::SendFollowUp)
                    .title(format!("Send {} a follow-up before the meeting", contact.name))
                    .why_now(format!(
                        "{} risk(s) are open ahead of \"{}\"; setting the agenda now avoids surprises",
                        risk_titles.len(),
                        meeting.title
                    ))
                    .confidence(0.7)
                    .evidence(all_refs(&cited), ids(&cited))
                    .params(json!({
                        "to": contact.email,
                        "contact_id": contact.id,
                        "subject": format!("Agenda for {}", meeting.title),
                        "body": format!(
                            "Hi {first_name},\n\nAhead of our meeting I'd like to cover:\n{}\n\nAnything you'd add?",
                            input.brief.suggested_agenda.iter().map(|a| format!("- {a}")).collect::<Vec<_>>().join("\n")
                        ),
                    }))
                    .build(),
            );
        }
        proposals
    }
}
