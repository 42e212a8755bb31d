//! The tool catalog over MCP, with the rmcp client against the running API's `/mcp`: no token
//! is a 401; a viewer lists only what it may call, reads an account and is refused a write;
//! a bad argument is refused naming its field; another tenant's token gets nothing of this
//! tenant; an approver's `crm_write_update` proposes an action that waits for approval in its
//! own ApprovalWorkflow and writes nothing. Every call is a ToolRun and a TOOL_CALL entry.

use std::time::Duration;

use revloop_domain::auth::Role;
use revloop_domain::ledger::LedgerKind;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStatus, ActionStore, EffectStore, LedgerStore, ToolRunStore};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::helpers::*;

const RECORDS: &str = r#"{"type":"account","id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme Corp","owner":"sam"}
{"type":"opportunity","id":"o-1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme expansion","stage":"negotiation","amount":90000,"close_date":"2027-02-20"}
{"type":"contact","id":"c-1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Dana Reyes","email":"dana@acme.example","role":"champion"}"#;

pub(crate) type Client = RunningService<RoleClient, ()>;

pub(crate) async fn connect(env: &TestEnv, token: String) -> anyhow::Result<Client> {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", env.http_url))
        .auth_header(token);
    Ok(
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await?,
    )
}

pub(crate) async fn call(
    client: &Client,
    tool: &str,
    args: Value,
) -> anyhow::Result<CallToolResult> {
    let arguments = args.as_object().cloned().unwrap_or_default();
    Ok(client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await?)
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_clients_get_the_governed_catalog_and_nothing_more() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut admin = env.admin().await?;
    let ingested = admin
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl: RECORDS.into(),
            source: "salesforce".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    env.workflow_result(&ingested.workflow_id).await?;
    let mut other = env.client("other-co", &[Role::Admin]).await?;
    set_tenant_config(&mut other, "other-co", "").await?;

    // No token: refused before MCP sees the request, with a JSON body.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"}}});
    let anonymous = reqwest::Client::new()
        .post(format!("{}/mcp", env.http_url))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await?;
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let body: Value = anonymous.json().await?;
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{body}");
    let forged = reqwest::Client::new()
        .post(format!("{}/mcp", env.http_url))
        .bearer_auth(revloop_cli::token::mint(
            "not-the-api-secret-at-all",
            TENANT,
            "mallory",
            &[Role::Admin],
            60,
        )?)
        .json(&initialize)
        .send()
        .await?;
    assert_eq!(forged.status(), 401, "a token signed with another key");
    let elsewhere = reqwest::get(format!("{}/not-a-route", env.http_url)).await?;
    assert_eq!(
        elsewhere.status(),
        404,
        "the bearer layer guards /mcp alone"
    );
    // A Host the API was not configured for (REVLOOP_MCP_ALLOWED_HOSTS): DNS rebinding.
    let rebound = reqwest::Client::new()
        .post(format!("{}/mcp", env.http_url))
        .header("host", "attacker.example")
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(env.token(TENANT, &[Role::Viewer]))
        .json(&initialize)
        .send()
        .await?;
    assert_eq!(rebound.status(), 403, "an unlisted Host is refused");

    // A viewer: reads, and sees no write tool.
    let viewer = connect(&env, env.token(TENANT, &[Role::Viewer])).await?;
    let listed: Vec<String> = viewer
        .list_all_tools()
        .await?
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(
        listed.contains(&"account_get_state".to_string()),
        "{listed:?}"
    );
    assert!(listed.contains(&"memory_search".to_string()), "{listed:?}");
    assert!(
        !listed.contains(&"crm_write_update".to_string()),
        "{listed:?}"
    );
    let state = call(&viewer, "account_get_state", json!({"account_id": "acme"})).await?;
    assert_ne!(state.is_error, Some(true), "{}", text(&state));
    assert_eq!(
        state.structured_content.as_ref().unwrap()["account_id"],
        "acme"
    );
    let refused = call(
        &viewer,
        "crm_write_update",
        json!({"account_id": "acme", "entity": "opportunity:o-1", "field": "next_step",
               "value": "x", "why_now": "y", "evidence_refs": ["z"]}),
    )
    .await?;
    assert_eq!(refused.is_error, Some(true));
    assert!(text(&refused).contains("approver"), "{}", text(&refused));
    let bad = call(&viewer, "account_get_state", json!({"account_id": 42})).await?;
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("/account_id"), "{}", text(&bad));
    assert_eq!(
        bad.structured_content.as_ref().unwrap()["pointer"],
        "/account_id"
    );

    // Another tenant's token: acme is not an account of theirs.
    let foreign = connect(&env, env.token("other-co", &[Role::Admin])).await?;
    let theirs = call(&foreign, "account_get_state", json!({"account_id": "acme"})).await?;
    assert_eq!(theirs.is_error, Some(true));
    assert!(
        text(&theirs).contains("no records in tenant other-co"),
        "{}",
        text(&theirs)
    );
    assert!(
        theirs
            .structured_content
            .as_ref()
            .unwrap()
            .get("posture")
            .is_none()
    );
    let window = call(
        &foreign,
        "crm_get_commercial_window",
        json!({"account_id": "acme"}),
    )
    .await?;
    assert_eq!(window.is_error, Some(true), "{}", text(&window));

    // An approver: the CRM change is proposed, waits for a person and writes nothing.
    let approver = connect(&env, env.token(TENANT, &[Role::Approver])).await?;
    let window = call(
        &approver,
        "crm_get_commercial_window",
        json!({"account_id": "acme"}),
    )
    .await?;
    let evidence = window.structured_content.as_ref().unwrap()["opportunities"][0]["evidence_ref"]
        .as_str()
        .unwrap()
        .to_string();
    let proposed = call(
        &approver,
        "crm_write_update",
        json!({"account_id": "acme", "entity": "opportunity:o-1", "field": "next_step",
               "value": "Exec review on the 14th", "why_now": "Agreed in today's call.",
               "evidence_refs": [evidence]}),
    )
    .await?;
    assert_ne!(proposed.is_error, Some(true), "{}", text(&proposed));
    let out = proposed.structured_content.clone().unwrap();
    assert_eq!(out["status"], "awaiting_approval", "{out}");
    let action_id = out["action_id"].as_str().unwrap().to_string();
    assert_eq!(
        out["workflow_id"],
        json!(format!("{TENANT}/approval/{action_id}"))
    );
    let store = env.store()?;
    let action = eventually(
        "the action awaits approval",
        Duration::from_secs(60),
        || {
            let store = env.store();
            let id = action_id.clone();
            async move {
                let action = store?.get_action(&id).await?;
                Ok(action.filter(|a| a.status == ActionStatus::AwaitingApproval))
            }
        },
    )
    .await?;
    assert_eq!(action.tenant_id, TENANT);
    assert_eq!(action.proposal.params["value"], "Exec review on the 14th");
    assert!(
        store.list_effects(TENANT, &action_id).await?.is_empty(),
        "nothing was written to the CRM or the outbox"
    );

    // Every call above, refused or not, is a ToolRun and a TOOL_CALL entry of its tenant.
    let entries = store.list_entries(TENANT, 0, 10_000).await?;
    let calls: Vec<&Value> = entries
        .iter()
        .filter(|e| e.kind == LedgerKind::ToolCall)
        .map(|e| &e.payload)
        .collect();
    assert_eq!(
        calls.len(),
        5,
        "three from the viewer, two from the approver: {calls:#?}"
    );
    for payload in &calls {
        let run_id = payload["tool_run_id"].as_str().unwrap();
        let entry = entries
            .iter()
            .find(|e| e.payload["tool_run_id"] == json!(run_id))
            .unwrap();
        let runs = store.list_tool_runs(TENANT, &entry.trace_id).await?;
        assert!(runs.iter().any(|r| r.tool_run_id == run_id), "{run_id}");
    }
    let foreign_calls = store
        .list_entries("other-co", 0, 10_000)
        .await?
        .into_iter()
        .filter(|e| e.kind == LedgerKind::ToolCall)
        .count();
    assert_eq!(
        foreign_calls, 2,
        "the other tenant's calls are in its own ledger"
    );
    for client in [viewer, foreign, approver] {
        client.cancel().await?;
    }
    Ok(())
}
