//! Stopping a worker the way Kubernetes does: SIGTERM while an activity runs. The worker turns
//! unready at once, polls no more, lets the running activity finish and exits 0. A second
//! worker is up the whole time, so an activity the first one abandoned would be retried there:
//! the test sees the activity completed once, on its first attempt, by the first worker.

use std::time::{Duration, Instant};

use temporalio_client::{UntypedWorkflow, WorkflowDescribeOptions};
use temporalio_common::protos::temporal::api::enums::v1::PendingActivityState;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::helpers::*;
use revloop_cli::devserver::free_port;

const TENANT_ID: &str = "shutdown-co";
/// Large enough that normalizing it takes seconds on two cores.
const RECORDS: usize = 40_000;

async fn healthz(url: &str) -> anyhow::Result<(u16, serde_json::Value)> {
    let response = reqwest::get(url).await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

/// Waits until the workflow's pending `activity` is running; its attempt.
async fn running_attempt(env: &TestEnv, workflow_id: &str, activity: &str) -> anyhow::Result<i32> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let handle = env
        .temporal
        .get_workflow_handle::<UntypedWorkflow>(workflow_id.to_string());
    loop {
        let description = handle.describe(WorkflowDescribeOptions::default()).await?;
        if let Some(pending) = description.raw().pending_activities.iter().find(|p| {
            p.activity_type
                .as_ref()
                .is_some_and(|t| t.name.ends_with(activity))
                && p.state == PendingActivityState::Started as i32
        }) {
            return Ok(pending.attempt);
        }
        anyhow::ensure!(Instant::now() < deadline, "{activity} never started");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_running_activity_finish_once_and_exits_zero() -> anyhow::Result<()> {
    let health_addr = format!("127.0.0.1:{}", free_port()?);
    let mut env = spawn_env_with(&[
        ("REVLOOP_GRACEFUL_SHUTDOWN_SECS", "90".to_string()),
        ("REVLOOP_WORKER_HEALTH_ADDR", health_addr.clone()),
    ])
    .await?;
    let healthz_url = format!("http://{health_addr}/healthz");

    // Ready only once Temporal lists this worker's own pollers.
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        if let Ok((200, body)) = healthz(&healthz_url).await {
            break body;
        }
        anyhow::ensure!(Instant::now() < deadline, "the worker never became ready");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(body["temporal"], "connected", "{body}");
    assert_eq!(body["pollers"]["workflow"], true, "{body}");
    assert_eq!(body["pollers"]["activity"], true, "{body}");
    let first_pid = env.worker.pid().expect("worker pid");
    let live = reqwest::get(format!("http://{health_addr}/livez")).await?;
    assert_eq!(live.status().as_u16(), 200);

    let workflow_id = crate::batch_size::start(
        &env,
        TENANT_ID,
        RECORDS,
        "shutdown",
        &uuid::Uuid::new_v4().to_string(),
    )
    .await?;
    assert_eq!(
        running_attempt(&env, &workflow_id, "normalize_records").await?,
        1
    );

    // The hostile moment: SIGTERM mid-activity, with another worker ready to take over.
    let sigterm_at = chrono::Utc::now().timestamp();
    env.worker.terminate();
    let second_health = format!("127.0.0.1:{}", free_port()?);
    let second = env.spawn_another_worker(
        "worker-second.log",
        &[("REVLOOP_WORKER_HEALTH_ADDR", second_health.clone())],
    )?;
    let turned = Instant::now() + Duration::from_secs(5);
    loop {
        match healthz(&healthz_url).await {
            Ok((503, body)) => {
                assert_eq!(body["status"], "stopping", "{body}");
                break;
            }
            _ if Instant::now() < turned => tokio::time::sleep(Duration::from_millis(100)).await,
            other => anyhow::bail!("healthz did not turn unready after SIGTERM: {other:?}"),
        }
    }

    // The second worker becomes the environment's; the first is watched until it exits.
    let mut first = std::mem::replace(&mut env.worker, second);
    let status = tokio::task::spawn_blocking(move || first.wait_for_exit(Duration::from_secs(120)))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the worker did not exit after SIGTERM"))?;
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");

    assert!(!env.worker.has_exited(), "the second worker runs");
    env.workflow_result_within(&workflow_id, Duration::from_secs(300))
        .await?;
    let history = env.history(&workflow_id).await?;
    let mut normalize_scheduled = None;
    let mut starts = Vec::new();
    let mut completions = 0;
    for event in &history {
        match &event.attributes {
            Some(Attributes::ActivityTaskScheduledEventAttributes(a))
                if a.activity_type
                    .as_ref()
                    .is_some_and(|t| t.name.ends_with("normalize_records")) =>
            {
                normalize_scheduled = Some(event.event_id);
            }
            Some(Attributes::ActivityTaskStartedEventAttributes(a))
                if Some(a.scheduled_event_id) == normalize_scheduled =>
            {
                starts.push((a.attempt, a.identity.clone()));
            }
            Some(Attributes::ActivityTaskCompletedEventAttributes(a))
                if Some(a.scheduled_event_id) == normalize_scheduled =>
            {
                completions += 1;
                let at = event.event_time.as_ref().map_or(0, |t| t.seconds);
                assert!(
                    at >= sigterm_at,
                    "normalize_records finished before the SIGTERM, so the test proved nothing"
                );
            }
            Some(Attributes::ActivityTaskFailedEventAttributes(a))
                if Some(a.scheduled_event_id) == normalize_scheduled =>
            {
                anyhow::bail!("normalize_records failed: {:?}", a.failure);
            }
            Some(Attributes::ActivityTaskTimedOutEventAttributes(a))
                if Some(a.scheduled_event_id) == normalize_scheduled =>
            {
                anyhow::bail!("normalize_records timed out: {:?}", a.failure);
            }
            _ => {}
        }
    }
    assert_eq!(completions, 1, "normalize_records completed once");
    assert_eq!(starts.len(), 1, "{starts:?}");
    let (attempt, identity) = &starts[0];
    assert_eq!(*attempt, 1, "no retry: {starts:?}");
    assert!(
        identity.ends_with(&format!(":{first_pid}")),
        "completed by the worker that got SIGTERM, not the second: {identity}"
    );
    let ledger_entries: i64 = rusqlite::Connection::open(&env.store_path)?.query_row(
        "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%normalize_records'",
        [TENANT_ID],
        |row| row.get(0),
    )?;
    assert_eq!(ledger_entries, 1, "one ledger entry for the one normalize");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_exits_at_once_with_work_still_running() -> anyhow::Result<()> {
    let mut env = spawn_env_with(&[("REVLOOP_GRACEFUL_SHUTDOWN_SECS", "300".to_string())]).await?;
    let workflow_id = crate::batch_size::start(
        &env,
        TENANT_ID,
        RECORDS,
        "second-sigterm",
        &uuid::Uuid::new_v4().to_string(),
    )
    .await?;
    running_attempt(&env, &workflow_id, "normalize_records").await?;
    env.worker.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    env.worker.terminate();
    let status = env
        .worker
        .wait_for_exit(Duration::from_secs(10))
        .ok_or_else(|| anyhow::anyhow!("a second SIGTERM did not end the worker"))?;
    assert_eq!(status.code(), Some(143), "forced exit status");
    assert!(asked.elapsed() < Duration::from_secs(10));
    // It did not wait for the activity: the workflow is still running, normalize unfinished.
    assert!(
        !completed_activities(&env, &workflow_id)
            .await?
            .iter()
            .any(|a| a.ends_with("normalize_records")),
        "normalize_records finished, so the second signal proved nothing"
    );
    Ok(())
}
