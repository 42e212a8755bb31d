//! HTTP push connector: a valid signed batch lands; a bad signature, malformed JSON or an
//! unknown tenant or connector is refused with a clear error and stores nothing.

use revloop_domain::records::RecordKey;
use revloop_proto::v1 as pb;
use revloop_store::{EvidenceStore, RecordStore};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::*;

fn signature(secret: &str, body: &[u8]) -> String {
    push_signature(secret, body)
}

fn evidence_id(body: &[u8]) -> String {
    use sha2::Digest;
    format!("ev-{}", hex::encode(Sha256::digest(body)))
}

/// A request that must be refused, and how.
struct Refusal {
    what: &'static str,
    url: String,
    body: Vec<u8>,
    signature: Option<String>,
    status: u16,
    code: &'static str,
}

fn account(id: &str) -> Value {
    json!({"type": "account", "id": id, "updated_at": "2026-03-01T00:00:00Z", "name": format!("Company {id}")})
}

/// Registers the `crm-webhook` push connector with the tests' secret; returns its URL.
pub async fn register_push_connector(
    env: &TestEnv,
    client: &mut revloop_cli::client::ApiClient,
) -> anyhow::Result<String> {
    let registered = client
        .connectors
        .register_connector(pb::RegisterConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-webhook".into(),
            kind: "http_push".into(),
            secret_ref: PUSH_SECRET_REF.into(),
            config_json: String::new(),
        })
        .await?
        .into_inner();
    Ok(format!("{}{}", env.http_url, registered.push_path))
}

pub async fn post(
    url: &str,
    body: &[u8],
    signature: Option<String>,
) -> anyhow::Result<(u16, Value)> {
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
    let url = register_push_connector(&env, &mut client).await?;
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
    let signed = |body: &[u8]| Some(signature(PUSH_SECRET, body));
    let malformed = b"{\"type\":\"account\",\"id\":\"refused-1\"\n{oops".to_vec();
    let tampered = b"[{\"type\":\"account\",\"id\":\"refused-1\"}]".to_vec();
    let other_tenant = format!(
        "{}/v1/tenants/nobody/connectors/crm-webhook/records",
        env.http_url
    );
    let other_connector = format!(
        "{}/v1/tenants/{TENANT}/connectors/nope/records",
        env.http_url
    );
    let cases = [
        Refusal {
            what: "wrong secret",
            url: url.clone(),
            body: bad.clone(),
            signature: Some(signature("not-the-secret", &bad)),
            status: 401,
            code: "BAD_SIGNATURE",
        },
        Refusal {
            what: "no signature",
            url: url.clone(),
            body: bad.clone(),
            signature: None,
            status: 401,
            code: "BAD_SIGNATURE",
        },
        Refusal {
            what: "tampered body",
            url: url.clone(),
            body: tampered,
            signature: signed(&bad),
            status: 401,
            code: "BAD_SIGNATURE",
        },
        Refusal {
            what: "malformed JSON",
            url: url.clone(),
            body: malformed.clone(),
            signature: signed(&malformed),
            status: 400,
            code: "MALFORMED_JSON",
        },
        Refusal {
            // Answered as a bad signature: which tenants exist is not told.
            what: "unknown tenant",
            url: other_tenant,
            body: bad.clone(),
            signature: signed(&bad),
            status: 401,
            code: "BAD_SIGNATURE",
        },
        Refusal {
            what: "unknown connector",
            url: other_connector,
            body: bad.clone(),
            signature: signed(&bad),
            status: 401,
            code: "BAD_SIGNATURE",
        },
    ];
    for Refusal {
        what,
        url,
        body,
        signature: sig,
        status: want_status,
        code: want_code,
    } in cases
    {
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
