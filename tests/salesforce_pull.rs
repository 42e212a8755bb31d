//! The Salesforce pull connector on a Schedule, against a local server that answers the REST
//! query API in Salesforce's format: records map to canonical ones, changed records arrive as
//! signals in the right AccountWorkflow, and a run with nothing new adds nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use revloop_activities::connectors::salesforce::parse_datetime;
use revloop_proto::v1 as pb;
use revloop_store::{ConnectorStore, QuarantineStore};
use serde_json::{Value, json};

use crate::helpers::*;

#[derive(Clone)]
struct Salesforce {
    objects: Arc<BTreeMap<String, Vec<Value>>>,
    /// Every SOQL query received.
    queries: Arc<Mutex<Vec<String>>>,
    /// Remaining records of paged queries, by locator.
    cursors: Arc<Mutex<BTreeMap<String, Vec<Value>>>>,
    /// Hold the first query this long (to kill a worker mid-pull).
    first_query_delay: Duration,
    /// Records per page (Salesforce's default is 2 000; the fixture pages by 2).
    page_size: usize,
}

type Reply = (StatusCode, Json<Value>);

/// A schedule that runs once in a test: intervals fire on boundaries aligned to the epoch, so an
/// hourly one fires again whenever a test crosses the hour; a weekly one almost never does.
const ONCE_SECS: u64 = 7 * 24 * 3600;

fn unauthorized() -> Reply {
    (
        StatusCode::UNAUTHORIZED,
        Json(
            json!([{ "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID" }]),
        ),
    )
}

fn page(sf: &Salesforce, mut records: Vec<Value>) -> Reply {
    let total = records.len();
    if records.len() > sf.page_size {
        let rest = records.split_off(sf.page_size);
        let locator = format!("01gA{:06}-2", sf.cursors.lock().unwrap().len());
        sf.cursors.lock().unwrap().insert(locator.clone(), rest);
        return (
            StatusCode::OK,
            Json(
                json!({ "totalSize": total, "done": false, "nextRecordsUrl": format!("/services/data/v59.0/query/{locator}"), "records": records }),
            ),
        );
    }
    (
        StatusCode::OK,
        Json(json!({ "totalSize": total, "done": true, "records": records })),
    )
}

