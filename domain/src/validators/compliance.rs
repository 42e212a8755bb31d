//! Compliance / field guard: restricted fields, personal data in outbound text and actions the
//! tenant prohibits, expressed as Cedar policies. The tenant's allow / deny lists become
//! generated policies; its own Cedar text is added to them. Any `forbid` that matches, or no
//! `permit`, BLOCKs, naming the policies that decided. Policies that do not parse block too:
//! fail closed. Before an expensive read the same policies judge `Revloop::Action::"read"` on
//! `Revloop::Connector::"{id}"`, so a tenant can forbid pulling from a source.

use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pii::{PiiFinding, find_pii};
use super::{Subject, ValidationContext, Validator, ValidatorResult, Verdict, result};
use crate::decision::ActionClass;

/// Tenant compliance settings. Lists name action kinds (`send_follow_up`, or `read` for pulls
/// from sources) and parameter names. The allow list applies to proposed actions only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompliancePolicy {
    /// Action kinds this tenant never allows.
    pub denied_actions: Vec<String>,
    /// When set, the only action kinds allowed.
    pub allowed_actions: Option<Vec<String>>,
    /// Parameters no action may set (e.g. `amount`, `discount`).
    pub restricted_fields: Vec<String>,
    /// Whether personal data in customer-facing text blocks (default: yes).
    pub block_pii_in_outbound: bool,
    /// More Cedar policies, added to the generated ones.
    pub cedar: String,
}

impl Default for CompliancePolicy {
    fn default() -> Self {
        Self {
            denied_actions: Vec::new(),
            allowed_actions: None,
            restricted_fields: Vec::new(),
            block_pii_in_outbound: true,
            cedar: String::new(),
        }
    }
}

impl CompliancePolicy {
    /// Whether the policies this config stands for parse; the error says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        PolicySet::from_str(&cedar_policies(self))
            .map(|_| ())
            .map_err(|e| format!("{e}"))
    }
}

fn cedar_list(items: &[String], entity_type: &str) -> String {
    let entries: Vec<String> = items
        .iter()
        .map(|i| format!("{entity_type}::{}", json!(i)))
        .collect();
    format!("[{}]", entries.join(", "))
}

fn cedar_strings(items: &[String]) -> String {
    let entries: Vec<String> = items.iter().map(|i| json!(i).to_string()).collect();
    format!("[{}]", entries.join(", "))
}

/// The Cedar policy text a compliance policy stands for: a baseline permit, one forbid per
/// list, then the tenant's own policies.
pub fn cedar_policies(policy: &CompliancePolicy) -> String {
    let mut text = String::from("@id(\"baseline\")\npermit(principal, action, resource);\n");
    if !policy.denied_actions.is_empty() {
        text += &format!(
            "@id(\"denied-actions\")\nforbid(principal, action in {}, resource);\n",
            cedar_list(&policy.denied_actions, "Revloop::Action")
        );
    }
    if let Some(allowed) = &policy.allowed_actions {
        text += &format!(
            "@id(\"allowed-actions\")\nforbid(principal, action, resource) when {{ context.subject == \"proposal\" }} unless {{ action in {} }};\n",
            cedar_list(allowed, "Revloop::Action")
        );
    }
    if !policy.restricted_fields.is_empty() {
        text += &format!(
            "@id(\"restricted-fields\")\nforbid(principal, action, resource) when {{ context.fields.containsAny({}) }};\n",
            cedar_strings(&policy.restricted_fields)
        );
    }
    if policy.block_pii_in_outbound {
        text += "@id(\"pii-in-outbound\")\nforbid(principal, action, resource) when { context.outbound && context.pii_found };\n";
    }
    text + &policy.cedar
}

/// What the policies see of one request: the principal, action and resource as Cedar
/// entities, the context they can test, and any personal data found.
struct CedarRequest {
    action: String,
    resource: String,
    context: Value,
    pii: Vec<PiiFinding>,
}

/// A proposal is `Revloop::Action::"{kind}"` on `Revloop::Proposal::"{id}"`; a read is
/// `Revloop::Action::"read"` on `Revloop::Connector::"{id}"`. Every context attribute exists
/// for both, so one policy can test any of them without an evaluation error.
fn cedar_request(ctx: &ValidationContext<'_>) -> CedarRequest {
    let proposal = ctx.proposal();
    let outbound = proposal.is_some_and(|p| p.class == ActionClass::ExternalHumanTouch);
    let params = proposal.and_then(|p| p.params.as_object());
    let fields: Vec<&String> = params.map(|p| p.keys().collect()).unwrap_or_default();
    // The recipient's own address is addressing, not content.
    let pii: Vec<PiiFinding> = params
        .into_iter()
        .flatten()
        .filter(|(k, _)| !matches!(k.as_str(), "to" | "contact_id"))
        .filter_map(|(k, v)| v.as_str().map(|text| find_pii(k, text)))
        .flatten()
        .collect();
    let kinds: Vec<&str> = pii.iter().map(|f| f.kind.as_str()).collect();
    let (subject, action_class, connector_kind, action, resource) = match ctx.subject {
        Subject::Proposal(p) => (
            "proposal",
            serde_json::to_value(p.class).unwrap_or(Value::Null),
            String::new(),
            format!("Revloop::Action::{}", json!(p.kind.as_str())),
            format!("Revloop::Proposal::{}", json!(p.proposal_id)),
        ),
        Subject::Read(r) => (
            "read",
            json!("read"),
            r.connector_kind.clone(),
            r#"Revloop::Action::"read""#.to_string(),
            format!("Revloop::Connector::{}", json!(r.connector_id)),
        ),
    };
    let context = json!({
        "checkpoint": ctx.checkpoint.as_str(),
        "subject": subject,
        "action_class": action_class,
        "connector_kind": connector_kind,
        "outbound": outbound,
        "fields": fields,
        "pii_found": !pii.is_empty(),
        "pii_kinds": kinds,
    });
    CedarRequest {
        action,
        resource,
        context,
        pii,
    }
}

