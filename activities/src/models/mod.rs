//! Decision models: they answer "what should we do next?" in the decision protocol.
//!
//! To add one, create `<name>.rs` implementing [`DecisionModel`] and add it to [`builtin()`].
//! The deterministic playbook model is the default; a Bedrock model can follow behind the same trait.

mod playbook;

use async_trait::async_trait;
use revloop_domain::decision::{DecisionMessage, PlaybookInput};

pub use playbook::PlaybookModel;

#[derive(Debug, thiserror::Error)]
#[error("decision model {model}: {message}")]
pub struct ModelError {
    pub model: &'static str,
    pub message: String,
}

#[async_trait]
pub trait DecisionModel: Send + Sync {
    fn name(&self) -> &'static str;
    async fn decide(&self, input: &PlaybookInput<'_>) -> Result<DecisionMessage, ModelError>;
}

pub fn builtin() -> Vec<Box<dyn DecisionModel>> {
    vec![Box::new(PlaybookModel::default())]
}
