//! Signal detectors: pure functions of (previous record versions, current records, logical now,
//! tenant config).
//!
//! To add one, create `<signal_name>.rs` with a type implementing [`SignalDetector`] and add a
//! line to [`builtin()`]. Signal type strings are written into the ledger: add new ones, never
//! rename old ones.

mod batch;
mod champion_engagement_dropped;
mod close_date_slipped;
mod competitive_threat_detected;
mod config;
mod executive_change;
mod meeting_upcoming;
mod news_announcement;
mod no_meeting_in_21_days;
mod opportunity_stage_changed;
mod product_usage_spike;
mod renewal_window_entered;
mod signal;
mod stakeholder_changed;
mod support_sev2_aging;
mod support_ticket_escalation;
mod text;
mod usage_drop_percent;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

pub use batch::{changed_keys, detect_batch};
pub use champion_engagement_dropped::ChampionEngagementDroppedDetector;
pub use close_date_slipped::CloseDateSlippedDetector;
pub use competitive_threat_detected::CompetitiveThreatDetectedDetector;
pub use config::SignalConfig;
pub use executive_change::ExecutiveChangeDetector;
pub use meeting_upcoming::MeetingUpcomingDetector;
pub use news_announcement::{FundingAnnouncementDetector, PartnershipAnnouncementDetector};
pub use no_meeting_in_21_days::NoMeetingIn21DaysDetector;
pub use opportunity_stage_changed::OpportunityStageChangedDetector;
pub use product_usage_spike::ProductUsageSpikeDetector;
pub use renewal_window_entered::RenewalWindowEnteredDetector;
pub use signal::{Severity, Signal, SignalParts, SignalType};
pub use stakeholder_changed::StakeholderChangedDetector;
pub use support_sev2_aging::SupportSev2AgingDetector;
pub use support_ticket_escalation::SupportTicketEscalationDetector;
pub use usage_drop_percent::{
    DailyReading, UsageDropPercentDetector, UsageWindows, WINDOW_DAYS as USAGE_WINDOW_DAYS,
    usage_windows as usage_windows_for_brief,
};

use crate::ids::TenantId;
use crate::records::{Citable, Record, RecordKey};
use crate::world::{AccountView, RecordRefs};

/// What a detector may look at. Nothing else: no clock, no store.
pub struct DetectionContext<'a> {
    pub tenant_id: &'a TenantId,
    /// Latest versions of the account's records, including this batch's changes.
    pub current: &'a AccountView,
    /// The stored refs of `current`'s records, where the caller has them (else computed).
    pub current_refs: &'a RecordRefs,
    /// The versions changed records had before this batch.
    pub previous: &'a BTreeMap<RecordKey, Record>,
    /// Records this batch added or changed. A changed key absent from `previous` is new.
    pub changed: &'a BTreeSet<RecordKey>,
    /// Logical now: the workflow's time, never the machine clock.
    pub now: DateTime<Utc>,
    pub config: &'a SignalConfig,
}

impl DetectionContext<'_> {
    /// The evidence ref of a record of `current`, as stored or else computed. A previous
    /// version cites its own ref ([`record_ref`](crate::world::record_ref)), never this one.
    pub fn current_ref(&self, record: &impl Citable) -> String {
        self.current_refs.ref_of(record)
    }

    /// The record's version before this batch, when this batch changed it.
    pub fn previous_of(&self, record: &Record) -> Option<&Record> {
        let key = record.key();
        if self.changed.contains(&key) {
            self.previous.get(&key)
        } else {
            None
        }
    }

    /// Whether this batch brought the record for the first time.
    pub fn is_new(&self, record: &Record) -> bool {
        let key = record.key();
        self.changed.contains(&key) && !self.previous.contains_key(&key)
    }

    /// Whether this batch added or changed the record.
    pub fn is_changed(&self, record: &Record) -> bool {
        self.changed.contains(&record.key())
    }
}

/// One kind of signal.
pub trait SignalDetector: Send + Sync {
    fn signal_type(&self) -> SignalType;
    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal>;
}

