//! What an approval token says and when it counts. A token is minted by the API for one
//! authenticated person allowed to decide one action, and checked by the approval activity
//! before a signal counts: Temporal access alone can no longer approve anything. Signing and
//! verifying the signature happen in `activities::approval_token`; the rules are here.

use serde::{Deserialize, Serialize};

use super::approval::ApprovalVerb;

/// Who issues approval tokens (the `iss` claim).
pub const ISSUER: &str = "revloop";
/// The audience of approval tokens: never accepted as an API bearer token, and the reverse.
pub const AUDIENCE: &str = "revloop-approval";
/// Default lifetime of a token.
pub const DEFAULT_TTL_SECS: u64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalTokenClaims {
    pub iss: String,
    pub aud: String,
    /// The person deciding; recorded as the approver.
    pub sub: String,
    pub tenant: String,
    pub action_id: String,
    /// The decisions the token allows.
    pub decisions: Vec<ApprovalVerb>,
    /// The snapshot the action is bound to, as the approver saw it.
    pub snapshot_ref: Option<String>,
    pub iat: u64,
    pub exp: u64,
    /// A unique id per token, so a token can be named in the ledger without being stored.
    pub jti: String,
}

/// What the signal is for, from the action it reached.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub tenant: &'a str,
    pub action_id: &'a str,
    pub verb: ApprovalVerb,
    pub snapshot_ref: Option<&'a str>,
    /// The instant the signal is judged at (workflow time), seconds since the epoch.
    pub now: u64,
}

/// Checks a verified token's claims against the signal; the message says why it does not count.
pub fn check_claims(claims: &ApprovalTokenClaims, expected: &Expected<'_>) -> Result<(), String> {
    if claims.iss != ISSUER || claims.aud != AUDIENCE {
        return Err("not an approval token".into());
    }
    if claims.tenant != expected.tenant {
        return Err(format!(
            "the token is for another tenant ({})",
            claims.tenant
        ));
    }
    if claims.action_id != expected.action_id {
        return Err(format!(
            "the token is for another action ({})",
            claims.action_id
        ));
    }
    if claims.sub.trim().is_empty() {
        return Err("the token names no approver".into());
    }
    if expected.now >= claims.exp {
        return Err(format!(
            "the token expired {} s ago",
            expected.now - claims.exp
        ));
    }
    if claims.iat > expected.now + 5 {
        return Err("the token was issued in the future".into());
    }
    if !claims.decisions.contains(&expected.verb) {
        return Err(format!("the token does not allow {:?}", expected.verb).to_lowercase());
    }
    if claims.snapshot_ref.as_deref() != expected.snapshot_ref {
        return Err(format!(
            "the token was issued for snapshot {:?}, the action is bound to {:?}",
            claims.snapshot_ref, expected.snapshot_ref
        ));
    }
    Ok(())
}

/// A token names someone and is used within its lifetime (five seconds of clock skew allowed).
fn check_lifetime(sub: &str, iat: u64, exp: u64, now: u64) -> Result<(), String> {
    if sub.trim().is_empty() {
        return Err("the token names no one".into());
    }
    if now >= exp {
        return Err(format!("the token expired {} s ago", now - exp));
    }
    if iat > now + 5 {
        return Err("the token was issued in the future".into());
    }
    Ok(())
}

/// The audience of answer tokens: a token to answer a question never approves an action, and
/// the reverse.
pub const ANSWER_AUDIENCE: &str = "revloop-answer";

/// What an answer token says: one person may answer one question of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerTokenClaims {
    pub iss: String,
    pub aud: String,
    /// The person answering; recorded as who answered.
    pub sub: String,
    pub tenant: String,
    pub question_id: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// Checks a verified answer token against the question the signal answers, at `now`.
pub fn check_answer_claims(
    claims: &AnswerTokenClaims,
    tenant: &str,
    question_id: &str,
    now: u64,
) -> Result<(), String> {
    if claims.iss != ISSUER || claims.aud != ANSWER_AUDIENCE {
        return Err("not an answer token".into());
    }
    if claims.tenant != tenant {
        return Err(format!(
            "the token is for another tenant ({})",
            claims.tenant
        ));
    }
    if claims.question_id != question_id {
        return Err(format!(
            "the token is for another question ({})",
            claims.question_id
        ));
    }
    check_lifetime(&claims.sub, claims.iat, claims.exp, now)
}

/// The audience of plan tokens: a token to command a plan never approves a single action or
/// answers a question, and the reverse.
pub const PLAN_AUDIENCE: &str = "revloop-plan";

/// What a plan token says: one person may give one command to one plan (for one step, when
/// the command approves or rejects a step under per-step approval).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTokenClaims {
    pub iss: String,
    pub aud: String,
    /// The person commanding; recorded as who approved, paused or aborted.
    pub sub: String,
    pub tenant: String,
    pub plan_id: String,
    pub command: super::plan::PlanCommand,
    #[serde(default)]
    pub step: Option<u32>,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// Checks a verified plan token against the plan and command the signal carries, at `now`.
