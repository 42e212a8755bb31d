//! Connectors fetch raw batches from sources.
//!
//! To add one, create `<name>.rs` with a type implementing [`Connector`] and add a line to
//! [`builtin()`]. Connectors have a side-effect-free [`Connector::check`] the worker runs at start.

pub mod http_pull;
mod jsonl_file;
mod pushed_batch;

use std::sync::Arc;

use async_trait::async_trait;
use revloop_store::{Evidence, Store};

pub use http_pull::HttpPullConnector;
pub use jsonl_file::JsonlFileConnector;
pub use pushed_batch::PushedBatchConnector;

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
    async fn check(&self) -> Result<(), ConnectorError>;
    /// Returns the batch as evidence (already stored when the source pushed it).
    async fn fetch(
        &self,
        tenant_id: &str,
        source: &SourceRef,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Evidence, ConnectorError>;
}

pub fn builtin(
    store: Arc<dyn Store>,
    inbox_dir: Option<std::path::PathBuf>,
) -> Vec<Box<dyn Connector>> {
    vec![
        Box::new(JsonlFileConnector::new(inbox_dir)),
        Box::new(PushedBatchConnector::new(store.clone())),
        Box::new(HttpPullConnector::new(store)),
    ]
}

pub fn source_kind(source: &SourceRef) -> &'static str {
    match source {
        SourceRef::JsonlFile { .. } => "jsonl_file",
        SourceRef::PushedBatch { .. } => "pushed_batch",
        SourceRef::Pull { .. } => http_pull::KIND,
    }
}
