//! COMPETITIVE_THREAT_DETECTED: a new note, ticket subject or meeting title names a competitor
//! from the tenant's list (whole word, any case). A changed text counts when the competitor was
//! not already named in its previous version.

use serde_json::json;

use super::signal::SignalParts;
use super::text::contains_word;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::Record;

pub struct CompetitiveThreatDetectedDetector;

fn text_of(record: &Record) -> Option<&str> {
    match record {
        Record::Note(n) => Some(&n.text),
        Record::Ticket(t) => Some(&t.subject),
        Record::Meeting(m) => Some(&m.title),
        _ => None,
    }
}

impl SignalDetector for CompetitiveThreatDetectedDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::CompetitiveThreatDetected
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        if ctx.config.competitors.is_empty() {
            return Vec::new();
        }
        let view = ctx.current;
        let texts = view
            .notes
            .iter()
            .map(|n| Record::Note(n.clone()))
            .chain(view.tickets.iter().map(|t| Record::Ticket(t.clone())))
            .chain(view.meetings.iter().map(|m| Record::Meeting(m.clone())));
        let mut out = Vec::new();
        for record in texts.filter(|r| ctx.is_changed(r)) {
            let Some(text) = text_of(&record) else {
                continue;
            };
            let before = ctx.previous_of(&record).and_then(text_of);
            for competitor in &ctx.config.competitors {
                if !contains_word(text, competitor)
                    || before.is_some_and(|b| contains_word(b, competitor))
                {
                    continue;
                }
                out.push(Signal::new(
                    ctx.tenant_id,
                    ctx.now,
                    SignalParts {
                        signal_type: SignalType::CompetitiveThreatDetected,
                        account_id: record.account_id().clone(),
                        severity: Severity::High,
                        confidence: 0.7,
                        evidence_refs: vec![ctx.current_ref(&record)],
                        expires_at: ctx.now + chrono::Duration::days(30),
                        dedup_key: format!(
                            "competitor:{}:{}",
                            competitor.trim().to_lowercase(),
                            record.key()
                        ),
                        details: json!({
                            "competitor": competitor,
                            "record_type": record.record_type(),
                            "record_id": record.id(),
                            "text": text,
                        }),
                    },
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::test_support::*;
    use crate::signals::{SignalConfig, detect_batch};

    fn note(text: &str) -> Record {
        record(&format!(
            r#"{{"type":"note","id":"n1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","at":"2026-03-09T00:00:00Z","text":"{text}"}}"#
        ))
    }

    fn detect(current: Vec<Record>, previous: Vec<Record>) -> Vec<Signal> {
        let config = SignalConfig {
            competitors: vec!["Rivalsoft".into(), "Big Co".into()],
            ..Default::default()
        };
        let tenant = crate::TenantId::parse("t1").unwrap();
        detect_batch(
            &[Box::new(CompetitiveThreatDetectedDetector)],
            &tenant,
            current,
            previous,
            now(),
            &config,
        )
    }

    #[test]
    fn names_a_competitor_as_a_whole_word_in_any_case() {
        assert_eq!(
            detect(vec![note("They are trialling RIVALSOFT")], vec![]).len(),
            1
        );
        assert_eq!(
            detect(vec![note("big co offered 20% off")], vec![]).len(),
            1
        );
        assert!(detect(vec![note("Rivalsofts everywhere")], vec![]).is_empty());
    }

    #[test]
    fn only_new_mentions_count() {
        assert!(
            detect(
                vec![note("Rivalsoft again")],
                vec![note("Rivalsoft came up")]
            )
            .is_empty()
        );
        assert_eq!(
            detect(vec![note("Now Rivalsoft")], vec![note("Quiet week")]).len(),
            1
        );
        assert!(
            run(
                &CompetitiveThreatDetectedDetector,
                vec![note("Rivalsoft")],
                &[]
            )
            .is_empty(),
            "no competitors configured"
        );
    }
}
