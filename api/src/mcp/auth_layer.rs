//! The bearer check in front of `/mcp`: a missing or invalid token is a 401 with a JSON body
//! and a `WWW-Authenticate: Bearer` header; a valid one's claims go into the request's
//! extensions for the MCP handler.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Authenticator;
use crate::http::HttpError;

pub async fn require_bearer(
    State(auth): State<Authenticator>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let verified = match token {
        None => Err("missing authorization header (Bearer token)".to_string()),
        Some(token) => auth.verify(token).map_err(|s| s.message().to_string()),
    };
    match verified {
        Ok(claims) => {
            request.extensions_mut().insert(claims);
            next.run(request).await
        }
        Err(message) => {
            let mut response = HttpError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"revloop\""),
            );
            response
        }
    }
}
