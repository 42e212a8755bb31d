//! Decision models: they answer "what should we do next?" in the decision protocol.
//!
//! To add one, create `<name>.rs` implementing [`DecisionModel`] and add it to [`builtin()`];
//! a tenant picks it with `[decision] model = "<name>"`. A model answers in JSON, as a
//! language model would; [`decide_checked`] parses and checks the answer against the protocol
//! and, when it breaks a rule, records why and falls back to the playbook model.

pub mod bedrock;
mod context;
mod playbook;

use async_trait::async_trait;
use revloop_domain::decision::{DecisionMessage, ModelInputRefs, Violation, check_answer};
use serde::{Deserialize, Serialize};

pub use context::{DecisionContext, MEMORY_HITS, ToolDescription, memory_query, recall};
pub use playbook::PlaybookModel;

/// The model every decision falls back to: deterministic, and always available.
pub const FALLBACK_MODEL: &str = "playbooks";

#[derive(Debug, thiserror::Error)]
#[error("decision model {model}: {message}")]
pub struct ModelError {
    pub model: &'static str,
    pub message: String,
}

#[async_trait]
pub trait DecisionModel: Send + Sync {
    fn name(&self) -> &'static str;
    /// The model's answer as it gave it: a JSON object in the decision protocol.
    async fn decide(&self, context: &DecisionContext<'_>) -> Result<serde_json::Value, ModelError>;
}

pub fn builtin() -> Vec<Box<dyn DecisionModel>> {
    vec![Box::new(PlaybookModel::default())]
}

/// The names a tenant's `[decision] model` may take: the registered models and the Bedrock
/// decision agent, which the worker runs in turns.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = builtin().iter().map(|m| m.name()).collect();
    names.push(bedrock::MODEL_NAME);
    names
}

/// An answer a model gave that broke the protocol: what it said, and every rule it broke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedAnswer {
    pub model: String,
    pub answer: serde_json::Value,
    pub violations: Vec<Violation>,
}

/// The answer acted on, the model that gave it, and the refused answer it replaced, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedAnswer {
    pub message: DecisionMessage,
    pub model: &'static str,
    pub refused: Option<RefusedAnswer>,
}

/// Asks the tenant's model (`[decision] model`; the fallback when no model has that name) and
/// checks its answer against what it was shown (the signals, their evidence, the records
/// memory recalled). A broken answer is refused and the playbook model answers instead; if
/// even that breaks the protocol, the decision is NO_ACTION with the reason. Model errors are
/// returned as they are (the activity retries them).
pub async fn decide_checked(
    models: &[Box<dyn DecisionModel>],
    context: &DecisionContext<'_>,
) -> Result<CheckedAnswer, ModelError> {
    let chosen = context.config.decision.model.as_str();
    let refs = &context.input_refs();
    let by_name = |name: &str| models.iter().find(|m| m.name() == name);
    let fallback = by_name(FALLBACK_MODEL).ok_or_else(|| ModelError {
        model: "registry",
        message: format!("the {FALLBACK_MODEL} model is not registered"),
    })?;
    let model = by_name(chosen).unwrap_or(fallback);
    let first = ask(model.as_ref(), context, refs).await?;
    let refused = match first {
        Ok(message) => {
            return Ok(CheckedAnswer {
                message,
                model: model.name(),
                refused: None,
            });
        }
        Err(refused) => refused,
    };
    if model.name() == FALLBACK_MODEL {
        return Ok(no_action(refused));
    }
    match ask(fallback.as_ref(), context, refs).await? {
        Ok(message) => Ok(CheckedAnswer {
            message,
            model: fallback.name(),
            refused: Some(refused),
        }),
        Err(also_refused) => Ok(no_action(RefusedAnswer {
            violations: [refused.violations, also_refused.violations].concat(),
            ..also_refused
        })),
    }
}

