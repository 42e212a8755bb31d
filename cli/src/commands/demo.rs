//! `revloop demo`: the whole loop on a laptop. Starts a Temporal dev server (state in
//! `.revloop/temporal.db`), the worker and the API, loads a demo tenant, waits for the loop to
//! propose actions, prints them, and stops everything it started on Ctrl-C.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use revloop_cli::client::ApiClient;
use revloop_cli::devserver::{DevServer, DevServerOptions, find_temporal_bin};
use revloop_cli::output::action_line;
use revloop_cli::procs::{ManagedChild, Restartable, sibling_binary};
use revloop_cli::{fixtures, token};
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;

const DEMO_TENANT: &str = "demo";
const DEMO_DATA: &str = include_str!("../../demo/demo_tenant.jsonl");

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the demo keeps its state (store, Temporal database, logs, dev token).
    #[arg(long, env = "REVLOOP_HOME", default_value = ".revloop")]
    pub home: PathBuf,
    #[arg(long, default_value_t = 7233)]
    pub temporal_port: u16,
    #[arg(long, default_value_t = 8233)]
    pub ui_port: u16,
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub api_listen: String,
    /// Start, show the actions, and stop instead of waiting for Ctrl-C.
    #[arg(long)]
    pub exit_after_actions: bool,
}

pub fn dev_token_path() -> PathBuf {
    PathBuf::from(std::env::var("REVLOOP_HOME").unwrap_or_else(|_| ".revloop".into()))
        .join("dev-token")
}

pub async fn run(args: &DemoArgs) -> anyhow::Result<i32> {
    std::fs::create_dir_all(&args.home)
        .with_context(|| format!("creating {}", args.home.display()))?;
    let home = std::fs::canonicalize(&args.home)?;
    let temporal_bin = find_temporal_bin()?;
    println!(
        "starting the Temporal dev server on 127.0.0.1:{} …",
        args.temporal_port
    );
    let mut server = DevServer::start(&DevServerOptions {
        temporal_bin,
        port: args.temporal_port,
        ui_port: Some(args.ui_port),
        db_file: Some(home.join("temporal.db")),
        namespace: "default".into(),
        log_file: home.join("temporal.log"),
    })?;

    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let approval_key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let store = home.join("revloop.db");
    // The demo's own inbox: file perception reads `.revloop/inbox/demo/`.
    let inbox = home.join("inbox");
    std::fs::create_dir_all(inbox.join(DEMO_TENANT))?;
    let env = |cmd: &mut Command| {
        cmd.env("TEMPORAL_ADDRESS", &server.address)
            .env("TEMPORAL_NAMESPACE", "default")
            .env("REVLOOP_STORE", &store)
            .env("REVLOOP_JWT_SECRET", &secret)
            .env("REVLOOP_APPROVAL_KEY", &approval_key)
            .env("REVLOOP_INBOX_DIR", &inbox)
            .env("REVLOOP_DEBOUNCE_SECS", "2");
    };
    let worker_bin = sibling_binary("revloop-worker")?;
    let worker_env: Vec<(String, std::ffi::OsString)> = {
        let mut probe = Command::new(&worker_bin);
        env(&mut probe);
        probe
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_string_lossy().to_string(), v?.to_os_string())))
            .collect()
    };
    // A worker that dies is started again: Temporal kept its work, so nothing is lost.
    let mut worker = Restartable::spawn(
        "revloop-worker",
        move || {
            let mut cmd = Command::new(&worker_bin);
            cmd.envs(worker_env.iter().map(|(k, v)| (k, v)));
            cmd
        },
        &home.join("worker.log"),
    )?;
    let mut api_cmd = Command::new(sibling_binary("revloop-api")?);
    env(&mut api_cmd);
    api_cmd.env("REVLOOP_API_LISTEN", &args.api_listen);
    // The approval pages link each step into the dev server's Web UI.
    if let Some(ui) = &server.ui_url {
        let base = ui.split("/namespaces").next().unwrap_or(ui);
        api_cmd.env("REVLOOP_TEMPORAL_UI_URL", base);
    }
    let mut api = ManagedChild::spawn("revloop-api", api_cmd, &home.join("api.log"))?;

    let dev_token = token::mint(
        &secret,
        DEMO_TENANT,
        "demo-user",
        &[Role::Admin],
        7 * 24 * 3600,
    )?;
    std::fs::write(home.join("dev-token"), &dev_token)?;
    let api_url = format!("http://{}", args.api_listen);
    let outcome = show_loop(&api_url, &dev_token, &mut worker, &mut api).await;
    if let Err(err) = &outcome {
        eprintln!("demo failed: {err:#}\nlogs: {}", home.display());
    }
    if outcome.is_ok() {
        println!(
            "\nTemporal Web UI: {}",
            server.ui_url.clone().unwrap_or_default()
        );
        println!(
            "API: {api_url}   token: export REVLOOP_TOKEN=$(cat {}/dev-token)",
            home.display()
        );
        println!(
            "approve the follow-up:  revloop approve <action id>    verify:  revloop ledger verify"
        );
        println!(
            "or on the approval page: http://{}/app (sign in with the token above)",
            std::env::var("REVLOOP_HTTP_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into())
        );
        if !args.exit_after_actions {
            println!("\nrunning; press Ctrl-C to stop");
            wait_for_stop(&mut worker, &mut api).await;
        }
    }
    println!("stopping …");
    api.stop();
    worker.child().stop();
    server.stop();
    outcome.map(|_| 0)
}

