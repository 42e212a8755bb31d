//! The decision protocol (DESIGN §6.4): every decision model answers with one of these, and
//! [`check_answer`] refuses an answer that breaks the protocol before anything acts on it. A
//! model's answer is data from outside revloop's control (a language model's output, in time):
//! it is parsed from JSON with [`DecisionMessage::from_json`], which names what is wrong.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::proposal::Proposal;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "message",
    rename_all = "SCREAMING_SNAKE_CASE",
    deny_unknown_fields
)]
pub enum DecisionMessage {
    ActionProposals {
        proposals: Vec<Proposal>,
    },
    /// The model needs data first: each call goes through the governed tool catalog.
    DataRequest {
        tool_calls: Vec<ToolCall>,
    },
    /// The model cannot decide without a person's answer: one question per uncertain field.
    ClarificationRequest {
        questions: Vec<Question>,
    },
    ApprovalRequest {
        proposal: Box<Proposal>,
    },
    NoAction {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    pub tool: String,
    #[serde(default)]
    pub args: Value,
}

/// A question about one field of one entity, with the competing values as options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// `contract:c-1`, `account:acme`, … (`type:id`).
    pub entity: String,
    pub field: String,
    pub question: String,
    #[serde(default)]
    pub options: Vec<QuestionOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionOption {
    pub value: Value,
    /// The source system that claims it, and the evidence ref of its claim.
    pub source: String,
    #[serde(default)]
    pub evidence_ref: Option<String>,
}

impl DecisionMessage {
    pub fn proposals(&self) -> &[Proposal] {
        match self {
            DecisionMessage::ActionProposals { proposals } => proposals,
            DecisionMessage::ApprovalRequest { proposal } => std::slice::from_ref(proposal),
            _ => &[],
        }
    }

    /// The protocol name (`ACTION_PROPOSALS`, `NO_ACTION`, …).
    pub fn name(&self) -> &'static str {
        match self {
            DecisionMessage::ActionProposals { .. } => "ACTION_PROPOSALS",
            DecisionMessage::DataRequest { .. } => "DATA_REQUEST",
            DecisionMessage::ClarificationRequest { .. } => "CLARIFICATION_REQUEST",
            DecisionMessage::ApprovalRequest { .. } => "APPROVAL_REQUEST",
            DecisionMessage::NoAction { .. } => "NO_ACTION",
        }
    }

