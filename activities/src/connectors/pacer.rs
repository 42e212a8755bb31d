//! Request pacing per connector. One connector's requests, its pulls and the write-backs that go
//! through it alike, take turns: a turn waits until the previous request of that connector has
//! finished and its interval has passed, so the system behind it never sees two requests closer
//! than `1 / max_requests_per_second`, measured at its end.
//!
//! Pacing is per worker process. A connector's scheduled pulls never overlap (the schedule
//! skips a run while one is going); write-backs from several workers each keep the rate, so with
//! N workers the worst case is N times it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;

/// When one connector's last request finished; held for the length of a request.
type Slot = Arc<AsyncMutex<Option<Instant>>>;

/// When each connector's last request finished; cloned handles share it.
#[derive(Debug, Clone, Default)]
pub struct Pacers {
    slots: Arc<Mutex<HashMap<String, Slot>>>,
}

/// One request's turn: the next turn of the same connector waits for this one to be dropped.
pub struct Turn {
    finished: OwnedMutexGuard<Option<Instant>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        *self.finished = Some(Instant::now());
    }
}

impl Pacers {
    /// Waits for the connector's turn. `None` or 0 requests per second means unlimited (no turn).
    pub async fn turn(
        &self,
        tenant_id: &str,
        connector_id: &str,
        max_requests_per_second: Option<f64>,
    ) -> Option<Turn> {
        let interval = max_requests_per_second
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r))?;
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(format!("{tenant_id}/{connector_id}"))
            .or_default()
            .clone();
        let finished = slot.lock_owned().await;
        if let Some(last) = *finished {
            tokio::time::sleep_until(last + interval).await;
        }
        Some(Turn { finished })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_from_the_end_of_the_previous_one() {
        let pacers = Pacers::default();
        let start = Instant::now();
        for _ in 0..5 {
            let _turn = pacers.turn("t", "crm", Some(4.0)).await;
            // The request itself takes 100 ms: the gap is counted from its end.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(4 * 250 + 5 * 100));
        let start = Instant::now();
        for _ in 0..5 {
            assert!(pacers.turn("t", "free", None).await.is_none());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connector_shared_by_two_callers_keeps_one_rate_and_others_are_not_held() {
        let pacers = Pacers::default();
        let first = pacers.turn("t", "crm", Some(2.0)).await.unwrap();
        let start = Instant::now();
        let other = pacers.clone();
        let waiting = tokio::spawn(async move {
            let _turn = other.turn("t", "crm", Some(2.0)).await;
            Instant::now()
        });
        // Another connector (or tenant) is not held by this one.
        assert!(pacers.turn("u", "crm", Some(2.0)).await.is_some());
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(first);
        let second_at = waiting.await.unwrap();
        assert_eq!(second_at - start, Duration::from_millis(300 + 500));
    }
}
