//! Creates a task for the account owner.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::json;

use super::{ActionExecutor, ExecutorError, param, record};

pub struct CreateTaskExecutor {
    store: Arc<dyn Store>,
}

impl CreateTaskExecutor {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl ActionExecutor for CreateTaskExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::CreateTask
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let params = &action.proposal.params;
        let payload = json!({
            "title": param(action, "title")?,
            "due_date": params.get("due_date"),
            "owner": params.get("owner"),
            "account_id": action.account_id,
        });
        record(&*self.store, action, key, "task_created", payload, now).await
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
            "task_cancelled",
            json!({ "title": param(action, "title")? }),
            now,
        )
        .await
    }
}