async fn ask(
    model: &dyn DecisionModel,
    context: &DecisionContext<'_>,
    refs: &ModelInputRefs,
) -> Result<Result<DecisionMessage, RefusedAnswer>, ModelError> {
    let answer = model.decide(context).await?;
    let refuse = |violations| RefusedAnswer {
        model: model.name().to_string(),
        answer: answer.clone(),
        violations,
    };
    Ok(match DecisionMessage::from_json(&answer) {
        Err(violation) => Err(refuse(vec![violation])),
        Ok(message) => {
            let violations = check_answer(&message, refs);
            if violations.is_empty() {
                Ok(message)
            } else {
                Err(refuse(violations))
            }
        }
    })
}

/// An answer a model already gave (the decision agent's, from its turns), checked as
/// [`decide_checked`] checks a fresh one, with `shown` (the evidence refs its tool results
/// held) added to what it may cite. `Err(reason)`: it gave none (budget, rounds, a malformed
/// turn); the playbooks answer, and the reason is kept as the refused answer.
pub async fn check_given(
    models: &[Box<dyn DecisionModel>],
    context: &DecisionContext<'_>,
    model: &'static str,
    given: Result<serde_json::Value, String>,
    shown: &[String],
) -> Result<CheckedAnswer, ModelError> {
    let fallback = models
        .iter()
        .find(|m| m.name() == FALLBACK_MODEL)
        .ok_or_else(|| ModelError {
            model: "registry",
            message: format!("the {FALLBACK_MODEL} model is not registered"),
        })?;
    let mut refs = context.input_refs();
    refs.evidence_refs.extend(shown.iter().cloned());
    let refused = match given {
        Ok(answer) => {
            let violations = match DecisionMessage::from_json(&answer) {
                Err(violation) => vec![violation],
                Ok(message) => {
                    let violations = check_answer(&message, &refs);
                    if violations.is_empty() {
                        return Ok(CheckedAnswer {
                            message,
                            model,
                            refused: None,
                        });
                    }
                    violations
                }
            };
            RefusedAnswer {
                model: model.to_string(),
                answer,
                violations,
            }
        }
        Err(reason) => RefusedAnswer {
            model: model.to_string(),
            answer: serde_json::json!({ "fallback": reason }),
            violations: vec![Violation {
                path: String::new(),
                rule: format!("no answer: {reason}"),
            }],
        },
    };
    let playbooks_refs = context.input_refs();
    match ask(fallback.as_ref(), context, &playbooks_refs).await? {
        Ok(message) => Ok(CheckedAnswer {
            message,
            model: FALLBACK_MODEL,
            refused: Some(refused),
        }),
        Err(also_refused) => Ok(no_action(RefusedAnswer {
            violations: [refused.violations, also_refused.violations].concat(),
            ..also_refused
        })),
    }
}

