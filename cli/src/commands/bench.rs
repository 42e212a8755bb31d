//! `revloop bench perception`: generated records through normalize → diff → detect on an
//! embedded store, then again with a fraction of them changed (as a delta pull delivers only
//! what changed), reporting throughput, peak memory and the cost of the delta run.

use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use indicatif::ProgressBar;
use revloop_activities::pipeline::{detect_changes, normalize_batch};
use revloop_cli::seed::{SeedOptions, generate};
use revloop_domain::signals::SignalConfig;
use revloop_store::{Evidence, EvidenceStore, Provenance, SqliteStore};
use serde_json::{Value, json};

use super::print_json;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    Perception {
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// Percentage of records changed for the delta run.
        #[arg(long, default_value_t = 1.0)]
        changed_pct: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
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

async fn run_batch(
    store: &SqliteStore,
    lines: &[String],
    source: &str,
) -> anyhow::Result<(f64, usize, usize)> {
    let now = Utc::now();
    let mut content = lines.join("\n");
    content.push('\n');
    let provenance = Provenance {
        source: source.into(),
        connector: "bench".into(),
        fetched_at: now,
        cursor: None,
        trust_class: "crm".into(),
    };
    let evidence = Evidence::new("bench", content.into_bytes(), provenance);
    let start = Instant::now();
    store.put_evidence(&evidence).await?;
    let normalized = normalize_batch(store, "bench", &evidence.evidence_id, now).await?;
    let detected = detect_changes(
        store,
        "bench",
        &normalized.changes,
        now,
        &SignalConfig::default(),
    )
    .await?;
    Ok((
        start.elapsed().as_secs_f64(),
        normalized.changes.len(),
        detected.new_signals.len(),
    ))
}

pub async fn run(cmd: &BenchCommand, json_out: bool) -> anyhow::Result<i32> {
    let BenchCommand::Perception {
        records,
        changed_pct,
        seed,
    } = cmd;
    anyhow::ensure!(
        *changed_pct > 0.0 && *changed_pct <= 100.0,
        "--changed-pct must be in (0, 100]"
    );
    let spinner = ProgressBar::new_spinner();
    spinner.set_message("generating records");
    // About 150 records per account at 60 days of history.
    let accounts = records.div_ceil(150).max(1);
    let mut generated = generate(
        &SeedOptions {
            accounts,
            days: 60,
            seed: *seed,
            now: Utc::now(),
        },
        || spinner.tick(),
    )?;
    generated.records.truncate(*records);
    let dir = std::env::temp_dir().join(format!("revloop-bench-{}", std::process::id()));
    let store = SqliteStore::open(dir.join("bench.db")).context("opening the bench store")?;

    spinner.set_message(format!("full run: {} records", generated.records.len()));
    let (full_secs, full_changed, full_signals) =
        run_batch(&store, &generated.records, "full").await?;
    let peak = peak_rss_mib();

    // The delta: every n-th record with a later updated_at, as a cursor-based pull delivers it.
    let every = (100.0 / changed_pct).round().max(1.0) as usize;
    let later = Utc::now().to_rfc3339();
    let delta: Vec<String> = generated
        .records
        .iter()
        .step_by(every)
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            record["updated_at"] = json!(later);
            record.to_string()
        })
        .collect();
    spinner.set_message(format!("delta run: {} records", delta.len()));
    let (delta_secs, delta_changed, delta_signals) = run_batch(&store, &delta, "delta").await?;
    spinner.finish_and_clear();
    let _ = std::fs::remove_dir_all(&dir);

    let report = json!({
        "records": generated.records.len(),
        "accounts": accounts,
        "full_seconds": full_secs,
        "records_per_second": generated.records.len() as f64 / full_secs,
        "full_changed": full_changed,
        "full_new_signals": full_signals,
        "peak_rss_mib": peak,
        "delta_records": delta.len(),
        "delta_changed": delta_changed,
        "delta_new_signals": delta_signals,
        "delta_seconds": delta_secs,
        "delta_cost_pct": delta_secs / full_secs * 100.0,
    });
    if json_out {
        print_json(&report)?;
    } else {
        println!(
            "perception: {} records, {} accounts",
            generated.records.len(),
            accounts
        );
        println!(
            "  full run:  {full_secs:.2} s, {:.0} records/s, peak memory {:.0} MiB",
            generated.records.len() as f64 / full_secs,
            peak.unwrap_or(0.0)
        );
        println!(
            "  delta run: {} records changed, {delta_secs:.2} s = {:.1} % of the full run",
            delta.len(),
            delta_secs / full_secs * 100.0
        );
    }
    Ok(0)
}
