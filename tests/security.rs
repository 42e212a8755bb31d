//! The security group: each test reproduces an attack from the hardening probe (a tenant admin
//! reaching platform secrets, files and internal addresses; a Temporal client re-running an
//! action) and asserts the safe outcome. Forged approval signals are in
//! `approval_via_temporal_cli`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::http::HeaderMap;
use revloop_activities::contracts::{PerceptionInput, SourceRef};
use revloop_cli::devserver::temporal_cli;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, ConnectorRecord, ConnectorStore, EffectStore};
use revloop_workflows::PerceptionWorkflow;
use serde_json::json;
use temporalio_client::WorkflowStartOptions;

use crate::helpers::*;

/// A local source that records the `authorization` header of every request it gets.
async fn recording_source() -> anyhow::Result<(String, Arc<Mutex<Vec<String>>>)> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/accounts",
        axum::routing::get(move |headers: HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                record.lock().unwrap().push(auth);
                axum::Json(json!({ "items": [] }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/accounts", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, seen))
}

fn pull_config(url: &str) -> String {
    json!({ "url": url, "record_type": "account",
            "fields": { "id": "/id", "updated_at": "/updated_at" } })
    .to_string()
}

fn register(
    kind: &str,
    id: &str,
    secret_ref: &str,
    config: String,
) -> pb::RegisterConnectorRequest {
    pb::RegisterConnectorRequest {
        tenant_id: TENANT.into(),
        connector_id: id.into(),
        kind: kind.into(),
        secret_ref: secret_ref.into(),
        config_json: config,
    }
}

/// Finding 1 (critical): a tenant admin registers a connector that names the JWT signing
/// secret and a URL of their choosing. The API refuses it, naming the rule; a registration
/// that reached the store anyway still never sends the secret anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_admin_cannot_reach_platform_secrets_or_internal_addresses() -> anyhow::Result<()>
{
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let (url, seen) = recording_source().await?;

    for (kind, secret_ref) in [
        ("http_pull", "env:REVLOOP_JWT_SECRET"),
        ("http_push", "env:REVLOOP_JWT_SECRET"),
        ("salesforce", "env:REVLOOP_APPROVAL_KEY"),
        ("http_pull", "env:REVLOOP_TENANT_SECRET_globex__CRM"),
        ("http_pull", "file:../globex/token"),
    ] {
        let config = match kind {
            "salesforce" => {
                json!({ "instance_url": url.trim_end_matches("/accounts") }).to_string()
            }
            "http_pull" => pull_config(&url),
            _ => String::new(),
        };
        let refused = client
            .connectors
            .register_connector(register(kind, "probe", secret_ref, config))
            .await
            .expect_err(secret_ref);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{secret_ref}");
        assert!(
            refused.message().contains("secret_ref"),
            "{secret_ref}: {}",
            refused.message()
        );
    }
    for internal in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/accounts",
        // Loopback beyond the one address these tests allow.
        "http://127.0.0.2:7233/",
        "http://192.168.1.10/accounts",
        "http://[::1]:8080/",
    ] {
        let refused = client
            .connectors
            .register_connector(register("http_pull", "probe", "", pull_config(internal)))
            .await
            .expect_err(internal);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{internal}");
        assert!(
            refused.message().contains("egress policy"),
            "{}",
            refused.message()
        );
    }
    let store = env.store()?;
    assert!(store.get_connector(TENANT, "probe").await?.is_none());

    // A registration written before the rule (or by other means) is refused by the worker.
    store
        .put_connector(&ConnectorRecord {
            tenant_id: TENANT.into(),
            connector_id: "legacy".into(),
            kind: "http_pull".into(),
            secret_ref: Some("env:REVLOOP_JWT_SECRET".into()),
            config: serde_json::from_str(&pull_config(&url))?,
            created_at: chrono::Utc::now(),
        })
        .await?;
    let workflow_id = format!("{TENANT}/perception/legacy-probe");
    env.temporal
        .start_workflow(
            PerceptionWorkflow::run,
            PerceptionInput {
                tenant_id: TENANT.into(),
                trace_id: "legacy-probe".into(),
                source: SourceRef::Pull {
                    connector_id: "legacy".into(),
                },
            },
            WorkflowStartOptions::new("revloop", workflow_id.clone()).build(),
        )
        .await?;
    let failed = env
        .workflow_result(&workflow_id)
        .await
        .expect_err("refused");
    assert!(
        format!("{failed:#}").contains("REVLOOP_TENANT_SECRET_acme-co__"),
        "{failed:#}"
    );
    assert!(
        !seen
            .lock()
            .unwrap()
            .iter()
            .any(|auth| auth.contains(SECRET)),
        "the JWT secret left the worker"
    );

    // The tenant's own secret, under its prefix, is what a connector may use.
    client
        .connectors
        .register_connector(register(
            "http_pull",
            "own",
            "env:REVLOOP_TENANT_SECRET_acme-co__SALESFORCE",
            pull_config(&url),
        ))
        .await?;
    Ok(())
}

/// Starts `ActionWorkflow` by hand under a new id, as anyone with Temporal access could.
/// Returns what the workflow answered.
fn rerun(env: &TestEnv, action_id: &str) -> anyhow::Result<String> {
    let input = json!({ "tenant_id": TENANT, "action_id": action_id, "trace_id": "probe" });
    temporal_cli(
        &env.temporal_bin,
        &env.server.address,
        &[
            "workflow",
            "execute",
            "--type",
            "ActionWorkflow",
            "--task-queue",
            "revloop",
            "--workflow-id",
            &format!("probe/rerun/{action_id}"),
            "--input",
            &input.to_string(),
        ],
    )
}

/// Finding 2 (high): re-running an executed, or a rejected, action under a new workflow id
/// never repeats or causes its side effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_started_action_workflow_never_acts_again() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let task = action_of(&client, "create_task", &["executed"]).await?;
    let store = env.store()?;
    assert_eq!(store.list_effects(TENANT, &task.action_id).await?.len(), 1);

    // Executed: a second run finds it done and does nothing.
    let answer = rerun(&env, &task.action_id)?;
    assert!(answer.contains("blocked"), "{answer}");
    // Rejected: a run by hand cannot execute it.
    client
        .actions
        .reject_action(pb::DecideActionRequest {
            action_id: follow_up.action_id.clone(),
            reason: "calling instead".into(),
        })
        .await?;
    eventually("the follow-up rejected", Duration::from_secs(60), || {
        let store = store.clone();
        let id = follow_up.action_id.clone();
        async move {
            let a = store.get_action(&id).await?.context("action")?;
            Ok((a.status.as_str() == "rejected").then_some(()))
        }
    })
    .await?;
    let answer = rerun(&env, &follow_up.action_id)?;
    assert!(answer.contains("blocked"), "{answer}");

    assert_eq!(store.list_effects(TENANT, &task.action_id).await?.len(), 1);
    assert!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .is_empty()
    );
    let task_now = store.get_action(&task.action_id).await?.context("task")?;
    assert_eq!(task_now.status.as_str(), "executed");
    let follow_up_now = store
        .get_action(&follow_up.action_id)
        .await?
        .context("follow-up")?;
    assert_eq!(follow_up_now.status.as_str(), "rejected");
    Ok(())
}

