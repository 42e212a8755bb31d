//! Usage fell: a check-in email to the champion or primary contact (for approval), saying
//! what fell and by how much.

use super::support::{
    check_in_email, find_the_right_person, listed, number, recipient, shown, signals_of, text,
};
use super::{Playbook, PlaybookInput};
use crate::decision::proposal::Proposal;
use crate::records::ContactRole;
use crate::signals::{Signal, SignalType};

pub struct UsageDropCheckInPlaybook;

/// "seats down 55 %: 90 a day this week against 200 over the 4 weeks before".
pub(super) fn drop_sentence(s: &Signal) -> String {
    let weeks = number(s, "baseline_days")
        .map(|d| (d / 7.0).round())
        .unwrap_or(4.0);
    format!(
        "{} down {} %: {} a day this week against {} over the {} weeks before",
        text(s, "metric"),
        number(s, "drop_pct").map(shown).unwrap_or_default(),
        number(s, "recent_mean").map(shown).unwrap_or_default(),
        number(s, "baseline_mean").map(shown).unwrap_or_default(),
        shown(weeks),
    )
}

impl Playbook for UsageDropCheckInPlaybook {
    fn name(&self) -> &'static str {
        "usage_drop_check_in"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::UsageDropPercent]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        let signals = signals_of(input, SignalType::UsageDropPercent);
        if signals.is_empty() {
            return Vec::new();
        }
        let why = listed(&signals.iter().map(|s| drop_sentence(s)).collect::<Vec<_>>());
        match recipient(input, &[ContactRole::Champion]) {
            Some(contact) => vec![check_in_email(
                input,
                contact,
                &signals,
                why,
                "I noticed your team has been using the product less these past days and wanted to check in.",
                0.7,
            )],
            None => vec![find_the_right_person(
                input,
                &signals,
                "check in about the usage drop",
                why,
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::json;

    fn drop() -> Signal {
        signal(
            SignalType::UsageDropPercent,
            json!({"metric": "seats", "drop_pct": 55.0, "recent_mean": 90.0, "baseline_mean": 200.0, "baseline_days": 28}),
        )
    }

    #[test]
    fn the_why_now_has_the_numbers() {
        let p = propose(
            &UsageDropCheckInPlaybook,
            &view(&[ACCOUNT, CHAMPION]),
            &[drop()],
        );
        assert_eq!(kinds(&p), ["send_email"]);
        assert_eq!(
            p[0].why_now,
            "seats down 55 %: 90 a day this week against 200 over the 4 weeks before"
        );
    }

    #[test]
    fn no_contact_gives_a_task_and_no_drop_gives_nothing() {
        let p = propose(&UsageDropCheckInPlaybook, &view(&[ACCOUNT]), &[drop()]);
        assert_eq!(kinds(&p), ["create_task"]);
        assert!(propose(&UsageDropCheckInPlaybook, &view(&[ACCOUNT, CHAMPION]), &[]).is_empty());
    }

    #[test]
    fn a_champion_whose_address_is_disputed_is_not_written_to() {
        let p = propose(
            &UsageDropCheckInPlaybook,
            &champion_with_disputed_address(),
            &[drop()],
        );
        assert_eq!(kinds(&p), ["create_task"], "find the right contact instead");
    }
}
