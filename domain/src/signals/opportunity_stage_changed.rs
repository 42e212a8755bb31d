//! OPPORTUNITY_STAGE_CHANGED: an opportunity's stage differs from its previous version.

use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::{OpportunityStage, Record};
use crate::world::record_ref;

pub struct OpportunityStageChangedDetector;

fn stage_name(stage: OpportunityStage) -> String {
    serde_json::to_value(stage)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl SignalDetector for OpportunityStageChangedDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::OpportunityStageChanged
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let mut out = Vec::new();
        for opp in &ctx.current.opportunities {
            let current = Record::Opportunity(opp.clone());
            let Some(previous) = ctx.previous_of(&current) else {
                continue;
            };
            let Record::Opportunity(before) = previous else {
                continue;
            };
            if before.stage == opp.stage {
                continue;
            }
            let (from, to) = (stage_name(before.stage), stage_name(opp.stage));
            out.push(Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type: SignalType::OpportunityStageChanged,
                    account_id: opp.account_id.clone(),
                    severity: if opp.stage == OpportunityStage::ClosedLost { Severity::High } else { Severity::Low },
                    confidence: 0.95,
                    evidence_refs: vec![record_ref(previous), ctx.current_ref(&current)],
                    expires_at: ctx.now + chrono::Duration::days(7),
                    // The version's time is part of the key: moving back and forth is news each time.
                    dedup_key: format!("opp:{}:stage:{from}->{to}@{}", opp.id, opp.updated_at.to_rfc3339()),
                    details: json!({ "opportunity_id": opp.id, "from": from, "to": to, "amount": opp.amount }),
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

    fn opp(stage: &str) -> Record {
        record(&format!(
            r#"{{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Renewal","stage":"{stage}"}}"#
        ))
    }

    #[test]
    fn a_different_stage_fires_the_same_stage_does_not() {
        let found = run(
            &OpportunityStageChangedDetector,
            vec![opp("negotiation")],
            &[opp("proposal")],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].details["to"], "negotiation");
        assert!(
            run(
                &OpportunityStageChangedDetector,
                vec![opp("proposal")],
                &[opp("proposal")]
            )
            .is_empty()
        );
        assert!(
            run(&OpportunityStageChangedDetector, vec![opp("proposal")], &[]).is_empty(),
            "a new deal has no previous stage"
        );
    }
}
