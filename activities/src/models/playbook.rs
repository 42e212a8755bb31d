//! The playbook model: runs the deterministic playbooks from the domain crate.

use async_trait::async_trait;
use revloop_domain::decision::{Playbook, PlaybookInput, builtin_playbooks, run_playbooks};

use super::{DecisionModel, ModelError};

pub struct PlaybookModel {
    playbooks: Vec<Box<dyn Playbook>>,
}

impl Default for PlaybookModel {
    fn default() -> Self {
        Self {
            playbooks: builtin_playbooks(),
        }
    }
}

#[async_trait]
impl DecisionModel for PlaybookModel {
    fn name(&self) -> &'static str {
        super::FALLBACK_MODEL
    }

    async fn decide(&self, input: &PlaybookInput<'_>) -> Result<serde_json::Value, ModelError> {
        serde_json::to_value(run_playbooks(&self.playbooks, input)).map_err(|e| ModelError {
            model: super::FALLBACK_MODEL,
            message: e.to_string(),
        })
    }
}
