//! A long-lived AccountWorkflow continues as new before its history grows large, carrying its
//! decision count, so child workflow ids keep counting and nothing is decided twice.

use std::time::Duration;

use futures::StreamExt;
use revloop_activities::contracts::{AccountInput, SignalBatch, SignalRef};
use revloop_workflows::AccountWorkflow;
use temporalio_client::{
    UntypedWorkflow, WorkflowListOptions, WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::{PayloadConverter, RawValue};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_workflow_continues_as_new_and_keeps_counting() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let workflow_id = format!("{TENANT}/account/can-1");
    let input = AccountInput {
        tenant_id: TENANT.into(),
        account_id: "can-1".into(),
        debounce_secs: 1,
        approval_timeout_secs: 60,
        pending: Vec::new(),
        pending_trace_id: None,
        decisions_started: 0,
        max_history_events: Some(25),
    };
    env.temporal
        .start_workflow(
            AccountWorkflow::run,
            input,
            WorkflowStartOptions::new("revloop", workflow_id.clone()).build(),
        )
        .await?;
    let handle = env
        .temporal
        .get_workflow_handle::<AccountWorkflow>(workflow_id.clone());
    let decisions = 6;
    for i in 1..=decisions {
        // Each batch starts one decision; its signals are not in the store, so the decision
        // fails at once, and the account workflow goes on listening.
        let batch = SignalBatch {
            trace_id: format!("trace-{i}"),
            signals: vec![SignalRef {
                signal_id: format!("sig-{i}"),
                signal_type: "MEETING_UPCOMING".into(),
                account_id: "can-1".into(),
            }],
        };
        let raw =
            RawValue::from_value(&serde_json::to_value(&batch)?, &PayloadConverter::default());
        handle
            .signal(
                AccountWorkflow::signals_detected,
                raw,
                WorkflowSignalOptions::default(),
            )
            .await?;
        let decision = format!("{TENANT}/decision/can-1-{i}");
        eventually(&format!("decision {i}"), Duration::from_secs(30), || {
            let handle = env
                .temporal
                .get_workflow_handle::<UntypedWorkflow>(decision.clone());
            async move { Ok(handle.describe(Default::default()).await.ok().map(|_| ())) }
        })
        .await?;
    }
    let query = format!("WorkflowId = '{workflow_id}' AND ExecutionStatus = 'ContinuedAsNew'");
    let continued = eventually("a continued-as-new run", Duration::from_secs(30), || {
        let (query, temporal) = (query.clone(), env.temporal.clone());
        async move {
            let runs: Vec<_> = temporal
                .list_workflows(query, WorkflowListOptions::builder().limit(10).build())
                .collect()
                .await;
            let runs = runs.into_iter().collect::<Result<Vec<_>, _>>()?;
            Ok((!runs.is_empty()).then_some(runs.len()))
        }
    })
    .await?;
    assert!(continued >= 1);
    let running = format!("WorkflowId = '{workflow_id}' AND ExecutionStatus = 'Running'");
    let current: Vec<_> = env
        .temporal
        .list_workflows(running, WorkflowListOptions::builder().limit(10).build())
        .collect()
        .await;
    assert_eq!(current.len(), 1, "one live run after continuing as new");
    Ok(())
}
