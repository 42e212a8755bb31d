//! The tenant's `[tools]` table: which service identities may call the write tools.
//!
//! Read tools are open to every viewer of the tenant. Write tools propose actions, so they
//! are open to approvers, and to the agents named here: a token whose `sub` is listed (an
//! assistant or another agent acting for the team) may propose, and its proposals still go
//! through the validators, the write-back policy and approval.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolsConfig {
    /// Token subjects (`agent:renewals-assistant`) that may call write tools.
    pub agents: Vec<String>,
}

impl ToolsConfig {
    pub fn check(&self) -> Result<(), String> {
        for (i, agent) in self.agents.iter().enumerate() {
            if agent.trim().is_empty() || agent.len() > 200 {
                return Err(format!(
                    "tools.agents[{i}]: a token subject of 1 to 200 characters"
                ));
            }
        }
        Ok(())
    }

    /// Whether the token subject is one of the tenant's agents.
    pub fn is_agent(&self, subject: &str) -> bool {
        self.agents.iter().any(|a| a == subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_subjects_are_agents_and_blank_ones_are_refused() {
        let config = ToolsConfig {
            agents: vec!["agent:renewals".into()],
        };
        assert!(config.check().is_ok());
        assert!(config.is_agent("agent:renewals"));
        assert!(!config.is_agent("agent:renewal"));
        let blank = ToolsConfig {
            agents: vec![" ".into()],
        };
        assert_eq!(
            blank.check().unwrap_err(),
            "tools.agents[0]: a token subject of 1 to 200 characters"
        );
    }
}
