//! Signing in with a bearer token, and out.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::error::WebError;
use super::session::{self, Session};
use super::{WebState, html};

fn form_page(error: Option<&str>) -> String {
    let alert = error.map_or_else(String::new, |e| {
        format!(
            r#"<div class="error" role="alert"><p>{}</p></div>"#,
            html::escape(e)
        )
    });
    let body = format!(
        r#"{alert}<p>Sign in with your revloop bearer token (the one the CLI uses as <code>REVLOOP_TOKEN</code>).
It is kept in a cookie only this site's pages send, until it expires.</p>
<form method="post" action="/app/sign-in">
<label for="token">Bearer token</label>
<textarea id="token" name="token" rows="4" required autocomplete="off" spellcheck="false"></textarea>
<p><button type="submit">Sign in</button></p>
</form>"#
    );
    html::page("Sign in", None, &body)
}

pub async fn form() -> Html<String> {
    Html(form_page(None))
}

#[derive(Deserialize)]
pub struct SignInForm {
    token: String,
}

pub async fn sign_in(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    session::check_origin(&headers)?;
    let token = form.token.trim();
    let claims = match state.auth.verify(token) {
        Ok(claims) => claims,
        Err(e) => {
            return Ok((
                StatusCode::UNAUTHORIZED,
                Html(form_page(Some(&format!(
                    "That token was refused: {}",
                    e.message()
                )))),
            )
                .into_response());
        }
    };
    let max_age = claims.exp as i64 - chrono::Utc::now().timestamp();
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                session::set_cookie(token, max_age, state.secure_cookies),
            ),
            (header::LOCATION, "/app".to_string()),
        ],
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn sign_out(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session::check_origin(&headers)?;
    session.check_csrf(&state, form.csrf.as_deref())?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                session::clear_cookie(state.secure_cookies),
            ),
            (header::LOCATION, "/app/sign-in".to_string()),
        ],
    )
        .into_response())
}
