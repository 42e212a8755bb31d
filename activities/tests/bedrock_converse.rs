//! The Bedrock decision model with the real SDK against a local server that speaks Converse
//! (`POST /model/{modelId}/converse`, SigV4-signed JSON). The server checks what the SDK sends
//! (the tool specs with `submit_decision`, the tool results of the turn before, the signature)
//! and answers from a script: tool uses, a decision, text without one, a 429.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use revloop_activities::models::bedrock::conversation::{Block, Conversation, Role, Turn};
use revloop_activities::models::bedrock::{BedrockModel, ConverseError, Next, next, to_protocol};
use revloop_activities::tools::{Access, ToolSpec, builtin};
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-test";

#[derive(Default)]
struct Script {
    /// Answers, in order; each is (status, body).
    replies: Vec<(u16, Value)>,
    /// Every request body received.
    seen: Vec<Value>,
}

async fn converse(
    State(script): State<Arc<Mutex<Script>>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signed = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut script = script.lock().unwrap();
    script.seen.push(request);
    if !signed || model != MODEL {
        return (StatusCode::FORBIDDEN, "unsigned or unknown model").into_response();
    }
    let (status, reply) = if script.replies.is_empty() {
        (500, json!({"message": "script ran out"}))
    } else {
        script.replies.remove(0)
    };
    let kind = if status == 429 {
        "ThrottlingException"
    } else {
        "InternalServerException"
    };
    (
        StatusCode::from_u16(status).unwrap(),
        [
            ("content-type", "application/json"),
            ("x-amzn-errortype", kind),
        ],
        reply.to_string(),
    )
        .into_response()
}

async fn local(replies: Vec<(u16, Value)>) -> (SocketAddr, Arc<Mutex<Script>>) {
    let script = Arc::new(Mutex::new(Script {
        replies,
        seen: Vec::new(),
    }));
    let app = Router::new()
        .route("/model/{model}/converse", post(converse))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, script)
}

fn model(addr: SocketAddr) -> BedrockModel {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("http://{addr}"))
        .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
        .build();
    BedrockModel::new(aws_sdk_bedrockruntime::Client::from_conf(config))
}

fn reads() -> Vec<ToolSpec> {
    builtin()
        .iter()
        .map(|t| t.spec())
        .filter(|s| s.access == Access::Read)
        .collect()
}

fn assistant(content: Value, stop: &str) -> (u16, Value) {
    (
        200,
        json!({
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": {"inputTokens": 120, "outputTokens": 30, "totalTokens": 150},
            "metrics": {"latencyMs": 5}
        }),
    )
}

fn start() -> Conversation {
    Conversation {
        system: revloop_activities::models::bedrock::system_prompt(),
        turns: vec![Turn {
            role: Role::User,
            blocks: vec![Block::Text {
                text: "Account acme. Signals: sig-1 usage drop, evidence_refs [rec:usage:u1@aa]"
                    .into(),
            }],
        }],
    }
}