async fn query(
    State(sf): State<Salesforce>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Reply {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {SF_TOKEN}"))
    {
        return unauthorized();
    }
    let soql = q.get("q").cloned().unwrap_or_default();
    let first = {
        let mut queries = sf.queries.lock().unwrap();
        queries.push(soql.clone());
        queries.len() == 1
    };
    if first {
        tokio::time::sleep(sf.first_query_delay).await;
    }
    let object = soql
        .split(" FROM ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    let since: Option<DateTime<Utc>> = soql
        .split("SystemModstamp > ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|t| t.parse().ok());
    let records: Vec<Value> = sf
        .objects
        .get(&object)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            since.is_none_or(|s| {
                r["SystemModstamp"]
                    .as_str()
                    .and_then(parse_datetime)
                    .is_some_and(|m| m > s)
            })
        })
        .collect();
    page(&sf, records)
}

async fn query_more(
    State(sf): State<Salesforce>,
    headers: HeaderMap,
    Path(locator): Path<String>,
) -> Reply {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {SF_TOKEN}"))
    {
        return unauthorized();
    }
    let rest = sf
        .cursors
        .lock()
        .unwrap()
        .remove(&locator)
        .unwrap_or_default();
    page(&sf, rest)
}

/// Serves the fixture as a Salesforce org; returns its state and instance URL.
async fn start_salesforce(first_query_delay: Duration) -> anyhow::Result<(Salesforce, String)> {
    let fixture = revloop_cli::fixtures::render(
        &std::fs::read_to_string(fixture_path("salesforce/records.json"))?,
        Utc::now(),
    )?;
    let objects: BTreeMap<String, Vec<Value>> = serde_json::from_str(&fixture)?;
    serve(Salesforce {
        objects: Arc::new(objects),
        queries: Default::default(),
        cursors: Default::default(),
        first_query_delay,
        page_size: 2,
    })
    .await
}

/// Serves `sf` on loopback; returns it and its instance URL.
async fn serve(sf: Salesforce) -> anyhow::Result<(Salesforce, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let instance = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/services/data/v59.0/query", axum::routing::get(query))
        .route(
            "/services/data/v59.0/query/{locator}",
            axum::routing::get(query_more),
        )
        .with_state(sf.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((sf, instance))
}

async fn register_and_schedule(
    client: &mut revloop_cli::client::ApiClient,
    instance: &str,
    every_secs: u64,
) -> anyhow::Result<()> {
    client
        .connectors
        .register_connector(pb::RegisterConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "salesforce".into(),
            kind: "salesforce".into(),
            secret_ref: SF_TOKEN_REF.into(),
            config_json: json!({ "instance_url": instance, "role_field": "Revloop_Role__c" })
                .to_string(),
        })
        .await?;
    client
        .connectors
        .schedule_connector(pb::ScheduleConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "salesforce".into(),
            every_secs,
        })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_salesforce_pulls_become_signals_once() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let (sf, instance) = start_salesforce(Duration::ZERO).await?;
    register_and_schedule(&mut client, &instance, 2).await?;

    // The aging case and the upcoming meeting of Acme become signals, and Acme's account
    // workflow decides on them.
    let signal_types = eventually("Acme's signals", Duration::from_secs(60), || {
        let mut client = client.clone();
        async move {
            let signals = client
                .signals
                .list_signals(pb::ListSignalsRequest {
                    tenant_id: String::new(),
                    account_id: "001A000001".into(),
                    ..Default::default()
                })
                .await?
                .into_inner()
                .signals;
            let types: Vec<String> = signals.into_iter().map(|s| s.signal_type).collect();
            Ok((types.contains(&"SUPPORT_SEV2_AGING".to_string())
                && types.contains(&"MEETING_UPCOMING".to_string()))
            .then_some(types))
        }
    })
    .await?;
    assert!(
        signal_types.contains(&"STAKEHOLDER_CHANGED".to_string()),
        "the champion arrived: {signal_types:?}"
    );
    let decision = env
        .workflow_result(&format!("{TENANT}/decision/001A000001-1"))
        .await?;
    assert_eq!(decision["message"], "ACTION_PROPOSALS", "{decision}");

    // All three accounts arrived across two pages, and the cursor is the newest SystemModstamp.
    let store = env.store()?;
    let cursor = eventually("the cursor", Duration::from_secs(30), || {
        let store = store.clone();
        async move {
            Ok(store
                .get_cursor(TENANT, "salesforce")
                .await?
                .filter(|c| c == "2026-03-01T12:00:00Z"))
        }
    })
    .await?;
    assert!(
        sf.queries
            .lock()
            .unwrap()
            .iter()
            .any(|q| q.starts_with("SELECT Id, Name, OwnerId") && q.contains("FROM Account"))
    );
    // The contact without an account was kept, with its error.
    let quarantined = store.list_quarantined(TENANT).await?;
    assert!(
        quarantined
            .iter()
            .any(|q| q.raw.contains("003A000009") && q.field.as_deref() == Some("account_id")),
        "{quarantined:?}"
    );

    // Later runs ask from the cursor and, with nothing new, add nothing.
    let signals_before = client
        .signals
        .list_signals(pb::ListSignalsRequest::default())
        .await?
        .into_inner()
        .signals
        .len();
    eventually(
        "two runs asking from the cursor",
        Duration::from_secs(30),
        || {
            let (queries, cursor) = (sf.queries.clone(), cursor.clone());
            async move {
                let asked = queries
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|q| {
                        q.contains("FROM Account")
                            && q.contains(&format!("SystemModstamp > {cursor}"))
                    })
                    .count();
                Ok((asked >= 2).then_some(()))
            }
        },
    )
    .await?;
    let signals_after = client
        .signals
        .list_signals(pb::ListSignalsRequest::default())
        .await?
        .into_inner()
        .signals
        .len();
    assert_eq!(signals_after, signals_before);
    client
        .connectors
        .delete_schedule(pb::DeleteScheduleRequest {
            tenant_id: TENANT.into(),
            connector_id: "salesforce".into(),
        })
        .await?;
    Ok(())
}

