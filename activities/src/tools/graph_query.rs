//! `graph_query`: the situation graph around a vertex: its neighbours, an account's
//! stakeholders, or the shortest path between two vertices.

use async_trait::async_trait;
use revloop_domain::budget::CostClass;
use revloop_domain::world::state::EntityRef;
use serde_json::{Value, json};

use super::{Access, Tool, ToolAnswer, ToolData, ToolError, ToolSpec};
use crate::world::graph_query;

pub struct GraphQuery;

/// The most hops a path search may go.
const MAX_DEPTH: u64 = 6;

fn vertex(tool: &str, pointer: &str, text: &str) -> Result<EntityRef, ToolError> {
    text.split_once(':')
        .filter(|(t, id)| !t.is_empty() && !id.is_empty())
        .map(|(t, id)| EntityRef::new(t, id))
        .ok_or_else(|| ToolError::InvalidArgument {
            tool: tool.into(),
            pointer: pointer.into(),
            message: format!("{text:?} is not type:id (e.g. account:acme)"),
        })
}

#[async_trait]
impl Tool for GraphQuery {
    fn spec(&self) -> ToolSpec {
        let vertex = json!({"type": "string", "pattern": "^[a-z_]+:.+$", "maxLength": 300});
        ToolSpec {
            name: "graph_query",
            description: "Queries the situation graph linking accounts, contacts, opportunities, tickets, meetings and competitors. `neighbours` lists the edges at a vertex; `stakeholders` lists an account's contacts and how each is involved (champion_of, attended:<meeting>, involved_in:<ticket>); `path` finds how two vertices are connected. Vertices are written type:id, e.g. account:acme or contact:c-1.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "query": {"enum": ["neighbours", "stakeholders", "path"]},
                    "vertex": vertex,
                    "to": vertex,
                    "max_depth": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH}
                },
                "required": ["query", "vertex"],
                "additionalProperties": false
            }),
            result: json!({
                "type": "object",
                "properties": {
                    "edges": {"type": "array"},
                    "stakeholders": {"type": "array"},
                    "path": {"type": ["array", "null"]}
                }
            }),
            cost_class: CostClass::Medium,
            requires_approval: false,
            access: Access::Read,
            example: json!({"query": "stakeholders", "vertex": "account:acme"}),
        }
    }

    async fn call(&self, data: &ToolData<'_>, args: &Value) -> Result<ToolAnswer, ToolError> {
        let name = "graph_query";
        let from = vertex(name, "/vertex", args["vertex"].as_str().unwrap_or_default())?;
        let (store, tenant) = (data.store, data.tenant_id);
        let answer = match args["query"].as_str().unwrap_or_default() {
            "neighbours" => json!({ "edges": graph_query::edges(store, tenant, &from).await? }),
            "stakeholders" => {
                json!({ "stakeholders": graph_query::stakeholders(store, tenant, &from).await? })
            }
            _ => {
                let to = args["to"]
                    .as_str()
                    .ok_or_else(|| ToolError::InvalidArgument {
                        tool: name.into(),
                        pointer: "/to".into(),
                        message: "a path query needs `to`".into(),
                    })?;
                let to = vertex(name, "/to", to)?;
                let depth = args["max_depth"]
                    .as_u64()
                    .map_or(graph_query::DEFAULT_MAX_DEPTH, |d| {
                        d.min(MAX_DEPTH) as usize
                    });
                json!({ "path": graph_query::path(store, tenant, &from, &to, depth).await? })
            }
        };
        Ok(ToolAnswer::Result(answer))
    }
}
