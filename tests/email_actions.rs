//! Customer emails that leave revloop, through a real SMTP server (Mailpit on loopback). An
//! approved follow-up is delivered exactly once although the server refuses the first try (a
//! forced retry of the executing activity), with the Message-ID derived from the action's
//! idempotency key; an approved meeting request carries a valid iCalendar invitation. With no
//! `[mail]` table, the same emails are queued in revloop's outbox, and say so.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use revloop_activities::smtp::message_id;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, EffectStore};

use crate::helpers::*;
use crate::mailpit::{Mailpit, settle};

const MAIL_CONFIG: &str = "[mail]\nsmtp_url_ref = \"file:smtp\"\nfrom = \"sam@acme.example\"\nreply_to = \"sam.seller@acme.example\"\n";

/// An account inside its renewal window with no meeting on record: revloop asks its champion
/// for a meeting.
fn renewal_without_meetings() -> String {
    let now = Utc::now();
    let end = (now + chrono::Duration::days(60)).date_naive();
    [
        format!(r#"{{"type":"account","id":"initech","updated_at":"{now}","name":"Initech","owner":"sam"}}"#),
        format!(r#"{{"type":"contact","id":"peter","account_id":"initech","updated_at":"{now}","name":"Peter Gibbons","email":"peter@initech.example","role":"champion","is_primary":true}}"#),
        format!(r#"{{"type":"contract","id":"k9","account_id":"initech","updated_at":"{now}","start_date":"2026-01-01","end_date":"{end}","arr":60000}}"#),
    ]
    .join("\n")
}

fn approve(env: &TestEnv, action_id: &str) -> anyhow::Result<()> {
    let out = env.revloop_cli(TENANT, &[Role::Approver], &["approve", action_id])?;
    anyhow::ensure!(
        out.status.success(),
        "revloop approve: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_emails_are_delivered_once_and_a_meeting_request_carries_an_invitation()
-> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mail = Mailpit::start(env.dir.path(), true)?;
    let mut client = env.admin().await?;
    write_smtp_secret(&env, TENANT, mail.smtp_port)?;
    set_tenant_config(&mut client, TENANT, MAIL_CONFIG).await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;

    // The server says "try again later" to the first send: the executing activity fails,
    // Temporal retries it, and the retry delivers.
    mail.refuse_recipients(true).await?;
    approve(&env, &follow_up.action_id)?;
    let action_workflow = format!("{TENANT}/action/{}", follow_up.action_id);
    let store = env.store()?;
    eventually(
        "the first, refused send",
        Duration::from_secs(60),
        || async {
            let effects = store.list_effects(TENANT, &follow_up.action_id).await?;
            Ok(effects
                .iter()
                .any(|e| e.kind == "email_outbox")
                .then_some(()))
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    mail.refuse_recipients(false).await?;
    env.workflow_result(&action_workflow).await?;
    assert!(
        max_attempt(&env, &action_workflow).await? >= 2,
        "the send was retried"
    );
    let subject = serde_json::from_str::<serde_json::Value>(&follow_up.params_json)?["subject"]
        .as_str()
        .context("the follow-up's subject")?
        .to_string();
    let received = mail.message(&subject).await?;
    settle().await;
    let all = mail.messages().await?;
    assert_eq!(
        all.iter()
            .filter(|m| m["Subject"] == subject.as_str())
            .count(),
        1,
        "delivered once: {all:?}"
    );
    let key = format!("{TENANT}/{}/execute", follow_up.action_id);
    assert_eq!(
        received["MessageID"].as_str().map(|id| format!("<{id}>")),
        Some(message_id(&key)),
        "{received}"
    );
    assert_eq!(received["From"]["Address"], "sam@acme.example");
    assert_eq!(received["To"][0]["Address"], "maria@acme.example");
    let executed = store
        .get_action(&follow_up.action_id)
        .await?
        .context("the follow-up")?;
    let result = executed.result.context("a result")?;
    assert_eq!(result["effect"], "email_sent", "{result}");
    assert!(
        result["payload"]["delivery"]
            .as_str()
            .is_some_and(|d| d.starts_with("sent over SMTP")),
        "{result}"
    );

    // A meeting request: an invitation the contact's calendar can read.
    let mut ingest = client.clone();
    let ingested = ingest
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl: renewal_without_meetings(),
            source: "salesforce".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    env.workflow_result(&ingested.workflow_id).await?;
    let meeting = action_of(&client, "request_meeting", &["awaiting_approval"]).await?;
    approve(&env, &meeting.action_id)?;
    env.workflow_result(&format!("{TENANT}/action/{}", meeting.action_id))
        .await?;
    let request = mail.message("30 minutes to catch up, Peter?").await?;
    let id = request["ID"].as_str().context("a message id")?;
    let full = mail.full(id).await?;
    let invite = full["Attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["FileName"] == "invite.ics")
        .with_context(|| format!("an invite.ics attachment: {full}"))?;
    assert!(
        invite["ContentType"]
            .as_str()
            .is_some_and(|t| t.starts_with("text/calendar")),
        "{invite}"
    );
    let ics = mail
        .part(id, invite["PartID"].as_str().context("its part")?)
        .await?;
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"), "{ics}");
    assert!(ics.contains(&format!("\r\nUID:{}@revloop\r\n", meeting.action_id)));
    assert!(
        ics.replace("\r\n ", "")
            .contains("mailto:peter@initech.example"),
        "{ics}"
    );
    for field in [
        "DTSTART:",
        "DTEND:",
        "DTSTAMP:",
        "ORGANIZER:mailto:sam@acme.example",
    ] {
        assert!(ics.contains(&format!("\r\n{field}")), "{field} in {ics}");
    }
    assert!(ics.trim_end().ends_with("END:VCALENDAR"), "{ics}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_mailer_an_approved_email_is_queued_in_the_outbox_and_says_so()
-> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    approve(&env, &follow_up.action_id)?;
    env.workflow_result(&format!("{TENANT}/action/{}", follow_up.action_id))
        .await?;
    let shown = env.revloop_cli(TENANT, &[Role::Viewer], &["show", &follow_up.action_id])?;
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("queued in revloop's outbox (no mailer configured)"),
        "{text}"
    );
    let effects = env
        .store()?
        .list_effects(TENANT, &follow_up.action_id)
        .await?;
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(effects[0].kind, "email_queued");
    // The outbox lists it, with the meeting-prep task that ran on its own (no CRM either).
    let listed = env.revloop_cli(TENANT, &[Role::Viewer], &["actions", "outbox"])?;
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{text}");
    let entry = text
        .split(&follow_up.action_id)
        .nth(1)
        .with_context(|| format!("the follow-up in the outbox: {text}"))?;
    assert!(
        entry.contains("queued in revloop's outbox (no mailer configured)"),
        "{text}"
    );
    assert!(
        text.contains("queued in revloop's outbox (no CRM configured)"),
        "{text}"
    );
    Ok(())
}
