//! `notes_log`: proposes a note on the account's record (a `log_note` action).

use revloop_domain::decision::ActionKind;
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::account_write::{proposed_result, write_arguments};
use super::{Access, AccountWrite, ToolError, ToolSpec};

pub struct NotesLog;

impl AccountWrite for NotesLog {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "notes_log",
            description: "Logs an internal note on the account (what was learned, what was agreed), for the team to read later. It becomes a log_note action that goes through revloop's validators and write-back policy; the result names the action and how it was routed.",
            parameters: write_arguments(
                json!({"body": {"type": "string", "minLength": 1, "maxLength": 20000}}),
                &["body"],
            ),
            result: proposed_result(),
            cost_class: ActionKind::LogNote.cost_class(),
            requires_approval: false,
            access: Access::Write,
            example: json!({"account_id": "acme", "body": "Champion confirmed budget for Q3.", "why_now": "Said in today's call.", "evidence_refs": ["rec:account:acme@0123456789abcdef"]}),
        }
    }

    fn kind(&self, _args: &Value) -> Result<ActionKind, ToolError> {
        Ok(ActionKind::LogNote)
    }

    fn title(&self, facts: &AccountFacts, _args: &Value) -> String {
        format!("Log a note on {}", facts.account_name())
    }

    fn params(&self, _facts: &AccountFacts, args: &Value) -> Result<Value, ToolError> {
        Ok(json!({ "body": args["body"] }))
    }
}
