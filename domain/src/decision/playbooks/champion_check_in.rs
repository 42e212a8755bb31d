//! The champion went quiet: a check-in email to them (for approval).

use super::support::{
    check_in_email, find_the_right_person, number, reachable_contact, shown, signals_of, text,
};
use super::{Playbook, PlaybookInput};
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct ChampionCheckInPlaybook;

impl Playbook for ChampionCheckInPlaybook {
    fn name(&self) -> &'static str {
        "champion_check_in"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::ChampionEngagementDropped]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        signals_of(input, SignalType::ChampionEngagementDropped)
            .into_iter()
            .map(|s| {
                let why = format!(
                    "{}'s engagement is down {} %: {} touches in the last 14 days against {} before",
                    text(s, "name"),
                    number(s, "drop_pct").map(shown).unwrap_or_default(),
                    number(s, "recent_touches").map(shown).unwrap_or_default(),
                    number(s, "baseline_touches_per_14_days").map(shown).unwrap_or_default(),
                );
                match reachable_contact(input, text(s, "contact_id")) {
                    Some(champion) => check_in_email(
                        input,
                        champion,
                        &[s],
                        why,
                        "We haven't heard from you in a little while and I wanted to check that everything is on track.",
                        0.75,
                    ),
                    None => find_the_right_person(input, &[s], "check in with", why),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::json;

    fn dropped() -> crate::signals::Signal {
        signal(
            SignalType::ChampionEngagementDropped,
            json!({"contact_id": "ada", "name": "Ada Lovelace", "drop_pct": 75.0, "recent_touches": 1.0, "baseline_touches_per_14_days": 4.0}),
        )
    }

    #[test]
    fn the_champion_gets_a_check_in() {
        let p = propose(
            &ChampionCheckInPlaybook,
            &view(&[ACCOUNT, CHAMPION]),
            &[dropped()],
        );
        assert_eq!(kinds(&p), ["send_email"]);
        assert_eq!(p[0].params["purpose"], "check_in");
        assert!(
            p[0].why_now
                .contains("down 75 %: 1 touches in the last 14 days against 4 before"),
            "{}",
            p[0].why_now
        );
    }

    #[test]
    fn an_inactive_champion_is_not_written_to() {
        let p = propose(
            &ChampionCheckInPlaybook,
            &view(&[ACCOUNT, GONE_CHAMPION]),
            &[dropped()],
        );
        assert_eq!(kinds(&p), ["create_task"]);
    }
}
