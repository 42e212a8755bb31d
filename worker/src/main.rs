//! revloop-worker: hosts every revloop workflow and activity on one Temporal task queue.
//!
//! Stateless by design (all state is in Temporal and the store), so Kubernetes can add and
//! remove replicas freely. The first SIGTERM marks it unready, stops polling and lets running
//! activities finish for `REVLOOP_GRACEFUL_SHUTDOWN_SECS`, then it exits 0; a second one exits
//! at once.

mod ignored_signals;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use revloop_activities::action::ActionActivities;
use revloop_activities::agent::AgentActivities;
use revloop_activities::approval::ApprovalActivities;
use revloop_activities::approval_token::ApprovalKeys;
use revloop_activities::calibration::CalibrationActivities;
use revloop_activities::clarification::ClarificationActivities;
use revloop_activities::decision::DecisionActivities;
use revloop_activities::ledger_digest::LedgerDigestActivities;
use revloop_activities::memory::open_memory;
use revloop_activities::models::bedrock::BedrockModel;
use revloop_activities::perception::PerceptionActivities;
use revloop_activities::plan::PlanActivities;
use revloop_activities::secrets::TenantSecrets;
use revloop_activities::{Deps, Settings};
use revloop_workflows::*;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{
    PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
};
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use revloop_runtime::shutdown::StopSignal;
use revloop_worker::config::WorkerArgs;
use revloop_worker::health::{self, Health};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = WorkerArgs::parse();
    let telemetry =
        revloop_runtime::telemetry::init("revloop-worker", "info,temporalio_sdk_core=warn")?;
    let result = run(args).await;
    telemetry.shutdown();
    result
}

async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let stop = StopSignal::install("revloop-worker").context("installing the SIGTERM handler")?;
    revloop_activities::metrics::set_tenant_labels(args.metrics_tenant_labels);
    if let Some(addr) = args.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the metrics endpoint {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "revloop metrics endpoint listening");
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(|| async { revloop_activities::metrics::render() }),
        );
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "metrics endpoint stopped");
            }
        });
    }
    let mut meter: Option<Arc<dyn CoreMeter>> = None;
    if let Some(addr) = args.temporal_metrics_addr {
        let prom = start_prometheus_metric_exporter(
            PrometheusExporterOptions::builder()
                .socket_addr(addr)
                .counters_total_suffix(true)
                .build(),
        )
        .with_context(|| format!("starting the metrics endpoint on {addr}"))?;
        tracing::info!(addr = %prom.bound_addr, "metrics endpoint listening");
        meter = Some(prom.meter.clone() as Arc<dyn CoreMeter>);
    }
    let runtime_options = RuntimeOptions::builder()
        .telemetry_options(TelemetryOptions::builder().maybe_metrics(meter).build())
        .build()
        .map_err(|e| anyhow::anyhow!("runtime options: {e}"))?;
    let runtime = Runtime::from_current_tokio(runtime_options)?;

    let identity = revloop_runtime::temporal::identity("revloop-worker");
    let client = args
        .temporal
        .connect(identity.clone(), Duration::from_secs(30))
        .await?;
    let store = args.store.open().await?;
    let task_queue = args.temporal.task_queue.clone();
    let deps = Deps {
        memory: open_memory(&args.memory, args.memory_dir()?.as_deref(), store.clone()).await?,
        store,
        temporal: Some(client.clone()),
        settings: Settings {
            task_queue: task_queue.clone(),
            debounce_secs: args.debounce_secs,
            approval_timeout_secs: args.approval_timeout_secs,
            inbox_dir: args.inbox_dir.clone(),
            egress: args
                .trust
                .egress
                .policy()
                .context("REVLOOP_EGRESS_ALLOW_NETS")?,
            secrets: TenantSecrets::from_args(&args.trust.secrets),
            pacers: Default::default(),
        },
        approval_keys: ApprovalKeys::from_args(&args.trust.approval_keys)?,
        records: Default::default(),
    };

    let mut options = WorkerOptions::new(task_queue.clone())
        .graceful_shutdown_period(Duration::from_secs(args.graceful_shutdown_secs))
        .build();
    if args.mode.runs_workflows() {
        register_workflows(&mut options, &deps)?;
    }
    if args.mode.runs_activities() {
        register_activities(&mut options, &deps, &args).await?;
    }
    let mut worker = Worker::new(&runtime, client.clone(), options)?;

    let health = Arc::new(Health {
        client,
        namespace: args.temporal.namespace.clone(),
        task_queue: task_queue.clone(),
        identity,
        mode: args.mode,
        stopping: AtomicBool::new(false),
    });
    if let Some(addr) = args.health_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the health endpoint {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "health endpoint listening");
        let app = health::router(health.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "health endpoint stopped");
            }
        });
    }
    let shutdown = worker.shutdown_handle();
    let grace = args.graceful_shutdown_secs;
    tokio::spawn(async move {
        stop.requested().await;
        health.stopping.store(true, Ordering::SeqCst);
        tracing::info!(
            grace_secs = grace,
            "stopping: no new tasks; running activities get the grace period"
        );
        shutdown();
    });
    tracing::info!(task_queue = %task_queue, namespace = %args.temporal.namespace, mode = ?args.mode, "worker polling");
    println!("revloop-worker ready on task queue {task_queue}");
    worker.run().await?;
    tracing::info!("worker stopped");
    Ok(())
}

fn register_workflows(options: &mut WorkerOptions, deps: &Deps) -> anyhow::Result<()> {
    options
        .register_workflow::<PerceptionWorkflow>()?
        .register_workflow::<AccountWorkflow>()?
        .register_workflow::<DecisionWorkflow>()?
        .register_workflow::<ApprovalWorkflow>()?
        .register_workflow::<ActionWorkflow>()?
        .register_workflow::<ClarificationWorkflow>()?
        .register_workflow::<CalibrationWorkflow>()?
        .register_workflow::<UndoActionWorkflow>()?
        .register_workflow::<PlanWorkflow>()?
        .register_workflow::<LedgerDigestWorkflow>()?
        .worker_interceptor(ignored_signals::IgnoredSignals::new(deps.store.clone()));
    Ok(())
}

async fn register_activities(
    options: &mut WorkerOptions,
    deps: &Deps,
    args: &WorkerArgs,
) -> anyhow::Result<()> {
    let perception = PerceptionActivities::new(deps.clone());
    perception
        .check_connectors()
        .await
        .context("connector check")?;
    let actions = ActionActivities::new(deps.clone());
    actions.check_executors().await.context("executor check")?;
    // The decision agent's model (tenants with `[decision] model = "bedrock"`).
    let bedrock = BedrockModel::new(
        revloop_activities::models::bedrock::client(args.memory.bedrock_endpoint.as_deref()).await,
    );
    options
        .register_activities(perception)
        .register_activities(
            DecisionActivities::new(deps.clone()).with_model(Box::new(bedrock.clone())),
        )
        .register_activities(ApprovalActivities::new(deps.clone()))
        .register_activities(ClarificationActivities::new(deps.clone()))
        .register_activities(CalibrationActivities)
        .register_activities(actions)
        .register_activities(PlanActivities::new(deps.clone()))
        .register_activities(AgentActivities::new(deps.clone(), Some(bedrock)))
        .register_activities(LedgerDigestActivities::new(deps.clone()))
        .activity_inbound_interceptor(revloop_activities::telemetry::ActivitySpans);
    Ok(())
}
