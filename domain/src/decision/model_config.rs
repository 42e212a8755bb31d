//! The tenant's `[decision]` table: which decision model answers for it, and how long its
//! questions wait for an answer.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionConfig {
    /// The decision model's name (`playbooks`, the deterministic default). A model whose
    /// answer breaks the decision protocol is refused, and the playbooks answer instead.
    pub model: String,
    /// How long a clarification question waits for its answer before it expires (72 h).
    pub question_expire_after_secs: u64,
    /// How many hours before each scheduled meeting its brief is prepared, even when no new
    /// record arrives (24).
    pub brief_lead_hours: i64,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        Self {
            model: "playbooks".into(),
            question_expire_after_secs: super::clarify::DEFAULT_EXPIRE_AFTER_SECS,
            brief_lead_hours: super::meeting_timer::DEFAULT_BRIEF_LEAD_HOURS,
        }
    }
}

impl DecisionConfig {
    /// Refuses a model name that is not among `known`.
    pub fn check(&self, known: &[&str]) -> Result<(), String> {
        if self.question_expire_after_secs == 0 {
            return Err("decision.question_expire_after_secs: must be above 0".into());
        }
        if !(1..=24 * 14).contains(&self.brief_lead_hours) {
            return Err("decision.brief_lead_hours: must be 1 to 336 (two weeks)".into());
        }
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
            ..DecisionConfig::default()
        };
        assert_eq!(
            typo.check(&["playbooks"]).unwrap_err(),
            "decision.model: no decision model \"playbook\"; known: playbooks"
        );
    }
}