pub fn check_plan_claims(
    claims: &PlanTokenClaims,
    tenant: &str,
    plan_id: &str,
    command: super::plan::PlanCommand,
    now: u64,
) -> Result<(), String> {
    if claims.iss != ISSUER || claims.aud != PLAN_AUDIENCE {
        return Err("not a plan token".into());
    }
    if claims.tenant != tenant {
        return Err(format!(
            "the token is for another tenant ({})",
            claims.tenant
        ));
    }
    if claims.plan_id != plan_id {
        return Err(format!(
            "the token is for another plan ({})",
            claims.plan_id
        ));
    }
    if claims.command != command {
        return Err(format!(
            "the token allows {}, not {}",
            claims.command.as_str(),
            command.as_str()
        ));
    }
    check_lifetime(&claims.sub, claims.iat, claims.exp, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> ApprovalTokenClaims {
        ApprovalTokenClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "carol".into(),
            tenant: "acme".into(),
            action_id: "act-1".into(),
            decisions: vec![ApprovalVerb::Approve, ApprovalVerb::Reject],
            snapshot_ref: Some("art-1".into()),
            iat: 1_000,
            exp: 1_900,
            jti: "j1".into(),
        }
    }

    fn expected() -> Expected<'static> {
        Expected {
            tenant: "acme",
            action_id: "act-1",
            verb: ApprovalVerb::Approve,
            snapshot_ref: Some("art-1"),
            now: 1_100,
        }
    }

    #[test]
    fn a_token_for_this_action_counts() {
        assert_eq!(check_claims(&claims(), &expected()), Ok(()));
    }

    #[test]
    fn each_binding_is_checked() {
        let refused = |e: Expected<'static>, what: &str| {
            let err = check_claims(&claims(), &e).unwrap_err();
            assert!(err.contains(what), "{err}");
        };
        refused(
            Expected {
                tenant: "globex",
                ..expected()
            },
            "another tenant",
        );
        refused(
            Expected {
                action_id: "act-2",
                ..expected()
            },
            "another action",
        );
        refused(
            Expected {
                now: 1_900,
                ..expected()
            },
            "expired 0 s ago",
        );
        refused(
            Expected {
                now: 900,
                ..expected()
            },
            "in the future",
        );
        refused(
            Expected {
                verb: ApprovalVerb::Edit,
                ..expected()
            },
            "does not allow edit",
        );
        refused(
            Expected {
                snapshot_ref: Some("art-2"),
                ..expected()
            },
            "snapshot",
        );
        let mut api_token = claims();
        api_token.aud = "revloop-api".into();
        assert_eq!(
            check_claims(&api_token, &expected()).unwrap_err(),
            "not an approval token"
        );
        let mut nobody = claims();
        nobody.sub = " ".into();
        assert!(
            check_claims(&nobody, &expected())
                .unwrap_err()
                .contains("no approver")
        );
    }

    #[test]
    fn an_answer_token_counts_only_for_its_question() {
        let claims = AnswerTokenClaims {
            iss: ISSUER.into(),
            aud: ANSWER_AUDIENCE.into(),
            sub: "sam".into(),
            tenant: "acme".into(),
            question_id: "q-1".into(),
            iat: 1_000,
            exp: 1_900,
            jti: "j".into(),
        };
        assert_eq!(check_answer_claims(&claims, "acme", "q-1", 1_100), Ok(()));
        for (tenant, question, now, says) in [
            ("globex", "q-1", 1_100, "another tenant"),
            ("acme", "q-2", 1_100, "another question"),
            ("acme", "q-1", 1_950, "expired"),
            ("acme", "q-1", 900, "future"),
        ] {
            let err = check_answer_claims(&claims, tenant, question, now).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        let approval = AnswerTokenClaims {
            aud: AUDIENCE.into(),
            ..claims
        };
        assert_eq!(
            check_answer_claims(&approval, "acme", "q-1", 1_100).unwrap_err(),
            "not an answer token"
        );
    }

    fn plan_claims() -> PlanTokenClaims {
        PlanTokenClaims {
            iss: ISSUER.into(),
            aud: PLAN_AUDIENCE.into(),
            sub: "carol".into(),
            tenant: "acme".into(),
            plan_id: "plan-1".into(),
            command: crate::decision::plan::PlanCommand::Abort,
            step: None,
            iat: 1_000,
            exp: 1_900,
            jti: "j".into(),
        }
    }

    #[test]
    fn a_plan_token_counts_for_its_plan_and_command_only() {
        use crate::decision::plan::PlanCommand;
        let c = plan_claims();
        assert_eq!(
            check_plan_claims(&c, "acme", "plan-1", PlanCommand::Abort, 1_100),
            Ok(())
        );
        let refused = |r: Result<(), String>, what: &str| {
            let e = r.unwrap_err();
            assert!(e.contains(what), "{e}");
        };
        refused(
            check_plan_claims(&c, "globex", "plan-1", PlanCommand::Abort, 1_100),
            "another tenant",
        );
        refused(
            check_plan_claims(&c, "acme", "plan-2", PlanCommand::Abort, 1_100),
            "another plan",
        );
        refused(
            check_plan_claims(&c, "acme", "plan-1", PlanCommand::Resume, 1_100),
            "allows abort, not resume",
        );
        refused(
            check_plan_claims(&c, "acme", "plan-1", PlanCommand::Abort, 1_900),
            "expired",
        );
        let approval = PlanTokenClaims {
            aud: AUDIENCE.into(),
            ..plan_claims()
        };
        refused(
            check_plan_claims(&approval, "acme", "plan-1", PlanCommand::Abort, 1_100),
            "not a plan token",
        );
    }
}