/// Finding 3 (high): `StartPerception {"path": "/etc/hostname"}` and its variants never make
/// the worker read a file outside the tenant's inbox folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_perception_reads_only_the_tenants_inbox_folder() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let start = |path: &str| pb::StartPerceptionRequest {
        tenant_id: TENANT.into(),
        path: path.into(),
    };
    for path in ["/etc/hostname", "../../etc/hostname", "a/../../b.jsonl", ""] {
        let refused = client
            .ingest
            .start_perception(start(path))
            .await
            .expect_err(path);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{path}");
        assert!(
            refused.message().starts_with("path:"),
            "{}",
            refused.message()
        );
    }

    let inbox = inbox_of(&env.store_path).join(TENANT);
    std::os::unix::fs::symlink("/etc/hostname", inbox.join("host.jsonl"))?;
    let linked = client
        .ingest
        .start_perception(start("host.jsonl"))
        .await?
        .into_inner();
    let failed = env
        .workflow_result(&linked.workflow_id)
        .await
        .expect_err("refused");
    assert!(
        format!("{failed:#}").contains("symbolic links"),
        "{failed:#}"
    );

    let foreign = inbox_of(&env.store_path).join("globex");
    std::fs::create_dir_all(&foreign)?;
    std::fs::write(foreign.join("theirs.jsonl"), "{}\n")?;
    std::os::unix::fs::symlink(&foreign, inbox.join("other"))?;
    let across = client
        .ingest
        .start_perception(start("other/theirs.jsonl"))
        .await?
        .into_inner();
    assert!(env.workflow_result(&across.workflow_id).await.is_err());

    let batches = || -> anyhow::Result<i64> {
        let db = rusqlite::Connection::open(&env.store_path)?;
        Ok(db.query_row(
            "SELECT count(*) FROM evidence WHERE tenant_id = ?1",
            [TENANT],
            |r| r.get(0),
        )?)
    };
    assert_eq!(batches()?, 0, "nothing outside the inbox folder was read");

    // A file in the tenant's folder is read.
    std::fs::write(
        inbox.join("accounts.jsonl"),
        format!(
            "{}\n",
            json!({"type": "account", "id": "inbox-1", "updated_at": "2026-03-01T00:00:00Z", "name": "Inbox Co"})
        ),
    )?;
    let ok = client
        .ingest
        .start_perception(start("accounts.jsonl"))
        .await?
        .into_inner();
    env.workflow_result(&ok.workflow_id).await?;
    assert_eq!(batches()?, 1);
    Ok(())
}

