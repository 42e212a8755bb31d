//! CRM write-back through the tenant's `[crm]` Salesforce connector, against a local org that
//! answers the REST sObject API in Salesforce's format and counts every write.
//!
//! A slipped close date leads to a re-qualify task and a note (internal: they run on their
//! own and land once each as Tasks) and to a next-step update (a CRM mutation: it waits for
//! approval under the default write-back policy, and `revloop why` names the rule). The approved
//! update writes exactly once although the worker is SIGKILLed after the write landed and before
//! it heard back; `revloop actions undo` restores the previous value, and undoing the task
//! deletes it. Viewers and other tenants cannot undo.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, LedgerStore, OutcomeStore};
use serde_json::json;

use crate::helpers::*;
use crate::salesforce_org::SalesforceOrg;

const ACCOUNT: &str = "001A000001";
const OPPORTUNITY: &str = "006A000001";

fn records(close_date: chrono::NaiveDate, stage: &str) -> String {
    let now = Utc::now().to_rfc3339();
    [
        format!(r#"{{"type":"account","id":"{ACCOUNT}","updated_at":"{now}","name":"Acme Corp","owner":"sam"}}"#),
        format!(r#"{{"type":"opportunity","id":"{OPPORTUNITY}","account_id":"{ACCOUNT}","updated_at":"{now}","name":"Acme renewal","stage":"{stage}","amount":240000,"close_date":"{close_date}"}}"#),
    ]
    .join("\n")
}

async fn ingest(
    client: &mut revloop_cli::client::ApiClient,
    env: &TestEnv,
    jsonl: String,
) -> anyhow::Result<()> {
    let ingested = client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl,
            source: "salesforce".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    env.workflow_result(&ingested.workflow_id).await?;
    Ok(())
}

fn cli(env: &TestEnv, roles: &[Role], args: &[&str]) -> anyhow::Result<(bool, String)> {
    let out = env.revloop_cli(TENANT, roles, args)?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_actions_land_once_each_survive_a_killed_worker_and_undo_restores_the_field()
-> anyhow::Result<()> {
    let mut env = spawn_env().await?;
    let mut client = env.admin().await?;
    let org = SalesforceOrg::default();
    let instance = org.start().await?;
    org.put(
        "Opportunity",
        OPPORTUNITY,
        json!({ "Name": "Acme renewal", "NextStep": "Send the order form", "AccountId": ACCOUNT }),
    );
    register_salesforce(&mut client, &instance).await?;
    set_tenant_config(&mut client, TENANT, "[crm]\nconnector = \"salesforce\"\n").await?;

    let first = Utc::now().date_naive() + chrono::Duration::days(20);
    ingest(&mut client, &env, records(first, "proposal")).await?;
    ingest(
        &mut client,
        &env,
        records(first + chrono::Duration::days(30), "negotiation"),
    )
    .await?;

    // The task and the note are internal: they run on their own, once each, as Tasks.
    let task = action_where(&client, "the re-qualify task, executed", |a| {
        a.kind == "create_task" && a.title.contains("Re-qualify") && a.status == "executed"
    })
    .await?;
    let note = action_of(&client, "log_note", &["executed"]).await?;
    let tasks = org.all("Task");
    assert_eq!(tasks.len(), 2, "one Task per action: {tasks:?}");
    let subjects: Vec<&str> = tasks.iter().filter_map(|t| t["Subject"].as_str()).collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Re-qualify Acme renewal")),
        "{subjects:?}"
    );
    let logged = tasks
        .iter()
        .find(|t| t["Status"] == "Completed")
        .context("the note, as a completed Task")?;
    assert!(
        logged["Description"]
            .as_str()
            .is_some_and(|d| d.contains("moved from proposal to negotiation")),
        "{logged}"
    );
    assert!(tasks.iter().all(|t| t["WhatId"] == ACCOUNT), "{tasks:?}");
    let upserts = org.writes().iter().filter(|w| w.sobject == "Task").count();
    assert_eq!(upserts, 2, "one write per Task: {:?}", org.writes());
    let shown = cli(&env, &[Role::Viewer], &["show", &note.action_id])?.1;
    assert!(
        shown.contains("written to Salesforce as Task 00T"),
        "{shown}"
    );

    // The next-step update is a CRM mutation: it waits, and `why` names the rule.
    let update = action_of(&client, "update_crm_field", &["awaiting_approval"]).await?;
    let (_, why) = cli(&env, &[Role::Viewer], &["why", &update.action_id])?;
    assert!(
        why.contains("route: approval [writeback.internal_mutation_not_allowed]"),
        "{why}"
    );

    // The org applies the write and holds its answer; the worker dies waiting for it. The
    // retry (on a fresh worker) finds the value in place and does not write again.
    org.hold_updates(Some(Duration::from_secs(30)));
    let (approved, text) = cli(&env, &[Role::Approver], &["approve", &update.action_id])?;
    assert!(approved, "{text}");
    let expected = format!(
        "Re-qualify: close date moved to {} (30 days later)",
        first + chrono::Duration::days(30)
    );
    eventually(
        "the next-step write to land",
        Duration::from_secs(60),
        || async {
            Ok(org
                .writes()
                .iter()
                .any(|w| w.sobject == "Opportunity")
                .then_some(()))
        },
    )
    .await?;
    env.worker.kill_hard();
    org.hold_updates(None);
    env.restart_worker()?;
    let action_workflow = format!("{TENANT}/action/{}", update.action_id);
    env.workflow_result(&action_workflow).await?;
    assert!(
        max_attempt(&env, &action_workflow).await? >= 2,
        "the killed attempt was retried"
    );
    let opportunity_writes: Vec<_> = org
        .writes()
        .into_iter()
        .filter(|w| w.sobject == "Opportunity")
        .collect();
    assert_eq!(
        opportunity_writes.len(),
        1,
        "written exactly once: {opportunity_writes:?}"
    );
    assert_eq!(
        (
            opportunity_writes[0].method,
            opportunity_writes[0].target.as_str()
        ),
        ("PATCH", OPPORTUNITY)
    );
    assert_eq!(opportunity_writes[0].body, json!({ "NextStep": expected }));
    assert_eq!(
        org.get("Opportunity", OPPORTUNITY).unwrap()["NextStep"],
        expected
    );
    let store = env.store()?;
    let executed = store
        .get_action(&update.action_id)
        .await?
        .context("the update")?;
    let result = executed.result.context("its result")?;
    assert_eq!(result["effect"], "crm_field_updated", "{result}");
    assert_eq!(
        result["payload"]["previous_value"], "Send the order form",
        "the value before the first try, not the one it left: {result}"
    );

    // Hostile undos: a viewer, and an approver of another tenant, get nothing.
    let (ok, text) = cli(
        &env,
        &[Role::Viewer],
        &["actions", "undo", &update.action_id],
    )?;
    assert!(!ok && text.contains("PermissionDenied"), "{text}");
    let foreign = env.revloop_cli(
        "other-co",
        &[Role::Approver],
        &["actions", "undo", &update.action_id],
    )?;
    assert!(
        String::from_utf8_lossy(&foreign.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&foreign.stderr)
    );
    assert_eq!(
        org.get("Opportunity", OPPORTUNITY).unwrap()["NextStep"],
        expected
    );

    // Undo restores the previous value, once; a second undo finds it done.
    let (ok, text) = cli(
        &env,
        &[Role::Approver],
        &[
            "actions",
            "undo",
            &update.action_id,
            "--reason",
            "wrong deal",
        ],
    )?;
    assert!(ok, "{text}");
    assert!(text.contains("crm_field_restored"), "{text}");
    assert_eq!(
        org.get("Opportunity", OPPORTUNITY).unwrap()["NextStep"],
        "Send the order form"
    );
    let (ok, text) = cli(
        &env,
        &[Role::Approver],
        &["actions", "undo", &update.action_id],
    )?;
    assert!(ok, "{text}");
    let restores = org
        .writes()
        .iter()
        .filter(|w| w.sobject == "Opportunity")
        .count();
    assert_eq!(restores, 2, "one write, one restore: {:?}", org.writes());
    env.replay_and_record(&format!("{TENANT}/undo/{}", update.action_id), "undo.json")
        .await?;
    env.replay_and_record(&action_workflow, "action-crm-retried.json")
        .await?;
    let undone = store.get_action(&update.action_id).await?.unwrap();
    assert_eq!(undone.status.as_str(), "undone");
    let outcomes = store.list_outcomes(TENANT, Some(&update.action_id)).await?;
    let outcome = outcomes
        .iter()
        .find(|o| o.kind == "undone")
        .context("an undone outcome")?;
    assert_eq!(outcome.actor.as_deref(), Some("alice"));
    let ledger = store.list_entries(TENANT, 0, 100_000).await?;
    assert!(
        ledger.iter().any(|e| e.payload["kind"] == "undone"
            && e.payload["action_id"] == update.action_id.as_str()),
        "the undo is ledgered"
    );

    // Undoing the task deletes it from the org.
    let (ok, text) = cli(
        &env,
        &[Role::Approver],
        &["actions", "undo", &task.action_id],
    )?;
    assert!(ok, "{text}");
    assert!(text.contains("crm_task_deleted"), "{text}");
    assert_eq!(org.all("Task").len(), 1, "only the note is left");
    let deletes: Vec<_> = org
        .writes()
        .into_iter()
        .filter(|w| w.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].target.starts_with("00T"), "{deletes:?}");
    Ok(())
}
