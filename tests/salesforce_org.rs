//! A local Salesforce org for write-back tests: it answers the REST sObject API in Salesforce's
//! format (upsert by External ID, read a field, update, delete, with Salesforce's error bodies)
//! and records every write it receives, so a test can count them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::helpers::SF_TOKEN;

/// One write the org received.
#[derive(Debug, Clone)]
pub struct Write {
    pub method: &'static str,
    pub sobject: String,
    /// The record id, or `{key field}/{key}` for an upsert.
    pub target: String,
    pub body: Value,
}

#[derive(Default)]
struct Org {
    /// Records by object, then id.
    records: BTreeMap<String, BTreeMap<String, Value>>,
    writes: Vec<Write>,
    /// When set, a record update is applied and then its answer held this long: a worker can be
    /// killed after the write landed and before it learned so.
    hold_updates: Option<Duration>,
    next_id: u32,
}

#[derive(Clone, Default)]
pub struct SalesforceOrg {
    org: Arc<Mutex<Org>>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!([{ "message": message, "errorCode": code, "fields": [] }])),
    )
        .into_response()
}

/// Salesforce's answer to a request without the org's token, if this is one.
fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let expected = format!("Bearer {SF_TOKEN}");
    let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
    (sent != Some(expected.as_str())).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
    })
}

fn id_prefix(sobject: &str) -> &'static str {
    match sobject {
        "Task" => "00T",
        "Opportunity" => "006",
        "Account" => "001",
        _ => "a0X",
    }
}

async fn upsert(
    State(sf): State<SalesforceOrg>,
    headers: HeaderMap,
    Path((sobject, field, key)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    if field != "Revloop_Key__c" {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Provided external ID field does not exist or is not accessible: {field}"),
        );
    }
    let mut org = sf.org.lock().unwrap();
    org.writes.push(Write {
        method: "PATCH",
        sobject: sobject.clone(),
        target: format!("{field}/{key}"),
        body: body.clone(),
    });
    let existing = org
        .records
        .get(&sobject)
        .and_then(|r| r.iter().find(|(_, v)| v[&field] == key.as_str()))
        .map(|(id, _)| id.clone());
    let (id, created) = match existing {
        Some(id) => (id, false),
        None => {
            org.next_id += 1;
            (format!("{}A{:012}", id_prefix(&sobject), org.next_id), true)
        }
    };
    let record = org
        .records
        .entry(sobject)
        .or_default()
        .entry(id.clone())
        .or_insert_with(|| json!({ "Id": id }));
    for (k, v) in body.as_object().into_iter().flatten() {
        record[k] = v.clone();
    }
    record[&field] = json!(key);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(json!({ "id": id, "success": true, "errors": [], "created": created })),
    )
        .into_response()
}

async fn read(
    State(sf): State<SalesforceOrg>,
    headers: HeaderMap,
    Path((sobject, id)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let org = sf.org.lock().unwrap();
    let Some(record) = org.records.get(&sobject).and_then(|r| r.get(&id)) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    };
    let mut answer = json!({
        "attributes": { "type": sobject, "url": format!("/services/data/v59.0/sobjects/{sobject}/{id}") },
        "Id": id,
    });
    for field in q.get("fields").into_iter().flat_map(|f| f.split(',')) {
        answer[field] = record.get(field).cloned().unwrap_or(Value::Null);
    }
    Json(answer).into_response()
}

async fn update(
    State(sf): State<SalesforceOrg>,
    headers: HeaderMap,
    Path((sobject, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let hold = {
        let mut org = sf.org.lock().unwrap();
        let Some(record) = org.records.get_mut(&sobject).and_then(|r| r.get_mut(&id)) else {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource does not exist",
            );
        };
        for (k, v) in body.as_object().into_iter().flatten() {
            record[k] = v.clone();
        }
        org.writes.push(Write {
            method: "PATCH",
            sobject,
            target: id,
            body,
        });
        org.hold_updates
    };
    if let Some(hold) = hold {
        tokio::time::sleep(hold).await;
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn delete(
    State(sf): State<SalesforceOrg>,
    headers: HeaderMap,
    Path((sobject, id)): Path<(String, String)>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let mut org = sf.org.lock().unwrap();
    org.writes.push(Write {
        method: "DELETE",
        sobject: sobject.clone(),
        target: id.clone(),
        body: Value::Null,
    });
    match org.records.get_mut(&sobject).and_then(|r| r.remove(&id)) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        ),
    }
}

impl SalesforceOrg {
    /// Serves the org on loopback; returns its instance URL.
    pub async fn start(&self) -> anyhow::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let instance = format!("http://{}", listener.local_addr()?);
        let base = "/services/data/v59.0/sobjects";
        let app = axum::Router::new()
            .route(
                &format!("{base}/{{sobject}}/{{id}}"),
                axum::routing::get(read).patch(update).delete(delete),
            )
            .route(
                &format!("{base}/{{sobject}}/{{field}}/{{key}}"),
                axum::routing::patch(upsert),
            )
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(instance)
    }

    pub fn put(&self, sobject: &str, id: &str, fields: Value) {
        let mut record = fields;
        record["Id"] = json!(id);
        self.org
            .lock()
            .unwrap()
            .records
            .entry(sobject.into())
            .or_default()
            .insert(id.into(), record);
    }

    pub fn get(&self, sobject: &str, id: &str) -> Option<Value> {
        self.org
            .lock()
            .unwrap()
            .records
            .get(sobject)
            .and_then(|r| r.get(id))
            .cloned()
    }

    /// The records of one object.
    pub fn all(&self, sobject: &str) -> Vec<Value> {
        self.org
            .lock()
            .unwrap()
            .records
            .get(sobject)
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn writes(&self) -> Vec<Write> {
        self.org.lock().unwrap().writes.clone()
    }

    pub fn hold_updates(&self, hold: Option<Duration>) {
        self.org.lock().unwrap().hold_updates = hold;
    }
}