fn uid(text: &str) -> Result<EntityUid, String> {
    EntityUid::from_str(text).map_err(|e| format!("entity {text}: {e}"))
}

pub struct ComplianceValidator;

impl ComplianceValidator {
    fn evaluate(
        &self,
        ctx: &ValidationContext<'_>,
    ) -> Result<(Verdict, Vec<String>, Value), String> {
        let text = cedar_policies(&ctx.policy.compliance);
        let policies = PolicySet::from_str(&text)
            .map_err(|e| format!("compliance policies do not parse: {e}"))?;
        let CedarRequest {
            action,
            resource,
            context,
            pii,
        } = cedar_request(ctx);
        let request = Request::new(
            uid(r#"Revloop::Agent::"revloop""#)?,
            uid(&action)?,
            uid(&resource)?,
            Context::from_json_value(context.clone(), None)
                .map_err(|e| format!("request context: {e}"))?,
            None,
        )
        .map_err(|e| format!("request: {e}"))?;
        let response = Authorizer::new().is_authorized(&request, &policies, &Entities::empty());
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        let determining: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|id| {
                policies
                    .policy(id)
                    .and_then(|p| p.annotation("id").map(str::to_string))
                    .unwrap_or_else(|| id.to_string())
            })
            .collect();
        let details = json!({
            "policies": determining,
            "pii": pii,
            "context": context,
            "errors": errors,
        });
        match response.decision() {
            Decision::Allow => Ok((Verdict::Allow, Vec::new(), details)),
            Decision::Deny => {
                let why = if determining.is_empty() {
                    "no policy permits it".to_string()
                } else {
                    format!("forbidden by {}", determining.join(", "))
                };
                let what = ctx.proposal().map_or("read", |p| p.kind.as_str());
                let mut reasons = vec![format!("COMPLIANCE: {what} {why}")];
                reasons.extend(
                    pii.iter()
                        .map(|f| format!("{} found in {}", f.kind, f.field)),
                );
                reasons.extend(errors.iter().map(|e| format!("policy error: {e}")));
                Ok((Verdict::Block, reasons, details))
            }
        }
    }
}

