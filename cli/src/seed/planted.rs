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

impl Situation {
    /// The playbook that answers the situation's signal, and the action kind it must propose
    /// for a generated account (whose champion and buyer have addresses and whose new
    /// executive has none).
    pub fn expected_action(self) -> (&'static str, &'static str) {
        match self {
            Situation::RenewalWindow => ("renewal_plan", "create_task"),
            Situation::CloseDateSlipped => ("close_date_requalify", "create_task"),
            Situation::StakeholderRoleChange => ("stakeholder_map", "create_task"),
            Situation::SevereTicketAging => ("support_sev2_escalation", "escalate_ticket"),
            Situation::UsageDrop => ("usage_drop_check_in", "send_email"),
            Situation::NoRecentMeeting => ("re_engage", "request_meeting"),
            Situation::StageChanged => ("stage_change_note", "log_note"),
            Situation::ChampionGoneQuiet => ("champion_check_in", "send_email"),
            Situation::CompetitorMentioned => ("competitive_plan", "create_task"),
            Situation::UsageSpike => ("usage_spike_expansion", "create_task"),
            Situation::TicketEscalated => ("support_exec_escalation", "escalate_to_exec_sponsor"),
            Situation::NewExecutive => ("executive_introduction", "create_task"),
            Situation::Funding => ("funding_congratulations", "send_email"),
            Situation::Partnership => ("partnership_note", "log_note"),
            Situation::MeetingSoon => ("meeting_prep", "attach_brief"),
        }
    }
}

/// Account `index` always gets situation `index mod 15`, so every situation is planted once
/// there are 15 accounts; each other situation is added with probability 0.15. The first
/// account (inside its renewal window) also has a ticket escalated: a renewal at risk, which
/// the `renewal_at_risk` plan answers, is planted in every tenant.
pub fn choose(index: usize, rng: &mut ChaCha8Rng) -> Vec<Situation> {
    let guaranteed = Situation::ALL[index % Situation::ALL.len()];
    let mut chosen: Vec<Situation> = Situation::ALL
        .iter()
        .copied()
        .filter(|s| *s == guaranteed || rng.random_bool(0.15))
        .collect();
    if index == 0 && !chosen.contains(&Situation::TicketEscalated) {
        chosen.push(Situation::TicketEscalated);
    }
    chosen.sort();
    chosen
}
