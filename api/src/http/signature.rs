//! Webhook signatures: `X-Revloop-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the
//! connector's secret. Verified in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-revloop-signature";

type HmacSha256 = Hmac<Sha256>;

/// The header value for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a header value against the body; the error says what is wrong, never the secret.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> Result<(), &'static str> {
    let hex_sig = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or("signature must look like sha256=<hex>")?;
    let given = hex::decode(hex_sig).map_err(|_| "signature is not hex")?;
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| "unusable secret")?;
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "signature does not match the body")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let header = sign(b"s3cret", b"{\"a\":1}");
        assert!(verify(b"s3cret", b"{\"a\":1}", &header).is_ok());
        assert_eq!(
            verify(b"s3cret", b"{\"a\":2}", &header),
            Err("signature does not match the body")
        );
        assert_eq!(
            verify(b"other", b"{\"a\":1}", &header),
            Err("signature does not match the body")
        );
        assert_eq!(
            verify(b"s3cret", b"x", "md5=00"),
            Err("signature must look like sha256=<hex>")
        );
        assert_eq!(
            verify(b"s3cret", b"x", "sha256=zz"),
            Err("signature is not hex")
        );
    }
}
