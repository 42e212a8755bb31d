//! The decision protocol (DESIGN §6.4): every decision model answers with one of these.

use serde::{Deserialize, Serialize};

use super::proposal::Proposal;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DecisionMessage {
    ActionProposals { proposals: Vec<Proposal> },
    DataRequest { tool_calls: Vec<serde_json::Value> },
    ClarificationRequest { question: String },
    ApprovalRequest { proposal: Box<Proposal> },
    NoAction { reason: String },
}

impl DecisionMessage {
    pub fn proposals(&self) -> &[Proposal] {
        match self {
            DecisionMessage::ActionProposals { proposals } => proposals,
            _ => &[],
        }
    }
}
