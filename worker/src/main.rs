//! revloop-worker: hosts every revloop workflow and activity on one Temporal task queue.
//!
//! Stateless by design (all state is in Temporal and the store), so Kubernetes can add and
//! remove replicas freely. SIGTERM stops polling and lets running tasks finish.

mod config;
mod ignored_signals;

use std::sync::Arc;
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
use revloop_activities::memory::open_memory;
use revloop_activities::models::bedrock::BedrockModel;
use revloop_activities::perception::PerceptionActivities;
use revloop_activities::plan::PlanActivities;
use revloop_activities::secrets::TenantSecrets;
use revloop_activities::{Deps, Settings};
use revloop_store::SqliteStore;
use revloop_workflows::*;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{
    PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
};
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use url::Url;

use config::WorkerArgs;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = WorkerArgs::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,temporalio_sdk_core=warn".into()),
        )
        .init();

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

    let url = Url::parse(&args.temporal_address)
        .with_context(|| format!("TEMPORAL_ADDRESS {:?}", args.temporal_address))?;
    let connection = Connection::connect(
        ConnectionOptions::new(url)
            .identity(args.identity())
            .build(),
    )
    .await
    .with_context(|| format!("connecting to Temporal at {}", args.temporal_address))?;
    let client = Client::new(
        connection,
        ClientOptions::new(args.namespace.clone()).build(),
    )?;

    let store = SqliteStore::open(&args.store)
        .with_context(|| format!("opening the store {}", args.store.display()))?;
    let deps = Deps {
        store: Arc::new(store),
        memory: open_memory(&args.memory, &args.memory_dir()).await?,
        temporal: Some(client.clone()),
        settings: Settings {
            task_queue: args.task_queue.clone(),
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
    };
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

    let options = WorkerOptions::new(args.task_queue.clone())
        .register_workflow::<PerceptionWorkflow>()?
        .register_workflow::<AccountWorkflow>()?
        .register_workflow::<DecisionWorkflow>()?
        .register_workflow::<ApprovalWorkflow>()?
        .register_workflow::<ActionWorkflow>()?
        .register_workflow::<ClarificationWorkflow>()?
        .register_workflow::<CalibrationWorkflow>()?
        .register_workflow::<UndoActionWorkflow>()?
        .register_workflow::<PlanWorkflow>()?
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
        .worker_interceptor(ignored_signals::IgnoredSignals::new(deps.store.clone()))
        .graceful_shutdown_period(Duration::from_secs(args.graceful_shutdown_secs))
        .build();
    let mut worker = Worker::new(&runtime, client, options)?;
    let stop = worker.shutdown_handle();
    tokio::spawn(async move {
        wait_for_stop_signal().await;
        tracing::info!("stopping: finishing running tasks");
        stop();
    });
    tracing::info!(task_queue = %args.task_queue, namespace = %args.namespace, "worker polling");
    println!("revloop-worker ready on task queue {}", args.task_queue);
    worker.run().await?;
    tracing::info!("worker stopped");
    Ok(())
}

async fn wait_for_stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
