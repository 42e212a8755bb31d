//! Signs and verifies approval tokens ([`ApprovalTokenClaims`]). Each tenant has its own
//! signing key, derived from the operator's approval key (`REVLOOP_APPROVAL_KEY`), so a key
//! leaked from one tenant's derivation signs nothing for another, and rotating the operator's
//! key rotates every tenant's. The API mints; the worker's approval activity verifies.
//!
//! Rotation: set the new key as `REVLOOP_APPROVAL_KEY` and the old one in
//! `REVLOOP_APPROVAL_KEYS_PREVIOUS` on the API and the worker. Tokens name their key (`kid`),
//! so tokens signed with the previous key stay valid until they expire (15 minutes by default);
//! after that the previous key can be removed.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use revloop_domain::decision::approval_token::{
    ANSWER_AUDIENCE, AUDIENCE, AnswerTokenClaims, ApprovalTokenClaims, PLAN_AUDIENCE,
    PlanTokenClaims,
};
use sha2::{Digest, Sha256};

/// Shortest operator key accepted: an HMAC key shorter than its hash's output is weak.
pub const MIN_KEY_LEN: usize = 32;

#[derive(Debug, Clone, clap::Args)]
pub struct ApprovalKeyArgs {
    /// The operator's approval-token key (at least 32 bytes). Tenant keys derive from it.
    #[arg(long, env = "REVLOOP_APPROVAL_KEY", hide_env_values = true)]
    pub approval_key: String,
    /// Earlier approval keys, comma-separated, still accepted for tokens they signed.
    #[arg(
        long,
        env = "REVLOOP_APPROVAL_KEYS_PREVIOUS",
        hide_env_values = true,
        default_value = ""
    )]
    pub approval_keys_previous: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalKeyError {
    #[error("approval key: {0}")]
    Config(String),
    #[error("approval token: {0}")]
    Token(String),
}

/// The current key (signs and verifies) and the previous ones (verify only).
#[derive(Clone)]
pub struct ApprovalKeys {
    current: OperatorKey,
    previous: Vec<OperatorKey>,
}

#[derive(Clone)]
struct OperatorKey {
    id: String,
    secret: Vec<u8>,
}

impl OperatorKey {
    fn new(secret: &str) -> Result<Self, ApprovalKeyError> {
        if secret.len() < MIN_KEY_LEN {
            return Err(ApprovalKeyError::Config(format!(
                "must be at least {MIN_KEY_LEN} bytes"
            )));
        }
        let id = hex::encode(&Sha256::digest(secret.as_bytes())[..8]);
        Ok(Self {
            id,
            secret: secret.as_bytes().to_vec(),
        })
    }

