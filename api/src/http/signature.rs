//! Webhook signatures, in the timestamped form Stripe and Slack use:
//!
//! ```text
//! X-Revloop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
//! ```
//!
//! The timestamp is inside the signed material, so an old delivery cannot be made to look new;
//! a delivery whose timestamp is outside the tolerance window is refused, and the push endpoint
//! refuses a signature it has already accepted (a replay inside the window). A sender rotating
//! its secret may send several `v1=` values; one matching is enough. Verified in constant time.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-revloop-signature";

type HmacSha256 = Hmac<Sha256>;

/// The header value for `body` sent at `timestamp` (unix seconds), signed with `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = signed_material(secret, timestamp, body).finalize();
    format!("t={timestamp},v1={}", hex::encode(digest.into_bytes()))
}

/// The MAC over `"<t>.<body>"`, before it is finalized.
fn signed_material(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// A delivery whose signature matched: when it says it was sent, and the signature that
/// matched (what replay protection remembers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub sent_at: DateTime<Utc>,
    pub signature: String,
}

/// Checks a header value against the body and the clock; the error says what is wrong, never
/// the secret.
pub fn verify(
    secret: &[u8],
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
    tolerance: chrono::Duration,
) -> Result<Verified, &'static str> {
    const FORM: &str = "signature must look like t=<unix seconds>,v1=<hex>";
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.trim().split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t.parse::<i64>().map_err(|_| FORM)?),
            Some(("v1", sig)) => candidates.push(sig),
            // Other schemes (a future v2) are skipped, as Stripe's receivers do.
            Some(_) => {}
            None => return Err(FORM),
        }
    }
    let timestamp = timestamp.ok_or(FORM)?;
    if candidates.is_empty() {
        return Err(FORM);
    }
    let sent_at = DateTime::<Utc>::from_timestamp(timestamp, 0).ok_or(FORM)?;
    // The MAC first: only a correctly signed delivery may learn that its timestamp is stale.
    let expected = signed_material(secret, timestamp, body);
    let mut matched = None;
    for candidate in candidates {
        let given = hex::decode(candidate).map_err(|_| "signature is not hex")?;
        if expected.clone().verify_slice(&given).is_ok() {
            matched = Some(candidate.to_ascii_lowercase());
            break;
        }
    }
    let signature = matched.ok_or("signature does not match the body")?;
    if (now - sent_at).abs() > tolerance {
        return Err(STALE);
    }
    Ok(Verified { sent_at, signature })
}

/// What [`verify`] says of a correctly signed delivery sent too long ago (or too far ahead).
pub const STALE: &str = "signature timestamp is outside the tolerance window";

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    const WINDOW: chrono::Duration = chrono::Duration::minutes(5);

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let t = now().timestamp();
        let header = sign(b"s3cret", t, b"{\"a\":1}");
        let ok = verify(b"s3cret", b"{\"a\":1}", &header, now(), WINDOW).unwrap();
        assert_eq!(ok.sent_at, now());
        assert_eq!(
            verify(b"s3cret", b"{\"a\":2}", &header, now(), WINDOW),
            Err("signature does not match the body")
        );
        assert_eq!(
            verify(b"other", b"{\"a\":1}", &header, now(), WINDOW),
            Err("signature does not match the body")
        );
        // The timestamp is signed: moving it forward breaks the signature.
        let moved = header.replace(&format!("t={t}"), &format!("t={}", t + 60));
        assert_eq!(
            verify(b"s3cret", b"{\"a\":1}", &moved, now(), WINDOW),
            Err("signature does not match the body")
        );
    }

    #[test]
    fn an_old_or_future_delivery_is_refused_even_when_correctly_signed() {
        let body = b"{}";
        let old = sign(b"k", now().timestamp() - 301, body);
        assert_eq!(verify(b"k", body, &old, now(), WINDOW), Err(STALE));
        let future = sign(b"k", now().timestamp() + 301, body);
        assert_eq!(verify(b"k", body, &future, now(), WINDOW), Err(STALE));
        // An unsigned caller never learns that its timestamp is the problem.
        let forged = format!("t={},v1=00", now().timestamp() - 3600);
        assert_eq!(
            verify(b"k", body, &forged, now(), WINDOW),
            Err("signature does not match the body")
        );
        let edge = sign(b"k", now().timestamp() - 300, body);
        assert!(verify(b"k", body, &edge, now(), WINDOW).is_ok());
    }

    #[test]
    fn the_untimed_form_and_malformed_headers_are_refused() {
        let form = Err("signature must look like t=<unix seconds>,v1=<hex>");
        assert_eq!(verify(b"k", b"x", "sha256=00", now(), WINDOW), form);
        assert_eq!(verify(b"k", b"x", "v1=00", now(), WINDOW), form);
        assert_eq!(
            verify(
                b"k",
                b"x",
                &format!("t={}", now().timestamp()),
                now(),
                WINDOW
            ),
            form
        );
        assert_eq!(verify(b"k", b"x", "t=soon,v1=00", now(), WINDOW), form);
        assert_eq!(
            verify(
                b"k",
                b"x",
                &format!("t={},v1=zz", now().timestamp()),
                now(),
                WINDOW
            ),
            Err("signature is not hex")
        );
    }

    #[test]
    fn during_a_secret_rotation_either_signature_verifies() {
        let t = now().timestamp();
        let old = sign(b"old", t, b"x");
        let new = sign(b"new", t, b"x");
        let both = format!("{old},v1={}", new.split("v1=").nth(1).unwrap());
        let ok = verify(b"new", b"x", &both, now(), WINDOW).unwrap();
        assert_eq!(ok.signature, new.split("v1=").nth(1).unwrap());
    }
}
