//! The worker's health endpoints for Kubernetes probes.
//!
//! - `/livez`: 200 while the process serves HTTP (liveness: restart only a hung process, never
//!   one that merely cannot reach Temporal, since a restart would not fix that).
//! - `/healthz`: 200 when Temporal answers and the server has seen this replica's own pollers
//!   on the task queue recently (readiness); 503 with the reason otherwise, and from the first
//!   SIGTERM on, so a stopping replica leaves the ready set before it drains.
//!
//! "Seen by the server" is asked of Temporal itself (`DescribeTaskQueue`, matched on this
//! replica's identity), so the answer covers the network, TLS, the namespace and the pollers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use temporalio_client::Client;
use temporalio_common::protos::temporal::api::enums::v1::{TaskQueueKind, TaskQueueType};
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeTaskQueueRequest;

use crate::config::WorkerMode;

/// A poller counts as running when the server heard from it this recently (a long poll lasts
/// up to a minute, and the server refreshes the access time on each).
const POLLER_FRESH_SECS: i64 = 120;
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Health {
    pub client: Client,
    pub namespace: String,
    pub task_queue: String,
    pub identity: String,
    pub mode: WorkerMode,
    pub stopping: AtomicBool,
}

pub fn router(health: Arc<Health>) -> axum::Router {
    axum::Router::new()
        .route(
            "/livez",
            axum::routing::get(|| async { Json(json!({"status": "alive"})) }),
        )
        .route("/healthz", axum::routing::get(healthz))
        .with_state(health)
}

async fn healthz(State(health): State<Arc<Health>>) -> (StatusCode, Json<Value>) {
    if health.stopping.load(Ordering::SeqCst) {
        return unavailable(json!({"status": "stopping"}));
    }
    let mut kinds = Vec::new();
    if health.mode.runs_workflows() {
        kinds.push(("workflow", TaskQueueType::Workflow));
    }
    if health.mode.runs_activities() {
        kinds.push(("activity", TaskQueueType::Activity));
    }
    let mut pollers = serde_json::Map::new();
    for (name, kind) in kinds {
        match own_poller_seen(&health, kind).await {
            Ok(seen) => {
                pollers.insert(name.to_string(), Value::Bool(seen));
            }
            Err(reason) => {
                return unavailable(json!({
                    "status": "unavailable",
                    "temporal": format!("unreachable: {reason}"),
                    "task_queue": health.task_queue,
                }));
            }
        }
    }
    let body = json!({
        "status": if pollers.values().all(|v| v == &Value::Bool(true)) { "serving" } else { "starting" },
        "temporal": "connected",
        "namespace": health.namespace,
        "task_queue": health.task_queue,
        "identity": health.identity,
        "pollers": pollers,
    });
    if body["status"] == "serving" {
        (StatusCode::OK, Json(body))
    } else {
        unavailable(body)
    }
}

fn unavailable(body: Value) -> (StatusCode, Json<Value>) {
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}

/// Whether Temporal lists this replica among the task queue's recent pollers of `kind`.
async fn own_poller_seen(health: &Health, kind: TaskQueueType) -> Result<bool, String> {
    let request = DescribeTaskQueueRequest {
        namespace: health.namespace.clone(),
        task_queue: Some(TaskQueue {
            name: health.task_queue.clone(),
            kind: TaskQueueKind::Normal as i32,
            ..Default::default()
        }),
        task_queue_type: kind as i32,
        ..Default::default()
    };
    let mut service = health.client.connection().workflow_service();
    let answer = tokio::time::timeout(
        DESCRIBE_TIMEOUT,
        service.describe_task_queue(tonic::Request::new(request)),
    )
    .await
    .map_err(|_| format!("no answer in {}s", DESCRIBE_TIMEOUT.as_secs()))?
    .map_err(|status| format!("{}: {}", status.code(), status.message()))?;
    let now = chrono::Utc::now().timestamp();
    Ok(answer.into_inner().pollers.iter().any(|poller| {
        poller.identity == health.identity
            && poller
                .last_access_time
                .as_ref()
                .is_some_and(|at| now - at.seconds <= POLLER_FRESH_SECS)
    }))
}
