//! PRODUCT_USAGE_SPIKE: a metric's 7-day mean is at least 150 % of its prior 28-day mean. The
//! windows and the 14-baseline-day minimum are those of USAGE_DROP_PERCENT.

use std::collections::BTreeSet;

use chrono::Datelike;
use serde_json::json;

use super::signal::SignalParts;
use super::usage_drop_percent::{MIN_BASELINE_DAYS, usage_windows};
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};

pub struct ProductUsageSpikeDetector;

impl SignalDetector for ProductUsageSpikeDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::ProductUsageSpike
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let today = ctx.now.date_naive();
        let week = today.iso_week();
        let Some(account_id) = ctx.current.account_id.clone() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (metric, windows) in usage_windows(&ctx.current.usage, today) {
            let baseline_days: BTreeSet<_> = windows.baseline.iter().map(|u| u.date).collect();
            if baseline_days.len() < MIN_BASELINE_DAYS || windows.recent.is_empty() {
                continue;
            }
            let (Some(recent), Some(baseline)) = (windows.recent_mean(), windows.baseline_mean())
            else {
                continue;
            };
            if baseline <= 0.0 {
                continue;
            }
            let ratio_pct = recent / baseline * 100.0;
            if ratio_pct < ctx.config.usage_spike_pct {
                continue;
            }
            out.push(Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type: SignalType::ProductUsageSpike,
                    account_id: account_id.clone(),
                    severity: Severity::Low,
                    confidence: 0.8,
                    evidence_refs: windows
                        .baseline
                        .iter()
                        .chain(&windows.recent)
                        .map(|u| ctx.current_ref(*u))
                        .collect(),
                    expires_at: ctx.now + chrono::Duration::days(7),
                    dedup_key: format!(
                        "usage_spike:{account_id}:{metric}:{}-W{:02}",
                        week.year(),
                        week.week()
                    ),
                    details: json!({
                        "metric": metric,
                        "ratio_pct": (ratio_pct * 10.0).round() / 10.0,
                        "recent_mean": recent,
                        "baseline_mean": baseline,
                        "baseline_days": baseline_days.len(),
                    }),
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Record;
    use crate::signals::test_support::*;
    use chrono::Days;

    fn series(recent: f64) -> Vec<Record> {
        let today = now().date_naive();
        (1..=35u64)
            .map(|back| {
                let date = today - Days::new(back);
                let value = if back <= 7 { recent } else { 100.0 };
                record(&format!(
                    r#"{{"type":"usage","id":"u{back}","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","date":"{date}","metric":"api_calls","value":{value}}}"#
                ))
            })
            .collect()
    }

    #[test]
    fn exactly_150_percent_fires_149_9_does_not() {
        let found = run(&ProductUsageSpikeDetector, series(150.0), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].details["ratio_pct"], 150.0);
        assert!(run(&ProductUsageSpikeDetector, series(149.9), &[]).is_empty());
    }
}
