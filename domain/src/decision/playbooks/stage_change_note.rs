//! A deal changed stage: log a note on the account, so the history says when and how far.

use serde_json::json;

use super::support::{cite, confidence, opportunity_of, signals_of, text};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct StageChangeNotePlaybook;

impl Playbook for StageChangeNotePlaybook {
    fn name(&self) -> &'static str {
        "stage_change_note"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::OpportunityStageChanged]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        signals_of(input, SignalType::OpportunityStageChanged)
            .into_iter()
            .map(|s| {
                let (opp, name, labelled) = opportunity_of(input, s);
                let moved = format!(
                    "{labelled} moved from {} to {}",
                    text(s, "from"),
                    text(s, "to")
                );
                let (refs, ids) = cite(&[s]);
                Proposal::new_keyed(
                    input.decision_id,
                    ActionKind::LogNote,
                    &format!("{}:{opp}", self.name()),
                )
                .title(format!("Note the stage change of {name}"))
                .why_now(moved.clone())
                .confidence(confidence(&[s], 0.95))
                .evidence(refs, ids)
                .params(json!({ "body": format!("{moved} on {}.", input.now.date_naive()) }))
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
    fn a_stage_change_is_noted() {
        let s = signal(
            SignalType::OpportunityStageChanged,
            json!({"opportunity_id": "o1", "from": "discovery", "to": "proposal", "amount": 20000}),
        );
        let p = propose(&StageChangeNotePlaybook, &view(&[ACCOUNT]), &[s]);
        assert_eq!(kinds(&p), ["log_note"]);
        assert_eq!(
            p[0].params["body"],
            "o1 ($20,000) moved from discovery to proposal on 2026-03-10."
        );
        assert!(propose(&StageChangeNotePlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
