//! The ToolGateway: the one way any caller (the decision agent in a workflow, an MCP client
//! through the API) calls a tool. Every call, whoever makes it:
//!
//! 1. is authorized: viewers (and the decision agent) may read; approvers and the tenant's
//!    listed agents may write;
//! 2. has its arguments checked against the tool's schema (a refusal names the JSON pointer);
//! 3. reserves budget by the tool's cost class and settles after (1 when it answered, 0 when
//!    it failed);
//! 4. passes the ValidatorGateway's `before_expensive_read` when it is an EXPENSIVE read;
//! 5. is kept as a [`ToolRun`] and a TOOL_CALL ledger entry, refused or not;
//! 6. answers inline up to [`INLINE_RESULT_BYTES`]; a larger result goes to the artifact store
//!    and only its ref travels.
//!
//! A write tool's proposal becomes an action here, validated at `before_plan_approval` and
//! routed by the write-back policy (or to a person when the tool requires approval); the
//! caller starts the workflow that carries it, as a decision does for its proposals.
//!
//! Idempotent per scope key: the run id derives from `{workflow}/{run}/{activity}` (or the
//! API's call key), and a retried call answers what the first attempt stored.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use revloop_domain::auth::Role;
use revloop_domain::budget::CostClass;
use revloop_domain::decision::writeback::{self, Route, Routing};
use revloop_domain::decision::{ActionClass, Proposal};
use revloop_domain::hashing::{canonical_json, digest_of, sha256_hex, short_id};
use revloop_domain::ledger::LedgerKind;
use revloop_domain::validators::{Checkpoint, ReadRequest, Verdict};
use revloop_store::{
    ActionRecord, ActionStatus, Artifact, Store, StoreError, TenantConfig, ToolRun,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Access, Tool, ToolAnswer, ToolData, ToolError, ToolSpec, check_arguments};
use crate::governance::{BudgetCall, LedgerScope, reserve_budget, settle_budget};
use crate::governance::{validate_action, validate_read};
use crate::memory::MemoryIndex;

/// Results up to this many bytes (canonical JSON) travel inline; larger ones by ref.
pub const INLINE_RESULT_BYTES: usize = 8 * 1024;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToolCaller {
    /// The decision agent inside a DecisionWorkflow: it reads; what it wants done, it proposes
    /// in its decision answer.
    DecisionAgent,
    /// A bearer token's subject and roles (a person, or a service identity the tenant's
    /// `[tools] agents` lists).
    Token { subject: String, roles: Vec<Role> },
}

impl ToolCaller {
    /// How ledger entries and tool runs name the caller.
    pub fn label(&self) -> String {
        match self {
            ToolCaller::DecisionAgent => "agent:decision".into(),
            ToolCaller::Token { subject, .. } => format!("token:{subject}"),
        }
    }

    /// Whether the caller may call the tool; the refusal says why.
    pub fn may_call(&self, spec: &ToolSpec, config: &TenantConfig) -> Result<(), String> {
        match (self, spec.access) {
            (ToolCaller::DecisionAgent, Access::Read) => Ok(()),
            (ToolCaller::DecisionAgent, Access::Write) => Err(format!(
                "{}: the decision agent proposes actions in its decision answer, not through write tools",
                spec.name
            )),
            (ToolCaller::Token { roles, .. }, Access::Read) => {
                if roles.iter().any(|r| *r >= Role::Viewer) {
                    Ok(())
                } else {
                    Err(format!("{}: needs the viewer role", spec.name))
                }
            }
            (ToolCaller::Token { subject, roles }, Access::Write) => {
                if roles.iter().any(|r| *r >= Role::Approver) || config.tools.is_agent(subject) {
                    Ok(())
                } else {
                    Err(format!(
                        "{}: a write tool needs the approver role or an agent identity listed in [tools] agents",
                        spec.name
                    ))
                }
            }
        }
    }
}

/// One call as the caller makes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub tenant_id: String,
    pub trace_id: String,
    pub tool: String,
    pub args: Value,
    pub caller: ToolCaller,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    UnknownTool,
    Permission,
    InvalidArgument,
    NotFound,
    Budget,
    Validator,
}

