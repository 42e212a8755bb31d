//! Governed autonomy end to end: stale data is blocked before approval and never executes, a
//! soft budget overrun warns and still runs, `revloop why` explains both, and approving, editing
//! and rejecting each leave one outcome record.

use anyhow::Context;
use revloop_cli::client::ApiClient;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_store::{EffectStore, OutcomeStore};
use serde_json::Value;

use crate::helpers::*;

/// Every source's data is stale as soon as it is a second old.
const STALE_CONFIG: &str = r#"
[governance]
default_ttl = { soft_secs = 0, hard_secs = 0 }
[governance.ttls]
crm = { soft_secs = 0, hard_secs = 0 }
support = { soft_secs = 0, hard_secs = 0 }
telemetry = { soft_secs = 0, hard_secs = 0 }
calendar = { soft_secs = 0, hard_secs = 0 }
"#;

/// Cheap tool calls are over their soft cap from the first one; nothing is capped hard.
const SOFT_CAP_CONFIG: &str = r#"
[[budgets]]
scope = "tenant"
period = "day"
cost_class = "CHEAP"
soft = 0
"#;

async fn configured_tenant(
    env: &TestEnv,
    tenant: &str,
    config_toml: &str,
) -> anyhow::Result<ApiClient> {
    let mut client = env.client(tenant, &[Role::Admin]).await?;
    set_tenant_config(&mut client, tenant, config_toml).await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", tenant)
        .await?;
    Ok(client)
}

