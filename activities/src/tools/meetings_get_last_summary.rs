//! `meetings_get_last_summary`: the last meeting held, and the next one on the calendar.

use revloop_domain::budget::CostClass;
use revloop_domain::records::MeetingStatus;
use revloop_domain::signals::Signal;
use revloop_domain::world::{AccountFacts, MeetingFact};
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

pub struct MeetingsGetLastSummary;

fn meeting(m: &MeetingFact, facts: &AccountFacts) -> Value {
    let attendees: Vec<Value> = m
        .attendee_ids
        .iter()
        .map(|id| {
            let contact = facts.contacts().iter().find(|c| &c.id == id);
            json!({ "id": id, "name": contact.map(|c| c.name.clone()) })
        })
        .collect();
    json!({
        "id": m.id,
        "title": m.title,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "attendees": attendees,
        "evidence_ref": m.evidence_ref,
    })
}

impl AccountRead for MeetingsGetLastSummary {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "meetings_get_last_summary",
            description: "The account's last held meeting (title, when, who attended) with the days since, and the next scheduled one. Use it to see whether the account is engaged before asking for a meeting.",
            parameters: account_arguments(json!({})),
            result: json!({
                "type": "object",
                "required": ["last_held", "days_since_last", "next_scheduled"],
                "properties": {
                    "last_held": {"type": ["object", "null"]},
                    "days_since_last": {"type": ["integer", "null"]},
                    "next_scheduled": {"type": ["object", "null"]}
                }
            }),
            cost_class: CostClass::Cheap,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme"}),
        }
    }

    fn answer(&self, facts: &AccountFacts, _signals: &[Signal], _args: &Value) -> Value {
        let now = facts.as_of;
        let last = facts
            .meetings()
            .iter()
            .filter(|m| m.status == MeetingStatus::Held && m.starts_at <= now)
            .max_by_key(|m| m.starts_at);
        let next = facts
            .meetings()
            .iter()
            .filter(|m| m.status == MeetingStatus::Scheduled && m.starts_at > now)
            .min_by_key(|m| m.starts_at);
        json!({
            "last_held": last.map(|m| meeting(m, facts)),
            "days_since_last": last.map(|m| (now - m.starts_at).num_days()),
            "next_scheduled": next.map(|m| meeting(m, facts)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn the_last_held_and_the_next_scheduled() {
        let tool = MeetingsGetLastSummary;
        let out = tool.answer(
            &facts(&[
                ACCOUNT,
                r#"{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lovelace","email":"ada@acme.test","role":"champion"}"#,
                r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"Kickoff","starts_at":"2026-02-01T09:00:00Z","status":"held","attendee_ids":["ada"]}"#,
                r#"{"type":"meeting","id":"m2","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"QBR","starts_at":"2026-03-01T09:00:00Z","status":"held","attendee_ids":["ada"]}"#,
                r#"{"type":"meeting","id":"m3","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"Renewal","starts_at":"2026-03-20T09:00:00Z","status":"scheduled"}"#,
            ]),
            &[],
            &json!({"account_id": "acme"}),
        );
        assert_eq!(out["last_held"]["title"], "QBR");
        assert_eq!(out["last_held"]["attendees"][0]["name"], "Ada Lovelace");
        assert_eq!(out["days_since_last"], 9);
        assert_eq!(out["next_scheduled"]["id"], "m3");
        assert!(
            jsonschema::is_valid(&AccountRead::spec(&tool).result, &out),
            "{out}"
        );
    }
}
