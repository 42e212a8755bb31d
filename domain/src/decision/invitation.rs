//! The iCalendar invitation a meeting request carries (RFC 5545, `METHOD:REQUEST`): one event
//! from the seller to the contact, whose UID derives from the action's idempotency key, so a
//! resent invitation updates the same event instead of adding one.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};

/// Where no time was given, the invitation proposes one: 10:00 UTC on the first weekday at
/// least two days after `now`, which leaves the contact time to answer.
pub fn proposed_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let mut day = (now + Duration::days(2)).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    day.and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default())
        .and_utc()
}

pub struct Invitation<'a> {
    pub uid: &'a str,
    pub organizer: &'a str,
    pub attendee: &'a str,
    pub summary: &'a str,
    pub description: &'a str,
    pub starts_at: DateTime<Utc>,
    pub minutes: u32,
    pub stamp: DateTime<Utc>,
}

/// Text as an iCalendar TEXT value: backslash, semicolon, comma and newline escaped.
fn text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// A content line folded at 75 octets (continuations start with a space), ended by CRLF.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

impl Invitation<'_> {
    pub fn to_ics(&self) -> String {
        let ends_at = self.starts_at + Duration::minutes(i64::from(self.minutes));
        let lines = [
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            "PRODID:-//revloop//meeting request//EN".into(),
            "METHOD:REQUEST".into(),
            "BEGIN:VEVENT".into(),
            format!("UID:{}", self.uid),
            format!("DTSTAMP:{}", instant(self.stamp)),
            format!("DTSTART:{}", instant(self.starts_at)),
            format!("DTEND:{}", instant(ends_at)),
            format!("SUMMARY:{}", text(self.summary)),
            format!("DESCRIPTION:{}", text(self.description)),
            format!("ORGANIZER:mailto:{}", self.organizer),
            format!(
                "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{}",
                self.attendee
            ),
            "STATUS:CONFIRMED".into(),
            "SEQUENCE:0".into(),
            "END:VEVENT".into(),
            "END:VCALENDAR".into(),
        ];
        lines.iter().map(|l| fold(l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_proposed_time_is_a_weekday_morning_two_days_out() {
        // Thursday → Monday (Saturday is two days out); Monday → Wednesday.
        assert_eq!(
            proposed_start(at("2026-12-03T15:00:00Z")),
            at("2026-12-07T10:00:00Z")
        );
        assert_eq!(
            proposed_start(at("2026-11-30T08:00:00Z")),
            at("2026-12-02T10:00:00Z")
        );
    }

    #[test]
    fn the_invitation_is_valid_icalendar() {
        let ics = Invitation {
            uid: "act-1@revloop",
            organizer: "sam@acme.example",
            attendee: "ada@customer.example",
            summary: "30 minutes to catch up, Ada?",
            description: "Hi Ada,\n\nCould we find 30 minutes; say, next week?",
            starts_at: at("2026-12-07T10:00:00Z"),
            minutes: 30,
            stamp: at("2026-12-03T15:00:00Z"),
        }
        .to_ics();
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261207T100000Z\r\nDTEND:20261207T103000Z\r\n"));
        assert!(ics.contains("SUMMARY:30 minutes to catch up\\, Ada?"));
        assert!(
            ics.contains(
                "DESCRIPTION:Hi Ada\\,\\n\\nCould we find 30 minutes\\; say\\, next week?"
            )
        );
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "unfolded line: {line:?}");
            assert!(!line.contains('\n'), "a bare newline: {line:?}");
        }
        // The long attendee line was folded, and unfolds to the original.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ada@customer.example\r\n"
        ));
    }
}
