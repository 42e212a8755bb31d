//! `revloop bench decision`: the decision loop on a dev server (Temporal, worker, API), against
//! Temporal's own cost. A generated tenant of N accounts is ingested; every decision it causes
//! is timed (start to close, and from the signal it answers to its proposals being routed), its
//! activities counted (its own and those of the action workflows it awaited) and its history
//! measured. Then N CalibrationWorkflows, each with as many no-op activities as the median
//! decision ran, run at once the same way; the ratio of the medians is the loop's cost over
//! Temporal's.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use revloop_cli::devserver::temporal_cli;
use revloop_proto::v1 as pb;
use serde_json::{Value, json};

use super::Latencies;
use super::dev_loop::DevLoop;

/// A workflow's history: its JSON size, its activities, and the action workflows it started.
fn history(
    bin: &std::path::Path,
    address: &str,
    id: &str,
) -> anyhow::Result<(usize, usize, Vec<String>)> {
    let out = temporal_cli(
        bin,
        address,
        &["workflow", "show", "--workflow-id", id, "-o", "json"],
    )?;
    let parsed: Value = serde_json::from_str(&out)?;
    let events = parsed["events"].as_array().cloned().unwrap_or_default();
    let activities = events
        .iter()
        .filter(|e| e.get("activityTaskScheduledEventAttributes").is_some())
        .count();
    let children = events
        .iter()
        .filter_map(|e| {
            e["startChildWorkflowExecutionInitiatedEventAttributes"]["workflowId"].as_str()
        })
        .filter(|w| w.contains("/action/"))
        .map(str::to_string)
        .collect();
    Ok((out.len(), activities, children))
}

fn median(mut v: Vec<usize>) -> usize {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

pub async fn run(accounts: usize, seed: u64, json_out: bool) -> anyhow::Result<i32> {
    let mut dev = DevLoop::start().await?;
    let outcome = measure(&mut dev, accounts, seed).await;
    dev.finish(outcome, json_out)
}

async fn measure(dev: &mut DevLoop, accounts: usize, seed: u64) -> anyhow::Result<Value> {
    let loop_seconds = dev.run_generated(accounts, seed).await?;
    let (bin, address) = (dev.bin.clone(), dev.address.clone());
    let (bin, address) = (bin.as_path(), address.as_str());
    let client = &mut dev.client;

    // Each account's signals: a decision answers the newest one detected before it started.
    let signals = client
        .signals
        .list_signals(pb::ListSignalsRequest::default())
        .await?
        .into_inner()
        .signals;
    let mut detected: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    for s in signals {
        if let Ok(at) = s.detected_at.parse() {
            detected.entry(s.account_id).or_default().push(at);
        }
    }
    let decisions = dev.closed_of("DecisionWorkflow")?;
    anyhow::ensure!(!decisions.is_empty(), "no decision completed");
    let (mut durations, mut latencies) = (Latencies::new(), Latencies::new());
    let (mut activities, mut bytes) = (Vec::new(), Vec::new());
    for d in &decisions {
        durations.push((d.closed - d.started).to_std().unwrap_or_default());
        let account =
            d.id.rsplit_once("/decision/")
                .and_then(|(_, rest)| rest.rsplit_once('-'))
                .map(|(a, _)| a.to_string())
                .unwrap_or_default();
        if let Some(at) = detected
            .get(&account)
            .and_then(|all| all.iter().filter(|t| **t <= d.started).max())
        {
            latencies.push((d.closed - *at).to_std().unwrap_or_default());
        }
        let (size, own, children) = history(bin, address, &d.id)?;
        let mut total = own;
        for child in children {
            total += history(bin, address, &child)?.1;
        }
        activities.push(total);
        bytes.push(size);
    }
    let per_decision = median(activities.clone());

    // The same number of workflows, each with as many no-op activities, at once.
    for i in 0..decisions.len() {
        temporal_cli(
            bin,
            address,
            &[
                "workflow",
                "start",
                "--type",
                "CalibrationWorkflow",
                "--task-queue",
                "revloop",
                "--workflow-id",
                &format!("bench/calibration/{i}"),
                "--input",
                &per_decision.to_string(),
            ],
        )?;
    }
    dev.wait_until_idle(Duration::from_secs(900)).await?;
    let mut calibration = Latencies::new();
    for c in dev.closed_of("CalibrationWorkflow")? {
        calibration.push((c.closed - c.started).to_std().unwrap_or_default());
    }
    let ratio = durations.percentile_ms(50.0) / calibration.percentile_ms(50.0).max(0.001);
    Ok(json!({
        "accounts": accounts,
        "seed": seed,
        "decisions": decisions.len(),
        "loop_seconds": loop_seconds,
        "activities_per_decision_median": per_decision,
        "decision_workflow": durations.report(),
        "calibration_workflow": calibration.report(),
        "ratio_p50": ratio,
        "signal_to_proposals": latencies.report(),
        "history_json_bytes_per_decision_median": median(bytes),
    }))
}
