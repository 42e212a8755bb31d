//! `revloop bench approval`: approval → execution latency on a dev server. A generated tenant
//! is run through the loop until its customer-facing actions wait for approval; then each is
//! approved through the API (`ApproveAction`, which mints the approver's token and signals its
//! ApprovalWorkflow). Half are approved one at a time, each once the one before has executed
//! (the latency a person sees); the other half all at once (a backlog cleared in one go).
//! Each latency runs from just before the approve call to the close of the action's
//! ActionWorkflow, when its effect is recorded, as Temporal timestamps it (same machine, same
//! clock).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use revloop_proto::v1 as pb;
use serde_json::{Value, json};

use super::Latencies;
use super::dev_loop::{DevLoop, TENANT};

pub async fn run(accounts: usize, seed: u64, json_out: bool) -> anyhow::Result<i32> {
    let mut dev = DevLoop::start().await?;
    let outcome = measure(&mut dev, accounts, seed).await;
    dev.finish(outcome, json_out)
}

async fn measure(dev: &mut DevLoop, accounts: usize, seed: u64) -> anyhow::Result<Value> {
    dev.run_generated(accounts, seed).await?;
    let waiting: Vec<String> = dev
        .client
        .actions
        .list_actions(pb::ListActionsRequest {
            status: "awaiting_approval".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .actions
        .into_iter()
        .map(|a| a.action_id)
        .collect();
    anyhow::ensure!(
        !waiting.is_empty(),
        "no action awaits approval: try more accounts"
    );
    let (paced, burst) = waiting.split_at(waiting.len() / 2);
    let mut sent: BTreeMap<String, (DateTime<Utc>, bool)> = BTreeMap::new();
    for action_id in paced {
        sent.insert(
            workflow_of(action_id),
            (approve(dev, action_id).await?, true),
        );
        wait_executed(dev, action_id).await?;
    }
    for action_id in burst {
        sent.insert(
            workflow_of(action_id),
            (approve(dev, action_id).await?, false),
        );
    }
    dev.wait_until_idle(Duration::from_secs(600)).await?;
    let (mut one_at_a_time, mut all_at_once) = (Latencies::new(), Latencies::new());
    for closed in dev.closed_of("ActionWorkflow")? {
        if let Some((at, is_paced)) = sent.get(&closed.id) {
            let latency = (closed.closed - *at).to_std().unwrap_or_default();
            if *is_paced {
                one_at_a_time.push(latency);
            } else {
                all_at_once.push(latency);
            }
        }
    }
    let executed = one_at_a_time.len() + all_at_once.len();
    anyhow::ensure!(
        executed == waiting.len(),
        "{executed} of {} approved actions executed",
        waiting.len()
    );
    Ok(json!({
        "accounts": accounts,
        "seed": seed,
        "approved": waiting.len(),
        "approve_to_executed_one_at_a_time": one_at_a_time.report(),
        "approve_to_executed_all_at_once": all_at_once.report(),
    }))
}

fn workflow_of(action_id: &str) -> String {
    format!("{TENANT}/action/{action_id}")
}

/// Approves through the API; returns when the call was made.
async fn approve(dev: &mut DevLoop, action_id: &str) -> anyhow::Result<DateTime<Utc>> {
    let at = Utc::now();
    dev.client
        .actions
        .approve_action(pb::DecideActionRequest {
            action_id: action_id.to_string(),
            reason: "bench".into(),
        })
        .await
        .with_context(|| format!("approving {action_id}"))?;
    Ok(at)
}

/// Polls the action (every 10 ms, a cheap read) until it has executed.
async fn wait_executed(dev: &mut DevLoop, action_id: &str) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let action = dev
            .client
            .actions
            .get_action(pb::GetActionRequest {
                action_id: action_id.to_string(),
            })
            .await?
            .into_inner();
        match action.status.as_str() {
            "executed" => return Ok(()),
            "awaiting_approval" | "approved" | "executing" => {}
            other => anyhow::bail!("action {action_id} ended {other}, not executed"),
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "action {action_id} did not execute within a minute of its approval"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
