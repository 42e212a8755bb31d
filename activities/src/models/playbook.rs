//! The playbook model: runs the deterministic playbooks from the domain crate on the decision
//! context, with the tenant's `[playbooks]` settings.

use async_trait::async_trait;
use revloop_domain::decision::{Playbook, PlaybookInput, builtin_playbooks, run_playbooks};

use super::{DecisionContext, DecisionModel, ModelError};

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

    async fn decide(&self, context: &DecisionContext<'_>) -> Result<serde_json::Value, ModelError> {
        let input = PlaybookInput {
            decision_id: context.decision_id,
            facts: context.facts,
            signals: context.signals,
            brief: context.brief,
            brief_artifact_key: context.brief_artifact_key,
            now: context.now,
            config: &context.config.playbooks,
        };
        serde_json::to_value(run_playbooks(&self.playbooks, &input)).map_err(|e| ModelError {
            model: super::FALLBACK_MODEL,
            message: e.to_string(),
        })
    }
}
