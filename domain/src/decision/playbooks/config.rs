//! The tenant's `[playbooks]` table: a playbook can be turned off, or made to propose an
//! internal task instead of its usual action (e.g. a usage drop gets a task for the owner
//! rather than an email). Unknown playbook names and keys are refused by name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::decision::actions::ActionKind;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlaybookConfig(pub BTreeMap<String, PlaybookSetting>);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlaybookSetting {
    pub enabled: bool,
    /// Propose this kind instead of the playbook's own (today: `create_task` or `log_note`).
    pub action: Option<ActionKind>,
}

impl Default for PlaybookSetting {
    fn default() -> Self {
        Self {
            enabled: true,
            action: None,
        }
    }
}

/// Kinds a playbook's proposals may be turned into: internal ones that need only a title or body.
pub const REPLACEMENT_KINDS: [ActionKind; 2] = [ActionKind::CreateTask, ActionKind::LogNote];

impl PlaybookConfig {
    /// Refuses names that are not playbooks and replacements that cannot stand in.
    pub fn check(&self, known: &[&str]) -> Result<(), String> {
        for (name, setting) in &self.0 {
            if !known.contains(&name.as_str()) {
                return Err(format!(
                    "playbooks.{name}: no such playbook; known: {}",
                    known.join(", ")
                ));
            }
            if let Some(kind) = setting.action
                && !REPLACEMENT_KINDS.contains(&kind)
            {
                return Err(format!(
                    "playbooks.{name}.action: {} cannot replace a playbook's proposals; use create_task or log_note",
                    kind.as_str()
                ));
            }
        }
        Ok(())
    }

    pub fn setting(&self, name: &str) -> PlaybookSetting {
        self.0.get(name).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_unknown_names_are_refused() {
        let config: PlaybookConfig = serde_json::from_value(serde_json::json!({
            "usage_drop_check_in": { "action": "create_task" },
            "partnership_note": { "enabled": false },
        }))
        .unwrap();
        assert_eq!(
            config.check(&["usage_drop_check_in", "partnership_note"]),
            Ok(())
        );
        assert!(!config.setting("partnership_note").enabled);
        assert!(config.setting("renewal_plan").enabled);
        let err = config.check(&["usage_drop_check_in"]).unwrap_err();
        assert!(
            err.starts_with("playbooks.partnership_note: no such playbook"),
            "{err}"
        );
        let typo = serde_json::from_value::<PlaybookConfig>(serde_json::json!({
            "renewal_plan": { "enable": false }
        }));
        assert!(
            typo.unwrap_err()
                .to_string()
                .contains("unknown field `enable`")
        );
        let external: PlaybookConfig = serde_json::from_value(serde_json::json!({
            "renewal_plan": { "action": "send_email" }
        }))
        .unwrap();
        assert!(
            external
                .check(&["renewal_plan"])
                .unwrap_err()
                .contains("cannot replace")
        );
    }
}
