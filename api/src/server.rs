//! Wires the services, auth, health and reflection into one tonic server.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use revloop_activities::approval_token::ApprovalKeys;
use revloop_activities::memory::{MemoryIndex, open_memory};
use revloop_activities::secrets::TenantSecrets;
use revloop_activities::world::AccountStateCache;
use revloop_domain::security::EgressPolicy;
use revloop_proto::v1::action_service_server::ActionServiceServer;
use revloop_proto::v1::connector_service_server::ConnectorServiceServer;
use revloop_proto::v1::ingest_service_server::IngestServiceServer;
use revloop_proto::v1::ledger_service_server::LedgerServiceServer;
use revloop_proto::v1::plan_service_server::PlanServiceServer;
use revloop_proto::v1::question_service_server::QuestionServiceServer;
use revloop_proto::v1::signal_service_server::SignalServiceServer;
use revloop_proto::v1::tenant_service_server::TenantServiceServer;
use revloop_proto::v1::world_service_server::WorldServiceServer;
use revloop_runtime::shutdown::StopSignal;
use revloop_store::Store;
use temporalio_client::Client;
use tonic::server::NamedService;
use tonic::transport::Server;

use crate::auth::Authenticator;
use crate::config::ApiArgs;
use crate::services::{
    ActionApi, ConnectorApi, IngestApi, LedgerApi, PlanApi, QuestionApi, SignalApi, TenantApi,
    WorldApi,
};

/// What every service shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub memory: Arc<dyn MemoryIndex>,
    /// Account states already computed, per account revision.
    pub account_states: Arc<AccountStateCache>,
    pub temporal: Client,
    pub task_queue: String,
    /// Where tenants' connector URLs may point (checked at registration, as the worker will).
    pub egress: EgressPolicy,
    /// Where tenants' secret references resolve (push signatures).
    pub secrets: TenantSecrets,
    /// Mints the approval tokens that make approval signals count.
    pub approval_keys: ApprovalKeys,
    /// How far a push delivery's signed timestamp may be from now.
    pub push_tolerance: chrono::Duration,
    /// Header and body timeouts, body size and connection bounds of the HTTP listener.
    pub http_limits: crate::http::limits::HttpLimits,
    /// How often each tenant's ledger is digested (None: never by schedule).
    pub ledger_digest_every: Option<Duration>,
    pub digest_schedules: Arc<crate::digest_schedule::DigestSchedules>,
}