/// Every built-in detector, in a fixed order.
pub fn builtin() -> Vec<Box<dyn SignalDetector>> {
    vec![
        Box::new(RenewalWindowEnteredDetector),
        Box::new(CloseDateSlippedDetector),
        Box::new(StakeholderChangedDetector),
        Box::new(SupportSev2AgingDetector),
        Box::new(UsageDropPercentDetector),
        Box::new(NoMeetingIn21DaysDetector),
        Box::new(OpportunityStageChangedDetector),
        Box::new(ChampionEngagementDroppedDetector),
        Box::new(CompetitiveThreatDetectedDetector),
        Box::new(ProductUsageSpikeDetector),
        Box::new(SupportTicketEscalationDetector),
        Box::new(ExecutiveChangeDetector),
        Box::new(FundingAnnouncementDetector),
        Box::new(PartnershipAnnouncementDetector),
        Box::new(MeetingUpcomingDetector),
    ]
}

/// Runs every detector and returns the signals sorted by id, without duplicates.
pub fn detect_all(
    detectors: &[Box<dyn SignalDetector>],
    ctx: &DetectionContext<'_>,
) -> Vec<Signal> {
    let mut by_id = BTreeMap::new();
    for detector in detectors {
        for signal in detector.detect(ctx) {
            by_id.entry(signal.signal_id.clone()).or_insert(signal);
        }
    }
    by_id.into_values().collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::ids::AccountId;

    pub fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    pub fn record(line: &str) -> Record {
        crate::records::parse_line(1, line).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `detect` on a context of tenant t1, account acme, default config, at [`now`].
    pub fn with_context<T>(
        records: Vec<Record>,
        previous: &[Record],
        detect: impl FnOnce(&DetectionContext<'_>) -> T,
    ) -> T {
        let tenant = TenantId::parse("t1").unwrap();
        let previous: BTreeMap<RecordKey, Record> =
            previous.iter().map(|r| (r.key(), r.clone())).collect();
        let changed = changed_keys(&records, &previous);
        let view = AccountView::from_records(AccountId::parse("acme").unwrap(), records);
        let config = SignalConfig::default();
        detect(&DetectionContext {
            tenant_id: &tenant,
            current: &view,
            current_refs: &crate::world::NO_REFS,
            previous: &previous,
            changed: &changed,
            now: now(),
            config: &config,
        })
    }

    pub fn run(
        detector: &dyn SignalDetector,
        records: Vec<Record>,
        previous: &[Record],
    ) -> Vec<Signal> {
        let found = with_context(records, previous, |ctx| detector.detect(ctx));
        assert!(
            found
                .iter()
                .all(|s| s.signal_type == detector.signal_type())
        );
        assert!(
            found.iter().all(|s| !s.evidence_refs.is_empty()),
            "every signal cites evidence"
        );
        found
    }
}

#[cfg(test)]
mod property_tests {
    use super::test_support::*;
    use super::*;
    use proptest::prelude::*;

    fn fixture() -> Vec<Record> {
        let mut lines = vec![
            r#"{"type":"contract","id":"c1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","start_date":"2025-04-01","end_date":"2026-04-01"}"#.to_string(),
            r#"{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","subject":"x","severity":2,"status":"open","opened_at":"2026-02-01T00:00:00Z"}"#.to_string(),
            r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","title":"QBR","starts_at":"2026-03-11T09:00:00Z","status":"scheduled"}"#.to_string(),
        ];
        for back in 1..=35u64 {
            let date = now().date_naive() - chrono::Days::new(back);
            let value = if back <= 7 { 40 } else { 100 };
            lines.push(format!(r#"{{"type":"usage","id":"u{back}","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","date":"{date}","metric":"seats","value":{value}}}"#));
        }
        lines.iter().map(|l| record(l)).collect()
    }

    fn detect(records: Vec<Record>) -> Vec<Signal> {
        with_context(records, &[], |ctx| detect_all(&builtin(), ctx))
    }

    #[test]
    fn the_fixture_raises_its_five_signals() {
        let types: BTreeSet<SignalType> = detect(fixture())
            .into_iter()
            .map(|s| s.signal_type)
            .collect();
        let expected = BTreeSet::from([
            SignalType::MeetingUpcoming,
            SignalType::RenewalWindowEntered,
            SignalType::UsageDropPercent,
            SignalType::SupportSev2Aging,
            SignalType::NoMeetingIn21Days,
        ]);
        assert_eq!(types, expected);
    }

    /// Signal ids derive from (tenant, type, dedup key), so dedup keys must tell accounts apart:
    /// two accounts in the same situation get two signals, never one.
    #[test]
    fn signal_ids_are_distinct_across_accounts() {
        let twin: Vec<Record> = fixture()
            .iter()
            .map(|r| {
                let line = serde_json::to_string(r).unwrap();
                let line = line
                    .replace("\"account_id\":\"acme\"", "\"account_id\":\"beta\"")
                    .replace("\"id\":\"", "\"id\":\"b-");
                record(&line)
            })
            .collect();
        let mut both = fixture();
        both.extend(twin);
        let tenant = TenantId::parse("t1").unwrap();
        let signals = detect_batch(
            &builtin(),
            &tenant,
            both,
            Vec::new(),
            now(),
            &SignalConfig::default(),
        );
        let ids: BTreeSet<&str> = signals.iter().map(|s| s.signal_id.as_str()).collect();
        assert_eq!(ids.len(), signals.len(), "colliding signal ids");
        assert_eq!(signals.len(), 2 * detect(fixture()).len());
    }

    /// Every signal id detected when nothing changed was already detected the first time, so
    /// the store (which keeps one signal per id) receives nothing new.
    #[test]
    fn rerunning_on_unchanged_data_detects_nothing_new() {
        let first: BTreeSet<String> = detect(fixture()).into_iter().map(|s| s.signal_id).collect();
        let again: BTreeSet<String> =
            with_context(fixture(), &fixture(), |ctx| detect_all(&builtin(), ctx))
                .into_iter()
                .map(|s| s.signal_id)
                .collect();
        assert!(again.is_subset(&first), "{again:?} ⊄ {first:?}");
    }

    /// Detection citing the store's refs of the current records says exactly what detection
    /// hashing every record says, including where a signal cites a previous version too (a
    /// detector that took the current ref for the previous version would differ here).
    #[test]
    fn citing_stored_refs_gives_the_signals_hashing_gives() {
        let before = [
            r#"{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Expansion","stage":"discovery","close_date":"2026-04-01"}"#,
            r#"{"type":"ticket","id":"t2","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","subject":"slow","severity":3,"status":"open","opened_at":"2026-03-05T00:00:00Z"}"#,
            r#"{"type":"contact","id":"p1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Pat","title":"VP Sales","role":"champion","active":true}"#,
        ];
        let after = [
            r#"{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Expansion","stage":"proposal","close_date":"2026-06-01"}"#,
            r#"{"type":"ticket","id":"t2","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","subject":"slow","severity":1,"status":"open","opened_at":"2026-03-05T00:00:00Z","escalated":true}"#,
            r#"{"type":"contact","id":"p1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Pat","title":"CEO","role":"economic_buyer","active":false}"#,
        ];
        let previous: Vec<Record> = before.iter().map(|l| record(l)).collect();
        let mut current = fixture();
        current.extend(after.iter().map(|l| record(l)));
        let mut refs = RecordRefs::new();
        for r in &current {
            refs.insert(r, crate::world::record_ref(r));
        }
        let hashed = with_context(current.clone(), &previous, |ctx| {
            detect_all(&builtin(), ctx)
        });
        let cited = with_context(current, &previous, |ctx| {
            detect_all(
                &builtin(),
                &DetectionContext {
                    current_refs: &refs,
                    ..*ctx
                },
            )
        });
        let previous_refs: BTreeSet<String> =
            previous.iter().map(crate::world::record_ref).collect();
        let citing_previous = hashed
            .iter()
            .filter(|s| s.evidence_refs.iter().any(|r| previous_refs.contains(r)))
            .count();
        assert!(citing_previous >= 3, "{hashed:#?}");
        assert_eq!(cited, hashed);
    }

    proptest! {
        #[test]
        fn same_records_in_any_order_give_the_same_signals(seed in any::<u64>()) {
            let mut shuffled = fixture();
            // A deterministic Fisher-Yates driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(detect(shuffled), detect(fixture()));
        }
    }
}
