//! `memory_search`: what semantic memory recalls (notes, meetings, tickets, news), ranked, each
//! chunk citing the record it was cut from.

use async_trait::async_trait;
use revloop_domain::budget::CostClass;
use serde_json::{Value, json};

use super::{
    Access, Tool, ToolAnswer, ToolData, ToolError, ToolSpec, account_arguments, requiring,
};

pub struct MemorySearch;

/// The most chunks one call returns.
const MAX_LIMIT: u64 = 20;

#[async_trait]
impl Tool for MemorySearch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "memory_search",
            description: "Searches what was written about the account (notes, meeting notes, support tickets, news) and returns the best-ranked passages, each with the evidence_ref of the record it comes from. Use it to find what people said about a risk or a topic; cite the evidence_ref of what you rely on.",
            parameters: requiring(
                account_arguments(json!({
                    "query": {"type": "string", "minLength": 1, "maxLength": 500, "description": "What to look for, in words."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "How many passages (5 when not given)."}
                })),
                &["query"],
            ),
            result: json!({
                "type": "object",
                "required": ["hits"],
                "properties": {
                    "hits": {"type": "array", "items": {
                        "type": "object",
                        "required": ["chunk_id", "kind", "text", "evidence_ref", "score"],
                        "properties": {
                            "chunk_id": {"type": "string"},
                            "kind": {"type": "string"},
                            "text": {"type": "string"},
                            "evidence_ref": {"type": "string"},
                            "score": {"type": "number"}
                        }
                    }}
                }
            }),
            cost_class: CostClass::Medium,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme", "query": "renewal budget concerns", "limit": 5}),
        }
    }

    async fn call(&self, data: &ToolData<'_>, args: &Value) -> Result<ToolAnswer, ToolError> {
        let account = args["account_id"].as_str().unwrap_or_default();
        let query = args["query"].as_str().unwrap_or_default();
        let limit = args["limit"].as_u64().unwrap_or(5).min(MAX_LIMIT) as usize;
        let hits = data
            .memory
            .search(data.tenant_id, Some(account), query, limit)
            .await
            .map_err(|e| ToolError::Memory(e.to_string()))?;
        let hits: Vec<Value> = hits
            .into_iter()
            .map(|h| {
                json!({
                    "chunk_id": h.chunk.chunk_id,
                    "kind": h.chunk.kind,
                    "text": h.chunk.text,
                    "evidence_ref": h.chunk.evidence_ref,
                    "score": h.score,
                })
            })
            .collect();
        Ok(ToolAnswer::Result(json!({ "hits": hits })))
    }
}
