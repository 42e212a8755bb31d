//! Killing the worker while an approval waits loses nothing: a new worker picks the workflow up
//! and the approved action runs exactly once; a second approval sent meanwhile is recorded as
//! ignored.

use anyhow::Context;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, EffectStore};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_nothing_and_repeats_nothing() -> anyhow::Result<()> {
    let mut env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;

    env.worker.kill_hard();
    assert!(env.worker.has_exited());
    // Approve while no worker runs: the signal waits in Temporal.
    client
        .actions
        .approve_action(pb::DecideActionRequest {
            action_id: follow_up.action_id.clone(),
            reason: String::new(),
        })
        .await?;
    // A second approval (a double click, a retried request) waits behind the first.
    client
        .actions
        .approve_action(pb::DecideActionRequest {
            action_id: follow_up.action_id.clone(),
            reason: "again".into(),
        })
        .await?;
    env.restart_worker()?;

    let result = env
        .workflow_result(&format!("{TENANT}/approval/{}", follow_up.action_id))
        .await?;
    assert_eq!(result["decision"], "approved");
    assert_eq!(result["executed"], true);
    assert_eq!(result["late_signals"], 1, "{result}");
    let store = env.store()?;
    // The late approval is on the action as ignored, with the reason.
    let action = store
        .get_action(&follow_up.action_id)
        .await?
        .context("action")?;
    assert_eq!(action.approval_events.len(), 2);
    assert!(!action.approval_events[1].accepted);
    assert!(
        action.approval_events[1]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("is executed, not awaiting approval"),
        "{:?}",
        action.approval_events[1]
    );
    assert_eq!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .len(),
        1,
        "executed exactly once"
    );
    let report = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert!(report.intact);
    Ok(())
}
