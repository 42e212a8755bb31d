//! An externally verifiable ledger: a signed digest over the chain, an entry's inclusion proof,
//! and `revloop ledger verify --offline`, which checks them with no API and no store. The
//! hostile cases: a proof whose entry was edited, a digest signed by another key, a store that
//! rewrote an entry after the digest (it can no longer prove anything against it), and a
//! second digest for a kept range.

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;

use crate::helpers::*;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_proves_entries_offline_and_refuses_what_was_changed() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    env.follow_up_awaiting_approval(&mut client).await?;
    let files = env.dir.path().join("audit");
    std::fs::create_dir_all(&files)?;
    let digest_file = files.join("digest.json");

    // A viewer may not sign digests; an admin may.
    let refused = env.revloop_cli(TENANT, &[Role::Viewer], &["ledger", "digest"])?;
    assert_ne!(refused.status.code(), Some(0), "{}", text(&refused));
    let out = env.revloop_cli(
        TENANT,
        &[Role::Admin],
        &["ledger", "digest", "--out", digest_file.to_str().unwrap()],
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let digest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&digest_file)?)?;
    let to_seq = digest["to_seq"].as_u64().unwrap();
    let public_key = digest["public_key"].as_str().unwrap().to_string();
    assert!(to_seq >= 6, "{digest}");
    // Asked again with no new entry: the same digest, not a second one.
    let again = client
        .ledger
        .create_ledger_digest(pb::CreateLedgerDigestRequest::default())
        .await?
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.to_seq, to_seq);
    assert_eq!(again.root, digest["root"].as_str().unwrap());

    // Entry 3's proof, checked offline against the pinned key.
    let proof_file = files.join("proof-3.json");
    let out = env.revloop_cli(
        TENANT,
        &[Role::Viewer],
        &[
            "ledger",
            "prove",
            "3",
            "--out",
            proof_file.to_str().unwrap(),
        ],
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written_digest = files.join(format!("ledger-digest-{to_seq}.json"));
    let offline = |digest: &std::path::Path, proof: &std::path::Path, key: &str| {
        std::process::Command::new(revloop_cli::procs::sibling_binary("revloop").unwrap())
            // No API address and no token: the check needs neither.
            .args([
                "--api",
                "http://127.0.0.1:1",
                "ledger",
                "verify",
                "--offline",
            ])
            .args(["--digest", digest.to_str().unwrap()])
            .args(["--proof", proof.to_str().unwrap()])
            .args(["--public-key", key])
            .output()
            .unwrap()
    };
    let ok = offline(&written_digest, &proof_file, &public_key);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("entry 3"), "{}", text(&ok));

    // A changed entry in the proof fails it.
    let mut forged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&proof_file)?)?;
    forged["entry"]["activity"] = serde_json::json!("forged");
    let forged_file = files.join("forged-proof.json");
    std::fs::write(&forged_file, forged.to_string())?;
    let refused = offline(&written_digest, &forged_file, &public_key);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(
        text(&refused).contains("entry 3 was changed"),
        "{}",
        text(&refused)
    );

    // A digest checked against another key is refused, even though it is intact.
    let other_key = "11".repeat(32);
    let refused = offline(&written_digest, &proof_file, &other_key);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));

    // A digest whose range was edited no longer verifies its signature.
    let mut edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written_digest)?)?;
    edited["root"] = serde_json::json!("00".repeat(32));
    let edited_file = files.join("edited-digest.json");
    std::fs::write(&edited_file, edited.to_string())?;
    let refused = offline(&edited_file, &proof_file, &public_key);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(text(&refused).contains("signature"), "{}", text(&refused));

    // The store rewrites entry 5 behind revloop's back: no proof comes out of it against the
    // signed digest, and no new digest is signed over the broken chain.
    let db = rusqlite::Connection::open(&env.store_path)?;
    db.execute(
        "UPDATE ledger SET activity = 'forged' WHERE tenant_id = ?1 AND seq = 5",
        [TENANT],
    )?;
    let err = client
        .ledger
        .prove_ledger_entry(pb::ProveLedgerEntryRequest {
            seq: 2,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::DataLoss, "{err:?}");
    assert!(err.message().contains("entry 5"), "{err:?}");
    let refused = client
        .ledger
        .create_ledger_digest(pb::CreateLedgerDigestRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(
        refused.message().contains("broken at entry 5"),
        "{refused:?}"
    );
    // The kept digest cannot be replaced, not even by writing to the database directly.
    let rewrite = db.execute(
        "UPDATE ledger_digests SET body = '{}' WHERE tenant_id = ?1",
        [TENANT],
    );
    assert!(rewrite.is_err(), "a kept digest was rewritten");
    // The proof made before the change still verifies: it is the record of what was signed.
    let still = offline(&written_digest, &proof_file, &public_key);
    assert_eq!(still.status.code(), Some(0), "{}", text(&still));

    // Another tenant's admin finds no digest of acme's, and cannot prove its entries.
    let mut other = env.client("other-co", &[Role::Admin]).await?;
    let err = other
        .ledger
        .prove_ledger_entry(pb::ProveLedgerEntryRequest {
            seq: 3,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_is_digested_on_a_schedule_and_a_broken_chain_fails_the_run()
-> anyhow::Result<()> {
    let env = spawn_env_for(
        &[],
        &[("REVLOOP_LEDGER_DIGEST_EVERY_SECS", "2".to_string())],
    )
    .await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let store = env.store()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let digest = loop {
        if let Some(d) = revloop_store::LedgerDigestStore::latest_digest(&store, TENANT).await? {
            break d;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no scheduled digest was kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(digest.from_seq, 1);
    assert!(digest.verify_signature(None).is_ok());
    // The run that signed it replays through the current code (and is the replay fixture).
    // Visibility lags the run's end a little: wait for it to list the completed run.
    let run_id = eventually(
        "a completed LedgerDigestWorkflow",
        std::time::Duration::from_secs(30),
        || {
            let temporal = env.temporal.clone();
            async move {
                let runs: Vec<_> = futures::StreamExt::collect::<Vec<_>>(
                    temporal.list_workflows(
                        "WorkflowType = 'LedgerDigestWorkflow' AND ExecutionStatus = 'Completed'",
                        temporalio_client::WorkflowListOptions::builder()
                            .limit(1)
                            .build(),
                    ),
                )
                .await;
                let runs = runs.into_iter().collect::<Result<Vec<_>, _>>()?;
                Ok(runs.first().map(|r| r.id().to_string()))
            }
        },
    )
    .await?;
    env.replay_and_record(&run_id, "ledger-digest.json").await?;

    // Tamper with an entry: the next scheduled run fails, naming it, and signs nothing.
    let db = rusqlite::Connection::open(&env.store_path)?;
    db.execute(
        "UPDATE ledger SET payload = '{\"forged\":true}' WHERE tenant_id = ?1 AND seq = 2",
        [TENANT],
    )?;
    let tampered_at = chrono::Utc::now();
    // Generous: a loaded machine (the e2e tests run two at a time) delays the schedule's runs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let failed = env
            .temporal
            .count_workflows(
                "WorkflowType = 'LedgerDigestWorkflow' AND ExecutionStatus = 'Failed'",
                Default::default(),
            )
            .await?
            .count();
        if failed > 0 {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no scheduled digest run failed on the broken chain"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let latest = revloop_store::LedgerDigestStore::latest_digest(&store, TENANT)
        .await?
        .expect("the earlier digest is kept");
    assert!(
        latest.created_at < tampered_at,
        "a digest was signed over the broken chain: {latest:?}"
    );
    Ok(())
}
