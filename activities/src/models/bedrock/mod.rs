//! The Bedrock decision agent: Converse with tool use (`aws-sdk-bedrockruntime`).
//!
//! The system prompt names revloop's decision protocol; the account goes in as compact text
//! built from its state, signals and memory. The model may ask for the catalog's read tools
//! (each answered through the ToolGateway by the workflow's `call_tool` activities) and gives
//! its answer through `submit_decision`, whose input schema is the protocol. One call is one
//! turn ([`BedrockModel::converse`]); the DecisionWorkflow runs the turns as activities, so
//! prompts, answers and tool results live in the store and history carries their refs.
//!
//! The SDK's own retries are off: Temporal retries a throttled call (429,
//! `ThrottlingException`) with its backoff, and every other failure falls back to the
//! playbooks.

pub mod conversation;
pub mod document;
mod prompt;

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, SdkError};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock, Tool,
    ToolConfiguration, ToolInputSchema, ToolResultBlock, ToolResultContentBlock, ToolResultStatus,
    ToolSpecification, ToolUseBlock,
};
use revloop_domain::decision::{ActionKind, Proposal};
use serde_json::{Value, json};

use self::conversation::{Block, Conversation, Role, Turn};
use self::document::{to_document, to_json};
use super::{DecisionContext, DecisionModel, ModelError};
use crate::tools::ToolSpec;

pub use prompt::{context_text, system_prompt};

pub const MODEL_NAME: &str = "bedrock";
/// The tool the model answers through.
pub const SUBMIT_DECISION: &str = "submit_decision";
/// The most tool uses one turn may ask for; more are answered with a refusal.
pub const MAX_TOOL_USES_PER_TURN: usize = 8;

/// What one Converse call came back with.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnReply {
    pub turn: Turn,
    pub stop_reason: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConverseError {
    /// Throttled (429, `ThrottlingException`) or briefly unavailable: retry later.
    #[error("bedrock throttled the call: {0}")]
    Throttled(String),
    /// Anything else (a refused request, a model that is not enabled): fall back.
    #[error("bedrock refused the call: {0}")]
    Failed(String),
}

/// What the model's turn asks for next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// The answer, as `submit_decision` input.
    Submit(Value),
    /// Tool uses to answer first: `(tool_use_id, tool)`.
    UseTools(Vec<(String, String)>),
    /// Neither: the reason.
    Malformed(String),
}

#[derive(Clone)]
pub struct BedrockModel {
    client: Client,
}

impl BedrockModel {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// One Converse call: the conversation, the read tools and `submit_decision`.
    pub async fn converse(
        &self,
        model_id: &str,
        conversation: &Conversation,
        tools: &[ToolSpec],
        max_output_tokens: u32,
    ) -> Result<TurnReply, ConverseError> {
        let mut specs: Vec<Tool> = Vec::new();
        for (name, description, schema) in tools
            .iter()
            .map(|t| {
                (
                    t.name.to_string(),
                    t.description.to_string(),
                    t.parameters.clone(),
                )
            })
            .chain(std::iter::once(submit_decision()))
        {
            let spec = ToolSpecification::builder()
                .name(name)
                .description(description)
                .input_schema(ToolInputSchema::Json(to_document(&schema)))
                .build()
                .map_err(|e| ConverseError::Failed(e.to_string()))?;
            specs.push(Tool::ToolSpec(spec));
        }
        let tool_config = ToolConfiguration::builder()
            .set_tools(Some(specs))
            .build()
            .map_err(|e| ConverseError::Failed(e.to_string()))?;
        let messages = conversation
            .turns
            .iter()
            .map(to_message)
            .collect::<Result<Vec<_>, _>>()?;
        let sent = self
            .client
            .converse()
            .model_id(model_id)
            .system(SystemContentBlock::Text(conversation.system.clone()))
            .set_messages(Some(messages))
            .tool_config(tool_config)
            .inference_config(
                InferenceConfiguration::builder()
                    .max_tokens(max_output_tokens as i32)
                    .temperature(0.0)
                    .build(),
            )
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e) => {
                let throttled = match &e {
                    SdkError::ServiceError(s) => {
                        let err = s.err();
                        s.raw().status().as_u16() == 429
                            || err.is_throttling_exception()
                            || err.is_service_unavailable_exception()
                            || err.is_model_timeout_exception()
                    }
                    SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
                    _ => false,
                };
                let message = DisplayErrorContext(&e).to_string();
                return Err(if throttled {
                    ConverseError::Throttled(message)
                } else {
                    ConverseError::Failed(message)
                });
            }
        };
        let usage = out.usage();
        let message = out.output().and_then(|o| o.as_message().ok());
        let blocks = message
            .map(|m| m.content().iter().filter_map(from_block).collect())
            .unwrap_or_default();
        Ok(TurnReply {
            turn: Turn {
                role: Role::Assistant,
                blocks,
            },
            stop_reason: out.stop_reason().as_str().to_string(),
            input_tokens: usage.map_or(0, |u| u.input_tokens().max(0) as u64),
            output_tokens: usage.map_or(0, |u| u.output_tokens().max(0) as u64),
        })
    }
}

