//! `spawn_env()`: a private revloop stack per test, stopped when the test ends.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use revloop_cli::client::ApiClient;
use revloop_cli::devserver::{DevServer, DevServerOptions, find_temporal_bin, free_port};
use revloop_cli::procs::{ManagedChild, sibling_binary};
use revloop_cli::{fixtures, token};
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_store::{SqliteStore, Store};
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};
use temporalio_client::{UntypedWorkflow, WorkflowFetchHistoryOptions};
use temporalio_common::protos::temporal::api::history::v1::{HistoryEvent, history_event};

pub const TENANT: &str = "acme-co";
/// The secret the API finds under [`PUSH_SECRET_REF`].
pub const PUSH_SECRET: &str = "push-secret-for-the-tests";
/// The push connectors' secret reference: a variable the operator exposed to the tenant.
pub const PUSH_SECRET_REF: &str = "env:REVLOOP_TENANT_SECRET_acme-co__PUSH";
/// The Salesforce access token the worker finds under [`SF_TOKEN_REF`].
pub const SF_TOKEN: &str = "00D-test-access-token";
pub const SF_TOKEN_REF: &str = "env:REVLOOP_TENANT_SECRET_acme-co__SALESFORCE";
/// The API's JWT signing secret: a platform secret no tenant may name.
pub const SECRET: &str = "e2e-secret-that-is-long-enough";
/// The operator's approval-token key, shared by the API and the worker.
pub const APPROVAL_KEY: &str = "e2e-approval-key-that-is-32-bytes-or-more";

/// What the operator allows in these tests: http to loopback (the local test servers), nothing
/// else internal, and the approval key.
fn platform_env(cmd: &mut Command) {
    // The dashboards' per-tenant budget gauges exist only with tenant labels on.
    cmd.env("REVLOOP_APPROVAL_KEY", APPROVAL_KEY)
        .env("REVLOOP_METRICS_TENANT_LABELS", "true")
        .env("REVLOOP_EGRESS_ALLOW_HTTP", "true")
        .env("REVLOOP_EGRESS_ALLOW_NETS", "127.0.0.1/32");
}

