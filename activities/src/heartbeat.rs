//! Long activities heartbeat while they work: a batch of any size may take minutes, and a
//! worker that dies in the middle must be noticed within the heartbeat timeout, not after the
//! start-to-close timeout.

use std::future::Future;
use std::time::Duration;

use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// How often a working activity reports that it is alive.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Runs `work`, heartbeating every [`INTERVAL`] until it finishes.
pub async fn while_working<T>(
    ctx: &ActivityContext,
    work: impl Future<Output = T>,
) -> Result<T, ActivityError> {
    tokio::pin!(work);
    let mut beat = tokio::time::interval(INTERVAL);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            _ = beat.tick() => { ctx.record_heartbeat(()).await?; }
        }
    }
}
