//! The AWS backend end to end: two workers and one API sharing DynamoDB (moto's server) and S3
//! (versitygw) on loopback, Titan memory against a local `InvokeModel` server. The worker
//! running a perception batch is SIGKILLed mid-activity, and later another worker while an
//! approval waits: the batch completes on the survivor, the approved action runs once, no
//! ledger entry is written twice, and the ledger verifies.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use revloop_proto::v1 as pb;
use revloop_store::aws::local::{self, LocalAws};
use revloop_store::{EffectStore, LedgerStore};
use temporalio_client::{UntypedWorkflow, WorkflowDescribeOptions};
use temporalio_common::protos::temporal::api::enums::v1::PendingActivityState;

use crate::helpers::*;
use revloop_cli::procs::ManagedChild;

const BATCH_TENANT: &str = "aws-co";
/// Twelve version batches: normalizing them takes seconds against moto.
const RECORDS: usize = 600;

/// The pid in a worker identity, `revloop-worker@{host}:{pid}`.
fn pid_of(identity: &str) -> Option<u32> {
    identity.rsplit(':').next()?.parse().ok()
}

/// Waits until `activity` of the workflow runs on some worker; that worker's identity.
async fn running_on(env: &TestEnv, workflow_id: &str, activity: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let handle = env
        .temporal
        .get_workflow_handle::<UntypedWorkflow>(workflow_id.to_string());
    loop {
        if let Ok(description) = handle.describe(WorkflowDescribeOptions::default()).await
            && let Some(pending) = description.raw().pending_activities.iter().find(|p| {
                p.activity_type
                    .as_ref()
                    .is_some_and(|t| t.name.ends_with(activity))
                    && p.state == PendingActivityState::Started as i32
            })
        {
            return Ok(pending.last_worker_identity.clone());
        }
        anyhow::ensure!(Instant::now() < deadline, "{activity} never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_the_aws_backend_lose_nothing_when_each_is_killed() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let servers_dir = data.path().to_path_buf();
    let aws = tokio::task::spawn_blocking(move || LocalAws::start(&servers_dir)).await??;
    let prefix = format!("e2e{}", std::process::id());
    let store = aws.store(&prefix).await?;
    let (titan, embeddings) = crate::titan_server::local_titan(local::ACCESS_KEY).await;
    let mut shared: Vec<(String, String)> = aws.env(&prefix);
    shared.push(("REVLOOP_MEMORY_BACKEND".into(), "titan".into()));
    shared.push(("REVLOOP_BEDROCK_ENDPOINT".into(), format!("http://{titan}")));
    let shared: Vec<(&str, String)> = shared
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let mut env = spawn_env_for(&shared, &shared).await?;
    env.shared_store = Some(Arc::new(store.clone()));
    let mut other = env.spawn_another_worker("worker-b.log", &[])?;

    // 1. The worker normalizing a batch dies mid-activity (SIGKILL: no graceful shutdown).
    let workflow_id = crate::batch_size::start(
        &env,
        BATCH_TENANT,
        RECORDS,
        "aws-kill",
        &uuid::Uuid::new_v4().to_string(),
    )
    .await?;
    let identity = running_on(&env, &workflow_id, "normalize_records").await?;
    let victim = pid_of(&identity).ok_or_else(|| anyhow::anyhow!("identity {identity}"))?;
    let (killed, survivor): (&mut ManagedChild, &mut ManagedChild) =
        if env.worker.pid() == Some(victim) {
            (&mut env.worker, &mut other)
        } else {
            anyhow::ensure!(other.pid() == Some(victim), "{identity} is neither worker");
            (&mut other, &mut env.worker)
        };
    killed.kill_hard();
    assert!(!survivor.has_exited(), "the other worker runs on");
    let result = env
        .workflow_result_within(&workflow_id, Duration::from_secs(300))
        .await?;
    assert_eq!(result["accepted"], RECORDS, "{result}");
    assert_eq!(result["changed"], RECORDS, "{result}");
    assert!(result["new_signals"].as_u64() >= Some(5), "{result}");
    let history = env.history(&workflow_id).await?;
    let normalize_starts = history
        .iter()
        .filter(|e| {
            matches!(
                &e.attributes,
                Some(temporalio_common::protos::temporal::api::history::v1::history_event::Attributes::ActivityTaskStartedEventAttributes(a))
                    if a.attempt > 1
            )
        })
        .count();
    assert!(
        normalize_starts >= 1,
        "the killed worker's activity was retried on the survivor"
    );
    // A fresh worker takes the killed one's place, so two run again.
    let replacement = env.spawn_another_worker("worker-c.log", &[])?;
    let _ = std::mem::replace(&mut other, replacement);

    // 2. A worker dies while an approval waits; the approval arrives meanwhile, twice.
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    // moto answers one request at a time, and other tests share the machine: wait longer.
    let follow_up = action_where_within(
        &client,
        "the follow-up awaiting approval",
        Duration::from_secs(300),
        |a| a.kind == "send_follow_up" && a.status == "awaiting_approval",
    )
    .await?;
    env.worker.kill_hard();
    for reason in ["", "again"] {
        client
            .actions
            .approve_action(pb::DecideActionRequest {
                action_id: follow_up.action_id.clone(),
                reason: reason.into(),
            })
            .await?;
    }
    let result = env
        .workflow_result_within(
            &format!("{TENANT}/approval/{}", follow_up.action_id),
            Duration::from_secs(300),
        )
        .await?;
    assert_eq!(result["decision"], "approved", "{result}");
    assert_eq!(result["executed"], true, "{result}");
    assert_eq!(result["late_signals"], 1, "{result}");
    assert_eq!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .len(),
        1,
        "executed exactly once"
    );

    // 3. The ledger: intact, and no step recorded twice.
    let report = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert!(report.intact, "{report:?}");
    for tenant in [TENANT, BATCH_TENANT] {
        let entries = store.list_entries(tenant, 0, 100_000).await?;
        assert!(!entries.is_empty(), "{tenant} has a ledger");
        let mut seen: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
        for e in &entries {
            let step = (
                e.workflow_id.clone(),
                e.activity.clone(),
                format!("{:?}", e.kind),
                e.payload_digest.clone(),
            );
            if let Some(first) = seen.insert(step.clone(), e.seq) {
                anyhow::bail!(
                    "{tenant}: entries {first} and {} record the same step {step:?}",
                    e.seq
                );
            }
        }
    }
    assert!(
        embeddings.calls.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "memory was indexed through Titan"
    );
    Ok(())
}
