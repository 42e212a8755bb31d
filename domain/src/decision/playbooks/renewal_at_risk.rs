//! A renewal at risk: the contract ends soon (a renewal window signal, or a contract ending
//! within [`AT_RISK_DAYS`]) and the account shows trouble now (usage fell, or a ticket was
//! escalated). One signal alone is another playbook's; together they are a multi-step plan:
//!
//! 1. an internal task for the owner to lead the rescue;
//! 2. an email from the executive sponsor to the customer's most senior contact (approval);
//! 3. a meeting request to the champion (approval);
//! 4. the renewal opportunity's next step in the CRM (when there is an open opportunity).

use chrono::NaiveDate;
use serde_json::json;

use super::support::{cite, confidence, due_in, first_name, owner, recipient, signals_of};
use super::usage_drop_check_in::drop_sentence;
use super::{Playbook, PlaybookInput};
use crate::decision::actions::{ActionKind, EmailPurpose};
use crate::decision::proposal::Proposal;
use crate::records::ContactRole;
use crate::signals::{Signal, SignalType};

pub struct RenewalAtRiskPlaybook;

/// A contract ending within this many days counts as a renewal near enough to be at risk.
pub const AT_RISK_DAYS: i64 = 90;

const NAME: &str = "renewal_at_risk";

impl RenewalAtRiskPlaybook {
    /// The renewal date: a renewal window signal's, else the soonest contract end ahead.
    fn renewal_date(input: &PlaybookInput<'_>) -> Option<NaiveDate> {
        let today = input.now.date_naive();
        signals_of(input, SignalType::RenewalWindowEntered)
            .iter()
            .filter_map(|s| s.details["end_date"].as_str()?.parse().ok())
            .chain(input.facts.contracts().iter().map(|c| c.end_date))
            .filter(|end| *end >= today && (*end - today).num_days() <= AT_RISK_DAYS)
            .min()
    }

    /// What is going wrong, for the why-now: "seats down 55 % …; ticket t1 escalated".
    fn trouble(risks: &[&Signal]) -> String {
        let parts: Vec<String> = risks
            .iter()
            .map(|s| match s.signal_type {
                SignalType::UsageDropPercent => drop_sentence(s),
                _ => format!(
                    "support ticket {} escalated",
                    s.details["ticket_id"].as_str().unwrap_or("?")
                ),
            })
            .collect();
        parts.join("; ")
    }
}

