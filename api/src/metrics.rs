//! The API's metrics: every gRPC call by method and status, its latency, and the approval
//! backlog per tenant (read from the store at each scrape, so it is right however many API
//! replicas run). Served at `/metrics` on the HTTP port with the worker-side names the
//! activities record in this process.

use std::sync::LazyLock;
use std::task::{Context, Poll};
use std::time::Instant;

use chrono::Utc;
use futures::future::BoxFuture;
use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, register_gauge_vec,
    register_histogram_vec, register_int_counter_vec,
};
use revloop_store::{ActionStatus, Store};

static GRPC_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        Opts::new(
            "revloop_api_requests_total",
            "gRPC calls by method and gRPC status code."
        ),
        &["method", "code"]
    )
    .expect("metric registers once")
});
static GRPC_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        HistogramOpts::new(
            "revloop_api_request_duration_seconds",
            "gRPC call latency by method."
        )
        .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]),
        &["method"]
    )
    .expect("metric registers once")
});
static APPROVAL_BACKLOG: LazyLock<GaugeVec> = LazyLock::new(|| {
    register_gauge_vec!(
        Opts::new(
            "revloop_approval_backlog",
            "Actions awaiting a person's approval, per tenant."
        ),
        &["tenant"]
    )
    .expect("metric registers once")
});
static APPROVAL_BACKLOG_AGE: LazyLock<GaugeVec> = LazyLock::new(|| {
    register_gauge_vec!(
        Opts::new(
            "revloop_approval_backlog_oldest_age_seconds",
            "How long the oldest action awaiting approval has waited, per tenant."
        ),
        &["tenant"]
    )
    .expect("metric registers once")
});

static ACCOUNT_STATE_CACHE: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        Opts::new(
            "revloop_account_state_cache_total",
            "GetAccountState answers by whether the account-state cache held (hit) or the state was computed (miss)."
        ),
        &["outcome"]
    )
    .expect("metric registers once")
});

pub fn account_state_cache(outcome: &str) {
    ACCOUNT_STATE_CACHE.with_label_values(&[outcome]).inc();
}

/// Refreshes the backlog gauges from the store, then renders every metric of the process.
pub async fn scrape(store: &dyn Store) -> String {
    match store.status_backlog(ActionStatus::AwaitingApproval).await {
        Ok(backlog) => {
            APPROVAL_BACKLOG.reset();
            APPROVAL_BACKLOG_AGE.reset();
            let now = Utc::now();
            for b in backlog {
                APPROVAL_BACKLOG
                    .with_label_values(&[b.tenant_id.as_str()])
                    .set(b.count as f64);
                let age = (now - b.oldest_updated_at).num_milliseconds() as f64 / 1000.0;
                APPROVAL_BACKLOG_AGE
                    .with_label_values(&[b.tenant_id.as_str()])
                    .set(age.max(0.0));
            }
        }
        Err(e) => tracing::warn!(error = %e, "approval backlog not refreshed"),
    }
    // Registered even before the first call, so a fresh API exports every name it owns.
    LazyLock::force(&GRPC_REQUESTS);
    LazyLock::force(&GRPC_LATENCY);
    for outcome in ["hit", "miss"] {
        ACCOUNT_STATE_CACHE.with_label_values(&[outcome]);
    }
    revloop_activities::metrics::render()
}

/// Counts and times every gRPC call. Errors travel as a `grpc-status` header on trailers-only
/// responses; a response without it succeeded (its status comes in the trailers as 0).
#[derive(Debug, Clone, Default)]
pub struct GrpcMetricsLayer;

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await;
            let code = match &response {
                Ok(r) => r
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("0")
                    .to_string(),
                Err(_) => "transport".to_string(),
            };
            GRPC_REQUESTS
                .with_label_values(&[method.as_str(), code.as_str()])
                .inc();
            GRPC_LATENCY
                .with_label_values(&[method.as_str()])
                .observe(started.elapsed().as_secs_f64());
            response
        })
    }
}
