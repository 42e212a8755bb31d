//! Logs and traces. Logs go to stderr as text, or as one JSON object a line with
//! `REVLOOP_LOG_FORMAT=json` (each line carries its span's fields: tenant, trace, workflow and
//! activity ids). Traces are exported over OTLP/gRPC when the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and are off
//! otherwise.
//!
//! One revloop trace is one OpenTelemetry trace: revloop's trace ids are UUIDs, which are 128
//! bits like an OpenTelemetry trace id, so [`enter_trace`] makes the span a child of a remote
//! root with that id. The API's span for an ingest and every activity span of the workflows it
//! starts, in any process, land in the same trace without Temporal carrying any header.

use anyhow::Context as _;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use sha2::{Digest, Sha256};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `REVLOOP_LOG_FORMAT`: `text` (default) or `json`.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("REVLOOP_LOG_FORMAT").ok().as_deref() {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => anyhow::bail!("REVLOOP_LOG_FORMAT is {other:?}: expected text or json"),
        }
    }
}

/// Where traces go, from the standard OpenTelemetry environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracePlan {
    pub endpoint: Option<String>,
    pub service_name: String,
}

impl TracePlan {
    pub fn from_env(default_service: &str) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let endpoint = if disabled {
            None
        } else {
            var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"))
        };
        Self {
            endpoint,
            service_name: var("OTEL_SERVICE_NAME").unwrap_or_else(|| default_service.to_string()),
        }
    }
}

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes what is buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered. Call before the process exits.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            eprintln!("flushing traces: {e}");
        }
    }
}

/// Installs the global subscriber: `RUST_LOG` (or `default_filter`), the log format, and the
/// OTLP exporter when configured. Call once, inside the Tokio runtime.
pub fn init(service: &str, default_filter: &str) -> anyhow::Result<Telemetry> {
    let format = LogFormat::from_env()?;
    let plan = TracePlan::from_env(service);
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into());
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_filter(filter())
            .boxed(),
    };
    let (traces, provider) = match &plan.endpoint {
        Some(_) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .build()
                .context("the OTLP trace exporter (OTEL_EXPORTER_OTLP_ENDPOINT)")?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(plan.service_name.clone())
                        .build(),
                )
                .build();
            let tracer = provider.tracer("revloop");
            let layer = tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(filter())
                .boxed();
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .context("installing the log subscriber")?;
    Ok(Telemetry { provider })
}

/// The OpenTelemetry trace id of a revloop trace: the UUID's own 128 bits, or for any other
/// string the first 16 bytes of its SHA-256.
pub fn otel_trace_id(revloop_trace_id: &str) -> TraceId {
    match uuid::Uuid::parse_str(revloop_trace_id) {
        Ok(uuid) if !uuid.is_nil() => TraceId::from_bytes(*uuid.as_bytes()),
        _ => {
            let digest = Sha256::digest(revloop_trace_id.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            TraceId::from_bytes(bytes)
        }
    }
}

/// Makes `span` part of the OpenTelemetry trace of `revloop_trace_id` (see the module doc).
/// Call right after creating the span, before entering it. Without the OTLP exporter this does
/// nothing.
pub fn enter_trace(span: &tracing::Span, revloop_trace_id: &str) {
    if revloop_trace_id.is_empty() {
        return;
    }
    let trace_id = otel_trace_id(revloop_trace_id);
    let digest = Sha256::digest(trace_id.to_bytes());
    let mut span_id = [0u8; 8];
    span_id.copy_from_slice(&digest[..8]);
    let root = SpanContext::new(
        trace_id,
        SpanId::from_bytes(span_id),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let parent = opentelemetry::Context::new().with_remote_span_context(root);
    let _ = span.set_parent(parent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_trace_is_its_own_otel_trace_id() {
        let id = "2f1c7a52-9d4e-4a43-8f0b-6a1d2c3e4f50";
        assert_eq!(
            otel_trace_id(id).to_string(),
            "2f1c7a529d4e4a438f0b6a1d2c3e4f50"
        );
    }

    #[test]
    fn other_trace_ids_map_stably_and_apart() {
        assert_eq!(otel_trace_id("trace-1"), otel_trace_id("trace-1"));
        assert_ne!(otel_trace_id("trace-1"), otel_trace_id("trace-2"));
        assert_ne!(otel_trace_id("trace-1"), TraceId::INVALID);
    }

    #[test]
    fn traces_are_off_unless_an_endpoint_is_set() {
        // The test process has no OTEL_* variables of its own.
        if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
            && std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none()
        {
            assert_eq!(TracePlan::from_env("revloop-worker").endpoint, None);
        }
        assert!(
            !TracePlan::from_env("revloop-worker")
                .service_name
                .is_empty()
        );
    }
}
