//! A pull connector on a Temporal Schedule: the first run pulls everything and stores the
//! cursor; later runs ask only for what changed since, and an unchanged source adds nothing;
//! a changed record arrives as a new version; pause, resume and delete work.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use revloop_domain::records::{Record, RecordKey};
use revloop_proto::v1 as pb;
use revloop_store::{ConnectorStore, LedgerStore, RecordStore};
use serde_json::{Value, json};

use crate::helpers::*;

/// A REST source: `GET /accounts?updated_since=…&page=N`, two items a page.
#[derive(Clone, Default)]
struct Source {
    items: Arc<Mutex<Vec<Value>>>,
    /// The `updated_since` of every first-page request, in order.
    cursors_seen: Arc<Mutex<Vec<Option<String>>>>,
    /// When every request (any page) arrived.
    arrivals: Arc<Mutex<Vec<std::time::Instant>>>,
}

async fn accounts(
    State(source): State<Source>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Json<Value> {
    let since: Option<DateTime<Utc>> = q.get("updated_since").and_then(|s| s.parse().ok());
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    source
        .arrivals
        .lock()
        .unwrap()
        .push(std::time::Instant::now());
    if page == 1 {
        source
            .cursors_seen
            .lock()
            .unwrap()
            .push(q.get("updated_since").cloned());
    }
    let mut items: Vec<Value> = source
        .items
        .lock()
        .unwrap()
        .iter()
        .filter(|i| {
            since.is_none_or(|s| {
                i["Modified"]
                    .as_str()
                    .and_then(|m| m.parse::<DateTime<Utc>>().ok())
                    .is_some_and(|m| m > s)
            })
        })
        .cloned()
        .collect();
    items.sort_by_key(|i| i["Modified"].as_str().unwrap_or_default().to_string());
    let chunk: Vec<Value> = items.iter().skip((page - 1) * 2).take(2).cloned().collect();
    let next = (items.len() > page * 2).then(|| {
        let mut link = format!("/accounts?page={}", page + 1);
        if let Some(s) = q.get("updated_since") {
            link += &format!("&updated_since={}", urlencode(s));
        }
        link
    });
    Json(json!({ "items": chunk, "next": next }))
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

fn item(id: &str, name: &str, modified: &str) -> Value {
    json!({ "AccountId": id, "Name": name, "Modified": modified })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_pulls_fetch_only_the_delta_and_honour_pause_and_delete() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let source = Source::default();
    *source.items.lock().unwrap() = vec![
        item("pa-1", "Alpha", "2026-03-01T10:00:00Z"),
        item("pa-2", "Beta", "2026-03-02T10:00:00Z"),
        item("pa-3", "Gamma", "2026-03-03T10:00:00Z"),
    ];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/accounts", axum::routing::get(accounts))
        .with_state(source.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let config = json!({
        "url": format!("{base}/accounts"),
        "record_type": "account",
        "fields": { "id": "/AccountId", "name": "/Name", "updated_at": "/Modified" },
        "max_requests_per_second": 4
    });
    client
        .connectors
        .register_connector(pb::RegisterConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-pull".into(),
            kind: "http_pull".into(),
            secret_ref: String::new(),
            config_json: config.to_string(),
        })
        .await?;
    let scheduled = client
        .connectors
        .schedule_connector(pb::ScheduleConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-pull".into(),
            every_secs: 2,
        })
        .await?
        .into_inner();
    assert_eq!(scheduled.schedule_id, format!("{TENANT}/schedule/crm-pull"));

    let store = env.store()?;
    let name_of = |id: &'static str| {
        let store = store.clone();
        async move {
            let key = RecordKey {
                record_type: "account".into(),
                id: id.into(),
            };
            anyhow::Ok(
                store
                    .latest_version(TENANT, &key)
                    .await?
                    .map(|v| match v.record {
                        Record::Account(a) => a.name,
                        _ => String::new(),
                    }),
            )
        }
    };
    eventually(
        "the first pull to store the cursor",
        Duration::from_secs(60),
        || {
            let store = store.clone();
            async move {
                Ok(store
                    .get_cursor(TENANT, "crm-pull")
                    .await?
                    .filter(|c| c.starts_with("2026-03-03T10:00:00")))
            }
        },
    )
    .await?;
    assert_eq!(
        name_of("pa-3").await?.as_deref(),
        Some("Gamma"),
        "all pages were pulled"
    );
    let arrivals = source.arrivals.lock().unwrap().clone();
    let gap = arrivals[1] - arrivals[0];
    assert!(
        gap >= Duration::from_millis(240),
        "the first run's two pages are paced at 4 per second: {gap:?}"
    );
    let version_of_1 = store
        .latest_version(
            TENANT,
            &RecordKey {
                record_type: "account".into(),
                id: "pa-1".into(),
            },
        )
        .await?;

    // Later runs ask only for the delta; an unchanged source changes nothing.
    let cursor = store
        .get_cursor(TENANT, "crm-pull")
        .await?
        .unwrap_or_default();
    eventually(
        "a later run asking from the cursor",
        Duration::from_secs(30),
        || {
            let (seen, cursor) = (source.cursors_seen.clone(), cursor.clone());
            async move {
                Ok(seen
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|c| c.as_deref() == Some(cursor.as_str()))
                    .nth(1)
                    .map(|_| ()))
            }
        },
    )
    .await?;
    assert_eq!(
        source.cursors_seen.lock().unwrap()[0],
        None,
        "the first run pulls everything"
    );
    assert_eq!(
        store
            .latest_version(
                TENANT,
                &RecordKey {
                    record_type: "account".into(),
                    id: "pa-1".into()
                }
            )
            .await?,
        version_of_1
    );

    // A change at the source arrives as a new version on the next run.
    source.items.lock().unwrap()[1] = item("pa-2", "Beta Renamed", "2026-03-05T09:00:00Z");
    eventually("the changed record", Duration::from_secs(30), || async {
        Ok((name_of("pa-2").await?.as_deref() == Some("Beta Renamed")).then_some(()))
    })
    .await?;

    // Paused: no more requests. Resumed: requests again.
    let paused = client
        .connectors
        .set_schedule_paused(pb::SetSchedulePausedRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-pull".into(),
            paused: true,
        })
        .await?
        .into_inner();
    assert!(paused.paused);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = source.cursors_seen.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        source.cursors_seen.lock().unwrap().len(),
        before,
        "a paused schedule starts no run"
    );
    client
        .connectors
        .set_schedule_paused(pb::SetSchedulePausedRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-pull".into(),
            paused: false,
        })
        .await?;
    eventually("a run after resuming", Duration::from_secs(30), || {
        let seen = source.cursors_seen.clone();
        async move { Ok((seen.lock().unwrap().len() > before).then_some(())) }
    })
    .await?;

    // A compliance policy that forbids reading this source: the gateway before the expensive
    // read blocks every run, which reads nothing.
    let forbid = r#"
