//! The account's state as people and the decision agent read it: posture, top risks with why
//! and evidence, unknowns, momentum over the last 30 days, recent changes. A pure function of
//! the account's entity states and its signals at one instant.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::state::{EntityState, Unknown, unknowns};
use crate::signals::{Severity, Signal, SignalType};

/// The one-word answer to "how is this account doing?", shared by the brief and the account
/// state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Posture {
    Healthy,
    Watch,
    AtRisk,
    Expanding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Flat,
    Down,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub signal_type: SignalType,
    pub severity: Severity,
    /// Why it is a risk, in one line with the numbers that made the signal fire.
    pub why: String,
    pub signal_id: String,
    pub evidence_refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Momentum {
    pub direction: Direction,
    /// The signals of the last 30 days that point up and down.
    pub up: Vec<String>,
    pub down: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `entity:id.field`.
    pub what: String,
    pub value: serde_json::Value,
    pub source: String,
    pub observed_at: DateTime<Utc>,
    pub evidence_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    pub account_id: String,
    pub as_of: DateTime<Utc>,
    pub posture: Posture,
    pub top_risks: Vec<Risk>,
    pub unknowns: Vec<Unknown>,
    pub momentum: Momentum,
    pub recent_changes: Vec<Change>,
}

/// Signals that threaten the account.
fn is_risk(t: SignalType) -> bool {
    matches!(
        t,
        SignalType::UsageDropPercent
            | SignalType::SupportSev2Aging
            | SignalType::SupportTicketEscalation
            | SignalType::ChampionEngagementDropped
            | SignalType::CompetitiveThreatDetected
            | SignalType::CloseDateSlipped
            | SignalType::NoMeetingIn21Days
            | SignalType::ExecutiveChange
    )
}

/// Signals that point to growth.
fn is_growth(t: SignalType, s: &Signal) -> bool {
    match t {
        SignalType::ProductUsageSpike | SignalType::FundingAnnouncement => true,
        SignalType::OpportunityStageChanged => s.details["to"] != "closed_lost",
        _ => false,
    }
}

fn why(s: &Signal) -> String {
    let numbers = match &s.details {
        serde_json::Value::Object(m) if !m.is_empty() => {
            let parts: Vec<String> = m.iter().take(4).map(|(k, v)| format!("{k}={v}")).collect();
            format!(" ({})", parts.join(", "))
        }
        _ => String::new(),
    };
    format!("{}{numbers}", s.signal_type.as_str())
}

const RECENT_CHANGES: usize = 10;
/// Momentum and recent changes look this many days back.
pub(crate) const WINDOW_DAYS: i64 = 30;
const TOP_RISKS: usize = 5;