fn to_message(turn: &Turn) -> Result<Message, ConverseError> {
    let role = match turn.role {
        Role::User => ConversationRole::User,
        Role::Assistant => ConversationRole::Assistant,
    };
    let mut content = Vec::new();
    for block in &turn.blocks {
        content.push(match block {
            Block::Text { text } => ContentBlock::Text(text.clone()),
            Block::ToolUse { id, name, input } => ContentBlock::ToolUse(
                ToolUseBlock::builder()
                    .tool_use_id(id)
                    .name(name)
                    .input(to_document(input))
                    .build()
                    .map_err(|e| ConverseError::Failed(e.to_string()))?,
            ),
            Block::ToolResult {
                id,
                content,
                is_error,
            } => ContentBlock::ToolResult(
                ToolResultBlock::builder()
                    .tool_use_id(id)
                    .content(ToolResultContentBlock::Json(to_document(content)))
                    .status(if *is_error {
                        ToolResultStatus::Error
                    } else {
                        ToolResultStatus::Success
                    })
                    .build()
                    .map_err(|e| ConverseError::Failed(e.to_string()))?,
            ),
        });
    }
    Message::builder()
        .role(role)
        .set_content(Some(content))
        .build()
        .map_err(|e| ConverseError::Failed(e.to_string()))
}

fn from_block(block: &ContentBlock) -> Option<Block> {
    match block {
        ContentBlock::Text(text) => Some(Block::Text { text: text.clone() }),
        ContentBlock::ToolUse(u) => Some(Block::ToolUse {
            id: u.tool_use_id().to_string(),
            name: u.name().to_string(),
            input: to_json(u.input()),
        }),
        _ => None,
    }
}

/// What the turn asks for: the `submit_decision` input wins; otherwise the tool uses (at most
/// [`MAX_TOOL_USES_PER_TURN`], the rest answered as refused); otherwise it is malformed.
pub fn next(reply: &TurnReply) -> Next {
    let uses: Vec<(&str, &str, &Value)> = reply
        .turn
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
        .collect();
    if let Some((_, _, input)) = uses.iter().find(|(_, name, _)| *name == SUBMIT_DECISION) {
        return Next::Submit((*input).clone());
    }
    if uses.is_empty() {
        let said: String = reply
            .turn
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ");
        return Next::Malformed(format!(
            "the model stopped ({}) without calling {SUBMIT_DECISION}: {:.200}",
            reply.stop_reason, said
        ));
    }
    Next::UseTools(
        uses.iter()
            .map(|(id, name, _)| (id.to_string(), name.to_string()))
            .collect(),
    )
}

/// The `submit_decision` tool: its input schema is the decision protocol, less what revloop
/// fills in itself (proposal ids, classes, the proposing model).
fn submit_decision() -> (String, String, Value) {
    let kinds: Vec<&str> = ActionKind::ALL.iter().map(|k| k.as_str()).collect();
    let schema = json!({
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"enum": ["ACTION_PROPOSALS", "CLARIFICATION_REQUEST", "NO_ACTION"]},
            "proposals": {"type": "array", "maxItems": 10, "items": {
                "type": "object",
                "required": ["kind", "title", "why_now", "confidence", "evidence_refs", "params"],
                "properties": {
                    "kind": {"enum": kinds},
                    "rank": {"type": "integer", "minimum": 1},
                    "title": {"type": "string"},
                    "why_now": {"type": "string"},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "evidence_refs": {"type": "array", "items": {"type": "string"}},
                    "signal_ids": {"type": "array", "items": {"type": "string"}},
                    "params": {"type": "object"}
                }
            }},
            "questions": {"type": "array", "items": {
                "type": "object",
                "required": ["entity", "field", "question"],
                "properties": {
                    "entity": {"type": "string"},
                    "field": {"type": "string"},
                    "question": {"type": "string"},
                    "options": {"type": "array"}
                }
            }},
            "reason": {"type": "string"}
        }
    });
    (
        SUBMIT_DECISION.into(),
        "Submit your decision in revloop's protocol: ACTION_PROPOSALS with the proposals (each citing the evidence_refs it rests on, only refs you were shown), CLARIFICATION_REQUEST with the questions a person must answer first, or NO_ACTION with the reason. Call it exactly once, as your last step.".into(),
        schema,
    )
}

/// The `submit_decision` input as a protocol answer: proposal ids derive from the decision and
/// the proposal's place, so a retried decision proposes the same ids. What does not parse is
/// left for the protocol check to refuse, naming the field.
pub fn to_protocol(decision_id: &str, submitted: &Value) -> Value {
    let mut answer = submitted.clone();
    // `get_mut`, not indexing: indexing a missing key would add `"proposals": null`, which a
    // NO_ACTION must not carry.
    if let Some(proposals) = answer.get_mut("proposals").and_then(Value::as_array_mut) {
        let mut seen = HashSet::new();
        for (i, p) in proposals.iter_mut().enumerate() {
            let Some(kind) = p["kind"].as_str().and_then(ActionKind::parse) else {
                continue;
            };
            let mut key = format!("{MODEL_NAME}:{i}");
            while !seen.insert(key.clone()) {
                key.push('+');
            }
            p["proposal_id"] = json!(Proposal::derive_keyed_id(decision_id, kind, &key));
            p["class"] = serde_json::to_value(kind.class()).unwrap_or(Value::Null);
            p["playbook"] = json!(MODEL_NAME);
            if p.get("rank").is_none() {
                p["rank"] = json!(i + 1);
            }
            if p.get("signal_ids").is_none() {
                p["signal_ids"] = json!([]);
            }
        }
    }
    answer
}

