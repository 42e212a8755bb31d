//! ActionService: the top actions, one action with its evidence and validation, and the
//! approve / edit / reject decisions, delivered to the ApprovalWorkflow as signals.

use revloop_activities::contracts::NextActionsAsk;
use revloop_activities::contracts::UndoInput;
use revloop_activities::replay::{ReplayError, replay_decision};
use revloop_activities::search_attributes;
use revloop_activities::workflow_ids;
use revloop_domain::auth::{Claims, Role};
use revloop_domain::decision::ApprovalVerb;
use revloop_domain::decision::approval_token::{self, ApprovalTokenClaims};
use revloop_domain::decision::approvers::Decidable;
use revloop_domain::records::{Record, RecordKey};
use revloop_proto::v1 as pb;
use revloop_proto::v1::action_service_server::ActionService;
use revloop_store::{ActionRecord, ActionStatus};
use revloop_workflows::{AccountWorkflow, ApprovalWorkflow, UndoActionWorkflow};
use serde_json::json;
use temporalio_client::errors::WorkflowUpdateError;
use temporalio_client::{
    WorkflowExecuteUpdateOptions, WorkflowGetResultOptions, WorkflowIdConflictPolicy,
    WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::{PayloadConverter, RawValue};
use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::auth::{check_owner, require};
use crate::server::AppState;
use crate::{convert, error, paging};

pub struct ActionApi {
    state: AppState,
}

impl ActionApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn owned_action(&self, claims: &Claims, action_id: &str) -> Result<ActionRecord, Status> {
        if action_id.is_empty() {
            return Err(Status::invalid_argument("action_id: required"));
        }
        let action = self
            .state
            .store
            .get_action(action_id)
            .await
            .map_err(error::store)?
            .ok_or_else(|| Status::not_found(format!("action {action_id} not found")))?;
        // Another tenant's action is answered like a missing one: its existence is not told.
        check_owner(claims, &action.tenant_id, &format!("action {action_id}"))
            .map_err(|_| Status::not_found(format!("action {action_id} not found")))?;
        Ok(action)
    }

    /// An approval token for the caller and this action, refused (with the rule) unless the
    /// caller may decide it now: named by a non-empty subject, permitted by the tenant's
    /// `[approval]` rules (role, owner or group, then its Cedar policies) for every decision
    /// asked, and the action awaiting approval. The workflow would refuse anything else.
    async fn mint_token(
        &self,
        claims: &Claims,
        action: &ActionRecord,
        decisions: Vec<ApprovalVerb>,
    ) -> Result<(String, ApprovalTokenClaims), Status> {
        if claims.sub.trim().is_empty() {
            return Err(Status::permission_denied(
                "the bearer token names no subject, and an approval is recorded under its approver",
            ));
        }
        let config = self
            .state
            .store
            .get_tenant(&action.tenant_id)
            .await
            .map_err(error::store)?
            .map(|t| t.config.approval)
            .unwrap_or_default();
        let owner = account_owner(&self.state, &action.tenant_id, &action.account_id).await?;
        let decidable = Decidable {
            proposal: &action.proposal,
            account_id: &action.account_id,
            account_owner: owner.as_deref(),
        };
        config
            .may_decide(claims, decidable, &decisions)
            .map_err(|refusal| {
                let mut info = std::collections::HashMap::new();
                info.insert("rule".to_string(), refusal.rule.clone());
                Status::with_error_details(
                    tonic::Code::PermissionDenied,
                    refusal.to_string(),
                    ErrorDetails::with_error_info("APPROVER_NOT_PERMITTED", "revloop", info),
                )
            })?;
        if let Some(plan_id) = action.plan_id() {
            let step = action.proposal.plan.as_ref().map_or(0, |of| of.step);
            return Err(Status::failed_precondition(format!(
                "action {} is step {step} of plan {plan_id}: it is approved with its plan \
                 (`revloop plans approve {plan_id}`)",
                action.action_id
            )));
        }
        if action.status != ActionStatus::AwaitingApproval {
            return Err(Status::failed_precondition(format!(
                "action {} is {}, not awaiting approval",
                action.action_id,
                action.status.as_str()
            )));
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let token_claims = ApprovalTokenClaims {
            iss: approval_token::ISSUER.into(),
            aud: approval_token::AUDIENCE.into(),
            sub: claims.sub.clone(),
            tenant: action.tenant_id.clone(),
            action_id: action.action_id.clone(),
            decisions,
            snapshot_ref: action.bound_snapshot(),
            iat: now,
            exp: now + approval_token::DEFAULT_TTL_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = self
            .state
            .approval_keys
            .mint(&token_claims)
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok((token, token_claims))
    }

    /// Sends one approval signal to the action's ApprovalWorkflow, with a token minted for the
    /// verified caller: the approver recorded is the caller, never a value from the request.
    async fn decide<T>(
        &self,
        request: &Request<T>,
        action_id: &str,
        signal: &'static str,
        reason: String,
        changes: Option<std::collections::HashMap<String, String>>,
    ) -> Result<Response<pb::DecideActionResponse>, Status> {
        let (claims, _) = require(request, Role::Approver, "")?;
        let action = self.owned_action(&claims, action_id).await?;
        let verb = ApprovalVerb::parse(signal).unwrap_or(ApprovalVerb::Reject);
        let (token, _) = self.mint_token(&claims, &action, vec![verb]).await?;
        let mut payload = json!({
            "approver": claims.sub,
            "reason": (!reason.is_empty()).then_some(reason),
            "token": token,
        });
        if let Some(changes) = changes {
            payload["changes"] = json!(changes);
        }
        let workflow_id = workflow_ids::approval(&action.tenant_id, action_id);
        let handle = self
            .state
            .temporal
            .get_workflow_handle::<ApprovalWorkflow>(workflow_id.clone());
        let raw = RawValue::from_value(&payload, &PayloadConverter::default());
        let options = WorkflowSignalOptions::default();
        let sent = match signal {
            "approve" => handle.signal(ApprovalWorkflow::approve, raw, options).await,
            "edit" => handle.signal(ApprovalWorkflow::edit, raw, options).await,
            _ => handle.signal(ApprovalWorkflow::reject, raw, options).await,
        };
        sent.map_err(|e| error::temporal(&format!("signalling {workflow_id}"), e))?;
        Ok(Response::new(pb::DecideActionResponse {
            action_id: action_id.to_string(),
            workflow_id,
            signal: signal.to_string(),
        }))
    }
}

#[tonic::async_trait]
impl ActionService for ActionApi {
    async fn undo_action(
        &self,
        request: Request<pb::UndoActionRequest>,
    ) -> Result<Response<pb::UndoActionResponse>, Status> {
        let (claims, _) = require(&request, Role::Approver, "")?;
        let req = request.into_inner();
        let action = self.owned_action(&claims, &req.action_id).await?;
        if action.status != ActionStatus::Executed && action.status != ActionStatus::Undone {
            return Err(Status::failed_precondition(format!(
                "action {} is {}: only an executed action can be undone",
                action.action_id,
                action.status.as_str()
            )));
        }
        let workflow_id = workflow_ids::undo(&action.tenant_id, &action.action_id);
        let input = UndoInput {
            tenant_id: action.tenant_id.clone(),
            action_id: action.action_id.clone(),
            trace_id: action.trace_id.clone(),
            requested_by: claims.sub.clone(),
            reason: req.reason,
        };
        // A second undo while the first runs joins it; one after it finished starts a new run,
        // which finds the action undone already.
        let options = WorkflowStartOptions::new(self.state.task_queue.clone(), workflow_id.clone())
            .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
            .search_attributes(search_attributes::for_workflow(
                &action.tenant_id,
                Some(&action.account_id),
                Some(&action.trace_id),
                "undo",
            ))
            .static_summary(format!(
                "undo {} {} on {}",
                action.proposal.kind.as_str(),
                action.action_id,
                action.account_id
            ))
            .build();
        let handle = self
            .state
            .temporal
            .start_workflow(UndoActionWorkflow::run, input, options)
            .await
            .map_err(|e| error::temporal(&format!("starting {workflow_id}"), e))?;
        let out = handle
            .get_result(WorkflowGetResultOptions::default())
            .await
            .map_err(|e| error::temporal(&format!("waiting for {workflow_id}"), e))?;
        if !out.undone {
            return Err(Status::failed_precondition(out.detail));
        }
        Ok(Response::new(pb::UndoActionResponse {
            action_id: out.action_id,
            workflow_id,
            effect: out.effect,
            detail: out.detail,
        }))
    }

    async fn list_actions(
        &self,
        request: Request<pb::ListActionsRequest>,
    ) -> Result<Response<pb::ListActionsResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        let status = match req.status.as_str() {
            "" => None,
            s => Some(ActionStatus::parse(s).ok_or_else(|| {
                Status::invalid_argument(format!("status: unknown status {s:?}"))
            })?),
        };
        let page = paging::page_request(
            req.limit,
            &req.page_token,
            paging::MAX_PAGE_ITEMS,
            paging::MAX_PAGE_ITEMS,
        )?;
        let actions = self
            .state
            .store
            .list_actions(&tenant, status)
            .await
            .map_err(error::store)?;
        // The token is the position in the feed's order (most urgent first).
        let (actions, next_page_token) =
            paging::offset_page(actions.iter().map(convert::action), page);
        Ok(Response::new(pb::ListActionsResponse {
            actions,
            next_page_token,
        }))
    }

    async fn get_action(
        &self,
        request: Request<pb::GetActionRequest>,
    ) -> Result<Response<pb::Action>, Status> {
        let (claims, _) = require(&request, Role::Viewer, "")?;
        let action = self
            .owned_action(&claims, &request.get_ref().action_id)
            .await?;
        let mut out = convert::action(&action);
        for evidence_ref in &action.proposal.evidence_refs {
            if let Some(v) = self
                .state
                .store
                .version_by_ref(&action.tenant_id, evidence_ref)
                .await
                .map_err(error::store)?
            {
                out.evidence.push(convert::evidence(evidence_ref, &v));
            }
        }
        out.outcomes = self
            .state
            .store
            .list_outcomes(&action.tenant_id, Some(&action.action_id))
            .await
            .map_err(error::store)?
            .iter()
            .map(convert::outcome)
            .collect();
        Ok(Response::new(out))
    }

    async fn explain_action(
        &self,
        request: Request<pb::ExplainActionRequest>,
    ) -> Result<Response<pb::ExplainActionResponse>, Status> {
        let (claims, _) = require(&request, Role::Viewer, "")?;
        let action = self
            .owned_action(&claims, &request.get_ref().action_id)
            .await?;
        Ok(Response::new(convert::explanation(&action)))
    }

    async fn approve_action(
        &self,
        request: Request<pb::DecideActionRequest>,
    ) -> Result<Response<pb::DecideActionResponse>, Status> {
        let req = request.get_ref().clone();
        self.decide(&request, &req.action_id, "approve", req.reason, None)
            .await
    }

    async fn edit_action(
        &self,
        request: Request<pb::EditActionRequest>,
    ) -> Result<Response<pb::DecideActionResponse>, Status> {
        let req = request.get_ref().clone();
        if req.changes.is_empty() {
            return Err(Status::invalid_argument(
                "changes: at least one parameter to change is required",
            ));
        }
        // Refused here as the approval activity would refuse it, so the caller hears why.
        for (name, value) in &req.changes {
            revloop_domain::decision::check_param(name, value)
                .map_err(|e| Status::invalid_argument(format!("changes.{name}: {e}")))?;
        }
        self.decide(
            &request,
            &req.action_id,
            "edit",
            req.reason,
            Some(req.changes),
        )
        .await
    }

    async fn ask_next_actions(
        &self,
        request: Request<pb::AskNextActionsRequest>,
    ) -> Result<Response<pb::AskNextActionsResponse>, Status> {
        let (claims, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let account = request.into_inner().account_id;
        revloop_domain::AccountId::parse(&account)
            .map_err(|e| Status::invalid_argument(format!("account_id: {e}")))?;
        let workflow_id = workflow_ids::account(&tenant, &account);
        let handle = self
            .state
            .temporal
            .get_workflow_handle::<AccountWorkflow>(workflow_id.clone());
        let ask = NextActionsAsk {
            asked_by: claims.sub.clone(),
        };
        let answer = handle
            .execute_update(
                AccountWorkflow::next_best_actions,
                ask,
                WorkflowExecuteUpdateOptions::default(),
            )
            .await
            .map_err(|e| match e {
                WorkflowUpdateError::NotFound(_) => Status::failed_precondition(format!(
                    "account {account} has no AccountWorkflow yet: it starts with the account's first signal"
                )),
                other => error::temporal(&format!("asking {workflow_id} what next"), other),
            })?;
        Ok(Response::new(convert::next_actions(&answer)))
    }

    async fn replay_decision(
        &self,
        request: Request<pb::ReplayDecisionRequest>,
    ) -> Result<Response<pb::ReplayDecisionResponse>, Status> {
        let (claims, _) = require(&request, Role::Viewer, "")?;
        let decision_id = request.into_inner().decision_id;
        // Another tenant's decision is answered like a missing one.
        let not_found = || Status::not_found(format!("decision {decision_id} not found"));
        if !decision_id.starts_with(&workflow_ids::decision_prefix(&claims.tenant)) {
            return Err(not_found());
        }
        let policy = self
            .state
            .store
            .get_tenant(&claims.tenant)
            .await
            .map_err(error::store)?
            .map(|t| t.config.governance)
            .unwrap_or_default();
        let report = replay_decision(&*self.state.store, &claims.tenant, &decision_id, &policy)
            .await
            .map_err(|e| match e {
                ReplayError::NotFound(_) => not_found(),
                ReplayError::Store(e) => error::store(e),
            })?;
        Ok(Response::new(pb::ReplayDecisionResponse {
            identical: report.identical(),
            decision_id: report.decision_id,
            differences: report.differences,
            model: report.model,
            message: report.message,
            proposals: report.proposals as u32,
        }))
    }

    async fn issue_approval_token(
        &self,
        request: Request<pb::IssueApprovalTokenRequest>,
    ) -> Result<Response<pb::ApprovalToken>, Status> {
        let (claims, _) = require(&request, Role::Viewer, "")?;
        let req = request.into_inner();
        let action = self.owned_action(&claims, &req.action_id).await?;
        let decisions = if req.decisions.is_empty() {
            vec![
                ApprovalVerb::Approve,
                ApprovalVerb::Edit,
                ApprovalVerb::Reject,
            ]
        } else {
            req.decisions
                .iter()
                .map(|d| {
                    ApprovalVerb::parse(d).ok_or_else(|| {
                        Status::invalid_argument(format!(
                            "decisions: unknown decision {d:?}; expected approve, edit or reject"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let (token, minted) = self.mint_token(&claims, &action, decisions).await?;
        let expires_at = chrono::DateTime::from_timestamp(minted.exp as i64, 0)
            .unwrap_or_default()
            .to_rfc3339();
        Ok(Response::new(pb::ApprovalToken {
            token,
            action_id: action.action_id.clone(),
            approver: minted.sub,
            expires_at,
            workflow_id: workflow_ids::approval(&action.tenant_id, &action.action_id),
        }))
    }

    async fn reject_action(
        &self,
        request: Request<pb::DecideActionRequest>,
    ) -> Result<Response<pb::DecideActionResponse>, Status> {
        let req = request.get_ref().clone();
        self.decide(&request, &req.action_id, "reject", req.reason, None)
            .await
    }
}

/// The account's owner as its latest account record names them (the approval rules may let
/// the owner decide their own account's actions).
pub(crate) async fn account_owner(
    state: &AppState,
    tenant_id: &str,
    account_id: &str,
) -> Result<Option<String>, Status> {
    let key = RecordKey {
        record_type: "account".into(),
        id: account_id.to_string(),
    };
    let latest = state
        .store
        .latest_version(tenant_id, &key)
        .await
        .map_err(error::store)?;
    Ok(latest.and_then(|v| match v.record {
        Record::Account(a) => a.owner,
        _ => None,
    }))
}
