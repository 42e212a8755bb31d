//! The brief before every meeting, even when no new record arrives: the AccountWorkflow sleeps
//! on a durable timer until `brief_lead_hours` before the next scheduled meeting, then raises
//! MEETING_UPCOMING for it at workflow time, and the decision that follows prepares the brief.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use crate::TenantId;
use crate::records::MeetingStatus;
use crate::signals::{
    DetectionContext, MeetingUpcomingDetector, Signal, SignalConfig, SignalDetector,
};
use crate::world::AccountView;

/// How long before a meeting its brief is prepared by default.
pub const DEFAULT_BRIEF_LEAD_HOURS: i64 = 24;
/// The longest an account sleeps between looks at its calendar: a meeting booked meanwhile
/// (which raises no signal of its own) is found within this.
pub const RECHECK_HOURS: i64 = 6;

/// What the calendar asks for now: the MEETING_UPCOMING signals due (meetings starting within
/// the lead), and when the next one falls due.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingTimer {
    pub due: Vec<Signal>,
    pub next_due: Option<DateTime<Utc>>,
}

/// The account's meeting briefs as of `now`, with `lead_hours` of lead.
pub fn meeting_timer(
    tenant_id: &TenantId,
    view: &AccountView,
    now: DateTime<Utc>,
    lead_hours: i64,
) -> MeetingTimer {
    let lead = Duration::hours(lead_hours.max(0));
    let config = SignalConfig {
        meeting_upcoming_hours: lead_hours.max(0),
        ..SignalConfig::default()
    };
    let (previous, changed) = (BTreeMap::new(), BTreeSet::new());
    let due = MeetingUpcomingDetector.detect(&DetectionContext {
        tenant_id,
        current: view,
        current_refs: &crate::world::NO_REFS,
        previous: &previous,
        changed: &changed,
        now,
        config: &config,
    });
    let next_due = view
        .meetings
        .iter()
        .filter(|m| m.status == MeetingStatus::Scheduled)
        .map(|m| m.starts_at - lead)
        .filter(|at| *at > now)
        .min();
    MeetingTimer { due, next_due }
}

/// When the account next looks at its calendar: the next brief's time, or the recheck.
pub fn next_wake(timer: &MeetingTimer, now: DateTime<Utc>) -> DateTime<Utc> {
    let recheck = now + Duration::hours(RECHECK_HOURS);
    timer.next_due.map_or(recheck, |due| due.min(recheck))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountId;
    use crate::signals::SignalType;

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    fn view(meetings: &[(&str, Duration, &str)]) -> AccountView {
        let lines: Vec<String> = meetings
            .iter()
            .map(|(id, starts_in, status)| {
                format!(
                    r#"{{"type":"meeting","id":"{id}","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"QBR","starts_at":"{}","status":"{status}"}}"#,
                    (now() + *starts_in).to_rfc3339()
                )
            })
            .collect();
        let records = lines
            .iter()
            .map(|l| crate::records::parse_line(1, l).unwrap());
        AccountView::from_records(AccountId::parse("acme").unwrap(), records)
    }

    fn tenant() -> TenantId {
        TenantId::parse("t1").unwrap()
    }

    #[test]
    fn a_meeting_inside_the_lead_is_due_and_the_next_one_sets_the_timer() {
        let v = view(&[
            ("m1", Duration::hours(20), "scheduled"),
            ("m2", Duration::hours(72), "scheduled"),
        ]);
        let timer = meeting_timer(&tenant(), &v, now(), 24);
        assert_eq!(timer.due.len(), 1);
        assert_eq!(timer.due[0].signal_type, SignalType::MeetingUpcoming);
        assert_eq!(timer.due[0].details["meeting_id"], "m1");
        assert_eq!(timer.next_due, Some(now() + Duration::hours(48)));
        assert_eq!(
            next_wake(&timer, now()),
            now() + Duration::hours(RECHECK_HOURS)
        );
    }

    #[test]
    fn the_timer_wakes_at_the_lead_and_the_brief_is_then_due_once() {
        let v = view(&[("m1", Duration::hours(26), "scheduled")]);
        let before = meeting_timer(&tenant(), &v, now(), 24);
        assert!(before.due.is_empty());
        let wake = next_wake(&before, now());
        assert_eq!(wake, now() + Duration::hours(2));
        let at_wake = meeting_timer(&tenant(), &v, wake, 24);
        assert_eq!(at_wake.due.len(), 1);
        assert_eq!(at_wake.next_due, None);
        // The same meeting at another instant is the same signal: raised once.
        let later = meeting_timer(&tenant(), &v, wake + Duration::hours(1), 24);
        assert_eq!(later.due[0].signal_id, at_wake.due[0].signal_id);
    }

    #[test]
    fn cancelled_and_past_meetings_set_nothing() {
        let v = view(&[
            ("m1", Duration::hours(30), "cancelled"),
            ("m2", Duration::hours(-3), "scheduled"),
        ]);
        let timer = meeting_timer(&tenant(), &v, now(), 24);
        assert!(timer.due.is_empty());
        assert_eq!(timer.next_due, None);
    }
}