impl Playbook for RenewalAtRiskPlaybook {
    fn name(&self) -> &'static str {
        NAME
    }

    fn answers(&self) -> &'static [SignalType] {
        &[
            SignalType::RenewalWindowEntered,
            SignalType::UsageDropPercent,
            SignalType::SupportTicketEscalation,
        ]
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["account.renewal_date"]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let mut risks = signals_of(input, SignalType::UsageDropPercent);
        risks.extend(signals_of(input, SignalType::SupportTicketEscalation));
        let Some(end) = Self::renewal_date(input) else {
            return Vec::new();
        };
        if risks.is_empty() {
            return Vec::new();
        }
        let senior = [
            ContactRole::EconomicBuyer,
            ContactRole::DecisionMaker,
            ContactRole::Champion,
        ];
        let (Some(sponsor_to), Some(champion)) = (
            recipient(input, &senior),
            recipient(input, &[ContactRole::Champion, ContactRole::EconomicBuyer]),
        ) else {
            // Nobody to write to: the single-signal playbooks ask to find the right person.
            return Vec::new();
        };
        let mut cited = risks.clone();
        cited.extend(signals_of(input, SignalType::RenewalWindowEntered));
        let (refs, ids) = cite(&cited);
        let account = input.facts.account_name();
        let days = (end - input.now.date_naive()).num_days();
        let why = format!(
            "the contract ends on {end}, in {days} days, and {}",
            Self::trouble(&risks)
        );
        let sure = confidence(&cited, 0.85);
        let step = |kind: ActionKind, n: u32| {
            Proposal::new_keyed(input.decision_id, kind, &format!("{NAME}:{n}"))
                .plan_step(NAME, n)
                .why_now(why.clone())
                .confidence(sure)
                .evidence(refs.clone(), ids.clone())
        };
        let mut steps = vec![
            step(ActionKind::CreateTask, 1)
                .title(format!("Lead the renewal rescue for {account}"))
                .params(json!({
                    "title": format!("Renewal at risk at {account}: contract ends {end}; line up the exec sponsor and a meeting"),
                    "due_date": due_in(input, 2),
                    "owner": owner(input),
                }))
                .build(),
            step(ActionKind::SendEmail, 2)
                .title(format!("Executive sponsor email to {}", sponsor_to.name))
                .params(json!({
                    "to": sponsor_to.email,
                    "contact_id": sponsor_to.id,
                    "purpose": EmailPurpose::RenewalSponsor.as_str(),
                    "subject": format!("Your renewal with us, {}", first_name(sponsor_to)),
                    "body": format!(
                        "Hi {},\n\nAs your executive sponsor I wanted to reach out personally ahead of your renewal on {end}. I know the last weeks have not been smooth, and I would like to make sure we put it right.\n\nBest regards,",
                        first_name(sponsor_to)
                    ),
                }))
                .build(),
            step(ActionKind::RequestMeeting, 3)
                .title(format!("Ask {} for a renewal review", champion.name))
                .params(json!({
                    "to": champion.email,
                    "contact_id": champion.id,
                    "subject": format!("A renewal review, {}?", first_name(champion)),
                    "body": format!(
                        "Hi {},\n\nCould we find 45 minutes before {end} to review how things are going and what you need from us for the renewal?\n\nThanks,",
                        first_name(champion)
                    ),
                    "duration_minutes": 45,
                }))
                .build(),
        ];
        let renewal_opportunity = input
            .facts
            .opportunities()
            .iter()
            .filter(|o| o.stage.is_open())
            .min_by_key(|o| (o.close_date, o.id.clone()));
        if let Some(opportunity) = renewal_opportunity {
            steps.push(
                step(ActionKind::UpdateCrmField, 4)
                    .title(format!("Set the next step of {}", opportunity.name))
                    .params(json!({
                        "entity": format!("opportunity:{}", opportunity.id),
                        "field": "next_step",
                        "value": format!("Renewal at risk: exec sponsor outreach and a renewal review with {}", champion.name),
                    }))
                    .build(),
            );
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    const CONTRACT: &str = r#"{"type":"contract","id":"k1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","start_date":"2025-05-01","end_date":"2026-05-01","arr":120000}"#;
    const OPPORTUNITY: &str = r#"{"type":"opportunity","id":"006A","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme renewal","stage":"negotiation","amount":120000,"close_date":"2026-04-20"}"#;

    fn escalation() -> Signal {
        signal(
            SignalType::SupportTicketEscalation,
            json!({"ticket_id": "t1", "severity": 1, "escalated": true}),
        )
    }

    #[test]
    fn a_near_renewal_with_an_escalation_is_a_four_step_plan() {
        let v = view(&[ACCOUNT, CHAMPION, BUYER, CONTRACT, OPPORTUNITY]);
        let p = propose(&RenewalAtRiskPlaybook, &v, &[escalation()]);
        let mut steps: Vec<(u32, &str)> = p
            .iter()
            .map(|s| (s.plan.as_ref().unwrap().step, s.kind.as_str()))
            .collect();
        steps.sort();
        assert_eq!(
            steps,
            [
                (1, "create_task"),
                (2, "send_email"),
                (3, "request_meeting"),
                (4, "update_crm_field")
            ]
        );
        let email = p.iter().find(|s| s.kind == ActionKind::SendEmail).unwrap();
        assert_eq!(
            email.params["to"], "bob@acme.test",
            "the most senior contact"
        );
        let meeting = p
            .iter()
            .find(|s| s.kind == ActionKind::RequestMeeting)
            .unwrap();
        assert_eq!(meeting.params["to"], "ada@acme.test", "the champion");
        assert!(
            email.why_now.contains("in 52 days") && email.why_now.contains("t1 escalated"),
            "{}",
            email.why_now
        );
        assert!(p.iter().all(|s| s.plan.as_ref().unwrap().plan == NAME));
    }

    #[test]
    fn without_an_open_opportunity_the_plan_has_three_steps() {
        let v = view(&[ACCOUNT, CHAMPION, CONTRACT]);
        let p = propose(&RenewalAtRiskPlaybook, &v, &[escalation()]);
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn a_far_renewal_or_no_trouble_or_no_one_to_write_to_is_no_plan() {
        let far = CONTRACT.replace("2026-05-01\",\"arr", "2027-05-01\",\"arr");
        let v = view(&[ACCOUNT, CHAMPION, &far]);
        assert!(propose(&RenewalAtRiskPlaybook, &v, &[escalation()]).is_empty());
        let v = view(&[ACCOUNT, CHAMPION, CONTRACT]);
        let window = signal(
            SignalType::RenewalWindowEntered,
            json!({"end_date": "2026-05-01"}),
        );
        assert!(propose(&RenewalAtRiskPlaybook, &v, &[window]).is_empty());
        let v = view(&[ACCOUNT, GONE_CHAMPION, CONTRACT]);
        assert!(propose(&RenewalAtRiskPlaybook, &v, &[escalation()]).is_empty());
    }
}
