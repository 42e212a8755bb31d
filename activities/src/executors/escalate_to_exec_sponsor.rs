//! Writes to the customer's executive sponsor about an escalated ticket (customer-facing: only
//! after approval), sent as every customer email is (`email.rs`), and hands the escalation to
//! our executive sponsor: notified, with a task to follow it (`handoff.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};

use super::email::EmailExecutor;
use super::handoff::Handoff;
use super::{ActionExecutor, ExecutorError};
use crate::crm::CrmWriteBack;
use crate::smtp::SmtpSender;

/// The role inside the company that follows a customer executive's escalation.
const ROLE: &str = "exec_sponsor";

pub struct EscalateToExecSponsorExecutor {
    email: EmailExecutor,
    handoff: Handoff,
}

impl EscalateToExecSponsorExecutor {
    pub fn new(
        store: Arc<dyn Store>,
        smtp: SmtpSender,
        crm: CrmWriteBack,
        settings: crate::Settings,
    ) -> Self {
        let kind = ActionKind::EscalateToExecSponsor;
        Self {
            email: EmailExecutor::new(store.clone(), smtp, kind, &["contact_id"]),
            handoff: Handoff::new(store, crm, settings, kind),
        }
    }
}

#[async_trait]
impl ActionExecutor for EscalateToExecSponsorExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::EscalateToExecSponsor
    }

    /// The email first (its effect is the action's), then the hand-off; a retry finds both
    /// done and repeats neither.
    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let (mut effect, created) = self.email.execute(action, key, now).await?;
        effect.payload["handoff"] = self.handoff.run(action, key, ROLE, now).await?;
        Ok((effect, created))
    }

    /// A queued email is withdrawn and the task with it; a delivered email cannot be unsent,
    /// and then nothing is undone.
    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let (mut effect, created) = self.email.compensate(action, key, now).await?;
        let task = self.handoff.undo(action, key, now).await?;
        effect.payload["task"] = serde_json::json!(task.kind);
        Ok((effect, created))
    }
}
