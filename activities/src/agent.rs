//! The decision agent's activities: one model turn (`model_turn`) and one tool use
//! (`call_tool`). The DecisionWorkflow alternates them, so its timeline shows every model call
//! and every tool call, and history carries only refs: the conversation, the answer and any
//! large tool result live in the store, content-addressed.
//!
//! A turn is bounded: past the tenant's `max_rounds`, over the EXPENSIVE token budget, with a
//! malformed answer or a model that refuses the call, the turns end with a `fallback` reason
//! and the playbooks decide instead (the decision ledgers why). A throttled call is retried by
//! Temporal, never by the SDK.

use std::sync::Arc;

use revloop_domain::budget::CostClass;
use revloop_domain::hashing::canonical_json;
use revloop_domain::ledger::LedgerKind;
use revloop_domain::validators::Verdict;
use revloop_store::{Artifact, Store};
use serde_json::{Value, json};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::contracts::*;
use crate::decision::load_inputs;
use crate::governance::{BudgetCall, LedgerScope, reserve_budget, settle_budget};
use crate::ledger_hook::{LedgerRecord, record};
use crate::models::bedrock::conversation::{self, Block, Conversation, Role, Turn};
use crate::models::bedrock::{
    self, BedrockModel, ConverseError, MAX_TOOL_USES_PER_TURN, Next, SUBMIT_DECISION,
};
use crate::tools::gateway::ToolCallAnswer;
use crate::tools::{Access, ToolCall, ToolCaller, ToolGateway, ToolSpec};
use crate::{Deps, error, metrics};

pub const ANSWER_CONTENT_TYPE: &str = "application/vnd.revloop.model-answer+json";

pub struct AgentActivities {
    deps: Deps,
    model: Option<BedrockModel>,
    gateway: Arc<ToolGateway>,
}

/// The tool result the model reads for one tool run: its result, or its refusal.
async fn tool_result_block(
    store: &dyn Store,
    gateway: &ToolGateway,
    tenant_id: &str,
    tool_use_id: &str,
    tool_run_id: &str,
) -> Result<Block, ActivityError> {
    let run = store
        .get_tool_run(tenant_id, tool_run_id)
        .await
        .map_err(error::store)?
        .ok_or_else(|| error::non_retryable(error::NOT_FOUND, format!("tool run {tool_run_id}")))?;
    let answer = ToolCallAnswer::from_run(&run, None);
    let (content, is_error) = match &answer.refusal {
        Some(refusal) => (json!({ "refused": refusal.message }), true),
        None => (
            gateway
                .result_of(tenant_id, &answer)
                .await
                .map_err(|e| {
                    error::store(revloop_store::StoreError::new(
                        revloop_store::StoreErrorKind::Unavailable,
                        e.to_string(),
                    ))
                })?
                .unwrap_or(Value::Null),
            false,
        ),
    };
    Ok(Block::ToolResult {
        id: tool_use_id.to_string(),
        content: json!({ "result": content }),
        is_error,
    })
}

/// What a turn that ends without an answer says.
fn fallback(round: u32, conversation_ref: String, reason: String) -> ModelTurnOutput {
    metrics::model_fallback(reason.split(':').next().unwrap_or_default());
    ModelTurnOutput {
        round,
        conversation_ref,
        tool_uses: Vec::new(),
        answer_ref: None,
        fallback: Some(reason),
        input_tokens: 0,
        output_tokens: 0,
    }
}

impl AgentActivities {
    pub fn new(deps: Deps, model: Option<BedrockModel>) -> Self {
        let gateway = Arc::new(ToolGateway::new(deps.store.clone(), deps.memory.clone()));
        Self {
            deps,
            model,
            gateway,
        }
    }

    /// The read tools the agent is offered.
    fn read_tools(&self) -> Vec<ToolSpec> {
        self.gateway
            .specs()
            .into_iter()
            .filter(|s| s.access == Access::Read)
            .collect()
    }

