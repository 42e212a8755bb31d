//! `revloop bench perception`: generated records through normalize → diff → detect on an
//! embedded store, then again with a fraction of them changed (as a delta pull delivers only
//! what changed), reporting throughput, peak memory and the cost of the delta run.

use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use indicatif::ProgressBar;
use revloop_activities::pipeline::{detect_changes, normalize_batch};
use revloop_activities::records_cache::AccountRecordsCache;
use revloop_cli::seed::{SeedOptions, generate};
use revloop_domain::signals::SignalConfig;
use revloop_store::{Evidence, EvidenceStore, Provenance, SqliteStore};
use serde_json::{Value, json};

use super::peak_rss_mib;
use crate::commands::print_json;

/// What one batch through the pipeline cost and produced.
struct BatchRun {
    seconds: f64,
    normalize_seconds: f64,
    changed: usize,
    new_signals: usize,
}

async fn run_batch(
    store: &SqliteStore,
    records: &AccountRecordsCache,
    lines: &[String],
    source: &str,
) -> anyhow::Result<BatchRun> {
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
    let normalize_secs = start.elapsed().as_secs_f64();
    let detected = detect_changes(
        store,
        records,
        "bench",
        &normalized.changes,
        now,
        &SignalConfig::default(),
    )
    .await?;
    Ok(BatchRun {
        seconds: start.elapsed().as_secs_f64(),
        normalize_seconds: normalize_secs,
        changed: normalized.changes.len(),
        new_signals: detected.new_signals.len(),
    })
}

pub async fn run(
    records: &usize,
    changed_pct: &f64,
    seed: &u64,
    delta_runs: &usize,
    json_out: bool,
) -> anyhow::Result<i32> {
    anyhow::ensure!(*delta_runs >= 1, "--delta-runs must be at least 1");
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
    // One worker's cache across the runs, as consecutive batches of a tenant find it.
    let cache = AccountRecordsCache::default();
    let full = run_batch(&store, &cache, &generated.records, "full").await?;
    let peak = peak_rss_mib();

    // Each delta run: every n-th record with a later updated_at, as a cursor-based pull
    // delivers it. The runs repeat so one scheduling hiccup does not decide the ratio.
    let every = (100.0 / changed_pct).round().max(1.0) as usize;
    let mut deltas = Vec::with_capacity(*delta_runs);
    let mut delta_records = 0;
    for run in 0..*delta_runs {
        let later = (Utc::now() + chrono::Duration::seconds(run as i64 + 1)).to_rfc3339();
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
        delta_records = delta.len();
        spinner.set_message(format!(
            "delta run {}/{delta_runs}: {} records",
            run + 1,
            delta.len()
        ));
        deltas.push(run_batch(&store, &cache, &delta, &format!("delta-{run}")).await?);
    }
    spinner.finish_and_clear();
    let _ = std::fs::remove_dir_all(&dir);
    deltas.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let delta = &deltas[deltas.len() / 2];
    let delta_pct = delta.seconds / full.seconds * 100.0;
    let records_per_second = generated.records.len() as f64 / full.seconds;

    let report = json!({
        "records": generated.records.len(),
        "accounts": accounts,
        "full_seconds": full.seconds,
        "full_normalize_seconds": full.normalize_seconds,
        "records_per_second": records_per_second,
        "full_changed": full.changed,
        "full_new_signals": full.new_signals,
        "peak_rss_mib": peak,
        "delta_runs": deltas.len(),
        "delta_records": delta_records,
        "delta_changed": delta.changed,
        "delta_new_signals": delta.new_signals,
        "delta_seconds": delta.seconds,
        "delta_normalize_seconds": delta.normalize_seconds,
        "delta_seconds_all": deltas.iter().map(|d| d.seconds).collect::<Vec<_>>(),
        "delta_cost_pct": delta_pct,
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
            "  full run:  {:.2} s (normalize + diff {:.2} s), {records_per_second:.0} records/s, peak memory {:.0} MiB",
            full.seconds,
            full.normalize_seconds,
            peak.unwrap_or(0.0)
        );
        println!(
            "  delta run: {delta_records} records changed, median of {} runs {:.2} s (normalize + diff {:.2} s) = {delta_pct:.1} % of the full run",
            deltas.len(),
            delta.seconds,
            delta.normalize_seconds,
        );
    }
    Ok(0)
}