fn no_action(refused: RefusedAnswer) -> CheckedAnswer {
    let reasons: Vec<String> = refused.violations.iter().map(|v| v.to_string()).collect();
    CheckedAnswer {
        message: DecisionMessage::NoAction {
            reason: format!(
                "the {} model's answer broke the decision protocol: {}",
                refused.model,
                reasons.join("; ")
            ),
        },
        model: FALLBACK_MODEL,
        refused: Some(refused),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use revloop_domain::decision::MeetingBrief;
    use revloop_domain::world::AccountFacts;
    use revloop_domain::world::memory::Chunk;
    use revloop_store::TenantConfig;
    use serde_json::json;

    use crate::memory::MemoryHit;

    use super::*;

    /// A model that always gives the same answer: a stand-in for a language model that
    /// invents evidence or an action kind.
    struct Canned(serde_json::Value);

    #[async_trait]
    impl DecisionModel for Canned {
        fn name(&self) -> &'static str {
            "canned"
        }
        async fn decide(&self, _: &DecisionContext<'_>) -> Result<serde_json::Value, ModelError> {
            Ok(self.0.clone())
        }
    }

    async fn run_recalling(
        canned: serde_json::Value,
        chosen: &str,
        memory: &[MemoryHit],
    ) -> CheckedAnswer {
        let models: Vec<Box<dyn DecisionModel>> =
            vec![Box::new(PlaybookModel::default()), Box::new(Canned(canned))];
        let now = Utc::now();
        let facts = AccountFacts::of_records("acme", &[], &[], now);
        let brief = MeetingBrief::compute(&facts, &[], now);
        let mut config = TenantConfig::default();
        config.decision.model = chosen.to_string();
        let context = DecisionContext {
            decision_id: "t/decision/acme-1",
            facts: &facts,
            signals: &[],
            brief: &brief,
            brief_artifact_key: "art-1",
            memory,
            tools: &[],
            config: &config,
            now,
        };
        decide_checked(&models, &context).await.unwrap()
    }

    async fn run(canned: serde_json::Value, chosen: &str) -> CheckedAnswer {
        run_recalling(canned, chosen, &[]).await
    }

    #[tokio::test]
    async fn an_answer_with_an_unknown_kind_falls_back_to_the_playbooks_and_is_kept() {
        let invented = json!({"message": "ACTION_PROPOSALS", "proposals": [{
            "proposal_id": "p1", "kind": "wire_money", "class": "internal_non_destructive",
            "rank": 1, "title": "t", "why_now": "w", "confidence": 0.9,
            "evidence_refs": ["rec:x"], "signal_ids": [], "params": {}
        }]});
        let checked = run(invented.clone(), "canned").await;
        assert_eq!(checked.model, "playbooks");
        // The playbooks, given no signals, propose nothing and say why.
        assert_eq!(checked.message.name(), "NO_ACTION");
        let refused = checked.refused.expect("the refused answer is kept");
        assert_eq!(refused.model, "canned");
        assert_eq!(refused.answer, invented);
        assert_eq!(refused.violations[0].path, "proposals[0].kind");
    }

    #[tokio::test]
    async fn invented_evidence_is_refused_and_a_good_answer_is_taken_as_it_is() {
        let invented = json!({"message": "ACTION_PROPOSALS", "proposals": [{
            "proposal_id": "p1", "kind": "create_task", "class": "internal_non_destructive",
            "rank": 1, "title": "t", "why_now": "w", "confidence": 0.9,
            "evidence_refs": ["rec:contract:made-up@00"], "signal_ids": [],
            "params": {"title": "t"}
        }]});
        let refused = run(invented, "canned").await.refused.unwrap();
        assert!(
            refused.violations[0]
                .rule
                .contains("not in the model's input")
        );

        let fine = json!({"message": "NO_ACTION", "reason": "nothing changed"});
        let checked = run(fine, "canned").await;
        assert_eq!((checked.model, checked.refused), ("canned", None));
        // An unknown model name is the playbook model.
        assert_eq!(run(json!({}), "no-such-model").await.model, "playbooks");
    }

    #[tokio::test]
    async fn a_model_may_cite_what_memory_recalled_and_nothing_else() {
        let citing = |evidence: &str| {
            json!({"message": "ACTION_PROPOSALS", "proposals": [{
                "proposal_id": "p1", "kind": "log_note", "class": "internal_non_destructive",
                "rank": 1, "title": "t", "why_now": "the note says so", "confidence": 0.6,
                "evidence_refs": [evidence], "signal_ids": [], "params": {"body": "t"}
            }]})
        };
        let recalled = [MemoryHit {
            chunk: Chunk {
                chunk_id: "note:n1#0".into(),
                account_id: "acme".into(),
                kind: "note".into(),
                text: "Globex is pitching them".into(),
                evidence_ref: "rec:note:n1@0123456789abcdef".into(),
            },
            score: 1.0,
        }];
        let checked =
            run_recalling(citing("rec:note:n1@0123456789abcdef"), "canned", &recalled).await;
        assert_eq!((checked.model, checked.refused), ("canned", None));
        let checked =
            run_recalling(citing("rec:note:n2@0123456789abcdef"), "canned", &recalled).await;
        assert_eq!(
            checked.model, "playbooks",
            "a record memory did not recall is refused"
        );
    }
}
