//! Bearer-token authentication as a tonic interceptor: a valid HS256 JWT's claims are put in
//! the request's extensions; handlers then check tenant and role with [`require`].

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use revloop_domain::auth::{Claims, Role};
use tonic::{Request, Status};

#[derive(Clone)]
pub struct Authenticator {
    key: DecodingKey,
    validation: Validation,
}

impl Authenticator {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    pub fn verify(&self, token: &str) -> Result<Claims, Status> {
        decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| Status::unauthenticated(format!("invalid bearer token: {e}")))
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
