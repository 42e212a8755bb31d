//! The account announced funding: a congratulations email (for approval).

use serde_json::json;

use super::support::{
    cite, confidence, find_the_right_person, first_name, recipient, signals_of, text,
};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::{ActionKind, EmailPurpose};
use crate::decision::proposal::Proposal;
use crate::records::ContactRole;
use crate::signals::SignalType;

pub struct FundingCongratulationsPlaybook;

impl Playbook for FundingCongratulationsPlaybook {
    fn name(&self) -> &'static str {
        "funding_congratulations"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::FundingAnnouncement]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::FundingAnnouncement);
        let Some(first) = signals.first() else {
            return Vec::new();
        };
        let why = format!(
            "{} announced: \"{}\"",
            input.facts.account_name(),
            text(first, "headline")
        );
        let roles = [ContactRole::Champion, ContactRole::EconomicBuyer];
        let Some(contact) = recipient(input, &roles) else {
            return vec![find_the_right_person(
                input,
                &signals,
                "send congratulations on the funding",
                why,
            )];
        };
        let purpose = EmailPurpose::Congratulations;
        let (refs, ids) = cite(&signals);
        vec![
            Proposal::new_keyed(input.decision_id, ActionKind::SendEmail, &format!("{}:{}", purpose.as_str(), contact.id))
                .title(format!("Congratulate {} on the funding", contact.name))
                .why_now(why)
                .confidence(confidence(&signals, 0.65))
                .evidence(refs, ids)
                .params(json!({
                    "to": contact.email,
                    "contact_id": contact.id,
                    "purpose": purpose.as_str(),
                    "subject": "Congratulations!",
                    "body": format!(
                        "Hi {},\n\nCongratulations on the news! If the new chapter brings new plans, I'd be glad to help think them through.\n\nThanks,",
                        first_name(contact)
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

    fn funding() -> crate::signals::Signal {
        signal(
            SignalType::FundingAnnouncement,
            json!({"news_id": "n1", "headline": "Acme raises $40M Series B"}),
        )
    }

    #[test]
    fn the_champion_is_congratulated() {
        let p = propose(
            &FundingCongratulationsPlaybook,
            &view(&[ACCOUNT, CHAMPION]),
            &[funding()],
        );
        assert_eq!(kinds(&p), ["send_email"]);
        assert_eq!(p[0].params["purpose"], "congratulations");
        assert_eq!(
            p[0].why_now,
            "Acme announced: \"Acme raises $40M Series B\""
        );
    }

    #[test]
    fn no_one_to_write_to_gives_a_task() {
        let p = propose(
            &FundingCongratulationsPlaybook,
            &view(&[ACCOUNT]),
            &[funding()],
        );
        assert_eq!(kinds(&p), ["create_task"]);
    }
}
