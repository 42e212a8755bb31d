//! Uncertainty becomes a question. Two trusted systems give an account two renewal dates: the
//! decision proposes nothing (no renewal plan on a date in doubt, no customer-facing action)
//! and asks the account's owner which is right. A forged answer (a raw Temporal signal with no
//! valid token) is refused and the question stays open; a viewer who is not the owner may not
//! answer; `revloop answer` settles it, the answer is stored as user-input evidence, and the
//! decision runs again and proposes. An unanswered question expires on its timer.

use chrono::{Duration as Days, Utc};
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use std::time::Duration;

use crate::helpers::*;

fn date_in(days: i64) -> String {
    (Utc::now() + Days::days(days)).date_naive().to_string()
}

/// The contract system's contract, ending outside the renewal window: on its own it raises
/// nothing.
fn contracts_system() -> String {
    format!(
        r#"{{"type":"contract","id":"CLM-7","account_id":"acme","updated_at":"{}","start_date":"2026-01-01","end_date":"{}"}}"#,
        Utc::now().to_rfc3339(),
        date_in(120)
    )
}

/// The CRM's account, champion and contract, ending in 60 days: a renewal window opens.
fn crm() -> String {
    let now = Utc::now().to_rfc3339();
    [
        format!(
            r#"{{"type":"account","id":"acme","updated_at":"{now}","name":"Acme Corp","owner":"sam"}}"#
        ),
        format!(
            r#"{{"type":"contact","id":"ada","account_id":"acme","updated_at":"{now}","name":"Ada Lovelace","email":"ada@acme.test","role":"champion","is_primary":true,"active":true}}"#
        ),
        format!(
            r#"{{"type":"contract","id":"k1","account_id":"acme","updated_at":"{now}","start_date":"2026-01-01","end_date":"{}"}}"#,
            date_in(60)
        ),
    ]
    .join("\n")
}

async fn ingest(
    env: &TestEnv,
    client: &mut revloop_cli::client::ApiClient,
    jsonl: String,
    source: &str,
) -> anyhow::Result<()> {
    let ingested = client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl,
            source: source.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    env.workflow_result(&ingested.workflow_id).await?;
    Ok(())
}

/// Ingests the dispute (two trusted sources, two renewal dates) and waits for the question it
/// raises.
pub(crate) async fn disputed_renewal(
    env: &TestEnv,
    client: &mut revloop_cli::client::ApiClient,
) -> anyhow::Result<pb::Question> {
    ingest(env, client, contracts_system(), "contracts").await?;
    ingest(env, client, crm(), "salesforce").await?;
    eventually("the question", Duration::from_secs(90), || {
        let mut client = client.clone();
        async move {
            Ok(client
                .questions
                .list_questions(pb::ListQuestionsRequest::default())
                .await?
                .into_inner()
                .questions
                .into_iter()
                .next())
        }
    })
    .await
}

