//! What one HTTP client may hold of the listener: how long it may take to send its headers and
//! its body, how large a body may be, and how many connections all clients together may keep.
//! Bodies past a limit are answered in the API's JSON error format, never as bare text.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;

use super::HttpError;

#[derive(Debug, Clone, clap::Args)]
pub struct HttpLimits {
    /// Seconds a client may take to send a request's headers; then the connection is closed.
    #[arg(long, env = "REVLOOP_HTTP_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body; then it gets 408.
    #[arg(long, env = "REVLOOP_HTTP_BODY_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,
    /// The largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "REVLOOP_HTTP_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Connections served at once; further clients wait in the listen backlog.
    #[arg(long, env = "REVLOOP_HTTP_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            max_body_bytes: 16 * 1024 * 1024,
            max_connections: 1024,
        }
    }
}

impl HttpLimits {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }
}

/// Reads a request body within the limits: 413 `BODY_TOO_LARGE` past the size (declared or
/// sent), 408 `BODY_TIMEOUT` when the client stops sending, 400 when the transfer breaks.
pub async fn read_body(body: Body, limits: &HttpLimits) -> Result<Bytes, HttpError> {
    let too_large = || {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
            format!(
                "the body is larger than {} bytes (REVLOOP_HTTP_MAX_BODY_BYTES); send it in smaller batches",
                limits.max_body_bytes
            ),
        )
    };
    // A declared length past the limit is refused before anything is read.
    if axum::body::HttpBody::size_hint(&body).lower() > limits.max_body_bytes as u64 {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.body_timeout(), read).await {
        Err(_) => Err(HttpError::new(
            StatusCode::REQUEST_TIMEOUT,
            "BODY_TIMEOUT",
            format!(
                "the body did not arrive within {} s",
                limits.body_timeout_secs
            ),
        )),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
        Ok(Err(e)) => Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "BODY_UNREADABLE",
            format!("the body could not be read: {e}"),
        )),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}