/// Finding 4 (medium): 100 000 bad lines. The report used to travel in status trailers and was
/// lost past about 40 lines; now the answer's body says how many, lists the first ones with
/// line and field, and the rest are paged from quarantine. The CLI exits 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_bad_lines_give_a_clear_report() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut lines: Vec<String> = (0..100_000).map(|i| format!("not json {i}")).collect();
    lines.push(json!({"type": "account", "id": "last-good", "updated_at": "2026-03-01T00:00:00Z", "name": "Good"}).to_string());
    let path = env.dir.path().join("bad.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n")?;
    let out = env.revloop_cli(
        TENANT,
        &[revloop_domain::auth::Role::Admin],
        &["ingest", path.to_str().unwrap_or_default()],
    )?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("100000 line(s) rejected, 1 accepted and processed"),
        "{}",
        &stderr[..stderr.len().min(500)]
    );
    assert!(
        stderr.contains("line 1: "),
        "line numbers of the whole file"
    );
    assert!(
        stderr.contains("… and 99900 more"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );

    // The rest is in quarantine, a page at a time, in the batch of each chunk the file went in.
    let evidence_ids: Vec<String> = stderr
        .split("revloop quarantine ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    anyhow::ensure!(!evidence_ids.is_empty(), "the batches to list: {stderr}");
    let mut client = env.admin().await?;
    let (mut seen, mut total, mut last) = (0, 0, 0);
    for evidence_id in &evidence_ids {
        let mut token = String::new();
        loop {
            let page = client
                .ingest
                .list_quarantined(pb::ListQuarantinedRequest {
                    tenant_id: TENANT.into(),
                    evidence_id: evidence_id.clone(),
                    page_size: 1000,
                    page_token: token.clone(),
                })
                .await?
                .into_inner();
            seen += page.lines.len();
            last = last.max(page.lines.iter().map(|l| l.line).max().unwrap_or(0));
            if page.next_page_token.is_empty() {
                total += page.total;
                break;
            }
            token = page.next_page_token;
        }
    }
    assert_eq!(seen, 100_000);
    assert_eq!(total, 100_000);
    assert_eq!(last, 100_000, "numbered as in the whole file");
    Ok(())
}
