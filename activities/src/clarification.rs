//! Clarification activities: open a decision's questions (ledgered, and sent to the account's
//! owner), record each answer signal (valid or not), and expire what is left unanswered.
//!
//! An answer counts only with an answer token the API minted for the person (audience
//! `revloop-answer`, bound to the tenant and the question, 15 minutes): Temporal access alone
//! cannot settle a fact. The answer is stored as `user_input` evidence, which the world model
//! reads back as the field's settled value.

use std::sync::Arc;

use revloop_domain::decision::approval_token::check_answer_claims;
use revloop_domain::decision::clarify::{self, USER_INPUT};
use revloop_domain::ledger::LedgerKind;
use revloop_store::{
    AnswerOutcome, AnswerRecord, Evidence, Provenance, QuestionRecord, QuestionStatus, Store,
};
use serde_json::json;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::contracts::*;
use crate::ledger_hook::{LedgerRecord, record};
use crate::notify::{self, Notice};
use crate::{Deps, error};

pub struct ClarificationActivities {
    deps: Deps,
}

impl ClarificationActivities {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}

async fn load_questions(
    store: &dyn Store,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<QuestionRecord>, ActivityError> {
    let mut questions = Vec::with_capacity(ids.len());
    for id in ids {
        let question = store
            .get_question(tenant_id, id)
            .await
            .map_err(error::store)?
            .ok_or_else(|| {
                error::non_retryable(error::NOT_FOUND, format!("question {id} not found"))
            })?;
        questions.push(question);
    }
    Ok(questions)
}

fn still_open(questions: &[QuestionRecord]) -> usize {
    questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Open)
        .count()
}

/// Why an answer does not count, or the answer to record.
fn check_answer(
    keys: &crate::approval_token::ApprovalKeys,
    input: &AnswerEventInput,
    questions: &[QuestionRecord],
) -> Result<(QuestionRecord, serde_json::Value, String), (Option<String>, String)> {
    let payload = clarify::parse_answer(&input.payload).map_err(|e| (None, e))?;
    let id = Some(payload.question_id.clone());
    let question = questions
        .iter()
        .find(|q| q.question_id == payload.question_id)
        .ok_or_else(|| {
            (
                id.clone(),
                format!(
                    "question {} is not one this workflow waits for",
                    payload.question_id
                ),
            )
        })?;
    let claims = keys
        .verify_answer(&input.tenant_id, &payload.token)
        .map_err(|e| (id.clone(), e.to_string()))?;
    check_answer_claims(
        &claims,
        &input.tenant_id,
        &question.question_id,
        input.at.timestamp().max(0) as u64,
    )
    .map_err(|e| (id.clone(), e))?;
    let value = clarify::answered_value(
        &question.options,
        &question.field,
        payload.choice,
        payload.value.as_ref(),
    )
    .map_err(|e| (id.clone(), e))?;
    Ok((question.clone(), value, claims.sub))
}