/// Computes the account state from its entities' states and its signals, as of `as_of`.
/// Signals detected after `as_of` or expired by then do not count.
pub fn account_state(
    account_id: &str,
    entities: &[EntityState],
    signals: &[Signal],
    as_of: DateTime<Utc>,
) -> AccountState {
    let live: Vec<&Signal> = signals
        .iter()
        .filter(|s| s.detected_at <= as_of && s.expires_at > as_of)
        .collect();
    let mut risks: Vec<Risk> = live
        .iter()
        .filter(|s| is_risk(s.signal_type))
        .map(|s| Risk {
            signal_type: s.signal_type,
            severity: s.severity,
            why: why(s),
            signal_id: s.signal_id.clone(),
            evidence_refs: s.evidence_refs.clone(),
        })
        .collect();
    risks.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.signal_id.cmp(&b.signal_id))
    });
    risks.truncate(TOP_RISKS);

    let month_ago = as_of - Duration::days(WINDOW_DAYS);
    let recent: Vec<&&Signal> = live.iter().filter(|s| s.detected_at >= month_ago).collect();
    let mut up: Vec<String> = recent
        .iter()
        .filter(|s| is_growth(s.signal_type, s))
        .map(|s| s.signal_id.clone())
        .collect();
    let mut down: Vec<String> = recent
        .iter()
        .filter(|s| is_risk(s.signal_type))
        .map(|s| s.signal_id.clone())
        .collect();
    up.sort();
    down.sort();
    let direction = match up.len().cmp(&down.len()) {
        std::cmp::Ordering::Greater => Direction::Up,
        std::cmp::Ordering::Less => Direction::Down,
        std::cmp::Ordering::Equal => Direction::Flat,
    };

    let unknowns: Vec<Unknown> = entities.iter().flat_map(unknowns).collect();
    let high_risk = risks.iter().any(|r| r.severity == Severity::High);
    let posture = if high_risk || risks.len() >= 3 {
        Posture::AtRisk
    } else if !risks.is_empty() || unknowns.iter().any(|u| u.entity.entity_type == "account") {
        Posture::Watch
    } else if direction == Direction::Up {
        Posture::Expanding
    } else {
        Posture::Healthy
    };

    let mut recent_changes: Vec<Change> = entities
        .iter()
        .flat_map(|e| {
            e.fields.iter().map(move |(name, f)| Change {
                what: format!("{}.{name}", e.entity),
                value: f.value.clone(),
                source: f.source.clone(),
                observed_at: f.observed_at,
                evidence_ids: f.evidence_ids.clone(),
            })
        })
        .filter(|c| c.observed_at >= month_ago)
        .collect();
    recent_changes.sort_by(|a, b| b.observed_at.cmp(&a.observed_at).then(a.what.cmp(&b.what)));
    recent_changes.truncate(RECENT_CHANGES);

    AccountState {
        account_id: account_id.to_string(),
        as_of,
        posture,
        top_risks: risks,
        unknowns,
        momentum: Momentum {
            direction,
            up,
            down,
        },
        recent_changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, TenantId};
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn signal(t: SignalType, severity: Severity, detected: &str) -> Signal {
        Signal {
            signal_id: format!("sig-{}", t.as_str().to_lowercase()),
            signal_type: t,
            tenant_id: TenantId::parse("t1").unwrap(),
            account_id: AccountId::parse("acme").unwrap(),
            severity,
            confidence: 0.9,
            evidence_refs: vec!["rec:usage:u1@1".into()],
            detected_at: at(detected),
            expires_at: at(detected) + Duration::days(7),
            dedup_key: "k".into(),
            details: json!({ "drop_pct": 41.2 }),
        }
    }

    fn account(fields: &[(&str, serde_json::Value)]) -> EntityState {
        crate::world::state::test_support::acme_account(fields)
    }

    fn complete() -> EntityState {
        account(&[
            ("name", json!("Acme")),
            ("owner", json!("sam")),
            ("renewal_date", json!("2027-01-31")),
        ])
    }

    #[test]
    fn a_high_severity_risk_puts_the_account_at_risk_with_why_and_evidence() {
        let signals = [signal(
            SignalType::UsageDropPercent,
            Severity::High,
            "2026-11-20T00:00:00Z",
        )];
        let state = account_state("acme", &[complete()], &signals, at("2026-11-21T00:00:00Z"));
        assert_eq!(state.posture, Posture::AtRisk);
        assert_eq!(state.top_risks[0].why, "USAGE_DROP_PERCENT (drop_pct=41.2)");
        assert_eq!(state.top_risks[0].evidence_refs, ["rec:usage:u1@1"]);
        assert_eq!(state.momentum.direction, Direction::Down);
    }

    #[test]
    fn growth_without_risk_is_expanding_and_nothing_is_healthy() {
        let now = at("2026-11-21T00:00:00Z");
        let spike = [signal(
            SignalType::ProductUsageSpike,
            Severity::Low,
            "2026-11-20T00:00:00Z",
        )];
        assert_eq!(
            account_state("acme", &[complete()], &spike, now).posture,
            Posture::Expanding
        );
        let quiet = account_state("acme", &[complete()], &[], now);
        assert_eq!(
            (quiet.posture, quiet.momentum.direction),
            (Posture::Healthy, Direction::Flat)
        );
        assert_eq!(quiet.recent_changes.len(), 3);
    }

    #[test]
    fn missing_critical_facts_put_the_account_on_watch_and_expired_signals_do_not_count() {
        let now = at("2026-11-21T00:00:00Z");
        let partial = account(&[("name", json!("Acme"))]);
        let state = account_state("acme", &[partial], &[], now);
        assert_eq!(state.posture, Posture::Watch);
        assert_eq!(state.unknowns.len(), 2);
        let old = [signal(
            SignalType::UsageDropPercent,
            Severity::High,
            "2026-11-01T00:00:00Z",
        )];
        assert_eq!(
            account_state("acme", &[complete()], &old, now).posture,
            Posture::Healthy
        );
        let future = [signal(
            SignalType::UsageDropPercent,
            Severity::High,
            "2026-11-22T00:00:00Z",
        )];
        assert_eq!(
            account_state("acme", &[complete()], &future, now).posture,
            Posture::Healthy,
            "as of now, not later"
        );
    }
}
