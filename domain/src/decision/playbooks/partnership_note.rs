//! The account announced a partnership: log it as a note on the account.

use serde_json::json;

use super::support::{cite, confidence, signals_of, text};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct PartnershipNotePlaybook;

impl Playbook for PartnershipNotePlaybook {
    fn name(&self) -> &'static str {
        "partnership_note"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::PartnershipAnnouncement]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        signals_of(input, SignalType::PartnershipAnnouncement)
            .into_iter()
            .map(|s| {
                let headline = text(s, "headline");
                let link = s.details["url"]
                    .as_str()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                let (refs, ids) = cite(&[s]);
                Proposal::new_keyed(
                    input.decision_id,
                    ActionKind::LogNote,
                    &format!("{}:{}", self.name(), text(s, "news_id")),
                )
                .title(format!("Note the partnership: {headline}"))
                .why_now(format!(
                    "{} announced: \"{headline}\"",
                    input.facts.account_name()
                ))
                .confidence(confidence(&[s], 0.9))
                .evidence(refs, ids)
                .params(json!({ "body": format!("Partnership announced: {headline}{link}") }))
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
    fn a_partnership_is_noted() {
        let s = signal(
            SignalType::PartnershipAnnouncement,
            json!({"news_id": "n2", "headline": "Acme partners with Globex", "url": "https://news.test/1"}),
        );
        let p = propose(&PartnershipNotePlaybook, &view(&[ACCOUNT]), &[s]);
        assert_eq!(kinds(&p), ["log_note"]);
        assert_eq!(
            p[0].params["body"],
            "Partnership announced: Acme partners with Globex (https://news.test/1)"
        );
        assert!(propose(&PartnershipNotePlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
