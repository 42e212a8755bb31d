//! PlanService: multi-step plans, and the commands people give them (approve, reject, pause,
//! resume, abort), each delivered to the plan's PlanWorkflow as a signal with a plan token
//! minted here for the verified caller.

use revloop_domain::auth::{Claims, Role};
use revloop_domain::decision::ApprovalVerb;
use revloop_domain::decision::approval_token::{self, PlanTokenClaims};
use revloop_domain::decision::approvers::Decidable;
use revloop_domain::decision::plan::{PlanCommand, PlanStatus};
use revloop_proto::v1 as pb;
use revloop_proto::v1::plan_service_server::PlanService;
use revloop_store::PlanRecord;
use revloop_workflows::PlanWorkflow;
use serde_json::json;
use temporalio_client::WorkflowSignalOptions;
use temporalio_common::data_converters::{PayloadConverter, RawValue};
use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::auth::require;
use crate::server::AppState;
use crate::{convert, error, paging};

pub struct PlanApi {
    state: AppState,
}

/// The PlanWorkflow that runs a plan.
pub fn plan_workflow_id(tenant_id: &str, plan_id: &str) -> String {
    revloop_activities::workflow_ids::plan(tenant_id, plan_id)
}

impl PlanApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The caller's tenant's plan; another tenant's is answered like a missing one.
    async fn owned_plan(&self, tenant: &str, plan_id: &str) -> Result<PlanRecord, Status> {
        if plan_id.is_empty() {
            return Err(Status::invalid_argument("plan_id: required"));
        }
        self.state
            .store
            .get_plan(tenant, plan_id)
            .await
            .map_err(error::store)?
            .ok_or_else(|| Status::not_found(format!("plan {plan_id} not found")))
    }

    /// An approval covers steps that go to customers: the caller must be allowed (by the
    /// tenant's `[approval]` rules) to approve each of them on its own.
    async fn check_may_approve(
        &self,
        claims: &Claims,
        plan: &PlanRecord,
        step: Option<u32>,
    ) -> Result<(), Status> {
        let config = self
            .state
            .store
            .get_tenant(&plan.tenant_id)
            .await
            .map_err(error::store)?
            .map(|t| t.config.approval)
            .unwrap_or_default();
        let owner =
            super::actions::account_owner(&self.state, &plan.tenant_id, &plan.account_id).await?;
        let covered = plan
            .steps
            .iter()
            .filter(|s| s.needs_approval && step.is_none_or(|n| n == s.step));
        for s in covered {
            let Some(action) = self
                .state
                .store
                .get_action(&s.action_id)
                .await
                .map_err(error::store)?
            else {
                continue;
            };
            let decidable = Decidable {
                proposal: &action.proposal,
                account_id: &plan.account_id,
                account_owner: owner.as_deref(),
            };
            config
                .may_decide(claims, decidable, &[ApprovalVerb::Approve])
                .map_err(|refusal| {
                    let mut info = std::collections::HashMap::new();
                    info.insert("rule".to_string(), refusal.rule.clone());
                    info.insert("step".to_string(), s.step.to_string());
                    Status::with_error_details(
                        tonic::Code::PermissionDenied,
                        format!("step {}: {refusal}", s.step),
                        ErrorDetails::with_error_info("APPROVER_NOT_PERMITTED", "revloop", info),
                    )
                })?;
        }
        Ok(())
    }

    /// Mints a plan token for the caller and sends the command to the plan's workflow. A plan
    /// that has ended answers FAILED_PRECONDITION; whether the command counts in the plan's
    /// state is judged by the workflow's activity, which records a refusal.
    async fn command(
        &self,
        request: Request<pb::PlanCommandRequest>,
        command: PlanCommand,
    ) -> Result<Response<pb::PlanCommandResponse>, Status> {
        let (claims, tenant) = require(&request, Role::Approver, "")?;
        if claims.sub.trim().is_empty() {
            return Err(Status::permission_denied(
                "the bearer token names no subject, and a plan command is recorded under it",
            ));
        }
        let req = request.into_inner();
        let plan = self.owned_plan(&tenant, &req.plan_id).await?;
        if plan.status.is_terminal() {
            return Err(Status::failed_precondition(format!(
                "plan {} is {} already",
                plan.plan_id,
                plan.status.as_str()
            )));
        }
        let step = (req.step > 0).then_some(req.step);
        if let Some(n) = step
            && plan.step(n).is_none()
        {
            return Err(Status::invalid_argument(format!(
                "step: plan {} has no step {n} (it has {})",
                plan.plan_id,
                plan.steps.len()
            )));
        }
        if command == PlanCommand::Approve {
            self.check_may_approve(&claims, &plan, step).await?;
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let token = self
            .state
            .approval_keys
            .mint_plan(&PlanTokenClaims {
                iss: approval_token::ISSUER.into(),
                aud: approval_token::PLAN_AUDIENCE.into(),
                sub: claims.sub.clone(),
                tenant: tenant.clone(),
                plan_id: plan.plan_id.clone(),
                command,
                step,
                iat: now,
                exp: now + approval_token::DEFAULT_TTL_SECS,
                jti: uuid::Uuid::new_v4().to_string(),
            })
            .map_err(|e| Status::internal(e.to_string()))?;
        let payload = json!({
            "by": claims.sub,
            "step": step,
            "reason": (!req.reason.is_empty()).then_some(req.reason),
            "token": token,
        });
        let workflow_id = plan_workflow_id(&tenant, &plan.plan_id);
        let handle = self
            .state
            .temporal
            .get_workflow_handle::<PlanWorkflow>(workflow_id.clone());
        let raw = RawValue::from_value(&payload, &PayloadConverter::default());
        let options = WorkflowSignalOptions::default();
        let sent = match command {
            PlanCommand::Approve => handle.signal(PlanWorkflow::approve, raw, options).await,
            PlanCommand::Reject => handle.signal(PlanWorkflow::reject, raw, options).await,
            PlanCommand::Pause => handle.signal(PlanWorkflow::pause, raw, options).await,
            PlanCommand::Resume => handle.signal(PlanWorkflow::resume, raw, options).await,
            PlanCommand::Abort => handle.signal(PlanWorkflow::abort, raw, options).await,
        };
        sent.map_err(|e| error::temporal(&format!("signalling {workflow_id}"), e))?;
        Ok(Response::new(pb::PlanCommandResponse {
            plan_id: plan.plan_id,
            workflow_id,
            signal: command.as_str().into(),
        }))
    }
}