fn why(env: &TestEnv, tenant: &str, action_id: &str) -> anyhow::Result<String> {
    let out = env.revloop_cli(tenant, &[Role::Viewer], &["why", action_id])?;
    anyhow::ensure!(
        out.status.success(),
        "revloop why failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_data_blocks_before_approval_and_a_soft_cap_warns_but_runs() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let stale = configured_tenant(&env, "stale-co", STALE_CONFIG).await?;
    let capped = configured_tenant(&env, "capped-co", SOFT_CAP_CONFIG).await?;
    let store = env.store()?;

    // Stale: the follow-up is blocked at the first choke point and never reaches a person.
    let blocked = action_of(&stale, "send_follow_up", &["blocked"]).await?;
    let decision = env.workflow_result(&blocked.decision_id).await?;
    assert!(
        decision["blocked"]
            .as_array()
            .is_some_and(|b| b.iter().any(|id| id == blocked.action_id.as_str())),
        "{decision}"
    );
    assert_eq!(decision["awaiting_approval"], serde_json::json!([]));
    let approval = env
        .temporal
        .get_workflow_handle::<temporalio_client::UntypedWorkflow>(format!(
            "stale-co/approval/{}",
            blocked.action_id
        ));
    assert!(
        approval.describe(Default::default()).await.is_err(),
        "no approval was ever opened"
    );
    assert!(
        store
            .list_effects("stale-co", &blocked.action_id)
            .await?
            .is_empty()
    );
    let ended = store
        .list_outcomes("stale-co", Some(&blocked.action_id))
        .await?;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].kind, "blocked");
    assert!(
        ended[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("freshness at before_plan_approval: DATA_STALE")),
        "{:?}",
        ended[0].reason
    );
    let mut viewer = env.client("stale-co", &[Role::Viewer]).await?;
    let explained = viewer
        .actions
        .explain_action(pb::ExplainActionRequest {
            action_id: blocked.action_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(explained.verdict, "BLOCK");
    assert!(!explained.snapshot_ref.is_empty());
    assert_eq!(
        explained.gateway_runs.len(),
        1,
        "only the plan-approval gateway ran"
    );
    let run = &explained.gateway_runs[0];
    assert_eq!(run.checkpoint, "before_plan_approval");
    let freshness = run
        .results
        .iter()
        .find(|r| r.validator == "freshness")
        .context("a freshness result")?;
    assert_eq!(freshness.result, "BLOCK");
    assert!(
        freshness.reason.starts_with("DATA_STALE"),
        "{}",
        freshness.reason
    );
    let details: Value = serde_json::from_str(&freshness.details_json)?;
    assert!(details["evidence"][0]["age_secs"].as_i64().unwrap_or(-1) >= 1);
    assert_eq!(
        run.results.len(),
        4,
        "every validator ran despite the block"
    );
    let text = why(&env, "stale-co", &blocked.action_id)?;
    assert!(text.contains("overall BLOCK"), "{text}");
    assert!(text.contains("DATA_STALE"), "{text}");
    assert!(
        text.contains(&format!("[ledger #{}]", freshness.ledger_seq)),
        "{text}"
    );
    let entries = viewer
        .ledger
        .list_ledger_entries(pb::ListLedgerEntriesRequest::default())
        .await?
        .into_inner()
        .entries;
    let ledgered = entries
        .iter()
        .find(|e| e.seq == freshness.ledger_seq)
        .context("the freshness entry")?;
    let payload: Value = serde_json::from_str(&ledgered.payload_json)?;
    assert_eq!(payload["validator"], "freshness");
    assert_eq!(payload["result"], "BLOCK");
    assert_eq!(payload["action_id"], blocked.action_id.as_str());

    // Soft cap: the autonomous task is over its cheap soft cap, warns, and still runs.
    let task = action_of(&capped, "create_task", &["executed"]).await?;
    assert_eq!(
        store
            .list_effects("capped-co", &task.action_id)
            .await?
            .len(),
        1
    );
    let mut viewer = env.client("capped-co", &[Role::Viewer]).await?;
    let explained = viewer
        .actions
        .explain_action(pb::ExplainActionRequest {
            action_id: task.action_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(explained.verdict, "WARN");
    let tool = explained
        .budget
        .iter()
        .find(|b| b.operation == "tool:create_task")
        .context("the tool call's budget decision")?;
    assert_eq!(
        (tool.cost_class.as_str(), tool.result.as_str()),
        ("CHEAP", "WARN")
    );
    assert!(tool.reason.contains("BUDGET_WARN"), "{}", tool.reason);
    assert!(tool.ledger_seq > 0);
    let text = why(&env, "capped-co", &task.action_id)?;
    assert!(text.contains("overall WARN"), "{text}");
    assert!(text.contains("tool:create_task WARN"), "{text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_edit_and_reject_each_leave_one_outcome() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let store = env.store()?;
    let mut decided = Vec::new();
    for (tenant, verb) in [
        ("approve-co", "approve"),
        ("edit-co", "edit"),
        ("reject-co", "reject"),
    ] {
        let mut client = configured_tenant(&env, tenant, "").await?;
        let follow_up = action_of(&client, "send_follow_up", &["awaiting_approval"]).await?;
        let id = follow_up.action_id.clone();
        match verb {
            "approve" => {
                client
                    .actions
                    .approve_action(pb::DecideActionRequest {
                        action_id: id.clone(),
                        reason: "fine".into(),
                    })
                    .await?;
            }
            "edit" => {
                client
                    .actions
                    .edit_action(pb::EditActionRequest {
                        action_id: id.clone(),
                        reason: "shorter subject".into(),
                        changes: [("subject".to_string(), "Our agenda".to_string())].into(),
                    })
                    .await?;
            }
            _ => {
                client
                    .actions
                    .reject_action(pb::DecideActionRequest {
                        action_id: id.clone(),
                        reason: "not now".into(),
                    })
                    .await?;
            }
        }
        env.workflow_result(&format!("{tenant}/approval/{id}"))
            .await?;
        decided.push((tenant, verb, id, follow_up.params_json));
    }
    for (tenant, verb, id, params_json) in decided {
        let outcomes = store.list_outcomes(tenant, Some(&id)).await?;
        let kinds: Vec<&str> = outcomes.iter().map(|o| o.kind.as_str()).collect();
        match verb {
            "approve" => assert_eq!(kinds, ["approved", "executed"]),
            "edit" => {
                assert_eq!(kinds, ["edited", "executed"]);
                let params: Value = serde_json::from_str(&params_json)?;
                let diff = outcomes[0].diff.clone().context("the edit's diff")?;
                assert_eq!(diff["subject"]["from"], params["subject"]);
                assert_eq!(diff["subject"]["to"], "Our agenda");
                assert_eq!(outcomes[0].actor.as_deref(), Some("alice"));
            }
            _ => {
                assert_eq!(kinds, ["rejected"]);
                assert_eq!(outcomes[0].reason.as_deref(), Some("not now"));
                assert!(store.list_effects(tenant, &id).await?.is_empty());
            }
        }
        let mut viewer = env.client(tenant, &[Role::Viewer]).await?;
        let ledgered = viewer
            .ledger
            .list_ledger_entries(pb::ListLedgerEntriesRequest::default())
            .await?
            .into_inner()
            .entries
            .into_iter()
            .filter(|e| e.kind == "OUTCOME" && e.payload_json.contains(&id))
            .count();
        assert_eq!(ledgered, kinds.len(), "each outcome is ledgered once");
    }
    Ok(())
}
