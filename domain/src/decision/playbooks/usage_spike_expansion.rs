//! Usage jumped: a task to open an expansion conversation.

use serde_json::json;

use super::support::{cite, confidence, due_in, listed, number, owner, shown, signals_of, text};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct UsageSpikeExpansionPlaybook;

impl Playbook for UsageSpikeExpansionPlaybook {
    fn name(&self) -> &'static str {
        "usage_spike_expansion"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::ProductUsageSpike]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::ProductUsageSpike);
        if signals.is_empty() {
            return Vec::new();
        }
        let spikes: Vec<String> = signals
            .iter()
            .map(|s| {
                format!(
                    "{} at {} % of usual: {} a day this week against {} before",
                    text(s, "metric"),
                    number(s, "ratio_pct").map(shown).unwrap_or_default(),
                    number(s, "recent_mean").map(shown).unwrap_or_default(),
                    number(s, "baseline_mean").map(shown).unwrap_or_default()
                )
            })
            .collect();
        let account = input.facts.account_name();
        let (refs, ids) = cite(&signals);
        vec![
            Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, self.name())
                .title(format!("Open an expansion conversation with {account}"))
                .why_now(listed(&spikes))
                .confidence(confidence(&signals, 0.8))
                .evidence(refs, ids)
                .params(json!({
                    "title": format!("Expansion: {account} is growing ({})", listed(&spikes)),
                    "due_date": due_in(input, 7),
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
    fn a_spike_gets_an_expansion_task() {
        let s = signal(
            SignalType::ProductUsageSpike,
            json!({"metric": "api_calls", "ratio_pct": 210.0, "recent_mean": 2100.0, "baseline_mean": 1000.0}),
        );
        let p = propose(&UsageSpikeExpansionPlaybook, &view(&[ACCOUNT]), &[s]);
        assert_eq!(kinds(&p), ["create_task"]);
        assert!(
            p[0].why_now.starts_with("api_calls at 210 % of usual"),
            "{}",
            p[0].why_now
        );
        assert!(propose(&UsageSpikeExpansionPlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
