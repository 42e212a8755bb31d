//! QuestionService: the questions decisions asked about disputed facts, and their answers,
//! delivered to the waiting ClarificationWorkflow as `answer` signals with an answer token
//! minted for the verified caller.

use revloop_domain::auth::{Claims, Role};
use revloop_domain::decision::approval_token::{self, AnswerTokenClaims};
use revloop_proto::v1 as pb;
use revloop_proto::v1::question_service_server::QuestionService;
use revloop_store::{QuestionRecord, QuestionStatus};
use revloop_workflows::ClarificationWorkflow;
use serde_json::json;
use temporalio_client::WorkflowSignalOptions;
use temporalio_common::data_converters::{PayloadConverter, RawValue};
use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::auth::require;
use crate::error;
use crate::server::AppState;

pub struct QuestionApi {
    state: AppState,
}

fn question_of(q: QuestionRecord) -> pb::Question {
    let answer = q.answer.as_ref();
    pb::Question {
        question_id: q.question_id,
        account_id: q.account_id,
        decision_id: q.decision_id,
        entity: q.entity,
        field: q.field,
        question: q.question,
        options: q
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| pb::QuestionOption {
                number: i as u32 + 1,
                value_json: o.value.to_string(),
                source: o.source.clone(),
                evidence_ref: o.evidence_ref.clone().unwrap_or_default(),
            })
            .collect(),
        asked_of: q.asked_of,
        status: q.status.as_str().into(),
        answer_json: answer.map(|a| a.value.to_string()).unwrap_or_default(),
        answered_by: answer.map(|a| a.answered_by.clone()).unwrap_or_default(),
        created_at: q.created_at.to_rfc3339(),
        expires_at: q.expires_at.to_rfc3339(),
        workflow_id: q.workflow_id,
    }
}

impl QuestionApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The caller's tenant's open question, or why it cannot be answered. Another tenant's
    /// question is answered like a missing one.
    async fn open_question(
        &self,
        claims: &Claims,
        question_id: &str,
    ) -> Result<QuestionRecord, Status> {
        if question_id.is_empty() {
            return Err(Status::invalid_argument("question_id: required"));
        }
        let question = self
            .state
            .store
            .get_question(&claims.tenant, question_id)
            .await
            .map_err(error::store)?
            .ok_or_else(|| Status::not_found(format!("question {question_id} not found")))?;
        if question.status != QuestionStatus::Open {
            return Err(Status::failed_precondition(format!(
                "question {question_id} is {}, not open",
                question.status.as_str()
            )));
        }
        Ok(question)
    }

    /// An answer token for the caller, who must be the one the question is asked of or hold
    /// the approver role.
    fn mint(
        &self,
        claims: &Claims,
        question: &QuestionRecord,
    ) -> Result<(String, AnswerTokenClaims), Status> {
        if claims.sub.trim().is_empty() {
            return Err(Status::permission_denied(
                "the bearer token names no subject, and an answer is recorded under it",
            ));
        }
        if claims.sub != question.asked_of && !claims.allows(Role::Approver) {
            let mut info = std::collections::HashMap::new();
            info.insert("rule".to_string(), "asked_of_or_approver".to_string());
            return Err(Status::with_error_details(
                tonic::Code::PermissionDenied,
                format!(
                    "{} may not answer {}: it is asked of {}, and answering takes the approver role otherwise",
                    claims.sub, question.question_id, question.asked_of
                ),
                ErrorDetails::with_error_info("ANSWERER_NOT_PERMITTED", "revloop", info),
            ));
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let token_claims = AnswerTokenClaims {
            iss: approval_token::ISSUER.into(),
            aud: approval_token::ANSWER_AUDIENCE.into(),
            sub: claims.sub.clone(),
            tenant: question.tenant_id.clone(),
            question_id: question.question_id.clone(),
            iat: now,
            exp: now + approval_token::DEFAULT_TTL_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = self
            .state
            .approval_keys
            .mint_answer(&token_claims)
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok((token, token_claims))
    }
}

#[tonic::async_trait]
impl QuestionService for QuestionApi {
    async fn list_questions(
        &self,
        request: Request<pb::ListQuestionsRequest>,
    ) -> Result<Response<pb::ListQuestionsResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        let account = (!req.account_id.is_empty()).then_some(req.account_id.as_str());
        let questions = self
            .state
            .store
            .list_questions(&tenant, account, !req.include_settled)
            .await
            .map_err(error::store)?;
        Ok(Response::new(pb::ListQuestionsResponse {
            questions: questions
                .into_iter()
                .take(crate::paging::MAX_PAGE_ITEMS)
                .map(question_of)
                .collect(),
        }))
    }

    async fn answer_clarification(
        &self,
        request: Request<pb::AnswerClarificationRequest>,
    ) -> Result<Response<pb::AnswerClarificationResponse>, Status> {
        let (claims, _) = require(&request, Role::Viewer, "")?;
        let req = request.into_inner();
        let question = self.open_question(&claims, &req.question_id).await?;
        let mut payload = match (req.choice, req.value.trim()) {
            (0, "") => {
                return Err(Status::invalid_argument(
                    "choice or value: one is required (choice counts from 1)",
                ));
            }
            (n, "") => {
                if n as usize > question.options.len() {
                    return Err(Status::invalid_argument(format!(
                        "choice: {n} is not an option (1..={})",
                        question.options.len()
                    )));
                }
                json!({ "question_id": question.question_id, "choice": n })
            }
            (0, value) => json!({ "question_id": question.question_id, "value": value }),
            _ => {
                return Err(Status::invalid_argument(
                    "choice and value: give one, not both",
                ));
            }
        };
        // The value is checked here as the workflow will check it, so a bad one is refused
        // at once instead of recorded as refused later.
        revloop_domain::decision::clarify::answered_value(
            &question.options,
            &question.field,
            payload["choice"].as_u64().map(|n| n as usize),
            payload.get("value"),
        )
        .map_err(|e| Status::invalid_argument(format!("value: {e}")))?;
        let (token, _) = self.mint(&claims, &question)?;
        payload["token"] = json!(token);
        let handle = self
            .state
            .temporal
            .get_workflow_handle::<ClarificationWorkflow>(question.workflow_id.clone());
        let raw = RawValue::from_value(&payload, &PayloadConverter::default());
        handle
            .signal(
                ClarificationWorkflow::answer,
                raw,
                WorkflowSignalOptions::default(),
            )
            .await
            .map_err(|e| error::temporal(&format!("signalling {}", question.workflow_id), e))?;
        Ok(Response::new(pb::AnswerClarificationResponse {
            question_id: question.question_id,
            workflow_id: question.workflow_id,
        }))
    }

    async fn issue_answer_token(
        &self,
        request: Request<pb::IssueAnswerTokenRequest>,
    ) -> Result<Response<pb::AnswerToken>, Status> {
        let (claims, _) = require(&request, Role::Viewer, "")?;
        let req = request.into_inner();
        let question = self.open_question(&claims, &req.question_id).await?;
        let (token, minted) = self.mint(&claims, &question)?;
        Ok(Response::new(pb::AnswerToken {
            token,
            question_id: question.question_id,
            answered_by: minted.sub,
            expires_at: chrono::DateTime::from_timestamp(minted.exp as i64, 0)
                .unwrap_or_default()
                .to_rfc3339(),
            workflow_id: question.workflow_id,
        }))
    }
}
