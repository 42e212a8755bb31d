//! Executors carry out actions. Each records its effect under an idempotency key, so a retried
//! execution finds the effect done and does not repeat it.
//!
//! To add one, create `<name>.rs` implementing [`ActionExecutor`] and add it to [`builtin()`].

mod attach_brief;
mod create_task;
mod crm_task;
pub mod email;
mod escalate_ticket;
mod escalate_to_exec_sponsor;
mod handoff;
mod log_note;
mod outbox;
mod request_meeting;
mod send_email;
mod send_follow_up;
mod update_crm_field;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store, StoreError};

use crate::crm::CrmWriteBack;
use crate::smtp::SmtpSender;

pub use attach_brief::AttachBriefExecutor;
pub use create_task::CreateTaskExecutor;
pub use crm_task::{CrmTaskExecutor, CrmTaskSpec};
pub use escalate_ticket::EscalateTicketExecutor;
pub use escalate_to_exec_sponsor::EscalateToExecSponsorExecutor;
pub use log_note::LogNoteExecutor;
pub use outbox::{OutboxExecutor, OutboxSpec};
pub use request_meeting::RequestMeetingExecutor;
pub use send_email::SendEmailExecutor;
pub use send_follow_up::SendFollowUpExecutor;
pub use update_crm_field::UpdateCrmFieldExecutor;

#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The action cannot be carried out as given; retrying will not help.
    #[error("{0}")]
    Invalid(String),
    /// The target system could not be reached or refused for now; a retry may succeed.
    #[error("{0}")]
    Transient(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait ActionExecutor: Send + Sync {
    fn kind(&self) -> ActionKind;
    /// Side-effect-free readiness probe, run by the worker at start-up.
    async fn check(&self) -> Result<(), ExecutorError> {
        Ok(())
    }
    /// Carries out the action once per key; returns the effect and whether this call caused it.
    async fn execute(
        &self,
        action: &ActionRecord,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError>;
    /// Undoes the effect where the action allows it (a saga's compensation step).
    async fn compensate(
        &self,
        action: &ActionRecord,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError>;
}

/// Every executor; CRM actions write back through `crm`, emails go out through `smtp` where the
/// tenant configures them, and escalations notify through the tenant's notifiers (`settings`).
pub fn builtin(
    store: Arc<dyn Store>,
    smtp: SmtpSender,
    crm: CrmWriteBack,
    settings: crate::Settings,
) -> Vec<Box<dyn ActionExecutor>> {
    vec![
        Box::new(AttachBriefExecutor::new(store.clone(), crm.clone())),
        Box::new(CreateTaskExecutor::new(store.clone(), crm.clone())),
        Box::new(SendFollowUpExecutor::new(store.clone(), smtp.clone())),
        Box::new(LogNoteExecutor::new(store.clone(), crm.clone())),
        Box::new(UpdateCrmFieldExecutor::new(store.clone(), crm.clone())),
        Box::new(SendEmailExecutor::new(store.clone(), smtp.clone())),
        Box::new(RequestMeetingExecutor::new(store.clone(), smtp.clone())),
        Box::new(EscalateTicketExecutor::new(
            store.clone(),
            crm.clone(),
            settings.clone(),
        )),
        Box::new(EscalateToExecSponsorExecutor::new(
            store, smtp, crm, settings,
        )),
    ]
}

/// A string parameter of the action, or an `Invalid` error naming it.
pub(crate) fn param<'a>(action: &'a ActionRecord, name: &str) -> Result<&'a str, ExecutorError> {
    action
        .proposal
        .params
        .get(name)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ExecutorError::Invalid(format!(
                "action {}: parameter {name:?} is missing or not text",
                action.action_id
            ))
        })
}

/// The action's required parameters (from the catalog) as the effect's payload, plus the
/// optional ones named; a missing one, or a `to` that is no email address, is `Invalid`.
pub(crate) fn required_payload(
    action: &ActionRecord,
    optional: &[&str],
) -> Result<serde_json::Value, ExecutorError> {
    let params = &action.proposal.params;
    let mut payload = serde_json::Map::new();
    for name in action.proposal.kind.required_params() {
        let value = params
            .get(*name)
            .filter(|v| !v.is_null() && v.as_str() != Some(""));
        let value = value.ok_or_else(|| {
            ExecutorError::Invalid(format!(
                "action {}: parameter {name:?} is missing",
                action.action_id
            ))
        })?;
        payload.insert(name.to_string(), value.clone());
    }
    for (name, value) in &payload {
        if let Some(text) = value.as_str() {
            revloop_domain::decision::check_param(name, text)
                .map_err(|e| ExecutorError::Invalid(format!("action {}: {e}", action.action_id)))?;
        }
    }
    if let Some(to) = payload.get("to").and_then(|v| v.as_str())
        && !to.contains('@')
    {
        return Err(ExecutorError::Invalid(format!(
            "action {}: {to:?} is not an email address",
            action.action_id
        )));
    }
    for name in optional {
        if let Some(v) = params.get(*name) {
            payload.insert(name.to_string(), v.clone());
        }
    }
    payload.insert("account_id".into(), serde_json::json!(action.account_id));
    Ok(serde_json::Value::Object(payload))
}

/// The effect recorded under `key` for this action, if any: a retry's first question.
pub(crate) async fn recorded(
    store: &dyn Store,
    action: &ActionRecord,
    key: &str,
) -> Result<Option<Effect>, ExecutorError> {
    Ok(store
        .list_effects(&action.tenant_id, &action.action_id)
        .await?
        .into_iter()
        .find(|e| e.idempotency_key == key))
}

/// Records an effect; shared by the executors whose effect is a record in revloop's own store.
pub(crate) async fn record(
    store: &dyn Store,
    action: &ActionRecord,
    key: &str,
    kind: &str,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(Effect, bool), ExecutorError> {
    let effect = Effect {
        idempotency_key: key.to_string(),
        tenant_id: action.tenant_id.clone(),
        action_id: action.action_id.clone(),
        kind: kind.to_string(),
        payload,
        at: now,
    };
    Ok(store.record_effect(&effect).await?)
}
