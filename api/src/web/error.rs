//! What a page answers when it cannot do what was asked: the status, and a page that says
//! what went wrong and what to do. A request without a valid session goes to the sign-in page.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html;

#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl WebError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// No session, or one whose token no longer verifies.
    pub fn sign_in() -> Self {
        Self::new(StatusCode::SEE_OTHER, "SIGN_IN", "sign in first")
    }
}

/// An API refusal as the page shows it: the same status family, the API's own message.
impl From<tonic::Status> for WebError {
    fn from(status: tonic::Status) -> Self {
        let (http, code) = match status.code() {
            tonic::Code::InvalidArgument => (StatusCode::BAD_REQUEST, "INVALID_ARGUMENT"),
            tonic::Code::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            tonic::Code::PermissionDenied => (StatusCode::FORBIDDEN, "PERMISSION_DENIED"),
            tonic::Code::Unauthenticated => return WebError::sign_in(),
            tonic::Code::FailedPrecondition => (StatusCode::CONFLICT, "FAILED_PRECONDITION"),
            tonic::Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        };
        WebError::new(http, code, status.message().to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::SEE_OTHER {
            return (self.status, [(header::LOCATION, "/app/sign-in")]).into_response();
        }
        let body = format!(
            r#"<div class="error" role="alert"><p><strong>{}</strong> ({})</p><p>{}</p></div><p><a href="/app">Back to the top actions</a></p>"#,
            html::escape(self.status.canonical_reason().unwrap_or("Error")),
            self.code,
            html::escape(&self.message),
        );
        (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html::page("Something went wrong", None, &body),
        )
            .into_response()
    }
}
