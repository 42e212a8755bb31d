//! The action activity: run the action's executor once, under an idempotency key.

use std::sync::Arc;

use chrono::Utc;
use revloop_domain::ledger::LedgerKind;
use revloop_store::ActionStatus;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::contracts::*;
use crate::decision::load_action;
use crate::executors::{self, ActionExecutor, ExecutorError};
use crate::ledger_hook::{LedgerRecord, idempotency_key, record};
use crate::{Deps, error};

pub struct ActionActivities {
    deps: Deps,
    executors: Vec<Box<dyn ActionExecutor>>,
}

impl ActionActivities {
    pub fn new(deps: Deps) -> Self {
        let executors = executors::builtin(deps.store.clone());
        Self { deps, executors }
    }

    pub async fn check_executors(&self) -> Result<(), ExecutorError> {
        for e in &self.executors {
            e.check().await?;
        }
        Ok(())
    }
}

#[activities]
impl ActionActivities {
    #[activity]
    pub async fn execute_action(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ActionInput,
    ) -> Result<ExecuteOutput, ActivityError> {
        let store = &*self.deps.store;
        let mut action = load_action(store, &input.tenant_id, &input.action_id).await?;
        let allowed = match action.proposal.kind.requires_approval() {
            true => matches!(
                action.status,
                ActionStatus::Approved | ActionStatus::Executed
            ),
            false => matches!(
                action.status,
                ActionStatus::Proposed | ActionStatus::Executed
            ),
        };
        if !allowed {
            return Err(error::non_retryable(
                "NotExecutable",
                format!("action {} is {}", action.action_id, action.status.as_str()),
            ));
        }
        let executor = self
            .executors
            .iter()
            .find(|e| e.kind() == action.proposal.kind)
            .ok_or_else(|| {
                error::non_retryable(
                    "NoExecutor",
                    format!("no executor for {}", action.proposal.kind.as_str()),
                )
            })?;
        let key = idempotency_key(&ctx);
        let (effect, created) = executor
            .execute(&action, &key, Utc::now())
            .await
            .map_err(|e| match e {
                ExecutorError::Invalid(m) => error::non_retryable(error::INVALID_INPUT, m),
                ExecutorError::Store(s) => error::store(s),
            })?;
        action.status = ActionStatus::Executed;
        action.result = Some(
            serde_json::json!({ "effect": effect.kind, "idempotency_key": effect.idempotency_key, "payload": effect.payload }),
        );
        action.updated_at = effect.at;
        store.save_action(&action).await.map_err(error::store)?;
        let out = ExecuteOutput {
            action_id: action.action_id.clone(),
            effect: effect.kind.clone(),
            created,
            result: effect.payload,
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Action,
                snapshot_ref: None,
                result: &out,
            },
        )
        .await?;
        Ok(out)
    }
}
