//! The first wedge, end to end: a JSONL fixture becomes four signals, a decision with a brief,
//! two autonomous actions and a follow-up that executes once after approval, and the ledger
//! holds exactly one entry per completed activity, in order, under one trace id.

use std::collections::BTreeSet;

use anyhow::Context;
use revloop_proto::v1 as pb;
use revloop_store::{ArtifactStore, EffectStore, SnapshotStore};
use serde_json::{Value, json};

use crate::helpers::*;

/// The four signals of the meeting-prep wedge.
fn wedge() -> BTreeSet<String> {
    [
        "MEETING_UPCOMING",
        "RENEWAL_WINDOW_ENTERED",
        "SUPPORT_SEV2_AGING",
        "USAGE_DROP_PERCENT",
    ]
    .map(String::from)
    .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_prep_runs_end_to_end_and_the_ledger_proves_it() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let ingested = env
        .ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    assert_eq!(ingested.accepted, 42);
    assert_eq!(
        ingested.workflow_id,
        format!("{TENANT}/perception/{}", ingested.trace_id)
    );
    let trace = ingested.trace_id.clone();

    let signal_types = eventually(
        "the four signals",
        std::time::Duration::from_secs(60),
        || {
            let mut client = client.clone();
            async move {
                let signals = client
                    .signals
                    .list_signals(pb::ListSignalsRequest::default())
                    .await?
                    .into_inner()
                    .signals;
                let types: BTreeSet<String> =
                    signals.iter().map(|s| s.signal_type.clone()).collect();
                Ok(wedge().is_subset(&types).then_some(types))
            }
        },
    )
    .await?;
    assert!(wedge().is_subset(&signal_types));

    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    // By now perception is done: the first load of this account also raises the arrival of its
    // key people (a CFO among them) and the missing meeting inside the renewal window.
    let all: BTreeSet<String> = client
        .signals
        .list_signals(pb::ListSignalsRequest::default())
        .await?
        .into_inner()
        .signals
        .into_iter()
        .map(|s| s.signal_type)
        .collect();
    let mut expected = wedge();
    expected.extend(
        [
            "STAKEHOLDER_CHANGED",
            "EXECUTIVE_CHANGE",
            "NO_MEETING_IN_21_DAYS",
        ]
        .map(String::from),
    );
    assert_eq!(all, expected);
    assert!(
        !follow_up.evidence_refs.is_empty(),
        "every proposal cites evidence"
    );
    assert_eq!(follow_up.trace_id, trace);
    let params: Value = serde_json::from_str(&follow_up.params_json)?;
    assert_eq!(params["to"], "maria@acme.example");

    let decision_id = format!("{TENANT}/decision/acme-1");
    let decision = env.workflow_result(&decision_id).await?;
    assert_eq!(decision["message"], "ACTION_PROPOSALS");
    // Customer-facing: the follow-up (which takes in the usage check-in) and the introduction
    // to the new CFO. No meeting request: a meeting is on the calendar.
    let awaiting: Vec<&str> = decision["awaiting_approval"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(awaiting.len(), 2, "{decision}");
    assert!(
        awaiting.contains(&follow_up.action_id.as_str()),
        "{decision}"
    );
    // Internal, run at once: the brief, the prep task, the renewal plan, the stakeholder map
    // and the hand-off of the aging ticket to the support lead.
    assert_eq!(
        decision["executed"].as_array().map(Vec::len),
        Some(5),
        "{decision}"
    );

    let store = env.store()?;
    let brief_key = decision["brief_artifact_key"]
        .as_str()
        .context("brief key")?;
    let artifact = store
        .get_artifact(TENANT, brief_key)
        .await?
        .context("the brief artifact exists")?;
    let brief: Value = serde_json::from_slice(&artifact.content)?;
    assert_eq!(
        brief["brief"]["risks"].as_array().map(Vec::len),
        Some(3),
        "{brief}"
    );
    assert_eq!(brief["brief"]["open_issues"][0]["ticket_id"], "acme-t1");
    assert!(
        brief["markdown"]
            .as_str()
            .unwrap_or_default()
            .contains("Quarterly business review")
    );

    // Still waiting: nothing was sent before a person approved.
    assert!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .is_empty()
    );

    client
        .actions
        .approve_action(pb::DecideActionRequest {
            action_id: follow_up.action_id.clone(),
            reason: "agenda looks right".into(),
        })
        .await?;
    let approval = env
        .workflow_result(&format!("{TENANT}/approval/{}", follow_up.action_id))
        .await?;
    assert_eq!(approval["decision"], "approved");
    assert_eq!(approval["approver"], "alice");
    assert_eq!(approval["executed"], true);
    let effects = store.list_effects(TENANT, &follow_up.action_id).await?;
    assert_eq!(effects.len(), 1, "the follow-up is sent exactly once");
    assert_eq!(effects[0].kind, "email_queued");
    let action = client
        .actions
        .get_action(pb::GetActionRequest {
            action_id: follow_up.action_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(action.status, "executed");
    assert!(
        !action.evidence.is_empty(),
        "evidence refs resolve to record versions"
    );
    // Bound to the account's world-state snapshots as stored when it was proposed.
    let account_snapshot = action
        .world_snapshots
        .iter()
        .find(|s| s.starts_with(&format!("snap:account:{}@", action.account_id)))
        .expect("bound to the account's own snapshot");
    let stored: Vec<String> = store
        .account_snapshots(TENANT, &action.account_id)
        .await?
        .iter()
        .map(|s| s.key())
        .collect();
    assert!(
        action.world_snapshots.iter().all(|s| stored.contains(s)),
        "every bound snapshot is stored: {:?}",
        action.world_snapshots
    );
    assert!(stored.contains(account_snapshot));
    let checkpoints: Vec<&str> = action
        .validations
        .iter()
        .map(|g| g.checkpoint.as_str())
        .collect();
    assert_eq!(
        checkpoints,
        [
            "before_plan_approval",
            "before_step_execution",
            "before_external_writeback"
        ],
        "validated before approval, before execution and before the external writeback"
    );
    for run in &action.validations {
        let names: Vec<&str> = run.results.iter().map(|r| r.validator.as_str()).collect();
        let mut expected = vec!["freshness", "grounding", "contradiction", "compliance"];
        // Right before it leaves revloop, the recipient is checked against their current record.
        if run.checkpoint.as_str() == "before_external_writeback" {
            expected.push("recipient_current");
        }
        assert_eq!(names, expected);
        assert!(
            run.results
                .iter()
                .all(|r| r.result == "ALLOW" && r.ledger_seq > 0),
            "every result is ledgered: {run:?}"
        );
        assert!(run.aggregate_ledger_seq > 0);
    }
    let operations: Vec<&str> = action.budget.iter().map(|b| b.operation.as_str()).collect();
    assert_eq!(operations, ["model:playbooks", "tool:send_follow_up"]);
    let outcomes: Vec<&str> = action.outcomes.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(outcomes, ["approved", "executed"]);

    let report = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert!(report.intact, "{report:?}");

    let entries = client
        .ledger
        .list_ledger_entries(pb::ListLedgerEntriesRequest::default())
        .await?
        .into_inner()
        .entries;
    assert_eq!(report.entries_checked, entries.len() as u64);
    assert!(
        entries.iter().all(|e| e.trace_id == trace),
        "one trace id across the whole flow"
    );
    assert!(entries.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // Pages of three, followed by their tokens, give back exactly the whole ledger.
    let mut paged = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .ledger
            .list_ledger_entries(pb::ListLedgerEntriesRequest {
                limit: 3,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        assert!(page.entries.len() <= 3);
        paged.extend(page.entries);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(paged, entries, "paging loses and repeats nothing");
    let bad_token = client
        .ledger
        .list_ledger_entries(pb::ListLedgerEntriesRequest {
            page_token: "seq-7".into(),
            ..Default::default()
        })
        .await
        .expect_err("a token the API never gave");
    assert_eq!(bad_token.code(), tonic::Code::InvalidArgument);
    let first_action = client
        .actions
        .list_actions(pb::ListActionsRequest {
            limit: 1,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(first_action.actions.len(), 1);
    assert_eq!(
        first_action.next_page_token, "1",
        "more actions than one page of one"
    );
    let started_from = entries
        .iter()
        .find(|e| e.activity.ends_with("account_state"))
        .expect("the decision ledgers the account state it started from");
    assert_eq!(&started_from.snapshot_ref, account_snapshot);
    let approvals: Vec<&pb::LedgerEntry> =
        entries.iter().filter(|e| e.kind == "APPROVAL").collect();
    assert!(!approvals.is_empty());
    assert!(
        approvals.iter().all(|e| e
            .snapshot_ref
            .starts_with(&format!("snap:account:{}@", action.account_id))),
        "approvals bind to the account's world-state snapshot: {approvals:?}"
    );
    let workflows: BTreeSet<String> = entries.iter().map(|e| e.workflow_id.clone()).collect();
    let mut expected_workflows: BTreeSet<String> =
        [ingested.workflow_id.clone(), decision_id.clone()].into();
    for waiting in &awaiting {
        expected_workflows.insert(format!("{TENANT}/approval/{waiting}"));
    }
    for executed in decision["executed"]
        .as_array()
        .into_iter()
        .flatten()
        .chain([&json!(follow_up.action_id)])
    {
        expected_workflows.insert(format!(
            "{TENANT}/action/{}",
            executed.as_str().unwrap_or_default()
        ));
    }
    // A renewal at risk in the fixture (its contract ends soon and usage fell): a plan.
    for plan in decision["plans"].as_array().into_iter().flatten() {
        expected_workflows.insert(format!(
            "{TENANT}/plan/{}",
            plan.as_str().unwrap_or_default()
        ));
    }
    assert_eq!(workflows, expected_workflows);
    // Besides its own entry, an activity ledgers each governance decision it took: one entry
    // per validator result and gateway aggregate, per budget decision and per outcome.
    let governance = |e: &pb::LedgerEntry| {
        let payload: Value = serde_json::from_str(&e.payload_json).unwrap_or_default();
        matches!(e.kind.as_str(), "BUDGET" | "OUTCOME")
            || (e.kind == "VALIDATION"
                && (payload.get("validator").is_some() || payload.get("aggregate").is_some()))
    };
    let own: Vec<&pb::LedgerEntry> = entries.iter().filter(|e| !governance(e)).collect();
    let mut total = 0;
    for workflow_id in &workflows {
        let from_history = completed_activities(&env, workflow_id).await?;
        let from_ledger: Vec<String> = own
            .iter()
            .filter(|e| &e.workflow_id == workflow_id)
            .map(|e| e.activity.clone())
            .collect();
        assert_eq!(
            from_ledger, from_history,
            "ledger entries of {workflow_id} match its completed activities, in order"
        );
        total += from_history.len();
    }
    assert_eq!(
        own.len(),
        total,
        "exactly one ledger entry of its own per completed activity"
    );
    let follow_up_governance = entries
        .iter()
        .filter(|e| governance(e) && e.payload_json.contains(&follow_up.action_id))
        .count();
    // 3 gateway runs × (4 validators + aggregate), recipient_current at the external
    // writeback, the tool budget decision, two outcomes.
    assert_eq!(follow_up_governance, 15 + 1 + 1 + 2);
    let brief_entry = entries
        .iter()
        .find(|e| e.activity.ends_with("prepare_brief"))
        .context("a prepare_brief entry")?;
    let snapshot = store
        .get_artifact(TENANT, &brief_entry.snapshot_ref)
        .await?
        .context("the decision's snapshot is stored")?;
    assert_eq!(
        snapshot.content_type,
        "application/vnd.revloop.account-facts+json"
    );
    // The decision read the world: the account's fields with their evidence, not raw records.
    let facts = revloop_activities::snapshot::decode(&snapshot).context("the snapshot decodes")?;
    assert_eq!(facts.account_name(), "Acme Corp");
    let name = facts
        .account_field("name")
        .context("the account's name field")?;
    assert!(!name.evidence_ids.is_empty() && name.contradiction.is_none());
    let decision_entry = own
        .iter()
        .find(|e| e.activity.ends_with("propose_actions"))
        .context("a propose_actions entry")?;
    assert_eq!(
        decision_entry.snapshot_ref, brief_entry.snapshot_ref,
        "the decision binds to that snapshot"
    );
    replay_and_record(&env, &workflows, &format!("{TENANT}/account/acme")).await?;
    let first = |prefix: &str| {
        entries
            .iter()
            .position(|e| e.workflow_id.starts_with(prefix))
    };
    assert!(first(&format!("{TENANT}/perception/")) < first(&format!("{TENANT}/decision/")));
    assert!(first(&format!("{TENANT}/decision/")) < first(&format!("{TENANT}/approval/")));
    Ok(())
}

/// Replays every live history of the flow through the current workflow code, and records them
/// as replay fixtures when `REVLOOP_RECORD_HISTORIES` names a directory.
async fn replay_and_record(
    env: &TestEnv,
    workflows: &BTreeSet<String>,
    account_workflow: &str,
) -> anyhow::Result<()> {
    let replayer = revloop_workflows::replay::replayer()?;
    let record_dir = std::env::var_os("REVLOOP_RECORD_HISTORIES").map(std::path::PathBuf::from);
    for workflow_id in workflows
        .iter()
        .map(String::as_str)
        .chain([account_workflow])
    {
        let handle = env
            .temporal
            .get_workflow_handle::<temporalio_client::UntypedWorkflow>(workflow_id.to_string());
        let json = handle
            .fetch_history(temporalio_client::WorkflowFetchHistoryOptions::default())
            .to_json()
            .await?;
        replayer
            .replay_workflow(temporalio_client::WorkflowHistory::from_json(&json)?)
            .await
            .with_context(|| format!("{workflow_id} does not replay"))?;
        if let Some(dir) = &record_dir {
            let kind = workflow_id.split('/').nth(1).unwrap_or("workflow");
            let mut path = dir.join(format!("{kind}.json"));
            let mut n = 2;
            while path.exists() {
                path = dir.join(format!("{kind}-{n}.json"));
                n += 1;
            }
            std::fs::write(path, &json)?;
        }
    }
    Ok(())
}
