//! Approvals typed into the real `temporal workflow signal`: malformed ones are recorded and
//! refused without wedging the workflow, and the valid one executes. Payloads are JSON.

use anyhow::Context;
use revloop_cli::devserver::temporal_cli;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, EffectStore};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporal_cli_signals_approve_after_malformed_ones_are_refused() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let workflow_id = format!("{TENANT}/approval/{}", follow_up.action_id);
    let signal = |input: &str| {
        temporal_cli(
            &env.temporal_bin,
            &env.server.address,
            &[
                "workflow",
                "signal",
                "--workflow-id",
                &workflow_id,
                "--name",
                "approve",
                "--input",
                input,
            ],
        )
    };

    signal(r#"{"who": "carol"}"#)?;
    signal(r#"{"approver": 42}"#)?;
    // Both refusals are recorded on the action while the workflow keeps waiting.
    let store = env.store()?;
    let refused = eventually(
        "two refused approvals",
        std::time::Duration::from_secs(60),
        || {
            let store = store.clone();
            let id = follow_up.action_id.clone();
            async move {
                let action = store.get_action(&id).await?.context("action")?;
                Ok((action.approval_events.len() == 2).then_some(action))
            }
        },
    )
    .await?;
    assert_eq!(refused.status.as_str(), "awaiting_approval");
    assert!(refused.approval_events.iter().all(|e| !e.accepted));
    assert!(
        refused.approval_events[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("unknown field \"who\"")
    );
    assert!(
        refused.approval_events[1]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("must be text, found a number")
    );

    signal(r#"{"approver": "carol", "reason": "looks right"}"#)?;
    let result = env.workflow_result(&workflow_id).await?;
    assert_eq!(result["decision"], "approved");
    assert_eq!(result["approver"], "carol");
    assert_eq!(result["invalid_signals"], 2);
    assert_eq!(result["executed"], true);
    assert_eq!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .len(),
        1
    );

    // Every payload in the history (start input, signals, activity inputs and results) is
    // JSON, readable as is in the Web UI.
    let mut signals = Vec::new();
    let mut payloads_seen = 0;
    for event in env.history(&workflow_id).await? {
        let payloads = match event.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.input,
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) => {
                let input = a.input.context("signal payload")?;
                let first = input.payloads.first().context("signal payload")?;
                signals.push(serde_json::from_slice::<serde_json::Value>(&first.data)?);
                Some(input)
            }
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => a.input,
            Some(Attributes::ActivityTaskCompletedEventAttributes(a)) => a.result,
            Some(Attributes::WorkflowExecutionCompletedEventAttributes(a)) => a.result,
            _ => None,
        };
        for payload in payloads.map(|p| p.payloads).unwrap_or_default() {
            assert_eq!(
                payload.metadata.get("encoding").map(|e| e.as_slice()),
                Some(b"json/plain".as_slice()),
                "event {}",
                event.event_id
            );
            serde_json::from_slice::<serde_json::Value>(&payload.data)?;
            payloads_seen += 1;
        }
    }
    assert!(
        payloads_seen >= 12,
        "start, 3 signals, 4 activities in and out, result: {payloads_seen}"
    );
    assert_eq!(signals.len(), 3);
    assert_eq!(signals[2]["approver"], "carol");

    let action = client
        .actions
        .get_action(pb::GetActionRequest {
            action_id: follow_up.action_id,
        })
        .await?
        .into_inner();
    assert_eq!(action.approval_events.len(), 3);
    assert_eq!(action.status, "executed");
    Ok(())
}