impl Validator for ComplianceValidator {
    fn name(&self) -> &'static str {
        "compliance"
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> ValidatorResult {
        match self.evaluate(ctx) {
            Ok((verdict, reasons, details)) => result(self.name(), verdict, reasons, details),
            Err(e) => result(
                self.name(),
                Verdict::Block,
                vec![format!("COMPLIANCE: {e}")],
                json!({ "error": e }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{ActionKind, Proposal};
    use crate::validators::GovernancePolicy;
    use crate::validators::test_support::*;

    fn proposal_with(kind: ActionKind, params: Value) -> Proposal {
        Proposal::new_for("d1", kind)
            .evidence(vec!["rec:a".into()], vec![])
            .params(params)
            .build()
    }

    fn check(p: &Proposal, compliance: CompliancePolicy) -> ValidatorResult {
        let policy = GovernancePolicy {
            compliance,
            ..GovernancePolicy::default()
        };
        let mut c = ctx(p, &[]);
        c.policy = &policy;
        ComplianceValidator.validate(&c)
    }

    fn email(body: &str) -> Proposal {
        proposal_with(
            ActionKind::SendFollowUp,
            json!({ "to": "ada@acme.test", "subject": "Agenda", "body": body }),
        )
    }

    #[test]
    fn clean_outbound_text_is_allowed_and_pii_blocks() {
        let clean = check(
            &email("Hi Ada, shall we cover the roadmap?"),
            CompliancePolicy::default(),
        );
        assert_eq!(clean.result, Verdict::Allow, "{}", clean.reason);
        let leaky = check(
            &email("Bob's SSN is 123-45-6789"),
            CompliancePolicy::default(),
        );
        assert_eq!(leaky.result, Verdict::Block);
        assert!(leaky.reason.contains("pii-in-outbound"), "{}", leaky.reason);
        assert_eq!(leaky.details["pii"][0]["kind"], "ssn");
        let allowed = check(
            &email("Bob's SSN is 123-45-6789"),
            CompliancePolicy {
                block_pii_in_outbound: false,
                ..Default::default()
            },
        );
        assert_eq!(allowed.result, Verdict::Allow);
    }

    #[test]
    fn internal_text_may_hold_pii() {
        let task = proposal_with(
            ActionKind::CreateTask,
            json!({ "title": "call bob@acme.test" }),
        );
        assert_eq!(
            check(&task, CompliancePolicy::default()).result,
            Verdict::Allow
        );
    }

    #[test]
    fn deny_and_allow_lists() {
        let task = proposal_with(ActionKind::CreateTask, json!({ "title": "prep" }));
        let denied = check(
            &task,
            CompliancePolicy {
                denied_actions: vec!["create_task".into()],
                ..Default::default()
            },
        );
        assert_eq!(denied.result, Verdict::Block);
        assert!(denied.reason.contains("denied-actions"));
        let other_denied = CompliancePolicy {
            denied_actions: vec!["send_follow_up".into()],
            ..Default::default()
        };
        assert_eq!(check(&task, other_denied).result, Verdict::Allow);
        let only_briefs = CompliancePolicy {
            allowed_actions: Some(vec!["attach_brief".into()]),
            ..Default::default()
        };
        let outside = check(&task, only_briefs.clone());
        assert_eq!(outside.result, Verdict::Block);
        assert!(outside.reason.contains("allowed-actions"));
        let brief = proposal_with(ActionKind::AttachBrief, json!({ "artifact_key": "a" }));
        assert_eq!(check(&brief, only_briefs).result, Verdict::Allow);
    }

    #[test]
    fn restricted_fields() {
        let task = proposal_with(
            ActionKind::CreateTask,
            json!({ "title": "prep", "owner": "sam" }),
        );
        let guarded = CompliancePolicy {
            restricted_fields: vec!["owner".into()],
            ..Default::default()
        };
        let outcome = check(&task, guarded);
        assert_eq!(outcome.result, Verdict::Block);
        assert!(outcome.reason.contains("restricted-fields"));
        let unrelated = CompliancePolicy {
            restricted_fields: vec!["amount".into()],
            ..Default::default()
        };
        assert_eq!(check(&task, unrelated).result, Verdict::Allow);
    }

    #[test]
    fn tenant_cedar_is_applied_and_bad_cedar_fails_closed() {
        let task = proposal_with(ActionKind::CreateTask, json!({ "title": "prep" }));
        let own = CompliancePolicy {
            cedar: "@id(\"no-tasks-at-execution\")\nforbid(principal, action == Revloop::Action::\"create_task\", resource) when { context.checkpoint == \"before_step_execution\" };".into(),
            ..Default::default()
        };
        assert_eq!(
            check(&task, own.clone()).result,
            Verdict::Allow,
            "planning is still allowed"
        );
        let policy = GovernancePolicy {
            compliance: own,
            ..GovernancePolicy::default()
        };
        let mut c = ctx(&task, &[]);
        c.policy = &policy;
        c.checkpoint = crate::validators::Checkpoint::BeforeStepExecution;
        let outcome = ComplianceValidator.validate(&c);
        assert_eq!(outcome.result, Verdict::Block);
        assert!(outcome.reason.contains("no-tasks-at-execution"));
        let broken = CompliancePolicy {
            cedar: "forbid(principal".into(),
            ..Default::default()
        };
        let outcome = check(&task, broken);
        assert_eq!(outcome.result, Verdict::Block);
        assert!(outcome.reason.contains("do not parse"));
    }

    #[test]
    fn reads_are_judged_by_connector_and_the_allow_list_leaves_them_alone() {
        let read = crate::validators::ReadRequest {
            read_id: "t1/perception/p1".into(),
            connector_id: "salesforce".into(),
            connector_kind: "salesforce".into(),
        };
        let judge = |compliance: CompliancePolicy| {
            let policy = GovernancePolicy {
                compliance,
                ..GovernancePolicy::default()
            };
            let p = proposal_with(ActionKind::CreateTask, json!({}));
            let mut c = ctx(&p, &[]);
            c.subject = Subject::Read(&read);
            c.checkpoint = crate::validators::Checkpoint::BeforeExpensiveRead;
            c.policy = &policy;
            ComplianceValidator.validate(&c)
        };
        assert_eq!(judge(CompliancePolicy::default()).result, Verdict::Allow);
        let only_briefs = CompliancePolicy {
            allowed_actions: Some(vec!["attach_brief".into()]),
            ..Default::default()
        };
        assert_eq!(judge(only_briefs).result, Verdict::Allow);
        let no_reads = CompliancePolicy {
            denied_actions: vec!["read".into()],
            ..Default::default()
        };
        assert_eq!(judge(no_reads).result, Verdict::Block);
        let not_salesforce = CompliancePolicy {
            cedar: "@id(\"no-salesforce\")\nforbid(principal, action == Revloop::Action::\"read\", resource == Revloop::Connector::\"salesforce\");".into(),
            ..Default::default()
        };
        let outcome = judge(not_salesforce);
        assert_eq!(outcome.result, Verdict::Block);
        assert!(
            outcome
                .reason
                .contains("COMPLIANCE: read forbidden by no-salesforce"),
            "{}",
            outcome.reason
        );
    }
}
