//! Clarification questions: asked by a decision when a fact it needs is disputed, routed to
//! the account's owner, answered once (the first answer wins) or expired. An answer is what the
//! world model reads back as `user_input` evidence, so an account's answers count in its
//! revision.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::QuestionOption;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    Open,
    Answered,
    Expired,
}

impl QuestionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionRecord {
    pub question_id: String,
    pub tenant_id: String,
    pub account_id: String,
    /// The decision that asked, and the workflow that waits for the answer.
    pub decision_id: String,
    pub workflow_id: String,
    /// `type:id`.
    pub entity: String,
    pub field: String,
    pub question: String,
    pub options: Vec<QuestionOption>,
    /// Who it is routed to: the account's owner.
    pub asked_of: String,
    pub status: QuestionStatus,
    pub answer: Option<AnswerRecord>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub question_id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub entity: String,
    pub field: String,
    pub value: serde_json::Value,
    /// The token's subject, never a name from the payload.
    pub answered_by: String,
    pub answered_at: DateTime<Utc>,
    /// The stored evidence the answer is cited by.
    pub evidence_id: String,
}

/// What [`QuestionStore::answer_question`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerOutcome {
    /// This answer was recorded.
    Recorded(QuestionRecord),
    /// The question was already answered or expired; it is returned as it stands.
    AlreadySettled(QuestionRecord),
    NotFound,
}

#[async_trait]
pub trait QuestionStore {
    /// Stores questions not stored yet (a retried decision asks each once).
    async fn create_questions(&self, questions: &[QuestionRecord]) -> StoreResult<()>;
    async fn get_question(
        &self,
        tenant_id: &str,
        question_id: &str,
    ) -> StoreResult<Option<QuestionRecord>>;
    /// The tenant's questions, newest first; only open ones when `open_only`.
    async fn list_questions(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        open_only: bool,
    ) -> StoreResult<Vec<QuestionRecord>>;
    /// Records the answer if the question is still open: a conditional write, so of two
    /// concurrent answers exactly one counts.
    async fn answer_question(&self, answer: &AnswerRecord) -> StoreResult<AnswerOutcome>;
    /// Marks the question expired if it is still open; true when this call did.
    async fn expire_question(
        &self,
        tenant_id: &str,
        question_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Every answer given about the account, oldest first.
    async fn account_answers(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<AnswerRecord>>;
}
