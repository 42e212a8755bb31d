//! `account_get_state`: the account state (posture, top risks, unknowns, momentum, recent
//! changes), as `revloop account` shows it.

use revloop_domain::budget::CostClass;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

pub struct AccountGetState;

impl AccountRead for AccountGetState {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "account_get_state",
            description: "The account's current state: its posture (healthy, watch, at_risk, expanding), its top risks with the signals and evidence behind them, what is unknown, its momentum and its recent changes. Call it first to understand an account before proposing anything.",
            parameters: account_arguments(json!({})),
            result: json!({
                "type": "object",
                "required": ["account_id", "posture", "top_risks", "unknowns", "momentum", "recent_changes"],
                "properties": {
                    "account_id": {"type": "string"},
                    "posture": {"type": "string"},
                    "top_risks": {"type": "array"},
                    "unknowns": {"type": "array"},
                    "momentum": {"type": "object"},
                    "recent_changes": {"type": "array"}
                }
            }),
            cost_class: CostClass::Cheap,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme"}),
        }
    }

    fn answer(&self, facts: &AccountFacts, _signals: &[Signal], _args: &Value) -> Value {
        serde_json::to_value(&facts.state).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn the_state_matches_its_result_schema() {
        let tool = AccountGetState;
        let out = tool.answer(&facts(&[ACCOUNT]), &[], &json!({"account_id": "acme"}));
        assert_eq!(out["account_id"], "acme");
        assert!(
            jsonschema::is_valid(&AccountRead::spec(&tool).result, &out),
            "{out}"
        );
    }
}
