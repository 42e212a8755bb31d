//! The Titan memory backend with the real Bedrock runtime SDK, against a local server that
//! answers `InvokeModel` as Bedrock does (`POST /model/{modelId}/invoke`, SigV4-signed, Titan
//! embedding JSON). Its embeddings are hashed bags of words: enough to rank by shared words.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use revloop_activities::memory::conformance::check_memory;
use revloop_activities::memory::{MemoryIndex, TitanMemory};
use revloop_domain::world::memory::Chunk;
use serde_json::{Value, json};

const MODEL: &str = "amazon.titan-embed-text-v2:0";
const DIMENSIONS: usize = 64;

#[derive(Default)]
struct Seen {
    calls: AtomicUsize,
}

fn bag_of_words(text: &str, dimensions: usize) -> Vec<f32> {
    let mut v = vec![0f32; dimensions];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
    {
        let h = word
            .to_lowercase()
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
            });
        v[(h % dimensions as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [
            ("x-amzn-errortype", kind),
            ("content-type", "application/json"),
        ],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

async fn invoke(
    State(seen): State<Arc<Seen>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    seen.calls.fetch_add(1, Ordering::SeqCst);
    let signed = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
    if !signed {
        return error(StatusCode::FORBIDDEN, "AccessDeniedException", "unsigned");
    }
    if model != MODEL {
        return error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &model);
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "ValidationException", "not JSON");
    };
    let (Some(text), Some(dimensions)) = (
        request["inputText"].as_str(),
        request["dimensions"].as_u64(),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "inputText and dimensions",
        );
    };
    if text.contains("FAIL-THIS") {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "Malformed input request: expected maxLength: 50000",
        );
    }
    let embedding = bag_of_words(text, dimensions as usize);
    (
        [("content-type", "application/json")],
        json!({ "embedding": embedding, "inputTextTokenCount": text.split_whitespace().count() })
            .to_string(),
    )
        .into_response()
}

async fn local_bedrock() -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/model/{model}/invoke", post(invoke))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

fn client(addr: SocketAddr) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("http://{addr}"))
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

/// The backend under test, talking to the local server, with its vectors in the SQLite store
/// at `file`.
fn titan(addr: SocketAddr, file: &std::path::Path) -> TitanMemory {
    let store = revloop_store::SqliteStore::open(file).unwrap();
    TitanMemory::new(
        client(addr),
        MODEL,
        DIMENSIONS as u32,
        std::sync::Arc::new(store),
    )
}

#[tokio::test]
async fn titan_memory_passes_the_memory_checks_through_the_bedrock_sdk() {
    let (addr, seen) = local_bedrock().await;
    let dir = tempfile::tempdir().unwrap();
    let memory = titan(addr, &dir.path().join("v.db"));
    check_memory(&memory).await;
    assert!(
        seen.calls.load(Ordering::SeqCst) > 10,
        "every chunk and query was embedded"
    );

    // Vectors persist: a new process finds what an earlier one indexed.
    let reopened = titan(addr, &dir.path().join("v.db"));
    let hits = reopened
        .search("t1", Some("acme"), "rivalsoft pricing", 3)
        .await
        .unwrap();
    assert_eq!(hits[0].chunk.chunk_id, "note:a#0");
    assert!(hits[0].score > 0.5, "{hits:?}");
}

#[tokio::test]
async fn a_refused_embedding_is_a_clear_error_and_keeps_what_was_stored() {
    let (addr, _) = local_bedrock().await;
    let dir = tempfile::tempdir().unwrap();
    let memory = titan(addr, &dir.path().join("v.db"));
    let chunk = |id: &str, text: &str| Chunk {
        chunk_id: id.into(),
        account_id: "acme".into(),
        kind: "note".into(),
        text: text.into(),
        evidence_ref: format!("rec:{id}@1"),
    };
    memory
        .index("t1", &[chunk("note:a#0", "Rivalsoft pricing")])
        .await
        .unwrap();
    let refused = memory
        .index(
            "t1",
            &[
                chunk("note:a#0", "replaced"),
                chunk("note:b#0", "FAIL-THIS"),
            ],
        )
        .await
        .expect_err("the model refused one chunk");
    let text = refused.to_string();
    assert!(
        text.contains(MODEL) && text.contains("Malformed input request"),
        "{text}"
    );
    let hits = memory
        .search("t1", None, "rivalsoft pricing", 5)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].chunk.text, "Rivalsoft pricing",
        "nothing of the failed batch was written"
    );

    let wrong_model = TitanMemory::new(
        client(addr),
        "amazon.titan-embed-g1-text-02",
        64,
        std::sync::Arc::new(revloop_store::SqliteStore::open(dir.path().join("w.db")).unwrap()),
    );
    let missing = wrong_model
        .search("t1", None, "anything", 5)
        .await
        .expect_err("unknown model");
    assert!(
        missing.to_string().contains("ResourceNotFoundException"),
        "{missing}"
    );
}
