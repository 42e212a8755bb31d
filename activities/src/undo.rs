//! Undo: a person reverses an executed action through its executor's compensation (delete the
//! Task, restore the field's previous value, withdraw a queued email). An action that cannot be
//! reversed (an email already delivered, a field someone has changed since) says why, and that
//! refusal is recorded too. Both are ledgered as the action's outcome.

use chrono::Utc;
use revloop_store::{ActionRecord, ActionStatus, Store};
use serde_json::json;
use temporalio_sdk::activities::ActivityError;

use crate::action::{action_outcome, effect_key};
use crate::contracts::{UndoInput, UndoOutput};
use crate::error;
use crate::executors::{ActionExecutor, ExecutorError};
use crate::governance::LedgerScope;

async fn outcome(
    store: &dyn Store,
    scope: &LedgerScope,
    action: &ActionRecord,
    input: &UndoInput,
    kind: &str,
    reason: String,
) -> Result<(), ActivityError> {
    let actor = Some(input.requested_by.clone());
    action_outcome(store, scope, action, kind, Some(reason), actor).await
}

/// Runs the compensation of `input.action_id` once; a retry finds it done.
pub async fn undo_action(
    store: &dyn Store,
    executors: &[Box<dyn ActionExecutor>],
    scope: &LedgerScope,
    input: &UndoInput,
) -> Result<UndoOutput, ActivityError> {
    let mut action =
        crate::decision::load_action(store, &input.tenant_id, &input.action_id).await?;
    let answer = |undone: bool, effect: &str, detail: String| UndoOutput {
        action_id: input.action_id.clone(),
        undone,
        effect: effect.to_string(),
        detail,
    };
    if action.status == ActionStatus::Undone {
        let undo = &action
            .result
            .as_ref()
            .map(|r| r["undo"].clone())
            .unwrap_or_default();
        return Ok(answer(
            true,
            undo["effect"].as_str().unwrap_or_default(),
            "undone already".into(),
        ));
    }
    if action.status != ActionStatus::Executed {
        return Ok(answer(
            false,
            "",
            format!(
                "action {} is {}: only an executed action can be undone",
                action.action_id,
                action.status.as_str()
            ),
        ));
    }
    let executor = executors
        .iter()
        .find(|e| e.kind() == action.proposal.kind)
        .ok_or_else(|| {
            error::non_retryable(
                "NoExecutor",
                format!("no executor for {}", action.proposal.kind.as_str()),
            )
        })?;
    let key = effect_key(&action);
    match executor.compensate(&action, &key, Utc::now()).await {
        Ok((effect, _)) => {
            let mut result = action.result.clone().unwrap_or_else(|| json!({}));
            result["undo"] = json!({
                "effect": effect.kind,
                "payload": effect.payload,
                "by": input.requested_by,
                "reason": input.reason,
            });
            action.result = Some(result);
            action.status = ActionStatus::Undone;
            action.updated_at = Utc::now();
            store.save_action(&action).await.map_err(error::store)?;
            let why = if input.reason.is_empty() {
                format!("{} by {}", effect.kind, input.requested_by)
            } else {
                format!(
                    "{} by {}: {}",
                    effect.kind, input.requested_by, input.reason
                )
            };
            outcome(store, scope, &action, input, "undone", why).await?;
            Ok(answer(
                true,
                &effect.kind,
                format!("{}: {}", effect.kind, effect.payload),
            ))
        }
        Err(ExecutorError::Invalid(why)) => {
            action.updated_at = Utc::now();
            outcome(store, scope, &action, input, "undo_refused", why.clone()).await?;
            Ok(answer(false, "", why))
        }
        Err(e) => Err(error::classify(e)),
    }
}
