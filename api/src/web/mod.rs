//! The approval pages: server-rendered HTML on the API's HTTP listener, for the people who
//! decide. No build step and no script: every control is a link or a plain form, so approve
//! and reject work in any browser, with a keyboard, and without JavaScript.
//!
//! A page calls the gRPC services in-process, with the signed-in person's verified claims, so
//! it can do exactly what their bearer token allows through the API and nothing more (tenant,
//! role, the approval rules, the approval token minted for them).

mod action_page;
mod decide;
mod error;
mod feed;
mod html;
mod questions_page;
mod session;
mod sign_in;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use revloop_proto::v1 as pb;
use revloop_proto::v1::ledger_service_server::LedgerService;

use crate::auth::Authenticator;
use crate::server::AppState;
use crate::services::LedgerApi;

pub use error::WebError;
pub use session::CsrfKey;

/// What the pages share.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub auth: Authenticator,
    pub csrf: CsrfKey,
    /// The Temporal Web UI, for links to each workflow's timeline.
    pub temporal_ui: String,
    pub namespace: String,
    /// Send the session cookie over HTTPS only (set this whenever the page is served over TLS).
    pub secure_cookies: bool,
}

impl WebState {
    /// A link to a workflow's timeline in the Temporal Web UI.
    pub fn workflow_link(&self, workflow_id: &str) -> String {
        format!(
            "{}/namespaces/{}/workflows/{}",
            self.temporal_ui.trim_end_matches('/'),
            html::url_part(&self.namespace),
            html::url_part(workflow_id)
        )
    }
}

/// `/app/…`.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/app", get(feed::feed))
        .route("/app/sign-in", get(sign_in::form).post(sign_in::sign_in))
        .route("/app/sign-out", post(sign_in::sign_out))
        .route("/app/actions/{action_id}", get(action_page::show))
        .route("/app/actions/{action_id}/{verb}", post(decide::decide))
        .route("/app/questions", get(questions_page::list))
        .route("/app/questions/{question_id}", get(questions_page::show))
        .route(
            "/app/questions/{question_id}/answer",
            post(questions_page::answer),
        )
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// No script, no frames, no other site's resources, nothing cached: a page shows one
/// person's data. The referrer policy is `same-origin`, not `no-referrer`: under the latter,
/// browsers send `Origin: null` with the page's own form posts, which the origin check refuses.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A request to a gRPC service, made as the signed-in person.
fn as_person<T>(session: &session::Session, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(session.claims.clone());
    request
}

/// One action through `ActionService.GetAction`, as the person: another tenant's action is
/// not found, as it would not be through the API.
async fn get_action(
    state: &WebState,
    session: &session::Session,
    action_id: &str,
) -> Result<pb::Action, WebError> {
    use revloop_proto::v1::action_service_server::ActionService;
    let request = pb::GetActionRequest {
        action_id: action_id.to_string(),
    };
    Ok(crate::services::ActionApi::new(state.app.clone())
        .get_action(as_person(session, request))
        .await?
        .into_inner())
}

/// The frame of a signed-in page, with the ledger-verify badge: the tenant's hash chain
/// recomputed now.
async fn frame(state: &WebState, session: &session::Session) -> html::Frame {
    let verified = LedgerApi::new(state.app.clone())
        .verify_ledger(as_person(session, pb::VerifyLedgerRequest::default()))
        .await
        .map(tonic::Response::into_inner);
    let ledger_badge = match verified {
        Ok(v) if v.intact => format!(
            r#"<span class="badge ok" title="every entry's hash chains to the one before">Ledger verified: {} entries intact</span>"#,
            v.entries_checked
        ),
        Ok(v) => format!(
            r#"<span class="badge bad" role="alert">Ledger broken at entry {}: {}</span>"#,
            v.first_broken_seq,
            html::escape(&v.reason)
        ),
        Err(e) => format!(
            r#"<span class="badge warn">Ledger not verified: {}</span>"#,
            html::escape(e.message())
        ),
    };
    html::Frame {
        subject: session.claims.sub.clone(),
        tenant: session.claims.tenant.clone(),
        csrf: session.csrf.clone(),
        ledger_badge,
    }
}
