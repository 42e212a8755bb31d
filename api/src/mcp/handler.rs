//! The MCP server: `tools/list` shows what the caller's role may call; `tools/call` goes
//! through the ToolGateway, and an action a write tool proposed starts the workflow that
//! carries it (an ApprovalWorkflow when a person must approve, else an ActionWorkflow), as a
//! decision's proposals do.

use std::sync::Arc;

use revloop_activities::contracts::{ActionInput, ApprovalInput};
use revloop_activities::governance::LedgerScope;
use revloop_activities::search_attributes;
use revloop_activities::tools::gateway::ProposedAction;
use revloop_activities::tools::{Access, ToolCall, ToolCaller, ToolGateway, ToolSpec};
use revloop_domain::auth::Claims;
use revloop_store::TenantConfig;
use revloop_workflows::{ActionWorkflow, ApprovalWorkflow};
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, MetaObject, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Value, json};
use temporalio_client::{WorkflowIdConflictPolicy, WorkflowStartOptions};

use crate::server::AppState;

#[derive(Clone)]
pub struct RevloopMcp {
    state: AppState,
    gateway: Arc<ToolGateway>,
    approval_timeout_secs: u64,
}

const INSTRUCTIONS: &str = "revloop's governed tool catalog for one tenant's accounts. Read tools (account_get_state, signals_list_recent, memory_search, …) answer with evidence_refs; write tools (approval_request, crm_write_update, tasks_create, notes_log) never write: each proposes an action that revloop validates and routes, and a person approves anything that touches a customer or the CRM. Cite the evidence_refs the read tools returned. A refused call comes back with isError and names the field or the rule.";

/// The verified claims the bearer layer put on the HTTP request.
fn claims(ctx: &RequestContext<RoleServer>) -> Result<Claims, ErrorData> {
    ctx.extensions
        .get::<::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Claims>())
        .cloned()
        .ok_or_else(|| ErrorData::invalid_request("no verified bearer token", None))
}

fn caller(claims: &Claims) -> ToolCaller {
    ToolCaller::Token {
        subject: claims.sub.clone(),
        roles: claims.roles.clone(),
    }
}

fn object(value: &Value) -> Arc<serde_json::Map<String, Value>> {
    Arc::new(value.as_object().cloned().unwrap_or_default())
}

/// A catalog tool as MCP lists it.
fn mcp_tool(spec: &ToolSpec) -> Tool {
    let mut tool = Tool::new(spec.name, spec.description, object(&spec.parameters));
    tool.output_schema = Some(object(&spec.result));
    let read = spec.access == Access::Read;
    tool.annotations = Some(
        ToolAnnotations::new()
            .read_only(read)
            .destructive(false)
            .idempotent(read)
            .open_world(false),
    );
    tool
}

impl RevloopMcp {
    pub fn new(state: AppState, gateway: Arc<ToolGateway>, approval_timeout_secs: u64) -> Self {
        Self {
            state,
            gateway,
            approval_timeout_secs,
        }
    }

    /// The tenant's config; a tenant that was never configured has the defaults.
    async fn config(&self, tenant: &str) -> Result<TenantConfig, ErrorData> {
        self.state
            .store
            .get_tenant(tenant)
            .await
            .map(|t| t.map(|t| t.config).unwrap_or_default())
            .map_err(|e| ErrorData::internal_error(format!("store: {e}"), None))
    }

    /// Starts the workflow that carries a proposed action; a second start for the same action
    /// joins the first.
    async fn start(
        &self,
        tenant: &str,
        trace_id: &str,
        action: &ProposedAction,
    ) -> Result<String, ErrorData> {
        let (kind, workflow_id) = if action.requires_approval {
            (
                "approval",
                revloop_activities::workflow_ids::approval(tenant, &action.action_id),
            )
        } else {
            (
                "action",
                revloop_activities::workflow_ids::action(tenant, &action.action_id),
            )
        };
        let options = WorkflowStartOptions::new(self.state.task_queue.clone(), workflow_id.clone())
            .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
            .search_attributes(search_attributes::for_workflow(
                tenant,
                Some(&action.account_id),
                Some(trace_id),
                kind,
            ))
            .static_summary(format!(
                "{} for {} (proposed through a tool)",
                action.kind, action.account_id
            ))
            .build();
        let temporal = &self.state.temporal;
        let started = if action.requires_approval {
            let input = ApprovalInput {
                tenant_id: tenant.to_string(),
                action_id: action.action_id.clone(),
                trace_id: trace_id.to_string(),
                timeout_secs: self.approval_timeout_secs,
            };
            temporal
                .start_workflow(ApprovalWorkflow::run, input, options)
                .await
                .map(|_| ())
        } else {
            let input = ActionInput {
                tenant_id: tenant.to_string(),
                action_id: action.action_id.clone(),
                trace_id: trace_id.to_string(),
            };
            temporal
                .start_workflow(ActionWorkflow::run, input, options)
                .await
                .map(|_| ())
        };
        started
            .map_err(|e| ErrorData::internal_error(format!("starting {workflow_id}: {e}"), None))?;
        Ok(workflow_id)
    }
}

impl ServerHandler for RevloopMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("revloop", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let claims = claims(&ctx)?;
        let config = self.config(&claims.tenant).await?;
        let tools = self
            .gateway
            .specs_for(&caller(&claims), &config)
            .iter()
            .map(mcp_tool)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let claims = claims(&ctx)?;
        let tenant = claims.tenant.clone();
        let call_id = uuid::Uuid::new_v4().simple().to_string();
        let trace_id = uuid::Uuid::new_v4().to_string();
        let session = ctx
            .extensions
            .get::<::http::request::Parts>()
            .and_then(|p| p.headers.get("mcp-session-id"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("stateless")
            .to_string();
        let scope = LedgerScope {
            tenant_id: tenant.clone(),
            trace_id: trace_id.clone(),
            workflow_id: "mcp".into(),
            run_id: session,
            activity: "call_tool".into(),
            key_prefix: format!("mcp/{call_id}"),
        };
        let call = ToolCall {
            tenant_id: tenant.clone(),
            trace_id: trace_id.clone(),
            tool: request.name.to_string(),
            args: Value::Object(request.arguments.unwrap_or_default()),
            caller: caller(&claims),
            now: chrono::Utc::now(),
        };
        let internal = |e: String| ErrorData::internal_error(e, None);
        let answer = self
            .gateway
            .call(&scope, &call)
            .await
            .map_err(|e| internal(format!("tool {}: {e}", call.tool)))?;
        let meta = MetaObject(
            json!({
                "revloop/tool_run_id": answer.tool_run_id,
                "revloop/trace_id": trace_id,
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        if let Some(refusal) = &answer.refusal {
            let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
                "refused: {}",
                refusal.message
            ))]);
            result.structured_content = serde_json::to_value(refusal).ok();
            return Ok(result.with_meta(Some(meta)).into());
        }
        let mut value = self
            .gateway
            .result_of(&tenant, &answer)
            .await
            .map_err(|e| internal(format!("tool {} result: {e}", call.tool)))?
            .unwrap_or(Value::Null);
        if let Some(action) = &answer.action {
            let workflow_id = self.start(&tenant, &trace_id, action).await?;
            value["workflow_id"] = json!(workflow_id);
        }
        Ok(CallToolResult::structured(value)
            .with_meta(Some(meta))
            .into())
    }
}
