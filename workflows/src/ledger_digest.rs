//! LedgerDigestWorkflow: one digest of one tenant's ledger. Each tenant's schedule
//! (`{tenant}/schedule/ledger-digest`, hourly) starts it, so digests are periodic and every run
//! is in the Web UI; a broken chain fails the run instead of being signed.

use revloop_activities::ledger_digest::{
    LedgerDigestActivities, LedgerDigestInput, LedgerDigestOutput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::common::activity_options;

#[workflow]
pub struct LedgerDigestWorkflow {
    input: LedgerDigestInput,
}

#[workflow_methods]
impl LedgerDigestWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: LedgerDigestInput) -> Self {
        Self { input }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<LedgerDigestOutput> {
        let input = ctx.state(|s| s.input.clone());
        Ok(ctx
            .execute_activity(
                LedgerDigestActivities::digest_ledger,
                input,
                activity_options(),
            )
            .await?)
    }
}
