//! The inputs and outputs of every workflow, signal and activity: versioned serde structs,
//! small (ids and references, never blobs), readable as JSON in the Temporal Web UI.

use chrono::{DateTime, Utc};
/// An action's status, as workflows see it in [`ActionResult`].
pub use revloop_store::ActionStatus;
use serde::{Deserialize, Serialize};

/// Workflow type names, as registered with Temporal and typed into `temporal workflow start`.
pub mod names {
    pub const PERCEPTION_WORKFLOW: &str = "PerceptionWorkflow";
    pub const ACCOUNT_WORKFLOW: &str = "AccountWorkflow";
    pub const DECISION_WORKFLOW: &str = "DecisionWorkflow";
    pub const APPROVAL_WORKFLOW: &str = "ApprovalWorkflow";
    pub const ACTION_WORKFLOW: &str = "ActionWorkflow";
    pub const CLARIFICATION_WORKFLOW: &str = "ClarificationWorkflow";
    pub const UNDO_ACTION_WORKFLOW: &str = "UndoActionWorkflow";
    pub const PLAN_WORKFLOW: &str = "PlanWorkflow";
    /// The PlanWorkflow signals: each carries a plan token for its command.
    pub const PLAN_SIGNALS: [&str; 5] = ["approve", "reject", "pause", "resume", "abort"];
    /// The PlanWorkflow signal that tells a held plan the plan it waited for has ended.
    pub const PLAN_RELEASED: &str = "released";
    /// The ClarificationWorkflow signal that delivers an answer.
    pub const ANSWER: &str = "answer";
    /// The AccountWorkflow signal that delivers newly detected signals.
    pub const SIGNALS_DETECTED: &str = "signals_detected";
}