    /// The tenant's own signing key.
    fn tenant_key(&self, tenant: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(b"revloop approval token v1\0");
        mac.update(tenant.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

impl ApprovalKeys {
    /// The Ed25519 key that signs ledger digests, derived from the current operator key (so a
    /// deployment has one secret to keep). Its public half is in every digest; pin it where the
    /// digests are checked.
    pub fn ledger_signing_key(&self) -> ed25519_dalek::SigningKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.current.secret)
            .expect("HMAC takes any key length");
        mac.update(b"revloop ledger digest signing key v1\0");
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        ed25519_dalek::SigningKey::from_bytes(&seed)
    }

    pub fn new(current: &str, previous: &[&str]) -> Result<Self, ApprovalKeyError> {
        Ok(Self {
            current: OperatorKey::new(current)?,
            previous: previous
                .iter()
                .map(|k| OperatorKey::new(k))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn from_args(args: &ApprovalKeyArgs) -> Result<Self, ApprovalKeyError> {
        let previous: Vec<&str> = args
            .approval_keys_previous
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        Self::new(&args.approval_key, &previous)
    }

    /// Signs the claims with the current key of the claims' tenant.
    pub fn mint(&self, claims: &ApprovalTokenClaims) -> Result<String, ApprovalKeyError> {
        self.mint_for(&claims.tenant, claims)
    }

    /// Signs an answer token (a person may answer one question) with the tenant's key.
    pub fn mint_answer(&self, claims: &AnswerTokenClaims) -> Result<String, ApprovalKeyError> {
        self.mint_for(&claims.tenant, claims)
    }

    /// Signs a plan token (a person may give one command to one plan) with the tenant's key.
    pub fn mint_plan(&self, claims: &PlanTokenClaims) -> Result<String, ApprovalKeyError> {
        self.mint_for(&claims.tenant, claims)
    }

    /// Checks a plan token's signature and audience; its bindings are judged by the caller
    /// (`approval_token::check_plan_claims`) at the signal's instant.
    pub fn verify_plan(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<PlanTokenClaims, ApprovalKeyError> {
        self.verify_for(tenant, token, PLAN_AUDIENCE)
    }

    fn mint_for<T: serde::Serialize>(
        &self,
        tenant: &str,
        claims: &T,
    ) -> Result<String, ApprovalKeyError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.id.clone());
        let key = EncodingKey::from_secret(&self.current.tenant_key(tenant));
        jsonwebtoken::encode(&header, claims, &key)
            .map_err(|e| ApprovalKeyError::Token(e.to_string()))
    }

    /// Checks an answer token's signature and audience; its bindings are judged by the caller
    /// (`approval_token::check_answer_claims`) at the signal's instant.
    pub fn verify_answer(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<AnswerTokenClaims, ApprovalKeyError> {
        self.verify_for(tenant, token, ANSWER_AUDIENCE)
    }

    /// Checks the signature with the tenant's key that the token names, and returns its
    /// claims. Expiry and bindings are judged by the caller at the signal's instant
    /// (`approval_token::check_claims`), not by this machine's clock.
    pub fn verify(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<ApprovalTokenClaims, ApprovalKeyError> {
        self.verify_for(tenant, token, AUDIENCE)
    }

    fn verify_for<T: serde::de::DeserializeOwned>(
        &self,
        tenant: &str,
        token: &str,
        audience: &str,
    ) -> Result<T, ApprovalKeyError> {
        let refused = |m: String| ApprovalKeyError::Token(m);
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| refused(format!("malformed: {e}")))?;
        if header.alg != Algorithm::HS256 {
            return Err(refused(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| refused("it names no key".into()))?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == kid)
            .ok_or_else(|| refused(format!("signed with an unknown key {kid}")))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.set_audience(&[audience]);
        jsonwebtoken::decode::<T>(
            token,
            &DecodingKey::from_secret(&key.tenant_key(tenant)),
            &validation,
        )
        .map(|data| data.claims)
        .map_err(|e| refused(format!("not valid for tenant {tenant}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revloop_domain::decision::ApprovalVerb;
    use revloop_domain::decision::approval_token::ISSUER;

    const KEY: &str = "an-approval-key-of-at-least-32-bytes";
    const OLD: &str = "the-previous-approval-key-32-bytes-long";

    fn claims(tenant: &str) -> ApprovalTokenClaims {
        ApprovalTokenClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "carol".into(),
            tenant: tenant.into(),
            action_id: "act-1".into(),
            decisions: vec![ApprovalVerb::Approve],
            snapshot_ref: None,
            iat: 1,
            exp: 2,
            jti: "j".into(),
        }
    }

    #[test]
    fn a_token_verifies_for_its_tenant_only() {
        let keys = ApprovalKeys::new(KEY, &[]).unwrap();
        let token = keys.mint(&claims("acme")).unwrap();
        assert_eq!(keys.verify("acme", &token).unwrap(), claims("acme"));
        let foreign = keys.verify("globex", &token).unwrap_err();
        assert!(
            foreign.to_string().contains("not valid for tenant globex"),
            "{foreign}"
        );
    }

    #[test]
    fn tokens_of_the_previous_key_stay_valid_after_rotation() {
        let old = ApprovalKeys::new(OLD, &[]).unwrap();
        let token = old.mint(&claims("acme")).unwrap();
        let rotated = ApprovalKeys::new(KEY, &[OLD]).unwrap();
        assert!(rotated.verify("acme", &token).is_ok());
        let dropped = ApprovalKeys::new(KEY, &[]).unwrap();
        assert!(
            dropped
                .verify("acme", &token)
                .unwrap_err()
                .to_string()
                .contains("unknown key")
        );
    }

    #[test]
    fn forged_and_tampered_tokens_are_refused() {
        let keys = ApprovalKeys::new(KEY, &[]).unwrap();
        let other = ApprovalKeys::new(OLD, &[]).unwrap();
        let mut forged = claims("acme");
        forged.sub = "mallory".into();
        // Signed with another key but claiming ours.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(keys.current.id.clone());
        let token = jsonwebtoken::encode(
            &header,
            &forged,
            &EncodingKey::from_secret(&other.current.tenant_key("acme")),
        )
        .unwrap();
        assert!(keys.verify("acme", &token).is_err());
        assert!(keys.verify("acme", "not-a-token").is_err());
        // An API bearer token (another audience) is no approval token.
        let mut api = claims("acme");
        api.aud = "revloop-api".into();
        let token = keys.mint(&api).unwrap();
        assert!(keys.verify("acme", &token).is_err());
    }

    #[test]
    fn answer_and_approval_tokens_never_stand_in_for_each_other() {
        let keys = ApprovalKeys::new(KEY, &[]).unwrap();
        let answer = AnswerTokenClaims {
            iss: ISSUER.into(),
            aud: ANSWER_AUDIENCE.into(),
            sub: "sam".into(),
            tenant: "acme".into(),
            question_id: "q-1".into(),
            iat: 1,
            exp: 2,
            jti: "j".into(),
        };
        let answer_token = keys.mint_answer(&answer).unwrap();
        assert_eq!(keys.verify_answer("acme", &answer_token).unwrap(), answer);
        assert!(keys.verify("acme", &answer_token).is_err());
        assert!(keys.verify_answer("globex", &answer_token).is_err());
        let approval_token = keys.mint(&claims("acme")).unwrap();
        assert!(keys.verify_answer("acme", &approval_token).is_err());
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(ApprovalKeys::new("short", &[]).is_err());
    }
}
