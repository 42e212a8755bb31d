//! What every escalation does besides its own effect: the role it escalates to hears of it by
//! the tenant's notifiers (`[notify]`: webhook, email), and a High-priority task tracks it
//! where the team works (a Salesforce Task with `[crm]`, else revloop's outbox). Both happen
//! once per action: the notice is recorded per notifier, the task under `{key}/task`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::{Value, json};

use super::crm_task::{CrmTaskExecutor, CrmTaskSpec, subject};
use super::outbox::OutboxSpec;
use super::{ActionExecutor, ExecutorError};
use crate::crm::CrmWriteBack;
use crate::notify::{self, NOTICE_ATTEMPTS, Notice};

/// The notice kind an escalation sends.
pub const HANDOFF: &str = "handoff";

pub struct Handoff {
    store: Arc<dyn Store>,
    settings: crate::Settings,
    task: CrmTaskExecutor,
}

fn task_fields(action: &ActionRecord, _now: DateTime<Utc>) -> Result<Value, ExecutorError> {
    let params = &action.proposal.params;
    let ticket = params["ticket_id"].as_str().unwrap_or_default();
    Ok(json!({
        "Subject": subject(&format!("Escalation: {}", action.proposal.title)),
        "Status": "Not Started",
        "Priority": "High",
        "Description": format!(
            "{}\n\nTicket {ticket}. Escalated by revloop (action {}).",
            action.proposal.why_now, action.action_id
        ),
    }))
}

impl Handoff {
    pub fn new(
        store: Arc<dyn Store>,
        crm: CrmWriteBack,
        settings: crate::Settings,
        kind: ActionKind,
    ) -> Self {
        let task = CrmTaskExecutor::new(
            store.clone(),
            crm,
            CrmTaskSpec {
                effect: "crm_task_created",
                fields: task_fields,
                outbox: OutboxSpec {
                    kind,
                    effect: "escalation_task_created",
                    withdrawn: "escalation_task_cancelled",
                    optional: &[],
                    unconfigured: "no CRM configured",
                },
            },
        );
        Self {
            store,
            settings,
            task,
        }
    }

    /// Notifies `role` and creates the task; returns what each did, for the action's result.
    pub async fn run(
        &self,
        action: &ActionRecord,
        key: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, ExecutorError> {
        let (task, _) = self
            .task
            .execute(action, &format!("{key}/task"), now)
            .await?;
        let notify = self
            .store
            .get_tenant(&action.tenant_id)
            .await?
            .map(|t| t.config.notify)
            .unwrap_or_default();
        let notice = Notice {
            tenant_id: action.tenant_id.clone(),
            action_id: action.action_id.clone(),
            notice: HANDOFF.into(),
            to: role.to_string(),
            title: action.proposal.title.clone(),
            link: None,
        };
        // One try per notifier: a receiver that is down is reported, and the task still
        // tracks the escalation.
        let delivery = notify::deliver(
            &*self.store,
            &self.settings,
            &notify,
            &notice,
            NOTICE_ATTEMPTS,
            now,
        )
        .await
        .map_err(|e| ExecutorError::Transient(format!("notifying {role}: {e:?}")))?;
        Ok(json!({
            "to_role": role,
            "notified": delivery,
            "task": task.payload,
            "task_effect": task.kind,
        }))
    }

    /// Withdraws the task; a notice already sent stays sent.
    pub async fn undo(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Effect, ExecutorError> {
        let (effect, _) = self
            .task
            .compensate(action, &format!("{key}/task"), now)
            .await?;
        Ok(effect)
    }
}
