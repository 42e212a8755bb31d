//! The Bedrock decision agent on the dev server, its worker pointed at a local Converse
//! server: a decision takes model turns and `call_tool` activities, its proposals are grounded
//! and routed as the playbooks' are, every tool call is a ToolRun and a TOOL_CALL entry under
//! the decision's trace, and its history stays small with a 200 KB tool result. With an
//! EXPENSIVE hard cap of 0 the model is never called: the playbooks decide, and `revloop why`
//! says so.

use revloop_domain::auth::Role;
use revloop_domain::ledger::LedgerKind;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, LedgerStore, ToolRunStore};
use serde_json::{Value, json};

use crate::converse_server::*;
use crate::helpers::*;

const BEDROCK: &str = r#"
[decision]
model = "bedrock"

[decision.bedrock]
model_id = "anthropic.claude-test"
max_rounds = 4
"#;

const NO_EXPENSIVE: &str = r#"
[[budgets]]
scope = "tenant"
period = "day"
cost_class = "EXPENSIVE"
hard = 0
"#;

/// Throttles the first call (Temporal retries it), then reads the account, then its whole
/// graph, then proposes a task citing a decided signal.
fn two_tools_then_a_task(request: &Value, seen: usize) -> (u16, Value) {
    if seen == 0 {
        return (
            429,
            json!({"message": "Too many requests, please wait before trying again."}),
        );
    }
    let results = tool_results(request);
    let answered = |id: &str| results.iter().any(|(r, _)| r == id);
    if !answered("t1") {
        return assistant(
            json!([{"toolUse": {"toolUseId": "t1", "name": "account_get_state",
            "input": {"account_id": "acme"}}}]),
        );
    }
    if !answered("t2") {
        return assistant(
            json!([{"toolUse": {"toolUseId": "t2", "name": "graph_query",
            "input": {"query": "neighbours", "vertex": "account:acme"}}}]),
        );
    }
    let evidence = first_context_ref(request).unwrap_or_default();
    assistant(
        json!([{"toolUse": {"toolUseId": "t3", "name": "submit_decision", "input": {
            "message": "ACTION_PROPOSALS",
            "proposals": [{"kind": "create_task", "title": "Walk the champion through the SSO fix",
                "why_now": "Usage fell while the SSO ticket aged.", "confidence": 0.8,
                "evidence_refs": [evidence], "params": {"title": "Walk the champion through the SSO fix"}}]
        }}}]),
    )
}

/// The meeting-prep fixture with 2 000 more contacts: the account's graph is over 200 KB.
fn records() -> anyhow::Result<String> {
    let fixture = std::fs::read_to_string(fixture_path("meeting_prep.jsonl"))?;
    let mut jsonl = revloop_cli::fixtures::render(&fixture, chrono::Utc::now())?;
    for i in 0..2000 {
        jsonl.push_str(&format!(
            "\n{{\"type\":\"contact\",\"id\":\"acme-staff-{i:05}\",\"account_id\":\"acme\",\"updated_at\":\"2026-01-01T00:00:00Z\",\"name\":\"Staff Member {i}\",\"email\":\"staff{i}@acme.example\",\"role\":\"user\"}}"
        ));
    }
    Ok(jsonl)
}

