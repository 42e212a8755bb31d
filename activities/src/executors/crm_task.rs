//! The executor shape of the actions that become a Salesforce Task: create_task (an open task)
//! and log_note (a completed one). With the tenant's `[crm]`, the Task is upserted by its
//! External ID, which holds the action's key, so a retry after a crash finds the Task the first
//! try made instead of making a second; the compensation deletes it. Without `[crm]`, the
//! effect is kept in revloop's outbox, as before.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::{Value, json};

use super::outbox::{OutboxExecutor, OutboxSpec};
use super::{ActionExecutor, ExecutorError, record, recorded};
use crate::crm::{CrmWriteBack, crm_key};

/// The longest Subject a Salesforce Task takes.
const SUBJECT_LIMIT: usize = 255;

/// What one kind's Task is.
pub struct CrmTaskSpec {
    /// The effect's name once the Task is in the CRM (`crm_task_created`, …).
    pub effect: &'static str,
    /// The Task's fields from the action (Subject, Status, ActivityDate, Description, …).
    pub fields: fn(&ActionRecord, DateTime<Utc>) -> Result<Value, ExecutorError>,
    /// The same kind's effect in revloop's outbox, when the tenant has no `[crm]`.
    pub outbox: OutboxSpec,
}

pub struct CrmTaskExecutor {
    store: Arc<dyn Store>,
    crm: CrmWriteBack,
    kind: ActionKind,
    effect: &'static str,
    fields: fn(&ActionRecord, DateTime<Utc>) -> Result<Value, ExecutorError>,
    outbox: OutboxExecutor,
}

impl CrmTaskExecutor {
    pub fn new(store: Arc<dyn Store>, crm: CrmWriteBack, spec: CrmTaskSpec) -> Self {
        Self {
            kind: spec.outbox.kind,
            effect: spec.effect,
            fields: spec.fields,
            outbox: OutboxExecutor::new(store.clone(), spec.outbox),
            store,
            crm,
        }
    }
}

/// A Task subject: one line, cut to what Salesforce takes.
pub(crate) fn subject(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    line.chars().take(SUBJECT_LIMIT).collect()
}

/// The Task's owner, when the action names a Salesforce user (`005…`); otherwise the org's
/// default (the integration user) owns it.
pub(crate) fn owner_id(action: &ActionRecord) -> Option<String> {
    action.proposal.params["owner"]
        .as_str()
        .filter(|o| o.starts_with("005") && o.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
}

#[async_trait]
impl ActionExecutor for CrmTaskExecutor {
    fn kind(&self) -> ActionKind {
        self.kind
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let Some(org) = self.crm.org(&action.tenant_id).await? else {
            return self.outbox.execute(action, key, now).await;
        };
        if let Some(done) = recorded(&*self.store, action, key).await? {
            return Ok((done, false));
        }
        let mut fields = (self.fields)(action, now)?;
        fields["WhatId"] = json!(action.account_id);
        let external_key = crm_key(key);
        let (id, created) = org.upsert("Task", &external_key, &fields).await?;
        let payload = json!({
            "sobject": "Task",
            "salesforce_id": id,
            "subject": fields["Subject"],
            "account_id": action.account_id,
            "crm_key": external_key,
            "created_by_this_try": created,
            "delivery": format!("written to Salesforce as Task {id}"),
        });
        record(&*self.store, action, key, self.effect, payload, now).await
    }

    /// Deletes the Task (a Task already deleted by a person counts as undone); an outbox
    /// effect is withdrawn.
    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let written = recorded(&*self.store, action, key)
            .await?
            .filter(|e| e.kind == self.effect);
        let Some(written) = written else {
            return self.outbox.compensate(action, key, now).await;
        };
        let id = written.payload["salesforce_id"]
            .as_str()
            .unwrap_or_default();
        let org = self.crm.org(&action.tenant_id).await?.ok_or_else(|| {
            ExecutorError::Invalid(format!(
                "action {}: Task {id} is in Salesforce, but the tenant has no [crm] to delete it through",
                action.action_id
            ))
        })?;
        let deleted = org.delete("Task", id).await?;
        record(
            &*self.store,
            action,
            &format!("{key}/compensate"),
            "crm_task_deleted",
            json!({ "sobject": "Task", "salesforce_id": id, "was_there": deleted }),
            now,
        )
        .await
    }
}
