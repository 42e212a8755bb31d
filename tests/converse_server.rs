//! A local server that speaks Bedrock's Converse wire format (`POST /model/{modelId}/converse`,
//! SigV4-signed JSON), for workers configured with `REVLOOP_BEDROCK_ENDPOINT`. A script turns
//! each request (and how many came before it) into a reply; every request is kept, so a test
//! can check what the worker sent.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub type Script = dyn Fn(&Value, usize) -> (u16, Value) + Send + Sync;

#[derive(Clone)]
pub struct LocalConverse {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Value>>>,
}

struct Shared {
    script: Box<Script>,
    requests: Arc<Mutex<Vec<Value>>>,
}

async fn converse(
    State(shared): State<Arc<Shared>>,
    Path(_model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signed = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.starts_with("AWS4-HMAC-SHA256 Credential="));
    if !signed {
        return (StatusCode::FORBIDDEN, "unsigned").into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seen = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(request.clone());
        requests.len() - 1
    };
    let (status, reply) = (shared.script)(&request, seen);
    let kind = if status == 429 {
        "ThrottlingException"
    } else {
        "ValidationException"
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [
            ("content-type", "application/json"),
            ("x-amzn-errortype", kind),
        ],
        reply.to_string(),
    )
        .into_response()
}

impl LocalConverse {
    pub async fn start(script: Box<Script>) -> anyhow::Result<Self> {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            script,
            requests: requests.clone(),
        });
        let app = Router::new()
            .route("/model/{model}/converse", post(converse))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { url, requests })
    }

    /// The worker environment that points its Bedrock client here, with static credentials
    /// and no AWS files or instance metadata in reach.
    pub fn worker_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("REVLOOP_BEDROCK_ENDPOINT", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCAL".into()),
            ("AWS_SECRET_ACCESS_KEY", "local-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

/// A Converse reply whose assistant message holds `content`.
pub fn assistant(content: Value) -> (u16, Value) {
    (
        200,
        json!({
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 900, "outputTokens": 60, "totalTokens": 960},
            "metrics": {"latencyMs": 3}
        }),
    )
}

/// The tool results the request sends back, by tool use id.
pub fn tool_results(request: &Value) -> Vec<(String, Value)> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| {
            let r = c.get("toolResult")?;
            Some((
                r["toolUseId"].as_str()?.to_string(),
                r["content"][0]["json"].clone(),
            ))
        })
        .collect()
}

/// The first evidence ref (`rec:…@…`) in the first user message: one of the decided signals'.
pub fn first_context_ref(request: &Value) -> Option<String> {
    let text = request["messages"][0]["content"][0]["text"].as_str()?;
    let start = text.find("rec:")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c == '"' || c == ',' || c == ']' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}
