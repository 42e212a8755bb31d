//! A severe ticket is aging: hand it to the support lead (internal, runs without approval).

use serde_json::json;

use super::support::{cite, confidence, number, shown, signals_of, text};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct SupportSev2EscalationPlaybook;

impl Playbook for SupportSev2EscalationPlaybook {
    fn name(&self) -> &'static str {
        "support_sev2_escalation"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::SupportSev2Aging]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        signals_of(input, SignalType::SupportSev2Aging)
            .into_iter()
            .map(|s| {
                let ticket = text(s, "ticket_id");
                let why = format!(
                    "severity {} ticket \"{}\" has been open {} days",
                    number(s, "severity")
                        .map(shown)
                        .unwrap_or_else(|| "2".into()),
                    text(s, "subject"),
                    number(s, "age_days").map(shown).unwrap_or_default()
                );
                let (refs, ids) = cite(&[s]);
                Proposal::new_keyed(input.decision_id, ActionKind::EscalateTicket, ticket)
                    .title(format!("Escalate ticket {ticket} to the support lead"))
                    .why_now(why.clone())
                    .confidence(confidence(&[s], 0.9))
                    .evidence(refs, ids)
                    .params(json!({
                        "ticket_id": ticket,
                        "reason": format!("{why} at {}", input.facts.account_name()),
                        "to_role": "support_lead",
                    }))
                    .build()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn an_aging_ticket_is_handed_to_the_support_lead() {
        let s = signal(
            SignalType::SupportSev2Aging,
            json!({"ticket_id": "t1", "subject": "Sync fails", "severity": 2, "age_days": 18.5}),
        );
        let p = propose(&SupportSev2EscalationPlaybook, &view(&[ACCOUNT]), &[s]);
        assert_eq!(kinds(&p), ["escalate_ticket"]);
        assert!(!p[0].kind.requires_approval());
        assert_eq!(
            p[0].why_now,
            "severity 2 ticket \"Sync fails\" has been open 18.5 days"
        );
        assert!(propose(&SupportSev2EscalationPlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
