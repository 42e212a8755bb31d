//! The tenant's `[decision]` table: which decision model answers for it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionConfig {
    /// The decision model's name (`playbooks`, the deterministic default). A model whose
    /// answer breaks the decision protocol is refused, and the playbooks answer instead.
    pub model: String,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        Self {
            model: "playbooks".into(),
        }
    }
}

impl DecisionConfig {
    /// Refuses a model name that is not among `known`.
    pub fn check(&self, known: &[&str]) -> Result<(), String> {
        if known.contains(&self.model.as_str()) {
            Ok(())
        } else {
            Err(format!(
                "decision.model: no decision model {:?}; known: {}",
                self.model,
                known.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_models_may_be_chosen() {
        assert!(DecisionConfig::default().check(&["playbooks"]).is_ok());
        let typo = DecisionConfig {
            model: "playbook".into(),
        };
        assert_eq!(
            typo.check(&["playbooks"]).unwrap_err(),
            "decision.model: no decision model \"playbook\"; known: playbooks"
        );
    }
}
