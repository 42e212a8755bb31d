//! `support_get_risk_summary`: open and aging tickets, and escalations.

use revloop_domain::budget::CostClass;
use revloop_domain::records::TicketStatus;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

/// A ticket open longer than this is aging.
const AGING_DAYS: i64 = 7;

pub struct SupportGetRiskSummary;

impl AccountRead for SupportGetRiskSummary {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "support_get_risk_summary",
            description: "The account's support risk: its open tickets (severity 1 is the worst) with their age in days, how many are aging (open more than 7 days) and how many are escalated. Use it when a decision touches customer satisfaction or a renewal.",
            parameters: account_arguments(json!({})),
            result: json!({
                "type": "object",
                "required": ["open", "aging", "escalated", "tickets"],
                "properties": {
                    "open": {"type": "integer"},
                    "aging": {"type": "integer"},
                    "escalated": {"type": "integer"},
                    "tickets": {"type": "array"}
                }
            }),
            cost_class: CostClass::Cheap,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme"}),
        }
    }

    fn answer(&self, facts: &AccountFacts, _signals: &[Signal], _args: &Value) -> Value {
        let mut open: Vec<_> = facts
            .tickets()
            .iter()
            .filter(|t| matches!(t.status, TicketStatus::Open | TicketStatus::Pending))
            .collect();
        open.sort_by_key(|t| (t.severity, t.opened_at));
        let age = |t: &&revloop_domain::world::TicketFact| (facts.as_of - t.opened_at).num_days();
        json!({
            "open": open.len(),
            "aging": open.iter().filter(|t| age(t) > AGING_DAYS).count(),
            "escalated": open.iter().filter(|t| t.escalated).count(),
            "tickets": open.iter().map(|t| json!({
                "id": t.id,
                "subject": t.subject,
                "severity": t.severity,
                "status": t.status,
                "age_days": age(t),
                "escalated": t.escalated,
                "evidence_ref": t.evidence_ref,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn open_tickets_worst_first_with_aging_and_escalations_counted() {
        let tool = SupportGetRiskSummary;
        let out = tool.answer(
            &facts(&[
                ACCOUNT,
                r#"{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","subject":"Slow","severity":3,"status":"open","opened_at":"2026-03-08T00:00:00Z","escalated":false}"#,
                r#"{"type":"ticket","id":"t2","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","subject":"SSO fails","severity":1,"status":"open","opened_at":"2026-02-20T00:00:00Z","escalated":true}"#,
                r#"{"type":"ticket","id":"t3","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","subject":"Done","severity":2,"status":"closed","opened_at":"2026-02-01T00:00:00Z","escalated":false}"#,
            ]),
            &[],
            &json!({"account_id": "acme"}),
        );
        assert_eq!(
            (
                out["open"].as_u64(),
                out["aging"].as_u64(),
                out["escalated"].as_u64()
            ),
            (Some(2), Some(1), Some(1))
        );
        assert_eq!(out["tickets"][0]["id"], "t2");
        assert_eq!(out["tickets"][0]["age_days"], 18);
        assert!(
            jsonschema::is_valid(&AccountRead::spec(&tool).result, &out),
            "{out}"
        );
    }
}