[governance.compliance]
cedar = '''
@id("no-crm-pulls")
forbid(principal, action == Revloop::Action::"read", resource == Revloop::Connector::"crm-pull");
'''
"#;
    set_tenant_config(&mut client, TENANT, forbid).await?;
    let store = env.store()?;
    eventually(
        "a pull blocked by compliance",
        Duration::from_secs(30),
        || {
            let store = store.clone();
            async move {
                let entries = store.list_entries(TENANT, 0, 1_000_000).await?;
                Ok(entries
                    .iter()
                    .any(|e| {
                        let p = &e.payload;
                        p["connector_id"] == "crm-pull"
                            && p["validator"] == "compliance"
                            && p["result"] == "BLOCK"
                            && p["checkpoint"] == "before_expensive_read"
                            && p["reason"]
                                .as_str()
                                .is_some_and(|r| r.contains("no-crm-pulls"))
                    })
                    .then_some(()))
            }
        },
    )
    .await?;
    // A run already past the gateway may still finish its read; after that, nothing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let blocked_from = source.cursors_seen.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        source.cursors_seen.lock().unwrap().len(),
        blocked_from,
        "blocked runs read nothing from the source"
    );
    set_tenant_config(&mut client, TENANT, "").await?;

    let listed = client
        .connectors
        .list_schedules(pb::ListSchedulesRequest::default())
        .await?
        .into_inner()
        .schedules;
    assert_eq!(
        listed
            .iter()
            .map(|s| s.connector_id.as_str())
            .collect::<Vec<_>>(),
        vec!["crm-pull"]
    );
    let other = env
        .client("other-co", &[revloop_domain::auth::Role::Admin])
        .await?;
    let mut other = other;
    assert!(
        other
            .connectors
            .list_schedules(pb::ListSchedulesRequest::default())
            .await?
            .into_inner()
            .schedules
            .is_empty(),
        "schedules are per tenant"
    );
    client
        .connectors
        .delete_schedule(pb::DeleteScheduleRequest {
            tenant_id: TENANT.into(),
            connector_id: "crm-pull".into(),
        })
        .await?;
    eventually("the schedule to disappear", Duration::from_secs(30), || {
        let mut client = client.clone();
        async move {
            Ok(client
                .connectors
                .list_schedules(pb::ListSchedulesRequest::default())
                .await?
                .into_inner()
                .schedules
                .is_empty()
                .then_some(()))
        }
    })
    .await?;
    Ok(())
}
