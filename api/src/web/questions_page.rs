//! The questions revloop asks when trusted sources disagree on a fact a decision rests on:
//! the open ones, and one question with its options (each source's value, citing its record)
//! and a form to answer by choosing one or giving the right value. The answer goes through
//! `QuestionService.AnswerClarification` as the signed-in person, and the decision runs again.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use revloop_proto::v1 as pb;
use revloop_proto::v1::question_service_server::QuestionService;
use serde::Deserialize;

use super::error::WebError;
use super::session::{self, Session};
use super::{WebState, as_person, frame, html};
use crate::services::QuestionApi;

async fn questions(
    state: &WebState,
    session: &Session,
    include_settled: bool,
) -> Result<Vec<pb::Question>, WebError> {
    let request = pb::ListQuestionsRequest {
        include_settled,
        ..Default::default()
    };
    Ok(QuestionApi::new(state.app.clone())
        .list_questions(as_person(session, request))
        .await?
        .into_inner()
        .questions)
}

pub async fn list(
    State(state): State<WebState>,
    session: Session,
) -> Result<Html<String>, WebError> {
    let open = questions(&state, &session, false).await?;
    let body = if open.is_empty() {
        r#"<p class="notice">No open questions: every fact the decisions rest on is settled.</p>"#
            .to_string()
    } else {
        let rows: String = open
            .iter()
            .map(|q| {
                format!(
                    r#"<tr><td><a href="/app/questions/{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                    html::url_part(&q.question_id),
                    html::escape(&q.question),
                    html::escape(&q.account_id),
                    html::escape(&q.asked_of),
                    html::escape(&q.expires_at),
                )
            })
            .collect();
        format!(
            r#"<table><caption>{} open question(s)</caption><thead><tr><th scope="col">Question</th><th scope="col">Account</th><th scope="col">Asked of</th><th scope="col">Expires</th></tr></thead><tbody>{rows}</tbody></table>"#,
            open.len()
        )
    };
    let frame = frame(&state, &session).await;
    Ok(Html(html::page("Questions", Some(&frame), &body)))
}

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    #[serde(default)]
    done: String,
}

pub async fn show(
    State(state): State<WebState>,
    session: Session,
    Path(question_id): Path<String>,
    Query(shown): Query<Shown>,
) -> Result<Html<String>, WebError> {
    let question = questions(&state, &session, true)
        .await?
        .into_iter()
        .find(|q| q.question_id == question_id)
        .ok_or_else(|| {
            WebError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("question {question_id} not found"),
            )
        })?;
    let mut body = String::new();
    if !shown.done.is_empty() {
        body += r#"<p class="notice" role="status">Your answer was sent; the decision runs again once the workflow has recorded it.</p>"#;
    }
    body += &format!(
        "<dl><dt>Status</dt><dd>{}</dd><dt>Account</dt><dd>{}</dd><dt>Fact</dt><dd><code>{}.{}</code></dd><dt>Asked of</dt><dd>{}</dd><dt>Expires</dt><dd>{}</dd></dl>",
        html::status_badge(&question.status),
        html::escape(&question.account_id),
        html::escape(&question.entity),
        html::escape(&question.field),
        html::escape(&question.asked_of),
        html::escape(&question.expires_at),
    );
    if question.status == "open" {
        let options: String = question
            .options
            .iter()
            .map(|o| {
                format!(
                    r#"<div><input type="radio" id="choice-{n}" name="choice" value="{n}" required><label for="choice-{n}" style="display:inline">{} (from {}, <code>{}</code>)</label></div>"#,
                    html::escape(&o.value_json),
                    html::escape(&o.source),
                    html::escape(&o.evidence_ref),
                    n = o.number,
                )
            })
            .collect();
        let id = html::url_part(&question.question_id);
        let csrf = html::escape(&session.csrf);
        body += &format!(
            r#"<section aria-labelledby="answer-h"><h2 id="answer-h">Answer</h2><div class="decide">
<form method="post" action="/app/questions/{id}/answer"><fieldset><legend>Which source is right?</legend>{options}</fieldset><input type="hidden" name="csrf" value="{csrf}"><p><button type="submit">Choose</button></p></form>
<form method="post" action="/app/questions/{id}/answer"><label for="value">Or the right value</label><input type="text" id="value" name="value" required><input type="hidden" name="csrf" value="{csrf}"><p><button type="submit">Answer</button></p></form>
</div></section>"#
        );
    } else if !question.answer_json.is_empty() {
        body += &format!(
            "<p>Answered {} by {}.</p>",
            html::escape(&question.answer_json),
            html::escape(&question.answered_by)
        );
    }
    let frame = frame(&state, &session).await;
    Ok(Html(html::page(&question.question, Some(&frame), &body)))
}

pub async fn answer(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(question_id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    session::check_origin(&headers)?;
    session.check_csrf(&state, form.get("csrf").map(String::as_str))?;
    let choice = match form.get("choice").map(|c| c.trim()) {
        None | Some("") => 0,
        Some(c) => c.parse().map_err(|_| {
            WebError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                format!("choice: {c:?} is not an option's number"),
            )
        })?,
    };
    let request = pb::AnswerClarificationRequest {
        question_id: question_id.clone(),
        choice,
        value: form.get("value").cloned().unwrap_or_default(),
    };
    QuestionApi::new(state.app.clone())
        .answer_clarification(as_person(&session, request))
        .await?;
    let back = format!(
        "/app/questions/{}?done=answer",
        html::url_part(&question_id)
    );
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response())
}
