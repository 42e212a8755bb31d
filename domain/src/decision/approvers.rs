//! Who may decide an action that awaits approval: the tenant's `[approval]` table.
//!
//! Three layers, each able only to narrow the one before it:
//! 1. the approver role (admins hold it too): nobody else decides anything;
//! 2. `who`: everyone with the approver role, the account's owner, admins only, or a group
//!    from the person's token (`groups` claim), by default and per action kind (`rules`);
//! 3. the tenant's Cedar policies: `forbid` rules judged on the person and the action, e.g.
//!    "discounts and exec escalations need a manager".
//!
//! The API mints an approval token only when all three permit, and says which rule refused.

use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ActionKind, ApprovalVerb, Proposal};
use crate::auth::{Claims, Role};

/// The tenant's `[approval]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalConfig {
    /// Who may decide actions no rule names (default: `approver`).
    pub who: Approvers,
    /// Per action kind, who may decide instead; the first rule naming the kind decides.
    pub rules: Vec<ApproverRule>,
    /// Cedar policies judged after `who`. The principal is `Revloop::Person::"<sub>"`, the
    /// action `Revloop::Action::"approve" | "edit" | "reject"`, the resource
    /// `Revloop::ActionKind::"<kind>"`; the context holds `kind`, `class`, `params`, `account_id`,
    /// `account_owner`, `is_owner`, `roles` and `groups`. A baseline permit is added.
    pub cedar: String,
    /// Seconds after the request until the approvers are reminded (0: never).
    pub remind_after_secs: u64,
    /// Seconds after the request until it is escalated to `escalate_to` (0: never).
    pub escalate_after_secs: u64,
    /// Who an escalation goes to: `owner`, `admin`, `approver` or `group:<name>`.
    pub escalate_to: Approvers,
    /// Seconds after the request until it expires; unset: the worker's
    /// `REVLOOP_APPROVAL_TIMEOUT_SECS` (72 h).
    pub expire_after_secs: Option<u64>,
}

impl Default for ApprovalConfig {
    fn default() -> Self {
        Self {
            who: Approvers::default(),
            rules: Vec::new(),
            cedar: String::new(),
            remind_after_secs: 24 * 3600,
            escalate_after_secs: 48 * 3600,
            escalate_to: Approvers::Admins,
            expire_after_secs: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverRule {
    pub kinds: Vec<ActionKind>,
    pub who: Approvers,
}

/// Who may decide: `approver`, `admin`, `owner` (the account's owner) or `group:<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Approvers {
    #[default]
    Approvers,
    Admins,
    Owner,
    Group(String),
}

impl TryFrom<String> for Approvers {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "approver" => Ok(Self::Approvers),
            "admin" => Ok(Self::Admins),
            "owner" => Ok(Self::Owner),
            _ => match text.strip_prefix("group:") {
                Some(g) if !g.trim().is_empty() => Ok(Self::Group(g.to_string())),
                _ => Err(format!(
                    "{text:?} names no approvers; use approver, admin, owner or group:<name>"
                )),
            },
        }
    }
}

impl From<Approvers> for String {
    fn from(a: Approvers) -> String {
        match a {
            Approvers::Approvers => "approver".into(),
            Approvers::Admins => "admin".into(),
            Approvers::Owner => "owner".into(),
            Approvers::Group(g) => format!("group:{g}"),
        }
    }
}

/// What is being decided, and on whose account.
#[derive(Debug, Clone, Copy)]
pub struct Decidable<'a> {
    pub proposal: &'a Proposal,
    pub account_id: &'a str,
    /// The account's owner as the CRM names them, when known.
    pub account_owner: Option<&'a str>,
}

/// Why a person may not decide: the rule, and a sentence for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (rule: {rule})")]
pub struct Refusal {
    pub rule: String,
    pub message: String,
}

