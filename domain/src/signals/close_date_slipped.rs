//! CLOSE_DATE_SLIPPED: an open opportunity's close date moved later than in its previous version.

use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::Record;
use crate::world::record_ref;

pub struct CloseDateSlippedDetector;

impl SignalDetector for CloseDateSlippedDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::CloseDateSlipped
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let mut out = Vec::new();
        for opp in ctx
            .current
            .opportunities
            .iter()
            .filter(|o| o.stage.is_open())
        {
            let current = Record::Opportunity(opp.clone());
            let Some(previous) = ctx.previous_of(&current) else {
                continue;
            };
            let Record::Opportunity(before) = previous else {
                continue;
            };
            let (Some(was), Some(now)) = (before.close_date, opp.close_date) else {
                continue;
            };
            if now <= was {
                continue;
            }
            let slipped_days = (now - was).num_days();
            out.push(Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type: SignalType::CloseDateSlipped,
                    account_id: opp.account_id.clone(),
                    severity: if slipped_days > 30 {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    confidence: 0.9,
                    evidence_refs: vec![record_ref(previous), ctx.current_ref(&current)],
                    expires_at: ctx.now + chrono::Duration::days(14),
                    dedup_key: format!("opp:{}:close:{was}->{now}", opp.id),
                    details: json!({
                        "opportunity_id": opp.id,
                        "previous_close_date": was,
                        "close_date": now,
                        "slipped_days": slipped_days,
                        "amount": opp.amount,
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
    use crate::signals::test_support::*;

    fn opp(stage: &str, close: &str, updated: &str) -> Record {
        record(&format!(
            r#"{{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"{updated}","name":"Renewal","stage":"{stage}","close_date":"{close}","amount":50000}}"#
        ))
    }

    #[test]
    fn a_later_close_date_on_an_open_deal_fires() {
        let before = opp("proposal", "2026-03-31", "2026-03-01T00:00:00Z");
        let found = run(
            &CloseDateSlippedDetector,
            vec![opp("proposal", "2026-04-01", "2026-03-09T00:00:00Z")],
            &[before],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].details["slipped_days"], 1);
        assert_eq!(found[0].evidence_refs.len(), 2);
    }

    #[test]
    fn same_or_earlier_dates_closed_deals_and_new_deals_do_not() {
        let before = opp("proposal", "2026-03-31", "2026-03-01T00:00:00Z");
        let later = |stage| opp(stage, "2026-05-01", "2026-03-09T00:00:00Z");
        assert!(
            run(
                &CloseDateSlippedDetector,
                vec![opp("proposal", "2026-03-31", "2026-03-09T00:00:00Z")],
                std::slice::from_ref(&before)
            )
            .is_empty()
        );
        assert!(
            run(
                &CloseDateSlippedDetector,
                vec![opp("proposal", "2026-03-30", "2026-03-09T00:00:00Z")],
                std::slice::from_ref(&before)
            )
            .is_empty()
        );
        assert!(
            run(
                &CloseDateSlippedDetector,
                vec![later("closed_lost")],
                &[before]
            )
            .is_empty()
        );
        assert!(run(&CloseDateSlippedDetector, vec![later("proposal")], &[]).is_empty());
    }
}
