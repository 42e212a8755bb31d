//! Request pacing for pull connectors. A connector's scheduled runs never overlap (the schedule
//! skips a run while one is going), so pacing the requests of one run is a rate limit for the
//! connector as a whole, however many workers there are.

use std::time::Duration;

use tokio::time::Instant;

pub struct Pacer {
    interval: Option<Duration>,
    last: Option<Instant>,
}

impl Pacer {
    /// `None` or 0 means unlimited.
    pub fn new(max_requests_per_second: Option<f64>) -> Self {
        let interval = max_requests_per_second
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        Self {
            interval,
            last: None,
        }
    }

    /// Waits until the next request is allowed.
    pub async fn ready(&mut self) {
        if let (Some(interval), Some(last)) = (self.interval, self.last) {
            tokio::time::sleep_until(last + interval).await;
        }
        self.last = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_the_rate() {
        let mut pacer = Pacer::new(Some(4.0));
        let start = Instant::now();
        for _ in 0..5 {
            pacer.ready().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(1000),
            "4 gaps of 250 ms"
        );
        let mut free = Pacer::new(None);
        let start = Instant::now();
        for _ in 0..5 {
            free.ready().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
