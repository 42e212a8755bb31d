//! Reminders, escalation and expiry on durable timers (approval issue, item 3), with the
//! tenant's short times: a reminder, then an escalation to the configured target, both
//! ledgered in order, then expiry; the `ApprovalStatus` search attribute filters the backlog.

use std::time::Duration;

use revloop_cli::devserver::temporal_cli;
use revloop_store::LedgerStore;

use crate::helpers::*;

type Bodies = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// A local webhook receiver: answers 500 to the first delivery, then 200, keeping what it took.
async fn webhook_listener() -> anyhow::Result<(
    String,
    Bodies,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let accepted: Bodies = Default::default();
    let attempts = std::sync::Arc::new(AtomicUsize::new(0));
    let (keep, count) = (accepted.clone(), attempts.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let (keep, count) = (keep.clone(), count.clone());
            async move {
                if count.fetch_add(1, Ordering::SeqCst) == 0 {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                keep.lock().unwrap().push(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, accepted, attempts))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_approval_is_reminded_then_escalated_then_expires() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    // A Slack-compatible webhook that fails its first delivery (the notice is retried) and
    // keeps every body it accepted.
    let (hook_url, accepted, attempts) = webhook_listener().await?;
    std::fs::write(
        secrets_of(&env.store_path).join(TENANT).join("slack"),
        &hook_url,
    )?;
    set_tenant_config(
        &mut client,
        TENANT,
        "[approval]\nremind_after_secs = 2\nescalate_after_secs = 4\nescalate_to = \"group:manager\"\nexpire_after_secs = 7\n\n[notify]\nwebhook_secret_ref = \"file:slack\"\npage_url = \"https://revloop.example\"\n",
    )
    .await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let workflow_id = format!("{TENANT}/approval/{}", follow_up.action_id);
    let pending = eventually(
        "the approval listed as pending",
        Duration::from_secs(20),
        || async {
            let listed = temporal_cli(
                &env.temporal_bin,
                &env.server.address,
                &[
                    "workflow",
                    "list",
                    "--query",
                    "ApprovalStatus = \"pending\"",
                ],
            )?;
            Ok(listed.contains(&workflow_id).then_some(()))
        },
    )
    .await;
    pending?;

    let result = env.workflow_result(&workflow_id).await?;
    assert_eq!(result["decision"], "expired", "{result}");
    let entries = env.store()?.list_entries(TENANT, 0, 10_000).await?;
    let notices: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e.workflow_id == workflow_id && e.activity.ends_with("record_approval_notice"))
        .map(|e| {
            (
                e.payload["notice"].as_str().unwrap_or_default().to_string(),
                e.payload["to"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        notices,
        vec![
            ("reminder".to_string(), "approvers".to_string()),
            ("escalation".to_string(), "group:manager".to_string())
        ]
    );
    // Each notice (the request, the reminder, the escalation) reached the webhook exactly once,
    // though the first delivery failed and was retried.
    let all = accepted.lock().unwrap().clone();
    let bodies: Vec<serde_json::Value> = all
        .iter()
        .filter(|b| {
            b["text"]
                .as_str()
                .unwrap_or_default()
                .contains(&follow_up.action_id)
        })
        .cloned()
        .collect();
    assert_eq!(bodies.len(), 3, "{all:?}");
    assert!(
        bodies.iter().any(|b| b["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("An approval waits for you")),
        "the request: {bodies:?}"
    );
    // Every waiting approval (the fixture has more than one) got one of each notice, no more.
    let mut texts: Vec<&str> = all.iter().filter_map(|b| b["text"].as_str()).collect();
    let total = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), total, "no notice twice: {all:?}");
    assert!(attempts.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    assert!(
        bodies[1]["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Reminder"),
        "{bodies:?}"
    );
    assert!(
        bodies[2]["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Escalated to group:manager"),
        "{bodies:?}"
    );
    assert_eq!(
        bodies[1]["blocks"][1]["elements"][0]["url"],
        format!("https://revloop.example/actions/{}", follow_up.action_id)
    );
    let ledgered: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e.workflow_id == workflow_id && e.activity.ends_with("record_approval_notice"))
        .map(|e| &e.payload["sent"])
        .collect();
    assert!(ledgered.iter().all(|s| s[0] == "webhook"), "{ledgered:?}");
    // The timers are Temporal timers, visible in the history (and so in the Web UI).
    let timers = env
        .history(&workflow_id)
        .await?
        .iter()
        .filter(|e| e.event_type == 17) // EVENT_TYPE_TIMER_STARTED
        .count();
    assert!(
        timers >= 3,
        "reminder, escalation and expiry timers: {timers}"
    );
    let expired = temporal_cli(
        &env.temporal_bin,
        &env.server.address,
        &[
            "workflow",
            "list",
            "--query",
            "ApprovalStatus = \"expired\"",
        ],
    )?;
    assert!(expired.contains(&workflow_id), "{expired}");

    // The history replays through the current code, and is kept as a replay fixture when
    // `REVLOOP_RECORD_HISTORIES` names a directory.
    env.replay_and_record(&workflow_id, "approval-reminders.json")
        .await?;
    Ok(())
}
