//! Connectors fetch raw batches from sources.
//!
//! To add one, create `<name>.rs` with a type implementing [`Connector`] and add a line to
//! [`builtin()`]. Connectors have a side-effect-free [`Connector::check`] the worker runs at start.

pub mod file_drop;
pub mod http_pull;
pub mod inbox;
mod jsonl_file;
pub mod pacer;
mod pushed_batch;
pub mod salesforce;

use std::sync::Arc;

use async_trait::async_trait;
use revloop_store::{Evidence, Store};

pub use file_drop::FileDropConnector;
pub use http_pull::HttpPullConnector;
pub use jsonl_file::JsonlFileConnector;
pub use pushed_batch::PushedBatchConnector;
pub use salesforce::SalesforceConnector;

use crate::contracts::SourceRef;

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// The `connector` tag of the [`SourceRef`] this connector serves.
    fn kind(&self) -> &'static str;
    /// Side-effect-free readiness probe, run by the worker at start-up.
    async fn check(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
    /// Returns the batch as evidence (already stored when the source pushed it).
    async fn fetch(
        &self,
        tenant_id: &str,
        source: &SourceRef,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Evidence, ConnectorError>;
}

pub fn builtin(store: Arc<dyn Store>, settings: &crate::Settings) -> Vec<Box<dyn Connector>> {
    let inbox = inbox::Inbox::new(settings.inbox_dir.clone());
    let reach = Reach::of(settings);
    vec![
        Box::new(JsonlFileConnector::new(inbox.clone())),
        Box::new(FileDropConnector::new(store.clone(), inbox)),
        Box::new(PushedBatchConnector::new(store.clone())),
        Box::new(HttpPullConnector::new(store.clone(), reach.clone())),
        Box::new(SalesforceConnector::new(store, reach)),
    ]
}

/// What a connector that calls out needs: where it may connect and how it finds its secret.
#[derive(Clone)]
pub struct Reach {
    pub egress: revloop_domain::security::EgressPolicy,
    pub secrets: crate::secrets::TenantSecrets,
    /// Each connector's request turns, shared by its pulls and write-backs.
    pub pacers: pacer::Pacers,
}

impl Reach {
    /// The worker's egress policy, secrets and pacers.
    pub fn of(settings: &crate::Settings) -> Self {
        Self {
            egress: settings.egress.clone(),
            secrets: settings.secrets.clone(),
            pacers: settings.pacers.clone(),
        }
    }

    /// An HTTP client held to the egress policy.
    pub fn client(&self) -> reqwest::Client {
        crate::egress::client(&self.egress)
    }

    /// A failed request as a connector error: final when the egress policy refused it.
    pub fn request_error(url: &url::Url, error: &reqwest::Error) -> ConnectorError {
        let message = format!("GET {url}: {}", crate::egress::describe(error));
        if crate::egress::is_refusal(error) {
            ConnectorError::Invalid(message)
        } else {
            ConnectorError::Unavailable(message)
        }
    }

    /// Refuses a URL the policy does not allow, before any request.
    pub fn check(&self, url: &url::Url) -> Result<(), ConnectorError> {
        crate::egress::check_url(&self.egress, url)
            .map_err(|e| ConnectorError::Invalid(format!("{url}: {e}")))
    }
}

/// The registration a pull source names, if it is of `kind`: every pull connector's first step.
pub(crate) async fn pull_registration(
    store: &dyn Store,
    tenant_id: &str,
    source: &SourceRef,
    kind: &str,
) -> Result<revloop_store::ConnectorRecord, ConnectorError> {
    let SourceRef::Pull { connector_id } = source else {
        return Err(ConnectorError::Invalid(format!(
            "{kind} connector got another source"
        )));
    };
    store
        .get_connector(tenant_id, connector_id)
        .await
        .map_err(|e| ConnectorError::Unavailable(e.to_string()))?
        .filter(|c| c.kind == kind)
        .ok_or_else(|| {
            ConnectorError::Invalid(format!(
                "tenant {tenant_id} has no {kind} connector {connector_id}"
            ))
        })
}

/// A batch's JSONL text: one line per record, newline-terminated, empty when there are none.
pub(crate) fn jsonl(lines: &[String]) -> Vec<u8> {
    let mut content = lines.join("\n");
    if !content.is_empty() {
        content.push('\n');
    }
    content.into_bytes()
}

/// Connector kinds that pull from a source on a schedule (a `SourceRef::Pull`).
pub const PULL_KINDS: [&str; 3] = [http_pull::KIND, salesforce::KIND, file_drop::KIND];

/// The push connector kind: the API's signed webhook takes its batches; nothing pulls.
pub const HTTP_PUSH: &str = "http_push";

/// Every connector kind a tenant can register. The one list: the API validates registrations
/// against it, and the worker's connector check runs over its pull kinds.
pub const KINDS: [&str; 4] = [
    HTTP_PUSH,
    http_pull::KIND,
    salesforce::KIND,
    file_drop::KIND,
];

/// The connector kind that serves a source; for pulls, the registration's kind.
pub async fn source_kind(
    store: &dyn Store,
    tenant_id: &str,
    source: &SourceRef,
) -> Result<String, ConnectorError> {
    Ok(match source {
        SourceRef::JsonlFile { .. } => "jsonl_file".into(),
        SourceRef::PushedBatch { .. } => "pushed_batch".into(),
        SourceRef::Pull { connector_id } => store
            .get_connector(tenant_id, connector_id)
            .await
            .map_err(|e| ConnectorError::Unavailable(e.to_string()))?
            .map(|c| c.kind)
            .filter(|k| PULL_KINDS.contains(&k.as_str()))
            .ok_or_else(|| {
                ConnectorError::Invalid(format!(
                    "tenant {tenant_id} has no pull connector {connector_id}"
                ))
            })?,
    })
}
