//! The write-back policy: whether an action runs on its own or waits for a person, by its
//! class, evaluated with Cedar so every routing names the rule that decided it.
//!
//! - internal non-destructive (a task, a note, a brief): autonomous;
//! - internal mutation (a CRM field): autonomous only when the tenant allows it
//!   (`[writeback] autonomous_mutations = true`) and the proposal's confidence is at least
//!   `min_confidence`; otherwise it waits for approval;
//! - external human touch (anything a customer sees): always approval;
//! - clarification / escalation: an autonomous notification.
//!
//! The routing is decided once, when the action is proposed, ledgered with the proposal and
//! kept on the action, so `revloop why` and the executor read the same answer.

use std::str::FromStr;
use std::sync::OnceLock;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::actions::{ActionClass, ActionKind};

/// The tenant's `[writeback]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WritebackConfig {
    /// Let CRM field updates run without a person when confident enough.
    pub autonomous_mutations: bool,
    /// The confidence (0–1) a mutation needs to run on its own.
    pub min_confidence: f64,
}

impl Default for WritebackConfig {
    fn default() -> Self {
        Self {
            autonomous_mutations: false,
            min_confidence: 0.9,
        }
    }
}

impl WritebackConfig {
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(format!(
                "writeback.min_confidence: {} is not between 0 and 1",
                self.min_confidence
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Runs without a person.
    Autonomous,
    /// Waits for a person's approval.
    Approval,
}

/// How one action is routed, and by which rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub route: Route,
    pub class: ActionClass,
    /// The id of the policy that decided (`writeback.internal_mutation_below_threshold`, …).
    pub rule: String,
    pub reason: String,
}

impl Routing {
    pub fn needs_approval(&self) -> bool {
        self.route == Route::Approval
    }
}

/// The policies, one per class and condition. A `forbid` names why an action waits; a
/// `permit` why it may run alone. No permit means approval.
const POLICIES: &str = r#"
@id("writeback.internal_non_destructive")
permit(principal, action == Revloop::Action::"run_autonomously", resource)
when { context.class == "internal_non_destructive" };

@id("writeback.clarification_escalation")
permit(principal, action == Revloop::Action::"run_autonomously", resource)
when { context.class == "clarification_escalation" };

@id("writeback.internal_mutation")
permit(principal, action == Revloop::Action::"run_autonomously", resource)
when { context.class == "internal_mutation" };

@id("writeback.internal_mutation_not_allowed")
forbid(principal, action == Revloop::Action::"run_autonomously", resource)
when { context.class == "internal_mutation" && !context.autonomous_mutations };

@id("writeback.internal_mutation_below_threshold")
forbid(principal, action == Revloop::Action::"run_autonomously", resource)
when { context.class == "internal_mutation" && context.confidence_bp < context.min_confidence_bp };

@id("writeback.external_human_touch")
forbid(principal, action == Revloop::Action::"run_autonomously", resource)
when { context.class == "external_human_touch" };
"#;

/// Which deciding rule is named first when several decide.
const FIRST_REASONS: [&str; 3] = [
    "writeback.external_human_touch",
    "writeback.internal_mutation_not_allowed",
    "writeback.internal_mutation_below_threshold",
];

/// The parsed policies; `None` only if the built-in text failed to parse, in which case every
/// action waits for approval (the unit tests make sure it parses).
fn policies() -> Option<&'static PolicySet> {
    static SET: OnceLock<Option<PolicySet>> = OnceLock::new();
    SET.get_or_init(|| PolicySet::from_str(POLICIES).ok())
        .as_ref()
}

/// The request Cedar judges, or why it could not be built.
fn request(kind: &str, context: serde_json::Value) -> Result<Request, String> {
    let uid = |t: &str, id: &str| {
        EntityUid::from_str(&format!("{t}::{}", json!(id))).map_err(|e| e.to_string())
    };
    Request::new(
        uid("Revloop::Decider", "revloop")?,
        uid("Revloop::Action", "run_autonomously")?,
        uid("Revloop::ActionKind", kind)?,
        Context::from_json_value(context, None).map_err(|e| e.to_string())?,
        None,
    )
    .map_err(|e| e.to_string())
}

