//! Content hashing. Hashes are over canonical JSON (object keys sorted), so the same value always
//! gives the same digest whatever order its fields were built in.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of raw bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Canonical JSON bytes: object keys sorted at every level. Sorted explicitly, because
/// serde_json keeps insertion order whenever any crate in the build enables its
/// `preserve_order` feature (the Cedar policy engine does).
pub fn canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    let value = serde_json::to_value(value).expect("serializable values always convert to JSON");
    serde_json::to_vec(&sorted(value)).expect("JSON values always serialize")
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
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
        let a = serde_json::json!({"b": 1, "a": 2, "n": [{"z": 1, "y": 2}]});
        let b = serde_json::json!({"a": 2, "n": [{"y": 2, "z": 1}], "b": 1});
        assert_eq!(digest_of(&a), digest_of(&b));
        assert_eq!(
            canonical_json(&a),
            br#"{"a":2,"b":1,"n":[{"y":2,"z":1}]}"#.to_vec(),
            "keys sorted at every level"
        );
        assert_ne!(
            digest_of(&a),
            digest_of(&serde_json::json!({"a": 2, "b": 2, "n": []}))
        );
    }

    #[test]
    fn short_id_separates_parts() {
        assert_ne!(short_id("x", &["ab", "c"]), short_id("x", &["a", "bc"]));
        assert!(short_id("sig", &["t"]).starts_with("sig-"));
    }
}
