//! `crm_write_update`: proposes a change to one CRM field of one of the account's entities (an
//! `update_crm_field` action). Under the default write-back policy a person approves it
//! first; nothing reaches the CRM before the action runs.

use revloop_domain::crm_config::FieldTarget;
use revloop_domain::decision::ActionKind;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::account_write::{proposed_result, write_arguments};
use super::{Access, AccountWrite, ToolError, ToolSpec};

pub struct CrmWriteUpdate;

const NAME: &str = "crm_write_update";

fn refused(pointer: &str, message: String) -> ToolError {
    ToolError::Refused {
        tool: NAME.into(),
        pointer: pointer.into(),
        message,
    }
}

impl AccountWrite for CrmWriteUpdate {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME,
            description: "Proposes setting one CRM field of one of the account's entities (e.g. next_step or close_date of opportunity:o-1). It becomes an update_crm_field action: revloop's validators check it, the write-back policy routes it (by default a person approves CRM changes), and only the approved action writes to the CRM. The result names the action and how it was routed.",
            parameters: write_arguments(
                json!({
                    "entity": {"type": "string", "pattern": "^[a-z_]+:.+$", "maxLength": 300, "description": "type:id, e.g. opportunity:o-1"},
                    "field": {"type": "string", "pattern": "^[a-z_]+$", "maxLength": 100},
                    "value": {"type": ["string", "number", "boolean", "null"]}
                }),
                &["entity", "field", "value"],
            ),
            result: proposed_result(),
            cost_class: ActionKind::UpdateCrmField.cost_class(),
            requires_approval: false,
            access: Access::Write,
            example: json!({"account_id": "acme", "entity": "opportunity:o-1", "field": "next_step", "value": "Exec review on the 14th", "why_now": "Agreed in today's call.", "evidence_refs": ["rec:account:acme@0123456789abcdef"]}),
        }
    }

    fn kind(&self, _args: &Value) -> Result<ActionKind, ToolError> {
        Ok(ActionKind::UpdateCrmField)
    }

    fn title(&self, _facts: &AccountFacts, args: &Value) -> String {
        format!(
            "Set {} of {} to {}",
            args["field"].as_str().unwrap_or_default(),
            args["entity"].as_str().unwrap_or_default(),
            args["value"]
        )
    }

    fn params(&self, facts: &AccountFacts, args: &Value) -> Result<Value, ToolError> {
        let entity = args["entity"].as_str().unwrap_or_default();
        let field = args["field"].as_str().unwrap_or_default();
        let target = FieldTarget::parse(entity, field).map_err(|m| {
            let at = if m.starts_with("field") {
                "/field"
            } else {
                "/entity"
            };
            refused(at, m)
        })?;
        let known = facts.entities.iter().any(|e| {
            e.entity.entity_type == target.entity_type && e.entity.entity_id == target.entity_id
        });
        if !known {
            return Err(refused(
                "/entity",
                format!("account {} has no {entity}", facts.account_id),
            ));
        }
        Ok(json!({ "entity": entity, "field": field, "value": args["value"] }))
    }
}
