//! One ingest, one trace: the API's ingest span and the worker's activity spans reach a real
//! OTLP/gRPC receiver under the OpenTelemetry trace id that is revloop's trace id, each with
//! revloop's `trace_id` and `tenant_id` as attributes; and the JSON log lines of those
//! activities carry the same ids.

use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::otlp_receiver::{OtlpReceiver, ReceivedSpan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingests_spans_arrive_under_its_trace_id_from_api_and_worker() -> anyhow::Result<()> {
    let receiver = OtlpReceiver::start().await?;
    let otel = |service: &str| {
        vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.clone()),
            ("OTEL_SERVICE_NAME", service.to_string()),
            // Export every half second instead of every five.
            ("OTEL_BSP_SCHEDULE_DELAY", "500".to_string()),
            ("REVLOOP_LOG_FORMAT", "json".to_string()),
        ]
    };
    let env = spawn_env_for(&otel("revloop-worker"), &otel("revloop-api")).await?;
    let mut client = env.admin().await?;
    let accepted = env
        .ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let trace_id = accepted.trace_id.clone();
    let otel_trace_id = trace_id.replace('-', "");
    env.workflow_result_within(&accepted.workflow_id, Duration::from_secs(120))
        .await?;

    let deadline = Instant::now() + Duration::from_secs(30);
    let ours = |spans: &[ReceivedSpan]| -> Vec<ReceivedSpan> {
        spans
            .iter()
            .filter(|s| s.trace_id == otel_trace_id)
            .cloned()
            .collect()
    };
    let spans = loop {
        let spans = ours(&receiver.spans());
        let has = |service: &str, name: &str| {
            spans
                .iter()
                .any(|s| s.service == service && s.name.ends_with(name))
        };
        if has("revloop-api", "ingest")
            && has("revloop-worker", "normalize_records")
            && has("revloop-worker", "detect_signals")
        {
            break spans;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "spans of trace {trace_id} never all arrived; got {:#?}",
            spans
                .iter()
                .map(|s| (&s.service, &s.name))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for span in &spans {
        assert_eq!(
            span.attribute("trace_id"),
            Some(trace_id.as_str()),
            "{span:?}"
        );
        assert_eq!(span.attribute("tenant_id"), Some(TENANT), "{span:?}");
    }
    let activity = spans
        .iter()
        .find(|s| s.name.ends_with("normalize_records"))
        .expect("the normalize span");
    assert_eq!(
        activity.attribute("workflow_id"),
        Some(accepted.workflow_id.as_str()),
        "{activity:?}"
    );
    assert!(activity.attribute("activity_id").is_some(), "{activity:?}");
    // Another trace's spans never carry this one's id.
    assert!(
        receiver
            .spans()
            .iter()
            .filter(|s| s.trace_id != otel_trace_id)
            .all(|s| s.attribute("trace_id") != Some(trace_id.as_str()))
    );

    // The worker's JSON logs: one object a line, the activity's ids on its lines.
    let log = std::fs::read_to_string(env.dir.path().join("worker.log"))?;
    let finished: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| {
            line["message"] == "activity finished" && line["span"]["trace_id"] == trace_id.as_str()
        })
        .collect();
    assert!(
        !finished.is_empty(),
        "no JSON 'activity finished' line with trace {trace_id} in the worker log"
    );
    for line in &finished {
        assert_eq!(line["span"]["tenant_id"], TENANT, "{line}");
        assert!(
            line["span"]["workflow_id"]
                .as_str()
                .is_some_and(|w| !w.is_empty()),
            "{line}"
        );
        assert!(line["span"]["activity_id"].as_str().is_some(), "{line}");
        assert_eq!(line["outcome"], "completed", "{line}");
        assert!(line["duration_ms"].is_u64(), "{line}");
    }
    Ok(())
}
