//! Bearer-token claims: who is calling, for which tenant, with which roles. Signing and
//! verification happen at the edges (API, CLI); the rules of what a role may do live here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads actions, signals and the ledger.
    Viewer,
    /// Also approves, edits and rejects actions.
    Approver,
    /// Also ingests data and starts pipelines.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Role::Viewer),
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The person or service; recorded as the approver of approvals.
    pub sub: String,
    pub tenant: String,
    pub roles: Vec<Role>,
    /// Groups the identity provider puts the person in (`manager`, `emea`, …): what a tenant's
    /// approval rules can name (`group:manager`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
}

impl Claims {
    /// Whether the caller holds `needed` or a role that includes it (admin ⊇ approver ⊇ viewer).
    pub fn allows(&self, needed: Role) -> bool {
        self.roles.iter().any(|r| *r >= needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_lower_ones() {
        let claims = |roles| Claims {
            sub: "a".into(),
            tenant: "t".into(),
            roles,
            groups: vec![],
            exp: 0,
            iat: 0,
        };
        assert!(claims(vec![Role::Admin]).allows(Role::Approver));
        assert!(claims(vec![Role::Approver]).allows(Role::Viewer));
        assert!(!claims(vec![Role::Viewer]).allows(Role::Approver));
        assert!(!claims(vec![]).allows(Role::Viewer));
    }
}
