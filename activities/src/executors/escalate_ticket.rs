//! Hands an aging ticket to the support lead (internal): the role is notified and a task
//! tracks it (`handoff.rs`); the escalation itself is recorded once under the action's key.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::json;

use super::handoff::Handoff;
use super::{ActionExecutor, ExecutorError, record, recorded, required_payload};
use crate::crm::CrmWriteBack;

/// Who an escalation goes to when the proposal names no role.
const DEFAULT_ROLE: &str = "support_lead";

pub struct EscalateTicketExecutor {
    store: Arc<dyn Store>,
    handoff: Handoff,
}

impl EscalateTicketExecutor {
    pub fn new(store: Arc<dyn Store>, crm: CrmWriteBack, settings: crate::Settings) -> Self {
        Self {
            handoff: Handoff::new(store.clone(), crm, settings, ActionKind::EscalateTicket),
            store,
        }
    }
}

#[async_trait]
impl ActionExecutor for EscalateTicketExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::EscalateTicket
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        if let Some(done) = recorded(&*self.store, action, key).await? {
            return Ok((done, false));
        }
        let mut payload = required_payload(action, &["to_role"])?;
        let role = action.proposal.params["to_role"]
            .as_str()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or(DEFAULT_ROLE)
            .to_string();
        let handed = self.handoff.run(action, key, &role, now).await?;
        let sent = handed["notified"]["sent"].as_array().map_or(0, Vec::len);
        payload["delivery"] = json!(format!(
            "handed to {role}: notified by {sent} notifier(s); task {}",
            handed["task"]["delivery"]
                .as_str()
                .unwrap_or("queued in revloop's outbox (no CRM configured)")
        ));
        payload["handoff"] = handed;
        record(&*self.store, action, key, "ticket_escalated", payload, now).await
    }

    /// Withdraws the task; the notice the role received stays sent, as the result says.
    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let task = self.handoff.undo(action, key, now).await?;
        record(
            &*self.store,
            action,
            &format!("{key}/compensate"),
            "escalation_withdrawn",
            json!({ "task": task.kind, "notice": "sent already; it cannot be unsent" }),
            now,
        )
        .await
    }
}
