//! What sources claim: one value of one field of one entity, from one piece of evidence.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An entity of the world model: `account:acme`, `contact:c1`, `contract:k9`, …
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    pub entity_type: String,
    pub entity_id: String,
}

impl EntityRef {
    pub fn new(entity_type: &str, entity_id: &str) -> Self {
        Self {
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
        }
    }
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.entity_type, self.entity_id)
    }
}

/// One source's claim about one field, as read from one record version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub entity: EntityRef,
    pub field: String,
    pub value: serde_json::Value,
    /// The record version the claim was read from (`rec:…@…`).
    pub evidence_id: String,
    /// The system that said it (`salesforce`, `contracts`, …): one claim per source counts.
    pub source: String,
    /// `crm`, `contract`, `support`, `telemetry`, `calendar`, `news`, `user_input`,
    /// `agent_inference`.
    pub trust_class: String,
    /// When revloop observed it.
    pub observed_at: DateTime<Utc>,
    /// 0..=1: how sure the source is (a mapped field may be less sure than a native one).
    pub confidence: f64,
}
