//! Sessions for the approval pages. Signing in hands over a bearer token once; it is kept in
//! a cookie the page's scripts cannot read (HttpOnly) and browsers never send with a request
//! another site starts (SameSite=Strict), and it is verified again on every request, so a
//! session ends when its token expires and holds nothing the API must remember: any replica
//! serves it.
//!
//! Every form that changes something carries a CSRF token: an HMAC of the session's token
//! under a key derived from the API's signing secret. Another site can neither read it nor
//! compute it. A POST whose `Origin` is another site is refused before that.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use hmac::{Hmac, Mac};
use revloop_domain::auth::Claims;
use sha2::Sha256;

use super::WebState;
use super::error::WebError;

pub const COOKIE: &str = "revloop_session";

type HmacSha256 = Hmac<Sha256>;

/// The key CSRF tokens are signed with, derived from the JWT secret so that no second secret
/// has to be deployed, and distinct from it.
#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl CsrfKey {
    pub fn derive(jwt_secret: &str) -> Self {
        let mut mac =
            HmacSha256::new_from_slice(jwt_secret.as_bytes()).expect("HMAC takes any key");
        mac.update(b"revloop web csrf v1");
        CsrfKey(mac.finalize().into_bytes().to_vec())
    }

    fn mac(&self, token: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(token.as_bytes());
        mac
    }

    /// The CSRF token of the session holding `token`.
    pub fn token_for(&self, token: &str) -> String {
        hex::encode(self.mac(token).finalize().into_bytes())
    }

    /// Whether `given` is the session's CSRF token (compared in constant time).
    pub fn verify(&self, token: &str, given: &str) -> bool {
        hex::decode(given.trim()).is_ok_and(|bytes| self.mac(token).verify_slice(&bytes).is_ok())
    }
}

/// A signed-in person: their verified claims, their bearer token, and the CSRF token their
/// forms carry.
#[derive(Clone)]
pub struct Session {
    pub claims: Claims,
    pub token: String,
    pub csrf: String,
}

impl Session {
    /// Refuses a form whose CSRF token is missing or not this session's.
    pub fn check_csrf(&self, state: &WebState, given: Option<&str>) -> Result<(), WebError> {
        match given {
            Some(g) if state.csrf.verify(&self.token, g) => Ok(()),
            Some(_) => Err(WebError::new(
                StatusCode::FORBIDDEN,
                "CSRF_INVALID",
                "the form's CSRF token is not this session's: reload the page and try again",
            )),
            None => Err(WebError::new(
                StatusCode::FORBIDDEN,
                "CSRF_MISSING",
                "the form carries no CSRF token",
            )),
        }
    }
}

/// The session cookie's value, if the request carries one.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

impl FromRequestParts<WebState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers).ok_or_else(WebError::sign_in)?;
        let claims = state.auth.verify(&token).map_err(|_| WebError::sign_in())?;
        Ok(Session {
            csrf: state.csrf.token_for(&token),
            claims,
            token,
        })
    }
}

/// The `Set-Cookie` value that keeps `token` until it expires.
pub fn set_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/app; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age_secs.max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends the session.
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", 0, secure)
}

/// Refuses a POST that another site started: its `Origin` (sent by every current browser on
/// a POST) names another host than the one it was sent to. A request without `Origin` (a
/// command-line client) still needs its CSRF token.
pub fn check_origin(headers: &HeaderMap) -> Result<(), WebError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(WebError::new(
            StatusCode::FORBIDDEN,
            "CROSS_SITE",
            format!("a form posted from {origin} is refused: sign in on this site"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_one_key() {
        let key = CsrfKey::derive("a-test-secret-of-some-length");
        let csrf = key.token_for("token-a");
        assert!(key.verify("token-a", &csrf));
        assert!(!key.verify("token-b", &csrf), "another session's token");
        assert!(!key.verify("token-a", "00"), "a guess");
        assert!(!key.verify("token-a", "not hex"));
        let other = CsrfKey::derive("another-secret-of-some-length");
        assert!(!other.verify("token-a", &csrf), "another deployment's key");
    }

    #[test]
    fn the_cookie_is_http_only_and_same_site_strict() {
        let c = set_cookie("t", 600, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; revloop_session=tok; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers).as_deref(), Some("tok"));
    }

    #[test]
    fn a_post_from_another_site_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(
            check_origin(&headers).is_ok(),
            "no Origin: the CSRF token decides"
        );
        headers.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(check_origin(&headers).is_ok());
        headers.insert(header::ORIGIN, "https://evil.test".parse().unwrap());
        assert_eq!(check_origin(&headers).unwrap_err().code, "CROSS_SITE");
    }
}
