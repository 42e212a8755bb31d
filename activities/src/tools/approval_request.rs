//! `approval_request`: proposes any action for a person's approval, whatever the write-back
//! policy would have let it do alone.

use revloop_domain::decision::ActionKind;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::account_write::{proposed_result, write_arguments};
use super::{Access, AccountWrite, ToolError, ToolSpec};

pub struct ApprovalRequest;

/// What a caller may ask approval for: everything but attaching a brief, which only the
/// decision loop prepares.
fn kinds() -> Vec<&'static str> {
    ActionKind::ALL
        .into_iter()
        .filter(|k| *k != ActionKind::AttachBrief)
        .map(ActionKind::as_str)
        .collect()
}

impl AccountWrite for ApprovalRequest {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "approval_request",
            description: "Proposes an action on the account for a person to approve, edit or reject: any action kind revloop executes (send_email, request_meeting, create_task, update_crm_field, escalate_ticket, …) with its parameters. It always waits for a person, and goes through revloop's validators first; the result names the action.",
            parameters: write_arguments(
                json!({
                    "kind": {"enum": kinds()},
                    "title": {"type": "string", "minLength": 1, "maxLength": 300},
                    "params": {"type": "object", "description": "The action's parameters, as its executor takes them (send_email: to, purpose, subject, body)."}
                }),
                &["kind", "title", "params"],
            ),
            result: proposed_result(),
            cost_class: revloop_domain::budget::CostClass::Medium,
            requires_approval: true,
            access: Access::Write,
            example: json!({"account_id": "acme", "kind": "create_task", "title": "Call the champion", "params": {"title": "Call the champion"}, "why_now": "No meeting in 3 weeks.", "evidence_refs": ["rec:account:acme@0123456789abcdef"]}),
        }
    }

    fn kind(&self, args: &Value) -> Result<ActionKind, ToolError> {
        let name = args["kind"].as_str().unwrap_or_default();
        ActionKind::parse(name).ok_or_else(|| ToolError::Refused {
            tool: "approval_request".into(),
            pointer: "/kind".into(),
            message: format!("no action kind {name:?}"),
        })
    }

    fn title(&self, _facts: &AccountFacts, args: &Value) -> String {
        args["title"].as_str().unwrap_or_default().to_string()
    }

    fn params(&self, _facts: &AccountFacts, args: &Value) -> Result<Value, ToolError> {
        Ok(args["params"].clone())
    }
}
