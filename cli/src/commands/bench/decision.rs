//! `revloop bench decision`: the decision loop on a dev server (Temporal, worker, API), against
//! Temporal's own cost. A generated tenant of N accounts is ingested; every decision it causes
//! is timed (start to close, and from the signal it answers to its proposals being routed), its
//! activities counted (its own and those of the action workflows it awaited) and its history
//! measured. Then N CalibrationWorkflows, each with as many no-op activities as the median
//! decision ran, run at once the same way; the ratio of the medians is the loop's cost over
//! Temporal's.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use revloop_cli::client::ApiClient;
use revloop_cli::devserver::{
    DevServer, DevServerOptions, find_temporal_bin, free_port, temporal_cli,
};
use revloop_cli::procs::{ManagedChild, sibling_binary};
use revloop_cli::seed::{SeedOptions, generate, tenant_toml};
use revloop_cli::token;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use serde_json::{Value, json};

use super::Latencies;
use crate::commands::print_json;

const TENANT: &str = "bench";

/// One closed workflow, as `temporal workflow list` reports it.
struct Closed {
    id: String,
    started: DateTime<Utc>,
    closed: DateTime<Utc>,
}

fn closed_of(
    bin: &std::path::Path,
    address: &str,
    workflow_type: &str,
) -> anyhow::Result<Vec<Closed>> {
    let query = format!("WorkflowType='{workflow_type}' AND ExecutionStatus='Completed'");
    let out = temporal_cli(
        bin,
        address,
        &[
            "workflow", "list", "--query", &query, "--limit", "100000", "-o", "json",
        ],
    )?;
    let listed: Value =
        serde_json::from_str(&out).with_context(|| format!("temporal workflow list: {out}"))?;
    let time = |v: &Value| -> Option<DateTime<Utc>> { v.as_str()?.parse().ok() };
    Ok(listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            Some(Closed {
                id: w["execution"]["workflowId"].as_str()?.to_string(),
                started: time(&w["startTime"])?,
                closed: time(&w["closeTime"])?,
            })
        })
        .collect())
}

fn running(bin: &std::path::Path, address: &str, workflow_type: &str) -> anyhow::Result<usize> {
    let query = format!("WorkflowType='{workflow_type}' AND ExecutionStatus='Running'");
    let out = temporal_cli(bin, address, &["workflow", "count", "--query", &query])?;
    Ok(out
        .split_whitespace()
        .filter_map(|w| w.parse::<usize>().ok())
        .next()
        .unwrap_or(0))
}

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

async fn wait_until_idle(
    bin: &std::path::Path,
    address: &str,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    let mut quiet = 0;
    while quiet < 3 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the loop did not settle in {limit:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        let busy = [
            "PerceptionWorkflow",
            "DecisionWorkflow",
            "ActionWorkflow",
            "CalibrationWorkflow",
        ]
        .iter()
        .map(|t| running(bin, address, t))
        .sum::<anyhow::Result<usize>>()?;
        quiet = if busy == 0 { quiet + 1 } else { 0 };
    }
    Ok(())
}

fn median(mut v: Vec<usize>) -> usize {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

pub async fn run(accounts: usize, seed: u64, json_out: bool) -> anyhow::Result<i32> {
    let dir = tempfile::tempdir()?;
    let bin = find_temporal_bin()?;
    let mut server = DevServer::start(&DevServerOptions {
        temporal_bin: bin.clone(),
        port: 0,
        ui_port: None,
        db_file: None,
        namespace: "default".into(),
        log_file: dir.path().join("temporal.log"),
    })?;
    let address = server.address.clone();
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let api_listen = format!("127.0.0.1:{}", free_port()?);
    let env = |cmd: &mut Command| {
        cmd.env("TEMPORAL_ADDRESS", &address)
            .env("REVLOOP_STORE", dir.path().join("revloop.db"))
            .env("REVLOOP_JWT_SECRET", &secret)
            .env("REVLOOP_APPROVAL_KEY", &secret)
            .env("REVLOOP_DEBOUNCE_SECS", "1");
    };
    let mut worker_cmd = Command::new(sibling_binary("revloop-worker")?);
    env(&mut worker_cmd);
    let mut worker =
        ManagedChild::spawn("revloop-worker", worker_cmd, &dir.path().join("worker.log"))?;
    let mut api_cmd = Command::new(sibling_binary("revloop-api")?);
    env(&mut api_cmd);
    api_cmd.env("REVLOOP_API_LISTEN", &api_listen);
    let mut api = ManagedChild::spawn("revloop-api", api_cmd, &dir.path().join("api.log"))?;
    let outcome = measure(
        &bin,
        &address,
        &api_listen,
        &secret,
        accounts,
        seed,
        &mut api,
    )
    .await;
    api.stop();
    worker.stop();
    server.stop();
    let report = outcome.with_context(|| format!("logs: {}", dir.path().display()))?;
    if json_out {
        print_json(&report)?;
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(0)
}

async fn measure(
    bin: &std::path::Path,
    address: &str,
    api_listen: &str,
    secret: &str,
    accounts: usize,
    seed: u64,
    api: &mut ManagedChild,
) -> anyhow::Result<Value> {
    let token = token::mint(secret, TENANT, "bench", &[Role::Admin], 3600)?;
    let mut client = ApiClient::connect_when_ready(
        &format!("http://{api_listen}"),
        &token,
        Duration::from_secs(60),
        || !api.has_exited(),
    )
    .await?;
    client
        .tenants
        .set_tenant_config(pb::SetTenantConfigRequest {
            tenant_id: TENANT.into(),
            config_toml: tenant_toml(),
        })
        .await?;
    let generated = generate(
        &SeedOptions {
            accounts,
            days: 45,
            seed,
            now: Utc::now(),
        },
        || {},
    )?;
    let started = Instant::now();
    for lines in [&generated.previous, &generated.records] {
        client
            .ingest
            .ingest_records(pb::IngestRecordsRequest {
                tenant_id: TENANT.into(),
                jsonl: lines.join("\n"),
                source: "crm".into(),
                ..Default::default()
            })
            .await?;
    }
    wait_until_idle(bin, address, Duration::from_secs(900)).await?;
    let loop_seconds = started.elapsed().as_secs_f64();

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
    let decisions = closed_of(bin, address, "DecisionWorkflow")?;
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
    wait_until_idle(bin, address, Duration::from_secs(900)).await?;
    let mut calibration = Latencies::new();
    for c in closed_of(bin, address, "CalibrationWorkflow")? {
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
