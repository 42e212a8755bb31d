//! MEETING_UPCOMING: a scheduled meeting starts within the look-ahead (48 hours by default).

use chrono::Duration;
use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::MeetingStatus;

pub struct MeetingUpcomingDetector;

impl SignalDetector for MeetingUpcomingDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::MeetingUpcoming
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let horizon = Duration::hours(ctx.config.meeting_upcoming_hours);
        ctx.current
            .meetings
            .iter()
            .filter(|m| m.status == MeetingStatus::Scheduled)
            .filter(|m| m.starts_at > ctx.now && m.starts_at - ctx.now <= horizon)
            .map(|meeting| {
                let hours = (meeting.starts_at - ctx.now).num_minutes() as f64 / 60.0;
                Signal::new(
                    ctx.tenant_id,
                    ctx.now,
                    SignalParts {
                        signal_type: SignalType::MeetingUpcoming,
                        account_id: meeting.account_id.clone(),
                        severity: if hours <= 24.0 {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        confidence: 0.99,
                        evidence_refs: vec![ctx.current_ref(meeting)],
                        expires_at: meeting.starts_at,
                        // A rescheduled meeting needs a fresh brief.
                        dedup_key: format!(
                            "meeting:{}:{}",
                            meeting.id,
                            meeting.starts_at.to_rfc3339()
                        ),
                        details: json!({
                            "meeting_id": meeting.id,
                            "title": meeting.title,
                            "starts_at": meeting.starts_at,
                            "hours_until": (hours * 10.0).round() / 10.0,
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

    fn meeting(status: &str, starts_in: Duration) -> Record {
        record(&format!(
            r#"{{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","title":"QBR","starts_at":"{}","status":"{status}"}}"#,
            (now() + starts_in).to_rfc3339()
        ))
    }

    #[test]
    fn fires_up_to_and_including_48_hours_ahead() {
        assert_eq!(
            run(
                &MeetingUpcomingDetector,
                vec![meeting("scheduled", Duration::hours(48))],
                &[]
            )
            .len(),
            1
        );
        assert_eq!(
            run(
                &MeetingUpcomingDetector,
                vec![meeting("scheduled", Duration::minutes(1))],
                &[]
            )
            .len(),
            1
        );
    }

    #[test]
    fn quiet_beyond_48_hours_in_the_past_or_when_cancelled() {
        let later = Duration::hours(48) + Duration::seconds(1);
        assert!(
            run(
                &MeetingUpcomingDetector,
                vec![meeting("scheduled", later)],
                &[]
            )
            .is_empty()
        );
        assert!(
            run(
                &MeetingUpcomingDetector,
                vec![meeting("scheduled", Duration::hours(-1))],
                &[]
            )
            .is_empty()
        );
        assert!(
            run(
                &MeetingUpcomingDetector,
                vec![meeting("cancelled", Duration::hours(2))],
                &[]
            )
            .is_empty()
        );
    }
}