    /// The conversation as the model will see it this turn: the first turn builds it from the
    /// account; later turns add the tool results to the stored one.
    async fn conversation(&self, input: &ModelTurnInput) -> Result<Conversation, ActivityError> {
        let store = &*self.deps.store;
        let tenant = &input.decision.tenant_id;
        let mut conversation = match &input.conversation_ref {
            None => {
                let loaded = load_inputs(&self.deps, &input.decision).await?;
                let context = loaded.context(&input.decision);
                Conversation {
                    system: bedrock::system_prompt(),
                    turns: vec![Turn {
                        role: Role::User,
                        blocks: vec![Block::Text {
                            text: bedrock::context_text(&context),
                        }],
                    }],
                }
            }
            Some(key) => conversation::load(store, tenant, key)
                .await
                .map_err(error::store)?,
        };
        if !input.tool_results.is_empty() {
            let mut blocks = Vec::new();
            for r in &input.tool_results {
                blocks.push(
                    tool_result_block(store, &self.gateway, tenant, &r.tool_use_id, &r.tool_run_id)
                        .await?,
                );
            }
            // Tool uses past the per-turn bound were never run: the model reads why.
            if let Some(last) = conversation.turns.last() {
                let answered: Vec<&str> = input
                    .tool_results
                    .iter()
                    .map(|r| r.tool_use_id.as_str())
                    .collect();
                for block in &last.blocks {
                    if let Block::ToolUse { id, name, .. } = block
                        && name != SUBMIT_DECISION
                        && !answered.contains(&id.as_str())
                    {
                        blocks.push(Block::ToolResult {
                            id: id.clone(),
                            content: json!({ "refused": format!("at most {MAX_TOOL_USES_PER_TURN} tool uses per turn") }),
                            is_error: true,
                        });
                    }
                }
            }
            conversation.turns.push(Turn {
                role: Role::User,
                blocks,
            });
        }
        Ok(conversation)
    }
}

#[activities]
impl AgentActivities {
    /// One Converse call within its token budget (an estimate reserved before, the real count
    /// settled after). Stores the conversation with the model's turn and, when the model
    /// submitted its decision, the answer.
    #[activity]
    pub async fn model_turn(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ModelTurnInput,
    ) -> Result<ModelTurnOutput, ActivityError> {
        let store = &*self.deps.store;
        let decision = &input.decision;
        let tenant = decision.tenant_id.as_str();
        let config = crate::decision::tenant_config(store, tenant).await?;
        let settings = &config.decision.bedrock;
        let mut conversation = self.conversation(&input).await?;
        // The conversation as sent, stored only when the turn ends without a reply to add.
        let before = |conversation: &Conversation| {
            let conversation = conversation.clone();
            async move {
                conversation::store(store, tenant, &conversation)
                    .await
                    .map_err(error::store)
            }
        };
        let scope = LedgerScope::from_activity(&ctx, tenant, &decision.trace_id);
        let out = if input.round > settings.max_rounds + 1 {
            fallback(
                input.round,
                before(&conversation).await?,
                format!(
                    "rounds: the model used its {} tool rounds without answering",
                    settings.max_rounds
                ),
            )
        } else if let Some(model) = &self.model {
            // Tokens in: about one per four characters sent; out: at most the cap.
            let estimate =
                (conversation.chars() / 4) as u64 + u64::from(settings.max_output_tokens);
            let budget = reserve_budget(
                store,
                &scope,
                &config.budgets,
                &BudgetCall {
                    operation: format!("model:{}", bedrock::MODEL_NAME),
                    cost_class: CostClass::Expensive,
                    account_id: Some(decision.account_id.clone()),
                    plan_id: Some(decision.decision_id.clone()),
                    tool: Some(format!("model:{}", bedrock::MODEL_NAME)),
                    amount: estimate,
                    at: decision.now,
                },
            )
            .await
            .map_err(error::store)?;
            if budget.decision.verdict == Verdict::Block {
                fallback(
                    input.round,
                    before(&conversation).await?,
                    format!("budget: {}", budget.decision.reason()),
                )
            } else {
                // The last round may only answer: tools beyond it would never be read.
                let tools = if input.round > settings.max_rounds {
                    Vec::new()
                } else {
                    self.read_tools()
                };
                let called = model
                    .converse(
                        &settings.model_id,
                        &conversation,
                        &tools,
                        settings.max_output_tokens,
                    )
                    .await;
                let reply = match called {
                    Ok(reply) => reply,
                    Err(ConverseError::Throttled(e)) => {
                        // The reservation stays held: the retry (same activity, same
                        // reservation) settles it with what the call that succeeds used.
                        return Err(error::classify(error::ActivityFailure::retryable(e)));
                    }
                    Err(ConverseError::Failed(e)) => {
                        settle_budget(store, tenant, &budget, 0)
                            .await
                            .map_err(error::store)?;
                        return self
                            .finish(
                                &ctx,
                                decision,
                                fallback(
                                    input.round,
                                    before(&conversation).await?,
                                    format!("model_error: {e}"),
                                ),
                            )
                            .await;
                    }
                };
                settle_budget(
                    store,
                    tenant,
                    &budget,
                    reply.input_tokens + reply.output_tokens,
                )
                .await
                .map_err(error::store)?;
                metrics::model_tokens(bedrock::MODEL_NAME, reply.input_tokens, reply.output_tokens);
                let next = bedrock::next(&reply);
                conversation.turns.push(reply.turn.clone());
                let conversation_ref = conversation::store(store, tenant, &conversation)
                    .await
                    .map_err(error::store)?;
                let mut out = ModelTurnOutput {
                    round: input.round,
                    conversation_ref: conversation_ref.clone(),
                    tool_uses: Vec::new(),
                    answer_ref: None,
                    fallback: None,
                    input_tokens: reply.input_tokens,
                    output_tokens: reply.output_tokens,
                };
                match next {
                    Next::Submit(answer) => {
                        let answer = bedrock::to_protocol(&decision.decision_id, &answer);
                        let artifact =
                            Artifact::new(tenant, ANSWER_CONTENT_TYPE, canonical_json(&answer));
                        store.put_artifact(&artifact).await.map_err(error::store)?;
                        out.answer_ref = Some(artifact.artifact_key);
                    }
                    Next::UseTools(_) if input.round > settings.max_rounds => {
                        out = fallback(
                            input.round,
                            conversation_ref,
                            format!(
                                "rounds: the model used its {} tool rounds without answering",
                                settings.max_rounds
                            ),
                        );
                    }
                    Next::UseTools(uses) => {
                        out.tool_uses = uses
                            .into_iter()
                            .take(MAX_TOOL_USES_PER_TURN)
                            .map(|(tool_use_id, tool)| ToolUseRef { tool_use_id, tool })
                            .collect();
                    }
                    Next::Malformed(reason) => {
                        out = fallback(
                            input.round,
                            conversation_ref,
                            format!("malformed: {reason}"),
                        );
                    }
                }
                out
            }
        } else {
            fallback(
                input.round,
                before(&conversation).await?,
                "model_error: this worker has no Bedrock client configured".into(),
            )
        };
        self.finish(&ctx, decision, out).await
    }