fn class_name(class: ActionClass) -> &'static str {
    match class {
        ActionClass::InternalNonDestructive => "internal_non_destructive",
        ActionClass::InternalMutation => "internal_mutation",
        ActionClass::ExternalHumanTouch => "external_human_touch",
        ActionClass::ClarificationEscalation => "clarification_escalation",
    }
}

/// Confidence in basis points: Cedar compares integers.
fn basis_points(x: f64) -> i64 {
    (x.clamp(0.0, 1.0) * 10_000.0).round() as i64
}

fn reason_of(rule: &str, kind: &str, confidence: f64, config: &WritebackConfig) -> String {
    match rule {
        "writeback.internal_non_destructive" => {
            format!("{kind} stays inside revloop's users' tools: it runs on its own")
        }
        "writeback.clarification_escalation" => {
            format!("{kind} is a notification: it runs on its own")
        }
        "writeback.internal_mutation" => format!(
            "{kind} changes a system of record; the tenant allows it on its own at confidence {confidence:.2} ≥ {:.2}",
            config.min_confidence
        ),
        "writeback.internal_mutation_not_allowed" => format!(
            "{kind} changes a system of record and the tenant does not let mutations run on their own ([writeback] autonomous_mutations): it waits for approval"
        ),
        "writeback.internal_mutation_below_threshold" => format!(
            "{kind} changes a system of record at confidence {confidence:.2}, below the tenant's {:.2}: it waits for approval",
            config.min_confidence
        ),
        "writeback.external_human_touch" => {
            format!("{kind} reaches a customer: a person always approves it")
        }
        _ => format!("no write-back policy lets {kind} run on its own: it waits for approval"),
    }
}

/// Routes one proposed action.
pub fn route(kind: ActionKind, confidence: f64, config: &WritebackConfig) -> Routing {
    route_class(kind.class(), kind.as_str(), confidence, config)
}

