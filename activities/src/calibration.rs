//! The calibration activity `revloop bench decision` compares the decision loop with: it does
//! nothing, so a workflow of N of them costs exactly what Temporal's scheduling of N
//! activities costs on this deployment.

use std::sync::Arc;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct CalibrationActivities;

#[activities]
impl CalibrationActivities {
    /// Returns its input.
    #[activity]
    pub async fn noop(
        self: Arc<Self>,
        _ctx: ActivityContext,
        n: u32,
    ) -> Result<u32, ActivityError> {
        Ok(n)
    }
}
