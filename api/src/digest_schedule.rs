//! Periodic ledger digests: each tenant gets a Temporal Schedule that starts a
//! `LedgerDigestWorkflow` every `REVLOOP_LEDGER_DIGEST_EVERY_SECS`. The API makes sure the
//! schedule exists the first time it sees the tenant (per process; an existing schedule is
//! left as it is), so a tenant is covered from its first ingest on.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use revloop_activities::ledger_digest::LedgerDigestInput;
use revloop_activities::workflow_ids;
use revloop_workflows::LedgerDigestWorkflow;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};

use crate::server::AppState;

/// The tenants this process has already ensured a schedule for.
#[derive(Default)]
pub struct DigestSchedules {
    ensured: Mutex<HashSet<String>>,
}

impl DigestSchedules {
    /// The set, also after a panic elsewhere while it was held: it is only a cache of what
    /// Temporal already has, so its contents stay usable.
    fn ensured(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.ensured
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub fn schedule_id(tenant: &str) -> String {
    workflow_ids::ledger_digest(tenant)
}

/// Creates the tenant's digest schedule unless this process already did, or it exists.
/// Failing to reach Temporal here does not fail the caller's request: the next one retries.
pub async fn ensure(state: &AppState, tenant: &str) {
    let Some(every) = state.ledger_digest_every else {
        return;
    };
    if !state.digest_schedules.ensured().insert(tenant.to_string()) {
        return;
    }
    let options = CreateScheduleOptions::builder()
        .action(ScheduleAction::start_workflow(
            LedgerDigestWorkflow::run,
            LedgerDigestInput {
                tenant_id: tenant.to_string(),
            },
            state.task_queue.clone(),
            workflow_ids::ledger_digest(tenant),
        ))
        .spec(ScheduleSpec::from_interval(every))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note(format!("signed ledger digests of {tenant}"))
        .build();
    match state
        .temporal
        .create_schedule(schedule_id(tenant), options)
        .await
    {
        Ok(_) => {
            tracing::info!(tenant_id = %tenant, every_secs = every.as_secs(), "ledger digest schedule created")
        }
        Err(ScheduleError::Rpc(status)) if status.code() == tonic::Code::AlreadyExists => {}
        Err(e) => {
            tracing::warn!(tenant_id = %tenant, error = %e, "could not create the ledger digest schedule; will retry");
            state.digest_schedules.ensured().remove(tenant);
        }
    }
}

/// `REVLOOP_LEDGER_DIGEST_EVERY_SECS`: 0 turns periodic digests off.
pub fn interval(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}
