//! Approval commands as people send them (CLI, API, `temporal workflow signal`), checked by hand
//! from loosely typed JSON: a malformed approval must be recorded and refused, never crash the
//! workflow that waits for it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::actions::ActionKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalVerb {
    Approve,
    Edit,
    Reject,
}

impl ApprovalVerb {
    pub fn parse(signal: &str) -> Option<Self> {
        match signal {
            "approve" => Some(Self::Approve),
            "edit" => Some(Self::Edit),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Edit => "edit",
            Self::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalCommand {
    pub verb: ApprovalVerb,
    /// The name the sender wrote. Never recorded as the approver: that is the token's subject.
    pub approver: Option<String>,
    /// The signed approval token ([`super::approval_token`]) that makes the command count.
    pub token: Option<String>,
    pub reason: Option<String>,
    /// For `edit`: the new values of editable parameters.
    pub changes: Map<String, Value>,
}

/// Checks a signal payload: `{"token": "...", "approver": "...", "reason": "..."}`, plus
/// `"changes": {...}` for edits. Unknown fields are refused too, so a misspelt field never
/// passes silently. The token is verified by the caller (it needs the key); a payload without
/// one parses, so that its refusal can be recorded with the reason.
pub fn parse_approval(
    signal: &str,
    payload: &Value,
    kind: ActionKind,
) -> Result<ApprovalCommand, String> {
    let verb =
        ApprovalVerb::parse(signal).ok_or_else(|| format!("unknown approval signal {signal:?}"))?;
    let Value::Object(fields) = payload else {
        return Err(format!(
            "{signal}: payload must be a JSON object with \"token\", found {}",
            kind_of(payload)
        ));
    };
    let allowed: &[&str] = match verb {
        ApprovalVerb::Edit => &["token", "approver", "reason", "changes"],
        _ => &["token", "approver", "reason"],
    };
    if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "{signal}: unknown field {unknown:?}; expected {}",
            allowed.join(", ")
        ));
    }
    let token = match fields.get("token") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(other) => {
            return Err(format!(
                "{signal}: field \"token\" must be non-empty text, found {}",
                kind_of(other)
            ));
        }
    };
    let approver = match fields.get("approver") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::String(_)) => {
            return Err(format!("{signal}: field \"approver\" must not be empty"));
        }
        Some(other) => {
            return Err(format!(
                "{signal}: field \"approver\" must be text, found {}",
                kind_of(other)
            ));
        }
    };
    let reason = match fields.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(format!(
                "{signal}: field \"reason\" must be text, found {}",
                kind_of(other)
            ));
        }
    };
    let changes = match (verb, fields.get("changes")) {
        (ApprovalVerb::Edit, Some(Value::Object(changes))) if !changes.is_empty() => {
            let editable = kind.editable_params();
            for (name, value) in changes {
                if !editable.contains(&name.as_str()) {
                    return Err(format!(
                        "edit: {} cannot change {name:?}; editable: {}",
                        kind.as_str(),
                        editable.join(", ")
                    ));
                }
                let Some(text) = value.as_str() else {
                    return Err(format!(
                        "edit: change {name:?} must be text, found {}",
                        kind_of(value)
                    ));
                };
                super::actions::check_param(name, text).map_err(|e| format!("edit: {e}"))?;
            }
            changes.clone()
        }
        (ApprovalVerb::Edit, _) => {
            return Err("edit: field \"changes\" must be a non-empty object".to_string());
        }
        _ => Map::new(),
    };
    Ok(ApprovalCommand {
        verb,
        approver,
        token,
        reason,
        changes,
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plain_approval_parses() {
        let cmd = parse_approval(
            "approve",
            &json!({"approver": "carol", "reason": "ok"}),
            ActionKind::SendFollowUp,
        )
        .unwrap();
        assert_eq!(cmd.verb, ApprovalVerb::Approve);
        assert_eq!(cmd.approver.as_deref(), Some("carol"));
        assert_eq!(cmd.token, None);
        let signed = parse_approval(
            "approve",
            &json!({"token": "t.k.n"}),
            ActionKind::SendFollowUp,
        )
        .unwrap();
        assert_eq!(signed.token.as_deref(), Some("t.k.n"));
    }

    #[test]
    fn wrong_field_names_and_types_are_refused_with_a_reason() {
        let kind = ActionKind::SendFollowUp;
        assert!(
            parse_approval("approve", &json!({"who": "carol"}), kind)
                .unwrap_err()
                .contains("unknown field \"who\"")
        );
        assert!(
            parse_approval("approve", &json!({"approver": 42}), kind)
                .unwrap_err()
                .contains("must be text, found a number")
        );
        assert!(
            parse_approval("approve", &json!("carol"), kind)
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(parse_approval("approve", &Value::Null, kind).is_err());
        assert!(
            parse_approval("approve", &json!({"approver": ""}), kind)
                .unwrap_err()
                .contains("\"approver\" must not be empty")
        );
        assert!(
            parse_approval("approve", &json!({"token": 7}), kind)
                .unwrap_err()
                .contains("\"token\" must be non-empty text")
        );
    }

    #[test]
    fn edits_may_change_only_editable_text_params() {
        let kind = ActionKind::SendFollowUp;
        let ok = parse_approval(
            "edit",
            &json!({"approver": "a", "changes": {"subject": "New"}}),
            kind,
        )
        .unwrap();
        assert_eq!(ok.changes["subject"], "New");
        assert!(
            parse_approval(
                "edit",
                &json!({"approver": "a", "changes": {"contact_id": "x"}}),
                kind
            )
            .is_err()
        );
        assert!(
            parse_approval(
                "edit",
                &json!({"approver": "a", "changes": {"subject": 1}}),
                kind
            )
            .is_err()
        );
        assert!(parse_approval("edit", &json!({"approver": "a"}), kind).is_err());
        let huge = json!({"changes": {"body": "x".repeat(1_000_000)}});
        assert!(
            parse_approval("edit", &huge, kind)
                .unwrap_err()
                .contains("at most 20000")
        );
        let crlf = json!({"changes": {"subject": "Hi\r\nBcc: all@evil.test"}});
        assert!(
            parse_approval("edit", &crlf, kind)
                .unwrap_err()
                .contains("line breaks")
        );
    }
}
