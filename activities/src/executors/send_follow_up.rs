//! Queues a follow-up email in revloop's outbox, from which the tenant's mailer sends it.
//! Customer-facing: the workflow only gets here after a person approved it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::json;

use super::{ActionExecutor, ExecutorError, param, record};

pub struct SendFollowUpExecutor {
    store: Arc<dyn Store>,
}

impl SendFollowUpExecutor {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl ActionExecutor for SendFollowUpExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::SendFollowUp
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let to = param(action, "to")?;
        if !to.contains('@') {
            return Err(ExecutorError::Invalid(format!(
                "action {}: {to:?} is not an email address",
                action.action_id
            )));
        }
        let payload = json!({ "to": to, "subject": param(action, "subject")?, "body": param(action, "body")? });
        record(&*self.store, action, key, "email_queued", payload, now).await
    }

    /// A queued email cannot be unsent once the mailer picked it up; compensation records that
    /// it must be withdrawn if still queued.
    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        record(
            &*self.store,
            action,
            &format!("{key}/compensate"),
            "email_withdrawn",
            json!({ "to": param(action, "to")? }),
            now,
        )
        .await
    }
}
