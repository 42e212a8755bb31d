//! The governance functions against a real SQLite store: the gateway ledgers every validator's
//! result even when several block, and the budget service reserves, warns, blocks and settles.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use revloop_activities::governance::{
    BudgetCall, LedgerScope, link_deal_outcomes, reserve_budget, settle_budget, validate_action,
};
use revloop_domain::budget::{BudgetCap, CostClass, Period, Scope};
use revloop_domain::decision::{ActionKind, Proposal};
use revloop_domain::signals::{Severity, Signal, SignalType};
use revloop_domain::validators::{Checkpoint, GovernancePolicy, Verdict};
use revloop_domain::{AccountId, TenantId};
use revloop_store::{
    ActionRecord, ActionStatus, ActionStore, LedgerStore, OutcomeStore, SqliteStore,
};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    "2026-11-21T10:00:00Z".parse().unwrap()
}

fn scope(prefix: &str) -> LedgerScope {
    LedgerScope {
        tenant_id: "t1".into(),
        trace_id: "trace-1".into(),
        workflow_id: "t1/action/a1".into(),
        run_id: "run-1".into(),
        activity: "test".into(),
        key_prefix: prefix.into(),
    }
}

fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open(dir.path().join("store.db")).unwrap(), dir)
}

fn action(decision: &str, account: &str, created_at: DateTime<Utc>) -> ActionRecord {
    let proposal = Proposal::new_for(decision, ActionKind::CreateTask)
        .params(serde_json::json!({ "title": "prep" }))
        .build();
    ActionRecord {
        action_id: proposal.proposal_id.clone(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        trace_id: "trace-1".into(),
        decision_id: decision.into(),
        proposal,
        status: ActionStatus::Proposed,
        snapshot_ref: None,
        world_snapshots: Vec::new(),
        validations: vec![],
        budget: vec![],
        ledger_seqs: BTreeMap::new(),
        approval_events: vec![],
        result: None,
        created_at,
        updated_at: created_at,
        routing: None,
        decided_by: None,
    }
}

#[tokio::test]
async fn two_blocking_validators_still_ledger_all_four_results_and_the_aggregate() {
    let (store, _dir) = store();
    // No evidence (grounding BLOCKs) and no planning snapshot (contradiction BLOCKs).
    let mut action = action("d1", "acme", now());
    let policy = GovernancePolicy::default();
    let scope = scope("t1/action/a1/run-1/1");
    let outcome = validate_action(
        &store,
        &scope,
        &mut action,
        &[
            Checkpoint::BeforeStepExecution,
            Checkpoint::BeforeExternalWriteback,
        ],
        now(),
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(
        outcome.len(),
        1,
        "a blocked step is not checked for its writeback"
    );
    assert_eq!(outcome[0].aggregate, Verdict::Block);
    assert_eq!(action.status, ActionStatus::Blocked);
    let entries = store.list_entries("t1", 0, 100).await.unwrap();
    let results: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e.payload.get("validator").is_some())
        .map(|e| {
            (
                e.payload["validator"].as_str().unwrap().to_string(),
                e.payload["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("freshness".to_string(), "ALLOW".to_string()),
            ("grounding".to_string(), "BLOCK".to_string()),
            ("contradiction".to_string(), "BLOCK".to_string()),
            ("compliance".to_string(), "ALLOW".to_string()),
        ]
    );
    let aggregate = entries
        .iter()
        .find(|e| e.payload.get("aggregate").is_some())
        .unwrap();
    assert_eq!(aggregate.payload["aggregate"], "BLOCK");
    let blocked = store
        .list_outcomes("t1", Some(&action.action_id))
        .await
        .unwrap();
    assert_eq!(blocked.len(), 1, "the plan's end is an outcome");
    assert_eq!(blocked[0].kind, "blocked");
    assert!(
        blocked[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("grounding at before_step_execution: UNGROUNDED")
    );
    assert_eq!(entries.len(), 6, "4 results, the aggregate, the outcome");
    assert_eq!(
        action.ledger_seqs.len(),
        5,
        "every entry's seq is kept on the action"
    );
    assert_eq!(
        action.ledger_seqs["before_step_execution/aggregate"],
        aggregate.seq
    );

    // A retried attempt records nothing twice.
    validate_action(
        &store,
        &scope,
        &mut action,
        &[Checkpoint::BeforeStepExecution],
        now(),
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(store.list_entries("t1", 0, 100).await.unwrap().len(), 6);
    assert_eq!(action.validations.len(), 1);
}

fn cap(soft: Option<u64>, hard: Option<u64>) -> BudgetCap {
    BudgetCap {
        scope: Scope::Tool("salesforce".into()),
        period: Period::Day,
        cost_class: CostClass::Cheap,
        soft,
        hard,
    }
}

fn fetch() -> BudgetCall {
    BudgetCall {
        operation: "fetch:salesforce".into(),
        cost_class: CostClass::Cheap,
        account_id: None,
        plan_id: None,
        tool: Some("salesforce".into()),
        amount: 1,
        at: now(),
    }
}

#[tokio::test]
async fn the_budget_service_warns_past_soft_caps_blocks_at_hard_caps_and_settles() {
    let (store, _dir) = store();
    let caps = [cap(Some(1), None), cap(None, Some(2))];
    let verdicts = {
        let mut v = Vec::new();
        for attempt in 1..=3 {
            let record = reserve_budget(
                &store,
                &scope(&format!("wf/run/{attempt}")),
                &caps,
                &fetch(),
            )
            .await
            .unwrap();
            v.push(record.decision.verdict);
        }
        v
    };
    assert_eq!(verdicts, [Verdict::Allow, Verdict::Warn, Verdict::Block]);
    let entries = store.list_entries("t1", 0, 100).await.unwrap();
    assert_eq!(entries.len(), 3, "every decision is ledgered");
    assert_eq!(
        entries[2].payload["decision"]["verdict"],
        Value::from("BLOCK")
    );

    // The same call retried decides the same and reserves nothing more.
    let again = reserve_budget(&store, &scope("wf/run/3"), &caps, &fetch())
        .await
        .unwrap();
    assert_eq!(again.decision.verdict, Verdict::Block);
    assert_eq!(store.list_entries("t1", 0, 100).await.unwrap().len(), 3);

    // A failed fetch settles at 0 and gives its unit back: the next call fits again.
    let second = reserve_budget(&store, &scope("wf/run/2"), &caps, &fetch())
        .await
        .unwrap();
    settle_budget(&store, "t1", &second, 0).await.unwrap();
    let retry = reserve_budget(&store, &scope("wf/run/4"), &caps, &fetch())
        .await
        .unwrap();
    assert_eq!(retry.decision.verdict, Verdict::Warn);
    assert!(
        retry.decision.reason().contains("BUDGET_WARN"),
        "{}",
        retry.decision.reason()
    );

    // A call no cap applies to is allowed and says so.
    let uncapped = BudgetCall {
        tool: Some("hubspot".into()),
        operation: "fetch:hubspot".into(),
        ..fetch()
    };
    let free = reserve_budget(&store, &scope("wf/run/5"), &caps, &uncapped)
        .await
        .unwrap();
    assert_eq!(free.decision.verdict, Verdict::Allow);
    assert_eq!(free.decision.reason(), "no budget cap applies");
}

fn deal_closed(account: &str, to: &str, at: DateTime<Utc>) -> Signal {
    Signal {
        signal_id: format!("sig-{account}-{to}"),
        signal_type: SignalType::OpportunityStageChanged,
        tenant_id: TenantId::parse("t1").unwrap(),
        account_id: AccountId::parse(account).unwrap(),
        severity: Severity::Low,
        confidence: 0.95,
        evidence_refs: vec!["rec:opportunity:o1@0".into()],
        detected_at: at,
        expires_at: at,
        dedup_key: format!("opp:o1:{to}"),
        details: serde_json::json!({ "opportunity_id": "o1", "from": "negotiation", "to": to }),
    }
}

#[tokio::test]
async fn a_closed_deal_becomes_the_outcome_of_the_actions_before_it() {
    let (store, _dir) = store();
    let earlier = action("d1", "acme", now() - chrono::Duration::days(3));
    let later = action("d2", "acme", now() + chrono::Duration::hours(1));
    let elsewhere = action("d3", "globex", now() - chrono::Duration::days(3));
    for a in [&earlier, &later, &elsewhere] {
        store.create_action(a).await.unwrap();
    }
    let scope = scope("t1/perception/p1/run-1/3");
    let signals = [
        deal_closed("acme", "closed_won", now()),
        deal_closed("globex", "proposal", now()),
    ];
    assert_eq!(
        link_deal_outcomes(&store, &scope, &signals).await.unwrap(),
        1
    );
    let won = store
        .list_outcomes("t1", Some(&earlier.action_id))
        .await
        .unwrap();
    assert_eq!(won.len(), 1);
    assert_eq!(won[0].kind, "won");
    assert!(
        won[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("negotiation to closed_won")
    );
    assert!(
        store
            .list_outcomes("t1", Some(&later.action_id))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_outcomes("t1", Some(&elsewhere.action_id))
            .await
            .unwrap()
            .is_empty()
    );
    // Seen again (a retried step): nothing new, nothing ledgered twice.
    assert_eq!(
        link_deal_outcomes(&store, &scope, &signals).await.unwrap(),
        0
    );
    let ledgered = store
        .list_entries("t1", 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.payload["kind"] == "won")
        .count();
    assert_eq!(ledgered, 1);
}