pub async fn serve(args: ApiArgs) -> anyhow::Result<()> {
    if args.jwt_secret.len() < 16 {
        anyhow::bail!("REVLOOP_JWT_SECRET must be at least 16 characters");
    }
    let stop = StopSignal::install("revloop-api").context("installing the SIGTERM handler")?;
    let store = args.store.open().await?;
    // The API may start before Temporal answers (Kubernetes, the demo): wait a little.
    let temporal = args
        .temporal
        .connect(
            revloop_runtime::temporal::identity("revloop-api"),
            Duration::from_secs(30),
        )
        .await?;
    let state = AppState {
        memory: open_memory(&args.memory, args.memory_dir()?.as_deref(), store.clone()).await?,
        store,
        account_states: Arc::new(AccountStateCache::new(
            NonZeroUsize::new(args.account_cache)
                .context("REVLOOP_ACCOUNT_CACHE must be at least 1")?,
        )),
        temporal,
        task_queue: args.temporal.task_queue.clone(),
        egress: args
            .trust
            .egress
            .policy()
            .context("REVLOOP_EGRESS_ALLOW_NETS")?,
        secrets: TenantSecrets::from_args(&args.trust.secrets),
        approval_keys: ApprovalKeys::from_args(&args.trust.approval_keys)?,
        push_tolerance: chrono::Duration::seconds(args.push_tolerance_secs as i64),
        http_limits: args.http_limits.clone(),
        ledger_digest_every: crate::digest_schedule::interval(args.ledger_digest_every_secs),
        digest_schedules: Default::default(),
    };
    let auth = Authenticator::with_leeway(&args.jwt_secret, args.jwt_leeway_secs);
    let mcp = crate::mcp::router(
        state.clone(),
        auth.clone(),
        crate::mcp::McpSettings {
            allowed_hosts: args.mcp_allowed_hosts.clone(),
            approval_timeout_secs: args.approval_timeout_secs,
            max_body_bytes: args.http_limits.max_body_bytes,
        },
    );
    let web = crate::web::WebState {
        app: state.clone(),
        auth: auth.clone(),
        csrf: crate::web::CsrfKey::derive(&args.jwt_secret),
        temporal_ui: args.temporal_ui_url.clone(),
        namespace: args.temporal.namespace.clone(),
        secure_cookies: args.web_secure_cookies,
    };

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<IngestServiceServer<IngestApi>>()
        .await;
    health_reporter
        .set_serving::<ActionServiceServer<ActionApi>>()
        .await;
    health_reporter
        .set_serving::<LedgerServiceServer<LedgerApi>>()
        .await;
    health_reporter
        .set_serving::<SignalServiceServer<SignalApi>>()
        .await;
    health_reporter
        .set_serving::<TenantServiceServer<TenantApi>>()
        .await;
    health_reporter
        .set_serving::<ConnectorServiceServer<ConnectorApi>>()
        .await;
    health_reporter
        .set_serving::<QuestionServiceServer<QuestionApi>>()
        .await;
    health_reporter
        .set_serving::<PlanServiceServer<PlanApi>>()
        .await;
    health_reporter
        .set_serving::<WorldServiceServer<WorldApi>>()
        .await;
    // On SIGTERM: NOT_SERVING first (readiness turns, no new traffic is routed here), then the
    // listeners stop accepting and in-flight calls drain.
    let (unready_tx, unready) = tokio::sync::watch::channel(false);
    {
        let stop = stop.clone();
        let reporter = health_reporter.clone();
        tokio::spawn(async move {
            stop.requested().await;
            for service in SERVICE_NAMES.iter().copied().chain([""]) {
                reporter
                    .set_service_status(service, tonic_health::ServingStatus::NotServing)
                    .await;
            }
            tracing::info!("api stopping: health NOT_SERVING, draining in-flight calls");
            let _ = unready_tx.send(true);
        });
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(revloop_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;

    let (a1, a2, a3, a4, a5, a6, a7, a8, a9) = (
        auth.clone(),
        auth.clone(),
        auth.clone(),
        auth.clone(),
        auth.clone(),
        auth.clone(),
        auth.clone(),
        auth.clone(),
        auth,
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "api listening");
    println!("revloop-api listening on {bound}");
    let http_listener = tokio::net::TcpListener::bind(args.http_listen)
        .await
        .with_context(|| format!("binding {}", args.http_listen))?;
    println!(
        "revloop-api http listening on {}",
        http_listener.local_addr()?
    );
    revloop_activities::metrics::set_tenant_labels(args.metrics_tenant_labels);
    let metrics = match args.metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding the metrics listener {addr}"))?;
            println!(
                "revloop-api metrics listening on {}",
                listener.local_addr()?
            );
            Some(crate::http::listener::serve(
                listener,
                crate::http::metrics_router(state.clone()),
                &args.http_limits,
                drained(stop.clone(), unready.clone()),
            ))
        }
        None => None,
    };
    let metrics = async move {
        match metrics {
            Some(serving) => serving.await,
            None => Ok(()),
        }
    };
    let http = crate::http::listener::serve(
        http_listener,
        crate::http::router(state.clone())
            .merge(crate::web::router(web))
            .merge(mcp),
        &args.http_limits,
        drained(stop.clone(), unready.clone()),
    );
    let grpc = Server::builder()
        .layer(crate::metrics::GrpcMetricsLayer)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(IngestServiceServer::with_interceptor(
            IngestApi::new(state.clone()),
            move |r| a1.intercept(r),
        ))
        .add_service(ActionServiceServer::with_interceptor(
            ActionApi::new(state.clone()),
            move |r| a2.intercept(r),
        ))
        .add_service(LedgerServiceServer::with_interceptor(
            LedgerApi::new(state.clone()),
            move |r| a3.intercept(r),
        ))
        .add_service(SignalServiceServer::with_interceptor(
            SignalApi::new(state.clone()),
            move |r| a4.intercept(r),
        ))
        .add_service(TenantServiceServer::with_interceptor(
            TenantApi::new(state.clone()),
            move |r| a5.intercept(r),
        ))
        .add_service(ConnectorServiceServer::with_interceptor(
            ConnectorApi::new(state.clone()),
            move |r| a6.intercept(r),
        ))
        .add_service(WorldServiceServer::with_interceptor(
            WorldApi::new(state.clone()),
            move |r| a7.intercept(r),
        ))
        .add_service(QuestionServiceServer::with_interceptor(
            QuestionApi::new(state.clone()),
            move |r| a8.intercept(r),
        ))
        .add_service(PlanServiceServer::with_interceptor(
            PlanApi::new(state.clone()),
            move |r| a9.intercept(r),
        ))
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            drained(stop.clone(), unready.clone()),
        );
    let drain = Duration::from_secs(args.drain_secs());
    let deadline = async {
        stop.clone().requested().await;
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        (grpc, http, metrics) = async { tokio::join!(grpc, http, metrics) } => {
            grpc?;
            http?;
            metrics?;
            tracing::info!("api stopped");
        }
        _ = deadline => {
            tracing::warn!(drain_secs = drain.as_secs(), "api stopped with calls still running after the drain period");
        }
    }
    Ok(())
}

/// Every gRPC service the API serves, for the health service's per-service statuses.
const SERVICE_NAMES: [&str; 9] = [
    <IngestServiceServer<IngestApi> as NamedService>::NAME,
    <ActionServiceServer<ActionApi> as NamedService>::NAME,
    <LedgerServiceServer<LedgerApi> as NamedService>::NAME,
    <SignalServiceServer<SignalApi> as NamedService>::NAME,
    <TenantServiceServer<TenantApi> as NamedService>::NAME,
    <ConnectorServiceServer<ConnectorApi> as NamedService>::NAME,
    <QuestionServiceServer<QuestionApi> as NamedService>::NAME,
    <PlanServiceServer<PlanApi> as NamedService>::NAME,
    <WorldServiceServer<WorldApi> as NamedService>::NAME,
];

/// Resolves once the stop was asked for and the health service says NOT_SERVING, so a
/// listener stops accepting only after readiness has turned.
async fn drained(stop: StopSignal, unready: tokio::sync::watch::Receiver<bool>) {
    stop.requested().await;
    let mut unready = unready;
    let _ = unready.wait_for(|done| *done).await;
}
