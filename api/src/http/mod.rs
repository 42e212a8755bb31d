//! The HTTP side of the API: webhooks that sources push to on the public listener, and
//! `/metrics` for Prometheus on a separate one meant for the cluster. Errors are JSON bodies
//! `{"error": {"code": "...", "message": "..."}}` with a 4xx/5xx status.

pub mod limits;
pub mod listener;
mod push;
mod signature;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::server::AppState;

pub use signature::{SIGNATURE_HEADER, sign};

pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/v1/tenants/{tenant}/connectors/{connector}/records",
            post(push::push_records),
        )
        .with_state(state)
}

/// The metrics listener's routes: `/metrics` only.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move {
                crate::metrics::scrape(&*state.store).await
            }),
        )
        .with_state(state)
}

/// An HTTP error with a machine-readable code and a message that says what and where.
#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl HttpError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response()
    }
}

impl From<tonic::Status> for HttpError {
    fn from(status: tonic::Status) -> Self {
        let http = match status.code() {
            tonic::Code::InvalidArgument => StatusCode::BAD_REQUEST,
            tonic::Code::NotFound => StatusCode::NOT_FOUND,
            tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
            tonic::Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            tonic::Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        HttpError::new(http, "INTERNAL", status.message().to_string())
    }
}
