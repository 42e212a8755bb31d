//! DecisionWorkflow: brief → proposals → validators → route. Internal actions execute as child
//! ActionWorkflows; customer-facing ones go to an ApprovalWorkflow that outlives this decision.

use revloop_activities::agent::AgentActivities;
use revloop_activities::contracts::*;
use revloop_activities::decision::DecisionActivities;
use revloop_activities::workflow_ids;
use revloop_domain::validators::{Checkpoint, Verdict};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::action::ActionWorkflow;
use crate::approval::ApprovalWorkflow;
use crate::clarification::ClarificationWorkflow;
use crate::common::{
    Child, activity_options, child_options, model_activity_options, short_activity_options,
    workflow_now,
};
use crate::plan::PlanWorkflow;

#[workflow]
pub struct DecisionWorkflow {
    input: DecisionInput,
}

#[workflow_methods]
impl DecisionWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: DecisionInput) -> Self {
        Self { input }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<DecisionResult> {
        let input = ctx.state(|s| s.input.clone());
        let now = workflow_now(ctx.workflow_time());
        let decision_id = ctx.workflow_id().to_string();
        let (tenant, account, trace) = (
            input.tenant_id.clone(),
            input.account_id.clone(),
            input.trace_id.clone(),
        );

        // Decisions started before this step existed replay without it.
        let (world_snapshots, world_snapshots_ref) = if ctx.patched("account-state-before-brief") {
            ctx.set_current_details("reading the account state".to_string());
            let state = ctx
                .execute_activity(
                    DecisionActivities::account_state,
                    AccountStateInput {
                        tenant_id: tenant.clone(),
                        account_id: account.clone(),
                        trace_id: trace.clone(),
                        as_of: now,
                    },
                    short_activity_options(),
                )
                .await?;
            (state.world_snapshots, state.world_snapshots_ref)
        } else {
            (Vec::new(), None)
        };
        ctx.set_current_details("preparing the brief".to_string());
        let brief = ctx
            .execute_activity(
                DecisionActivities::prepare_brief,
                BriefInput {
                    tenant_id: tenant.clone(),
                    account_id: account.clone(),
                    trace_id: trace.clone(),
                    signal_ids: input.signal_ids.clone(),
                    now,
                    world_snapshots,
                    world_snapshots_ref,
                },
                short_activity_options(),
            )
            .await?;
        let mut propose = ProposeInput {
            tenant_id: tenant.clone(),
            account_id: account.clone(),
            trace_id: trace.clone(),
            decision_id: decision_id.clone(),
            signal_ids: input.signal_ids.clone(),
            brief: brief.clone(),
            now,
            agent: None,
        };
        // The decision agent takes turns: each model call and each tool use is an activity of
        // its own, and history carries their refs. (Briefs from before agents had no rounds.)
        if brief.agent_rounds > 0 && ctx.patched("agent-turns") {
            propose.agent = Some(agent_turns(ctx, &propose).await?);
        }
        ctx.set_current_details("asking the decision model".to_string());
        let proposed = ctx
            .execute_activity(
                DecisionActivities::propose_actions,
                propose,
                activity_options(),
            )
            .await?;
        let mut result = DecisionResult {
            brief_artifact_key: brief.artifact_key,
            message: proposed.message.clone(),
            executed: Vec::new(),
            awaiting_approval: Vec::new(),
            blocked: Vec::new(),
            awaiting_answers: Vec::new(),
            plans: Vec::new(),
        };
        // A fact the decision needs is disputed: a person is asked, and the decision runs
        // again once they answer. The wait outlives this decision, as approvals do. (Only
        // decisions that asked reach this; older histories never did.)
        if !proposed.question_ids.is_empty() && ctx.patched("clarifications") {
            let options = child_options(Child {
                workflow_id: clarification_workflow_id(&decision_id),
                tenant_id: &tenant,
                account_id: Some(&account),
                trace_id: &trace,
                kind: "clarification",
                summary: format!(
                    "{} question(s) about {account}",
                    proposed.question_ids.len()
                ),
                outlive_parent: true,
            });
            let clarification = ClarificationInput {
                tenant_id: tenant.clone(),
                account_id: account.clone(),
                trace_id: trace.clone(),
                decision_id: decision_id.clone(),
                question_ids: proposed.question_ids.clone(),
                signal_ids: input.signal_ids.clone(),
                approval_timeout_secs: input.approval_timeout_secs,
            };
            ctx.start_child_workflow(ClarificationWorkflow::run, clarification, options)
                .await?;
            result.awaiting_answers = proposed.question_ids.clone();
            return Ok(result);
        }
        if proposed.proposals.is_empty() {
            return Ok(result);
        }
        ctx.set_current_details("validating proposals".to_string());
        let verdicts = ctx
            .execute_activity(
                DecisionActivities::validate_proposals,
                ValidateInput {
                    tenant_id: tenant.clone(),
                    trace_id: trace.clone(),
                    action_ids: proposed
                        .proposals
                        .iter()
                        .map(|p| p.action_id.clone())
                        .collect(),
                    checkpoint: Checkpoint::BeforePlanApproval,
                    now,
                },
                short_activity_options(),
            )
            .await?;
        // A plan's steps run in its PlanWorkflow, which outlives this decision as approvals
        // do. (Decisions from before plans never proposed one.)
        let plans = !proposed.plans.is_empty() && ctx.patched("plans");
        if plans {
            for plan in &proposed.plans {
                let options = child_options(Child {
                    workflow_id: workflow_ids::plan(&tenant, &plan.plan_id),
                    tenant_id: &tenant,
                    account_id: Some(&account),
                    trace_id: &trace,
                    kind: "plan",
                    summary: format!("{} plan for {account}: {} steps", plan.name, plan.steps),
                    outlive_parent: true,
                });
                let run = PlanInput {
                    tenant_id: tenant.clone(),
                    plan_id: plan.plan_id.clone(),
                    account_id: account.clone(),
                    trace_id: trace.clone(),
                    approval_timeout_secs: input.approval_timeout_secs,
                };
                ctx.start_child_workflow(PlanWorkflow::run, run, options)
                    .await?;
                result.plans.push(plan.plan_id.clone());
            }
        }
        for proposal in &proposed.proposals {
            if plans && proposal.plan_id.is_some() {
                continue;
            }
            let verdict = verdicts
                .verdicts
                .iter()
                .find(|(id, _)| id == &proposal.action_id)
                .map(|(_, v)| *v);
            if verdict != Some(Verdict::Allow) && verdict != Some(Verdict::Warn) {
                result.blocked.push(proposal.action_id.clone());
                continue;
            }
            if proposal.requires_approval {
                let options = child_options(Child {
                    workflow_id: workflow_ids::approval(&tenant, &proposal.action_id),
                    tenant_id: &tenant,
                    account_id: Some(&account),
                    trace_id: &trace,
                    kind: "approval",
                    summary: format!("approve {} for {account}", proposal.kind),
                    outlive_parent: true,
                });
                let approval = ApprovalInput {
                    tenant_id: tenant.clone(),
                    action_id: proposal.action_id.clone(),
                    trace_id: trace.clone(),
                    timeout_secs: input.approval_timeout_secs,
                };
                ctx.start_child_workflow(ApprovalWorkflow::run, approval, options)
                    .await?;
                result.awaiting_approval.push(proposal.action_id.clone());
            } else {
                let options = child_options(Child {
                    workflow_id: workflow_ids::action(&tenant, &proposal.action_id),
                    tenant_id: &tenant,
                    account_id: Some(&account),
                    trace_id: &trace,
                    kind: "action",
                    summary: format!("{} for {account}", proposal.kind),
                    outlive_parent: false,
                });
                let action = ActionInput {
                    tenant_id: tenant.clone(),
                    action_id: proposal.action_id.clone(),
                    trace_id: trace.clone(),
                };
                let started = ctx
                    .start_child_workflow(ActionWorkflow::run, action, options)
                    .await?;
                let done = started.result().await?;
                if done.status == ActionStatus::Executed {
                    result.executed.push(proposal.action_id.clone());
                } else {
                    result.blocked.push(proposal.action_id.clone());
                }
            }
        }
        Ok(result)
    }
}

