//! Content hashing. Hashes are over canonical JSON (object keys sorted), so the same value always
//! gives the same digest whatever order its fields were built in.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of raw bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Canonical JSON bytes: serde_json's `Value` keeps object keys in sorted order.
pub fn canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    let value = serde_json::to_value(value).expect("serializable values always convert to JSON");
    serde_json::to_vec(&value).expect("JSON values always serialize")
}

/// Hex SHA-256 of a value's canonical JSON.
pub fn digest_of<T: Serialize>(value: &T) -> String {
    sha256_hex(&canonical_json(value))
}

/// A short stable id: a prefix and the first 16 hex digits of the SHA-256 of the parts.
pub fn short_id(prefix: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    format!("{prefix}-{}", &hex::encode(hasher.finalize())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_field_order() {
        let a = serde_json::json!({"b": 1, "a": 2});
        let b = serde_json::json!({"a": 2, "b": 1});
        assert_eq!(digest_of(&a), digest_of(&b));
        assert_ne!(
            digest_of(&a),
            digest_of(&serde_json::json!({"a": 2, "b": 2}))
        );
    }

    #[test]
    fn short_id_separates_parts() {
        assert_ne!(short_id("x", &["ab", "c"]), short_id("x", &["a", "bc"]));
        assert!(short_id("sig", &["t"]).starts_with("sig-"));
    }
}
