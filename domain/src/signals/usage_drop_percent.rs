//! USAGE_DROP_PERCENT: a metric's mean over the last 7 days fell at least the threshold below its
//! mean over the 28 days before, given at least 14 baseline days.
//!
//! "The last 7 days" are the 7 full days before the logical now's date: today's aggregate is
//! usually partial, and counting it would report drops that are only half a day of data.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::Usage;

const RECENT_DAYS: u64 = 7;
const BASELINE_DAYS: u64 = 28;
/// How many days before today the windows reach back: what a usage series must hold.
pub const WINDOW_DAYS: u64 = RECENT_DAYS + BASELINE_DAYS;
pub(crate) const MIN_BASELINE_DAYS: usize = 14;

pub struct UsageDropPercentDetector;

/// One metric's value on one day: a usage record, or a reading of the world's usage series.
pub trait DailyReading {
    fn metric(&self) -> &str;
    fn date(&self) -> NaiveDate;
    fn value(&self) -> f64;
}

impl DailyReading for Usage {
    fn metric(&self) -> &str {
        &self.metric
    }
    fn date(&self) -> NaiveDate {
        self.date
    }
    fn value(&self) -> f64 {
        self.value
    }
}

/// Means of one metric over the recent and baseline windows, with the readings used.
pub struct UsageWindows<'a, R = Usage> {
    pub recent: Vec<&'a R>,
    pub baseline: Vec<&'a R>,
}

impl<R: DailyReading> UsageWindows<'_, R> {
    pub fn recent_mean(&self) -> Option<f64> {
        mean(&self.recent)
    }
    pub fn baseline_mean(&self) -> Option<f64> {
        mean(&self.baseline)
    }
    /// Percentage change of the recent mean against the baseline (negative = drop).
    pub fn change_pct(&self) -> Option<f64> {
        let (recent, baseline) = (self.recent_mean()?, self.baseline_mean()?);
        (baseline > 0.0).then(|| (recent - baseline) / baseline * 100.0)
    }
}

fn mean<R: DailyReading>(values: &[&R]) -> Option<f64> {
    (!values.is_empty())
        .then(|| values.iter().map(|u| u.value()).sum::<f64>() / values.len() as f64)
}

/// Splits each metric's daily values into the recent and baseline windows ending before `today`.
pub fn usage_windows<R: DailyReading>(
    usage: &[R],
    today: NaiveDate,
) -> BTreeMap<&str, UsageWindows<'_, R>> {
    let recent_start = today - Days::new(RECENT_DAYS);
    let baseline_start = recent_start - Days::new(BASELINE_DAYS);
    let mut windows: BTreeMap<&str, UsageWindows<'_, R>> = BTreeMap::new();
    for u in usage {
        let entry = windows.entry(u.metric()).or_insert_with(|| UsageWindows {
            recent: Vec::new(),
            baseline: Vec::new(),
        });
        let date = u.date();
        if date >= recent_start && date < today {
            entry.recent.push(u);
        } else if date >= baseline_start && date < recent_start {
            entry.baseline.push(u);
        }
    }
    windows
}

impl SignalDetector for UsageDropPercentDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::UsageDropPercent
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let today = ctx.now.date_naive();
        let week = today.iso_week();
        let mut signals = Vec::new();
        for (metric, windows) in usage_windows(&ctx.current.usage, today) {
            let baseline_days: std::collections::BTreeSet<_> =
                windows.baseline.iter().map(|u| u.date).collect();
            if baseline_days.len() < MIN_BASELINE_DAYS || windows.recent.is_empty() {
                continue;
            }
            let Some(change) = windows.change_pct() else {
                continue;
            };
            let drop_pct = -change;
            if drop_pct < ctx.config.usage_drop_pct {
                continue;
            }
            let Some(account_id) = ctx.current.account_id.clone() else {
                continue;
            };
            let evidence_refs = windows
                .baseline
                .iter()
                .chain(windows.recent.iter())
                .map(|u| ctx.current_ref(*u))
                .collect();
            signals.push(Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type: SignalType::UsageDropPercent,
                    account_id: account_id.clone(),
                    severity: if drop_pct >= 50.0 {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    confidence: 0.8,
                    evidence_refs,
                    expires_at: ctx.now + chrono::Duration::days(7),
                    // One signal per metric and ISO week, so a lasting drop is not re-reported daily.
                    dedup_key: format!(
                        "usage:{account_id}:{metric}:{}-W{:02}",
                        week.year(),
                        week.week()
                    ),
                    details: json!({
                        "metric": metric,
                        "drop_pct": (drop_pct * 10.0).round() / 10.0,
                        "recent_mean": windows.recent_mean(),
                        "baseline_mean": windows.baseline_mean(),
                        "baseline_days": baseline_days.len(),
                    }),
                },
            ));
        }
        signals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Record;
    use crate::signals::test_support::*;

    /// 28 baseline days at 100, then 7 recent days at `recent`.
    fn series(recent: f64, baseline_days: u64) -> Vec<Record> {
        let today = now().date_naive();
        let mut records = Vec::new();
        for back in 1..=(7 + baseline_days) {
            let date = today - Days::new(back);
            let value = if back <= 7 { recent } else { 100.0 };
            records.push(record(&format!(
                r#"{{"type":"usage","id":"u{back}","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","date":"{date}","metric":"active_users","value":{value}}}"#
            )));
        }
        records
    }

    #[test]
    fn a_drop_of_exactly_30_percent_fires() {
        let found = run(&UsageDropPercentDetector, series(70.0, 28), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].details["drop_pct"], 30.0);
        assert_eq!(found[0].evidence_refs.len(), 35);
    }

    #[test]
    fn a_drop_of_29_9_percent_does_not() {
        assert!(run(&UsageDropPercentDetector, series(70.1, 28), &[]).is_empty());
    }

    #[test]
    fn needs_fourteen_baseline_days() {
        assert!(run(&UsageDropPercentDetector, series(10.0, 13), &[]).is_empty());
        assert_eq!(
            run(&UsageDropPercentDetector, series(10.0, 14), &[]).len(),
            1
        );
    }
}
