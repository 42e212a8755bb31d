//! `revloop bench …`: the speed and memory targets, measured on an embedded store with
//! generated data. Timed runs live here, never in tests.

mod approval;
mod decision;
mod dev_loop;
mod perception;
mod world;

use std::time::Duration;

use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Approval → execution latency on a dev server: every customer-facing action a generated
    /// tenant proposes is approved through the API, and timed until its effect is recorded.
    Approval {
        #[arg(long, default_value_t = 30)]
        accounts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The decision loop on a dev server for a generated tenant, against a no-op workflow with
    /// as many activities: the ratio, signal → proposals latency, history bytes per decision.
    Decision {
        #[arg(long, default_value_t = 20)]
        accounts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Normalize → diff → detect over generated records, then a delta run.
    Perception {
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// Percentage of records changed for the delta run.
        #[arg(long, default_value_t = 1.0)]
        changed_pct: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many delta runs to time; the median is reported.
        #[arg(long, default_value_t = 3)]
        delta_runs: usize,
    },
    /// The world model of a generated tenant: account-state reads (cold, warm, after a new
    /// snapshot, as of the past), snapshot creation and memory search.
    World {
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// Days of history per account (at least 42).
        #[arg(long, default_value_t = 42)]
        days: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Timed reads per measurement (warm, time travel, memory search).
        #[arg(long, default_value_t = 20_000)]
        reads: usize,
        /// Accounts changed one at a time, each read right after its new snapshot.
        #[arg(long, default_value_t = 300)]
        changes: usize,
    },
}

pub async fn run(cmd: &BenchCommand, json_out: bool) -> anyhow::Result<i32> {
    match cmd {
        BenchCommand::Approval { accounts, seed } => {
            approval::run(*accounts, *seed, json_out).await
        }
        BenchCommand::Decision { accounts, seed } => {
            decision::run(*accounts, *seed, json_out).await
        }
        BenchCommand::Perception {
            records,
            changed_pct,
            seed,
            delta_runs,
        } => perception::run(records, changed_pct, seed, delta_runs, json_out).await,
        BenchCommand::World {
            accounts,
            days,
            seed,
            reads,
            changes,
        } => {
            world::run(
                &world::WorldBench {
                    accounts: *accounts,
                    days: *days,
                    seed: *seed,
                    reads: *reads,
                    changes: *changes,
                },
                json_out,
            )
            .await
        }
    }
}

/// Peak resident memory of this process so far (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Latencies of one kind of call, summarized.
struct Latencies(Vec<Duration>);

impl Latencies {
    fn new() -> Self {
        Self(Vec::new())
    }

    fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    /// The latency below which `p` percent of the calls finished (nearest rank), in ms.
    fn percentile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort();
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn report(&self) -> Value {
        json!({
            "calls": self.0.len(),
            "p50_ms": self.percentile_ms(50.0),
            "p99_ms": self.percentile_ms(99.0),
            "max_ms": self.percentile_ms(100.0),
        })
    }

    fn line(&self) -> String {
        format!(
            "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} calls",
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0),
            self.0.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::new();
        for ms in 1..=100 {
            l.push(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile_ms(50.0), 50.0);
        assert_eq!(l.percentile_ms(99.0), 99.0);
        assert_eq!(l.percentile_ms(100.0), 100.0);
        assert_eq!(Latencies::new().percentile_ms(99.0), 0.0);
    }
}
