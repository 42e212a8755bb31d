//! Salesforce pull: SOQL over the REST query API, `SystemModstamp > cursor`, following
//! `nextRecordsUrl`, with a bearer token from a secret reference. Account, Contact,
//! Opportunity, Case, Event and Task become canonical records (see `mapping.rs`).
//!
//! SOQL datetime literals have no fractions of a second, so the cursor is the newest
//! `SystemModstamp` truncated to the second: a pull may see a record again (the diff then finds
//! it unchanged), but never misses one.

mod mapping;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use revloop_store::{Evidence, Provenance, Store};
use serde::Deserialize;
use serde_json::Value;

use super::{Connector, ConnectorError, Reach};
use crate::contracts::SourceRef;

pub use mapping::{OBJECTS, parse_datetime, to_canonical};

pub const KIND: &str = "salesforce";
const MAX_PAGES: usize = 10_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceConfig {
    /// `https://yourorg.my.salesforce.com`
    pub instance_url: String,
    #[serde(default = "default_version")]
    pub api_version: String,
    /// Objects to pull; all six by default.
    #[serde(default = "default_objects")]
    pub objects: Vec<String>,
    /// A Contact field holding the revloop role (champion, economic_buyer, …); `other` if unset.
    #[serde(default)]
    pub role_field: Option<String>,
    /// Rate limit for this connector's API calls (runs never overlap, so it holds globally).
    #[serde(default)]
    pub max_requests_per_second: Option<f64>,
}

fn default_version() -> String {
    "v59.0".into()
}
fn default_objects() -> Vec<String> {
    OBJECTS.iter().map(|o| o.to_string()).collect()
}

impl SalesforceConfig {
    pub fn parse(value: &Value) -> Result<Self, ConnectorError> {
        let config: Self = serde_json::from_value(value.clone())
            .map_err(|e| ConnectorError::Invalid(format!("salesforce config: {e}")))?;
        url::Url::parse(&config.instance_url).map_err(|e| {
            ConnectorError::Invalid(format!("salesforce config: instance_url: {e}"))
        })?;
        if let Some(unknown) = config
            .objects
            .iter()
            .find(|o| !OBJECTS.contains(&o.as_str()))
        {
            return Err(ConnectorError::Invalid(format!(
                "salesforce config: unsupported object {unknown:?}; supported: {}",
                OBJECTS.join(", ")
            )));
        }
        Ok(config)
    }
}

pub struct SalesforceConnector {
    store: Arc<dyn Store>,
    reach: Reach,
    http: reqwest::Client,
}

impl SalesforceConnector {
    pub fn new(store: Arc<dyn Store>, reach: Reach) -> Self {
        let http = reach.client();
        Self { store, reach, http }
    }

    async fn get(&self, url: &url::Url, token: &str) -> Result<Value, ConnectorError> {
        self.reach.check(url)?;
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| Reach::request_error(url, &e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let error = format!(
                "GET {url}: HTTP {status}: {}",
                body.chars().take(300).collect::<String>()
            );
            return Err(if status.is_client_error() {
                ConnectorError::Invalid(error)
            } else {
                ConnectorError::Unavailable(error)
            });
        }
        response
            .json()
            .await
            .map_err(|e| ConnectorError::Unavailable(format!("GET {url}: not JSON: {e}")))
    }
}

#[async_trait]
impl Connector for SalesforceConnector {
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
        let config = SalesforceConfig::parse(&registration.config)?;
        let reference = registration.secret_ref.as_deref().ok_or_else(|| {
            ConnectorError::Invalid("salesforce needs a secret_ref for its access token".into())
        })?;
        let token = self.reach.secrets.resolve(tenant_id, reference)?;
        let cursor = self
            .store
            .get_cursor(tenant_id, connector_id)
            .await
            .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
        let instance = url::Url::parse(&config.instance_url)
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        let mut newest: Option<DateTime<Utc>> = cursor.as_deref().and_then(|c| c.parse().ok());
        let mut lines = Vec::new();
        for object in &config.objects {
            let filter = cursor
                .as_ref()
                .map(|c| format!(" WHERE SystemModstamp > {c}"))
                .unwrap_or_default();
            let soql = format!(
                "SELECT {} FROM {object}{filter} ORDER BY SystemModstamp",
                mapping::fields(object, config.role_field.as_deref()).join(", ")
            );
            let mut url = instance
                .join(&format!("/services/data/{}/query", config.api_version))
                .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
            url.query_pairs_mut().append_pair("q", &soql);
            for _ in 0..MAX_PAGES {
                let page = {
                    let _turn = self
                        .reach
                        .pacers
                        .turn(tenant_id, connector_id, config.max_requests_per_second)
                        .await;
                    self.get(&url, &token).await?
                };
                for record in page["records"].as_array().into_iter().flatten() {
                    if let Some(at) = record["SystemModstamp"].as_str().and_then(parse_datetime) {
                        newest = newest.max(Some(at));
                    }
                    if let Some(canonical) =
                        to_canonical(object, record, now, config.role_field.as_deref())
                    {
                        lines.push(canonical.to_string());
                    }
                }
                match page["nextRecordsUrl"].as_str() {
                    Some(next) if page["done"] != Value::Bool(true) => {
                        url = instance.join(next).map_err(|e| {
                            ConnectorError::Invalid(format!("nextRecordsUrl {next:?}: {e}"))
                        })?;
                    }
                    _ => break,
                }
            }
        }
        let provenance = Provenance {
            source: config.instance_url.clone(),
            connector: format!("{KIND}:{connector_id}"),
            fetched_at: now,
            cursor: newest.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            trust_class: "crm".into(),
        };
        Ok(Evidence::new(tenant_id, super::jsonl(&lines), provenance))
    }
}
