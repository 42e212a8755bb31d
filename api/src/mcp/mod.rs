//! The tool catalog over MCP (Streamable HTTP) at `/mcp` on the API's HTTP listener.
//!
//! Every request carries a bearer JWT, checked in an axum layer before MCP sees it: no token
//! (or a bad one) is a 401 with a JSON body, never an MCP session. The verified claims ride
//! in the request's extensions, and each tool listing and tool call reads them from there, so
//! a session never outlives the authority of the token that makes each request.
//!
//! Calls go through the same [`ToolGateway`](revloop_activities::tools::ToolGateway) as the
//! decision agent's: role checks, argument schemas, budgets, validators, ToolRuns and the
//! ledger. A refusal the caller should read comes back as a tool result with `isError: true`
//! naming the field or the rule; protocol errors are kept for what is not a tool's answer.

mod auth_layer;
mod handler;

use std::sync::Arc;

use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::auth::Authenticator;
use crate::server::AppState;

pub use handler::RevloopMcp;

/// What `/mcp` needs beyond the shared state.
#[derive(Clone)]
pub struct McpSettings {
    /// `Host` headers accepted (DNS-rebinding protection): the names clients reach the API
    /// by, e.g. `revloop.example.com` or `revloop-api:8080`.
    pub allowed_hosts: Vec<String>,
    /// How long an approval opened by a write tool waits before it expires.
    pub approval_timeout_secs: u64,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
}

/// `/mcp`, behind the bearer layer.
pub fn router(state: AppState, auth: Authenticator, settings: McpSettings) -> Router {
    let gateway = Arc::new(revloop_activities::tools::ToolGateway::new(
        state.store.clone(),
        state.memory.clone(),
    ));
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(settings.allowed_hosts.clone())
        .with_max_request_body_bytes(settings.max_body_bytes);
    let handler = RevloopMcp::new(state, gateway, settings.approval_timeout_secs);
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .nest_service("/mcp", service)
        // On `/mcp` only: other paths of the listener keep their own answers (a 404 stays a 404).
        .route_layer(axum::middleware::from_fn_with_state(
            auth,
            auth_layer::require_bearer,
        ))
}
