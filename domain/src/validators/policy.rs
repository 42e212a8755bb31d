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

impl Default for GovernancePolicy {
    fn default() -> Self {
        const DAY: i64 = 86_400;
        let ttl = |soft, hard| SourceTtl {
            soft_secs: soft * DAY,
            hard_secs: hard * DAY,
        };
        Self {
            ttls: BTreeMap::from([
                ("crm".to_string(), ttl(7, 30)),
                ("support".to_string(), ttl(2, 14)),
                ("telemetry".to_string(), ttl(2, 7)),
                ("calendar".to_string(), ttl(1, 7)),
                ("news".to_string(), ttl(14, 60)),
            ]),
            default_ttl: ttl(7, 30),
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