/// A push delivery's `x-revloop-signature` value, signed at `timestamp` (unix seconds): the wire
/// format a source implements, written here independently of the API's own code.
pub fn push_signature_at(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// [`push_signature_at`] now.
pub fn push_signature(secret: &str, body: &[u8]) -> String {
    push_signature_at(secret, Utc::now().timestamp(), body)
}

/// The operator's per-tenant secrets folder for the worker, beside the store (`file:` refs).
pub fn secrets_of(store: &std::path::Path) -> PathBuf {
    store.with_file_name("secrets")
}

/// The tenant's inbox folder, beside the store: the only place the worker reads files from.
pub fn inbox_of(store: &std::path::Path) -> PathBuf {
    store.with_file_name("inbox")
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub server: DevServer,
    pub worker: ManagedChild,
    pub api: ManagedChild,
    pub api_url: String,
    pub http_url: String,
    /// The API's `/metrics`, on its own listener.
    pub api_metrics_url: String,
    pub store_path: PathBuf,
    pub temporal_bin: PathBuf,
    pub temporal: Client,
    /// The worker's revloop metrics and the Temporal SDK's worker metrics (`/metrics` each).
    pub worker_metrics_url: String,
    pub temporal_metrics_url: String,
    /// What the worker's environment adds to the usual (kept for a restart).
    pub worker_env: Vec<(String, String)>,
    /// The store the processes share when it is not the SQLite file (the AWS backend).
    pub shared_store: Option<Arc<dyn Store>>,
}

/// Fresh loopback addresses for a worker's two metrics endpoints.
fn metrics_addrs() -> anyhow::Result<(String, String)> {
    Ok((
        format!("127.0.0.1:{}", free_port()?),
        format!("127.0.0.1:{}", free_port()?),
    ))
}

pub async fn spawn_env() -> anyhow::Result<TestEnv> {
    spawn_env_with(&[]).await
}

/// [`spawn_env`] with more environment for the worker (a local Bedrock endpoint and its
/// credentials, say).
pub async fn spawn_env_with(worker_env: &[(&str, String)]) -> anyhow::Result<TestEnv> {
    spawn_env_for(worker_env, &[]).await
}

/// [`spawn_env`] with more environment for the worker and for the API (an OTLP endpoint, a
/// log format).
pub async fn spawn_env_for(
    worker_env: &[(&str, String)],
    api_env: &[(&str, String)],
) -> anyhow::Result<TestEnv> {
    let dir = tempfile::tempdir()?;
    let temporal_bin = find_temporal_bin()?;
    let opts = DevServerOptions {
        temporal_bin: temporal_bin.clone(),
        port: 0,
        ui_port: None,
        db_file: None,
        namespace: "default".into(),
        log_file: dir.path().join("temporal.log"),
    };
    let server = tokio::task::spawn_blocking(move || DevServer::start(&opts)).await??;
    let store_path = dir.path().join("revloop.db");
    let api_url = format!("http://127.0.0.1:{}", free_port()?);
    let http_url = format!("http://127.0.0.1:{}", free_port()?);
    let api_metrics_addr = format!("127.0.0.1:{}", free_port()?);
    let temporal = Client::new(
        Connection::connect(
            ConnectionOptions::new(url::Url::parse(&server.address)?)
                .identity("e2e".to_string())
                .build(),
        )
        .await?,
        ClientOptions::new("default").build(),
    )?;
    let metrics = metrics_addrs()?;
    let worker_env: Vec<(String, String)> = worker_env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let worker = start_worker_process(
        &server.address,
        &store_path,
        &dir.path().join("worker.log"),
        &metrics,
        &worker_env,
    )?;
    let mut api_cmd = Command::new(sibling_binary("revloop-api")?);
    api_cmd
        .env("TEMPORAL_ADDRESS", &server.address)
        .env("REVLOOP_STORE", &store_path)
        .env("REVLOOP_JWT_SECRET", SECRET)
        .env("REVLOOP_API_LISTEN", api_url.trim_start_matches("http://"))
        .env(
            "REVLOOP_HTTP_LISTEN",
            http_url.trim_start_matches("http://"),
        )
        .env("REVLOOP_API_METRICS_ADDR", &api_metrics_addr)
        .env("REVLOOP_TENANT_SECRET_acme-co__PUSH", PUSH_SECRET)
        .envs(api_env.iter().map(|(k, v)| (k, v)));
    platform_env(&mut api_cmd);
    let api = ManagedChild::spawn("revloop-api", api_cmd, &dir.path().join("api.log"))?;
    let mut env = TestEnv {
        dir,
        server,
        worker,
        api,
        api_url,
        http_url,
        api_metrics_url: format!("http://{api_metrics_addr}/metrics"),
        store_path,
        temporal_bin,
        temporal,
        worker_metrics_url: format!("http://{}/metrics", metrics.0),
        temporal_metrics_url: format!("http://{}/metrics", metrics.1),
        worker_env,
        shared_store: None,
    };
    let token = env.token(TENANT, &[Role::Admin]);
    let api_url = env.api_url.clone();
    let api = &mut env.api;
    ApiClient::connect_when_ready(&api_url, &token, Duration::from_secs(60), || {
        !api.has_exited()
    })
    .await?;
    Ok(env)
}

fn start_worker_process(
    address: &str,
    store: &std::path::Path,
    log: &std::path::Path,
    (metrics, temporal_metrics): &(String, String),
    extra: &[(String, String)],
) -> anyhow::Result<ManagedChild> {
    let mut cmd = Command::new(sibling_binary("revloop-worker")?);
    cmd.env("TEMPORAL_ADDRESS", address)
        .env("REVLOOP_WORKER_METRICS_ADDR", metrics)
        .env("REVLOOP_TEMPORAL_METRICS_ADDR", temporal_metrics)
        .env("REVLOOP_STORE", store)
        .env("REVLOOP_DEBOUNCE_SECS", "1")
        .env("REVLOOP_GRACEFUL_SHUTDOWN_SECS", "2")
        .env("REVLOOP_TENANT_SECRET_acme-co__SALESFORCE", SF_TOKEN)
        // The worker runs with the API's JWT secret in reach, as a careless deployment would:
        // no tenant reference may resolve to it.
        .env("REVLOOP_JWT_SECRET", SECRET)
        .env("REVLOOP_INBOX_DIR", inbox_of(store))
        .env("REVLOOP_TENANT_SECRETS_DIR", secrets_of(store));
    // A test's own settings win over the defaults above.
    cmd.envs(extra.iter().map(|(k, v)| (k, v)));
    platform_env(&mut cmd);
    std::fs::create_dir_all(inbox_of(store).join(TENANT))?;
    std::fs::create_dir_all(secrets_of(store).join(TENANT))?;
    ManagedChild::spawn("revloop-worker", cmd, log)
}

impl TestEnv {
    pub fn token(&self, tenant: &str, roles: &[Role]) -> String {
        token::mint(SECRET, tenant, "alice", roles, 3600).expect("minting a token")
    }

    pub async fn client(&self, tenant: &str, roles: &[Role]) -> anyhow::Result<ApiClient> {
        ApiClient::connect(&self.api_url, &self.token(tenant, roles)).await
    }

    pub async fn admin(&self) -> anyhow::Result<ApiClient> {
        self.client(TENANT, &[Role::Admin]).await
    }

    /// The SQLite file the worker and the API share (the default backend).
    pub fn store(&self) -> anyhow::Result<SqliteStore> {
        Ok(SqliteStore::open(&self.store_path)?)
    }

    /// The store the worker and the API use, whichever backend it is.
    pub fn backend(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(match &self.shared_store {
            Some(store) => store.clone(),
            None => Arc::new(self.store()?),
        })
    }

    /// Starts one more worker process beside the running one, on fresh metrics ports, with the
    /// same environment plus `extra`.
    pub fn spawn_another_worker(
        &self,
        log_name: &str,
        extra: &[(&str, String)],
    ) -> anyhow::Result<ManagedChild> {
        let mut env = self.worker_env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        start_worker_process(
            &self.server.address,
            &self.store_path,
            &self.dir.path().join(log_name),
            &metrics_addrs()?,
            &env,
        )
    }

    /// Starts a fresh worker process (after the previous one was killed).
    pub fn restart_worker(&mut self) -> anyhow::Result<()> {
        // Fresh ports: the killed worker's may not be free again yet.
        let metrics = metrics_addrs()?;
        self.worker = start_worker_process(
            &self.server.address,
            &self.store_path,
            &self.dir.path().join("worker-2.log"),
            &metrics,
            &self.worker_env,
        )?;
        self.worker_metrics_url = format!("http://{}/metrics", metrics.0);
        self.temporal_metrics_url = format!("http://{}/metrics", metrics.1);
        Ok(())
    }

    /// Ingests a fixture from `tests/fixtures/`, with its relative dates rendered for now.
    pub async fn ingest_fixture(
        &self,
        client: &mut ApiClient,
        name: &str,
        tenant: &str,
    ) -> anyhow::Result<pb::IngestRecordsResponse> {
        let jsonl = fixtures::render(&std::fs::read_to_string(fixture_path(name))?, Utc::now())?;
        let request = pb::IngestRecordsRequest {
            tenant_id: tenant.to_string(),
            jsonl,
            source: name.to_string(),
            ..Default::default()
        };
        Ok(client.ingest.ingest_records(request).await?.into_inner())
    }

    /// Waits until the meeting-prep loop has put the follow-up up for approval; returns it.
    pub async fn follow_up_awaiting_approval(
        &self,
        client: &mut ApiClient,
    ) -> anyhow::Result<pb::Action> {
        action_of(client, "send_follow_up", &["awaiting_approval"]).await
    }

    /// All events of a workflow's current run.
    pub async fn history(&self, workflow_id: &str) -> anyhow::Result<Vec<HistoryEvent>> {
        let handle = self
            .temporal
            .get_workflow_handle::<UntypedWorkflow>(workflow_id.to_string());
        Ok(handle
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .into_events()
            .await?)
    }

    /// Replays the workflow's history (so far) through the current code, and keeps it as the
    /// replay fixture `file` when `REVLOOP_RECORD_HISTORIES` names a directory.
    pub async fn replay_and_record(&self, workflow_id: &str, file: &str) -> anyhow::Result<()> {
        let json = self
            .temporal
            .get_workflow_handle::<UntypedWorkflow>(workflow_id.to_string())
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .to_json()
            .await?;
        revloop_workflows::replay::replayer()?
            .replay_workflow(temporalio_client::WorkflowHistory::from_json(&json)?)
            .await
            .with_context(|| format!("{workflow_id} no longer replays"))?;
        if let Some(dir) = std::env::var_os("REVLOOP_RECORD_HISTORIES") {
            std::fs::write(std::path::Path::new(&dir).join(file), &json)?;
        }
        Ok(())
    }

    /// Runs the `revloop` CLI against this environment's API.
    pub fn revloop_cli(
        &self,
        tenant: &str,
        roles: &[Role],
        args: &[&str],
    ) -> anyhow::Result<std::process::Output> {
        Command::new(sibling_binary("revloop")?)
            .args([
                "--api",
                &self.api_url,
                "--token",
                &self.token(tenant, roles),
            ])
            .args(args)
            .output()
            .context("running revloop")
    }

    /// Waits for a workflow to complete and returns its result as JSON.
    pub async fn workflow_result(&self, workflow_id: &str) -> anyhow::Result<serde_json::Value> {
        self.workflow_result_within(workflow_id, Duration::from_secs(90))
            .await
    }

    /// [`Self::workflow_result`], waiting at most `limit` for it to complete.
    pub async fn workflow_result_within(
        &self,
        workflow_id: &str,
        limit: Duration,
    ) -> anyhow::Result<serde_json::Value> {
        let handle = self
            .temporal
            .get_workflow_handle::<UntypedWorkflow>(workflow_id.to_string());
        // A child or signalled workflow may not have started yet: wait for it to exist.
        eventually(
            &format!("{workflow_id} to start"),
            Duration::from_secs(60),
            || async { Ok(handle.describe(Default::default()).await.ok().map(|_| ())) },
        )
        .await?;
        let raw = tokio::time::timeout(limit, handle.get_result(Default::default()))
            .await
            .with_context(|| format!("{workflow_id} did not complete in time"))??;
        let payload = raw
            .payloads
            .first()
            .context("workflow result without payload")?;
        Ok(serde_json::from_slice(&payload.data)?)
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Polls `check` until it yields a value, failing with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if Instant::now() > deadline {
            anyhow::bail!("timed out waiting for {what} (last error: {last_error:?})");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The highest attempt any activity of the workflow started with (2 or more: one was retried).
pub async fn max_attempt(env: &TestEnv, workflow_id: &str) -> anyhow::Result<i32> {
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    Ok(env
        .history(workflow_id)
        .await?
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskStartedEventAttributes(a)) => Some(a.attempt),
            _ => None,
        })
        .max()
        .unwrap_or(0))
}

/// Waits for an action of `kind` in one of `statuses` (of the client's tenant).
pub async fn action_of(
    client: &ApiClient,
    kind: &str,
    statuses: &[&str],
) -> anyhow::Result<pb::Action> {
    action_where(client, &format!("a {kind} action in {statuses:?}"), |a| {
        a.kind == kind && statuses.contains(&a.status.as_str())
    })
    .await
}

/// Waits for an action of the client's tenant that `matches`; `what` names it in the error.
pub async fn action_where(
    client: &ApiClient,
    what: &str,
    matches: impl Fn(&pb::Action) -> bool,
) -> anyhow::Result<pb::Action> {
    action_where_within(client, what, Duration::from_secs(90), matches).await
}

/// [`action_where`], waiting up to `limit` (a slower backend, a loaded machine).
pub async fn action_where_within(
    client: &ApiClient,
    what: &str,
    limit: Duration,
    matches: impl Fn(&pb::Action) -> bool,
) -> anyhow::Result<pb::Action> {
    let matches = &matches;
    eventually(what, limit, || {
        let mut client = client.clone();
        async move {
            let actions = client
                .actions
                .list_actions(pb::ListActionsRequest::default())
                .await?
                .into_inner()
                .actions;
            Ok(actions.into_iter().find(|a| matches(a)))
        }
    })
    .await
}

/// Replaces the tenant's config (TOML) through the API; returns it as stored.
pub async fn set_tenant_config(
    client: &mut ApiClient,
    tenant: &str,
    config_toml: &str,
) -> anyhow::Result<String> {
    let set = client
        .tenants
        .set_tenant_config(pb::SetTenantConfigRequest {
            tenant_id: tenant.into(),
            config_toml: config_toml.into(),
        })
        .await?
        .into_inner();
    Ok(set.config_toml)
}

/// Registers the tenant's `salesforce` connector at a local org's `instance` URL.
pub async fn register_salesforce(client: &mut ApiClient, instance: &str) -> anyhow::Result<()> {
    client
        .connectors
        .register_connector(pb::RegisterConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "salesforce".into(),
            kind: "salesforce".into(),
            secret_ref: SF_TOKEN_REF.into(),
            config_json: serde_json::json!({ "instance_url": instance }).to_string(),
        })
        .await?;
    Ok(())
}

