//! `tasks_create`: proposes an internal task for the account's team (a `create_task` action,
//! which runs on its own under the default write-back policy).

use revloop_domain::decision::ActionKind;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::account_write::write_arguments;
use super::{Access, AccountWrite, ToolError, ToolSpec};

pub struct TasksCreate;

impl AccountWrite for TasksCreate {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "tasks_create",
            description: "Creates an internal task for the account's team (never visible to the customer): a title, an optional owner (the account owner when not given) and an optional due date. It becomes a create_task action that goes through revloop's validators and write-back policy; the result names the action and how it was routed.",
            parameters: write_arguments(
                json!({
                    "title": {"type": "string", "minLength": 1, "maxLength": 300},
                    "owner": {"type": "string", "minLength": 1, "maxLength": 200},
                    "due_date": {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
                }),
                &["title"],
            ),
            result: super::account_write::proposed_result(),
            cost_class: ActionKind::CreateTask.cost_class(),
            requires_approval: false,
            access: Access::Write,
            example: json!({"account_id": "acme", "title": "Review the usage drop with support", "due_date": "2026-03-17", "why_now": "Usage fell 40% this week.", "evidence_refs": ["rec:account:acme@0123456789abcdef"]}),
        }
    }

    fn kind(&self, _args: &Value) -> Result<ActionKind, ToolError> {
        Ok(ActionKind::CreateTask)
    }

    fn title(&self, _facts: &AccountFacts, args: &Value) -> String {
        args["title"].as_str().unwrap_or_default().to_string()
    }

    fn params(&self, facts: &AccountFacts, args: &Value) -> Result<Value, ToolError> {
        let owner = args["owner"]
            .as_str()
            .map(str::to_string)
            .or_else(|| facts.owner());
        let mut params = json!({ "title": args["title"], "owner": owner });
        if let Some(due) = args["due_date"].as_str() {
            params["due_date"] = json!(due);
        }
        Ok(params)
    }
}
