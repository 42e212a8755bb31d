//! `telemetry_get_health_summary`: product usage trends per metric.

use revloop_domain::budget::CostClass;
use revloop_domain::decision::MeetingBrief;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

pub struct TelemetryGetHealthSummary;

impl AccountRead for TelemetryGetHealthSummary {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "telemetry_get_health_summary",
            description: "The account's product usage per metric: the mean of the last 7 days against the 4 weeks before, and the change in percent (negative: usage fell). Use it to judge adoption before a renewal or an expansion conversation.",
            parameters: account_arguments(json!({})),
            result: json!({
                "type": "object",
                "required": ["metrics"],
                "properties": {"metrics": {"type": "array", "items": {
                    "type": "object",
                    "required": ["metric"],
                    "properties": {
                        "metric": {"type": "string"},
                        "recent_mean": {"type": ["number", "null"]},
                        "baseline_mean": {"type": ["number", "null"]},
                        "change_pct": {"type": ["number", "null"]}
                    }
                }}}
            }),
            cost_class: CostClass::Cheap,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme"}),
        }
    }

    /// The same trends the meeting brief shows, so the two never disagree.
    fn answer(&self, facts: &AccountFacts, signals: &[Signal], _args: &Value) -> Value {
        let brief = MeetingBrief::compute(facts, signals, facts.as_of);
        json!({ "metrics": brief.usage_trend })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn a_usage_drop_reads_as_a_negative_change() {
        let mut lines = vec![ACCOUNT.to_string()];
        for back in 1..=35 {
            let date = (now() - chrono::Duration::days(back)).date_naive();
            let value = if back <= 7 { 50 } else { 100 };
            lines.push(format!(r#"{{"type":"usage","id":"u{back}","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","date":"{date}","metric":"seats","value":{value}}}"#));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let tool = TelemetryGetHealthSummary;
        let out = tool.answer(&facts(&refs), &[], &json!({"account_id": "acme"}));
        let seats = &out["metrics"][0];
        assert_eq!(seats["metric"], "seats");
        assert!(
            seats["change_pct"].as_f64().is_some_and(|c| c < -40.0),
            "{out}"
        );
        assert!(
            jsonschema::is_valid(&AccountRead::spec(&tool).result, &out),
            "{out}"
        );
    }
}
