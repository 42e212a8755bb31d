//! A local server that answers `InvokeModel` as Amazon Bedrock does for Titan text
//! embeddings (`POST /model/{modelId}/invoke`, SigV4-signed, Titan embedding JSON), for the
//! Titan memory tests and the end-to-end tests on the AWS backend. Its embeddings are hashed
//! bags of words: enough to rank by shared words.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub const MODEL: &str = "amazon.titan-embed-text-v2:0";

/// What the server saw.
#[derive(Default)]
pub struct Seen {
    pub calls: AtomicUsize,
    access_key: String,
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
        .is_some_and(|h| {
            h.starts_with(&format!("AWS4-HMAC-SHA256 Credential={}/", seen.access_key))
        });
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

/// Starts the server on a loopback port; it accepts requests signed with `access_key` only.
pub async fn local_titan(access_key: &str) -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen {
        calls: AtomicUsize::new(0),
        access_key: access_key.to_string(),
    });
    let app = Router::new()
        .route("/model/{model}/invoke", post(invoke))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}