async fn show_loop(
    api_url: &str,
    token: &str,
    worker: &mut Restartable,
    api: &mut ManagedChild,
) -> anyhow::Result<()> {
    let mut client = ApiClient::connect_when_ready(api_url, token, Duration::from_secs(60), || {
        !api.has_exited()
    })
    .await
    .with_context(|| format!("see {}", api.log_file.display()))?;
    let jsonl = fixtures::render(DEMO_DATA, Utc::now())?;
    let ingested = client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: DEMO_TENANT.into(),
            jsonl,
            source: "demo tenant".into(),
            ..Default::default()
        })
        .await
        .context("ingesting the demo tenant")?
        .into_inner();
    println!(
        "loaded the demo tenant: {} records (trace {})",
        ingested.accepted, ingested.trace_id
    );
    println!("running the loop: perception → signals → decisions → validation …");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if worker.keep_alive()? {
            eprintln!(
                "the worker exited; started it again (see {})",
                worker.child().log_file.display()
            );
        }
        let actions = client
            .actions
            .list_actions(pb::ListActionsRequest {
                tenant_id: String::new(),
                status: String::new(),
                limit: 0,
                ..Default::default()
            })
            .await?
            .into_inner()
            .actions;
        // Settled: this run's decisions have routed every action they proposed.
        let this_run: Vec<&pb::Action> = actions
            .iter()
            .filter(|a| a.trace_id == ingested.trace_id)
            .collect();
        let settled = !this_run.is_empty()
            && this_run
                .iter()
                .all(|a| a.status != "proposed" && a.status != "approved");
        if settled {
            println!("\nTop actions:");
            for a in actions.iter().take(10) {
                println!("{}", action_line(a));
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no actions after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn wait_for_stop(worker: &mut Restartable, api: &mut ManagedChild) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            _ = term.recv() => return,
            _ = tick.tick() => {
                match worker.keep_alive() {
                    Ok(true) => eprintln!(
                        "the worker exited; started it again (see {})",
                        worker.child().log_file.display()
                    ),
                    Ok(false) => {}
                    Err(e) => {
                        eprintln!("{e:#}");
                        return;
                    }
                }
                if api.has_exited() {
                    eprintln!("the API exited; see its log under .revloop/");
                    return;
                }
            }
        }
    }
}
