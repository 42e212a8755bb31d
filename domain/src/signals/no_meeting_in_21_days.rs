//! NO_MEETING_IN_21_DAYS: an account with an open opportunity, or inside its renewal window, has
//! had no held meeting in the last 21 days (the limit is tenant config).

use chrono::{Days, Duration};
use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::{MeetingStatus, Record};

pub struct NoMeetingIn21DaysDetector;

impl SignalDetector for NoMeetingIn21DaysDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::NoMeetingIn21Days
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let today = ctx.now.date_naive();
        let window_end =
            today.checked_add_days(Days::new(ctx.config.renewal_window_days.max(0) as u64));
        let mut reasons: Vec<Record> = ctx
            .current
            .opportunities
            .iter()
            .filter(|o| o.stage.is_open())
            .map(|o| Record::Opportunity(o.clone()))
            .collect();
        reasons.extend(
            ctx.current
                .contracts
                .iter()
                .filter(|c| c.end_date >= today && window_end.is_some_and(|w| c.end_date <= w))
                .map(|c| Record::Contract(c.clone())),
        );
        if reasons.is_empty() {
            return Vec::new();
        }
        let since = ctx.now - Duration::days(ctx.config.no_meeting_days);
        let held = || {
            ctx.current
                .meetings
                .iter()
                .filter(|m| m.status == MeetingStatus::Held && m.starts_at <= ctx.now)
        };
        if held().any(|m| m.starts_at >= since) {
            return Vec::new();
        }
        let last_held = held().max_by_key(|m| (m.starts_at, m.id.clone()));
        let Some(account_id) = ctx.current.account_id.clone() else {
            return Vec::new();
        };
        let mut evidence_refs: Vec<String> = reasons.iter().map(|r| ctx.current_ref(r)).collect();
        if let Some(m) = last_held {
            evidence_refs.push(ctx.current_ref(m));
        }
        vec![Signal::new(
            ctx.tenant_id,
            ctx.now,
            SignalParts {
                signal_type: SignalType::NoMeetingIn21Days,
                account_id: account_id.clone(),
                severity: Severity::Medium,
                confidence: 0.8,
                evidence_refs,
                expires_at: ctx.now + Duration::days(7),
                // Fires once per quiet spell: a new held meeting starts a new one.
                dedup_key: format!(
                    "no_meeting:{account_id}:after:{}",
                    last_held.map_or("none".to_string(), |m| m.id.clone())
                ),
                details: json!({
                    "last_held_meeting": last_held.map(|m| json!({ "id": m.id, "at": m.starts_at })),
                    "days_without": last_held.map(|m| (ctx.now - m.starts_at).num_days()),
                    "limit_days": ctx.config.no_meeting_days,
                }),
            },
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::test_support::*;

    fn open_opp() -> Record {
        record(
            r#"{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Expansion","stage":"discovery"}"#,
        )
    }

    fn held(ago: Duration) -> Record {
        record(&format!(
            r#"{{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","title":"Sync","starts_at":"{}","status":"held"}}"#,
            (now() - ago).to_rfc3339()
        ))
    }

    #[test]
    fn a_held_meeting_exactly_21_days_ago_still_counts() {
        assert!(
            run(
                &NoMeetingIn21DaysDetector,
                vec![open_opp(), held(Duration::days(21))],
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn twenty_one_days_and_a_second_without_a_meeting_fires() {
        let found = run(
            &NoMeetingIn21DaysDetector,
            vec![open_opp(), held(Duration::days(21) + Duration::seconds(1))],
            &[],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence_refs.len(), 2);
        assert_eq!(
            run(&NoMeetingIn21DaysDetector, vec![open_opp()], &[]).len(),
            1
        );
    }

    #[test]
    fn accounts_without_a_deal_or_renewal_are_left_alone() {
        assert!(
            run(
                &NoMeetingIn21DaysDetector,
                vec![held(Duration::days(60))],
                &[]
            )
            .is_empty()
        );
        let renewal = record(
            r#"{"type":"contract","id":"c1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","start_date":"2025-04-01","end_date":"2026-04-01"}"#,
        );
        assert_eq!(run(&NoMeetingIn21DaysDetector, vec![renewal], &[]).len(), 1);
    }
}