/// Routes an action of `class` (`kind` names it in the reason).
fn route_class(
    class: ActionClass,
    kind: &str,
    confidence: f64,
    config: &WritebackConfig,
) -> Routing {
    let context = json!({
        "class": class_name(class),
        "confidence_bp": basis_points(confidence),
        "min_confidence_bp": basis_points(config.min_confidence),
        "autonomous_mutations": config.autonomous_mutations,
    });
    // Fail closed: a policy that cannot be evaluated sends the action to a person.
    let judged = policies()
        .ok_or_else(|| "the write-back policies do not parse".to_string())
        .and_then(|set| Ok((set, request(kind, context)?)));
    let (set, request) = match judged {
        Ok(judged) => judged,
        Err(e) => {
            return Routing {
                route: Route::Approval,
                class,
                rule: "writeback.unevaluated".into(),
                reason: format!(
                    "the write-back policy could not be evaluated ({e}): {kind} waits for approval"
                ),
            };
        }
    };
    let response = Authorizer::new().is_authorized(&request, set, &Entities::empty());
    let mut rules: Vec<String> = response
        .diagnostics()
        .reason()
        .filter_map(|id| set.policy(id)?.annotation("id").map(str::to_string))
        .collect();
    // The most fundamental reason first: a tenant that forbids mutations outright says so before
    // the threshold is mentioned.
    rules.sort_by_key(|r| {
        FIRST_REASONS
            .iter()
            .position(|f| f == r)
            .unwrap_or(usize::MAX)
    });
    let route = match response.decision() {
        Decision::Allow => Route::Autonomous,
        Decision::Deny => Route::Approval,
    };
    let rule = rules
        .first()
        .cloned()
        .unwrap_or_else(|| "writeback.default_approval".into());
    let reason = rules
        .iter()
        .map(|r| reason_of(r, kind, confidence, config))
        .collect::<Vec<_>>()
        .join("; ");
    Routing {
        route,
        class,
        reason: if reason.is_empty() {
            reason_of(&rule, kind, confidence, config)
        } else {
            reason
        },
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowing(min: f64) -> WritebackConfig {
        WritebackConfig {
            autonomous_mutations: true,
            min_confidence: min,
        }
    }

    #[test]
    fn internal_non_destructive_runs_alone_at_any_confidence() {
        for kind in [
            ActionKind::CreateTask,
            ActionKind::LogNote,
            ActionKind::AttachBrief,
        ] {
            for confidence in [0.0, 0.5, 1.0] {
                let r = route(kind, confidence, &WritebackConfig::default());
                assert_eq!(r.route, Route::Autonomous, "{kind:?} at {confidence}");
                assert_eq!(r.rule, "writeback.internal_non_destructive");
            }
        }
    }

    #[test]
    fn an_internal_mutation_runs_alone_only_when_allowed_and_at_the_threshold() {
        let kind = ActionKind::UpdateCrmField;
        // Not allowed by the tenant (the default): approval at any confidence.
        for confidence in [0.5, 0.95, 1.0] {
            let r = route(kind, confidence, &WritebackConfig::default());
            assert_eq!(r.route, Route::Approval);
            assert_eq!(r.rule, "writeback.internal_mutation_not_allowed");
        }
        // Allowed: below the threshold waits, at or above it runs.
        let below = route(kind, 0.79, &allowing(0.8));
        assert_eq!(below.route, Route::Approval);
        assert_eq!(below.rule, "writeback.internal_mutation_below_threshold");
        assert!(
            below.reason.contains("0.79, below the tenant's 0.80"),
            "{}",
            below.reason
        );
        let at = route(kind, 0.8, &allowing(0.8));
        assert_eq!(at.route, Route::Autonomous);
        assert_eq!(at.rule, "writeback.internal_mutation");
        assert_eq!(route(kind, 0.99, &allowing(0.8)).route, Route::Autonomous);
    }

    #[test]
    fn anything_a_customer_sees_waits_for_a_person_whatever_the_confidence() {
        for kind in ActionKind::ALL
            .into_iter()
            .filter(|k| k.is_customer_facing())
        {
            for confidence in [0.0, 0.99, 1.0] {
                let r = route(kind, confidence, &allowing(0.0));
                assert_eq!(r.route, Route::Approval, "{kind:?}");
                assert_eq!(r.rule, "writeback.external_human_touch");
            }
        }
    }

    #[test]
    fn clarifications_and_escalations_notify_on_their_own_on_both_sides_of_the_threshold() {
        for confidence in [0.1, 0.95] {
            let r = route_class(
                ActionClass::ClarificationEscalation,
                "notify_owner",
                confidence,
                &allowing(0.9),
            );
            assert_eq!(r.route, Route::Autonomous);
            assert_eq!(r.rule, "writeback.clarification_escalation");
            // A ticket escalation is a hand-off inside the company: it runs alone too.
            assert_eq!(
                route(ActionKind::EscalateTicket, confidence, &allowing(0.9)).route,
                Route::Autonomous
            );
        }
    }

    #[test]
    fn every_kind_gets_a_named_rule_and_the_threshold_is_checked() {
        assert!(policies().is_some(), "the built-in policies parse");
        for kind in ActionKind::ALL {
            let r = route(kind, 0.5, &WritebackConfig::default());
            assert!(r.rule.starts_with("writeback."), "{r:?}");
            assert!(!r.reason.is_empty());
            assert_eq!(r.needs_approval(), r.route == Route::Approval);
        }
        assert!(
            allowing(1.2)
                .check()
                .unwrap_err()
                .starts_with("writeback.min_confidence")
        );
        assert!(WritebackConfig::default().check().is_ok());
    }
}