/// The worker dies while the pull is in flight: the fetch's heartbeats stop, Temporal retries it
/// on a new worker, and the batch lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_worker_mid_pull_loses_nothing_and_duplicates_nothing() -> anyhow::Result<()> {
    let mut env = spawn_env().await?;
    let mut client = env.admin().await?;
    let (sf, instance) = start_salesforce(Duration::from_secs(6)).await?;
    register_and_schedule(&mut client, &instance, ONCE_SECS).await?;
    eventually(
        "the first query to be in flight",
        Duration::from_secs(30),
        || {
            let queries = sf.queries.clone();
            async move { Ok((!queries.lock().unwrap().is_empty()).then_some(())) }
        },
    )
    .await?;
    env.worker.kill_hard();
    env.restart_worker()?;

    let store = env.store()?;
    eventually(
        "the retried pull to commit its cursor",
        Duration::from_secs(90),
        || {
            let store = store.clone();
            async move {
                Ok(store
                    .get_cursor(TENANT, "salesforce")
                    .await?
                    .filter(|c| c == "2026-03-01T12:00:00Z"))
            }
        },
    )
    .await?;
    let db = rusqlite::Connection::open(&env.store_path)?;
    let count =
        |sql: &str| -> anyhow::Result<i64> { Ok(db.query_row(sql, [TENANT], |r| r.get(0))?) };
    // 3 accounts, the champion, the deal, the case, the meeting and the call (the orphan contact
    // is quarantined, the plain task skipped): one version each.
    assert_eq!(
        count("SELECT count(*) FROM record_versions WHERE tenant_id = ?1")?,
        8
    );
    assert_eq!(
        count("SELECT count(*) FROM evidence WHERE tenant_id = ?1")?,
        1,
        "one batch"
    );
    assert_eq!(
        count("SELECT count(*) FROM quarantine WHERE tenant_id = ?1")?,
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%commit_cursor'"
        )?,
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%fetch_delta' AND kind = 'EVIDENCE'"
        )?,
        1,
        "the fetch is ledgered once"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%fetch_delta' AND kind = 'BUDGET'"
        )?,
        1,
        "and so is its budget decision"
    );
    assert!(
        sf.queries
            .lock()
            .unwrap()
            .iter()
            .filter(|q| q.contains("FROM Account"))
            .count()
            >= 2,
        "the pull was retried"
    );
    let report = client
        .ledger
        .verify_ledger(pb::VerifyLedgerRequest::default())
        .await?
        .into_inner();
    assert!(report.intact);
    Ok(())
}

/// A pull of 30 000 changed records goes through perception in bounded parts (at most 10 000
/// records each), and the cursor moves once, after the last part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_000_record_pull_is_perceived_in_bounded_parts_and_the_cursor_moves_once()
-> anyhow::Result<()> {
    const RECORDS: usize = 30_000;
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let base: DateTime<Utc> = "2026-03-01T00:00:00Z".parse()?;
    let accounts: Vec<Value> = (0..RECORDS)
        .map(|i| {
            let id = format!("001B{i:08}");
            let modstamp = (base + chrono::Duration::seconds(i as i64))
                .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
                .to_string();
            json!({"attributes": {"type": "Account", "url": format!("/services/data/v59.0/sobjects/Account/{id}")}, "Id": id, "Name": format!("Account {i}"), "OwnerId": "005A000001", "Industry": "Technology", "SystemModstamp": modstamp})
        })
        .collect();
    let newest = (base + chrono::Duration::seconds(RECORDS as i64 - 1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_sf, instance) = serve(Salesforce {
        objects: Arc::new([("Account".to_string(), accounts)].into()),
        queries: Default::default(),
        cursors: Default::default(),
        first_query_delay: Duration::ZERO,
        page_size: 2_000,
    })
    .await?;
    register_and_schedule(&mut client, &instance, ONCE_SECS).await?;

    let store = env.store()?;
    eventually(
        "the cursor after the pull",
        Duration::from_secs(600),
        || {
            let (store, newest) = (store.clone(), newest.clone());
            async move {
                Ok(store
                    .get_cursor(TENANT, "salesforce")
                    .await?
                    .filter(|c| *c == newest))
            }
        },
    )
    .await?;
    let db = rusqlite::Connection::open(&env.store_path)?;
    let count =
        |sql: &str| -> anyhow::Result<i64> { Ok(db.query_row(sql, [TENANT], |r| r.get(0))?) };
    assert_eq!(
        count("SELECT count(*) FROM record_versions WHERE tenant_id = ?1")?,
        RECORDS as i64,
        "every record stored once"
    );
    let normalized = count(
        "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%normalize_records'",
    )?;
    assert_eq!(normalized, 3, "30 000 records in parts of at most 10 000");
    assert_eq!(
        count(
            "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%commit_cursor'"
        )?,
        1,
        "the cursor moves once"
    );
    let last_part = count(
        "SELECT max(seq) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%normalize_records'",
    )?;
    let committed = count(
        "SELECT max(seq) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%commit_cursor'",
    )?;
    assert!(
        committed > last_part,
        "the cursor moves after the last part"
    );
    let workflow_id: String = db.query_row(
        "SELECT workflow_id FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%commit_cursor'",
        [TENANT],
        |r| r.get(0),
    )?;
    let result = env.workflow_result(&workflow_id).await?;
    assert_eq!(result["parts"], 3, "{result}");
    assert_eq!(result["accepted"], RECORDS, "{result}");
    assert_eq!(result["changed"], RECORDS, "{result}");
    env.replay_and_record(&workflow_id, "perception-parts.json")
        .await?;
    client
        .connectors
        .delete_schedule(pb::DeleteScheduleRequest {
            tenant_id: TENANT.into(),
            connector_id: "salesforce".into(),
        })
        .await?;
    Ok(())
}