impl ApprovalConfig {
    /// Whether the config makes sense: rules name kinds, and the Cedar text parses.
    pub fn check(&self) -> Result<(), String> {
        let (remind, escalate) = (self.remind_after_secs, self.escalate_after_secs);
        if remind > 0 && escalate > 0 && remind >= escalate {
            return Err(format!(
                "remind_after_secs ({remind}) must be below escalate_after_secs ({escalate})"
            ));
        }
        if let Some(expire) = self.expire_after_secs {
            if expire == 0 {
                return Err("expire_after_secs: at least 1".into());
            }
            for (key, value) in [
                ("remind_after_secs", remind),
                ("escalate_after_secs", escalate),
            ] {
                if value >= expire {
                    return Err(format!(
                        "{key} ({value}) must be below expire_after_secs ({expire})"
                    ));
                }
            }
        }
        if let Some(i) = self.rules.iter().position(|r| r.kinds.is_empty()) {
            return Err(format!(
                "rules[{i}].kinds: a rule names at least one action kind"
            ));
        }
        policies(&self.cedar)
            .map(|_| ())
            .map_err(|e| format!("cedar: {e}"))
    }

    /// Who may decide this kind: the first rule naming it, else the default.
    pub fn approvers_of(&self, kind: ActionKind) -> (&Approvers, String) {
        match self.rules.iter().position(|r| r.kinds.contains(&kind)) {
            Some(i) => (&self.rules[i].who, format!("approval.rules[{i}]")),
            None => (&self.who, "approval.who".to_string()),
        }
    }

    /// Whether `person` may take each of `verbs` on the action; the first refusal is the answer.
    pub fn may_decide(
        &self,
        person: &Claims,
        action: Decidable<'_>,
        verbs: &[ApprovalVerb],
    ) -> Result<(), Refusal> {
        if !person.allows(Role::Approver) {
            return Err(Refusal {
                rule: "role".into(),
                message: format!(
                    "{} lacks the approver role: only approvers may decide actions",
                    person.sub
                ),
            });
        }
        let (approvers, rule) = self.approvers_of(action.proposal.kind);
        let is_owner = is_owner(person, action.account_owner);
        let permitted = match approvers {
            Approvers::Approvers => true,
            Approvers::Admins => person.allows(Role::Admin),
            Approvers::Owner => is_owner,
            Approvers::Group(g) => person.groups.iter().any(|have| have == g),
        };
        if !permitted {
            let who = match approvers {
                Approvers::Approvers => "approvers".to_string(),
                Approvers::Admins => "admins".to_string(),
                Approvers::Owner => format!(
                    "the account's owner ({})",
                    action.account_owner.unwrap_or("none recorded")
                ),
                Approvers::Group(g) => format!("members of the group {g:?}"),
            };
            return Err(Refusal {
                rule: format!("{rule} = {:?}", String::from(approvers.clone())),
                message: format!(
                    "{} may not decide {} actions on {}: only {who} may",
                    person.sub,
                    action.proposal.kind.as_str(),
                    action.account_id
                ),
            });
        }
        let set = policies(&self.cedar).map_err(|e| Refusal {
            rule: "approval.cedar".into(),
            message: format!(
                "the tenant's approval policies do not parse, so nobody may decide: {e}"
            ),
        })?;
        for verb in verbs {
            judge(&set, person, action, *verb, is_owner)?;
        }
        Ok(())
    }
}

fn is_owner(person: &Claims, owner: Option<&str>) -> bool {
    owner.is_some_and(|o| !o.trim().is_empty() && o.trim().eq_ignore_ascii_case(person.sub.trim()))
}

fn policies(cedar: &str) -> Result<PolicySet, String> {
    let text = format!("@id(\"baseline\")\npermit(principal, action, resource);\n{cedar}");
    PolicySet::from_str(&text).map_err(|e| e.to_string())
}

fn uid(entity_type: &str, id: &str) -> Result<EntityUid, Refusal> {
    EntityUid::from_str(&format!("{entity_type}::{}", json!(id))).map_err(|e| Refusal {
        rule: "approval.cedar".into(),
        message: format!("{entity_type} {id:?} cannot be named in a policy: {e}"),
    })
}