/// One-shot use through the [`DecisionModel`] trait (the "what next?" question): a single turn
/// with `submit_decision` only. Decisions in a DecisionWorkflow run the multi-turn agent.
#[async_trait]
impl DecisionModel for BedrockModel {
    fn name(&self) -> &'static str {
        MODEL_NAME
    }

    async fn decide(&self, context: &DecisionContext<'_>) -> Result<Value, ModelError> {
        let settings = &context.config.decision.bedrock;
        let conversation = Conversation {
            system: system_prompt(),
            turns: vec![Turn {
                role: Role::User,
                blocks: vec![Block::Text {
                    text: context_text(context),
                }],
            }],
        };
        let reply = match self
            .converse(
                &settings.model_id,
                &conversation,
                &[],
                settings.max_output_tokens,
            )
            .await
        {
            Ok(reply) => reply,
            // Throttled: the activity retries.
            Err(e @ ConverseError::Throttled(_)) => {
                return Err(ModelError {
                    model: MODEL_NAME,
                    message: e.to_string(),
                });
            }
            // Anything else would fail every retry the same way: not an answer, so the
            // protocol check refuses it and the playbooks answer, saying why.
            Err(e @ ConverseError::Failed(_)) => {
                return Ok(json!({ "message": "MODEL_ERROR", "error": e.to_string() }));
            }
        };
        Ok(match next(&reply) {
            Next::Submit(answer) => to_protocol(context.decision_id, &answer),
            // Not an answer: the protocol check refuses it and the playbooks answer.
            _ => json!({ "message": "MALFORMED", "stop_reason": reply.stop_reason }),
        })
    }
}

/// A Bedrock runtime client from the standard AWS chain (environment, profile, pod role), at
/// `endpoint` when given (a VPC endpoint, a local server), with the SDK's retries off:
/// Temporal retries a throttled turn with its own backoff, visibly.
pub async fn client(endpoint: Option<&str>) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let mut config = aws_sdk_bedrockruntime::config::Builder::from(&shared);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    Client::from_conf(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(blocks: Vec<Block>) -> TurnReply {
        TurnReply {
            turn: Turn {
                role: Role::Assistant,
                blocks,
            },
            stop_reason: "tool_use".into(),
            input_tokens: 10,
            output_tokens: 5,
        }
    }

    #[test]
    fn submit_wins_tools_come_next_and_text_alone_is_malformed() {
        let submit = reply(vec![
            Block::ToolUse {
                id: "t1".into(),
                name: "account_get_state".into(),
                input: json!({}),
            },
            Block::ToolUse {
                id: "t2".into(),
                name: SUBMIT_DECISION.into(),
                input: json!({"message": "NO_ACTION", "reason": "quiet"}),
            },
        ]);
        assert_eq!(
            next(&submit),
            Next::Submit(json!({"message": "NO_ACTION", "reason": "quiet"}))
        );
        let tools = reply(vec![Block::ToolUse {
            id: "t1".into(),
            name: "account_get_state".into(),
            input: json!({"account_id": "acme"}),
        }]);
        assert_eq!(
            next(&tools),
            Next::UseTools(vec![("t1".into(), "account_get_state".into())])
        );
        let text = reply(vec![Block::Text {
            text: "I think you should call them".into(),
        }]);
        assert!(matches!(next(&text), Next::Malformed(m) if m.contains("without calling")));
    }

    #[test]
    fn submitted_proposals_get_ids_from_the_decision_and_their_place() {
        let submitted = json!({"message": "ACTION_PROPOSALS", "proposals": [
            {"kind": "create_task", "title": "a", "why_now": "b", "confidence": 0.8, "evidence_refs": ["rec:x"], "params": {"title": "a"}},
            {"kind": "create_task", "title": "c", "why_now": "d", "confidence": 0.7, "evidence_refs": ["rec:x"], "params": {"title": "c"}}
        ]});
        let answer = to_protocol("t/decision/1", &submitted);
        let (a, b) = (&answer["proposals"][0], &answer["proposals"][1]);
        assert_ne!(a["proposal_id"], b["proposal_id"]);
        assert_eq!(to_protocol("t/decision/1", &submitted), answer, "stable");
        assert_eq!(a["playbook"], "bedrock");
        assert_eq!(b["rank"], 2);
        let parsed = revloop_domain::decision::DecisionMessage::from_json(&answer).unwrap();
        assert_eq!(parsed.proposals().len(), 2);
        let quiet = json!({"message": "NO_ACTION", "reason": "nothing changed"});
        assert_eq!(to_protocol("t/decision/1", &quiet), quiet, "nothing added");
    }
}
