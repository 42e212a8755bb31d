//! Identifier newtypes. They can only be built valid, so code that holds one never re-checks it.
//!
//! Tenant and account ids become parts of Temporal workflow ids (`{tenant}/{kind}/{key}`), so they
//! may not contain `/` and must stay short and printable.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::DomainError;

fn check_id(what: &'static str, value: &str) -> Result<(), DomainError> {
    let err = |reason| DomainError::InvalidId {
        what,
        value: value.to_string(),
        reason,
    };
    if value.is_empty() {
        return Err(err("must not be empty"));
    }
    if value.len() > 128 {
        return Err(err("must be at most 128 characters"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err(err(
            "may hold only ASCII letters, digits, '-', '_', '.' and ':'",
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id, refusing empty, over-long or unprintable values.
            pub fn parse(value: impl Into<String>) -> Result<Self, DomainError> {
                let value = value.into();
                check_id($what, &value)?;
                Ok(Self(value))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// The customer organisation that owns data, policies and the ledger chain.
    TenantId,
    "tenant id"
);
id_type!(
    /// A B2B account (customer company) inside a tenant.
    AccountId,
    "account id"
);
id_type!(
    /// Correlates every step caused by one ingest, from perception to execution.
    TraceId,
    "trace id"
);

/// Builds the Temporal workflow id `{tenant}/{kind}/{key}`: tenant isolation by prefix.
pub fn workflow_id(tenant: &TenantId, kind: &str, key: &str) -> String {
    format!("{tenant}/{kind}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_slashes_and_empty_values() {
        assert!(TenantId::parse("acme").is_ok());
        assert!(TenantId::parse("").is_err());
        let err = AccountId::parse("a/b").unwrap_err();
        assert!(err.to_string().contains("account id \"a/b\""), "{err}");
    }

    #[test]
    fn ids_deserialize_through_validation() {
        let ok: TenantId = serde_json::from_str("\"acme-co\"").unwrap();
        assert_eq!(ok.as_str(), "acme-co");
        assert!(serde_json::from_str::<TenantId>("\"a b\"").is_err());
    }
}
