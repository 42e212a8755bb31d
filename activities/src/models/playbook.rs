//! The playbook model: runs the deterministic playbooks from the domain crate.

use async_trait::async_trait;
use revloop_domain::decision::{
    DecisionMessage, Playbook, PlaybookInput, builtin_playbooks, run_playbooks,
};

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
        "playbooks"
    }

    async fn decide(&self, input: &PlaybookInput<'_>) -> Result<DecisionMessage, ModelError> {
        Ok(run_playbooks(&self.playbooks, input))
    }
}
