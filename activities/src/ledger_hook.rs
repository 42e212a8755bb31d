//! Appends an activity's result to the ledger, once per completed activity.
//!
//! The idempotency key is (workflow id, run id, activity id): Temporal keeps the activity id
//! across retries, so a retry that completes after an earlier attempt already appended finds the
//! entry and appends nothing. Call this as the activity's last step, after every side effect, so
//! an entry exists only for an activity that is about to complete.

use chrono::Utc;
use revloop_domain::ledger::{LedgerEntry, LedgerKind, NewLedgerEntry};
use revloop_store::Store;
use serde::Serialize;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::error;

pub struct LedgerRecord<'a, T: Serialize> {
    pub tenant_id: &'a str,
    pub trace_id: &'a str,
    pub kind: LedgerKind,
    pub snapshot_ref: Option<String>,
    pub result: &'a T,
}

pub async fn record<T: Serialize>(
    store: &dyn Store,
    ctx: &ActivityContext,
    entry: LedgerRecord<'_, T>,
) -> Result<LedgerEntry, ActivityError> {
    let info = ctx.info();
    let workflow_id = info.workflow_id.clone().unwrap_or_default();
    let run_id = info.workflow_run_id.clone().unwrap_or_default();
    let payload = serde_json::to_value(entry.result)?;
    let new = NewLedgerEntry {
        tenant_id: entry.tenant_id.to_string(),
        idempotency_key: format!("{workflow_id}/{run_id}/{}", info.activity_id),
        at: Utc::now(),
        trace_id: entry.trace_id.to_string(),
        workflow_id,
        run_id,
        activity: info.activity_type.clone(),
        kind: entry.kind,
        snapshot_ref: entry.snapshot_ref,
        payload,
    };
    let entry = store.append(new).await.map_err(error::store)?;
    crate::metrics::activity_completed(&info.activity_type);
    Ok(entry)
}

/// The idempotency key executors use for the current activity.
pub fn idempotency_key(ctx: &ActivityContext) -> String {
    let info = ctx.info();
    format!(
        "{}/{}",
        info.workflow_id.clone().unwrap_or_default(),
        info.activity_id
    )
}
