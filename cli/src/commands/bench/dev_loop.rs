//! What the loop benches share: a dev server, a worker and an API on a fresh store, an admin
//! client of the bench tenant, a generated tenant ingested, and reading Temporal's own record
//! of which workflows ran and when.

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
use serde_json::Value;

use crate::commands::ingest::Chunks;
use crate::commands::print_json;

pub const TENANT: &str = "bench";

pub struct DevLoop {
    pub dir: tempfile::TempDir,
    pub bin: std::path::PathBuf,
    pub address: String,
    pub client: ApiClient,
    server: DevServer,
    worker: ManagedChild,
    api: ManagedChild,
}

impl DevLoop {
    /// Starts the three processes and waits for the API; the bench tenant gets the generated
    /// tenant's config.
    pub async fn start() -> anyhow::Result<DevLoop> {
        let dir = tempfile::tempdir()?;
        let bin = find_temporal_bin()?;
        let server = DevServer::start(&DevServerOptions {
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
        let worker =
            ManagedChild::spawn("revloop-worker", worker_cmd, &dir.path().join("worker.log"))?;
        let mut api_cmd = Command::new(sibling_binary("revloop-api")?);
        env(&mut api_cmd);
        api_cmd.env("REVLOOP_API_LISTEN", &api_listen);
        let mut api = ManagedChild::spawn("revloop-api", api_cmd, &dir.path().join("api.log"))?;
        let token = token::mint(&secret, TENANT, "bench", &[Role::Admin], 3600)?;
        let client = ApiClient::connect_when_ready(
            &format!("http://{api_listen}"),
            &token,
            Duration::from_secs(60),
            || !api.has_exited(),
        )
        .await
        .with_context(|| format!("logs: {}", dir.path().display()))?;
        let mut dev = DevLoop {
            dir,
            bin,
            address,
            client,
            server,
            worker,
            api,
        };
        dev.client
            .tenants
            .set_tenant_config(pb::SetTenantConfigRequest {
                tenant_id: TENANT.into(),
                config_toml: tenant_toml(),
            })
            .await?;
        Ok(dev)
    }

    /// Stops the processes and prints the bench's report; a failed bench names its logs.
    pub fn finish(mut self, outcome: anyhow::Result<Value>, json_out: bool) -> anyhow::Result<i32> {
        let logs = self.dir.path().display().to_string();
        self.api.stop();
        self.worker.stop();
        self.server.stop();
        let report = outcome.with_context(|| format!("logs: {logs}"))?;
        if json_out {
            print_json(&report)?;
        } else {
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Ok(0)
    }

    /// Ingests a generated tenant of `accounts` (its earlier versions, then its records) and
    /// waits until the loop has settled; returns how long that took.
    pub async fn run_generated(&mut self, accounts: usize, seed: u64) -> anyhow::Result<f64> {
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
        // The earlier versions settle first, so the records are diffed against them; each set
        // goes in chunks under one trace, as `revloop ingest` sends a file.
        for lines in [&generated.previous, &generated.records] {
            let text = lines.join("\n");
            let mut trace_id = String::new();
            for chunk in Chunks::new(std::io::Cursor::new(text)) {
                let (first_line, jsonl, _) = chunk?;
                let response = self
                    .client
                    .ingest
                    .ingest_records(pb::IngestRecordsRequest {
                        tenant_id: TENANT.into(),
                        jsonl,
                        source: "crm".into(),
                        trace_id: trace_id.clone(),
                        first_line: first_line as u32,
                    })
                    .await?
                    .into_inner();
                trace_id = response.trace_id;
            }
            self.wait_until_idle(Duration::from_secs(900)).await?;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    /// Waits until no perception, decision, action or calibration workflow runs (three quiet
    /// looks a second apart).
    pub async fn wait_until_idle(&self, limit: Duration) -> anyhow::Result<()> {
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
            .map(|t| self.running(t))
            .sum::<anyhow::Result<usize>>()?;
            quiet = if busy == 0 { quiet + 1 } else { 0 };
        }
        Ok(())
    }

    fn running(&self, workflow_type: &str) -> anyhow::Result<usize> {
        let query = format!("WorkflowType='{workflow_type}' AND ExecutionStatus='Running'");
        let out = temporal_cli(
            &self.bin,
            &self.address,
            &["workflow", "count", "--query", &query],
        )?;
        Ok(out
            .split_whitespace()
            .filter_map(|w| w.parse::<usize>().ok())
            .next()
            .unwrap_or(0))
    }

    /// Every completed workflow of a type, as `temporal workflow list` reports it.
    pub fn closed_of(&self, workflow_type: &str) -> anyhow::Result<Vec<Closed>> {
        let query = format!("WorkflowType='{workflow_type}' AND ExecutionStatus='Completed'");
        let out = temporal_cli(
            &self.bin,
            &self.address,
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
}

/// One closed workflow.
pub struct Closed {
    pub id: String,
    pub started: DateTime<Utc>,
    pub closed: DateTime<Utc>,
}
