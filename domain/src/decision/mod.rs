//! Decisions: the protocol a decision model answers in, the action catalog, proposals, the
//! meeting brief and the deterministic playbooks that are the default decision model.

mod actions;
mod approval;
pub mod approval_token;
pub mod approvers;
mod brief;
pub mod clarify;
pub mod invitation;
pub mod meeting_timer;
mod model_config;
pub mod plan;
pub mod playbooks;
mod proposal;
mod protocol;
pub mod writeback;

pub use actions::{ActionClass, ActionKind, EmailPurpose, check_param, param_limit};
pub use approval::{ApprovalCommand, ApprovalVerb, parse_approval};
pub use brief::{MeetingBrief, OpenIssue, RenewalFacts, Risk, UpcomingMeeting, UsageTrend};
pub use model_config::DecisionConfig;
pub use playbooks::{
    Playbook, PlaybookConfig, PlaybookInput, PlaybookSetting, builtin_playbooks, run_playbooks,
};
pub use proposal::Proposal;
pub use protocol::{
    DecisionMessage, ModelInputRefs, Question, QuestionOption, ToolCall, Violation, check_answer,
};
