//! Writes to a Salesforce org over its REST API, with the pull connector's instance, API
//! version, token and request rate. Every call takes the connector's turn, so pulls and
//! write-backs together never pass the configured rate.
//!
//! Failures are classified once, here: a refused URL or a request Salesforce rejects for its
//! content (`INVALID_FIELD`, `MALFORMED_ID`, …) is `Invalid` and fails the action for good; an
//! unreachable org, an expired session, `REQUEST_LIMIT_EXCEEDED` or a 5xx is `Transient`, so the
//! activity retries once the token is rotated or the limit resets.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::connectors::Reach;
use crate::executors::ExecutorError;

pub struct SalesforceOrg {
    pub(super) reach: Reach,
    pub(super) http: reqwest::Client,
    pub(super) instance: url::Url,
    pub(super) api_version: String,
    pub(super) token: String,
    pub(super) tenant_id: String,
    pub(super) connector_id: String,
    pub(super) max_requests_per_second: Option<f64>,
    /// The External ID field holding revloop's key for each write.
    pub key_field: String,
}

/// The canonical field an action names, as the Salesforce object and field it lives in. Only
/// these may be written: a model or an edit cannot reach any other field of the org.
pub fn salesforce_field(entity_type: &str, field: &str) -> Option<(&'static str, &'static str)> {
    Some(match (entity_type, field) {
        ("opportunity", "next_step") => ("Opportunity", "NextStep"),
        ("opportunity", "stage") => ("Opportunity", "StageName"),
        ("opportunity", "close_date") => ("Opportunity", "CloseDate"),
        ("opportunity", "amount") => ("Opportunity", "Amount"),
        ("account", "industry") => ("Account", "Industry"),
        ("account", "description") => ("Account", "Description"),
        _ => return None,
    })
}

/// The writable fields, for error messages.
pub const WRITABLE_FIELDS: &str =
    "opportunity: next_step, stage, close_date, amount; account: industry, description";

/// A SOQL string literal: quotes and backslashes escaped.
fn soql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Salesforce's own words for a refusal: `errorCode: message` of each error in its array.
fn salesforce_errors(body: &str) -> String {
    let described = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        let errors = v.as_array()?;
        Some(
            errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["errorCode"].as_str().unwrap_or("ERROR"),
                        e["message"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
    });
    described.unwrap_or_else(|| body.chars().take(300).collect())
}

impl SalesforceOrg {
    fn url(&self, path: &str) -> Result<url::Url, ExecutorError> {
        self.instance
            .join(&format!("/services/data/{}/{path}", self.api_version))
            .map_err(|e| ExecutorError::Invalid(format!("salesforce url {path:?}: {e}")))
    }

