//! ActionService: the top actions, one action with its evidence and validation, and the
//! approve / edit / reject decisions, delivered to the ApprovalWorkflow as signals.

use revloop_domain::auth::{Claims, Role};
use revloop_proto::v1 as pb;
use revloop_proto::v1::action_service_server::ActionService;
use revloop_store::{ActionRecord, ActionStatus};
use revloop_workflows::ApprovalWorkflow;
use serde_json::json;
use temporalio_client::WorkflowSignalOptions;
use temporalio_common::data_converters::{PayloadConverter, RawValue};
use tonic::{Request, Response, Status};

use crate::auth::{check_owner, require};
use crate::server::AppState;
use crate::{convert, error};

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
        check_owner(claims, &action.tenant_id, &format!("action {action_id}"))?;
        Ok(action)
    }

    /// Sends one approval signal to the action's ApprovalWorkflow. The approver is the
    /// verified caller, never a value from the request body.
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
        if action.status != ActionStatus::AwaitingApproval {
            return Err(Status::failed_precondition(format!(
                "action {action_id} is {}, not awaiting approval",
                action.status.as_str()
            )));
        }
        let mut payload =
            json!({ "approver": claims.sub, "reason": (!reason.is_empty()).then_some(reason) });
        if let Some(changes) = changes {
            payload["changes"] = json!(changes);
        }
        let workflow_id = format!("{}/approval/{action_id}", action.tenant_id);
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
        let mut actions = self
            .state
            .store
            .list_actions(&tenant, status)
            .await
            .map_err(error::store)?;
        if req.limit > 0 {
            actions.truncate(req.limit as usize);
        }
        Ok(Response::new(pb::ListActionsResponse {
            actions: actions.iter().map(convert::action).collect(),
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
        self.decide(
            &request,
            &req.action_id,
            "edit",
            req.reason,
            Some(req.changes),
        )
        .await
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
