//! Generic REST JSON pull: `GET url?updated_since=<cursor>`, following a next-page link, with
//! a configurable mapping from the source's fields to canonical record fields.
//!
//! The cursor returned with the batch is the latest `updated_at` seen; the perception workflow
//! stores it only after the batch was processed, so a failed run is simply pulled again.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_store::{Evidence, Provenance, Store};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Connector, ConnectorError, Reach};
use crate::contracts::SourceRef;

pub const KIND: &str = "http_pull";
const MAX_PAGES: usize = 10_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpPullConfig {
    pub url: String,
    /// Query parameter that carries the cursor.
    #[serde(default = "default_cursor_param")]
    pub cursor_param: String,
    /// JSON pointer to the array of items in a page.
    #[serde(default = "default_items")]
    pub items_pointer: String,
    /// JSON pointer to the next page's URL (absolute or relative); absent or null ends paging.
    #[serde(default = "default_next")]
    pub next_pointer: String,
    /// The canonical type every item becomes.
    pub record_type: String,
    /// Canonical field → JSON pointer in the item. Must map `id` and `updated_at`.
    pub fields: BTreeMap<String, String>,
    /// Canonical fields with fixed values.
    #[serde(default)]
    pub constants: Map<String, Value>,
    #[serde(default = "default_trust")]
    pub trust_class: String,
    /// Rate limit for this connector's requests (runs never overlap, so it holds globally).
    #[serde(default)]
    pub max_requests_per_second: Option<f64>,
}

fn default_cursor_param() -> String {
    "updated_since".into()
}
fn default_items() -> String {
    "/items".into()
}
fn default_next() -> String {
    "/next".into()
}
fn default_trust() -> String {
    "crm".into()
}

impl HttpPullConfig {
    pub fn parse(value: &Value) -> Result<Self, ConnectorError> {
        let config: Self = serde_json::from_value(value.clone())
            .map_err(|e| ConnectorError::Invalid(format!("http_pull config: {e}")))?;
        for required in ["id", "updated_at"] {
            if !config.fields.contains_key(required) {
                return Err(ConnectorError::Invalid(format!(
                    "http_pull config: fields must map {required:?}"
                )));
            }
        }
        url::Url::parse(&config.url)
            .map_err(|e| ConnectorError::Invalid(format!("http_pull config: url: {e}")))?;
        Ok(config)
    }

    /// One source item as a canonical record; fields the item lacks are left out (the record
    /// parser then names them if they were required).
    pub fn map_item(&self, item: &Value) -> Value {
        let mut record = Map::new();
        record.insert("type".into(), Value::String(self.record_type.clone()));
        for (field, value) in &self.constants {
            record.insert(field.clone(), value.clone());
        }
        for (field, pointer) in &self.fields {
            if let Some(value) = item.pointer(pointer).filter(|v| !v.is_null()) {
                record.insert(field.clone(), value.clone());
            }
        }
        Value::Object(record)
    }
}

pub struct HttpPullConnector {
    store: Arc<dyn Store>,
    reach: Reach,
    http: reqwest::Client,
}

impl HttpPullConnector {
    pub fn new(store: Arc<dyn Store>, reach: Reach) -> Self {
        let http = reach.client();
        Self { store, reach, http }
    }
}

#[async_trait]
impl Connector for HttpPullConnector {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn fetch(
        &self,
        tenant_id: &str,
        source: &SourceRef,
        now: DateTime<Utc>,
    ) -> Result<Evidence, ConnectorError> {
        let registration = super::pull_registration(&*self.store, tenant_id, source, KIND).await?;
        let connector_id = &registration.connector_id;
        let config = HttpPullConfig::parse(&registration.config)?;
        let token = registration
            .secret_ref
            .as_deref()
            .map(|r| self.reach.secrets.resolve(tenant_id, r))
            .transpose()?;
        let cursor = self
            .store
            .get_cursor(tenant_id, connector_id)
            .await
            .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
        let mut url =
            url::Url::parse(&config.url).map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair(&config.cursor_param, c);
        }
        let mut lines = Vec::new();
        let mut newest: Option<DateTime<Utc>> = cursor.as_deref().and_then(|c| c.parse().ok());
        for _ in 0..MAX_PAGES {
            self.reach.check(&url)?;
            let _turn = self
                .reach
                .pacers
                .turn(tenant_id, connector_id, config.max_requests_per_second)
                .await;
            let mut request = self.http.get(url.clone());
            if let Some(t) = &token {
                request = request.bearer_auth(t);
            }
            let response = request
                .send()
                .await
                .map_err(|e| Reach::request_error(&url, &e))?;
            let status = response.status();
            if !status.is_success() {
                let error = format!("GET {url}: HTTP {status}");
                return Err(if status.is_client_error() {
                    ConnectorError::Invalid(error)
                } else {
                    ConnectorError::Unavailable(error)
                });
            }
            let page: Value = response
                .json()
                .await
                .map_err(|e| ConnectorError::Unavailable(format!("GET {url}: not JSON: {e}")))?;
            let items = page
                .pointer(&config.items_pointer)
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ConnectorError::Invalid(format!(
                        "GET {url}: no array at {}",
                        config.items_pointer
                    ))
                })?;
            for item in items {
                let record = config.map_item(item);
                if let Some(at) = record
                    .get("updated_at")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                {
                    newest = newest.max(Some(at));
                }
                lines.push(record.to_string());
            }
            match page.pointer(&config.next_pointer).and_then(Value::as_str) {
                Some(next) if !next.is_empty() => {
                    url = url.join(next).map_err(|e| {
                        ConnectorError::Invalid(format!("next page link {next:?}: {e}"))
                    })?;
                }
                _ => break,
            }
        }
        let provenance = Provenance {
            source: config.url.clone(),
            connector: format!("{KIND}:{connector_id}"),
            fetched_at: now,
            cursor: newest.map(|t| t.to_rfc3339()),
            trust_class: config.trust_class.clone(),
        };
        Ok(Evidence::new(tenant_id, super::jsonl(&lines), provenance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Value {
        json!({
            "url": "http://127.0.0.1:1/accounts",
            "items_pointer": "/data",
            "record_type": "account",
            "fields": { "id": "/AccountId", "updated_at": "/Modified", "name": "/Company/Name", "arr": "/Revenue" },
            "constants": { "segment": "smb" }
        })
    }

    #[test]
    fn maps_items_through_json_pointers() {
        let config = HttpPullConfig::parse(&config()).unwrap();
        let item = json!({"AccountId": "a1", "Modified": "2026-03-01T00:00:00Z", "Company": {"Name": "Acme"}, "Revenue": null, "Extra": 1});
        assert_eq!(
            config.map_item(&item),
            json!({"type": "account", "id": "a1", "updated_at": "2026-03-01T00:00:00Z", "name": "Acme", "segment": "smb"})
        );
    }

    #[test]
    fn refuses_configs_that_cannot_work() {
        let mut no_id = config();
        no_id["fields"].as_object_mut().unwrap().remove("id");
        assert!(
            HttpPullConfig::parse(&no_id)
                .unwrap_err()
                .to_string()
                .contains("must map \"id\"")
        );
        let mut typo = config();
        typo["item_pointer"] = json!("/x");
        assert!(
            HttpPullConfig::parse(&typo)
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
    }
}