/// Why a call was refused, for the caller to read: the field (JSON pointer) or the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Refusal {
    fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            pointer: None,
            rule: None,
        }
    }
}

/// The action a write tool proposed, as the caller must route it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedAction {
    pub action_id: String,
    pub account_id: String,
    pub kind: String,
    pub requires_approval: bool,
}

/// What a call answers. Small enough for workflow history whatever the tool returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallAnswer {
    pub tool_run_id: String,
    pub tool: String,
    /// The result, when it is at most [`INLINE_RESULT_BYTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The artifact that holds a larger result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_ref: Option<String>,
    pub result_digest: String,
    pub result_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ProposedAction>,
    pub ledger_seq: u64,
}

impl ToolCallAnswer {
    pub fn is_refused(&self) -> bool {
        self.refusal.is_some()
    }

    pub(crate) fn from_run(run: &ToolRun, action: Option<ProposedAction>) -> Self {
        Self {
            tool_run_id: run.tool_run_id.clone(),
            tool: run.tool.clone(),
            result: run.result.clone(),
            result_ref: run.result_ref.clone(),
            result_digest: run.result_digest.clone(),
            result_bytes: run.result_bytes,
            refusal: run
                .refusal
                .as_ref()
                .and_then(|r| serde_json::from_value(r.clone()).ok()),
            action,
            ledger_seq: run.ledger_seq,
        }
    }
}

/// What stops a call from being answered at all (the store is down): retried, never a
/// refusal.
#[derive(Debug, thiserror::Error)]
pub enum ToolGatewayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("memory: {0}")]
    Memory(String),
}

pub struct ToolGateway {
    tools: Vec<Box<dyn Tool>>,
    store: Arc<dyn Store>,
    memory: Arc<dyn MemoryIndex>,
}

/// What a call came to before it is kept: its result or refusal, and the action it proposed.
struct Outcome {
    result: Option<Value>,
    refusal: Option<Refusal>,
    action: Option<ProposedAction>,
}

impl Outcome {
    fn refused(refusal: Refusal) -> Self {
        Self {
            result: None,
            refusal: Some(refusal),
            action: None,
        }
    }
}

impl ToolGateway {
    pub fn new(store: Arc<dyn Store>, memory: Arc<dyn MemoryIndex>) -> Self {
        Self {
            tools: super::builtin(),
            store,
            memory,
        }
    }

