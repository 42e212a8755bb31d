//! The situations the generator can plant, one per signal type.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Situation {
    RenewalWindow,
    CloseDateSlipped,
    StakeholderRoleChange,
    SevereTicketAging,
    UsageDrop,
    NoRecentMeeting,
    StageChanged,
    ChampionGoneQuiet,
    CompetitorMentioned,
    UsageSpike,
    TicketEscalated,
    NewExecutive,
    Funding,
    Partnership,
    MeetingSoon,
}

impl Situation {
    pub const ALL: [Situation; 15] = [
        Situation::RenewalWindow,
        Situation::CloseDateSlipped,
        Situation::StakeholderRoleChange,
        Situation::SevereTicketAging,
        Situation::UsageDrop,
        Situation::NoRecentMeeting,
        Situation::StageChanged,
        Situation::ChampionGoneQuiet,
        Situation::CompetitorMentioned,
        Situation::UsageSpike,
        Situation::TicketEscalated,
        Situation::NewExecutive,
        Situation::Funding,
        Situation::Partnership,
        Situation::MeetingSoon,
    ];

    pub fn signal_type(self) -> &'static str {
        match self {
            Situation::RenewalWindow => "RENEWAL_WINDOW_ENTERED",
            Situation::CloseDateSlipped => "CLOSE_DATE_SLIPPED",
            Situation::StakeholderRoleChange => "STAKEHOLDER_CHANGED",
            Situation::SevereTicketAging => "SUPPORT_SEV2_AGING",
            Situation::UsageDrop => "USAGE_DROP_PERCENT",
            Situation::NoRecentMeeting => "NO_MEETING_IN_21_DAYS",
            Situation::StageChanged => "OPPORTUNITY_STAGE_CHANGED",
            Situation::ChampionGoneQuiet => "CHAMPION_ENGAGEMENT_DROPPED",
            Situation::CompetitorMentioned => "COMPETITIVE_THREAT_DETECTED",
            Situation::UsageSpike => "PRODUCT_USAGE_SPIKE",
            Situation::TicketEscalated => "SUPPORT_TICKET_ESCALATION",
            Situation::NewExecutive => "EXECUTIVE_CHANGE",
            Situation::Funding => "FUNDING_ANNOUNCEMENT",
            Situation::Partnership => "PARTNERSHIP_ANNOUNCEMENT",
            Situation::MeetingSoon => "MEETING_UPCOMING",
        }
    }
}

/// Account `index` always gets situation `index mod 15`, so every situation is planted once
/// there are 15 accounts; each other situation is added with probability 0.15.
pub fn choose(index: usize, rng: &mut ChaCha8Rng) -> Vec<Situation> {
    let guaranteed = Situation::ALL[index % Situation::ALL.len()];
    let mut chosen: Vec<Situation> = Situation::ALL
        .iter()
        .copied()
        .filter(|s| *s == guaranteed || rng.random_bool(0.15))
        .collect();
    chosen.sort();
    chosen
}
