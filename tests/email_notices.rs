//! Notices by email, through a real SMTP server (Mailpit, on loopback): a new approval request
//! reaches the approvers' address, and an action the validators block reaches the account's
//! owner. The SMTP URL is a tenant secret reference; each message's Message-ID derives from the
//! notice, so a retried send is recognisable.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::helpers::*;
use crate::mailpit::Mailpit;

fn config(smtp: &str, extra: &str) -> String {
    format!(
        "{extra}[notify]\npage_url = \"https://revloop.example\"\n\n[notify.email]\nsmtp_url_ref = \"{smtp}\"\nfrom = \"revloop@acme.example\"\ndefault_to = \"revops@acme.example\"\n\n[notify.email.to]\napprovers = \"approvals@acme.example\"\n\"dana@revloop.example\" = \"dana@acme.example\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_requests_and_blocked_actions_arrive_by_email() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mail = Mailpit::start(env.dir.path(), false)?;
    let mut client = env.admin().await?;
    // The SMTP URL is a tenant secret, in the operator's folder for the tenant.
    let secret = |tenant: &str| write_smtp_secret(&env, tenant, mail.smtp_port);
    secret(TENANT)?;
    set_tenant_config(&mut client, TENANT, &config("file:smtp", "")).await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let request = mail
        .message(&format!("An approval waits for you: {}", follow_up.title))
        .await?;
    assert_eq!(
        request["To"][0]["Address"], "approvals@acme.example",
        "{request}"
    );
    assert_eq!(request["From"]["Address"], "revloop@acme.example");
    let id = request["MessageID"].as_str().context("a Message-ID")?;
    assert!(
        id.trim_end_matches('>').ends_with("@revloop") && id.len() >= 40,
        "{id}"
    );
    let full: Value = reqwest::get(format!(
        "{}/message/{}",
        mail.api,
        request["ID"].as_str().unwrap()
    ))
    .await?
    .json()
    .await?;
    assert!(
        full["Text"].as_str().unwrap_or_default().contains(&format!(
            "https://revloop.example/actions/{}",
            follow_up.action_id
        )),
        "{full}"
    );

    // Another tenant forbids follow-ups: the validators block it, and its owner hears.
    let other = "beta-co";
    secret(other)?;
    let mut beta = env
        .client(other, &[revloop_domain::auth::Role::Admin])
        .await?;
    set_tenant_config(
        &mut beta,
        other,
        &config(
            "file:smtp",
            "[governance.compliance]\ndenied_actions = [\"send_follow_up\"]\n\n",
        ),
    )
    .await?;
    env.ingest_fixture(&mut beta, "meeting_prep.jsonl", other)
        .await?;
    let blocked = action_of(&beta, "send_follow_up", &["blocked"]).await?;
    let notice = mail
        .message(&format!("An action was blocked: {}", blocked.title))
        .await?;
    assert_eq!(
        notice["To"][0]["Address"], "dana@acme.example",
        "the owner: {notice}"
    );
    // Each notice once, whatever the retries: both tenants' approval requests (the fixture
    // asks for two customer-facing actions, one of them blocked in the second tenant), the
    // block, and in each tenant the renewal-at-risk plan's request and the aging ticket's
    // hand-off to the support lead, each with its own Message-ID.
    let ids = || async {
        let listed: Value = reqwest::get(format!("{}/messages", mail.api))
            .await?
            .json()
            .await?;
        anyhow::Ok(
            listed["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| {
                    m["MessageID"]
                        .as_str()
                        .map(|id| format!("{id} {}", m["Subject"].as_str().unwrap_or_default()))
                })
                .collect::<Vec<_>>(),
        )
    };
    eventually("eight notices", Duration::from_secs(60), || async {
        Ok((ids().await?.len() >= 8).then_some(()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut sent = ids().await?;
    assert_eq!(sent.len(), 8, "{sent:?}");
    for (subject, times) in [
        ("An approval waits for you: plan: renewal at risk", 2),
        ("Escalated to you (support_lead): Escalate ticket", 2),
        ("An action was blocked:", 1),
    ] {
        let found = sent.iter().filter(|m| m.contains(subject)).count();
        assert_eq!(found, times, "{subject}: {sent:?}");
    }
    sent.sort();
    sent.dedup_by(|a, b| a.split(' ').next() == b.split(' ').next());
    assert_eq!(sent.len(), 8, "no notice twice");
    Ok(())
}
