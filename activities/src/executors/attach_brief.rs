//! Attaches the stored meeting brief to the meeting it was prepared for.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::json;

use super::{ActionExecutor, ExecutorError, param, record};

pub struct AttachBriefExecutor {
    store: Arc<dyn Store>,
}

impl AttachBriefExecutor {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl ActionExecutor for AttachBriefExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::AttachBrief
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let artifact_key = param(action, "artifact_key")?;
        let meeting_id = param(action, "meeting_id")?;
        if self
            .store
            .get_artifact(&action.tenant_id, artifact_key)
            .await?
            .is_none()
        {
            return Err(ExecutorError::Invalid(format!(
                "brief {artifact_key} does not exist"
            )));
        }
        record(
            &*self.store,
            action,
            key,
            "brief_attached",
            json!({ "artifact_key": artifact_key, "meeting_id": meeting_id }),
            now,
        )
        .await
    }

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
            "brief_detached",
            json!({ "meeting_id": param(action, "meeting_id")? }),
            now,
        )
        .await
    }
}
