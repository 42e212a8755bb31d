//! The signal value and its type names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hashing::short_id;
use crate::ids::{AccountId, TenantId};

/// Every signal type of DESIGN §6.2. The serialized names are stable ledger vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignalType {
    RenewalWindowEntered,
    CloseDateSlipped,
    StakeholderChanged,
    SupportSev2Aging,
    UsageDropPercent,
    #[serde(rename = "NO_MEETING_IN_21_DAYS")]
    NoMeetingIn21Days,
    OpportunityStageChanged,
    ChampionEngagementDropped,
    CompetitiveThreatDetected,
    ProductUsageSpike,
    SupportTicketEscalation,
    ExecutiveChange,
    FundingAnnouncement,
    PartnershipAnnouncement,
    MeetingUpcoming,
}

impl SignalType {
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// A detected change worth attention, citing the record versions it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub signal_id: String,
    pub signal_type: SignalType,
    pub tenant_id: TenantId,
    pub account_id: AccountId,
    pub severity: Severity,
    pub confidence: f64,
    pub evidence_refs: Vec<String>,
    pub detected_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub dedup_key: String,
    pub details: serde_json::Value,
}

/// The fields a detector chooses; [`Signal::new`] derives the id.
pub struct SignalParts {
    pub signal_type: SignalType,
    pub account_id: AccountId,
    pub severity: Severity,
    pub confidence: f64,
    pub evidence_refs: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub dedup_key: String,
    pub details: serde_json::Value,
}

impl Signal {
    /// The id is derived from tenant, type and dedup key: re-running perception on the same data
    /// yields the same id, which the store already holds, so nothing new is emitted.
    pub fn new(tenant_id: &TenantId, detected_at: DateTime<Utc>, parts: SignalParts) -> Self {
        let signal_id = short_id(
            "sig",
            &[
                tenant_id.as_str(),
                &parts.signal_type.as_str(),
                &parts.dedup_key,
            ],
        );
        Signal {
            signal_id,
            signal_type: parts.signal_type,
            tenant_id: tenant_id.clone(),
            account_id: parts.account_id,
            severity: parts.severity,
            confidence: parts.confidence,
            evidence_refs: parts.evidence_refs,
            detected_at,
            expires_at: parts.expires_at,
            dedup_key: parts.dedup_key,
            details: parts.details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_screaming_snake_case() {
        assert_eq!(SignalType::SupportSev2Aging.as_str(), "SUPPORT_SEV2_AGING");
        assert_eq!(
            SignalType::NoMeetingIn21Days.as_str(),
            "NO_MEETING_IN_21_DAYS"
        );
    }
}
