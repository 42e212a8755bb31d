//! The brief before a meeting, with no new data: a meeting is booked further out than the
//! ingest look-ahead, so nothing is raised for it when it arrives. The AccountWorkflow sleeps on
//! a durable timer until `brief_lead_hours` before it, raises MEETING_UPCOMING then, and the
//! decision that follows attaches a brief, without another record arriving.

use chrono::{Duration as Span, Utc};
use revloop_proto::v1 as pb;
use std::time::Duration;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meeting_timer_prepares_a_brief_with_no_new_data() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    // Ingest looks 1 hour ahead; briefs are due 1 hour before. The meeting starts in 1 hour and
    // 25 seconds: nothing at ingest, the brief about 25 seconds later.
    set_tenant_config(
        &mut client,
        TENANT,
        "[signals]\nmeeting_upcoming_hours = 1\n\n[decision]\nbrief_lead_hours = 1\n",
    )
    .await?;
    let now = Utc::now();
    let starts = now + Span::hours(1) + Span::seconds(25);
    let records = [
        format!(
            r#"{{"type":"account","id":"acme","updated_at":"{now}","name":"Acme Corp","owner":"sam"}}"#,
            now = now.to_rfc3339()
        ),
        format!(
            r#"{{"type":"contact","id":"ada","account_id":"acme","updated_at":"{now}","name":"Ada Lovelace","email":"ada@acme.test","role":"champion","is_primary":true,"active":true}}"#,
            now = now.to_rfc3339()
        ),
        // A renewal window: the account's first decision, and its AccountWorkflow.
        format!(
            r#"{{"type":"contract","id":"k1","account_id":"acme","updated_at":"{now}","start_date":"2026-01-01","end_date":"{}"}}"#,
            (now + Span::days(60)).date_naive(),
            now = now.to_rfc3339()
        ),
        format!(
            r#"{{"type":"meeting","id":"m1","account_id":"acme","updated_at":"{now}","title":"Quarterly review","starts_at":"{}","status":"scheduled","attendee_ids":["ada"]}}"#,
            starts.to_rfc3339(),
            now = now.to_rfc3339()
        ),
    ]
    .join("\n");
    let ingested = client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl: records,
            source: "salesforce".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    env.workflow_result(&ingested.workflow_id).await?;
    let first = env
        .workflow_result(&format!("{TENANT}/decision/acme-1"))
        .await?;
    assert_eq!(first["message"], "ACTION_PROPOSALS", "{first}");
    let signals = || {
        let mut client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .signals
                    .list_signals(pb::ListSignalsRequest {
                        account_id: "acme".into(),
                        ..Default::default()
                    })
                    .await?
                    .into_inner()
                    .signals,
            )
        }
    };
    assert!(
        signals()
            .await?
            .iter()
            .all(|s| s.signal_type != "MEETING_UPCOMING"),
        "the meeting is beyond the ingest look-ahead"
    );

    // No new record: the timer fires, the signal is raised, and a decision attaches a brief.
    let second = env
        .workflow_result_within(
            &format!("{TENANT}/decision/acme-2"),
            Duration::from_secs(120),
        )
        .await?;
    assert_eq!(second["message"], "ACTION_PROPOSALS", "{second}");
    let meeting = signals()
        .await?
        .into_iter()
        .find(|s| s.signal_type == "MEETING_UPCOMING")
        .expect("raised by the timer");
    let detected: chrono::DateTime<Utc> = meeting.detected_at.parse()?;
    assert!(
        detected >= starts - Span::hours(1),
        "raised at the lead, not before: {detected} vs {starts}"
    );
    let brief = action_of(&client, "attach_brief", &["executed"]).await?;
    assert_eq!(brief.decision_id, format!("{TENANT}/decision/acme-2"));
    // The timer shows in the account's history.
    let history = env.history(&format!("{TENANT}/account/acme")).await?;
    assert!(
        history.iter().any(|e| e.event_type
            == temporalio_common::protos::temporal::api::enums::v1::EventType::TimerFired as i32),
        "a fired timer (TIMER_FIRED) in the AccountWorkflow's history"
    );
    // The history replays through the current code, and is kept as a replay fixture when
    // `REVLOOP_RECORD_HISTORIES` names a directory.
    env.replay_and_record(
        &format!("{TENANT}/account/acme"),
        "account-meeting-timer.json",
    )
    .await?;
    Ok(())
}
