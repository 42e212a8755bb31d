//! What every decision model is shown, whatever it is (the playbooks, a language model): the
//! account's facts, the signals being decided, the brief, what semantic memory recalls, and
//! the tools it may ask for. Nothing in it belongs to one model; a model reads its own tenant
//! settings from the tenant config.

use chrono::{DateTime, Utc};
use revloop_domain::decision::{MeetingBrief, ModelInputRefs};
use revloop_domain::signals::Signal;
use revloop_domain::world::AccountFacts;
use revloop_store::TenantConfig;
use serde::{Deserialize, Serialize};

use crate::memory::{MemoryHit, MemoryIndex};

/// How many memory chunks a decision is shown.
pub const MEMORY_HITS: usize = 5;

/// A tool the model may ask for in a DATA_REQUEST, as the tool catalog describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDescription {
    pub name: String,
    /// Written for a model: when to use it, what it returns.
    pub description: String,
    /// JSON Schema of its arguments.
    pub parameters: serde_json::Value,
    pub requires_approval: bool,
}

pub struct DecisionContext<'a> {
    /// The decision's id (its workflow id): proposal ids derive from it.
    pub decision_id: &'a str,
    /// The account's world as of the decision: entity states with confidence, freshness and
    /// disputes; posture, risks and unknowns; recent usage.
    pub facts: &'a AccountFacts,
    pub signals: &'a [Signal],
    pub brief: &'a MeetingBrief,
    /// Where the stored brief lives, so "attach brief" can point at it.
    pub brief_artifact_key: &'a str,
    /// What semantic memory recalls for these signals on this account, each citing its record.
    pub memory: &'a [MemoryHit],
    /// The tools the model may ask for. No tool is registered yet, so a DATA_REQUEST cannot be
    /// answered and is refused by the protocol check like any other broken answer.
    pub tools: &'a [ToolDescription],
    pub config: &'a TenantConfig,
    pub now: DateTime<Utc>,
}

impl DecisionContext<'_> {
    /// What a model's answer may cite: the signals and their evidence, and the records memory
    /// recalled.
    pub fn input_refs(&self) -> ModelInputRefs {
        let mut refs = ModelInputRefs::from_signals(self.signals);
        refs.evidence_refs
            .extend(self.memory.iter().map(|h| h.chunk.evidence_ref.clone()));
        refs
    }
}

/// The memory query for a decision: the signals' subjects in words ("usage drop percent
/// support sev2 aging"), which match the notes, tickets and meetings that speak of them.
pub fn memory_query(signals: &[Signal]) -> String {
    let mut words: Vec<String> = signals
        .iter()
        .map(|s| s.signal_type.as_str().to_lowercase().replace('_', " "))
        .collect();
    words.sort();
    words.dedup();
    words.join(" ")
}

/// The account's memory hits for the signals, best first. Recall is an aid, not a
/// precondition: an index that cannot answer gives no hits, and the decision goes on.
pub async fn recall(
    memory: &dyn MemoryIndex,
    tenant_id: &str,
    account_id: &str,
    signals: &[Signal],
) -> Vec<MemoryHit> {
    let query = memory_query(signals);
    if query.is_empty() {
        return Vec::new();
    }
    match memory
        .search(tenant_id, Some(account_id), &query, MEMORY_HITS)
        .await
    {
        Ok(hits) => hits,
        Err(e) => {
            tracing::warn!(tenant_id, account_id, error = %e, "memory recall failed; deciding without it");
            Vec::new()
        }
    }
}
