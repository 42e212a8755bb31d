//! SUPPORT_TICKET_ESCALATION: a ticket's `escalated` turns true, or its severity number decreases
//! (1 is the most severe). A ticket that arrives already escalated counts as turning true.

use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::Record;
use crate::world::record_ref;

pub struct SupportTicketEscalationDetector;

impl SignalDetector for SupportTicketEscalationDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::SupportTicketEscalation
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let mut out = Vec::new();
        for ticket in &ctx.current.tickets {
            let record = Record::Ticket(ticket.clone());
            if !ctx.is_changed(&record) {
                continue;
            }
            let previous = ctx.previous_of(&record);
            let before = match previous {
                Some(Record::Ticket(b)) => Some(b),
                _ => None,
            };
            let flagged = ticket.escalated && before.is_none_or(|b| !b.escalated);
            let raised = before.is_some_and(|b| ticket.severity < b.severity);
            if !flagged && !raised {
                continue;
            }
            let what = if raised {
                format!(
                    "severity:{}->{}",
                    before.map_or(0, |b| b.severity),
                    ticket.severity
                )
            } else {
                "escalated".to_string()
            };
            let mut evidence_refs = vec![ctx.current_ref(&record)];
            if let Some(p) = previous {
                evidence_refs.insert(0, record_ref(p));
            }
            out.push(Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type: SignalType::SupportTicketEscalation,
                    account_id: ticket.account_id.clone(),
                    severity: if ticket.severity <= 2 {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    confidence: 0.9,
                    evidence_refs,
                    expires_at: ctx.now + chrono::Duration::days(7),
                    dedup_key: format!("ticket:{}:{what}", ticket.id),
                    details: json!({
                        "ticket_id": ticket.id,
                        "subject": ticket.subject,
                        "change": what,
                        "severity": ticket.severity,
                        "escalated": ticket.escalated,
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

    fn ticket(severity: u8, escalated: bool) -> Record {
        record(&format!(
            r#"{{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","subject":"Export fails","severity":{severity},"status":"open","opened_at":"2026-03-01T00:00:00Z","escalated":{escalated}}}"#
        ))
    }

    #[test]
    fn escalation_flag_or_a_more_severe_number_fires() {
        assert_eq!(
            run(
                &SupportTicketEscalationDetector,
                vec![ticket(3, true)],
                &[ticket(3, false)]
            )
            .len(),
            1
        );
        let worse = run(
            &SupportTicketEscalationDetector,
            vec![ticket(2, false)],
            &[ticket(3, false)],
        );
        assert_eq!(worse[0].details["change"], "severity:3->2");
        assert_eq!(
            run(&SupportTicketEscalationDetector, vec![ticket(3, true)], &[]).len(),
            1
        );
    }

    #[test]
    fn same_or_less_severe_and_already_escalated_do_not() {
        assert!(
            run(
                &SupportTicketEscalationDetector,
                vec![ticket(3, false)],
                &[ticket(3, false)]
            )
            .is_empty()
        );
        assert!(
            run(
                &SupportTicketEscalationDetector,
                vec![ticket(4, false)],
                &[ticket(3, false)]
            )
            .is_empty()
        );
        assert!(
            run(
                &SupportTicketEscalationDetector,
                vec![ticket(3, true)],
                &[ticket(3, true)]
            )
            .is_empty()
        );
        assert!(
            run(
                &SupportTicketEscalationDetector,
                vec![ticket(3, false)],
                &[]
            )
            .is_empty()
        );
    }
}
