//! `revloop questions`, `revloop answer` and `revloop answer-token`: the questions decisions
//! asked about disputed facts, and their answers.

use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json, print_token};

fn question_json(q: &pb::Question) -> serde_json::Value {
    serde_json::json!({
        "question_id": q.question_id,
        "account_id": q.account_id,
        "entity": q.entity,
        "field": q.field,
        "question": q.question,
        "options": q.options.iter().map(|o| serde_json::json!({
            "number": o.number,
            "value": serde_json::from_str::<serde_json::Value>(&o.value_json).unwrap_or_default(),
            "source": o.source,
            "evidence_ref": o.evidence_ref,
        })).collect::<Vec<_>>(),
        "asked_of": q.asked_of,
        "status": q.status,
        "answer": serde_json::from_str::<serde_json::Value>(&q.answer_json).ok(),
        "answered_by": (!q.answered_by.is_empty()).then_some(&q.answered_by),
        "expires_at": q.expires_at,
        "decision_id": q.decision_id,
        "workflow_id": q.workflow_id,
    })
}

/// Open questions (all with `--all`), newest first, each with its numbered options.
pub async fn list(
    mut client: ApiClient,
    account: &str,
    all: bool,
    json: bool,
) -> anyhow::Result<i32> {
    let questions = client
        .questions
        .list_questions(pb::ListQuestionsRequest {
            tenant_id: String::new(),
            account_id: account.to_string(),
            include_settled: all,
        })
        .await
        .map_err(ApiError::from)?
        .into_inner()
        .questions;
    if json {
        print_json(&questions.iter().map(question_json).collect::<Vec<_>>())?;
        return Ok(0);
    }
    if questions.is_empty() {
        println!("no open questions");
    }
    for q in &questions {
        println!(
            "{}  {}  [{}] {} (asked of {}, until {})",
            q.question_id, q.account_id, q.status, q.question, q.asked_of, q.expires_at
        );
        for o in &q.options {
            println!("    {}. {} says {}", o.number, o.source, o.value_json);
        }
        if !q.answer_json.is_empty() {
            println!("    answered {} by {}", q.answer_json, q.answered_by);
        }
    }
    Ok(0)
}

/// Answers a question with an option's number or a value; the decision that asked runs
/// again once every one of its questions is answered.
pub async fn answer(
    mut client: ApiClient,
    question_id: &str,
    choice: Option<u32>,
    value: Option<&str>,
    json: bool,
) -> anyhow::Result<i32> {
    let sent = client
        .questions
        .answer_clarification(pb::AnswerClarificationRequest {
            question_id: question_id.to_string(),
            choice: choice.unwrap_or(0),
            value: value.unwrap_or_default().to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&serde_json::json!({
            "question_id": sent.question_id,
            "workflow_id": sent.workflow_id,
        }))?;
    } else {
        println!(
            "answer to {} sent to {}; the decision runs again once its questions are answered",
            sent.question_id, sent.workflow_id
        );
    }
    Ok(0)
}

/// Prints an answer token alone on stdout, for a plain Temporal signal:
/// `--input '{"question_id": …, "choice": N, "token": "…"}'`.
pub async fn answer_token(
    mut client: ApiClient,
    question_id: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let issued = client
        .questions
        .issue_answer_token(pb::IssueAnswerTokenRequest {
            question_id: question_id.to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    print_token(
        json,
        &issued.token,
        &format!("answer token for {}", issued.question_id),
        &issued.answered_by,
        &issued.expires_at,
        &issued.workflow_id,
        serde_json::json!({
            "token": issued.token,
            "question_id": issued.question_id,
            "answered_by": issued.answered_by,
            "expires_at": issued.expires_at,
            "workflow_id": issued.workflow_id,
        }),
    )?;
    Ok(0)
}
