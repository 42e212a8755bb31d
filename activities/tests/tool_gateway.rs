//! The ToolGateway against a real SQLite store and a real tantivy index: who may call what,
//! arguments refused by JSON pointer, budget and validator refusals, a write tool that only
//! proposes, results too large to travel inline, and a retried call answered from its run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use revloop_activities::governance::LedgerScope;
use revloop_activities::memory::TantivyMemory;
use revloop_activities::tools::gateway::INLINE_RESULT_BYTES;
use revloop_activities::tools::{RefusalKind, ToolCall, ToolCallAnswer, ToolCaller, ToolGateway};
use revloop_domain::auth::Role;
use revloop_domain::budget::{BudgetCap, CostClass, Period, Scope};
use revloop_domain::ledger::{LedgerEntry, LedgerKind};
use revloop_domain::records::parse_line;
use revloop_domain::world::graph::edges_of;
use revloop_domain::world::record_ref;
use revloop_store::*;
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

const LINES: [&str; 3] = [
    r#"{"type":"account","id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme","owner":"sam"}"#,
    r#"{"type":"opportunity","id":"o-1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme renewal","stage":"negotiation","amount":120000,"close_date":"2026-04-20"}"#,
    r#"{"type":"account","id":"globex","updated_at":"2026-03-01T00:00:00Z","name":"Globex","owner":"kim"}"#,
];

struct Fixture {
    store: Arc<SqliteStore>,
    gateway: ToolGateway,
    _dir: tempfile::TempDir,
}

async fn put(store: &SqliteStore, line: &str) -> String {
    let record = parse_line(1, line).unwrap();
    let version = RecordVersion {
        tenant_id: "t1".into(),
        key: record.key(),
        account_id: record.account_id().to_string(),
        content_hash: record.content_hash(),
        evidence_ref: record_ref(&record),
        record,
        evidence_id: "ev-1".into(),
        line: 1,
        previous_ref: None,
        trust_class: "crm".into(),
        observed_at: now(),
        source: "salesforce".into(),
    };
    store.put_version(&version, None).await.unwrap();
    let edges = edges_of(&version.record, &[]);
    let key = format!("{}:{}", version.record.record_type(), version.record.id());
    store
        .replace_edges("t1", &version.account_id, &[(key, edges)])
        .await
        .unwrap();
    version.evidence_ref
}

async fn fixture(config: TenantConfig, extra: &[String]) -> (Fixture, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("store.db")).unwrap());
    store
        .put_tenant(&Tenant {
            tenant_id: "t1".into(),
            name: "T1".into(),
            config,
        })
        .await
        .unwrap();
    let mut refs = Vec::new();
    for line in LINES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        refs.push(put(&store, line).await);
    }
    let memory = Arc::new(TantivyMemory::new(dir.path().join("memory")));
    let gateway = ToolGateway::new(store.clone(), memory);
    (
        Fixture {
            store,
            gateway,
            _dir: dir,
        },
        refs,
    )
}

fn scope(key: &str) -> LedgerScope {
    LedgerScope {
        tenant_id: "t1".into(),
        trace_id: "trace-tools".into(),
        workflow_id: "mcp".into(),
        run_id: "session-1".into(),
        activity: "call_tool".into(),
        key_prefix: format!("mcp/{key}"),
    }
}

fn person(role: Role) -> ToolCaller {
    ToolCaller::Token {
        subject: format!("{role:?}").to_lowercase(),
        roles: vec![role],
    }
}

impl Fixture {
    async fn call(&self, key: &str, caller: ToolCaller, tool: &str, args: Value) -> ToolCallAnswer {
        let call = ToolCall {
            tenant_id: "t1".into(),
            trace_id: "trace-tools".into(),
            tool: tool.into(),
            args,
            caller,
            now: now(),
        };
        self.gateway.call(&scope(key), &call).await.unwrap()
    }

    async fn tool_calls(&self) -> Vec<LedgerEntry> {
        self.store
            .list_entries("t1", 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == LedgerKind::ToolCall)
            .collect()
    }
}

#[tokio::test]
async fn a_viewer_reads_once_per_call_and_every_call_is_a_run_and_a_ledger_entry() {
    let (f, _) = fixture(TenantConfig::default(), &[]).await;
    let args = json!({"account_id": "acme"});
    let first = f
        .call(
            "c1",
            person(Role::Viewer),
            "account_get_state",
            args.clone(),
        )
        .await;
    assert!(!first.is_refused(), "{first:?}");
    assert_eq!(first.result.as_ref().unwrap()["account_id"], "acme");
    let again = f
        .call("c1", person(Role::Viewer), "account_get_state", args)
        .await;
    assert_eq!(again, first, "a retried call answers from its run");
    let runs = f.store.list_tool_runs("t1", "trace-tools").await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].caller, "token:viewer");
    let entries = f.tool_calls().await;
    assert_eq!(entries.len(), 1, "ledgered once");
    assert_eq!(entries[0].trace_id, "trace-tools");
    assert_eq!(entries[0].payload["tool_run_id"], json!(first.tool_run_id));
    assert_eq!(
        entries[0].payload["result_digest"],
        json!(first.result_digest)
    );

    let foreign = f
        .call(
            "c2",
            person(Role::Viewer),
            "account_get_state",
            json!({"account_id": "initech"}),
        )
        .await;
    assert_eq!(foreign.refusal.unwrap().kind, RefusalKind::NotFound);
}

