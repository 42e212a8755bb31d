//! Escalations reach people. A severity-2 ticket open for 10 days is escalated to the support
//! lead on its own (internal): the support lead's address gets the notice through the tenant's
//! email notifier (Mailpit, on loopback), and a High-priority Task tracks it in the local
//! Salesforce-format org, written once. Undo deletes the Task and says the notice stays sent.

use chrono::Utc;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;

use crate::helpers::*;
use crate::mailpit::Mailpit;
use crate::salesforce_org::SalesforceOrg;

const ACCOUNT: &str = "001E000001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_notifies_the_role_and_creates_one_crm_task() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mail = Mailpit::start(env.dir.path(), false)?;
    let mut client = env.admin().await?;
    write_smtp_secret(&env, TENANT, mail.smtp_port)?;
    let org = SalesforceOrg::default();
    let instance = org.start().await?;
    register_salesforce(&mut client, &instance).await?;
    set_tenant_config(
        &mut client,
        TENANT,
        "[crm]\nconnector = \"salesforce\"\n\n[notify.email]\nsmtp_url_ref = \"file:smtp\"\nfrom = \"revloop@acme.example\"\ndefault_to = \"revops@acme.example\"\n\n[notify.email.to]\nsupport_lead = \"support@acme.example\"\n",
    )
    .await?;
    let now = Utc::now();
    let opened = now - chrono::Duration::days(10);
    let jsonl = [
        format!(r#"{{"type":"account","id":"{ACCOUNT}","updated_at":"{now}","name":"Initrode","owner":"sam"}}"#),
        format!(r#"{{"type":"ticket","id":"t7","account_id":"{ACCOUNT}","updated_at":"{now}","subject":"Sync fails every night","severity":2,"status":"open","opened_at":"{opened}","escalated":false}}"#),
    ]
    .join("\n");
    client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl,
            source: "salesforce".into(),
            ..Default::default()
        })
        .await?;
    let escalation = action_of(&client, "escalate_ticket", &["executed"]).await?;

    let notice = mail
        .message(&format!(
            "Escalated to you (support_lead): {}",
            escalation.title
        ))
        .await?;
    assert_eq!(
        notice["To"][0]["Address"], "support@acme.example",
        "{notice}"
    );
    let tasks = org.all("Task");
    assert_eq!(tasks.len(), 1, "one Task: {tasks:?}");
    assert_eq!(tasks[0]["Priority"], "High");
    assert_eq!(tasks[0]["WhatId"], ACCOUNT);
    assert!(
        tasks[0]["Subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("Escalation: Escalate ticket t7")),
        "{tasks:?}"
    );
    assert_eq!(
        org.writes().iter().filter(|w| w.sobject == "Task").count(),
        1,
        "written once"
    );
    let shown = env.revloop_cli(TENANT, &[Role::Viewer], &["show", &escalation.action_id])?;
    let shown = String::from_utf8_lossy(&shown.stdout).to_string();
    assert!(
        shown.contains("handed to support_lead: notified by 1 notifier(s)"),
        "{shown}"
    );

    let undo = env.revloop_cli(
        TENANT,
        &[Role::Approver],
        &["actions", "undo", &escalation.action_id],
    )?;
    let said = String::from_utf8_lossy(&undo.stdout).to_string();
    assert!(
        undo.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&undo.stderr)
    );
    assert!(org.all("Task").is_empty(), "the Task is deleted");
    assert!(said.contains("escalation_withdrawn"), "{said}");
    let messages = mail.messages().await?;
    let handoffs = messages
        .iter()
        .filter(|m| {
            m["Subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Escalated to you"))
        })
        .count();
    assert_eq!(handoffs, 1, "one notice, not sent again: {messages:?}");
    Ok(())
}
