//! Write tools: each proposes one action on one account and never writes anything itself. The
//! gateway stores the proposal as an action, runs the validators on it, routes it by the
//! write-back policy (or to a person, when the tool requires approval) and starts it, exactly
//! as it does a decision's proposals.
//!
//! Every write names the evidence it rests on: each ref must be evidence of this account (a
//! record version its facts rest on, or a signal's evidence), so a caller cannot ground a
//! proposal in another account's records or in refs it made up.

use std::collections::BTreeSet;

use async_trait::async_trait;
use revloop_domain::decision::{ActionKind, Proposal, check_param};
use revloop_domain::world::AccountFacts;
use serde_json::{Value, json};

use super::{Tool, ToolAnswer, ToolData, ToolError, ToolSpec, account_arguments, load_account};

/// The confidence a written proposal carries when the caller gives none.
const DEFAULT_CONFIDENCE: f64 = 0.8;

pub trait AccountWrite: Send + Sync {
    fn spec(&self) -> ToolSpec;
    /// The action the call proposes.
    fn kind(&self, args: &Value) -> Result<ActionKind, ToolError>;
    fn title(&self, facts: &AccountFacts, args: &Value) -> String;
    /// The executor's parameters; a refusal names the argument's pointer.
    fn params(&self, facts: &AccountFacts, args: &Value) -> Result<Value, ToolError>;
}

/// The arguments every write takes (`account_id`, `why_now`, `evidence_refs`, `confidence`),
/// with the tool's own `extra` ones, `required` among them.
pub(crate) fn write_arguments(extra: Value, required: &[&str]) -> Value {
    let mut all = json!({
        "why_now": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "Why this should happen now, for the person who approves it."},
        "evidence_refs": {
            "type": "array", "minItems": 1, "maxItems": 20,
            "items": {"type": "string", "minLength": 1, "maxLength": 300},
            "description": "The evidence_refs (from the read tools) this rests on."
        },
        "confidence": {"type": "number", "minimum": 0, "maximum": 1}
    });
    if let (Some(all), Some(more)) = (all.as_object_mut(), extra.as_object()) {
        all.extend(more.clone());
    }
    let mut fields = vec!["why_now", "evidence_refs"];
    fields.extend_from_slice(required);
    super::requiring(account_arguments(all), &fields)
}

/// What every write answers: the action it proposed and where that action went.
pub(crate) fn proposed_result() -> Value {
    json!({
        "type": "object",
        "required": ["action_id", "kind", "status", "route", "rule"],
        "properties": {
            "action_id": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"enum": ["awaiting_approval", "started", "blocked"]},
            "route": {"enum": ["autonomous", "approval"]},
            "rule": {"type": "string", "description": "The write-back rule that routed it."},
            "blocked_by": {"type": "string", "description": "The validator rule that blocked it."}
        }
    })
}

fn refused(tool: &str, pointer: String, message: String) -> ToolError {
    ToolError::Refused {
        tool: tool.into(),
        pointer,
        message,
    }
}

/// Refuses the first ref that is not evidence of the account.
fn check_evidence(
    tool: &str,
    refs: &[String],
    facts: &AccountFacts,
    signal_refs: &BTreeSet<String>,
) -> Result<(), ToolError> {
    let held = facts.evidence_held();
    for (i, r) in refs.iter().enumerate() {
        if !held.contains(r.as_str()) && !signal_refs.contains(r) {
            return Err(refused(
                tool,
                format!("/evidence_refs/{i}"),
                format!(
                    "{r:?} is not evidence of account {}: cite an evidence_ref a read tool returned",
                    facts.account_id
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a parameter the executor needs but the call left out, or one past its limits.
fn check_params(tool: &str, kind: ActionKind, params: &Value) -> Result<(), ToolError> {
    for name in kind.required_params() {
        if params.get(*name).is_none_or(Value::is_null) {
            return Err(refused(
                tool,
                format!("/params/{name}"),
                format!("{} needs parameter {name:?}", kind.as_str()),
            ));
        }
    }
    for (name, value) in params.as_object().into_iter().flatten() {
        if let Some(text) = value.as_str() {
            check_param(name, text).map_err(|m| refused(tool, format!("/{name}"), m))?;
        }
    }
    Ok(())
}

/// A write tool in the catalog (reads have their blanket impl; a wrapper keeps the two apart).
pub struct Writes<T>(pub T);

#[async_trait]
impl<T: AccountWrite> Tool for Writes<T> {
    fn spec(&self) -> ToolSpec {
        self.0.spec()
    }

    async fn call(&self, data: &ToolData<'_>, args: &Value) -> Result<ToolAnswer, ToolError> {
        let write = &self.0;
        let name = write.spec().name;
        let account = args["account_id"].as_str().unwrap_or_default();
        let facts = load_account(data, account).await?;
        let signal_refs: BTreeSet<String> = data
            .store
            .list_signals(data.tenant_id, Some(account))
            .await?
            .into_iter()
            .flat_map(|s| s.evidence_refs)
            .collect();
        let refs: Vec<String> = args["evidence_refs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_string))
            .collect();
        check_evidence(name, &refs, &facts, &signal_refs)?;
        let kind = write.kind(args)?;
        let params = write.params(&facts, args)?;
        check_params(name, kind, &params)?;
        let proposal = Proposal::new_keyed(data.tool_run_id, kind, name)
            .title(write.title(&facts, args))
            .why_now(args["why_now"].as_str().unwrap_or_default())
            .confidence(args["confidence"].as_f64().unwrap_or(DEFAULT_CONFIDENCE))
            .evidence(refs, Vec::new())
            .playbook(format!("tool:{name}"))
            .params(params)
            .build();
        Ok(ToolAnswer::Propose {
            proposal: Box::new(proposal),
            facts: Box::new(facts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn evidence_of_another_account_or_made_up_is_refused_naming_its_index() {
        let facts = facts(&[ACCOUNT]);
        let held: Vec<String> = facts
            .evidence_held()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert!(!held.is_empty());
        assert!(check_evidence("t", &held, &facts, &BTreeSet::new()).is_ok());
        let forged = vec![
            held[0].clone(),
            "rec:account:globex@0000000000000000".into(),
        ];
        let err = check_evidence("t", &forged, &facts, &BTreeSet::new()).unwrap_err();
        assert!(
            matches!(&err, ToolError::Refused { pointer, .. } if pointer == "/evidence_refs/1"),
            "{err}"
        );
        let from_signal = BTreeSet::from(["rec:ticket:t-1@abc".to_string()]);
        assert!(check_evidence("t", &forged[1..], &facts, &from_signal).is_err());
        assert!(check_evidence("t", &["rec:ticket:t-1@abc".into()], &facts, &from_signal).is_ok());
    }

    #[test]
    fn missing_or_oversized_params_are_refused_naming_them() {
        let err = check_params("t", ActionKind::CreateTask, &json!({})).unwrap_err();
        assert!(matches!(&err, ToolError::Refused { pointer, .. } if pointer == "/params/title"));
        let long = "x".repeat(301);
        let err = check_params("t", ActionKind::CreateTask, &json!({"title": long})).unwrap_err();
        assert!(matches!(&err, ToolError::Refused { pointer, .. } if pointer == "/title"));
    }
}
