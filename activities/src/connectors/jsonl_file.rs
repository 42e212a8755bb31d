//! JSONL file: reads one file of canonical records from the tenant's inbox folder.

use async_trait::async_trait;
use revloop_store::{Evidence, Provenance};

use super::inbox::Inbox;
use super::{Connector, ConnectorError};
use crate::contracts::SourceRef;

pub struct JsonlFileConnector {
    inbox: Inbox,
}

impl JsonlFileConnector {
    pub fn new(inbox: Inbox) -> Self {
        Self { inbox }
    }
}

#[async_trait]
impl Connector for JsonlFileConnector {
    fn kind(&self) -> &'static str {
        "jsonl_file"
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        match self.inbox.root() {
            Some(dir) if !dir.is_dir() => Err(ConnectorError::Unavailable(format!(
                "inbox {} is not a directory",
                dir.display()
            ))),
            _ => Ok(()),
        }
    }

    async fn fetch(
        &self,
        tenant_id: &str,
        source: &SourceRef,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Evidence, ConnectorError> {
        let SourceRef::JsonlFile { path } = source else {
            return Err(ConnectorError::Invalid(
                "jsonl_file connector got another source".into(),
            ));
        };
        let path = self.inbox.resolve(tenant_id, path)?;
        let content = tokio::fs::read(&path)
            .await
            .map_err(|e| ConnectorError::Unavailable(format!("reading {}: {e}", path.display())))?;
        let provenance = Provenance {
            source: path.display().to_string(),
            connector: self.kind().into(),
            fetched_at: now,
            cursor: None,
            trust_class: "crm".into(),
        };
        Ok(Evidence::new(tenant_id, content, provenance))
    }
}
