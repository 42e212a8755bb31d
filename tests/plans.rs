//! Multi-step plans. A renewal at risk (the contract ends in 60 days and a support ticket was
//! escalated) becomes a four-step plan: an internal task, an exec-sponsor email, a meeting
//! request and the opportunity's next step, run in order by a PlanWorkflow, each step a child
//! ActionWorkflow.
//!
//! - Whole-plan approval: the approvers get an email that the plan waits; a command without a plan token is refused and changes nothing; a
//!   second escalation proposes a second plan touching the same contacts and field, which is
//!   held naming the first; a pause given before the approval holds the approved plan before
//!   its first step, resume runs the four steps in order, and the held plan opens once the
//!   first ends.
//! - Per-step approval: a viewer cannot abort, another tenant cannot see the plan, approving
//!   a step that is not the one waiting is refused; abort after step 2 compensates steps 2 and
//!   1, in that order, and steps 3 and 4 never run.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStatus, ActionStore};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::helpers::*;
use crate::mailpit::Mailpit;

const ACCOUNT: &str = "globex";

fn at_risk_account() -> String {
    let now = Utc::now();
    let end = (now + chrono::Duration::days(60)).date_naive();
    let close = (now + chrono::Duration::days(50)).date_naive();
    [
        format!(r#"{{"type":"account","id":"{ACCOUNT}","updated_at":"{now}","name":"Globex","owner":"sam"}}"#),
        format!(r#"{{"type":"contact","id":"hank","account_id":"{ACCOUNT}","updated_at":"{now}","name":"Hank Scorpio","email":"hank@globex.example","role":"economic_buyer"}}"#),
        format!(r#"{{"type":"contact","id":"frank","account_id":"{ACCOUNT}","updated_at":"{now}","name":"Frank Grimes","email":"frank@globex.example","role":"champion","is_primary":true}}"#),
        format!(r#"{{"type":"contract","id":"g1","account_id":"{ACCOUNT}","updated_at":"{now}","start_date":"2026-01-01","end_date":"{end}","arr":90000}}"#),
        format!(r#"{{"type":"opportunity","id":"006G","account_id":"{ACCOUNT}","updated_at":"{now}","name":"Globex renewal","stage":"negotiation","amount":90000,"close_date":"{close}"}}"#),
        escalated_ticket("t1"),
    ]
    .join("\n")
}

fn escalated_ticket(id: &str) -> String {
    let now = Utc::now();
    format!(
        r#"{{"type":"ticket","id":"{id}","account_id":"{ACCOUNT}","updated_at":"{now}","subject":"Exports fail","severity":1,"status":"open","opened_at":"{now}","escalated":true}}"#
    )
}

async fn ingest(client: &mut revloop_cli::client::ApiClient, jsonl: String) -> anyhow::Result<()> {
    client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl,
            source: "crm".into(),
            ..Default::default()
        })
        .await?;
    Ok(())
}

async fn plans(client: &revloop_cli::client::ApiClient) -> anyhow::Result<Vec<pb::Plan>> {
    Ok(client
        .clone()
        .plans
        .list_plans(pb::ListPlansRequest::default())
        .await?
        .into_inner()
        .plans)
}

/// Waits for a plan that `matches`.
async fn plan_where(
    client: &revloop_cli::client::ApiClient,
    what: &str,
    matches: impl Fn(&pb::Plan) -> bool,
) -> anyhow::Result<pb::Plan> {
    let matches = &matches;
    eventually(what, Duration::from_secs(90), || async move {
        Ok(plans(client).await?.into_iter().find(|p| matches(p)))
    })
    .await
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

fn ok(env: &TestEnv, args: &[&str]) -> anyhow::Result<String> {
    let (success, text) = cli(env, &[Role::Approver], args)?;
    anyhow::ensure!(success, "revloop {args:?}: {text}");
    Ok(text)
}

/// The workflow ids of the children the workflow started, in order.
async fn children(env: &TestEnv, workflow_id: &str) -> anyhow::Result<Vec<String>> {
    Ok(env
        .history(workflow_id)
        .await?
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::StartChildWorkflowExecutionInitiatedEventAttributes(a)) => {
                Some(a.workflow_id.clone())
            }
            _ => None,
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_plan_runs_in_order_pause_holds_it_and_a_conflicting_plan_is_held()
-> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mail = Mailpit::start(env.dir.path(), false)?;
    let mut client = env.admin().await?;
    write_smtp_secret(&env, TENANT, mail.smtp_port)?;
    set_tenant_config(
        &mut client,
        TENANT,
        "[notify.email]\nsmtp_url_ref = \"file:smtp\"\nfrom = \"revloop@acme.example\"\ndefault_to = \"revops@acme.example\"\n\n[notify.email.to]\napprovers = \"approvals@acme.example\"\n",
    )
    .await?;
    ingest(&mut client, at_risk_account()).await?;
    let first = plan_where(&client, "the renewal-at-risk plan, proposed", |p| {
        p.status == "proposed"
    })
    .await?;
    let kinds: Vec<&str> = first.steps.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "create_task",
            "send_email",
            "request_meeting",
            "update_crm_field"
        ]
    );
    assert!(first.steps[1].needs_approval && first.steps[1].customer_facing);
    assert!(!first.steps[0].needs_approval);
    let workflow_id = first.workflow_id.clone();
    // The approvers hear that the plan waits for them.
    let request = mail
        .message("An approval waits for you: plan: renewal at risk at globex (4 steps)")
        .await?;
    assert_eq!(request["To"][0]["Address"], "approvals@acme.example");
    // The decision stores the plan, then starts its workflow.
    eventually("the plan's workflow", Duration::from_secs(30), || async {
        Ok(env.history(&workflow_id).await.ok().map(|_| ()))
    })
    .await?;

    // A step is approved with its plan, never on its own.
    let (alone, text) = cli(
        &env,
        &[Role::Approver],
        &["approve", &first.steps[1].action_id],
    )?;
    assert!(
        !alone && text.contains(&format!("step 2 of plan {}", first.plan_id)),
        "{text}"
    );

    // Temporal access alone commands nothing: an abort without a plan token is refused.
    let handle = env
        .temporal
        .get_workflow_handle::<revloop_workflows::PlanWorkflow>(workflow_id.clone());
    let forged = temporalio_common::data_converters::RawValue::from_value(
        &serde_json::json!({ "by": "mallory" }),
        &temporalio_common::data_converters::PayloadConverter::default(),
    );
    handle
        .signal(
            revloop_workflows::PlanWorkflow::abort,
            forged,
            temporalio_client::WorkflowSignalOptions::default(),
        )
        .await?;
    let refused = eventually("the forged abort, refused", Duration::from_secs(30), || {
        let mut client = client.clone();
        let id = first.plan_id.clone();
        async move {
            let plan = client
                .plans
                .get_plan(pb::GetPlanRequest { plan_id: id })
                .await?
                .into_inner();
            Ok(plan.events.iter().any(|e| !e.accepted).then_some(plan))
        }
    })
    .await?;
    assert_eq!(refused.status, "proposed", "nothing changed");
    assert!(
        refused.events[0].error.contains("no plan token"),
        "{:?}",
        refused.events
    );

    // A second escalation: a second plan on the same contacts and field is held.
    ingest(&mut client, escalated_ticket("t2")).await?;
    let second = plan_where(&client, "the second plan, held", |p| {
        p.plan_id != first.plan_id && p.status == "held"
    })
    .await?;
    assert_eq!(second.held_by, first.plan_id);
    let shown = ok(&env, &["plans", "show", &second.plan_id])?;
    assert!(
        shown.contains(&format!("held: plan {}", first.plan_id))
            && shown.contains("opportunity:006G.next_step"),
        "{shown}"
    );
    let listed = ok(&env, &["plans", "list"])?;
    assert!(
        listed.contains(&format!("held by plan {}", first.plan_id)),
        "{listed}"
    );

    // Paused before approval: the approved plan holds before its first step.
    ok(&env, &["plans", "pause", &first.plan_id])?;
    ok(&env, &["plans", "approve", &first.plan_id])?;
    let paused = plan_where(&client, "the approved plan, paused", |p| {
        p.plan_id == first.plan_id && p.events.iter().filter(|e| e.accepted).count() == 2
    })
    .await?;
    assert_eq!(paused.status, "paused");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let store = env.store()?;
    let step_one = store
        .get_action(&first.steps[0].action_id)
        .await?
        .context("step 1")?;
    assert_eq!(
        step_one.status,
        ActionStatus::Proposed,
        "held before step 1"
    );
    let email = store
        .get_action(&first.steps[1].action_id)
        .await?
        .context("step 2")?;
    assert_eq!(
        email.status,
        ActionStatus::Approved,
        "the plan's approval covers it"
    );
    assert_eq!(email.approval_events[0].approver.as_deref(), Some("alice"));

    ok(&env, &["plans", "resume", &first.plan_id])?;
    let result = env.workflow_result(&workflow_id).await?;
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["executed"], serde_json::json!([1, 2, 3, 4]));
    let started = children(&env, &workflow_id).await?;
    let expected: Vec<String> = first
        .steps
        .iter()
        .map(|s| format!("{TENANT}/action/{}", s.action_id))
        .collect();
    assert_eq!(
        started, expected,
        "one child ActionWorkflow per step, in order"
    );
    for step in &first.steps {
        let action = store.get_action(&step.action_id).await?.context("a step")?;
        assert_eq!(action.status, ActionStatus::Executed, "{}", step.kind);
    }
    let done = ok(&env, &["plans", "show", &first.plan_id])?;
    assert!(
        done.contains("[completed]") && done.contains("ended: completed"),
        "{done}"
    );

    // The held plan is told, and opens for its own approval.
    let opened = plan_where(&client, "the second plan, released", |p| {
        p.plan_id == second.plan_id && p.status == "proposed"
    })
    .await?;
    assert!(opened.held_by.is_empty());
    env.replay_and_record(&workflow_id, "plan.json").await?;
    env.replay_and_record(&first.decision_id, "decision-plan.json")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_after_step_two_compensates_steps_two_and_one_in_that_order() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    set_tenant_config(&mut client, TENANT, "[plans]\napproval = \"per_step\"\n").await?;
    ingest(&mut client, at_risk_account()).await?;
    let plan = plan_where(&client, "step 2 awaiting its approval", |p| {
        p.awaiting_step == 2
    })
    .await?;
    assert_eq!(plan.steps[0].status, "executed", "step 1 needs no one");
    assert_eq!(plan.approval, "per_step");

    // Hostile callers: a viewer cannot abort, another tenant does not see the plan, and an
    // approval for a step that is not waiting is refused.
    let (viewer, text) = cli(&env, &[Role::Viewer], &["plans", "abort", &plan.plan_id])?;
    assert!(
        !viewer && text.contains("lacks the approver role"),
        "{text}"
    );
    let foreign = env
        .client("other-co", &[Role::Admin])
        .await?
        .plans
        .get_plan(pb::GetPlanRequest {
            plan_id: plan.plan_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), tonic::Code::NotFound);
    ok(&env, &["plans", "approve", &plan.plan_id, "--step", "3"])?;
    let refused = plan_where(&client, "the approval of step 3, refused", |p| {
        p.plan_id == plan.plan_id && p.events.iter().any(|e| !e.accepted)
    })
    .await?;
    assert!(
        refused.events[0]
            .error
            .contains("step 2 awaits approval, not step 3"),
        "{:?}",
        refused.events
    );

    ok(&env, &["plans", "approve", &plan.plan_id, "--step", "2"])?;
    plan_where(&client, "step 3 awaiting its approval", |p| {
        p.plan_id == plan.plan_id && p.awaiting_step == 3
    })
    .await?;
    ok(
        &env,
        &[
            "plans",
            "abort",
            &plan.plan_id,
            "--reason",
            "the customer called",
        ],
    )?;
    let result = env.workflow_result(&plan.workflow_id).await?;
    assert_eq!(result["status"], "aborted", "{result}");
    assert_eq!(result["reason"], "aborted by alice");
    assert_eq!(result["executed"], serde_json::json!([1, 2]));
    assert_eq!(result["compensated"], serde_json::json!([2, 1]));
    let started = children(&env, &plan.workflow_id).await?;
    assert_eq!(
        started[2..],
        [
            format!("{}/compensate/2", plan.workflow_id),
            format!("{}/compensate/1", plan.workflow_id)
        ],
        "compensations last step first: {started:?}"
    );
    let store = env.store()?;
    for (i, expected) in [
        ActionStatus::Undone,
        ActionStatus::Undone,
        ActionStatus::Rejected,
        ActionStatus::Rejected,
    ]
    .into_iter()
    .enumerate()
    {
        let action = store
            .get_action(&plan.steps[i].action_id)
            .await?
            .context("a step")?;
        assert_eq!(action.status, expected, "step {}", i + 1);
    }
    let shown = ok(&env, &["plans", "show", &plan.plan_id])?;
    assert!(
        shown.contains("ended: aborted by alice")
            && shown.contains("1. [compensated]")
            && shown.contains("2. [compensated]")
            && shown.contains("3. [not_run]"),
        "{shown}"
    );
    env.replay_and_record(&plan.workflow_id, "plan-aborted.json")
        .await?;
    Ok(())
}
