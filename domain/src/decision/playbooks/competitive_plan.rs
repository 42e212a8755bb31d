//! A competitor was named in the account's notes, meetings or news: a competitive plan task.

use serde_json::json;

use super::support::{cite, confidence, due_in, listed, owner, signals_of, text};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct CompetitivePlanPlaybook;

impl Playbook for CompetitivePlanPlaybook {
    fn name(&self) -> &'static str {
        "competitive_plan"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::CompetitiveThreatDetected]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::CompetitiveThreatDetected);
        if signals.is_empty() {
            return Vec::new();
        }
        let mut competitors: Vec<String> = signals
            .iter()
            .map(|s| text(s, "competitor").to_string())
            .collect();
        competitors.sort();
        competitors.dedup();
        let mut sources: Vec<String> = signals
            .iter()
            .map(|s| text(s, "record_type").to_string())
            .collect();
        sources.sort();
        sources.dedup();
        let account = input.facts.account_name();
        let (refs, ids) = cite(&signals);
        vec![
            Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, self.name())
                .title(format!(
                    "Write a competitive plan against {} at {account}",
                    listed(&competitors)
                ))
                .why_now(format!(
                    "{} came up in the account's {}",
                    listed(&competitors),
                    listed(&sources)
                ))
                .confidence(confidence(&signals, 0.85))
                .evidence(refs, ids)
                .params(json!({
                    "title": format!("Competitive plan for {account}: {}", listed(&competitors)),
                    "due_date": due_in(input, 5),
                    "owner": owner(input),
                }))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn competitors_are_named_once() {
        let a = signal(
            SignalType::CompetitiveThreatDetected,
            json!({"competitor": "RivalSoft", "record_type": "note", "record_id": "n1"}),
        );
        let b = signal(
            SignalType::CompetitiveThreatDetected,
            json!({"competitor": "RivalSoft", "record_type": "meeting", "record_id": "m1"}),
        );
        let p = propose(&CompetitivePlanPlaybook, &view(&[ACCOUNT]), &[a, b]);
        assert_eq!(kinds(&p), ["create_task"]);
        assert_eq!(
            p[0].why_now,
            "RivalSoft came up in the account's meeting and note"
        );
        assert!(propose(&CompetitivePlanPlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
