//! A stakeholder joined, left or changed role: a task to update the stakeholder map.

use serde_json::json;

use super::support::{cite, confidence, due_in, listed, owner, signals_of, text};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct StakeholderMapPlaybook;

impl Playbook for StakeholderMapPlaybook {
    fn name(&self) -> &'static str {
        "stakeholder_map"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::StakeholderChanged]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::StakeholderChanged);
        if signals.is_empty() {
            return Vec::new();
        }
        let changes: Vec<String> = signals
            .iter()
            .map(|s| {
                let role = text(s, "role").replace('_', " ");
                format!(
                    "{} ({role}) {}",
                    text(s, "name"),
                    text(s, "change").replace('_', " ")
                )
            })
            .collect();
        let account = input.facts.account_name();
        let (refs, ids) = cite(&signals);
        vec![
            Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, self.name())
                .title(format!("Update the stakeholder map of {account}"))
                .why_now(listed(&changes))
                .confidence(confidence(&signals, 0.9))
                .evidence(refs, ids)
                .params(json!({
                    "title": format!("Map the stakeholders of {account}: {}", listed(&changes)),
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
    fn changes_are_named_in_one_task() {
        let a = signal(
            SignalType::StakeholderChanged,
            json!({"contact_id": "c1", "name": "Dana", "change": "joined", "role": "decision_maker"}),
        );
        let b = signal(
            SignalType::StakeholderChanged,
            json!({"contact_id": "c2", "name": "Eli", "change": "left", "role": "champion"}),
        );
        let p = propose(&StakeholderMapPlaybook, &view(&[ACCOUNT]), &[a, b]);
        assert_eq!(kinds(&p), ["create_task"]);
        assert!(
            p[0].why_now.contains("Dana (decision maker) joined"),
            "{}",
            p[0].why_now
        );
        assert!(p[0].why_now.contains(" and "), "{}", p[0].why_now);
        assert!(propose(&StakeholderMapPlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
