//! The action catalog: every kind of action revloop can take, the class that routes it, the
//! parameters it needs and a person may change, and what its tool call costs. Kind names are
//! written into the ledger and the API: add new ones, never rename old ones.

use serde::{Deserialize, Serialize};

use crate::budget::CostClass;

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
    LogNote,
    UpdateCrmField,
    SendEmail,
    RequestMeeting,
    EscalateTicket,
    EscalateToExecSponsor,
}

impl ActionKind {
    /// Every kind, in catalog order.
    pub const ALL: [ActionKind; 9] = [
        ActionKind::AttachBrief,
        ActionKind::CreateTask,
        ActionKind::SendFollowUp,
        ActionKind::LogNote,
        ActionKind::UpdateCrmField,
        ActionKind::SendEmail,
        ActionKind::RequestMeeting,
        ActionKind::EscalateTicket,
        ActionKind::EscalateToExecSponsor,
    ];

    pub fn class(self) -> ActionClass {
        match self {
            ActionKind::AttachBrief
            | ActionKind::CreateTask
            | ActionKind::LogNote
            // A hand-off to the support lead: it stays inside the company.
            | ActionKind::EscalateTicket => ActionClass::InternalNonDestructive,
            ActionKind::UpdateCrmField => ActionClass::InternalMutation,
            ActionKind::SendFollowUp
            | ActionKind::SendEmail
            | ActionKind::RequestMeeting
            | ActionKind::EscalateToExecSponsor => ActionClass::ExternalHumanTouch,
        }
    }

    pub fn requires_approval(self) -> bool {
        self.class() == ActionClass::ExternalHumanTouch
    }

    /// Whether the action reaches someone outside the company (it needs a recipient).
    pub fn is_customer_facing(self) -> bool {
        self.class() == ActionClass::ExternalHumanTouch
    }

    /// The stable name written into the ledger and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::AttachBrief => "attach_brief",
            ActionKind::CreateTask => "create_task",
            ActionKind::SendFollowUp => "send_follow_up",
            ActionKind::LogNote => "log_note",
            ActionKind::UpdateCrmField => "update_crm_field",
            ActionKind::SendEmail => "send_email",
            ActionKind::RequestMeeting => "request_meeting",
            ActionKind::EscalateTicket => "escalate_ticket",
            ActionKind::EscalateToExecSponsor => "escalate_to_exec_sponsor",
        }
    }

    /// The kind a name stands for, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Parameters the executor cannot do without.
    pub fn required_params(self) -> &'static [&'static str] {
        match self {
            ActionKind::AttachBrief => &["artifact_key", "meeting_id"],
            ActionKind::CreateTask => &["title"],
            ActionKind::SendFollowUp => &["to", "subject", "body"],
            ActionKind::LogNote => &["body"],
            ActionKind::UpdateCrmField => &["entity", "field", "value"],
            ActionKind::SendEmail => &["to", "purpose", "subject", "body"],
            ActionKind::RequestMeeting => &["to", "subject", "body", "duration_minutes"],
            ActionKind::EscalateTicket => &["ticket_id", "reason"],
            ActionKind::EscalateToExecSponsor => &["to", "ticket_id", "subject", "body"],
        }
    }

    /// Parameters a person may change when editing an approval.
    pub fn editable_params(self) -> &'static [&'static str] {
        match self {
            ActionKind::AttachBrief => &[],
            ActionKind::CreateTask => &["title", "due_date", "owner"],
            ActionKind::SendFollowUp => &["to", "subject", "body"],
            ActionKind::LogNote => &["body"],
            ActionKind::UpdateCrmField => &["value"],
            ActionKind::SendEmail => &["to", "subject", "body"],
            ActionKind::RequestMeeting => &["to", "subject", "body", "duration_minutes"],
            ActionKind::EscalateTicket => &["reason"],
            ActionKind::EscalateToExecSponsor => &["to", "subject", "body"],
        }
    }

    /// What the action's tool call costs: internal writes are cheap, anything that leaves
    /// revloop or changes a system of record costs more.
    pub fn cost_class(self) -> CostClass {
        match self.class() {
            ActionClass::InternalNonDestructive => CostClass::Cheap,
            ActionClass::InternalMutation
            | ActionClass::ExternalHumanTouch
            | ActionClass::ClarificationEscalation => CostClass::Medium,
        }
    }
}