#[tokio::test]
async fn refusals_name_the_field_or_the_rule_and_are_kept() {
    let (f, refs) = fixture(TenantConfig::default(), &[]).await;
    let bad = f
        .call(
            "c1",
            person(Role::Viewer),
            "account_get_state",
            json!({"account_id": 42}),
        )
        .await;
    let refusal = bad.refusal.unwrap();
    assert_eq!(refusal.kind, RefusalKind::InvalidArgument);
    assert_eq!(refusal.pointer.as_deref(), Some("/account_id"));

    let write = json!({
        "account_id": "acme", "entity": "opportunity:o-1", "field": "next_step",
        "value": "Exec review", "why_now": "Agreed today.", "evidence_refs": [refs[1]],
    });
    let viewer = f
        .call(
            "c2",
            person(Role::Viewer),
            "crm_write_update",
            write.clone(),
        )
        .await;
    assert_eq!(viewer.refusal.unwrap().kind, RefusalKind::Permission);
    let agent = f
        .call("c3", ToolCaller::DecisionAgent, "crm_write_update", write)
        .await;
    assert_eq!(agent.refusal.unwrap().kind, RefusalKind::Permission);
    let unknown = f
        .call("c4", person(Role::Admin), "sql_query", json!({}))
        .await;
    assert_eq!(unknown.refusal.unwrap().kind, RefusalKind::UnknownTool);

    let runs = f.store.list_tool_runs("t1", "trace-tools").await.unwrap();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r.outcome == "refused"));
    assert_eq!(f.tool_calls().await.len(), 4, "refusals are ledgered too");
    let actions = f.store.list_actions("t1", None).await.unwrap();
    assert!(actions.is_empty(), "no refused write left an action");
}