    /// Every tool's spec.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|t| t.spec()).collect()
    }

    /// The tools this caller may call in this tenant: what a tool listing shows them.
    pub fn specs_for(&self, caller: &ToolCaller, config: &TenantConfig) -> Vec<ToolSpec> {
        self.specs()
            .into_iter()
            .filter(|s| caller.may_call(s, config).is_ok())
            .collect()
    }

    /// The tool run id a call under this scope gets.
    pub fn run_id(scope: &LedgerScope) -> String {
        short_id("tool", &[&scope.key_prefix])
    }

    /// Calls the tool with every check, keeps the run and ledgers it. Refusals are answers
    /// (`refusal` set); only failures to answer at all are errors.
    pub async fn call(
        &self,
        scope: &LedgerScope,
        call: &ToolCall,
    ) -> Result<ToolCallAnswer, ToolGatewayError> {
        let store = &*self.store;
        let tool_run_id = Self::run_id(scope);
        if let Some(run) = store.get_tool_run(&call.tenant_id, &tool_run_id).await? {
            let action = match &run.action_id {
                Some(id) => store.get_action(id).await?.map(|a| proposed(&a)),
                None => None,
            };
            return Ok(ToolCallAnswer::from_run(&run, action));
        }
        let started = Instant::now();
        let Some(tenant) = store.get_tenant(&call.tenant_id).await? else {
            // No tenant, no ledger to keep the call in: refused, and nothing is written.
            return Ok(ToolCallAnswer {
                tool_run_id,
                tool: call.tool.clone(),
                result: None,
                result_ref: None,
                result_digest: String::new(),
                result_bytes: 0,
                refusal: Some(Refusal::new(
                    RefusalKind::NotFound,
                    format!("tenant {} does not exist", call.tenant_id),
                )),
                action: None,
                ledger_seq: 0,
            });
        };
        let config = tenant.config;
        // The tool and its spec, found once (a spec holds its schemas: build it once a call).
        let found = self.tools.iter().find_map(|t| {
            let spec = t.spec();
            (spec.name == call.tool).then_some((spec, t))
        });
        let cost_class = found
            .as_ref()
            .map_or(CostClass::Cheap, |(s, _)| s.cost_class);
        let outcome = match &found {
            Some((spec, tool)) => {
                self.governed(scope, call, &config, spec, tool.as_ref(), &tool_run_id)
                    .await?
            }
            _ => Outcome::refused(Refusal::new(
                RefusalKind::UnknownTool,
                format!(
                    "no tool {:?}; the catalog has: {}",
                    call.tool,
                    self.specs()
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        };
        self.keep(scope, call, &tool_run_id, cost_class, outcome, started)
            .await
    }

    /// Steps 1 to 4 and the call itself.
    async fn governed(
        &self,
        scope: &LedgerScope,
        call: &ToolCall,
        config: &TenantConfig,
        spec: &ToolSpec,
        tool: &dyn Tool,
        tool_run_id: &str,
    ) -> Result<Outcome, ToolGatewayError> {
        let store = &*self.store;
        if let Err(why) = call.caller.may_call(spec, config) {
            return Ok(Outcome::refused(Refusal::new(RefusalKind::Permission, why)));
        }
        if let Err(e) = check_arguments(spec, &call.args) {
            return Ok(Outcome::refused(argument_refusal(e)));
        }
        let account_id = call.args["account_id"].as_str().map(str::to_string);
        let budget = reserve_budget(
            store,
            scope,
            &config.budgets,
            &BudgetCall {
                operation: format!("tool:{}", spec.name),
                cost_class: spec.cost_class,
                account_id: account_id.clone(),
                plan_id: None,
                tool: Some(spec.name.to_string()),
                amount: 1,
                at: call.now,
            },
        )
        .await?;
        if budget.decision.verdict == Verdict::Block {
            let mut refusal = Refusal::new(RefusalKind::Budget, budget.decision.reason());
            refusal.rule = Some(format!("budget:{:?}", spec.cost_class).to_lowercase());
            return Ok(Outcome::refused(refusal));
        }
        if spec.access == Access::Read && spec.cost_class == CostClass::Expensive {
            let read = ReadRequest {
                read_id: tool_run_id.to_string(),
                connector_id: spec.name.to_string(),
                connector_kind: "tool".into(),
            };
            let outcome = validate_read(store, scope, &read, call.now, &config.governance).await?;
            if let Some(block) = outcome.first_block() {
                settle_budget(store, &call.tenant_id, &budget, 0).await?;
                let mut refusal = Refusal::new(
                    RefusalKind::Validator,
                    format!(
                        "{} at before_expensive_read: {}",
                        block.validator, block.reason
                    ),
                );
                refusal.rule = Some(block.validator.clone());
                return Ok(Outcome::refused(refusal));
            }
        }
        let data = ToolData {
            store,
            memory: &*self.memory,
            tenant_id: &call.tenant_id,
            now: call.now,
            tool_run_id,
        };
        let answered = tool.call(&data, &call.args).await;
        let used = u64::from(answered.is_ok());
        settle_budget(store, &call.tenant_id, &budget, used).await?;
        match answered {
            Ok(ToolAnswer::Result(result)) => Ok(Outcome {
                result: Some(result),
                refusal: None,
                action: None,
            }),
            Ok(ToolAnswer::Propose { proposal, facts }) => {
                self.propose(scope, call, config, spec, *proposal, &facts)
                    .await
            }
            Err(ToolError::Store(e)) => Err(e.into()),
            Err(ToolError::Memory(e)) => Err(ToolGatewayError::Memory(e)),
            Err(e @ ToolError::NotFound(_)) => Ok(Outcome::refused(Refusal::new(
                RefusalKind::NotFound,
                e.to_string(),
            ))),
            Err(e) => Ok(Outcome::refused(argument_refusal(e))),
        }
    }

    /// Stores a write tool's proposal as an action on the account's current facts, validates
    /// it before approval and routes it.
    async fn propose(
        &self,
        scope: &LedgerScope,
        call: &ToolCall,
        config: &TenantConfig,
        spec: &ToolSpec,
        proposal: Proposal,
        facts: &revloop_domain::world::AccountFacts,
    ) -> Result<Outcome, ToolGatewayError> {
        let store = &*self.store;
        let tool_run_id = Self::run_id(scope);
        let account_id = call.args["account_id"].as_str().unwrap_or_default();
        // The facts the tool grounded the proposal in are its planning snapshot.
        let snapshot = crate::snapshot::store_snapshot(store, &call.tenant_id, facts).await?;
        let routing = route(spec, &proposal, config);
        let requires_approval = routing.needs_approval();
        let mut action = ActionRecord {
            action_id: proposal.proposal_id.clone(),
            tenant_id: call.tenant_id.clone(),
            account_id: account_id.to_string(),
            trace_id: call.trace_id.clone(),
            decision_id: tool_run_id,
            proposal,
            status: ActionStatus::Proposed,
            snapshot_ref: Some(snapshot.artifact_key),
            world_snapshots: Vec::new(),
            validations: Vec::new(),
            budget: Vec::new(),
            ledger_seqs: Default::default(),
            approval_events: Vec::new(),
            result: None,
            created_at: call.now,
            updated_at: call.now,
            routing: Some(routing.clone()),
            decided_by: None,
        };
        let created = store.create_action(&action).await?;
        if created.status == ActionStatus::Proposed {
            crate::metrics::action_proposed(action.proposal.kind.as_str(), requires_approval);
            validate_action(
                store,
                scope,
                &mut action,
                &[Checkpoint::BeforePlanApproval],
                call.now,
                &config.governance,
            )
            .await?;
            store.save_action(&action).await?;
        } else {
            action = created;
        }
        if let Some(block) = action.validations.iter().find_map(|v| v.first_block()) {
            let mut refusal = Refusal::new(
                RefusalKind::Validator,
                format!(
                    "{} blocked {}: {}",
                    block.validator, action.action_id, block.reason
                ),
            );
            refusal.rule = Some(block.validator.clone());
            return Ok(Outcome {
                result: None,
                refusal: Some(refusal),
                action: None,
            });
        }
        let status = if requires_approval {
            "awaiting_approval"
        } else {
            "started"
        };
        Ok(Outcome {
            result: Some(json!({
                "action_id": action.action_id,
                "kind": action.proposal.kind.as_str(),
                "status": status,
                "route": routing.route,
                "rule": routing.rule,
            })),
            refusal: None,
            action: Some(proposed(&action)),
        })
    }

    /// Steps 5 and 6: the result by value or by ref, the ToolRun and the TOOL_CALL entry.
    async fn keep(
        &self,
        scope: &LedgerScope,
        call: &ToolCall,
        tool_run_id: &str,
        cost_class: CostClass,
        outcome: Outcome,
        started: Instant,
    ) -> Result<ToolCallAnswer, ToolGatewayError> {
        let store = &*self.store;
        let (mut result, mut result_ref, mut result_digest, mut result_bytes) =
            (None, None, String::new(), 0u64);
        if let Some(value) = outcome.result {
            let bytes = canonical_json(&value);
            result_digest = sha256_hex(&bytes);
            result_bytes = bytes.len() as u64;
            if bytes.len() > INLINE_RESULT_BYTES {
                let artifact = Artifact::new(&call.tenant_id, "application/json", bytes);
                store.put_artifact(&artifact).await?;
                result_ref = Some(artifact.artifact_key);
            } else {
                result = Some(value);
            }
        }
        let refused = outcome.refusal.is_some();
        let duration_ms = started.elapsed().as_millis() as u64;
        let args_digest = digest_of(&call.args);
        let action_id = outcome.action.as_ref().map(|a| a.action_id.clone());
        let payload = json!({
            "tool_run_id": tool_run_id,
            "tool": call.tool,
            "caller": call.caller.label(),
            "args_digest": args_digest,
            "outcome": if refused { "refused" } else { "ok" },
            "refusal": outcome.refusal,
            "result_digest": result_digest,
            "result_ref": result_ref,
            "result_bytes": result_bytes,
            "cost_class": cost_class,
            "action_id": action_id,
            "duration_ms": duration_ms,
        });
        let ledger_seq = scope
            .append(store, "/tool_call", LedgerKind::ToolCall, None, &payload)
            .await?;
        let run = ToolRun {
            tool_run_id: tool_run_id.to_string(),
            tenant_id: call.tenant_id.clone(),
            trace_id: call.trace_id.clone(),
            tool: call.tool.clone(),
            caller: call.caller.label(),
            args_digest,
            outcome: if refused { "refused" } else { "ok" }.into(),
            refusal: outcome
                .refusal
                .as_ref()
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| {
                    StoreError::new(
                        revloop_store::StoreErrorKind::Internal,
                        format!("tool run refusal: {e}"),
                    )
                })?,
            result,
            result_ref,
            result_digest,
            result_bytes,
            action_id,
            cost_class,
            duration_ms,
            at: call.now,
            ledger_seq,
        };
        let (run, _) = store.record_tool_run(&run).await?;
        let label = match &outcome.refusal {
            Some(r) => serde_json::to_value(r.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            None => "ok".into(),
        };
        crate::metrics::tool_call(&call.tool, &label, cost_class, duration_ms as f64 / 1000.0);
        Ok(ToolCallAnswer::from_run(&run, outcome.action))
    }

    /// A stored result, by value or from its artifact.
    pub async fn result_of(
        &self,
        tenant_id: &str,
        answer: &ToolCallAnswer,
    ) -> Result<Option<Value>, ToolGatewayError> {
        if let Some(value) = &answer.result {
            return Ok(Some(value.clone()));
        }
        let Some(key) = &answer.result_ref else {
            return Ok(None);
        };
        let Some(artifact) = self.store.get_artifact(tenant_id, key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&artifact.content)
            .map(Some)
            .map_err(|e| {
                StoreError::new(
                    revloop_store::StoreErrorKind::Corrupt,
                    format!("tool result artifact {key}: {e}"),
                )
                .into()
            })
    }
}

fn proposed(action: &ActionRecord) -> ProposedAction {
    ProposedAction {
        action_id: action.action_id.clone(),
        account_id: action.account_id.clone(),
        kind: action.proposal.kind.as_str().into(),
        requires_approval: action.routing.as_ref().is_some_and(Routing::needs_approval),
    }
}

/// The write-back policy's routing, or a person's approval when the tool always asks for one.
fn route(spec: &ToolSpec, proposal: &Proposal, config: &TenantConfig) -> Routing {
    let routing = writeback::route(proposal.kind, proposal.confidence, &config.writeback);
    if spec.requires_approval && routing.route == Route::Autonomous {
        return Routing {
            route: Route::Approval,
            class: routing.class,
            rule: format!("tools.{}", spec.name),
            reason: format!("{} always asks a person to approve", spec.name),
        };
    }
    debug_assert!(
        routing.class != ActionClass::ExternalHumanTouch || routing.needs_approval(),
        "customer-facing actions always wait for a person"
    );
    routing
}

fn argument_refusal(e: ToolError) -> Refusal {
    match e {
        ToolError::InvalidArgument {
            pointer, message, ..
        }
        | ToolError::Refused {
            pointer, message, ..
        } => Refusal {
            kind: RefusalKind::InvalidArgument,
            message: format!("argument {pointer}: {message}"),
            pointer: Some(pointer),
            rule: None,
        },
        other => Refusal::new(RefusalKind::InvalidArgument, other.to_string()),
    }
}