async fn account_actions(
    client: &mut revloop_cli::client::ApiClient,
) -> anyhow::Result<Vec<pb::Action>> {
    Ok(client
        .actions
        .list_actions(pb::ListActionsRequest::default())
        .await?
        .into_inner()
        .actions
        .into_iter()
        .filter(|a| a.account_id == "acme")
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disputed_renewal_date_is_asked_answered_and_then_decided() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let question = disputed_renewal(&env, &mut client).await?;
    assert_eq!(question.entity, "account:acme");
    assert_eq!(question.field, "renewal_date");
    assert_eq!(question.asked_of, "sam", "routed to the account's owner");
    assert_eq!(question.status, "open");
    let options: Vec<(&str, String)> = question
        .options
        .iter()
        .map(|o| (o.source.as_str(), o.value_json.clone()))
        .collect();
    assert_eq!(
        options,
        [
            ("contracts", format!("\"{}\"", date_in(120))),
            ("salesforce", format!("\"{}\"", date_in(60)))
        ]
    );

    // The decision asked and proposed nothing: no renewal plan on a date in doubt, nothing
    // customer-facing.
    let decided = env.workflow_result(&question.decision_id).await?;
    assert_eq!(decided["message"], "CLARIFICATION_REQUEST", "{decided}");
    assert_eq!(
        decided["awaiting_answers"][0],
        question.question_id.as_str()
    );
    assert!(account_actions(&mut client).await?.is_empty());

    // The hostile cases: a raw Temporal signal with a forged token, and a viewer who is not
    // the owner. Neither settles anything.
    let handle = env
        .temporal
        .get_workflow_handle::<revloop_workflows::ClarificationWorkflow>(
            question.workflow_id.clone(),
        );
    let forged =
        serde_json::json!({"question_id": question.question_id, "choice": 1, "token": "forged"});
    handle
        .signal(
            revloop_workflows::ClarificationWorkflow::answer,
            temporalio_common::data_converters::RawValue::from_value(
                &forged,
                &temporalio_common::data_converters::PayloadConverter::default(),
            ),
            Default::default(),
        )
        .await?;
    let viewer = env.revloop_cli(
        TENANT,
        &[Role::Viewer],
        &["answer", &question.question_id, "--choice", "2"],
    )?;
    assert_eq!(
        viewer.status.code(),
        Some(3),
        "not the owner, not an approver"
    );
    assert!(
        String::from_utf8_lossy(&viewer.stderr).contains("asked of sam"),
        "{}",
        String::from_utf8_lossy(&viewer.stderr)
    );
    let bad = env.revloop_cli(
        TENANT,
        &[Role::Approver],
        &["answer", &question.question_id, "--choice", "7"],
    )?;
    assert_eq!(bad.status.code(), Some(2), "no option 7");

    // The owner's side answers: the CRM's date.
    let answered = env.revloop_cli(
        TENANT,
        &[Role::Approver],
        &["answer", &question.question_id, "--choice", "2"],
    )?;
    assert_eq!(
        answered.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&answered.stderr)
    );
    let result = env.workflow_result(&question.workflow_id).await?;
    assert_eq!(result["answered"], 1, "{result}");
    assert_eq!(result["refused_signals"], 1, "the forged answer: {result}");
    let again = &result["redecision"];
    assert_eq!(again["message"], "ACTION_PROPOSALS", "{result}");

    // The decision ran again and proposed: the renewal plan on the answered date, and a
    // meeting request that waits for approval.
    let actions = account_actions(&mut client).await?;
    let plan = actions
        .iter()
        .find(|a| a.kind == "create_task" && a.title.contains("renewal plan"))
        .unwrap_or_else(|| panic!("a renewal plan: {actions:?}"));
    assert!(plan.why_now.contains(&date_in(60)), "{}", plan.why_now);
    assert_eq!(
        plan.decision_id,
        result["redecision_id"].as_str().unwrap(),
        "proposed by the second decision"
    );
    action_of(&client, "request_meeting", &["awaiting_approval"]).await?;

    let listed = env.revloop_cli(TENANT, &[Role::Viewer], &["--json", "questions", "--all"])?;
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    assert_eq!(listed[0]["status"], "answered", "{listed}");
    assert_eq!(listed[0]["answered_by"], "alice");
    assert_eq!(listed[0]["answer"], date_in(60));

    // Both histories replay through the current code, and are kept as replay fixtures when
    // `REVLOOP_RECORD_HISTORIES` names a directory: the decision that asked, and the wait that
    // ran it again.
    env.replay_and_record(&question.decision_id, "decision-asks.json")
        .await?;
    env.replay_and_record(&question.workflow_id, "clarification.json")
        .await?;

    // The world now holds the answer as user-input evidence: no dispute remains.
    let state = client
        .world
        .get_account_state(pb::GetAccountStateRequest {
            account_id: "acme".into(),
            as_of: String::new(),
        })
        .await?
        .into_inner();
    assert!(
        state.unknowns.iter().all(|u| u.field != "renewal_date"),
        "{:?}",
        state.unknowns
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_question_expires_on_its_timer() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    set_tenant_config(
        &mut client,
        TENANT,
        "[decision]\nquestion_expire_after_secs = 3\n",
    )
    .await?;
    let question = disputed_renewal(&env, &mut client).await?;
    let result = env.workflow_result(&question.workflow_id).await?;
    assert_eq!(result["expired"], 1, "{result}");
    assert_eq!(result["redecision"], serde_json::Value::Null);
    let listed = client
        .questions
        .list_questions(pb::ListQuestionsRequest {
            include_settled: true,
            ..Default::default()
        })
        .await?
        .into_inner()
        .questions;
    assert_eq!(listed[0].status, "expired");
    let late = env.revloop_cli(
        TENANT,
        &[Role::Approver],
        &["answer", &question.question_id, "--choice", "1"],
    )?;
    assert_ne!(
        late.status.code(),
        Some(0),
        "an expired question takes no answer"
    );
    assert!(account_actions(&mut client).await?.is_empty());
    Ok(())
}
