//! Tenant governance settings the validators read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CompliancePolicy, Verdict};

/// Soft and hard time-to-live of one source's data, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTtl {
    pub soft_secs: i64,
    pub hard_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GovernancePolicy {
    /// TTLs per trust class; a source missing here uses `default_ttl`.
    pub ttls: BTreeMap<String, SourceTtl>,
    pub default_ttl: SourceTtl,
    /// What an executable action without evidence gets: BLOCK unless configured to WARN.
    pub ungrounded_verdict: Verdict,
    /// What a conflict with the planning snapshot gets: BLOCK unless configured to WARN.
    pub contradiction_verdict: Verdict,
    pub compliance: CompliancePolicy,
}

impl SourceTtl {
    pub fn days(soft: i64, hard: i64) -> Self {
        const DAY: i64 = 86_400;
        Self {
            soft_secs: soft * DAY,
            hard_secs: hard * DAY,
        }
    }
}

/// How long each source's data stays fresh unless a tenant says otherwise; shared by the
/// freshness validator and the world state, so both call the same data stale.
pub fn default_source_ttls() -> BTreeMap<String, SourceTtl> {
    BTreeMap::from([
        ("contract".to_string(), SourceTtl::days(30, 180)),
        ("crm".to_string(), SourceTtl::days(7, 30)),
        ("support".to_string(), SourceTtl::days(2, 14)),
        ("telemetry".to_string(), SourceTtl::days(2, 7)),
        ("calendar".to_string(), SourceTtl::days(1, 7)),
        ("news".to_string(), SourceTtl::days(14, 60)),
    ])
}

impl Default for GovernancePolicy {
    fn default() -> Self {
        Self {
            ttls: default_source_ttls(),
            default_ttl: SourceTtl::days(7, 30),
            ungrounded_verdict: Verdict::Block,
            contradiction_verdict: Verdict::Block,
            compliance: CompliancePolicy::default(),
        }
    }
}

impl GovernancePolicy {
    pub fn ttl_for(&self, source: &str) -> SourceTtl {
        self.ttls.get(source).copied().unwrap_or(self.default_ttl)
    }
}