/// The longest value a parameter may have, in characters; an edit or a proposal past it is
/// refused (a 1 MB body would make every page that shows the action too big to answer).
pub fn param_limit(name: &str) -> usize {
    match name {
        "to" => 320,
        "subject" | "title" => 300,
        "body" | "reason" => 20_000,
        _ => 2_000,
    }
}

/// Parameters that become mail headers: a line break in one could add a header of its own.
pub const HEADER_PARAMS: [&str; 2] = ["to", "subject"];

/// Checks one text parameter against its limit and, for header-like ones, line breaks.
pub fn check_param(name: &str, value: &str) -> Result<(), String> {
    let limit = param_limit(name);
    let length = value.chars().count();
    if length > limit {
        return Err(format!(
            "parameter {name:?} has {length} characters; at most {limit} are allowed"
        ));
    }
    if HEADER_PARAMS.contains(&name) && value.contains(['\r', '\n']) {
        return Err(format!("parameter {name:?} may not contain line breaks"));
    }
    Ok(())
}

/// Why a `send_email` is sent; written into its params and shown to the approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailPurpose {
    CheckIn,
    Introduction,
    Congratulations,
    /// An executive sponsor's note about a renewal at risk (a step of a renewal-at-risk plan).
    RenewalSponsor,
}

impl EmailPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailPurpose::CheckIn => "check_in",
            EmailPurpose::Introduction => "introduction",
            EmailPurpose::Congratulations => "congratulations",
            EmailPurpose::RenewalSponsor => "renewal_sponsor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_customer_facing_actions_need_approval() {
        for kind in ActionKind::ALL {
            let external = matches!(
                kind,
                ActionKind::SendFollowUp
                    | ActionKind::SendEmail
                    | ActionKind::RequestMeeting
                    | ActionKind::EscalateToExecSponsor
            );
            assert_eq!(kind.requires_approval(), external, "{}", kind.as_str());
        }
        assert_eq!(
            ActionKind::UpdateCrmField.class(),
            ActionClass::InternalMutation
        );
        assert_eq!(
            ActionKind::EscalateTicket.class(),
            ActionClass::InternalNonDestructive
        );
    }

    #[test]
    fn params_have_limits_and_headers_no_line_breaks() {
        assert!(check_param("body", &"x".repeat(20_000)).is_ok());
        let huge = check_param("body", &"x".repeat(1_000_000)).unwrap_err();
        assert!(huge.contains("at most 20000"), "{huge}");
        let injected = check_param("subject", "Hi\r\nBcc: all@evil.test").unwrap_err();
        assert!(injected.contains("line breaks"));
        assert!(check_param("to", "a@b.test\nBcc: x@y.test").is_err());
        assert!(check_param("body", "two\nlines").is_ok());
    }

    #[test]
    fn names_are_stable_and_parse_back() {
        for kind in ActionKind::ALL {
            assert_eq!(ActionKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
        assert_eq!(ActionKind::parse("send_mail"), None);
    }

    #[test]
    fn editable_params_are_named_params_and_customer_facing_kinds_need_a_recipient() {
        for kind in ActionKind::ALL {
            if kind.is_customer_facing() {
                assert!(kind.required_params().contains(&"to"), "{}", kind.as_str());
            }
        }
        assert_eq!(ActionKind::CreateTask.cost_class(), CostClass::Cheap);
        assert_eq!(ActionKind::SendEmail.cost_class(), CostClass::Medium);
        assert_eq!(ActionKind::UpdateCrmField.cost_class(), CostClass::Medium);
    }
}
