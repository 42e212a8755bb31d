//! A renewal window opened: a renewal plan for the owner, due well before the contract ends
//! (halfway through the days left, and never later than 30 days before the end).

use chrono::Duration;
use serde_json::json;

use super::support::{cite, confidence, money, owner, signals_of};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::ActionKind;
use crate::decision::clarify::ANSWER_SOURCE;
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct RenewalPlanPlaybook;

impl Playbook for RenewalPlanPlaybook {
    fn name(&self) -> &'static str {
        "renewal_plan"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::RenewalWindowEntered]
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["account.renewal_date"]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::RenewalWindowEntered);
        let Some(first) = signals.first() else {
            return Vec::new();
        };
        // A date a person settled (answering the question a dispute raised) wins over the one
        // the signal saw.
        let settled = answered_renewal_date(input);
        let Some(end) = settled.or_else(|| {
            first.details["end_date"]
                .as_str()
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        }) else {
            return Vec::new();
        };
        let today = input.now.date_naive();
        let days_left = (end - today).num_days();
        let lead = (days_left / 2).max(30).min(days_left.max(0));
        let due = (end - Duration::days(lead))
            .max(today + Duration::days(2))
            .min(end);
        let arr = first.details["arr"]
            .as_i64()
            .map(|a| format!(" ({} ARR)", money(a)))
            .unwrap_or_default();
        let auto = if first.details["auto_renew"].as_bool() == Some(true) {
            "; it renews automatically unless cancelled"
        } else {
            "; it does not renew by itself"
        };
        let account = input.facts.account_name();
        let (refs, ids) = cite(&signals);
        vec![
            Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, self.name())
                .title(format!("Write the renewal plan for {account}"))
                .why_now(format!(
                    "the contract{arr} ends on {end}, in {days_left} days{auto}"
                ))
                .confidence(confidence(&signals, 0.95))
                .evidence(refs, ids)
                .params(json!({
                    "title": format!("Renewal plan for {account}: contract ends {end}"),
                    "due_date": due,
                    "owner": owner(input),
                }))
                .build(),
        ]
    }
}

/// The account's renewal date when a person's answer settled it.
fn answered_renewal_date(input: &PlaybookInput<'_>) -> Option<chrono::NaiveDate> {
    let field = input.facts.account_field("renewal_date")?;
    (field.source == ANSWER_SOURCE && field.contradiction.is_none())
        .then(|| field.value.as_str()?.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn the_plan_is_due_well_before_the_end() {
        let v = view(&[ACCOUNT]);
        let s = signal(
            SignalType::RenewalWindowEntered,
            json!({"contract_id": "c1", "end_date": "2026-05-09", "days_remaining": 60, "arr": 120000, "auto_renew": false}),
        );
        let p = propose(&RenewalPlanPlaybook, &v, &[s]);
        assert_eq!(kinds(&p), ["create_task"]);
        assert_eq!(p[0].params["due_date"], "2026-04-09");
        assert_eq!(p[0].params["owner"], "sam");
        assert!(p[0].why_now.contains("$120,000 ARR"), "{}", p[0].why_now);
        assert!(p[0].why_now.contains("in 60 days"));
    }

    #[test]
    fn a_near_end_still_leaves_two_days_and_other_signals_get_nothing() {
        let v = view(&[ACCOUNT]);
        let s = signal(
            SignalType::RenewalWindowEntered,
            json!({"end_date": "2026-03-20"}),
        );
        let p = propose(&RenewalPlanPlaybook, &v, &[s]);
        assert_eq!(p[0].params["due_date"], "2026-03-12");
        let other = signal(SignalType::FundingAnnouncement, json!({}));
        assert!(propose(&RenewalPlanPlaybook, &v, &[other]).is_empty());
    }
}