/// Writes the tenant secret `file:smtp`: the SMTP URL of a local server on `port`.
pub fn write_smtp_secret(env: &TestEnv, tenant: &str, port: u16) -> anyhow::Result<()> {
    let dir = secrets_of(&env.store_path).join(tenant);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("smtp"), format!("smtp://127.0.0.1:{port}\n"))?;
    Ok(())
}

/// Activity types of a workflow's completed activities, in completion order.
pub async fn completed_activities(env: &TestEnv, workflow_id: &str) -> anyhow::Result<Vec<String>> {
    let mut scheduled = BTreeMap::new();
    let mut completed = Vec::new();
    for event in env.history(workflow_id).await? {
        match event.attributes {
            Some(history_event::Attributes::ActivityTaskScheduledEventAttributes(a)) => {
                scheduled.insert(
                    event.event_id,
                    a.activity_type.map(|t| t.name).unwrap_or_default(),
                );
            }
            Some(history_event::Attributes::ActivityTaskCompletedEventAttributes(a)) => {
                completed.push(
                    scheduled
                        .get(&a.scheduled_event_id)
                        .cloned()
                        .ok_or_else(|| anyhow::anyhow!("completion of an unknown activity"))?,
                );
            }
            _ => {}
        }
    }
    Ok(completed)
}

/// The encoded size of a workflow's history: what Temporal stores and replays.
pub async fn history_bytes(env: &TestEnv, workflow_id: &str) -> anyhow::Result<usize> {
    Ok(env
        .history(workflow_id)
        .await?
        .iter()
        .map(prost::Message::encoded_len)
        .sum())
}