#[tonic::async_trait]
impl PlanService for PlanApi {
    async fn list_plans(
        &self,
        request: Request<pb::ListPlansRequest>,
    ) -> Result<Response<pb::ListPlansResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        let status = match req.status.as_str() {
            "" => None,
            s => Some(PlanStatus::parse(s).ok_or_else(|| {
                Status::invalid_argument(format!("status: unknown plan status {s:?}"))
            })?),
        };
        let page = paging::page_request(
            req.limit,
            &req.page_token,
            paging::MAX_PAGE_ITEMS,
            paging::MAX_PAGE_ITEMS,
        )?;
        let plans = self
            .state
            .store
            .list_plans(&tenant, status)
            .await
            .map_err(error::store)?;
        let (plans, next_page_token) = paging::offset_page(plans.iter().map(convert::plan), page);
        Ok(Response::new(pb::ListPlansResponse {
            plans,
            next_page_token,
        }))
    }

    async fn get_plan(
        &self,
        request: Request<pb::GetPlanRequest>,
    ) -> Result<Response<pb::Plan>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, "")?;
        let plan = self.owned_plan(&tenant, &request.get_ref().plan_id).await?;
        Ok(Response::new(convert::plan(&plan)))
    }

    async fn approve_plan(
        &self,
        request: Request<pb::PlanCommandRequest>,
    ) -> Result<Response<pb::PlanCommandResponse>, Status> {
        self.command(request, PlanCommand::Approve).await
    }

    async fn reject_plan(
        &self,
        request: Request<pb::PlanCommandRequest>,
    ) -> Result<Response<pb::PlanCommandResponse>, Status> {
        self.command(request, PlanCommand::Reject).await
    }

    async fn pause_plan(
        &self,
        request: Request<pb::PlanCommandRequest>,
    ) -> Result<Response<pb::PlanCommandResponse>, Status> {
        self.command(request, PlanCommand::Pause).await
    }

    async fn resume_plan(
        &self,
        request: Request<pb::PlanCommandRequest>,
    ) -> Result<Response<pb::PlanCommandResponse>, Status> {
        self.command(request, PlanCommand::Resume).await
    }

    async fn abort_plan(
        &self,
        request: Request<pb::PlanCommandRequest>,
    ) -> Result<Response<pb::PlanCommandResponse>, Status> {
        self.command(request, PlanCommand::Abort).await
    }
}
