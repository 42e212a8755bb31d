//! Deterministic playbooks: the default decision model. A playbook reads the account's facts
//! (its world state), signals and brief, and proposes actions; the same input always gives the
//! same answer.
//!
//! To add one, create `<name>.rs` with a type implementing [`Playbook`] and add a line to
//! [`builtin_playbooks()`]. Playbook names are written into proposals and the tenant config
//! (`[playbooks.<name>]`): add new ones, never rename old ones.

mod champion_check_in;
mod close_date_requalify;
mod competitive_plan;
mod config;
mod executive_introduction;
mod funding_congratulations;
mod meeting_prep;
mod partnership_note;
mod re_engage;
mod renewal_at_risk;
mod renewal_plan;
mod run;
mod stage_change_note;
mod stakeholder_map;
mod support;
mod support_exec_escalation;
mod support_sev2_escalation;
mod usage_drop_check_in;
mod usage_spike_expansion;

use chrono::{DateTime, Utc};

pub use config::{PlaybookConfig, PlaybookSetting};
pub use run::run_playbooks;

use super::brief::MeetingBrief;
use super::proposal::Proposal;
use crate::signals::{Signal, SignalType};
use crate::world::AccountFacts;

pub struct PlaybookInput<'a> {
    /// The decision's id (its workflow id): proposal ids derive from it.
    pub decision_id: &'a str,
    /// The account's world as of the decision: every entity's state with its contradictions,
    /// the account state, the recent usage. A playbook whose [`Playbook::depends_on`] names a
    /// disputed field does not propose; the decision asks about the field instead.
    pub facts: &'a AccountFacts,
    pub signals: &'a [Signal],
    pub brief: &'a MeetingBrief,
    /// Where the stored brief lives, so "attach brief" can point at it.
    pub brief_artifact_key: &'a str,
    pub now: DateTime<Utc>,
    /// The tenant's playbook settings: which are off, which propose another action.
    pub config: &'a PlaybookConfig,
}

pub trait Playbook: Send + Sync {
    fn name(&self) -> &'static str;
    /// The signals this playbook answers.
    fn answers(&self) -> &'static [SignalType];
    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal>;
    /// The critical fields its proposals rest on, as `entity_type.field`
    /// (`account.renewal_date`): while trusted sources dispute one, it proposes nothing.
    fn depends_on(&self) -> &'static [&'static str] {
        &[]
    }
}

pub fn builtin_playbooks() -> Vec<Box<dyn Playbook>> {
    vec![
        Box::new(meeting_prep::MeetingPrepPlaybook),
        Box::new(renewal_plan::RenewalPlanPlaybook),
        Box::new(re_engage::ReEngagePlaybook),
        Box::new(close_date_requalify::CloseDateRequalifyPlaybook),
        Box::new(stage_change_note::StageChangeNotePlaybook),
        Box::new(stakeholder_map::StakeholderMapPlaybook),
        Box::new(champion_check_in::ChampionCheckInPlaybook),
        Box::new(support_sev2_escalation::SupportSev2EscalationPlaybook),
        Box::new(support_exec_escalation::SupportExecEscalationPlaybook),
        Box::new(usage_drop_check_in::UsageDropCheckInPlaybook),
        Box::new(usage_spike_expansion::UsageSpikeExpansionPlaybook),
        Box::new(competitive_plan::CompetitivePlanPlaybook),
        Box::new(executive_introduction::ExecutiveIntroductionPlaybook),
        Box::new(funding_congratulations::FundingCongratulationsPlaybook),
        Box::new(partnership_note::PartnershipNotePlaybook),
        Box::new(renewal_at_risk::RenewalAtRiskPlaybook),
    ]
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_has_a_playbook_and_names_are_unique() {
        let playbooks = builtin_playbooks();
        let all = [
            SignalType::RenewalWindowEntered,
            SignalType::CloseDateSlipped,
            SignalType::StakeholderChanged,
            SignalType::SupportSev2Aging,
            SignalType::UsageDropPercent,
            SignalType::NoMeetingIn21Days,
            SignalType::OpportunityStageChanged,
            SignalType::ChampionEngagementDropped,
            SignalType::CompetitiveThreatDetected,
            SignalType::ProductUsageSpike,
            SignalType::SupportTicketEscalation,
            SignalType::ExecutiveChange,
            SignalType::FundingAnnouncement,
            SignalType::PartnershipAnnouncement,
            SignalType::MeetingUpcoming,
        ];
        for signal in all {
            assert!(
                playbooks.iter().any(|p| p.answers().contains(&signal)),
                "no playbook answers {}",
                signal.as_str()
            );
        }
        let mut names: Vec<&str> = playbooks.iter().map(|p| p.name()).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
    }
}
