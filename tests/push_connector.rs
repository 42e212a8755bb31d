//! HTTP push connector: a valid signed batch lands; a bad signature, malformed JSON or an
//! unknown tenant or connector is refused with a clear error and stores nothing.

use hmac::{Hmac, Mac};
use revloop_domain::records::RecordKey;
use revloop_proto::v1 as pb;
use revloop_store::{EvidenceStore, RecordStore};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::*;

fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn evidence_id(body: &[u8]) -> String {
    use sha2::Digest;
    format!("ev-{}", hex::encode(Sha256::digest(body)))
}

fn account(id: &str) -> Value {
    json!({"type": "account", "id": id, "updated_at": "2026-03-01T00:00:00Z", "name": format!("Company {id}")})
}

async fn post(url: &str, body: &[u8], signature: Option<String>) -> anyhow::Result<(u16, Value)> {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        request = request.header("x-revloop-signature", sig);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_batches_land_and_everything_else_is_refused_without_a_trace() -> anyhow::Result<()>
{
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let registered = client
        .connectors
        .register_connector(pb::RegisterConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-webhook".into(),
            kind: "http_push".into(),
            secret_ref: "env:REVLOOP_TEST_PUSH_SECRET".into(),
            config_json: String::new(),
        })
        .await?
        .into_inner();
    let url = format!("{}{}", env.http_url, registered.push_path);
    let store = env.store()?;
    let stored = |id: &str| {
        let store = store.clone();
        let key = RecordKey {
            record_type: "account".into(),
            id: id.into(),
        };
        async move { anyhow::Ok(store.latest_version(TENANT, &key).await?.is_some()) }
    };

    // A valid signed JSON array lands and is perceived.
    let body = serde_json::to_vec(&json!([account("pushed-1"), account("pushed-2")]))?;
    let (status, reply) = post(&url, &body, Some(signature(PUSH_SECRET, &body))).await?;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(reply["accepted"], 2);
    env.workflow_result(reply["workflow_id"].as_str().unwrap_or_default())
        .await?;
    assert!(stored("pushed-1").await? && stored("pushed-2").await?);

    // Refusals: each says why, and leaves no evidence, record or workflow behind.
    let bad = serde_json::to_vec(&json!([account("refused-1")]))?;
    let cases: Vec<(&str, String, Vec<u8>, Option<String>, u16, &str)> = vec![
        (
            "wrong secret",
            url.clone(),
            bad.clone(),
            Some(signature("not-the-secret", &bad)),
            401,
            "BAD_SIGNATURE",
        ),
        (
            "no signature",
            url.clone(),
            bad.clone(),
            None,
            401,
            "BAD_SIGNATURE",
        ),
        (
            "tampered body",
            url.clone(),
            b"[{\"type\":\"account\",\"id\":\"refused-1\"}]".to_vec(),
            Some(signature(PUSH_SECRET, &bad)),
            401,
            "BAD_SIGNATURE",
        ),
        (
            "malformed JSON",
            url.clone(),
            b"{\"type\":\"account\",\"id\":\"refused-1\"\n{oops".to_vec(),
            Some(signature(
                PUSH_SECRET,
                b"{\"type\":\"account\",\"id\":\"refused-1\"\n{oops",
            )),
            400,
            "MALFORMED_JSON",
        ),
        (
            "unknown tenant",
            format!(
                "{}/v1/tenants/nobody/connectors/crm-webhook/records",
                env.http_url
            ),
            bad.clone(),
            Some(signature(PUSH_SECRET, &bad)),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown connector",
            format!(
                "{}/v1/tenants/{TENANT}/connectors/nope/records",
                env.http_url
            ),
            bad.clone(),
            Some(signature(PUSH_SECRET, &bad)),
            404,
            "NOT_FOUND",
        ),
    ];
    for (what, url, body, sig, want_status, want_code) in cases {
        let (status, reply) = post(&url, &body, sig).await?;
        assert_eq!(status, want_status, "{what}: {reply}");
        assert_eq!(reply["error"]["code"], want_code, "{what}: {reply}");
        assert!(
            !reply["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{what}: a clear message"
        );
        assert!(
            store
                .get_evidence(TENANT, &evidence_id(&body))
                .await?
                .is_none(),
            "{what}: no evidence stored"
        );
    }
    assert!(
        !stored("refused-1").await?,
        "no refused record reached the store"
    );
    let (_, malformed) = post(&url, b"[1,", Some(signature(PUSH_SECRET, b"[1,"))).await?;
    assert!(
        malformed["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a JSON array")
    );
    Ok(())
}