#[tokio::test]
async fn two_tool_rounds_then_a_decision_with_the_tool_results_sent_back() {
    let (addr, script) = local(vec![
        assistant(
            json!([{"toolUse": {"toolUseId": "t1", "name": "account_get_state", "input": {"account_id": "acme"}}}]),
            "tool_use",
        ),
        assistant(
            json!([{"toolUse": {"toolUseId": "t2", "name": "memory_search", "input": {"account_id": "acme", "query": "usage"}}}]),
            "tool_use",
        ),
        assistant(
            json!([{"toolUse": {"toolUseId": "t3", "name": "submit_decision", "input": {
                "message": "ACTION_PROPOSALS",
                "proposals": [{"kind": "create_task", "title": "Review usage", "why_now": "Usage fell.",
                               "confidence": 0.8, "evidence_refs": ["rec:usage:u1@aa"], "params": {"title": "Review usage"}}]
            }}}]),
            "tool_use",
        ),
    ])
    .await;
    let model = model(addr);
    let mut conversation = start();
    let tools = reads();
    for (round, tool_use) in [(1, "t1"), (2, "t2")] {
        let reply = model
            .converse(MODEL, &conversation, &tools, 1024)
            .await
            .unwrap();
        assert_eq!((reply.input_tokens, reply.output_tokens), (120, 30));
        let Next::UseTools(uses) = next(&reply) else {
            panic!("round {round}: {reply:?}");
        };
        assert_eq!(uses[0].0, tool_use);
        conversation.turns.push(reply.turn);
        conversation.turns.push(Turn {
            role: Role::User,
            blocks: vec![Block::ToolResult {
                id: tool_use.into(),
                content: json!({"result": {"round": round, "evidence_ref": "rec:note:n1@bb"}}),
                is_error: false,
            }],
        });
    }
    let reply = model
        .converse(MODEL, &conversation, &tools, 1024)
        .await
        .unwrap();
    let Next::Submit(answer) = next(&reply) else {
        panic!("{reply:?}");
    };
    let protocol = to_protocol("t/decision/1", &answer);
    let message = revloop_domain::decision::DecisionMessage::from_json(&protocol).unwrap();
    assert_eq!(message.proposals()[0].evidence_refs, ["rec:usage:u1@aa"]);
    conversation.turns.push(reply.turn);
    assert_eq!(conversation.refs_shown(), ["rec:note:n1@bb"]);

    let seen = &script.lock().unwrap().seen;
    assert_eq!(seen.len(), 3);
    let names: Vec<&str> = seen[0]["toolConfig"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["toolSpec"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"submit_decision") && names.contains(&"account_get_state"));
    assert!(
        !names.contains(&"crm_write_update"),
        "only read tools: {names:?}"
    );
    assert_eq!(
        seen[0]["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"],
        json!(["account_id"])
    );
    assert!(
        seen[0]["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("ACTION_PROPOSALS")
    );
    let sent_back = &seen[2]["messages"][4]["content"][0]["toolResult"];
    assert_eq!(sent_back["toolUseId"], "t2");
    assert_eq!(sent_back["content"][0]["json"]["result"]["round"], 2);
    assert_eq!(seen[2]["inferenceConfig"]["maxTokens"], 1024);
}

#[tokio::test]
async fn a_429_is_throttled_for_temporal_to_retry_and_the_next_call_succeeds() {
    let (addr, script) = local(vec![
        (429, json!({"message": "Too many requests, please wait before trying again."})),
        assistant(
            json!([{"toolUse": {"toolUseId": "t1", "name": "submit_decision", "input": {"message": "NO_ACTION", "reason": "quiet"}}}]),
            "tool_use",
        ),
    ])
    .await;
    let model = model(addr);
    let first = model.converse(MODEL, &start(), &[], 256).await.unwrap_err();
    assert!(matches!(first, ConverseError::Throttled(_)), "{first}");
    assert_eq!(
        script.lock().unwrap().seen.len(),
        1,
        "the SDK did not retry on its own"
    );
    let second = model.converse(MODEL, &start(), &[], 256).await.unwrap();
    assert_eq!(
        next(&second),
        Next::Submit(json!({"message": "NO_ACTION", "reason": "quiet"}))
    );
}

#[tokio::test]
async fn text_without_a_decision_is_malformed_and_a_server_error_fails_the_call() {
    let (addr, _) = local(vec![
        assistant(json!([{"text": "You should call them soon."}]), "end_turn"),
        (
            400,
            json!({"message": "The provided model identifier is invalid."}),
        ),
    ])
    .await;
    let model = model(addr);
    let reply = model
        .converse(MODEL, &start(), &reads(), 256)
        .await
        .unwrap();
    assert!(
        matches!(next(&reply), Next::Malformed(m) if m.contains("end_turn")),
        "{reply:?}"
    );
    let failed = model.converse(MODEL, &start(), &[], 256).await.unwrap_err();
    assert!(matches!(failed, ConverseError::Failed(_)), "{failed}");
}

#[test]
fn an_evidence_ref_the_model_was_not_shown_breaks_the_protocol() {
    use revloop_domain::decision::{DecisionMessage, ModelInputRefs, check_answer};
    let submitted = json!({"message": "ACTION_PROPOSALS", "proposals": [
        {"kind": "create_task", "title": "t", "why_now": "w", "confidence": 0.7,
         "evidence_refs": ["rec:invented:x@00"], "params": {"title": "t"}}]});
    let message = DecisionMessage::from_json(&to_protocol("t/decision/1", &submitted)).unwrap();
    let mut shown = ModelInputRefs::default();
    shown.evidence_refs.insert("rec:note:n1@bb".into());
    let violations = check_answer(&message, &shown);
    assert!(
        violations
            .iter()
            .any(|v| v.to_string().contains("rec:invented:x@00")),
        "{violations:?}"
    );
}

#[tokio::test]
async fn asked_in_one_step_it_answers_the_protocol_or_a_refusable_model_error() {
    use revloop_activities::models::{DecisionContext, DecisionModel};
    let (addr, script) = local(vec![
        assistant(
            json!([{"toolUse": {"toolUseId": "t1", "name": "submit_decision", "input": {"message": "NO_ACTION", "reason": "nothing changed"}}}]),
            "tool_use",
        ),
        (400, json!({"message": "The provided model identifier is invalid."})),
    ])
    .await;
    let model = model(addr);
    let now = chrono::Utc::now();
    let facts = revloop_domain::world::AccountFacts::of_records("acme", &[], &[], now);
    let brief = revloop_domain::decision::MeetingBrief::compute(&facts, &[], now);
    let mut config = revloop_store::TenantConfig::default();
    config.decision.model = "bedrock".into();
    config.decision.bedrock.model_id = MODEL.into();
    let context = DecisionContext {
        decision_id: "t/decision/acme-1",
        facts: &facts,
        signals: &[],
        brief: &brief,
        brief_artifact_key: "art-1",
        memory: &[],
        tools: &[],
        config: &config,
        now,
    };
    let answer = model.decide(&context).await.unwrap();
    assert_eq!(
        answer,
        json!({"message": "NO_ACTION", "reason": "nothing changed"})
    );
    let sent = script.lock().unwrap().seen[0].clone();
    let offered: Vec<&str> = sent["toolConfig"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["toolSpec"]["name"].as_str())
        .collect();
    assert_eq!(offered, ["submit_decision"], "one step: the answer only");
    let failed = model.decide(&context).await.unwrap();
    assert_eq!(failed["message"], "MODEL_ERROR", "{failed}");
    assert!(revloop_domain::decision::DecisionMessage::from_json(&failed).is_err());
}
