//! Governance at the choke points, as plain functions over a store (testable without Temporal):
//! the validator gateway with one ledger entry per validator, the budget service, and outcomes.
//! Activities call these with a [`LedgerScope`] built from their context.

mod budget;
mod gateway;
mod outcomes;

pub use budget::{BudgetCall, reserve_budget, settle_budget};
pub use gateway::{dry_run, validate_action, validate_read};
pub use outcomes::{link_deal_outcomes, record_blocked, record_outcome};

use chrono::Utc;
use revloop_domain::ledger::{LedgerKind, NewLedgerEntry};
use revloop_store::{Store, StoreError};
use serde::Serialize;

/// Where ledger entries written on behalf of one activity attempt go, and the key prefix that
/// makes each of them appear once however often the activity is retried.
#[derive(Debug, Clone)]
pub struct LedgerScope {
    pub tenant_id: String,
    pub trace_id: String,
    pub workflow_id: String,
    pub run_id: String,
    pub activity: String,
    /// `{workflow_id}/{run_id}/{activity_id}`.
    pub key_prefix: String,
}

impl LedgerScope {
    pub fn from_activity(
        ctx: &temporalio_sdk::activities::ActivityContext,
        tenant_id: &str,
        trace_id: &str,
    ) -> Self {
        let info = ctx.info();
        let workflow_id = info.workflow_id.clone().unwrap_or_default();
        let run_id = info.workflow_run_id.clone().unwrap_or_default();
        Self {
            tenant_id: tenant_id.to_string(),
            trace_id: trace_id.to_string(),
            key_prefix: format!("{workflow_id}/{run_id}/{}", info.activity_id),
            workflow_id,
            run_id,
            activity: info.activity_type.clone(),
        }
    }

    /// Appends one entry under `{key_prefix}` plus `suffix` (empty: the activity's own entry);
    /// returns its sequence number.
    pub async fn append<T: Serialize>(
        &self,
        store: &dyn Store,
        suffix: &str,
        kind: LedgerKind,
        snapshot_ref: Option<String>,
        payload: &T,
    ) -> Result<u64, StoreError> {
        let payload = serde_json::to_value(payload).map_err(|e| {
            StoreError::new(
                revloop_store::StoreErrorKind::Internal,
                format!("encoding a ledger payload: {e}"),
            )
        })?;
        let entry = NewLedgerEntry {
            tenant_id: self.tenant_id.clone(),
            idempotency_key: format!("{}{suffix}", self.key_prefix),
            at: Utc::now(),
            trace_id: self.trace_id.clone(),
            workflow_id: self.workflow_id.clone(),
            run_id: self.run_id.clone(),
            activity: self.activity.clone(),
            kind,
            snapshot_ref,
            payload,
        };
        Ok(store.append(entry).await?.seq)
    }
}
