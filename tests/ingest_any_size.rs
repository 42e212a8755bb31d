//! A file of any size through `revloop ingest`: 100 000 records (over 15 MB, four times gRPC's
//! message limit) go in chunks of at most 1 MiB under one trace. Every chunk's perception
//! completes, the generator's planted signals are stored, each perception history stays the
//! same size whatever the file's size, and a bad line is reported by its line in the file.

use std::collections::BTreeSet;

use chrono::Utc;
use revloop_cli::seed::{ExpectedSignal, SeedOptions, generate, tenant_toml};
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use serde_json::json;

use crate::helpers::*;

const RECORDS: usize = 100_000;

/// Daily readings of flat usage on accounts of their own: volume that raises no signal.
fn filler(count: usize) -> Vec<String> {
    let today = Utc::now().date_naive();
    (0..count)
        .map(|i| {
            let account = i % 5;
            let day = today - chrono::Days::new((i / 5) as u64 + 1);
            json!({"type": "usage", "id": format!("filler-usage-reading-{i:07}"), "account_id": format!("filler-{account}"), "updated_at": "2026-01-01T00:00:00Z", "date": day.to_string(), "metric": "api_calls", "value": 100}).to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_000_record_file_goes_through_revloop_ingest() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    set_tenant_config(&mut client, TENANT, &tenant_toml()).await?;
    let generated = generate(
        &SeedOptions {
            accounts: 15,
            days: 45,
            seed: 11,
            now: Utc::now(),
        },
        || {},
    )?;
    let dir = tempfile::tempdir()?;
    let previous = dir.path().join("previous.jsonl");
    std::fs::write(&previous, generated.previous.join("\n"))?;
    let mut lines = generated.records.clone();
    lines.extend(filler(RECORDS - lines.len()));
    // One bad line, far into the file.
    let bad_at = 70_001;
    lines[bad_at - 1] = r#"{"type":"usage","id":"broken"}"#.to_string();
    let big = dir.path().join("export.jsonl");
    std::fs::write(&big, lines.join("\n") + "\n")?;
    let size = std::fs::metadata(&big)?.len();
    assert!(size >= 15_000_000, "{size} bytes");

    let ingest = |file: &std::path::Path| {
        env.revloop_cli(
            TENANT,
            &[Role::Admin],
            &[
                "--json",
                "ingest",
                file.to_str().unwrap_or_default(),
                "--source",
                "crm",
            ],
        )
    };
    let earlier = ingest(&previous)?;
    assert_eq!(earlier.status.code(), Some(0));
    let earlier: serde_json::Value = serde_json::from_slice(&earlier.stdout)?;
    env.workflow_result(earlier["workflow_id"].as_str().unwrap())
        .await?;
    let small_history = history_bytes(&env, earlier["workflow_id"].as_str().unwrap()).await?;

    let started = std::time::Instant::now();
    let out = ingest(&big)?;
    assert_eq!(out.status.code(), Some(2), "one bad line: exit 2");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(answer["accepted"], RECORDS - 1, "{answer}");
    assert_eq!(answer["rejected"], 1);
    assert_eq!(
        answer["rejected_lines"][0]["line"], bad_at,
        "numbered as in the whole file: {answer}"
    );
    let workflows: Vec<String> = answer["workflow_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert!(workflows.len() >= 15, "1 MiB chunks: {}", workflows.len());
    let trace = answer["trace_id"].as_str().unwrap();
    let mut accepted = 0;
    let mut largest_history = 0;
    for id in &workflows {
        assert!(
            id.contains(trace),
            "every chunk under the file's trace: {id}"
        );
        let result = env
            .workflow_result_within(id, std::time::Duration::from_secs(600))
            .await?;
        accepted += result["accepted"].as_u64().unwrap_or_default();
        largest_history = largest_history.max(history_bytes(&env, id).await?);
    }
    eprintln!(
        "{RECORDS} records, {size} bytes, {} chunks: perceived in {:.1} s; perception history {small_history} bytes for {} records, at most {largest_history} bytes per chunk",
        workflows.len(),
        started.elapsed().as_secs_f64(),
        generated.previous.len()
    );
    assert_eq!(accepted as usize, RECORDS - 1, "every chunk perceived");
    assert!(
        largest_history < small_history + small_history / 2 && largest_history < 64 * 1024,
        "history {largest_history} bytes per chunk; {small_history} for the small batch"
    );

    let expected: BTreeSet<ExpectedSignal> = generated.expected.iter().cloned().collect();
    let stored: BTreeSet<ExpectedSignal> = client
        .signals
        .list_signals(pb::ListSignalsRequest::default())
        .await?
        .into_inner()
        .signals
        .into_iter()
        .map(|s| ExpectedSignal {
            signal_type: s.signal_type,
            account_id: s.account_id,
            dedup_key: s.dedup_key,
        })
        .collect();
    let missing: Vec<&ExpectedSignal> = expected.difference(&stored).collect();
    assert!(missing.is_empty(), "planted but not stored: {missing:#?}");
    Ok(())
}
