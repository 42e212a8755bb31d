//! SUPPORT_SEV2_AGING: a severity 1–2 ticket has been open or pending longer than the limit.

use chrono::Duration;
use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::TicketStatus;

pub struct SupportSev2AgingDetector;

impl SignalDetector for SupportSev2AgingDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::SupportSev2Aging
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let limit = Duration::days(ctx.config.sev2_aging_days);
        ctx.current
            .tickets
            .iter()
            .filter(|t| t.severity <= 2)
            .filter(|t| matches!(t.status, TicketStatus::Open | TicketStatus::Pending))
            .filter(|t| ctx.now - t.opened_at > limit)
            .map(|ticket| {
                let age = ctx.now - ticket.opened_at;
                Signal::new(
                    ctx.tenant_id,
                    ctx.now,
                    SignalParts {
                        signal_type: SignalType::SupportSev2Aging,
                        account_id: ticket.account_id.clone(),
                        severity: if ticket.severity == 1 {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        confidence: 0.9,
                        evidence_refs: vec![ctx.current_ref(ticket)],
                        expires_at: ctx.now + Duration::days(7),
                        dedup_key: format!("ticket:{}", ticket.id),
                        details: json!({
                            "ticket_id": ticket.id,
                            "subject": ticket.subject,
                            "severity": ticket.severity,
                            "age_days": (age.num_seconds() as f64 / 86_400.0 * 10.0).round() / 10.0,
                            "escalated": ticket.escalated,
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

    fn ticket(severity: u8, status: &str, age: Duration) -> Record {
        record(&format!(
            r#"{{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","subject":"SSO down","severity":{severity},"status":"{status}","opened_at":"{}"}}"#,
            (now() - age).to_rfc3339()
        ))
    }

    #[test]
    fn exactly_five_days_is_not_yet_aging() {
        assert!(
            run(
                &SupportSev2AgingDetector,
                vec![ticket(2, "open", Duration::days(5))],
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn five_days_and_a_second_is_aging() {
        let found = run(
            &SupportSev2AgingDetector,
            vec![ticket(2, "open", Duration::days(5) + Duration::seconds(1))],
            &[],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].signal_type, SignalType::SupportSev2Aging);
    }

    #[test]
    fn only_severe_unsolved_tickets_count() {
        let old = Duration::days(9);
        assert_eq!(
            run(
                &SupportSev2AgingDetector,
                vec![ticket(1, "pending", old)],
                &[]
            )
            .len(),
            1
        );
        assert!(run(&SupportSev2AgingDetector, vec![ticket(3, "open", old)], &[]).is_empty());
        assert!(
            run(
                &SupportSev2AgingDetector,
                vec![ticket(2, "solved", old)],
                &[]
            )
            .is_empty()
        );
    }
}
