//! The API's metrics: every gRPC call by method and status, its latency, and the approval
//! backlog (read from the store at each scrape, so it is right however many API replicas run;
//! per tenant only with tenant labels on). Served at `/metrics` on its own listener
//! (`REVLOOP_API_METRICS_ADDR`), meant for the cluster's scraper and never on the public HTTP
//! port, with the worker-side names the activities record in this process.

use std::sync::LazyLock;
use std::task::{Context, Poll};
use std::time::Instant;

use chrono::Utc;
use futures::future::BoxFuture;
use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, register_gauge_vec,
    register_histogram_vec, register_int_counter_vec,
};
use revloop_store::{ActionStatus, StatusBacklog, Store};

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
            let per_tenant = revloop_activities::metrics::tenant_labels();
            for (tenant, count, oldest) in backlog_series(&backlog, Utc::now(), per_tenant) {
                APPROVAL_BACKLOG.with_label_values(&[&tenant]).set(count);
                APPROVAL_BACKLOG_AGE
                    .with_label_values(&[&tenant])
                    .set(oldest);
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

/// The backlog gauges' series: `(tenant label, actions waiting, oldest wait in seconds)`, one
/// per tenant with tenant labels on, else one for all tenants (the total, and the oldest wait
/// anywhere).
fn backlog_series(
    backlog: &[StatusBacklog],
    now: chrono::DateTime<Utc>,
    per_tenant: bool,
) -> Vec<(String, f64, f64)> {
    let age = |b: &StatusBacklog| {
        ((now - b.oldest_updated_at).num_milliseconds() as f64 / 1000.0).max(0.0)
    };
    if per_tenant {
        return backlog
            .iter()
            .map(|b| (b.tenant_id.clone(), b.count as f64, age(b)))
            .collect();
    }
    let total: u64 = backlog.iter().map(|b| b.count).sum();
    let oldest = backlog.iter().map(age).fold(0.0, f64::max);
    vec![(
        revloop_activities::metrics::ALL_TENANTS.to_string(),
        total as f64,
        oldest,
    )]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_tenant_labels_the_backlog_names_no_tenant() {
        let now = Utc::now();
        let backlog = [
            StatusBacklog {
                tenant_id: "secret-customer".into(),
                count: 3,
                oldest_updated_at: now - chrono::Duration::seconds(50),
            },
            StatusBacklog {
                tenant_id: "other-customer".into(),
                count: 2,
                oldest_updated_at: now - chrono::Duration::seconds(90),
            },
        ];
        assert_eq!(
            backlog_series(&backlog, now, false),
            vec![("all".to_string(), 5.0, 90.0)]
        );
        let labelled = backlog_series(&backlog, now, true);
        assert_eq!(labelled.len(), 2);
        assert_eq!(labelled[0], ("secret-customer".to_string(), 3.0, 50.0));
    }
}
