//! `signals_list_recent`: the account's signals, newest first.

use revloop_domain::budget::CostClass;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

/// How many signals a call returns unless it asks for fewer.
const DEFAULT_LIMIT: u64 = 20;

pub struct SignalsListRecent;

impl AccountRead for SignalsListRecent {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "signals_list_recent",
            description: "The account's most recent signals (renewal window, usage drop, escalations, slipped close dates, news…), newest first, each with its type, severity, when it was detected and expires, its details and the evidence refs it rests on. Cite those refs in proposals.",
            parameters: account_arguments(json!({
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "At most this many (default 20)."}
            })),
            result: json!({
                "type": "object",
                "required": ["signals"],
                "properties": {"signals": {"type": "array", "items": {
                    "type": "object",
                    "required": ["signal_id", "signal_type", "detected_at", "evidence_refs"]
                }}}
            }),
            cost_class: CostClass::Cheap,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme", "limit": 5}),
        }
    }

    fn answer(&self, _facts: &AccountFacts, signals: &[Signal], args: &Value) -> Value {
        let limit = args["limit"].as_u64().unwrap_or(DEFAULT_LIMIT) as usize;
        let mut newest: Vec<&Signal> = signals.iter().collect();
        newest.sort_by(|a, b| (b.detected_at, &b.signal_id).cmp(&(a.detected_at, &a.signal_id)));
        let listed: Vec<Value> = newest
            .into_iter()
            .take(limit)
            .map(|s| {
                json!({
                    "signal_id": s.signal_id,
                    "signal_type": s.signal_type.as_str(),
                    "severity": s.severity,
                    "detected_at": s.detected_at,
                    "expires_at": s.expires_at,
                    "details": s.details,
                    "evidence_refs": s.evidence_refs,
                })
            })
            .collect();
        json!({ "signals": listed })
    }
}

#[cfg(test)]
mod tests {
    use revloop_domain::ids::{AccountId, TenantId};
    use revloop_domain::signals::{Severity, SignalParts, SignalType};

    use super::super::test_support::*;
    use super::*;

    fn signal(hours_ago: i64, signal_type: SignalType) -> Signal {
        Signal::new(
            &TenantId::parse("t1").unwrap(),
            now() - chrono::Duration::hours(hours_ago),
            SignalParts {
                signal_type,
                account_id: AccountId::parse("acme").unwrap(),
                severity: Severity::High,
                confidence: 0.9,
                evidence_refs: vec![format!("rec:x:{hours_ago}@0")],
                expires_at: now() + chrono::Duration::days(7),
                dedup_key: hours_ago.to_string(),
                details: json!({}),
            },
        )
    }

    #[test]
    fn newest_first_and_no_more_than_asked() {
        let tool = SignalsListRecent;
        let signals = [
            signal(30, SignalType::UsageDropPercent),
            signal(2, SignalType::SupportTicketEscalation),
            signal(10, SignalType::RenewalWindowEntered),
        ];
        let out = tool.answer(
            &facts(&[ACCOUNT]),
            &signals,
            &json!({"account_id": "acme", "limit": 2}),
        );
        let types: Vec<&str> = out["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["signal_type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["SUPPORT_TICKET_ESCALATION", "RENEWAL_WINDOW_ENTERED"]
        );
        assert!(jsonschema::is_valid(&AccountRead::spec(&tool).result, &out));
        let refused = super::super::check_arguments(
            &AccountRead::spec(&tool),
            &json!({"account_id": "acme", "limit": "five"}),
        )
        .unwrap_err();
        assert!(refused.to_string().contains("argument /limit"), "{refused}");
    }
}