    /// Parses a model's JSON answer; the error names the path and what is wrong there (an
    /// unknown action kind, a missing field, an unknown message).
    pub fn from_json(value: &Value) -> Result<Self, Violation> {
        const NAMES: &str =
            "ACTION_PROPOSALS, DATA_REQUEST, CLARIFICATION_REQUEST, APPROVAL_REQUEST, NO_ACTION";
        let Value::Object(fields) = value else {
            return Err(violation("", "an answer is a JSON object"));
        };
        let tag = fields
            .get("message")
            .and_then(Value::as_str)
            .ok_or_else(|| violation("message", &format!("required: one of {NAMES}")))?;
        let mut body = fields.clone();
        body.remove("message");
        let body = Value::Object(body);
        // Each variant's fields are parsed on their own, so an error keeps its path (a tagged
        // enum would buffer them and lose it).
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Proposals {
            proposals: Vec<Proposal>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Calls {
            tool_calls: Vec<ToolCall>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Questions {
            questions: Vec<Question>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct One {
            proposal: Box<Proposal>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Reason {
            reason: String,
        }
        Ok(match tag {
            "ACTION_PROPOSALS" => Self::ActionProposals {
                proposals: parse::<Proposals>(body)?.proposals,
            },
            "DATA_REQUEST" => Self::DataRequest {
                tool_calls: parse::<Calls>(body)?.tool_calls,
            },
            "CLARIFICATION_REQUEST" => Self::ClarificationRequest {
                questions: parse::<Questions>(body)?.questions,
            },
            "APPROVAL_REQUEST" => Self::ApprovalRequest {
                proposal: parse::<One>(body)?.proposal,
            },
            "NO_ACTION" => Self::NoAction {
                reason: parse::<Reason>(body)?.reason,
            },
            other => {
                return Err(violation(
                    "message",
                    &format!("{other:?} is not a protocol message; one of {NAMES}"),
                ));
            }
        })
    }
}

fn violation(path: &str, rule: &str) -> Violation {
    Violation {
        path: path.to_string(),
        rule: rule.to_string(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Violation> {
    serde_path_to_error::deserialize(body).map_err(|e| Violation {
        path: e.path().to_string(),
        rule: format!("not the decision protocol: {}", e.inner()),
    })
}

/// One way an answer breaks the protocol: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct Violation {
    pub path: String,
    pub rule: String,
}

/// What the model was shown: the only evidence and signals an answer may cite.
#[derive(Debug, Clone, Default)]
pub struct ModelInputRefs {
    pub evidence_refs: BTreeSet<String>,
    pub signal_ids: BTreeSet<String>,
}

impl ModelInputRefs {
    /// The signals a model was given, and the evidence they cite.
    pub fn from_signals(signals: &[crate::signals::Signal]) -> Self {
        Self {
            evidence_refs: signals
                .iter()
                .flat_map(|s| s.evidence_refs.iter().cloned())
                .collect(),
            signal_ids: signals.iter().map(|s| s.signal_id.clone()).collect(),
        }
    }
}

/// Every protocol rule an answer breaks (none: it may be acted on). Proposals must cite at
/// least one evidence ref, all of them from the model's input, give a why-now, a confidence
/// in (0, 1], a class that is their kind's, distinct ranks from 1, and the params their kind
/// requires within its limits; questions must name an entity, a field and a question.
pub fn check_answer(message: &DecisionMessage, input: &ModelInputRefs) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut at = |path: String, rule: String| violations.push(Violation { path, rule });
    let mut ranks: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, p) in message.proposals().iter().enumerate() {
        let path = format!("proposals[{i}]");
        if p.proposal_id.trim().is_empty() {
            at(format!("{path}.proposal_id"), "required".into());
        }
        if p.title.trim().is_empty() {
            at(format!("{path}.title"), "required".into());
        }
        if p.why_now.trim().is_empty() {
            at(format!("{path}.why_now"), "a proposal says why now".into());
        }
        if !(p.confidence > 0.0 && p.confidence <= 1.0) {
            at(
                format!("{path}.confidence"),
                format!("{} is outside (0, 1]", p.confidence),
            );
        }
        if p.class != p.kind.class() {
            at(
                format!("{path}.class"),
                format!(
                    "{:?} is not the class of {} ({:?})",
                    p.class,
                    p.kind.as_str(),
                    p.kind.class()
                ),
            );
        }
        if p.rank == 0 {
            at(format!("{path}.rank"), "ranks start at 1".into());
        } else if let Some(first) = ranks.insert(p.rank, i) {
            at(
                format!("{path}.rank"),
                format!("rank {} is also proposals[{first}]'s", p.rank),
            );
        }
        if p.evidence_refs.is_empty() {
            at(
                format!("{path}.evidence_refs"),
                "a proposal cites at least one evidence ref".into(),
            );
        }
        for r in &p.evidence_refs {
            if !input.evidence_refs.contains(r) {
                at(
                    format!("{path}.evidence_refs"),
                    format!("{r:?} is not in the model's input"),
                );
            }
        }
        for s in &p.signal_ids {
            if !input.signal_ids.contains(s) {
                at(
                    format!("{path}.signal_ids"),
                    format!("{s:?} is not a signal the model was given"),
                );
            }
        }
        for param in p.kind.required_params() {
            let present = p.params.get(param).is_some_and(|v| match v {
                Value::String(s) => !s.trim().is_empty(),
                Value::Null => false,
                _ => true,
            });
            if !present {
                at(
                    format!("{path}.params.{param}"),
                    format!("required by {}", p.kind.as_str()),
                );
            }
        }
        if let Some(params) = p.params.as_object() {
            for (name, value) in params {
                if let Some(text) = value.as_str()
                    && let Err(rule) = super::check_param(name, text)
                {
                    at(format!("{path}.params.{name}"), rule);
                }
            }
        }
    }
    if let Err(rule) = super::plan::check_plan_steps(message.proposals()) {
        at("proposals[].plan".into(), rule);
    }
    match message {
        DecisionMessage::ClarificationRequest { questions } => {
            if questions.is_empty() {
                at("questions".into(), "at least one question".into());
            }
            for (i, q) in questions.iter().enumerate() {
                for (field, value) in [
                    ("entity", &q.entity),
                    ("field", &q.field),
                    ("question", &q.question),
                ] {
                    if value.trim().is_empty() {
                        at(format!("questions[{i}].{field}"), "required".into());
                    }
                }
            }
        }
        DecisionMessage::DataRequest { tool_calls } => {
            if tool_calls.is_empty() {
                at("tool_calls".into(), "at least one tool call".into());
            }
            for (i, call) in tool_calls.iter().enumerate() {
                if call.tool.trim().is_empty() {
                    at(format!("tool_calls[{i}].tool"), "required".into());
                }
            }
        }
        DecisionMessage::NoAction { reason } if reason.trim().is_empty() => {
            at("reason".into(), "NO_ACTION says why".into());
        }
        _ => {}
    }
    violations
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::decision::ActionKind;

    fn proposal(rank: u32) -> Proposal {
        Proposal {
            proposal_id: format!("p{rank}"),
            kind: ActionKind::CreateTask,
            class: ActionKind::CreateTask.class(),
            rank,
            title: "Plan the renewal".into(),
            why_now: "the contract ends in 60 days".into(),
            confidence: 0.8,
            evidence_refs: vec!["rec:contract:c1@abc".into()],
            signal_ids: vec!["sig-1".into()],
            params: json!({"title": "Plan the renewal"}),
            playbook: "renewal_plan".into(),
            plan: None,
        }
    }

    fn input() -> ModelInputRefs {
        ModelInputRefs {
            evidence_refs: ["rec:contract:c1@abc".to_string()].into(),
            signal_ids: ["sig-1".to_string()].into(),
        }
    }

    fn rules(message: &DecisionMessage) -> Vec<String> {
        check_answer(message, &input())
            .into_iter()
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn a_well_formed_answer_passes() {
        let answer = DecisionMessage::ActionProposals {
            proposals: vec![proposal(1), proposal(2)],
        };
        assert_eq!(rules(&answer), Vec::<String>::new());
    }

    #[test]
    fn each_broken_rule_is_named_with_its_path() {
        let mut bad = proposal(1);
        bad.why_now = " ".into();
        bad.confidence = 1.5;
        bad.evidence_refs = vec!["rec:contract:invented@000".into()];
        bad.signal_ids = vec!["sig-made-up".into()];
        bad.class = ActionKind::SendEmail.class();
        bad.params = json!({});
        let answer = DecisionMessage::ActionProposals {
            proposals: vec![bad, proposal(1)],
        };
        let found = rules(&answer);
        for expected in [
            "proposals[0].why_now: a proposal says why now",
            "proposals[0].confidence: 1.5 is outside (0, 1]",
            "proposals[0].evidence_refs: \"rec:contract:invented@000\" is not in the model's input",
            "proposals[0].signal_ids: \"sig-made-up\" is not a signal the model was given",
            "proposals[0].params.title: required by create_task",
            "proposals[1].rank: rank 1 is also proposals[0]'s",
        ] {
            assert!(
                found.iter().any(|f| f == expected),
                "{expected} in {found:#?}"
            );
        }
        assert!(
            found.iter().any(|f| f.starts_with("proposals[0].class:")),
            "{found:#?}"
        );
    }

    #[test]
    fn zero_confidence_and_uncited_proposals_are_refused() {
        let mut p = proposal(1);
        p.confidence = 0.0;
        p.evidence_refs.clear();
        let found = rules(&DecisionMessage::ActionProposals { proposals: vec![p] });
        assert!(found.contains(&"proposals[0].confidence: 0 is outside (0, 1]".to_string()));
        assert!(found.contains(
            &"proposals[0].evidence_refs: a proposal cites at least one evidence ref".to_string()
        ));
    }

    #[test]
    fn unknown_kinds_and_messages_are_refused_when_parsed() {
        let mut p = serde_json::to_value(proposal(1)).unwrap();
        p["kind"] = json!("wire_money");
        let err =
            DecisionMessage::from_json(&json!({"message": "ACTION_PROPOSALS", "proposals": [p]}))
                .unwrap_err();
        assert_eq!(err.path, "proposals[0].kind");
        assert!(err.rule.contains("wire_money"), "{err}");
        let err = DecisionMessage::from_json(&json!({"message": "DO_SOMETHING"})).unwrap_err();
        assert!(err.rule.contains("DO_SOMETHING"), "{err}");
    }

    #[test]
    fn questions_and_tool_calls_are_typed() {
        let answer = DecisionMessage::from_json(&json!({
            "message": "CLARIFICATION_REQUEST",
            "questions": [{
                "entity": "contract:c1", "field": "end_date",
                "question": "Which renewal date is right?",
                "options": [
                    {"value": "2027-01-31", "source": "salesforce"},
                    {"value": "2027-03-31", "source": "billing", "evidence_ref": "rec:contract:c1@abc"}
                ]
            }]
        }))
        .unwrap();
        assert_eq!(answer.name(), "CLARIFICATION_REQUEST");
        assert!(rules(&answer).is_empty());
        let empty = DecisionMessage::ClarificationRequest { questions: vec![] };
        assert_eq!(
            rules(&empty),
            vec!["questions: at least one question".to_string()]
        );
        let calls = DecisionMessage::from_json(&json!({
            "message": "DATA_REQUEST",
            "tool_calls": [{"tool": "support_get_risk_summary", "args": {"account_id": "acme"}}]
        }))
        .unwrap();
        assert!(rules(&calls).is_empty());
        assert!(
            DecisionMessage::from_json(
                &json!({"message": "DATA_REQUEST", "tool_calls": [{"name": "x"}]})
            )
            .is_err()
        );
    }
}
