//! Signal detectors: pure functions of (previous record versions, current records, logical now,
//! tenant config).
//!
//! To add one, create `<signal_name>.rs` with a type implementing [`SignalDetector`] and add a
//! line to [`builtin()`]. Signal type strings are written into the ledger: add new ones, never
//! rename old ones.

mod config;
mod meeting_upcoming;
mod renewal_window_entered;
mod signal;
mod support_sev2_aging;
mod usage_drop_percent;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use config::SignalConfig;
pub use meeting_upcoming::MeetingUpcomingDetector;
pub use renewal_window_entered::RenewalWindowEnteredDetector;
pub use signal::{Severity, Signal, SignalType};
pub use support_sev2_aging::SupportSev2AgingDetector;
pub use usage_drop_percent::{
    UsageDropPercentDetector, UsageWindows, usage_windows as usage_windows_for_brief,
};

use crate::ids::TenantId;
use crate::records::{Record, RecordKey};
use crate::world::AccountView;

/// What a detector may look at. Nothing else: no clock, no store.
pub struct DetectionContext<'a> {
    pub tenant_id: &'a TenantId,
    /// Latest versions of the account's records, including this batch's changes.
    pub current: &'a AccountView,
    /// The versions these records had before this batch (absent = new record).
    pub previous: &'a BTreeMap<RecordKey, Record>,
    /// Logical now: the workflow's time, never the machine clock.
    pub now: DateTime<Utc>,
    pub config: &'a SignalConfig,
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
        Box::new(SupportSev2AgingDetector),
        Box::new(UsageDropPercentDetector),
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
        let view = AccountView::from_records(AccountId::parse("acme").unwrap(), records);
        let previous = previous.iter().map(|r| (r.key(), r.clone())).collect();
        let config = SignalConfig::default();
        detect(&DetectionContext {
            tenant_id: &tenant,
            current: &view,
            previous: &previous,
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
    fn the_fixture_raises_all_four_signals() {
        let types: Vec<_> = detect(fixture())
            .into_iter()
            .map(|s| s.signal_type)
            .collect();
        assert_eq!(types.len(), 4, "{types:?}");
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
