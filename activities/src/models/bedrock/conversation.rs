//! A decision agent's conversation as revloop stores it: content-addressed JSON, so workflow
//! history carries only its ref and digest however long the prompts and tool results grow.

use revloop_domain::hashing::canonical_json;
use revloop_store::{Artifact, Store, StoreError, StoreErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const CONVERSATION_CONTENT_TYPE: &str = "application/vnd.revloop.conversation+json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        id: String,
        content: Value,
        is_error: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub role: Role,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub system: String,
    pub turns: Vec<Turn>,
}

impl Conversation {
    /// The tool use of that id the model asked for, if it did.
    pub fn tool_use(&self, id: &str) -> Option<(&str, &Value)> {
        self.turns
            .iter()
            .filter(|t| t.role == Role::Assistant)
            .flat_map(|t| &t.blocks)
            .find_map(|b| match b {
                Block::ToolUse { id: i, name, input } if i == id => Some((name.as_str(), input)),
                _ => None,
            })
    }

    /// Every evidence ref a tool result showed the model (`rec:…` strings anywhere in them):
    /// what its answer may cite beyond the signals and memory it was given.
    pub fn refs_shown(&self) -> Vec<String> {
        fn walk(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::String(s) if s.starts_with("rec:") => out.push(s.clone()),
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                Value::Object(fields) => fields.values().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for block in self.turns.iter().flat_map(|t| &t.blocks) {
            if let Block::ToolResult { content, .. } = block {
                walk(content, &mut out);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// How many characters the model is sent: the basis of a call's token estimate.
    pub fn chars(&self) -> usize {
        canonical_json(self).len()
    }
}

/// Stores the conversation; returns its artifact key (`art-` + its digest).
pub async fn store(
    store: &dyn Store,
    tenant_id: &str,
    conversation: &Conversation,
) -> Result<String, StoreError> {
    let artifact = Artifact::new(
        tenant_id,
        CONVERSATION_CONTENT_TYPE,
        canonical_json(conversation),
    );
    store.put_artifact(&artifact).await?;
    Ok(artifact.artifact_key)
}

pub async fn load(
    store: &dyn Store,
    tenant_id: &str,
    key: &str,
) -> Result<Conversation, StoreError> {
    let artifact = store
        .get_artifact(tenant_id, key)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("conversation {key} of {tenant_id}")))?;
    serde_json::from_slice(&artifact.content)
        .map_err(|e| StoreError::new(StoreErrorKind::Corrupt, format!("conversation {key}: {e}")))
}