#[activities]
impl ClarificationActivities {
    /// Ledgers the questions (INTENT) and sends each to whom it is routed (the account's
    /// owner) with the tenant's notifiers; returns how long they wait.
    #[activity]
    pub async fn open_questions(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: OpenQuestionsInput,
    ) -> Result<OpenQuestionsOutput, ActivityError> {
        let store = &*self.deps.store;
        let questions = load_questions(store, &input.tenant_id, &input.question_ids).await?;
        let config = crate::decision::tenant_config(store, &input.tenant_id).await?;
        let mut deliveries = Vec::new();
        for q in questions
            .iter()
            .filter(|q| q.status == QuestionStatus::Open)
        {
            let notice = Notice {
                tenant_id: input.tenant_id.clone(),
                action_id: q.question_id.clone(),
                notice: "question".into(),
                to: q.asked_of.clone(),
                title: q.question.clone(),
                link: config.notify.page_url.as_ref().map(|base| {
                    format!("{}/questions/{}", base.trim_end_matches('/'), q.question_id)
                }),
            };
            let delivery = notify::deliver(
                store,
                &self.deps.settings,
                &config.notify,
                &notice,
                ctx.info().attempt,
                input.at,
            )
            .await?;
            deliveries.push(json!({ "question_id": q.question_id, "to": q.asked_of, "sent": delivery.sent, "not_sent": delivery.not_sent }));
        }
        let out = OpenQuestionsOutput {
            open: still_open(&questions),
            expire_after_secs: config.decision.question_expire_after_secs,
        };
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Intent,
                snapshot_ref: None,
                result: &json!({
                    "asked": questions.iter().map(|q| json!({
                        "question_id": q.question_id,
                        "entity": q.entity,
                        "field": q.field,
                        "question": q.question,
                        "options": q.options,
                        "asked_of": q.asked_of,
                    })).collect::<Vec<_>>(),
                    "notices": deliveries,
                    "output": out,
                }),
            },
        )
        .await?;
        Ok(out)
    }

    /// One `answer` signal: its shape, its answer token (verified here, at the signal's
    /// workflow time) and its value are checked. A valid answer is stored as `user_input`
    /// evidence and settles the question (the first answer wins); anything else is recorded as
    /// refused with the reason, token redacted, and the wait goes on.
    #[activity]
    pub async fn record_answer(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: AnswerEventInput,
    ) -> Result<AnswerEventOutput, ActivityError> {
        let store = &*self.deps.store;
        let questions = load_questions(store, &input.tenant_id, &input.question_ids).await?;
        let mut out = AnswerEventOutput {
            accepted: false,
            error: None,
            question_id: None,
            answered_by: None,
            open: still_open(&questions),
        };
        match check_answer(&self.deps.approval_keys, &input, &questions) {
            Err((question_id, reason)) => {
                out.question_id = question_id;
                out.error = Some(reason);
            }
            Ok((question, value, answered_by)) => {
                out.question_id = Some(question.question_id.clone());
                let content = serde_json::to_vec(&json!({
                    "question_id": question.question_id,
                    "entity": question.entity,
                    "field": question.field,
                    "value": value,
                    "answered_by": answered_by,
                    "answered_at": input.at,
                }))?;
                let evidence = Evidence::new(
                    &input.tenant_id,
                    content,
                    Provenance {
                        source: clarify::ANSWER_SOURCE.into(),
                        connector: "clarification".into(),
                        fetched_at: input.at,
                        cursor: None,
                        trust_class: USER_INPUT.into(),
                    },
                );
                store.put_evidence(&evidence).await.map_err(error::store)?;
                let answer = AnswerRecord {
                    question_id: question.question_id.clone(),
                    tenant_id: input.tenant_id.clone(),
                    account_id: question.account_id.clone(),
                    entity: question.entity.clone(),
                    field: question.field.clone(),
                    value,
                    answered_by: answered_by.clone(),
                    answered_at: input.at,
                    evidence_id: evidence.evidence_id.clone(),
                };
                match store.answer_question(&answer).await.map_err(error::store)? {
                    AnswerOutcome::Recorded(_) => {
                        out.accepted = true;
                        out.answered_by = Some(answered_by);
                        out.open = out.open.saturating_sub(1);
                    }
                    // A retry of this very activity finds its own answer recorded.
                    AnswerOutcome::AlreadySettled(q)
                        if q.answer
                            .as_ref()
                            .is_some_and(|a| a.evidence_id == answer.evidence_id) =>
                    {
                        out.accepted = true;
                        out.answered_by = Some(answered_by);
                        let refreshed =
                            load_questions(store, &input.tenant_id, &input.question_ids).await?;
                        out.open = still_open(&refreshed);
                    }
                    AnswerOutcome::AlreadySettled(q) => {
                        out.error = Some(format!(
                            "question {} is already {}",
                            q.question_id,
                            q.status.as_str()
                        ));
                    }
                    AnswerOutcome::NotFound => {
                        out.error = Some(format!("question {} not found", answer.question_id));
                    }
                }
            }
        }
        let mut shown = input.payload.clone();
        if let Some(token) = shown.get_mut("token") {
            *token = json!("(redacted)");
        }
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Evidence,
                snapshot_ref: None,
                result: &json!({ "answer": shown, "output": out, "at": input.at }),
            },
        )
        .await?;
        Ok(out)
    }

    /// The wait ended: every question still open is marked expired, and ledgered.
    #[activity]
    pub async fn expire_questions(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ExpireQuestionsInput,
    ) -> Result<usize, ActivityError> {
        let store = &*self.deps.store;
        let mut expired = Vec::new();
        for id in &input.question_ids {
            if store
                .expire_question(&input.tenant_id, id, input.at)
                .await
                .map_err(error::store)?
            {
                expired.push(id.clone());
            }
        }
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Intent,
                snapshot_ref: None,
                result: &json!({ "expired": expired, "at": input.at }),
            },
        )
        .await?;
        Ok(expired.len())
    }
}
