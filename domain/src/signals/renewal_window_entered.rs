//! RENEWAL_WINDOW_ENTERED: a contract's end date is within the renewal window and not yet past.

use chrono::{Days, NaiveTime};
use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};

pub struct RenewalWindowEnteredDetector;

impl SignalDetector for RenewalWindowEnteredDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::RenewalWindowEntered
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let today = ctx.now.date_naive();
        let window = ctx.config.renewal_window_days.max(0) as u64;
        let Some(window_end) = today.checked_add_days(Days::new(window)) else {
            return Vec::new();
        };
        ctx.current
            .contracts
            .iter()
            .filter(|c| c.end_date >= today && c.end_date <= window_end)
            .map(|contract| {
                let days_remaining = (contract.end_date - today).num_days();
                Signal::new(
                    ctx.tenant_id,
                    ctx.now,
                    SignalParts {
                        signal_type: SignalType::RenewalWindowEntered,
                        account_id: contract.account_id.clone(),
                        severity: if days_remaining <= 30 {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        confidence: 0.95,
                        evidence_refs: vec![ctx.current_ref(contract)],
                        expires_at: contract.end_date.and_time(NaiveTime::MIN).and_utc(),
                        // A moved end date is a new renewal: it gets a new signal.
                        dedup_key: format!("contract:{}:{}", contract.id, contract.end_date),
                        details: json!({
                            "contract_id": contract.id,
                            "end_date": contract.end_date,
                            "days_remaining": days_remaining,
                            "arr": contract.arr,
                            "auto_renew": contract.auto_renew,
                        }),
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Record;
    use crate::signals::test_support::*;

    fn contract_ending(days: i64) -> Record {
        record(&format!(
            r#"{{"type":"contract","id":"c1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","start_date":"2025-01-01","end_date":"{}","arr":50000}}"#,
            (now().date_naive() + chrono::Duration::days(days))
        ))
    }

    #[test]
    fn fires_inside_the_window_and_on_its_edges() {
        for days in [0, 1, 45, 90] {
            let found = run(
                &RenewalWindowEnteredDetector,
                vec![contract_ending(days)],
                &[],
            );
            assert_eq!(found.len(), 1, "{days} days before renewal");
            assert_eq!(found[0].details["days_remaining"], days);
        }
    }

    #[test]
    fn quiet_outside_the_window_or_after_the_end() {
        for days in [91, 365, -1] {
            assert!(
                run(
                    &RenewalWindowEnteredDetector,
                    vec![contract_ending(days)],
                    &[]
                )
                .is_empty(),
                "{days}"
            );
        }
    }
}
