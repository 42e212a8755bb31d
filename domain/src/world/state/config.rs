//! Which sources are trusted, in what order, and how long their data stays fresh.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SchemaPin;
use crate::validators::{SourceTtl, default_source_ttls};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Trusted trust classes, most trusted first. Claims of other classes (news, user input,
    /// agent inference) fill a field only when no trusted source speaks to it.
    pub trusted: Vec<String>,
    /// Soft and hard TTL per trust class; others use `default_ttl`.
    pub ttls: BTreeMap<String, SourceTtl>,
    pub default_ttl: SourceTtl,
    /// Entity types whose states must be checked with exactly this schema version and hash;
    /// others use the latest built-in version.
    pub schemas: BTreeMap<String, SchemaPin>,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            trusted: ["contract", "crm", "support", "telemetry", "calendar"]
                .map(String::from)
                .to_vec(),
            ttls: default_source_ttls(),
            default_ttl: SourceTtl::days(7, 30),
            schemas: BTreeMap::new(),
        }
    }
}

impl StateConfig {
    pub fn ttl_for(&self, trust_class: &str) -> SourceTtl {
        self.ttls
            .get(trust_class)
            .copied()
            .unwrap_or(self.default_ttl)
    }

    /// Position in the trust order (0 = most trusted); `None` for untrusted classes.
    pub fn rank(&self, trust_class: &str) -> Option<usize> {
        self.trusted.iter().position(|t| t == trust_class)
    }
}
