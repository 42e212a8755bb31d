//! A ticket was escalated by the customer: write to their executive sponsor (the economic
//! buyer or a decision maker), for approval, so the account hears from us before it asks.

use serde_json::json;

use super::support::{
    cite, confidence, find_the_right_person, first_name, number, recipient, shown, signals_of, text,
};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::records::ContactRole;
use crate::signals::SignalType;

pub struct SupportExecEscalationPlaybook;

impl Playbook for SupportExecEscalationPlaybook {
    fn name(&self) -> &'static str {
        "support_exec_escalation"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::SupportTicketEscalation]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::SupportTicketEscalation);
        let Some(first) = signals.first() else {
            return Vec::new();
        };
        let subject = text(first, "subject");
        let why = format!(
            "ticket \"{subject}\" (severity {}) was {}",
            number(first, "severity").map(shown).unwrap_or_default(),
            text(first, "change").replace('_', " ")
        );
        let roles = [ContactRole::EconomicBuyer, ContactRole::DecisionMaker];
        let Some(sponsor) = recipient(input, &roles) else {
            return vec![find_the_right_person(
                input,
                &signals,
                "reach the executive sponsor about the escalation",
                why,
            )];
        };
        let (refs, ids) = cite(&signals);
        vec![
            Proposal::new_keyed(input.decision_id, ActionKind::EscalateToExecSponsor, text(first, "ticket_id"))
                .title(format!("Write to {} about the escalated ticket", sponsor.name))
                .why_now(why)
                .confidence(confidence(&signals, 0.75))
                .evidence(refs, ids)
                .params(json!({
                    "to": sponsor.email,
                    "contact_id": sponsor.id,
                    "ticket_id": text(first, "ticket_id"),
                    "subject": format!("Your escalation: {subject}"),
                    "body": format!(
                        "Hi {},\n\nI saw that \"{subject}\" was escalated. I'm personally following it with our support team and will keep you posted until it is resolved.\n\nThanks,",
                        first_name(sponsor)
                    ),
                }))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn escalated() -> crate::signals::Signal {
        signal(
            SignalType::SupportTicketEscalation,
            json!({"ticket_id": "t9", "subject": "Outage", "change": "escalated", "severity": 1}),
        )
    }

    #[test]
    fn the_economic_buyer_hears_from_us() {
        let p = propose(
            &SupportExecEscalationPlaybook,
            &view(&[ACCOUNT, CHAMPION, BUYER]),
            &[escalated()],
        );
        assert_eq!(kinds(&p), ["escalate_to_exec_sponsor"]);
        assert_eq!(p[0].params["to"], "bob@acme.test");
        assert!(p[0].kind.requires_approval());
    }

    #[test]
    fn with_no_reachable_contact_the_owner_finds_the_sponsor() {
        let p = propose(
            &SupportExecEscalationPlaybook,
            &view(&[ACCOUNT, GONE_CHAMPION]),
            &[escalated()],
        );
        assert_eq!(kinds(&p), ["create_task"]);
    }
}
