//! JSONL file drop: reads one file of canonical records from the worker's disk.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use revloop_store::{Evidence, Provenance};

use super::{Connector, ConnectorError};
use crate::contracts::SourceRef;

pub struct JsonlFileConnector {
    /// When set, only files under this directory may be read.
    inbox_dir: Option<PathBuf>,
}

impl JsonlFileConnector {
    pub fn new(inbox_dir: Option<PathBuf>) -> Self {
        Self { inbox_dir }
    }

    fn allowed(&self, path: &Path) -> Result<PathBuf, ConnectorError> {
        let canonical = path
            .canonicalize()
            .map_err(|e| ConnectorError::Invalid(format!("{}: {e}", path.display())))?;
        if let Some(inbox) = &self.inbox_dir {
            let inbox = inbox.canonicalize().map_err(|e| {
                ConnectorError::Unavailable(format!("inbox {}: {e}", inbox.display()))
            })?;
            if !canonical.starts_with(&inbox) {
                return Err(ConnectorError::Invalid(format!(
                    "{} is outside the inbox {}",
                    path.display(),
                    inbox.display()
                )));
            }
        }
        Ok(canonical)
    }
}

#[async_trait]
impl Connector for JsonlFileConnector {
    fn kind(&self) -> &'static str {
        "jsonl_file"
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        match &self.inbox_dir {
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
        let path = self.allowed(Path::new(path))?;
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