/// Runs the agent's turns until it answers or falls back: at most its rounds of tool uses
/// and one last turn that may only answer (`model_turn` enforces the bound).
async fn agent_turns(
    ctx: &mut WorkflowContext<DecisionWorkflow>,
    decision: &ProposeInput,
) -> WorkflowResult<AgentOutcome> {
    let mut conversation_ref = None;
    let mut tool_results = Vec::new();
    let mut round = 1;
    loop {
        // `model_turn` ends the turns by the tenant's bound; this one holds whatever it does.
        if round > decision.brief.agent_rounds + 1 {
            return Ok(AgentOutcome {
                conversation_ref: conversation_ref.unwrap_or_default(),
                rounds: round - 1,
                answer_ref: None,
                fallback: Some(format!(
                    "rounds: {} tool rounds without an answer",
                    decision.brief.agent_rounds
                )),
            });
        }
        ctx.set_current_details(format!("decision agent: turn {round}"));
        let turn = ctx
            .execute_activity(
                AgentActivities::model_turn,
                ModelTurnInput {
                    decision: decision.clone(),
                    round,
                    conversation_ref: conversation_ref.clone(),
                    tool_results: std::mem::take(&mut tool_results),
                },
                model_activity_options(),
            )
            .await?;
        if turn.is_final() || turn.tool_uses.is_empty() {
            let idle = !turn.is_final();
            return Ok(AgentOutcome {
                conversation_ref: turn.conversation_ref,
                rounds: round,
                answer_ref: turn.answer_ref,
                fallback: turn
                    .fallback
                    .or_else(|| idle.then(|| "malformed: a turn with nothing to do".into())),
            });
        }
        for tool_use in &turn.tool_uses {
            ctx.set_current_details(format!("decision agent: {}", tool_use.tool));
            let answered = ctx
                .execute_activity(
                    AgentActivities::call_tool,
                    CallToolInput {
                        tenant_id: decision.tenant_id.clone(),
                        trace_id: decision.trace_id.clone(),
                        conversation_ref: turn.conversation_ref.clone(),
                        tool_use_id: tool_use.tool_use_id.clone(),
                        now: decision.now,
                    },
                    short_activity_options(),
                )
                .await?;
            tool_results.push(ToolResultRef {
                tool_use_id: answered.tool_use_id,
                tool_run_id: answered.tool_run_id,
            });
        }
        conversation_ref = Some(turn.conversation_ref);
        round += 1;
    }
}
