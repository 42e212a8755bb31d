use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::questions::{
    AnswerOutcome, AnswerRecord, QuestionRecord, QuestionStatus, QuestionStore,
};

fn question_of(body: &str) -> StoreResult<QuestionRecord> {
    from_json("question", body)
}

#[async_trait]
impl QuestionStore for SqliteStore {
    async fn create_questions(&self, questions: &[QuestionRecord]) -> StoreResult<()> {
        let rows: Vec<(QuestionRecord, String)> = questions
            .iter()
            .map(|q| Ok((q.clone(), to_json(q)?)))
            .collect::<StoreResult<_>>()?;
        self.with(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            for (q, body) in rows {
                tx.execute(
                    "INSERT OR IGNORE INTO questions (tenant_id, question_id, account_id, status, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![q.tenant_id, q.question_id, q.account_id, q.status.as_str(), body],
                )
                .map_err(sql_err)?;
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn get_question(
        &self,
        tenant_id: &str,
        question_id: &str,
    ) -> StoreResult<Option<QuestionRecord>> {
        let (t, q) = (tenant_id.to_string(), question_id.to_string());
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM questions WHERE tenant_id = ?1 AND question_id = ?2",
                    params![t, q],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.as_deref().map(question_of).transpose()
        })
        .await
    }

    async fn list_questions(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        open_only: bool,
    ) -> StoreResult<Vec<QuestionRecord>> {
        let (t, a) = (tenant_id.to_string(), account_id.map(str::to_string));
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT body FROM questions WHERE tenant_id = ?1 AND (?2 IS NULL OR account_id = ?2)
                     AND (?3 = 0 OR status = 'open') ORDER BY rowid DESC",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, a, open_only as i64], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            rows.map(|b| question_of(&b.map_err(sql_err)?)).collect()
        })
        .await
    }

    async fn answer_question(&self, answer: &AnswerRecord) -> StoreResult<AnswerOutcome> {
        let (a, answer_body) = (answer.clone(), to_json(answer)?);
        self.with(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            let body: Option<String> = tx
                .query_row(
                    "SELECT body FROM questions WHERE tenant_id = ?1 AND question_id = ?2",
                    params![a.tenant_id, a.question_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            let Some(body) = body else {
                return Ok(AnswerOutcome::NotFound);
            };
            let mut question = question_of(&body)?;
            if question.status != QuestionStatus::Open {
                return Ok(AnswerOutcome::AlreadySettled(question));
            }
            question.status = QuestionStatus::Answered;
            question.answer = Some(a.clone());
            let updated = tx
                .execute(
                    "UPDATE questions SET status = 'answered', body = ?3 WHERE tenant_id = ?1 AND question_id = ?2 AND status = 'open'",
                    params![a.tenant_id, a.question_id, to_json(&question)?],
                )
                .map_err(sql_err)?;
            if updated != 1 {
                return Ok(AnswerOutcome::AlreadySettled(question));
            }
            tx.execute(
                "INSERT INTO question_answers (tenant_id, question_id, account_id, body) VALUES (?1, ?2, ?3, ?4)",
                params![a.tenant_id, a.question_id, a.account_id, answer_body],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(AnswerOutcome::Recorded(question))
        })
        .await
    }

    async fn expire_question(
        &self,
        tenant_id: &str,
        question_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (t, q) = (tenant_id.to_string(), question_id.to_string());
        self.with(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            let body: Option<String> = tx
                .query_row(
                    "SELECT body FROM questions WHERE tenant_id = ?1 AND question_id = ?2 AND status = 'open'",
                    params![t, q],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            let Some(body) = body else {
                return Ok(false);
            };
            let mut question = question_of(&body)?;
            question.status = QuestionStatus::Expired;
            question.expires_at = question.expires_at.min(at);
            tx.execute(
                "UPDATE questions SET status = 'expired', body = ?3 WHERE tenant_id = ?1 AND question_id = ?2 AND status = 'open'",
                params![t, q, to_json(&question)?],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(true)
        })
        .await
    }

    async fn account_answers(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<AnswerRecord>> {
        let (t, a) = (tenant_id.to_string(), account_id.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM question_answers WHERE tenant_id = ?1 AND account_id = ?2 ORDER BY rowid",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, a], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            rows.map(|b| from_json("answer", &b.map_err(sql_err)?))
                .collect()
        })
        .await
    }
}