    /// Answers one tool use of the model's turn through the ToolGateway, as the decision agent.
    #[activity]
    pub async fn call_tool(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: CallToolInput,
    ) -> Result<CallToolOutput, ActivityError> {
        let store = &*self.deps.store;
        let conversation = conversation::load(store, &input.tenant_id, &input.conversation_ref)
            .await
            .map_err(error::store)?;
        let (tool, args) = conversation.tool_use(&input.tool_use_id).ok_or_else(|| {
            error::non_retryable(
                error::NOT_FOUND,
                format!(
                    "tool use {} in conversation {}",
                    input.tool_use_id, input.conversation_ref
                ),
            )
        })?;
        let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
        let call = ToolCall {
            tenant_id: input.tenant_id.clone(),
            trace_id: input.trace_id.clone(),
            tool: tool.to_string(),
            args: args.clone(),
            caller: ToolCaller::DecisionAgent,
            now: input.now,
        };
        let answer = self
            .gateway
            .call(&scope, &call)
            .await
            .map_err(error::classify)?;
        Ok(CallToolOutput {
            tool_use_id: input.tool_use_id,
            tool_run_id: answer.tool_run_id,
            refused: answer.refusal.is_some(),
            result_ref: answer.result_ref,
            result_bytes: answer.result_bytes,
        })
    }
}

impl AgentActivities {
    /// Ledgers the turn (refs, tokens, what comes next) and answers it.
    async fn finish(
        &self,
        ctx: &ActivityContext,
        decision: &ProposeInput,
        out: ModelTurnOutput,
    ) -> Result<ModelTurnOutput, ActivityError> {
        record(
            &*self.deps.store,
            ctx,
            LedgerRecord {
                tenant_id: &decision.tenant_id,
                trace_id: &decision.trace_id,
                kind: LedgerKind::Decision,
                snapshot_ref: Some(decision.brief.snapshot_ref.clone()),
                result: &json!({ "model_turn": out, "model": bedrock::MODEL_NAME }),
            },
        )
        .await?;
        Ok(out)
    }
}
