//! `crm_get_commercial_window`: the deals, the contracts, the renewal date and the ARR.

use revloop_domain::budget::CostClass;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Access, AccountRead, ToolSpec, account_arguments};

pub struct CrmGetCommercialWindow;

impl AccountRead for CrmGetCommercialWindow {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "crm_get_commercial_window",
            description: "The account's commercial window from the CRM and contract records: open and closed opportunities (stage, amount, close date), contracts (start, end, ARR, auto-renew), the next renewal date with the days left, and the total ARR. Use it before proposing anything about a renewal or a deal.",
            parameters: account_arguments(json!({})),
            result: json!({
                "type": "object",
                "required": ["opportunities", "contracts", "renewal_date", "days_to_renewal", "arr"],
                "properties": {
                    "opportunities": {"type": "array"},
                    "contracts": {"type": "array"},
                    "renewal_date": {"type": ["string", "null"]},
                    "days_to_renewal": {"type": ["integer", "null"]},
                    "arr": {"type": ["integer", "null"]}
                }
            }),
            cost_class: CostClass::Cheap,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme"}),
        }
    }

    fn answer(&self, facts: &AccountFacts, _signals: &[Signal], _args: &Value) -> Value {
        let today = facts.as_of.date_naive();
        let renewal = facts
            .contracts()
            .iter()
            .map(|c| c.end_date)
            .filter(|end| *end >= today)
            .min();
        let arr: Option<i64> = facts
            .contracts()
            .iter()
            .filter(|c| c.end_date >= today)
            .filter_map(|c| c.arr)
            .reduce(|a, b| a + b);
        json!({
            "opportunities": facts.opportunities().iter().map(|o| json!({
                "id": o.id,
                "name": o.name,
                "stage": o.stage,
                "open": o.stage.is_open(),
                "amount": o.amount,
                "close_date": o.close_date,
                "evidence_ref": o.evidence_ref,
            })).collect::<Vec<_>>(),
            "contracts": facts.contracts().iter().map(|c| json!({
                "id": c.id,
                "start_date": c.start_date,
                "end_date": c.end_date,
                "arr": c.arr,
                "auto_renew": c.auto_renew,
                "evidence_ref": c.evidence_ref,
            })).collect::<Vec<_>>(),
            "renewal_date": renewal,
            "days_to_renewal": renewal.map(|end| (end - today).num_days()),
            "arr": arr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn the_next_renewal_and_the_live_arr() {
        let tool = CrmGetCommercialWindow;
        let out = tool.answer(
            &facts(&[
                ACCOUNT,
                r#"{"type":"contract","id":"k1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","start_date":"2025-05-01","end_date":"2026-05-01","arr":120000}"#,
                r#"{"type":"contract","id":"k0","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","start_date":"2024-01-01","end_date":"2025-01-01","arr":50000}"#,
                r#"{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme renewal","stage":"negotiation","amount":120000,"close_date":"2026-04-20"}"#,
            ]),
            &[],
            &json!({"account_id": "acme"}),
        );
        assert_eq!(out["renewal_date"], "2026-05-01");
        assert_eq!(out["days_to_renewal"], 52);
        assert_eq!(out["arr"], 120000, "the ended contract does not count");
        assert_eq!(out["opportunities"][0]["open"], true);
        assert!(
            jsonschema::is_valid(&AccountRead::spec(&tool).result, &out),
            "{out}"
        );
    }
}
