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
    /// The Bedrock decision agent's settings (`[decision.bedrock]`), used when `model =
    /// "bedrock"`.
    pub bedrock: BedrockConfig,
}

/// `[decision.bedrock]`: which Bedrock model decides, and its bounds. Past a bound (rounds,
/// the EXPENSIVE token budget) the decision falls back to the playbooks and says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BedrockConfig {
    /// The Converse model id (or inference profile).
    pub model_id: String,
    /// Model turns that may ask for tools before the answer must come (4).
    pub max_rounds: u32,
    /// The most tokens one answer may have; also what each call's budget estimate adds.
    pub max_output_tokens: u32,
}

impl Default for BedrockConfig {
    fn default() -> Self {
        Self {
            model_id: "anthropic.claude-3-5-sonnet-20240620-v1:0".into(),
            max_rounds: 4,
            max_output_tokens: 2048,
        }
    }
}

impl Default for DecisionConfig {
    fn default() -> Self {
        Self {
            model: "playbooks".into(),
            question_expire_after_secs: super::clarify::DEFAULT_EXPIRE_AFTER_SECS,
            brief_lead_hours: super::meeting_timer::DEFAULT_BRIEF_LEAD_HOURS,
            bedrock: BedrockConfig::default(),
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
        if !(1..=16).contains(&self.bedrock.max_rounds) {
            return Err("decision.bedrock.max_rounds: must be 1 to 16".into());
        }
        if !(64..=32_768).contains(&self.bedrock.max_output_tokens) {
            return Err("decision.bedrock.max_output_tokens: must be 64 to 32768".into());
        }
        if self.bedrock.model_id.trim().is_empty() {
            return Err("decision.bedrock.model_id: required".into());
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
