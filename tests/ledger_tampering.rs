//! Changing one stored ledger entry behind revloop's back is caught, and exactly that entry is
//! named.

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_entry_that_was_altered_in_sqlite() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    env.follow_up_awaiting_approval(&mut client).await?;
    let before = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert!(before.intact);
    assert!(before.entries_checked >= 6, "{before:?}");

    let db = rusqlite::Connection::open(&env.store_path)?;
    let original: String = db.query_row(
        "SELECT payload FROM ledger WHERE tenant_id = ?1 AND seq = 3",
        [TENANT],
        |r| r.get(0),
    )?;
    let changed = db.execute(
        "UPDATE ledger SET payload = '{\"forged\":true}' WHERE tenant_id = ?1 AND seq = 3",
        [TENANT],
    )?;
    assert_eq!(changed, 1);
    let after = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert!(!after.intact);
    assert_eq!(after.first_broken_seq, 3);
    assert!(after.reason.contains("ledger entry 3"), "{}", after.reason);

    let out = env.revloop_cli(TENANT, &[Role::Viewer], &["ledger", "verify"])?;
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("BROKEN at entry 3"));

    // Put the payload back: intact again. Then alter a field the hash covers on entry 5.
    db.execute(
        "UPDATE ledger SET payload = ?2 WHERE tenant_id = ?1 AND seq = 3",
        [TENANT, original.as_str()],
    )?;
    assert!(
        client
            .ledger
            .verify_ledger(pb::VerifyLedgerRequest::default())
            .await?
            .into_inner()
            .intact
    );
    db.execute(
        "UPDATE ledger SET activity = 'forged' WHERE tenant_id = ?1 AND seq = 5",
        [TENANT],
    )?;
    let again = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert_eq!(again.first_broken_seq, 5);
    assert!(again.reason.contains("hash mismatch"), "{}", again.reason);
    Ok(())
}