    /// One request in the connector's turn; `None` for a 404 (the caller says what that means).
    async fn call(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
    ) -> Result<Option<(StatusCode, Value)>, ExecutorError> {
        self.reach
            .check(&url)
            .map_err(|e| ExecutorError::Invalid(e.to_string()))?;
        let _turn = self
            .reach
            .pacers
            .turn(
                &self.tenant_id,
                &self.connector_id,
                self.max_requests_per_second,
            )
            .await;
        let what = format!("{method} {}", url.path());
        let mut request = self
            .http
            .request(method, url.clone())
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| {
            let message = format!("{what}: {}", crate::egress::describe(&e));
            if crate::egress::is_refusal(&e) {
                ExecutorError::Invalid(message)
            } else {
                ExecutorError::Transient(message)
            }
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ExecutorError::Transient(format!("{what}: reading the answer: {e}")))?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let error = format!("{what}: HTTP {status}: {}", salesforce_errors(&text));
            let for_now = status.is_server_error()
                || status == StatusCode::UNAUTHORIZED
                || status == StatusCode::TOO_MANY_REQUESTS
                || text.contains("REQUEST_LIMIT_EXCEEDED");
            return Err(if for_now {
                ExecutorError::Transient(error)
            } else {
                ExecutorError::Invalid(error)
            });
        }
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| ExecutorError::Transient(format!("{what}: not JSON: {e}")))?
        };
        Ok(Some((status, value)))
    }

    /// Creates the record keyed by `key`, or updates the one an earlier try created: Salesforce's
    /// upsert by External ID. Returns its id and whether this call created it.
    pub async fn upsert(
        &self,
        sobject: &str,
        key: &str,
        fields: &Value,
    ) -> Result<(String, bool), ExecutorError> {
        let url = self.url(&format!("sobjects/{sobject}/{}/{key}", self.key_field))?;
        let (status, answer) = self
            .call(Method::PATCH, url, Some(fields))
            .await?
            .ok_or_else(|| {
                ExecutorError::Invalid(format!(
                    "upsert {sobject}: the org has no {} field on {sobject} (create it as a text External ID)",
                    self.key_field
                ))
            })?;
        let id = answer["id"].as_str().unwrap_or_default().to_string();
        if id.is_empty() {
            return Err(ExecutorError::Transient(format!(
                "upsert {sobject}: the answer holds no id: {answer}"
            )));
        }
        let created = answer["created"]
            .as_bool()
            .unwrap_or(status == StatusCode::CREATED);
        Ok((id, created))
    }

    /// Creates a record; returns its id.
    pub async fn create(&self, sobject: &str, fields: &Value) -> Result<String, ExecutorError> {
        let url = self.url(&format!("sobjects/{sobject}"))?;
        let (_, answer) = self
            .call(Method::POST, url, Some(fields))
            .await?
            .ok_or_else(|| ExecutorError::Invalid(format!("create {sobject}: no such object")))?;
        answer["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ExecutorError::Transient(format!("create {sobject}: no id: {answer}")))
    }

    /// The first record of `sobject` whose key field holds `key`, with `fields`.
    pub async fn find_by_key(
        &self,
        sobject: &str,
        fields: &[&str],
        key: &str,
    ) -> Result<Option<Value>, ExecutorError> {
        let soql = format!(
            "SELECT {} FROM {sobject} WHERE {} = {} LIMIT 1",
            fields.join(", "),
            self.key_field,
            soql_literal(key)
        );
        let mut url = self.url("query")?;
        url.query_pairs_mut().append_pair("q", &soql);
        let answer = self.call(Method::GET, url, None).await?;
        Ok(answer.and_then(|(_, page)| page["records"].as_array()?.first().cloned()))
    }

    /// One field of a record; `Err(Invalid)` when the record does not exist.
    pub async fn field(
        &self,
        sobject: &str,
        id: &str,
        field: &str,
    ) -> Result<Value, ExecutorError> {
        let mut url = self.url(&format!("sobjects/{sobject}/{id}"))?;
        url.query_pairs_mut().append_pair("fields", field);
        let (_, record) = self
            .call(Method::GET, url, None)
            .await?
            .ok_or_else(|| ExecutorError::Invalid(format!("{sobject} {id} does not exist")))?;
        Ok(record.get(field).cloned().unwrap_or(Value::Null))
    }

    /// Sets fields of a record.
    pub async fn update(
        &self,
        sobject: &str,
        id: &str,
        fields: &Value,
    ) -> Result<(), ExecutorError> {
        let url = self.url(&format!("sobjects/{sobject}/{id}"))?;
        self.call(Method::PATCH, url, Some(fields))
            .await?
            .ok_or_else(|| ExecutorError::Invalid(format!("{sobject} {id} does not exist")))?;
        Ok(())
    }

    /// Deletes a record; `false` when it was gone already (deleted by a person, or a retry).
    pub async fn delete(&self, sobject: &str, id: &str) -> Result<bool, ExecutorError> {
        let url = self.url(&format!("sobjects/{sobject}/{id}"))?;
        Ok(self.call(Method::DELETE, url, None).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_fields_are_writable() {
        assert_eq!(
            salesforce_field("opportunity", "next_step"),
            Some(("Opportunity", "NextStep"))
        );
        assert_eq!(salesforce_field("opportunity", "owner"), None);
        assert_eq!(salesforce_field("contact", "email"), None);
    }

    #[test]
    fn soql_literals_cannot_break_out_of_their_quotes() {
        assert_eq!(soql_literal("rl_ab"), "'rl_ab'");
        assert_eq!(soql_literal("x' OR Name != '"), "'x\\' OR Name != \\''");
        assert_eq!(soql_literal("a\\"), "'a\\\\'");
    }

    #[test]
    fn salesforce_refusals_are_quoted_in_its_words() {
        let body = r#"[{"message":"No such column 'Foo' on entity 'Opportunity'","errorCode":"INVALID_FIELD","fields":[]}]"#;
        assert_eq!(
            salesforce_errors(body),
            "INVALID_FIELD: No such column 'Foo' on entity 'Opportunity'"
        );
        assert_eq!(salesforce_errors("gateway down"), "gateway down");
    }
}
