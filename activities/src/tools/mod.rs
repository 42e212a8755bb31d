//! The tool catalog: one file per tool, each declaring what a model (or an MCP client) needs to
//! use it well: its name, a description written for a model, a JSON Schema for its arguments
//! (checked before every call, a refusal names the JSON pointer of the bad field), the schema
//! of its result, its cost class, whether it needs approval, and whether it reads or writes.
//!
//! To add one, create `<name>.rs` implementing [`Tool`] (or [`AccountRead`] for a read of one
//! account's world) and add a line to [`builtin()`]. Tool names are part of the protocol a
//! model and MCP clients speak: add new ones, never rename old ones.

mod account_get_state;
mod account_write;
mod approval_request;
mod crm_get_commercial_window;
mod crm_write_update;
mod draft_email;
mod draft_meeting_brief;
pub mod gateway;
mod graph_query;
mod meetings_get_last_summary;
mod memory_search;
mod notes_log;
mod signals_list_recent;
mod support_get_risk_summary;
mod tasks_create;
mod telemetry_get_health_summary;

pub use account_write::{AccountWrite, Writes};
pub use gateway::{
    Refusal, RefusalKind, ToolCall, ToolCallAnswer, ToolCaller, ToolGateway, ToolGatewayError,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::budget::CostClass;
use revloop_domain::decision::Proposal;
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use revloop_store::{Store, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::memory::MemoryIndex;

/// Whether a tool only reads, or proposes a change (write tools create actions, which go
/// through the validators, the write-back policy and approval; they never write directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    pub name: &'static str,
    /// For a model: when to use it and what it returns.
    pub description: &'static str,
    /// JSON Schema of the arguments.
    pub parameters: Value,
    /// JSON Schema of the result.
    pub result: Value,
    pub cost_class: CostClass,
    pub requires_approval: bool,
    pub access: Access,
    /// Arguments the schema accepts: documentation, and what the catalog's tests call it with.
    pub example: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The arguments break the tool's schema: `pointer` names the field (`/account_id`).
    #[error("{tool}: argument {pointer}: {message}")]
    InvalidArgument {
        tool: String,
        pointer: String,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// The arguments fit the schema but not the world (evidence of another account, a CRM
    /// field that cannot be written): `pointer` names the field.
    #[error("{tool}: argument {pointer}: {message}")]
    Refused {
        tool: String,
        pointer: String,
        message: String,
    },
    #[error("memory: {0}")]
    Memory(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a call may read: the tenant's store and memory, as of the call's instant.
pub struct ToolData<'a> {
    pub store: &'a dyn Store,
    pub memory: &'a dyn MemoryIndex,
    pub tenant_id: &'a str,
    pub now: DateTime<Utc>,
    /// The call's run id: a write tool's proposal id derives from it, so a retried call
    /// proposes the same action.
    pub tool_run_id: &'a str,
}

/// What a tool answers: a read's result, or the action a write tool proposes (the gateway
/// stores it, validates it and routes it; the tool never writes).
#[derive(Debug, Clone, PartialEq)]
pub enum ToolAnswer {
    Result(Value),
    /// The proposal, and the account's facts it was grounded in (its planning snapshot).
    Propose {
        proposal: Box<Proposal>,
        facts: Box<AccountFacts>,
    },
}

#[async_trait]
pub trait Tool: Send + Sync {
    fn spec(&self) -> ToolSpec;
    /// Answers the call; the arguments have passed [`check_arguments`].
    async fn call(&self, data: &ToolData<'_>, args: &Value) -> Result<ToolAnswer, ToolError>;
}

/// A read of one account's world (`account_id` in the arguments): the catalog loads the
/// account's facts and signals once, and the tool answers from them, purely.
pub trait AccountRead: Send + Sync {
    fn spec(&self) -> ToolSpec;
    fn answer(&self, facts: &AccountFacts, signals: &[Signal], args: &Value) -> Value;
}

#[async_trait]
impl<T: AccountRead> Tool for T {
    fn spec(&self) -> ToolSpec {
        AccountRead::spec(self)
    }

    async fn call(&self, data: &ToolData<'_>, args: &Value) -> Result<ToolAnswer, ToolError> {
        let account = args["account_id"].as_str().unwrap_or_default();
        let facts = load_account(data, account).await?;
        let signals = data
            .store
            .list_signals(data.tenant_id, Some(account))
            .await?;
        Ok(ToolAnswer::Result(self.answer(&facts, &signals, args)))
    }
}

/// The account's facts as of the call; an account without records is NotFound (in another
/// tenant's store it has none, so a foreign account reads as unknown, never as someone's).
pub(crate) async fn load_account(
    data: &ToolData<'_>,
    account: &str,
) -> Result<AccountFacts, ToolError> {
    let (facts, _) =
        crate::world::account_facts(data.store, data.tenant_id, account, data.now).await?;
    if facts.entities.is_empty() {
        return Err(ToolError::NotFound(format!(
            "account {account} has no records in tenant {}",
            data.tenant_id
        )));
    }
    Ok(facts)
}

/// Every tool.
pub fn builtin() -> Vec<Box<dyn Tool>> {
    vec![
        Box::new(account_get_state::AccountGetState),
        Box::new(signals_list_recent::SignalsListRecent),
        Box::new(crm_get_commercial_window::CrmGetCommercialWindow),
        Box::new(support_get_risk_summary::SupportGetRiskSummary),
        Box::new(telemetry_get_health_summary::TelemetryGetHealthSummary),
        Box::new(meetings_get_last_summary::MeetingsGetLastSummary),
        Box::new(memory_search::MemorySearch),
        Box::new(graph_query::GraphQuery),
        Box::new(draft_meeting_brief::DraftMeetingBrief),
        Box::new(draft_email::DraftEmail),
        Box::new(Writes(approval_request::ApprovalRequest)),
        Box::new(Writes(crm_write_update::CrmWriteUpdate)),
        Box::new(Writes(tasks_create::TasksCreate)),
        Box::new(Writes(notes_log::NotesLog)),
    ]
}

/// The arguments schema of a tool that reads one account, with `extra` properties.
pub(crate) fn account_arguments(extra: Value) -> Value {
    let mut properties = json!({
        "account_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "The account's id, as revloop's records name it."
        }
    });
    if let (Some(all), Some(more)) = (properties.as_object_mut(), extra.as_object()) {
        all.extend(more.clone());
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": ["account_id"],
        "additionalProperties": false
    })
}

/// The schema with `fields` added to its required properties.
pub(crate) fn requiring(mut schema: Value, fields: &[&str]) -> Value {
    if let Some(required) = schema["required"].as_array_mut() {
        required.extend(fields.iter().map(|f| json!(f)));
    }
    schema
}

/// Checks `args` against the tool's schema; the refusal names the first bad field by its JSON
/// pointer (the whole object is `/`).
pub fn check_arguments(spec: &ToolSpec, args: &Value) -> Result<(), ToolError> {
    let validator =
        jsonschema::validator_for(&spec.parameters).map_err(|e| ToolError::InvalidArgument {
            tool: spec.name.into(),
            pointer: "/".into(),
            message: format!("the tool's own schema does not compile: {e}"),
        })?;
    match validator.iter_errors(args).next() {
        None => Ok(()),
        Some(e) => {
            let at = e.instance_path.to_string();
            // A missing required property is reported at its parent: name the property.
            let pointer = match &e.kind {
                jsonschema::error::ValidationErrorKind::Required { property } => format!(
                    "{}/{}",
                    at.trim_end_matches('/'),
                    property.as_str().unwrap_or_default()
                ),
                _ if at.is_empty() => "/".to_string(),
                _ => at,
            };
            Err(ToolError::InvalidArgument {
                tool: spec.name.into(),
                pointer,
                message: e.to_string(),
            })
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use revloop_domain::records::parse_line;
    use revloop_domain::world::AccountFacts;

    pub fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    /// Acme's facts at [`now`] from JSON record lines.
    pub fn facts(lines: &[&str]) -> AccountFacts {
        let records: Vec<_> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| parse_line(i + 1, l).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        AccountFacts::of_records("acme", &records, &[], now())
    }

    pub const ACCOUNT: &str = r#"{"type":"account","id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme","owner":"sam"}"#;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_schema_accepts_its_example() {
        let tools = builtin();
        let mut names: Vec<&str> = tools.iter().map(|t| t.spec().name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "{names:?}");
        for tool in &tools {
            let spec = tool.spec();
            check_arguments(&spec, &spec.example)
                .unwrap_or_else(|e| panic!("{}: its example is refused: {e}", spec.name));
            assert!(
                spec.description.len() > 40,
                "{}: a description a model can use",
                spec.name
            );
            assert!(
                jsonschema::validator_for(&spec.result).is_ok(),
                "{}: result schema",
                spec.name
            );
        }
    }

    /// Values of each JSON type but `v`'s: one of them is the wrong type for the field.
    fn other_types(v: &Value) -> Vec<Value> {
        [
            json!(42),
            json!("text"),
            json!([1]),
            json!({"a": 1}),
            json!(true),
        ]
        .into_iter()
        .filter(|c| std::mem::discriminant(c) != std::mem::discriminant(v))
        .collect()
    }

    #[test]
    fn a_wrong_type_or_a_missing_field_is_refused_naming_the_field() {
        for tool in builtin() {
            let spec = tool.spec();
            let example = spec.example.as_object().expect("examples are objects");
            for (field, value) in example {
                // The first other type the field refuses (`value` of crm_write_update takes
                // several; none takes them all).
                let wrong = other_types(value)
                    .into_iter()
                    .find_map(|other| {
                        let mut args = spec.example.clone();
                        args[field] = other;
                        check_arguments(&spec, &args).err()
                    })
                    .unwrap_or_else(|| panic!("{} /{field} takes any type", spec.name));
                assert!(
                    matches!(&wrong, ToolError::InvalidArgument { pointer, .. } if *pointer == format!("/{field}")),
                    "{} /{field}: {wrong}",
                    spec.name
                );
            }
            for field in spec.parameters["required"].as_array().unwrap() {
                let field = field.as_str().unwrap();
                let mut args = spec.example.clone();
                args.as_object_mut().unwrap().remove(field);
                let missing = check_arguments(&spec, &args).unwrap_err();
                assert!(
                    matches!(&missing, ToolError::InvalidArgument { pointer, .. } if *pointer == format!("/{field}")),
                    "{} missing /{field}: {missing}",
                    spec.name
                );
            }
            let mut unknown = spec.example.clone();
            unknown["sql"] = json!("drop");
            assert!(
                check_arguments(&spec, &unknown).is_err(),
                "{}: unknown fields are refused",
                spec.name
            );
        }
    }

    #[test]
    fn the_account_id_of_42_is_refused_naming_account_id() {
        let tools = builtin();
        let state = tools
            .iter()
            .find(|t| t.spec().name == "account_get_state")
            .unwrap();
        let err = check_arguments(&state.spec(), &json!({"account_id": 42})).unwrap_err();
        assert!(
            matches!(&err, ToolError::InvalidArgument { pointer, .. } if pointer == "/account_id"),
            "{err}"
        );
    }

    #[test]
    fn the_catalog_has_every_tool_the_protocol_names() {
        let names: Vec<&str> = builtin().iter().map(|t| t.spec().name).collect();
        for name in [
            "account_get_state",
            "signals_list_recent",
            "crm_get_commercial_window",
            "support_get_risk_summary",
            "telemetry_get_health_summary",
            "memory_search",
            "graph_query",
            "meetings_get_last_summary",
            "draft_meeting_brief",
            "draft_email",
            "approval_request",
            "crm_write_update",
            "tasks_create",
            "notes_log",
        ] {
            assert!(names.contains(&name), "{name} is missing from {names:?}");
        }
        for tool in builtin() {
            let spec = tool.spec();
            let writes = [
                "approval_request",
                "crm_write_update",
                "tasks_create",
                "notes_log",
            ];
            assert_eq!(
                spec.access == Access::Write,
                writes.contains(&spec.name),
                "{}: read or write",
                spec.name
            );
        }
    }
}