#[tokio::test]
async fn an_approvers_crm_write_proposes_an_action_that_waits_and_writes_nothing() {
    let (f, refs) = fixture(TenantConfig::default(), &[]).await;
    let args = |evidence: &str| {
        json!({
            "account_id": "acme", "entity": "opportunity:o-1", "field": "next_step",
            "value": "Exec review", "why_now": "Agreed today.", "evidence_refs": [evidence],
        })
    };
    // Globex's record is evidence of another account: refused, naming the index.
    let forged = f
        .call(
            "c1",
            person(Role::Approver),
            "crm_write_update",
            args(&refs[2]),
        )
        .await;
    let refusal = forged.refusal.unwrap();
    assert_eq!(
        refusal.pointer.as_deref(),
        Some("/evidence_refs/0"),
        "{}",
        refusal.message
    );

    let answer = f
        .call(
            "c2",
            person(Role::Approver),
            "crm_write_update",
            args(&refs[1]),
        )
        .await;
    assert!(!answer.is_refused(), "{answer:?}");
    let proposed = answer.action.clone().unwrap();
    assert!(proposed.requires_approval);
    assert_eq!(
        answer.result.as_ref().unwrap()["status"],
        "awaiting_approval"
    );
    let action = f
        .store
        .get_action(&proposed.action_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action.status, ActionStatus::Proposed);
    assert_eq!(action.proposal.params["field"], "next_step");
    assert_eq!(action.proposal.evidence_refs, vec![refs[1].clone()]);
    assert!(
        f.store
            .list_effects("t1", &action.action_id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
    let retried = f
        .call(
            "c2",
            person(Role::Approver),
            "crm_write_update",
            args(&refs[1]),
        )
        .await;
    assert_eq!(
        retried.action, answer.action,
        "a retry proposes the same action"
    );
    assert_eq!(f.store.list_actions("t1", None).await.unwrap().len(), 1);

    // An entity the account does not have.
    let mut other = args(&refs[1]);
    other["entity"] = json!("opportunity:o-404");
    let missing = f
        .call("c3", person(Role::Approver), "crm_write_update", other)
        .await;
    assert_eq!(missing.refusal.unwrap().pointer.as_deref(), Some("/entity"));

    // A task runs on its own under the default write-back policy.
    let task = f
        .call(
            "c4",
            person(Role::Approver),
            "tasks_create",
            json!({"account_id": "acme", "title": "Prep the exec review", "why_now": "Renewal in 6 weeks.", "evidence_refs": [refs[0]]}),
        )
        .await;
    assert!(!task.action.unwrap().requires_approval);
    // approval_request always waits for a person, whatever the kind.
    let asked = f
        .call(
            "c5",
            person(Role::Approver),
            "approval_request",
            json!({"account_id": "acme", "kind": "create_task", "title": "Call the champion", "params": {"title": "Call the champion"}, "why_now": "Quiet for 3 weeks.", "evidence_refs": [refs[0]]}),
        )
        .await;
    assert!(asked.action.unwrap().requires_approval);
}

#[tokio::test]
async fn a_listed_agent_may_write_and_an_unlisted_service_may_not() {
    let mut config = TenantConfig::default();
    config.tools.agents = vec!["agent:renewals".into()];
    let (f, refs) = fixture(config, &[]).await;
    let args = json!({"account_id": "acme", "body": "Champion confirmed budget.", "why_now": "Call today.", "evidence_refs": [refs[0]]});
    let agent = |subject: &str| ToolCaller::Token {
        subject: subject.into(),
        roles: vec![Role::Viewer],
    };
    let listed = f
        .call("c1", agent("agent:renewals"), "notes_log", args.clone())
        .await;
    assert!(!listed.is_refused(), "{listed:?}");
    let unlisted = f.call("c2", agent("agent:other"), "notes_log", args).await;
    assert_eq!(unlisted.refusal.unwrap().kind, RefusalKind::Permission);
    let tenant = f.store.get_tenant("t1").await.unwrap().unwrap();
    let listing: Vec<&str> = f
        .gateway
        .specs_for(&agent("agent:other"), &tenant.config)
        .iter()
        .map(|s| s.name)
        .collect();
    assert!(listing.contains(&"account_get_state") && !listing.contains(&"notes_log"));
}

#[tokio::test]
async fn an_expensive_read_is_refused_by_a_hard_cap_of_zero_or_a_compliance_rule() {
    let capped = TenantConfig {
        budgets: vec![BudgetCap {
            scope: Scope::Tenant,
            period: Period::Day,
            cost_class: CostClass::Expensive,
            soft: None,
            hard: Some(0),
        }],
        ..TenantConfig::default()
    };
    let (f, _) = fixture(capped, &[]).await;
    let brief = f
        .call(
            "c1",
            person(Role::Viewer),
            "draft_meeting_brief",
            json!({"account_id": "acme"}),
        )
        .await;
    let refusal = brief.refusal.unwrap();
    assert_eq!(refusal.kind, RefusalKind::Budget);
    assert!(
        refusal.message.contains("BUDGET_BLOCK"),
        "{}",
        refusal.message
    );
    let cheap = f
        .call(
            "c2",
            person(Role::Viewer),
            "account_get_state",
            json!({"account_id": "acme"}),
        )
        .await;
    assert!(!cheap.is_refused(), "the cap is on EXPENSIVE calls only");

    let mut no_reads = TenantConfig::default();
    no_reads.governance.compliance.denied_actions = vec!["read".into()];
    let (f, _) = fixture(no_reads, &[]).await;
    let brief = f
        .call(
            "c1",
            person(Role::Viewer),
            "draft_meeting_brief",
            json!({"account_id": "acme"}),
        )
        .await;
    let refusal = brief.refusal.unwrap();
    assert_eq!(refusal.kind, RefusalKind::Validator);
    assert_eq!(
        refusal.rule.as_deref(),
        Some("compliance"),
        "{}",
        refusal.message
    );
}

#[tokio::test]
async fn a_result_over_8_kb_travels_by_ref() {
    let contacts: Vec<String> = (0..120)
        .map(|i| {
            format!(
                r#"{{"type":"contact","id":"c-{i}","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Person {i}","email":"p{i}@acme.example","role":"user"}}"#
            )
        })
        .collect();
    let (f, _) = fixture(TenantConfig::default(), &contacts).await;
    let answer = f
        .call(
            "c1",
            person(Role::Viewer),
            "graph_query",
            json!({"query": "neighbours", "vertex": "account:acme"}),
        )
        .await;
    assert!(
        answer.result.is_none(),
        "{} bytes inline",
        answer.result_bytes
    );
    assert!(answer.result_bytes as usize > INLINE_RESULT_BYTES);
    let key = answer.result_ref.clone().unwrap();
    assert!(
        serde_json::to_vec(&answer).unwrap().len() < 2048,
        "the answer stays small"
    );
    let full = f.gateway.result_of("t1", &answer).await.unwrap().unwrap();
    assert_eq!(full["edges"].as_array().unwrap().len(), 121);
    assert!(f.store.get_artifact("t1", &key).await.unwrap().is_some());
}
