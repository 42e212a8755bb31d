//! Actions: proposals accepted for routing, with their validation, approval and result.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::decision::Proposal;
use std::collections::BTreeMap;

use revloop_domain::budget::{BudgetDecision, CostClass};
use revloop_domain::validators::GatewayOutcome;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Proposed,
    Blocked,
    AwaitingApproval,
    Approved,
    Rejected,
    Expired,
    Executing,
    Executed,
    Failed,
    /// Executed, then reversed by a person (`revloop actions undo`).
    Undone,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Proposed => "proposed",
            ActionStatus::Blocked => "blocked",
            ActionStatus::AwaitingApproval => "awaiting_approval",
            ActionStatus::Approved => "approved",
            ActionStatus::Rejected => "rejected",
            ActionStatus::Expired => "expired",
            ActionStatus::Executing => "executing",
            ActionStatus::Executed => "executed",
            ActionStatus::Failed => "failed",
            ActionStatus::Undone => "undone",
        }
    }
    /// Whether the action has ended for good: it will never be validated or executed again.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            ActionStatus::Executed
                | ActionStatus::Rejected
                | ActionStatus::Expired
                | ActionStatus::Blocked
                | ActionStatus::Failed
                | ActionStatus::Undone
        )
    }

    /// Order for "top actions": what needs a person first, then what is under way, then done.
    pub fn attention_order(self) -> u8 {
        match self {
            ActionStatus::AwaitingApproval => 0,
            ActionStatus::Proposed => 1,
            ActionStatus::Approved | ActionStatus::Executing => 2,
            ActionStatus::Blocked => 3,
            ActionStatus::Executed | ActionStatus::Undone => 4,
            ActionStatus::Failed => 5,
            ActionStatus::Rejected | ActionStatus::Expired => 6,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// One budget decision: which operation asked, at what cost class, and what was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRecord {
    /// `model:{name}`, `tool:{action kind}` or `fetch:{connector}`.
    pub operation: String,
    pub reservation_id: String,
    pub cost_class: CostClass,
    pub decision: BudgetDecision,
    pub ledger_seq: u64,
}

/// One approval signal as received, valid or not: invalid ones are kept with their error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalEvent {
    pub signal: String,
    pub accepted: bool,
    pub approver: Option<String>,
    pub reason: Option<String>,
    pub error: Option<String>,
    pub changes: Option<serde_json::Value>,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub action_id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub trace_id: String,
    pub decision_id: String,
    pub proposal: Proposal,
    pub status: ActionStatus,
    /// The account-view snapshot planning used; the validators check against exactly this.
    #[serde(default)]
    pub snapshot_ref: Option<String>,
    /// The account's world-state snapshots when the action was proposed, one per entity.
    #[serde(default)]
    pub world_snapshots: Vec<String>,
    /// Every gateway run on this action, in order.
    pub validations: Vec<GatewayOutcome>,
    /// Every budget decision taken for this action (the model call that proposed it, its tool
    /// call), in order.
    #[serde(default)]
    pub budget: Vec<BudgetRecord>,
    /// Ledger sequence numbers of this action's governance entries, by
    /// `{checkpoint}/{validator}`, `{checkpoint}/aggregate` or `budget/{operation}`.
    #[serde(default)]
    pub ledger_seqs: BTreeMap<String, u64>,
    pub approval_events: Vec<ApprovalEvent>,
    pub result: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How the write-back policy routed the action when it was proposed (none on actions
    /// proposed before the policy: those are routed by their class alone).
    #[serde(default)]
    pub routing: Option<revloop_domain::decision::writeback::Routing>,
    /// Which model proposed it, when that was not the tenant's choice: `playbooks, instead of
    /// bedrock: budget: …` (the tenant's model fell back, and why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

impl ActionRecord {
    /// The plan this action is a step of, when it is one.
    pub fn plan_id(&self) -> Option<String> {
        self.proposal
            .plan
            .as_ref()
            .map(|of| revloop_domain::decision::plan::plan_id(&self.decision_id, &of.plan))
    }

    /// Whether a person must approve the action before it runs.
    pub fn needs_approval(&self) -> bool {
        self.routing
            .as_ref()
            .map(|r| r.needs_approval())
            .unwrap_or_else(|| self.proposal.kind.requires_approval())
    }

    /// What a person's decision on this action binds to in the ledger: the account's own
    /// world-state snapshot when the action was proposed, else the account view planning used.
    pub fn bound_snapshot(&self) -> Option<String> {
        let own = format!("snap:account:{}@", self.account_id);
        self.world_snapshots
            .iter()
            .find(|s| s.starts_with(&own))
            .cloned()
            .or_else(|| self.snapshot_ref.clone())
    }
}

#[async_trait]
pub trait ActionStore {
    /// Inserts the action unless its id exists; returns the stored action either way.
    async fn create_action(&self, action: &ActionRecord) -> StoreResult<ActionRecord>;
    /// Replaces the stored action (same id, same tenant).
    async fn save_action(&self, action: &ActionRecord) -> StoreResult<()>;
    /// Looks an action up by id alone; callers must check that its tenant is theirs.
    async fn get_action(&self, action_id: &str) -> StoreResult<Option<ActionRecord>>;
    async fn list_actions(
        &self,
        tenant_id: &str,
        status: Option<ActionStatus>,
    ) -> StoreResult<Vec<ActionRecord>>;
    /// Per tenant, how many actions are in `status` and when the oldest of them last changed:
    /// the approval backlog and its age, for operators' metrics (counts only, no content).
    async fn status_backlog(&self, status: ActionStatus) -> StoreResult<Vec<StatusBacklog>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusBacklog {
    pub tenant_id: String,
    pub count: u64,
    pub oldest_updated_at: DateTime<Utc>,
}

impl StatusBacklog {
    /// Counts actions per tenant, each tenant with its oldest `updated_at`, in tenant order.
    pub fn tally<'a>(actions: impl IntoIterator<Item = &'a ActionRecord>) -> Vec<StatusBacklog> {
        let mut by_tenant: BTreeMap<String, StatusBacklog> = BTreeMap::new();
        for action in actions {
            let entry = by_tenant
                .entry(action.tenant_id.clone())
                .or_insert_with(|| StatusBacklog {
                    tenant_id: action.tenant_id.clone(),
                    count: 0,
                    oldest_updated_at: action.updated_at,
                });
            entry.count += 1;
            entry.oldest_updated_at = entry.oldest_updated_at.min(action.updated_at);
        }
        by_tenant.into_values().collect()
    }
}

/// The feed across accounts, the same on every backend: what needs a person first, then the
/// most urgent (most confident) proposal, then each account's own rank, then the newest.
pub fn feed_order(a: &ActionRecord, b: &ActionRecord) -> std::cmp::Ordering {
    a.status
        .attention_order()
        .cmp(&b.status.attention_order())
        .then_with(|| b.proposal.confidence.total_cmp(&a.proposal.confidence))
        .then_with(|| a.proposal.rank.cmp(&b.proposal.rank))
        .then_with(|| b.created_at.cmp(&a.created_at))
        .then_with(|| a.action_id.cmp(&b.action_id))
}
