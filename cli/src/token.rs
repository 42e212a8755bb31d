//! Mints bearer tokens (HS256 JWT) for the demo, tests and operators with the signing secret.

use jsonwebtoken::{EncodingKey, Header, encode};
use revloop_domain::auth::{Claims, Role};

pub fn mint(
    secret: &str,
    tenant: &str,
    sub: &str,
    roles: &[Role],
    ttl_secs: u64,
) -> anyhow::Result<String> {
    sign(secret, &claims(tenant, sub, roles, ttl_secs)?)
}

/// Claims valid from now for `ttl_secs`, in no group.
pub fn claims(tenant: &str, sub: &str, roles: &[Role], ttl_secs: u64) -> anyhow::Result<Claims> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(Claims {
        sub: sub.to_string(),
        tenant: tenant.to_string(),
        roles: roles.to_vec(),
        groups: Vec::new(),
        exp: now + ttl_secs,
        iat: now,
    })
}

pub fn sign(secret: &str, claims: &Claims) -> anyhow::Result<String> {
    Ok(encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