async fn ingest(env: &TestEnv, config: &str) -> anyhow::Result<()> {
    let mut admin = env.admin().await?;
    set_tenant_config(&mut admin, TENANT, config).await?;
    admin
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl: records()?,
            source: "salesforce".into(),
            ..Default::default()
        })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bedrock_decision_takes_turns_through_the_tool_gateway() -> anyhow::Result<()> {
    let converse = LocalConverse::start(Box::new(two_tools_then_a_task)).await?;
    let env = spawn_env_with(&converse.worker_env()).await?;
    ingest(&env, BEDROCK).await?;
    let decision_id = format!("{TENANT}/decision/acme-1");
    let result = env.workflow_result(&decision_id).await?;

    let activities = completed_activities(&env, &decision_id).await?;
    let count = |name: &str| activities.iter().filter(|a| *a == name).count();
    assert_eq!(count("AgentActivities::model_turn"), 3, "{activities:?}");
    assert_eq!(count("AgentActivities::call_tool"), 2, "{activities:?}");
    let history = history_bytes(&env, &decision_id).await?;
    eprintln!("decision history with a 200 KB tool result: {history} bytes");
    assert!(
        history < 64 * 1024,
        "the decision's history is {history} bytes"
    );
    env.replay_and_record(&decision_id, "decision-agent.json")
        .await?;
    let replay = env.revloop_cli(
        TENANT,
        &[Role::Admin],
        &["decision", "replay", &decision_id],
    )?;
    let replayed = String::from_utf8_lossy(&replay.stdout);
    assert!(
        replay.status.success() && replayed.contains("identical"),
        "replayed without calling Bedrock: {replayed} {}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert_eq!(converse.requests().len(), 4, "the replay called no model");

    // The proposal is grounded and routed like a playbook's: an internal task runs alone.
    let store = env.store()?;
    let actions = store.list_actions(TENANT, None).await?;
    let task = actions
        .iter()
        .find(|a| a.proposal.playbook == "bedrock")
        .expect("the model's task");
    assert!(!task.proposal.evidence_refs[0].is_empty());
    assert!(task.decided_by.is_none());
    assert!(
        result["executed"]
            .as_array()
            .unwrap()
            .contains(&json!(task.action_id)),
        "{result}"
    );

    // Two ToolRuns under the decision's trace, the large result by ref; TOOL_CALL entries too.
    let runs = store.list_tool_runs(TENANT, &task.trace_id).await?;
    assert_eq!(runs.len(), 2, "{runs:?}");
    let graph = runs.iter().find(|r| r.tool == "graph_query").unwrap();
    assert!(graph.result_bytes > 200_000, "{} bytes", graph.result_bytes);
    assert!(graph.result.is_none() && graph.result_ref.is_some());
    assert_eq!(graph.caller, "agent:decision");
    let calls: Vec<_> = store
        .list_entries(TENANT, 0, 100_000)
        .await?
        .into_iter()
        .filter(|e| e.kind == LedgerKind::ToolCall)
        .collect();
    assert_eq!(calls.len(), 2);
    assert!(
        calls
            .iter()
            .all(|e| e.trace_id == task.trace_id && e.workflow_id == decision_id)
    );

    // What the model was sent: the read tools and submit_decision, signed; the graph, whole.
    let requests = converse.requests();
    assert_eq!(
        requests.len(),
        4,
        "a throttled call, retried by Temporal, and three turns"
    );
    assert_eq!(requests[0], requests[1], "the retry sent the same turn");
    let last = &requests[3];
    let sent_graph = tool_results(last)
        .into_iter()
        .find(|(id, _)| id == "t2")
        .unwrap()
        .1;
    assert!(sent_graph["result"]["edges"].as_array().unwrap().len() > 2000);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_expensive_cap_of_zero_the_playbooks_decide_and_say_why() -> anyhow::Result<()> {
    let converse = LocalConverse::start(Box::new(two_tools_then_a_task)).await?;
    let env = spawn_env_with(&converse.worker_env()).await?;
    ingest(&env, &format!("{BEDROCK}{NO_EXPENSIVE}")).await?;
    let decision_id = format!("{TENANT}/decision/acme-1");
    env.workflow_result(&decision_id).await?;
    assert!(converse.requests().is_empty(), "the model was never called");

    let store = env.store()?;
    let actions = store.list_actions(TENANT, None).await?;
    let action = actions
        .iter()
        .find(|a| a.decision_id == decision_id)
        .expect("the playbooks proposed");
    let decided_by = action.decided_by.clone().unwrap_or_default();
    assert!(
        decided_by.starts_with("playbooks, instead of bedrock") && decided_by.contains("budget"),
        "{decided_by}"
    );
    let why = env.revloop_cli(TENANT, &[Role::Viewer], &["why", &action.action_id])?;
    assert!(why.status.success(), "{why:?}");
    let out = String::from_utf8_lossy(&why.stdout);
    assert!(
        out.contains("decided by: playbooks, instead of bedrock"),
        "{out}"
    );
    assert!(out.contains("BUDGET_BLOCK"), "{out}");
    Ok(())
}

/// Asks for the account's state on every turn, never answering.
fn never_answers(_request: &Value, seen: usize) -> (u16, Value) {
    assistant(
        json!([{"toolUse": {"toolUseId": format!("t{seen}"), "name": "account_get_state",
        "input": {"account_id": "acme"}}}]),
    )
}

/// Cites an evidence ref nobody showed it.
fn invents_evidence(_request: &Value, _seen: usize) -> (u16, Value) {
    assistant(
        json!([{"toolUse": {"toolUseId": "t1", "name": "submit_decision", "input": {
            "message": "ACTION_PROPOSALS",
            "proposals": [{"kind": "create_task", "title": "Call the CFO", "why_now": "Trust me.",
                "confidence": 0.9, "evidence_refs": ["rec:note:invented@0000000000000000"],
                "params": {"title": "Call the CFO"}}]
        }}}]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rounds_run_out_or_invented_evidence_and_the_playbooks_decide() -> anyhow::Result<()> {
    for (script, rounds, expected) in [
        (
            never_answers as fn(&Value, usize) -> (u16, Value),
            1,
            "rounds",
        ),
        (invents_evidence, 4, "rec:note:invented@0000000000000000"),
    ] {
        let converse = LocalConverse::start(Box::new(script)).await?;
        let env = spawn_env_with(&converse.worker_env()).await?;
        let config = BEDROCK.replace("max_rounds = 4", &format!("max_rounds = {rounds}"));
        ingest(&env, &config).await?;
        let decision_id = format!("{TENANT}/decision/acme-1");
        env.workflow_result(&decision_id).await?;
        let store = env.store()?;
        let actions = store.list_actions(TENANT, None).await?;
        let mine: Vec<_> = actions
            .iter()
            .filter(|a| a.decision_id == decision_id)
            .collect();
        assert!(!mine.is_empty(), "the playbooks proposed");
        for action in &mine {
            assert_ne!(action.proposal.playbook, "bedrock");
            let decided_by = action.decided_by.clone().unwrap_or_default();
            assert!(
                decided_by.starts_with("playbooks, instead of bedrock")
                    && decided_by.contains(expected),
                "{decided_by}"
            );
        }
        if expected == "rounds" {
            let requests = converse.requests();
            assert_eq!(
                requests.len(),
                2,
                "one tool round, then one turn that may only answer"
            );
            let offered: Vec<&str> = requests[1]["toolConfig"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t["toolSpec"]["name"].as_str())
                .collect();
            assert_eq!(offered, ["submit_decision"]);
        }
    }
    Ok(())
}
