//! Batches of any size: a perception run's workflow history carries counts and refs, never the
//! batch's records, changes or signals, so it is the same size at 1 000 and 100 000 records
//! (the probe's 22 000-record batch failed with "Complete result exceeds size limit").

use anyhow::Context;
use prost::Message;
use revloop_activities::contracts::{PerceptionInput, SourceRef};
use revloop_store::{Evidence, Provenance, RecordStore};
use revloop_workflows::PerceptionWorkflow;
use serde_json::json;
use temporalio_client::WorkflowStartOptions;

use crate::helpers::*;

/// Accounts whose contract is inside the renewal window, so the run raises, stores and emits
/// one signal per account; the rest of the batch is daily usage readings of those accounts.
const ACCOUNTS: usize = 5;

pub(crate) fn batch(records: usize) -> Vec<u8> {
    let today = chrono::Utc::now().date_naive();
    let mut lines = Vec::with_capacity(records);
    for a in 0..ACCOUNTS {
        lines.push(json!({"type": "account", "id": format!("bs-{a}"), "updated_at": "2026-01-01T00:00:00Z", "name": format!("Batch {a}")}).to_string());
        lines.push(json!({"type": "contract", "id": format!("bs-c{a}"), "account_id": format!("bs-{a}"), "updated_at": "2026-01-01T00:00:00Z", "start_date": (today - chrono::Days::new(300)).to_string(), "end_date": (today + chrono::Days::new(45)).to_string()}).to_string());
    }
    let readings = records - lines.len();
    for i in 0..readings {
        let account = i % ACCOUNTS;
        let day = today - chrono::Days::new((i / ACCOUNTS) as u64 + 1);
        lines.push(json!({"type": "usage", "id": format!("bs-u{i}"), "account_id": format!("bs-{account}"), "updated_at": "2026-01-01T00:00:00Z", "date": day.to_string(), "metric": "api_calls", "value": 100 + (i % 7)}).to_string());
    }
    (lines.join("\n") + "\n").into_bytes()
}

/// Stores a generated batch of `records` for `tenant` and starts its perception run as
/// `{tenant}/perception/{key}` under `trace_id`; returns the workflow id.
pub(crate) async fn start(
    env: &TestEnv,
    tenant: &str,
    records: usize,
    key: &str,
    trace_id: &str,
) -> anyhow::Result<String> {
    let evidence = Evidence::new(
        tenant,
        batch(records),
        Provenance {
            source: format!("generated {records}"),
            connector: "pushed_batch".into(),
            fetched_at: chrono::Utc::now(),
            cursor: None,
            trust_class: "crm".into(),
        },
    );
    env.backend()?.put_evidence(&evidence).await?;
    let workflow_id = format!("{tenant}/perception/{key}");
    env.temporal
        .start_workflow(
            PerceptionWorkflow::run,
            PerceptionInput {
                tenant_id: tenant.into(),
                trace_id: trace_id.into(),
                source: SourceRef::PushedBatch {
                    evidence_id: evidence.evidence_id.clone(),
                },
            },
            WorkflowStartOptions::new("revloop", workflow_id.clone()).build(),
        )
        .await?;
    Ok(workflow_id)
}

/// Runs one pushed batch of `records` for `tenant` and returns the run's result and the
/// encoded size of its whole history.
async fn run(
    env: &TestEnv,
    tenant: &str,
    records: usize,
) -> anyhow::Result<(serde_json::Value, usize)> {
    let name = format!("batch-{records}");
    let workflow_id = start(env, tenant, records, &name, &name).await?;
    let started = std::time::Instant::now();
    let result = env
        .workflow_result_within(&workflow_id, std::time::Duration::from_secs(900))
        .await?;
    eprintln!(
        "{records} records: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let bytes = env
        .history(&workflow_id)
        .await?
        .iter()
        .map(Message::encoded_len)
        .sum();
    Ok((result, bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_does_not_grow_with_the_batch() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let (small, small_bytes) = run(&env, "batch-small", 1_000).await?;
    let (large, large_bytes) = run(&env, "batch-large", 100_000).await?;
    for (result, records) in [(&small, 1_000), (&large, 100_000)] {
        assert_eq!(result["accepted"], records, "{result}");
        assert_eq!(result["changed"], records, "{result}");
        assert!(
            result["new_signals"].as_u64() >= Some(ACCOUNTS as u64),
            "at least a renewal signal per account: {result}"
        );
        assert_eq!(result["account_count"], ACCOUNTS, "{result}");
    }
    eprintln!("history: {small_bytes} bytes at 1 000 records, {large_bytes} bytes at 100 000");
    assert_eq!(small["new_signals"], large["new_signals"]);
    // Every record is stored, although the history never held them.
    let store = env.store()?;
    let last = revloop_domain::records::RecordKey {
        record_type: "usage".into(),
        id: format!("bs-u{}", 100_000 - 2 * ACCOUNTS - 1),
    };
    store
        .latest_version("batch-large", &last)
        .await?
        .context("the last record of the large batch is stored")?;
    assert!(
        large_bytes < small_bytes + small_bytes / 4,
        "history at 100 000 records: {large_bytes} bytes; at 1 000: {small_bytes} bytes"
    );
    assert!(large_bytes < 64 * 1024, "{large_bytes} bytes");
    Ok(())
}
