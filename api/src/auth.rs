//! Bearer-token authentication as a tonic interceptor: a valid HS256 JWT's claims are put in
//! the request's extensions; handlers then check tenant and role with [`require`].

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use revloop_domain::TenantId;
use revloop_domain::auth::{Claims, Role};
use tonic::{Request, Status};

#[derive(Clone)]
pub struct Authenticator {
    key: DecodingKey,
    validation: Validation,
}

/// Clock skew tolerated on `exp` and `nbf`, by default: small, so a stolen token does not
/// outlive its expiry by much.
pub const DEFAULT_LEEWAY_SECS: u64 = 5;

impl Authenticator {
    pub fn new(secret: &str) -> Self {
        Self::with_leeway(secret, DEFAULT_LEEWAY_SECS)
    }

    pub fn with_leeway(secret: &str, leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = leeway_secs;
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// The token's claims, refused unless signed, current, and naming a valid tenant: the
    /// tenant becomes part of workflow ids and store keys, so `""`, `*`, `../` or a 5000-character
    /// name never get past here.
    pub fn verify(&self, token: &str) -> Result<Claims, Status> {
        let claims = decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| Status::unauthenticated(format!("invalid bearer token: {e}")))?;
        TenantId::parse(&claims.tenant).map_err(|e| {
            Status::unauthenticated(format!("invalid bearer token: tenant claim: {e}"))
        })?;
        Ok(claims)
    }

    /// The interceptor: refuses calls without a valid `authorization: Bearer …` header.
    pub fn intercept(&self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("missing authorization header (Bearer token)"))?
            .to_str()
            .map_err(|_| Status::unauthenticated("authorization header is not ASCII"))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            Status::unauthenticated("authorization header must be `Bearer <token>`")
        })?;
        let claims = self.verify(token.trim())?;
        request.extensions_mut().insert(claims);
        Ok(request)
    }
}

/// The caller's claims, checked for a role and, when the request names one, the tenant.
/// Returns the tenant the call acts on.
pub fn require<T>(
    request: &Request<T>,
    role: Role,
    requested_tenant: &str,
) -> Result<(Claims, String), Status> {
    let claims = request
        .extensions()
        .get::<Claims>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("no verified bearer token"))?;
    let tenant = if requested_tenant.is_empty() {
        claims.tenant.clone()
    } else {
        requested_tenant.to_string()
    };
    if tenant != claims.tenant {
        return Err(Status::permission_denied(format!(
            "token for tenant {} may not access tenant {tenant}",
            claims.tenant
        )));
    }
    if !claims.allows(role) {
        return Err(Status::permission_denied(
            format!("{} lacks the {role:?} role", claims.sub).to_lowercase(),
        ));
    }
    Ok((claims, tenant))
}

/// Refuses a resource owned by another tenant than the caller's.
pub fn check_owner(claims: &Claims, owner_tenant: &str, what: &str) -> Result<(), Status> {
    if claims.tenant != owner_tenant {
        return Err(Status::permission_denied(format!(
            "{what} belongs to another tenant"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const SECRET: &str = "a-test-secret-of-some-length";

    fn token(claims: serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn tenant_claims_that_are_no_tenant_id_are_unauthenticated() {
        let auth = Authenticator::new(SECRET);
        for tenant in [
            "",
            "*",
            "../",
            "demo/approval",
            "has space",
            &"x".repeat(5000),
        ] {
            let t = token(
                json!({"sub": "a", "tenant": tenant, "roles": ["admin"], "exp": now() + 600}),
            );
            let status = auth.verify(&t).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{tenant:?}");
            assert!(
                status.message().contains("tenant claim"),
                "{}",
                status.message()
            );
        }
        let ok =
            token(json!({"sub": "a", "tenant": "acme", "roles": ["admin"], "exp": now() + 600}));
        assert!(auth.verify(&ok).is_ok());
    }

    #[test]
    fn a_token_not_yet_valid_or_just_expired_is_refused() {
        let auth = Authenticator::new(SECRET);
        let early = token(
            json!({"sub": "a", "tenant": "acme", "roles": [], "exp": now() + 600, "nbf": now() + 60}),
        );
        assert!(
            auth.verify(&early)
                .unwrap_err()
                .message()
                .contains("ImmatureSignature")
        );
        // Expired 30 s ago: past the 5 s leeway (jsonwebtoken's default would have been 60 s).
        let late = token(json!({"sub": "a", "tenant": "acme", "roles": [], "exp": now() - 30}));
        assert!(
            auth.verify(&late)
                .unwrap_err()
                .message()
                .contains("ExpiredSignature")
        );
    }
}
