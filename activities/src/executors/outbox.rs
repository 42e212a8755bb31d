//! The executor shape of every kind whose effect, until a real system is configured, is a row
//! in revloop's own outbox: check the catalog's required parameters, record the effect once
//! under the action's key, and record its withdrawal as the compensation. Each kind's file says
//! what its effect is called and which optional parameters it keeps.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::json;

use super::{ActionExecutor, ExecutorError, record, required_payload};

/// What one kind's outbox effect is.
pub struct OutboxSpec {
    pub kind: ActionKind,
    /// The effect's name (`note_logged`, `email_queued`, …).
    pub effect: &'static str,
    /// The compensation's effect name.
    pub withdrawn: &'static str,
    /// Parameters kept when present, beyond the required ones.
    pub optional: &'static [&'static str],
    /// What is missing for the effect to leave revloop (`no CRM configured`): the action's
    /// result says it is queued in revloop's outbox for that reason.
    pub unconfigured: &'static str,
}

pub struct OutboxExecutor {
    store: Arc<dyn Store>,
    spec: OutboxSpec,
}

impl OutboxExecutor {
    pub fn new(store: Arc<dyn Store>, spec: OutboxSpec) -> Self {
        Self { store, spec }
    }
}

#[async_trait]
impl ActionExecutor for OutboxExecutor {
    fn kind(&self) -> ActionKind {
        self.spec.kind
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let mut payload = required_payload(action, self.spec.optional)?;
        payload["delivery"] = json!(format!(
            "queued in revloop's outbox ({})",
            self.spec.unconfigured
        ));
        record(&*self.store, action, key, self.spec.effect, payload, now).await
    }

    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let payload = required_payload(action, self.spec.optional)?;
        record(
            &*self.store,
            action,
            &format!("{key}/compensate"),
            self.spec.withdrawn,
            payload,
            now,
        )
        .await
    }
}
