//! The action catalog: every kind of action revloop can take and the class that routes it.

use serde::{Deserialize, Serialize};

/// Action classes of DESIGN §6.4; the class decides whether a person must approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionClass {
    /// Create a task, log a note, attach a brief: runs autonomously.
    InternalNonDestructive,
    /// A CRM field update: autonomous only when policy allows and confidence is high.
    InternalMutation,
    /// Anything a customer sees: always needs approval.
    ExternalHumanTouch,
    ClarificationEscalation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    AttachBrief,
    CreateTask,
    SendFollowUp,
}

impl ActionKind {
    pub fn class(self) -> ActionClass {
        match self {
            ActionKind::AttachBrief | ActionKind::CreateTask => ActionClass::InternalNonDestructive,
            ActionKind::SendFollowUp => ActionClass::ExternalHumanTouch,
        }
    }

    pub fn requires_approval(self) -> bool {
        self.class() == ActionClass::ExternalHumanTouch
    }

    /// The stable name written into the ledger and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::AttachBrief => "attach_brief",
            ActionKind::CreateTask => "create_task",
            ActionKind::SendFollowUp => "send_follow_up",
        }
    }

    /// Parameters a person may change when editing an approval.
    pub fn editable_params(self) -> &'static [&'static str] {
        match self {
            ActionKind::AttachBrief => &[],
            ActionKind::CreateTask => &["title", "due_date", "owner"],
            ActionKind::SendFollowUp => &["to", "subject", "body"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_customer_facing_actions_need_approval() {
        assert!(ActionKind::SendFollowUp.requires_approval());
        assert!(!ActionKind::CreateTask.requires_approval());
        assert!(!ActionKind::AttachBrief.requires_approval());
    }
}
