//! Security finding 5: webhook replays. A captured signed delivery replayed later, or an older
//! body re-signed after a newer one, must never roll the record back.

use revloop_domain::records::{Record, RecordKey};
use revloop_store::{EvidenceStore, RecordStore};
use serde_json::json;

use crate::helpers::*;
use crate::push_connector::{post, register_push_connector};

fn evidence_id(body: &[u8]) -> String {
    use sha2::Digest;
    format!("ev-{}", hex::encode(sha2::Sha256::digest(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_stale_and_older_deliveries_never_roll_a_record_back() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let url = register_push_connector(&env, &mut client).await?;
    let store = env.store()?;
    let account = |updated_at: &str, name: &str| {
        serde_json::to_vec(
            &json!([{"type": "account", "id": "replayed", "updated_at": updated_at, "name": name}]),
        )
        .unwrap()
    };
    let latest_name = || async {
        let key = RecordKey {
            record_type: "account".into(),
            id: "replayed".into(),
        };
        let latest = store.latest_version(TENANT, &key).await?;
        anyhow::Ok(match latest.map(|v| v.record) {
            Some(Record::Account(a)) => a.name,
            other => panic!("an account, not {other:?}"),
        })
    };

    // The newer version lands.
    let newer = account("2026-03-02T00:00:00Z", "Replayed New");
    let newer_signature = push_signature(PUSH_SECRET, &newer);
    let (status, reply) = post(&url, &newer, Some(newer_signature.clone())).await?;
    assert_eq!(status, 202, "{reply}");
    env.workflow_result(reply["workflow_id"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(latest_name().await?, "Replayed New");

    // The captured delivery, replayed byte for byte inside the window, is refused.
    let (status, reply) = post(&url, &newer, Some(newer_signature)).await?;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (409, Some("REPLAYED")),
        "{reply}"
    );

    // An older body, correctly signed but with a timestamp an hour old, is refused and stored
    // nowhere.
    let older = account("2026-03-01T00:00:00Z", "Replayed Old");
    let hour_ago = chrono::Utc::now().timestamp() - 3600;
    let (status, reply) = post(
        &url,
        &older,
        Some(push_signature_at(PUSH_SECRET, hour_ago, &older)),
    )
    .await?;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (401, Some("STALE_SIGNATURE")),
        "{reply}"
    );
    assert!(
        store
            .get_evidence(TENANT, &evidence_id(&older))
            .await?
            .is_none()
    );

    // The untimed signature form is not accepted any more.
    let (status, reply) = post(&url, &older, Some("sha256=00".into())).await?;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (401, Some("BAD_SIGNATURE")),
        "{reply}"
    );

    // The older body signed now is a new delivery, but its version is older than the stored
    // one: it is counted as stale and the newer version stays the latest.
    let (status, reply) = post(&url, &older, Some(push_signature(PUSH_SECRET, &older))).await?;
    assert_eq!(status, 202, "{reply}");
    let result = env
        .workflow_result(reply["workflow_id"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(
        (result["changed"].as_u64(), result["stale"].as_u64()),
        (Some(0), Some(1)),
        "{result}"
    );
    assert_eq!(latest_name().await?, "Replayed New");
    assert_eq!(store.account_versions(TENANT, "replayed").await?.len(), 1);
    Ok(())
}