/// Where a perception run reads its batch from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "connector", rename_all = "snake_case")]
pub enum SourceRef {
    /// A JSONL file on the worker's disk (file drop).
    JsonlFile { path: String },
    /// A batch the API already stored as evidence (HTTP / gRPC push).
    PushedBatch { evidence_id: String },
    /// The delta since the connector's cursor, pulled from its source (scheduled runs).
    Pull { connector_id: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerceptionInput {
    pub tenant_id: String,
    /// Empty for scheduled runs: the run's workflow id becomes the trace id.
    #[serde(default)]
    pub trace_id: String,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub source: SourceRef,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchOutput {
    pub evidence_id: String,
    pub connector: String,
    pub bytes: usize,
    /// For pulls: where the next pull starts, committed once this batch is processed.
    #[serde(default)]
    pub cursor: Option<String>,
    /// True when the budget service blocked the fetch: nothing was read, the cursor stays.
    #[serde(default)]
    pub blocked: bool,
    /// A pull past the bounds of one step ([`crate::batch_sets::MAX_PART_RECORDS`] records or
    /// [`crate::batch_sets::MAX_PART_BYTES`] bytes), stored as that many parts: each is
    /// perceived as its own step, and the cursor moves after the last.
    #[serde(default)]
    pub parts: Option<BatchParts>,
}

/// The stored list of a batch's parts (evidence ids), by key, and how many there are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchParts {
    pub set_key: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitCursorInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub connector_id: String,
    pub cursor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizeInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub evidence_id: String,
    pub now: DateTime<Utc>,
    /// One part of a split pull: the part's evidence is read from the stored list.
    #[serde(default)]
    pub part: Option<BatchPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPart {
    pub set_key: String,
    pub index: usize,
}

/// One record whose content differs from the last version seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordChange {
    pub record_key: String,
    pub account_id: String,
    pub evidence_ref: String,
    pub previous_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizeOutput {
    pub accepted: usize,
    pub unchanged: usize,
    /// Records older (by `updated_at`) than the version already stored, so not applied.
    #[serde(default)]
    pub stale: usize,
    pub rejected: usize,
    /// Inline changes: only in histories recorded before change sets; new runs leave it empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<RecordChange>,
    /// How many records changed, and where their list is stored ([`crate::batch_sets`]).
    #[serde(default)]
    pub changed: usize,
    #[serde(default)]
    pub change_set: Option<String>,
    /// Snapshots written for the touched accounts, and states the schema registry refused.
    #[serde(default)]
    pub world: crate::world::WorldUpdate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectInput {
    pub tenant_id: String,
    pub trace_id: String,
    /// Inline changes, as histories recorded before change sets carry them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<RecordChange>,
    /// The stored change set to read.
    #[serde(default)]
    pub change_set: Option<String>,
    pub now: DateTime<Utc>,
}

/// A signal by reference: enough to route it, the rest is in the store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SignalRef {
    pub signal_id: String,
    pub signal_type: String,
    pub account_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectOutput {
    /// Inline new signals: only in histories recorded before signal sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_signals: Vec<SignalRef>,
    pub already_known: usize,
    /// How many new signals, and where their list is stored.
    #[serde(default)]
    pub new_signal_count: usize,
    #[serde(default)]
    pub signal_set: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmitInput {
    pub tenant_id: String,
    pub trace_id: String,
    /// Inline signals, as histories recorded before signal sets carry them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<SignalRef>,
    #[serde(default)]
    pub signal_set: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmitOutput {
    /// The first accounts signalled ([`crate::batch_sets::SAMPLE`] at most).
    pub accounts: Vec<String>,
    /// How many accounts were signalled in all.
    #[serde(default)]
    pub account_count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerceptionResult {
    pub evidence_id: String,
    pub accepted: usize,
    pub rejected: usize,
    pub changed: usize,
    /// Records older than the version already stored (not applied).
    #[serde(default)]
    pub stale: usize,
    pub new_signals: usize,
    /// The first accounts signalled; `account_count` says how many in all.
    pub accounts: Vec<String>,
    #[serde(default)]
    pub account_count: usize,
    /// The first entity states the schema registry refused (nothing was written for them).
    #[serde(default)]
    pub world_errors: Vec<String>,
    /// How many bounded steps the batch was perceived in (1 unless a pull was split).
    #[serde(default)]
    pub parts: usize,
}

/// The AccountWorkflow's input, also what it carries over continue-as-new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInput {
    pub tenant_id: String,
    pub account_id: String,
    pub debounce_secs: u64,
    pub approval_timeout_secs: u64,
    /// Signals received but not yet decided on (carried over continue-as-new).
    #[serde(default)]
    pub pending: Vec<SignalRef>,
    #[serde(default)]
    pub pending_trace_id: Option<String>,
    /// Decisions started by earlier runs, so child workflow ids never repeat.
    #[serde(default)]
    pub decisions_started: u64,
    /// Continue as new past this many history events (default 2000).
    #[serde(default)]
    pub max_history_events: Option<u32>,
}

/// Payload of the `signals_detected` signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalBatch {
    pub trace_id: String,
    pub signals: Vec<SignalRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionInput {
    pub tenant_id: String,
    pub account_id: String,
    pub trace_id: String,
    pub signal_ids: Vec<String>,
    pub approval_timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountStateInput {
    pub tenant_id: String,
    pub account_id: String,
    pub trace_id: String,
    pub as_of: DateTime<Utc>,
}

/// The account state a decision starts from, as the Temporal UI shows it in the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountStateOutput {
    pub state: revloop_domain::world::AccountState,
    /// The account's own world-state snapshot, `snap:account:{id}@{hash}`.
    pub snapshot_ref: Option<String>,
    /// Every entity's latest stored snapshot the state rests on (decisions from before
    /// `world_snapshots_ref`; now empty, as the list grows with the account).
    #[serde(default)]
    pub world_snapshots: Vec<String>,
    /// The stored list of those snapshots: history carries its ref, whatever its length.
    #[serde(default)]
    pub world_snapshots_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefInput {
    pub tenant_id: String,
    pub account_id: String,
    pub trace_id: String,
    pub signal_ids: Vec<String>,
    pub now: DateTime<Utc>,
    /// The world-state snapshots of the account state the decision started from; the brief
    /// passes them on to everything decided on it.
    #[serde(default)]
    pub world_snapshots: Vec<String>,
    /// The same, stored: see [`AccountStateOutput::world_snapshots_ref`].
    #[serde(default)]
    pub world_snapshots_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefOutput {
    pub artifact_key: String,
    /// Key of the stored, immutable account view the brief was computed from: what the
    /// proposals, validators and approval bind to.
    pub snapshot_ref: String,
    /// The account's world-state snapshots the brief was prepared on (`snap:{type}:{id}@{hash}`,
    /// the latest stored per entity): what the decision and its actions are bound to.
    #[serde(default)]
    pub world_snapshots: Vec<String>,
    /// The same, stored: see [`AccountStateOutput::world_snapshots_ref`].
    #[serde(default)]
    pub world_snapshots_ref: Option<String>,
    /// The tool rounds the tenant's decision agent may take before it answers (its
    /// `[decision.bedrock] max_rounds`); 0 when the tenant's model answers in one step.
    #[serde(default)]
    pub agent_rounds: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposeInput {
    pub tenant_id: String,
    pub account_id: String,
    pub trace_id: String,
    pub decision_id: String,
    pub signal_ids: Vec<String>,
    pub brief: BriefOutput,
    pub now: DateTime<Utc>,
    /// How the decision agent's turns ended, when they ran: its answer (by ref) or why it
    /// fell back. Absent: the tenant's model is asked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentOutcome>,
}

/// One turn of the decision agent: the decision it works on, its round, the conversation so
/// far (by ref) and the tool runs that answer the previous turn's tool uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTurnInput {
    pub decision: ProposeInput,
    /// From 1.
    pub round: u32,
    pub conversation_ref: Option<String>,
    #[serde(default)]
    pub tool_results: Vec<ToolResultRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResultRef {
    pub tool_use_id: String,
    pub tool_run_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUseRef {
    pub tool_use_id: String,
    pub tool: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTurnOutput {
    pub round: u32,
    /// The conversation with this turn's answer (`art-` + its SHA-256).
    pub conversation_ref: String,
    /// Tools the model asked for: answer each with `call_tool`, then take the next turn.
    #[serde(default)]
    pub tool_uses: Vec<ToolUseRef>,
    /// The model's `submit_decision` input, stored: the turns are over.
    #[serde(default)]
    pub answer_ref: Option<String>,
    /// Why the turns are over without an answer (budget, malformed, rounds, model error).
    #[serde(default)]
    pub fallback: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl ModelTurnOutput {
    pub fn is_final(&self) -> bool {
        self.answer_ref.is_some() || self.fallback.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallToolInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub conversation_ref: String,
    pub tool_use_id: String,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallToolOutput {
    pub tool_use_id: String,
    pub tool_run_id: String,
    pub refused: bool,
    /// Where a result over 8 KB is.
    #[serde(default)]
    pub result_ref: Option<String>,
    pub result_bytes: u64,
}

/// How the agent's turns ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentOutcome {
    pub conversation_ref: String,
    pub rounds: u32,
    #[serde(default)]
    pub answer_ref: Option<String>,
    #[serde(default)]
    pub fallback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalRef {
    pub action_id: String,
    pub kind: String,
    pub rank: u32,
    pub requires_approval: bool,
    /// The write-back policy's routing, ledgered with the proposal (absent in decisions made
    /// before the policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<revloop_domain::decision::writeback::Routing>,
    /// The plan this proposal is a step of: it runs in that plan's PlanWorkflow, not alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
}

/// A plan the decision proposed: its steps run, in order, in a PlanWorkflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRef {
    pub plan_id: String,
    pub name: String,
    pub steps: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposeOutput {
    /// The protocol message type the model answered with.
    pub message: String,
    pub model: String,
    pub proposals: Vec<ProposalRef>,
    /// The questions this decision asked (CLARIFICATION_REQUEST) and that wait for an answer;
    /// one already open for the same field is not asked again.
    #[serde(default)]
    pub question_ids: Vec<String>,
    /// The plans among the proposals (absent in decisions made before plans).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<PlanRef>,
}

/// The AccountWorkflow looks at the account's calendar (patch `meeting-timer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingTimerInput {
    pub tenant_id: String,
    pub account_id: String,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingTimerOutput {
    /// MEETING_UPCOMING signals raised now (a meeting within the brief lead, not signalled
    /// before), at most [`MAX_MEETING_SIGNALS`].
    pub signals: Vec<SignalRef>,
    /// When to look again: the next brief's time, or the recheck.
    pub wake_at: DateTime<Utc>,
}

/// The most meetings one calendar look raises signals for.
pub const MAX_MEETING_SIGNALS: usize = 50;

/// The workflow that waits for the answers to a decision's questions.
pub fn clarification_workflow_id(decision_id: &str) -> String {
    decision_id.replacen("/decision/", "/clarification/", 1)
}

/// A decision's questions, waiting for their answers (or their expiry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClarificationInput {
    pub tenant_id: String,
    pub account_id: String,
    pub trace_id: String,
    /// The decision that asked; once every question is answered it runs again.
    pub decision_id: String,
    pub question_ids: Vec<String>,
    pub signal_ids: Vec<String>,
    pub approval_timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenQuestionsInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub question_ids: Vec<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenQuestionsOutput {
    /// The questions still open, and when the wait for them ends.
    pub open: usize,
    pub expire_after_secs: u64,
}

/// An `answer` signal, raw: the activity checks its shape and its answer token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerEventInput {
    pub tenant_id: String,
    pub trace_id: String,
    /// The questions the waiting workflow holds: an answer to any other is refused.
    pub question_ids: Vec<String>,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerEventOutput {
    pub accepted: bool,
    pub error: Option<String>,
    pub question_id: Option<String>,
    /// The answer token's subject.
    pub answered_by: Option<String>,
    /// Of the workflow's questions, how many are still open.
    pub open: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpireQuestionsInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub question_ids: Vec<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClarificationResult {
    pub answered: usize,
    pub expired: usize,
    /// Answer signals refused (no token, another question, malformed).
    pub refused_signals: usize,
    /// The decision that ran again on the answers, when every question was answered.
    pub redecision_id: Option<String>,
    pub redecision: Option<DecisionResult>,
}

/// "What should I do next?" on one account, asked through the AccountWorkflow's
/// `next_best_actions` Update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextActionsInput {
    pub tenant_id: String,
    pub account_id: String,
    /// Who asked, as the caller states it: the API passes its verified subject; a Temporal
    /// client may write anything here, so it is a label in the ledger, never an authority.
    #[serde(default)]
    pub asked_by: String,
    /// Workflow time when the Update ran (filled in by the workflow).
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
}

/// What the caller of the `next_best_actions` Update sends: only who asks (the account is the
/// workflow's own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NextActionsAsk {
    pub asked_by: String,
}

/// The ranked proposals for an account now: suggestions only (no action is created); the
/// question and the answer are ledgered as INTENT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextActions {
    pub account_id: String,
    /// The protocol message (`ACTION_PROPOSALS`, `NO_ACTION`, …).
    pub message: String,
    pub model: String,
    /// Why there is nothing to do, for NO_ACTION.
    #[serde(default)]
    pub reason: String,
    /// How many current (unexpired) signals the answer rests on.
    pub signal_count: usize,
    /// At most [`MAX_NEXT_ACTIONS`], best first.
    pub proposals: Vec<SuggestedAction>,
    pub ledger_seq: u64,
}

/// The most proposals a "what next?" answer carries.
pub const MAX_NEXT_ACTIONS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedAction {
    pub rank: u32,
    pub kind: String,
    pub title: String,
    pub why_now: String,
    pub confidence: f64,
    pub requires_approval: bool,
    pub playbook: String,
    pub evidence_refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub action_ids: Vec<String>,
    pub checkpoint: revloop_domain::validators::Checkpoint,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// (action id, aggregate verdict) in input order.
    pub verdicts: Vec<(String, revloop_domain::validators::Verdict)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionResult {
    pub brief_artifact_key: String,
    pub message: String,
    pub executed: Vec<String>,
    pub awaiting_approval: Vec<String>,
    pub blocked: Vec<String>,
    /// Questions asked of a person; the decision runs again once they are answered.
    #[serde(default)]
    pub awaiting_answers: Vec<String>,
    /// Plans started, each in its PlanWorkflow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalInput {
    pub tenant_id: String,
    pub action_id: String,
    pub trace_id: String,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenApprovalInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub action_id: String,
}

/// One approval signal as received, checked inside the workflow (never by serde at the
/// boundary: a payload that fails to decode would wedge the workflow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalEventInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub action_id: String,
    pub signal: String,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalEventOutput {
    pub accepted: bool,
    pub error: Option<String>,
    /// `approved`, `rejected` or `expired` once decided.
    pub decision: Option<String>,
    /// Who decided: the approval token's subject (absent for expiry, and in histories
    /// recorded before tokens).
    #[serde(default)]
    pub approver: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalResult {
    pub action_id: String,
    pub decision: String,
    pub approver: Option<String>,
    pub invalid_signals: usize,
    /// Signals that came after the decision, recorded on the action as ignored.
    #[serde(default)]
    pub late_signals: usize,
    pub executed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionInput {
    pub tenant_id: String,
    pub action_id: String,
    pub trace_id: String,
}

/// A person's request to reverse an executed action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoInput {
    pub tenant_id: String,
    pub action_id: String,
    /// The action's trace: the undo is ledgered under it, beside the execution.
    pub trace_id: String,
    /// Who asked (the token's subject).
    pub requested_by: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoOutput {
    pub action_id: String,
    /// False when the action cannot be undone; `detail` says why.
    pub undone: bool,
    /// The compensation's effect (`crm_field_restored`, `crm_task_deleted`, …), empty when refused.
    pub effect: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecuteOutput {
    pub action_id: String,
    pub effect: String,
    /// False when a retry found the effect already done.
    pub created: bool,
    pub result: serde_json::Value,
    /// True when the budget service blocked the tool call: nothing was executed.
    #[serde(default)]
    pub blocked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub action_id: String,
    /// Serialized as the status's own name (`executed`, `blocked`, `awaiting_approval`), so
    /// histories recorded when this was a string replay unchanged.
    pub status: ActionStatus,
    pub effect: Option<String>,
    /// From `open_approval`: the tenant's reminder, escalation and expiry times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_timers: Option<ApprovalTimers>,
}

/// When an approval request is reminded, escalated and expired (seconds after it opened; 0:
/// never), from the tenant's `[approval]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalTimers {
    pub remind_after_secs: u64,
    pub escalate_after_secs: u64,
    pub expire_after_secs: Option<u64>,
    pub escalate_to: String,
}

/// A reminder or an escalation that fired on an approval request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalNoticeInput {
    pub tenant_id: String,
    pub trace_id: String,
    pub action_id: String,
    /// `reminder` or `escalation`.
    pub notice: String,
    /// Who it goes to: the approvers, or the escalation target.
    pub to: String,
    pub at: DateTime<Utc>,
}

/// A PlanWorkflow's input: the plan lives in the store; the workflow carries its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInput {
    pub tenant_id: String,
    pub plan_id: String,
    pub account_id: String,
    pub trace_id: String,
    /// How long the plan (or a step, under per-step approval) waits for a person, unless the
    /// tenant's `[approval] expire_after_secs` says otherwise.
    pub approval_timeout_secs: u64,
}

/// Which plan an activity works on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanKey {
    pub tenant_id: String,
    pub plan_id: String,
    pub trace_id: String,
    pub at: DateTime<Utc>,
}

/// One step as the workflow needs it: bounded by the plan's step limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStepRef {
    pub step: u32,
    pub action_id: String,
    pub kind: String,
    /// It waits for its own approval at its turn (per-step approval).
    pub waits_for_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOpened {
    /// `proposed` (waits for its approval), `approved`, `paused`, `held`, or an end status.
    pub status: revloop_domain::decision::plan::PlanStatus,
    /// The live plan it conflicts with, while held.
    pub held_by: Option<String>,
    pub steps: Vec<PlanStepRef>,
    /// The tenant's `[approval] expire_after_secs`, when set.
    pub expire_after_secs: Option<u64>,
    /// Set when the plan cannot start (a step blocked when it was proposed).
    pub end: Option<revloop_domain::decision::plan::PlanEnd>,
    /// The whole plan waits for a person's approval (paused or not).
    pub awaits_approval: bool,
}

/// A command signal as the PlanWorkflow received it (raw JSON, checked by the activity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanCommandInput {
    pub tenant_id: String,
    pub plan_id: String,
    pub trace_id: String,
    pub signal: String,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
    /// The command's place among the ones this plan run received (from 0): a retried attempt
    /// finds its event at that place and answers the same.
    #[serde(default)]
    pub seq: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanCommandOutcome {
    pub accepted: bool,
    pub change: Option<revloop_domain::decision::plan::PlanChange>,
    /// Who gave the command: the token's subject.
    pub by: Option<String>,
    pub error: Option<String>,
}

/// A step's progress, recorded on the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStepUpdate {
    pub tenant_id: String,
    pub plan_id: String,
    pub trace_id: String,
    pub step: u32,
    pub status: revloop_domain::decision::plan::PlanStepStatus,
    #[serde(default)]
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// What a step's run left behind for the plan's end: the first blocking validator, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStepRecorded {
    pub validator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFinishInput {
    pub tenant_id: String,
    pub plan_id: String,
    pub trace_id: String,
    pub end: revloop_domain::decision::plan::PlanEnd,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFinished {
    pub status: revloop_domain::decision::plan::PlanStatus,
    /// Plans that were held by this one: each is told to try again.
    pub released: Vec<String>,
}

/// What a plan run ended in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanResult {
    pub plan_id: String,
    pub status: revloop_domain::decision::plan::PlanStatus,
    pub reason: String,
    /// Steps that ran, in order.
    pub executed: Vec<u32>,
    /// Steps compensated, in the order they were.
    pub compensated: Vec<u32>,
}
