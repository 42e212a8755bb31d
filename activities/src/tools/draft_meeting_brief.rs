//! `draft_meeting_brief`: the brief a seller reads before the account's next meeting, as the
//! decision loop prepares it, without attaching it anywhere.

use revloop_domain::budget::CostClass;
use revloop_domain::decision::MeetingBrief;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

pub struct DraftMeetingBrief;

impl AccountRead for DraftMeetingBrief {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "draft_meeting_brief",
            description: "Drafts the brief for the account's next scheduled meeting: posture, risks with evidence, open support issues, usage trends, the renewal, and a suggested agenda, as structured fields and as Markdown. It reads across every source, so it costs more than the other reads: use it when a meeting is coming up. Nothing is sent or attached.",
            parameters: account_arguments(json!({})),
            result: json!({
                "type": "object",
                "required": ["brief", "markdown"],
                "properties": {
                    "brief": {"type": "object", "required": ["account_id", "posture", "risks", "suggested_agenda"]},
                    "markdown": {"type": "string"}
                }
            }),
            cost_class: CostClass::Expensive,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme"}),
        }
    }

    fn answer(&self, facts: &AccountFacts, signals: &[Signal], _args: &Value) -> Value {
        let active: Vec<Signal> = signals
            .iter()
            .filter(|s| s.expires_at > facts.as_of)
            .cloned()
            .collect();
        let brief = MeetingBrief::compute(facts, &active, facts.as_of);
        json!({ "markdown": brief.to_markdown(), "brief": brief })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn the_brief_matches_its_result_schema() {
        let tool = DraftMeetingBrief;
        let out = tool.answer(&facts(&[ACCOUNT]), &[], &json!({"account_id": "acme"}));
        assert_eq!(out["brief"]["account_id"], "acme");
        assert!(out["markdown"].as_str().unwrap().contains("Acme"), "{out}");
        assert!(
            jsonschema::is_valid(&AccountRead::spec(&tool).result, &out),
            "{out}"
        );
    }
}