fn judge(
    set: &PolicySet,
    person: &Claims,
    action: Decidable<'_>,
    verb: ApprovalVerb,
    is_owner: bool,
) -> Result<(), Refusal> {
    let kind = action.proposal.kind;
    let params: serde_json::Map<String, Value> = action
        .proposal
        .params
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), Value::String(text))
                })
                .collect()
        })
        .unwrap_or_default();
    let roles: Vec<&str> = person
        .roles
        .iter()
        .map(|r| match r {
            Role::Viewer => "viewer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        })
        .collect();
    let context = json!({
        "kind": kind.as_str(),
        "class": format!("{:?}", action.proposal.class),
        "params": params,
        "account_id": action.account_id,
        "account_owner": action.account_owner.unwrap_or_default(),
        "is_owner": is_owner,
        "roles": roles,
        "groups": person.groups,
    });
    let internal = |e: String| Refusal {
        rule: "approval.cedar".into(),
        message: e,
    };
    let context = Context::from_json_value(context, None).map_err(|e| internal(e.to_string()))?;
    let request = Request::new(
        uid("Revloop::Person", &person.sub)?,
        uid("Revloop::Action", verb.as_str())?,
        uid("Revloop::ActionKind", kind.as_str())?,
        context,
        None,
    )
    .map_err(|e| internal(e.to_string()))?;
    let response = Authorizer::new().is_authorized(&request, set, &Entities::empty());
    if response.decision() == Decision::Allow {
        return Ok(());
    }
    let mut deciding: Vec<String> = response
        .diagnostics()
        .reason()
        .map(|id| {
            set.policy(id)
                .and_then(|p| p.annotation("id").map(str::to_string))
                .unwrap_or_else(|| id.to_string())
        })
        .collect();
    deciding.sort();
    let errors: Vec<String> = response
        .diagnostics()
        .errors()
        .map(|e| e.to_string())
        .collect();
    Err(Refusal {
        rule: format!("approval.cedar: {}", deciding.join(", ")),
        message: if errors.is_empty() {
            format!(
                "{} may not {} {} actions on {}: a tenant approval policy forbids it",
                person.sub,
                verb.as_str(),
                kind.as_str(),
                action.account_id
            )
        } else {
            format!(
                "the tenant's approval policies failed: {}",
                errors.join("; ")
            )
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(sub: &str, roles: &[Role], groups: &[&str]) -> Claims {
        Claims {
            sub: sub.into(),
            tenant: "t".into(),
            roles: roles.to_vec(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            exp: 0,
            iat: 0,
        }
    }

    fn proposal(kind: ActionKind, params: Value) -> Proposal {
        Proposal {
            proposal_id: "p1".into(),
            kind,
            class: kind.class(),
            rank: 1,
            title: "t".into(),
            why_now: "w".into(),
            confidence: 0.9,
            evidence_refs: vec![],
            signal_ids: vec![],
            params,
            playbook: "test".into(),
            plan: None,
        }
    }

    fn on_acme(p: &Proposal) -> Decidable<'_> {
        Decidable {
            proposal: p,
            account_id: "acme",
            account_owner: Some("sam"),
        }
    }

    fn config(toml_text: &str) -> ApprovalConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn by_default_every_approver_may_decide_and_viewers_may_not() {
        let p = proposal(ActionKind::SendFollowUp, json!({}));
        let c = ApprovalConfig::default();
        assert!(
            c.may_decide(
                &person("ann", &[Role::Approver], &[]),
                on_acme(&p),
                &[ApprovalVerb::Approve]
            )
            .is_ok()
        );
        let refused = c
            .may_decide(
                &person("vic", &[Role::Viewer], &[]),
                on_acme(&p),
                &[ApprovalVerb::Approve],
            )
            .unwrap_err();
        assert_eq!(refused.rule, "role");
    }

    #[test]
    fn owner_only_lets_the_accounts_owner_decide() {
        let p = proposal(ActionKind::SendFollowUp, json!({}));
        let c = config("who = \"owner\"");
        assert!(
            c.may_decide(
                &person("Sam", &[Role::Approver], &[]),
                on_acme(&p),
                &[ApprovalVerb::Approve]
            )
            .is_ok()
        );
        let refused = c
            .may_decide(
                &person("ann", &[Role::Admin], &[]),
                on_acme(&p),
                &[ApprovalVerb::Approve],
            )
            .unwrap_err();
        assert_eq!(refused.rule, "approval.who = \"owner\"");
        assert!(
            refused.message.contains("the account's owner (sam)"),
            "{refused}"
        );
        // An account with no recorded owner has nobody who may decide under `owner`.
        let unowned = Decidable {
            account_owner: None,
            ..on_acme(&p)
        };
        assert!(
            c.may_decide(
                &person("sam", &[Role::Approver], &[]),
                unowned,
                &[ApprovalVerb::Approve]
            )
            .is_err()
        );
    }

    #[test]
    fn a_rule_for_a_kind_overrides_the_default() {
        let c = config(
            "who = \"approver\"\n[[rules]]\nkinds = [\"escalate_to_exec_sponsor\"]\nwho = \"group:manager\"\n",
        );
        let exec = proposal(ActionKind::EscalateToExecSponsor, json!({}));
        let follow_up = proposal(ActionKind::SendFollowUp, json!({}));
        let ann = person("ann", &[Role::Approver], &[]);
        let maria = person("maria", &[Role::Approver], &["manager"]);
        assert!(
            c.may_decide(&ann, on_acme(&follow_up), &[ApprovalVerb::Approve])
                .is_ok()
        );
        let refused = c
            .may_decide(&ann, on_acme(&exec), &[ApprovalVerb::Approve])
            .unwrap_err();
        assert_eq!(refused.rule, "approval.rules[0] = \"group:manager\"");
        assert!(
            c.may_decide(&maria, on_acme(&exec), &[ApprovalVerb::Approve])
                .is_ok()
        );
    }

    #[test]
    fn a_cedar_policy_narrows_further_and_is_named_when_it_refuses() {
        let c = ApprovalConfig {
            cedar: r#"
                @id("discounts-need-a-manager")
                forbid(principal, action == Revloop::Action::"approve", resource)
                when { context.params has discount && !context.groups.contains("manager") };
            "#
            .into(),
            ..Default::default()
        };
        let discounted = proposal(
            ActionKind::SendEmail,
            json!({"discount": 15, "to": "a@b.c"}),
        );
        let plain = proposal(ActionKind::SendEmail, json!({"to": "a@b.c"}));
        let ann = person("ann", &[Role::Approver], &[]);
        let plain_ok = c.may_decide(&ann, on_acme(&plain), &[ApprovalVerb::Approve]);
        assert!(plain_ok.is_ok(), "{plain_ok:?}");
        // Rejecting stays open to her; approving does not.
        assert!(
            c.may_decide(&ann, on_acme(&discounted), &[ApprovalVerb::Reject])
                .is_ok()
        );
        let refused = c
            .may_decide(
                &ann,
                on_acme(&discounted),
                &[ApprovalVerb::Reject, ApprovalVerb::Approve],
            )
            .unwrap_err();
        assert_eq!(refused.rule, "approval.cedar: discounts-need-a-manager");
        let maria = person("maria", &[Role::Approver], &["manager"]);
        assert!(
            c.may_decide(&maria, on_acme(&discounted), &[ApprovalVerb::Approve])
                .is_ok()
        );
    }

    #[test]
    fn broken_policies_and_unknown_approvers_are_refused_when_configured() {
        let broken = ApprovalConfig {
            cedar: "forbid(principal".into(),
            ..Default::default()
        };
        assert!(broken.check().is_err());
        let err = toml::from_str::<ApprovalConfig>("who = \"managers\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("use approver, admin, owner or group:<name>"),
            "{err}"
        );
        assert!(
            toml::from_str::<ApprovalConfig>("[[rules]]\nkinds = [\"send_mail\"]\nwho = \"owner\"")
                .is_err()
        );
    }
}
