//! A deal's close date slipped: a task to re-qualify it with the buyer, and the opportunity's
//! next step in the CRM set to say so (a CRM mutation: it waits for approval unless the tenant
//! lets confident ones run).

use serde_json::json;

use super::support::{
    cite, confidence, due_in, number, opportunity_of, owner, shown, signals_of, text,
};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct CloseDateRequalifyPlaybook;

impl Playbook for CloseDateRequalifyPlaybook {
    fn name(&self) -> &'static str {
        "close_date_requalify"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::CloseDateSlipped]
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["opportunity.close_date"]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        signals_of(input, SignalType::CloseDateSlipped)
            .into_iter()
            .flat_map(|s| {
                let (opp, name, labelled) = opportunity_of(input, s);
                let slipped = number(s, "slipped_days").map(shown).unwrap_or_else(|| "some".into());
                let (refs, ids) = cite(&[s]);
                let next_step = format!(
                    "Re-qualify: close date moved to {} ({slipped} days later)",
                    text(s, "close_date")
                );
                let update = Proposal::new_keyed(input.decision_id, ActionKind::UpdateCrmField, &format!("{}:next_step:{opp}", self.name()))
                    .title(format!("Set the next step of {name}"))
                    .why_now(format!("{labelled} slipped; the CRM should say what happens next"))
                    .confidence(confidence(&[s], 0.85))
                    .evidence(refs.clone(), ids.clone())
                    .params(json!({
                        "entity": format!("opportunity:{opp}"),
                        "field": "next_step",
                        "value": next_step,
                    }))
                    .build();
                let task = Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, &format!("{}:{opp}", self.name()))
                    .title(format!("Re-qualify the close date of {name}"))
                    .why_now(format!(
                        "{labelled} moved from {} to {}: {slipped} days later",
                        text(s, "previous_close_date"),
                        text(s, "close_date")
                    ))
                    .confidence(confidence(&[s], 0.9))
                    .evidence(refs, ids)
                    .params(json!({
                        "title": format!("Re-qualify {name}: confirm the new close date and what it depends on"),
                        "due_date": due_in(input, 3),
                        "owner": owner(input),
                    }))
                    .build();
                [task, update]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn each_slipped_deal_gets_its_own_task() {
        let opp = r#"{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme expansion","stage":"negotiation","amount":50000,"close_date":"2026-04-30"}"#;
        let a = signal(
            SignalType::CloseDateSlipped,
            json!({"opportunity_id": "o1", "previous_close_date": "2026-03-31", "close_date": "2026-04-30", "slipped_days": 30, "amount": 50000}),
        );
        let b = signal(
            SignalType::CloseDateSlipped,
            json!({"opportunity_id": "o2", "previous_close_date": "2026-03-01", "close_date": "2026-03-15", "slipped_days": 14}),
        );
        let p = propose(&CloseDateRequalifyPlaybook, &view(&[ACCOUNT, opp]), &[a, b]);
        assert_eq!(
            kinds(&p),
            [
                "create_task",
                "update_crm_field",
                "create_task",
                "update_crm_field"
            ]
        );
        assert_ne!(p[0].proposal_id, p[2].proposal_id);
        assert_eq!(p[1].params["entity"], "opportunity:o1");
        assert_eq!(p[1].params["field"], "next_step");
        assert_eq!(
            p[1].params["value"],
            "Re-qualify: close date moved to 2026-04-30 (30 days later)"
        );
        let expansion = p
            .iter()
            .find(|x| x.title.contains("Acme expansion"))
            .unwrap();
        assert!(
            expansion
                .why_now
                .contains("($50,000) moved from 2026-03-31 to 2026-04-30: 30 days later"),
            "{}",
            expansion.why_now
        );
    }

    #[test]
    fn no_slip_no_task() {
        assert!(propose(&CloseDateRequalifyPlaybook, &view(&[ACCOUNT]), &[]).is_empty());
    }
}
