//! Secret references a tenant may give a connector. The platform's own secrets (the JWT key,
//! the approval key, cloud credentials) live in the same process environment, so a reference is
//! only valid when it names a secret the operator exposed *to that tenant*:
//!
//! - `env:REVLOOP_TENANT_SECRET_<tenant id>__<NAME>`: an environment variable under the tenant
//!   prefix. `<tenant id>` is the id exactly as written (case and punctuation kept), `<NAME>`
//!   is upper-case letters and digits in `_`-separated words (never `__`), so no two tenants'
//!   names can ever be the same variable.
//! - `file:<name>`: the file `<name>` in the tenant's own folder of the operator's secrets
//!   directory (`REVLOOP_TENANT_SECRETS_DIR/<tenant id>/<name>`, e.g. a mounted Kubernetes
//!   Secret). `<name>` is one path component: letters, digits, `-`, `_`, `.`, not starting with a dot.

use std::fmt;

use crate::ids::TenantId;

/// The prefix of every environment variable a tenant may name.
pub const TENANT_ENV_PREFIX: &str = "REVLOOP_TENANT_SECRET_";

/// A secret reference checked against its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable under the tenant's prefix.
    Env(String),
    /// A file name inside the tenant's secrets folder.
    File(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret_ref {reference:?}: {rule}")]
pub struct SecretRefError {
    pub reference: String,
    pub rule: String,
}

impl SecretRef {
    /// Checks that `reference` names a secret exposed to `tenant`, naming the rule it broke.
    pub fn parse(tenant: &TenantId, reference: &str) -> Result<Self, SecretRefError> {
        let refuse = |rule: String| SecretRefError {
            reference: reference.to_string(),
            rule,
        };
        if let Some(name) = reference.strip_prefix("env:") {
            let prefix = format!("{TENANT_ENV_PREFIX}{tenant}__");
            let Some(suffix) = name.strip_prefix(&prefix) else {
                return Err(refuse(format!(
                    "a tenant may only name environment variables that start with {prefix} \
                     (the operator exposes tenant secrets under that prefix)"
                )));
            };
            let words_ok = !suffix.is_empty()
                && suffix.split('_').all(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                });
            if !words_ok {
                return Err(refuse(format!(
                    "the name after {prefix} must be upper-case letters and digits in words \
                     separated by single underscores, e.g. {prefix}CRM_TOKEN"
                )));
            }
            return Ok(SecretRef::Env(name.to_string()));
        }
        if let Some(name) = reference.strip_prefix("file:") {
            let ok = !name.is_empty()
                && name.len() <= 128
                && !name.starts_with('.')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(refuse(
                    "a file reference is one file name in the tenant's secrets folder: letters, \
                     digits, '-', '_' and '.', not starting with '.', at most 128 characters"
                        .into(),
                ));
            }
            return Ok(SecretRef::File(name.to_string()));
        }
        Err(refuse(format!(
            "use env:{TENANT_ENV_PREFIX}{tenant}__NAME or file:NAME"
        )))
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "env:{name}"),
            SecretRef::File(name) => write!(f, "file:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tenant(id: &str) -> TenantId {
        TenantId::parse(id).unwrap()
    }

    #[test]
    fn the_platforms_own_secrets_are_refused() {
        for process_secret in [
            "env:REVLOOP_JWT_SECRET",
            "env:REVLOOP_APPROVAL_KEY",
            "env:AWS_SECRET_ACCESS_KEY",
            "env:HOME",
        ] {
            let err = SecretRef::parse(&tenant("acme"), process_secret).unwrap_err();
            assert!(
                err.rule.contains("REVLOOP_TENANT_SECRET_acme__"),
                "{process_secret}: {err}"
            );
        }
    }

    #[test]
    fn another_tenants_secret_is_refused() {
        let err =
            SecretRef::parse(&tenant("acme"), "env:REVLOOP_TENANT_SECRET_globex__CRM").unwrap_err();
        assert!(
            err.to_string()
                .contains("start with REVLOOP_TENANT_SECRET_acme__")
        );
        // A tenant whose id extends another's cannot reach into it, nor the reverse.
        assert!(
            SecretRef::parse(&tenant("acme"), "env:REVLOOP_TENANT_SECRET_acme__co__CRM").is_err()
        );
        assert!(
            SecretRef::parse(
                &tenant("acme__co"),
                "env:REVLOOP_TENANT_SECRET_acme__CO_CRM"
            )
            .is_err()
        );
    }

    #[test]
    fn the_tenants_own_secrets_are_accepted() {
        assert_eq!(
            SecretRef::parse(
                &tenant("acme-co"),
                "env:REVLOOP_TENANT_SECRET_acme-co__CRM_TOKEN"
            ),
            Ok(SecretRef::Env(
                "REVLOOP_TENANT_SECRET_acme-co__CRM_TOKEN".into()
            ))
        );
        assert_eq!(
            SecretRef::parse(&tenant("acme"), "file:salesforce-token"),
            Ok(SecretRef::File("salesforce-token".into()))
        );
    }

    #[test]
    fn file_references_cannot_leave_the_tenants_folder() {
        for bad in [
            "file:../globex/token",
            "file:..",
            "file:/etc/passwd",
            "file:.hidden",
            "file:a/b",
            "file:",
        ] {
            assert!(SecretRef::parse(&tenant("acme"), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_schemes_name_both_forms() {
        let err = SecretRef::parse(&tenant("acme"), "vault:x").unwrap_err();
        assert!(
            err.rule
                .contains("env:REVLOOP_TENANT_SECRET_acme__NAME or file:NAME")
        );
    }

    proptest! {
        /// No environment variable is ever valid for two different tenants.
        #[test]
        fn no_variable_belongs_to_two_tenants(
            a in "[a-zA-Z0-9_.:-]{1,12}",
            b in "[a-zA-Z0-9_.:-]{1,12}",
            name in "[A-Z0-9_]{1,16}",
        ) {
            prop_assume!(a != b);
            let (Ok(ta), Ok(tb)) = (TenantId::parse(&a), TenantId::parse(&b)) else {
                return Ok(());
            };
            let variable = format!("env:{TENANT_ENV_PREFIX}{a}__{name}");
            prop_assert!(
                !(SecretRef::parse(&ta, &variable).is_ok() && SecretRef::parse(&tb, &variable).is_ok())
            );
        }
    }
}
