//! A generated tenant through the real pipeline: the signals stored on the dev server include
//! every planted one, as offline detection finds them.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{Timelike, Utc};
use revloop_cli::seed::{COMPETITORS, ExpectedSignal, SeedOptions, generate};
use revloop_proto::v1 as pb;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_stores_every_planted_signal_for_three_seeds() -> anyhow::Result<()> {
    // Day-based windows would shift under a run that crosses midnight UTC.
    let now = Utc::now();
    let seconds_to_midnight = 86_400 - i64::from(now.num_seconds_from_midnight());
    if seconds_to_midnight < 180 {
        tokio::time::sleep(Duration::from_secs(seconds_to_midnight as u64 + 5)).await;
    }
    let env = spawn_env().await?;
    for seed in [3u64, 4, 5] {
        let tenant = format!("gen-{seed}");
        let mut client = env
            .client(&tenant, &[revloop_domain::auth::Role::Admin])
            .await?;
        let generated = generate(
            &SeedOptions {
                accounts: 15,
                days: 45,
                seed,
                now: Utc::now(),
            },
            || {},
        )?;
        let competitors: Vec<String> = COMPETITORS.iter().map(|c| format!("{c:?}")).collect();
        let config_toml = format!("[signals]\ncompetitors = [{}]\n", competitors.join(", "));
        let set = set_tenant_config(&mut client, &tenant, &config_toml).await?;
        assert!(set.contains("Rivalsoft"), "{set}");

        // Earlier versions first, then the current records, as two syncs would deliver them.
        for (source, lines) in [
            ("previous", &generated.previous),
            ("current", &generated.records),
        ] {
            let request = pb::IngestRecordsRequest {
                tenant_id: tenant.clone(),
                jsonl: lines.join("\n"),
                source: source.into(),
                ..Default::default()
            };
            let ingested = client.ingest.ingest_records(request).await?.into_inner();
            assert_eq!(ingested.accepted as usize, lines.len());
            env.workflow_result(&ingested.workflow_id).await?;
        }

        let expected: BTreeSet<ExpectedSignal> = generated.expected.iter().cloned().collect();
        assert_eq!(
            expected
                .iter()
                .map(|e| &e.signal_type)
                .collect::<BTreeSet<_>>()
                .len(),
            15
        );
        let stored = client
            .signals
            .list_signals(pb::ListSignalsRequest::default())
            .await?
            .into_inner()
            .signals;
        let stored: BTreeSet<ExpectedSignal> = stored
            .into_iter()
            .map(|s| ExpectedSignal {
                signal_type: s.signal_type,
                account_id: s.account_id,
                dedup_key: s.dedup_key,
            })
            .collect();
        let missing: Vec<&ExpectedSignal> = expected.difference(&stored).collect();
        assert!(
            missing.is_empty(),
            "seed {seed}: planted but not stored: {missing:#?}"
        );
    }
    Ok(())
}
