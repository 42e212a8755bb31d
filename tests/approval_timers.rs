//! Reminders, escalation and expiry on durable timers (approval issue, item 3), with the
//! tenant's short times: a reminder, then an escalation to the configured target, both
//! ledgered in order, then expiry; the `ApprovalStatus` search attribute filters the backlog.

use std::time::Duration;

use revloop_cli::devserver::temporal_cli;
use revloop_store::LedgerStore;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_approval_is_reminded_then_escalated_then_expires() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    set_tenant_config(
        &mut client,
        TENANT,
        "[approval]\nremind_after_secs = 2\nescalate_after_secs = 4\nescalate_to = \"group:manager\"\nexpire_after_secs = 7\n",
    )
    .await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let workflow_id = format!("{TENANT}/approval/{}", follow_up.action_id);
    let pending = eventually(
        "the approval listed as pending",
        Duration::from_secs(20),
        || async {
            let listed = temporal_cli(
                &env.temporal_bin,
                &env.server.address,
                &[
                    "workflow",
                    "list",
                    "--query",
                    "ApprovalStatus = \"pending\"",
                ],
            )?;
            Ok(listed.contains(&workflow_id).then_some(()))
        },
    )
    .await;
    pending?;

    let result = env.workflow_result(&workflow_id).await?;
    assert_eq!(result["decision"], "expired", "{result}");
    let entries = env.store()?.list_entries(TENANT, 0, 10_000).await?;
    let notices: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e.workflow_id == workflow_id && e.activity.ends_with("record_approval_notice"))
        .map(|e| {
            (
                e.payload["notice"].as_str().unwrap_or_default().to_string(),
                e.payload["to"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        notices,
        vec![
            ("reminder".to_string(), "approvers".to_string()),
            ("escalation".to_string(), "group:manager".to_string())
        ]
    );
    // The timers are Temporal timers, visible in the history (and so in the Web UI).
    let timers = env
        .history(&workflow_id)
        .await?
        .iter()
        .filter(|e| e.event_type == 17) // EVENT_TYPE_TIMER_STARTED
        .count();
    assert!(
        timers >= 3,
        "reminder, escalation and expiry timers: {timers}"
    );
    let expired = temporal_cli(
        &env.temporal_bin,
        &env.server.address,
        &[
            "workflow",
            "list",
            "--query",
            "ApprovalStatus = \"expired\"",
        ],
    )?;
    assert!(expired.contains(&workflow_id), "{expired}");

    // The history replays through the current code, and is kept as a replay fixture when
    // `REVLOOP_RECORD_HISTORIES` names a directory.
    let json = env
        .temporal
        .get_workflow_handle::<temporalio_client::UntypedWorkflow>(workflow_id.clone())
        .fetch_history(temporalio_client::WorkflowFetchHistoryOptions::default())
        .to_json()
        .await?;
    revloop_workflows::replay::replayer()?
        .replay_workflow(temporalio_client::WorkflowHistory::from_json(&json)?)
        .await?;
    if let Some(dir) = std::env::var_os("REVLOOP_RECORD_HISTORIES") {
        std::fs::write(
            std::path::Path::new(&dir).join("approval-reminders.json"),
            &json,
        )?;
    }
    Ok(())
}
