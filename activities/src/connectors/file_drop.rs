//! File drop: a directory that people or jobs drop JSONL files into. Each run takes the first
//! file (in name order) whose content is not yet stored as evidence, so every file is processed
//! once, and a file dropped again unchanged is not processed twice.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_store::{Evidence, Provenance, Store};
use serde::Deserialize;
use serde_json::Value;

use super::inbox::Inbox;
use super::{Connector, ConnectorError};
use crate::contracts::SourceRef;

pub const KIND: &str = "file_drop";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDropConfig {
    /// The drop folder, relative to the tenant's inbox folder (`<inbox>/<tenant>/<dir>`).
    pub dir: String,
    /// Only files whose name ends with this are taken.
    #[serde(default = "default_suffix")]
    pub suffix: String,
    #[serde(default = "default_trust")]
    pub trust_class: String,
}

fn default_suffix() -> String {
    ".jsonl".into()
}
fn default_trust() -> String {
    "crm".into()
}

impl FileDropConfig {
    pub fn parse(value: &Value) -> Result<Self, ConnectorError> {
        let config: Self = serde_json::from_value(value.clone())
            .map_err(|e| ConnectorError::Invalid(format!("file_drop config: {e}")))?;
        super::inbox::check_relative(&config.dir)
            .map_err(|e| ConnectorError::Invalid(format!("file_drop config: dir: {e}")))?;
        Ok(config)
    }
}

pub struct FileDropConnector {
    store: Arc<dyn Store>,
    inbox: Inbox,
}

impl FileDropConnector {
    pub fn new(store: Arc<dyn Store>, inbox: Inbox) -> Self {
        Self { store, inbox }
    }
}

#[async_trait]
impl Connector for FileDropConnector {
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
        let config = FileDropConfig::parse(&registration.config)?;
        let dir = self.inbox.resolve(tenant_id, &config.dir)?;
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| ConnectorError::Unavailable(format!("reading {}: {e}", dir.display())))?
            .filter_map(Result::ok)
            // The entry's own type: a symbolic link is never taken, whatever it points at.
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(&config.suffix))
            })
            .collect();
        names.sort();
        for path in names {
            let content = tokio::fs::read(&path).await.map_err(|e| {
                ConnectorError::Unavailable(format!("reading {}: {e}", path.display()))
            })?;
            let provenance = Provenance {
                source: path.display().to_string(),
                connector: format!("{KIND}:{connector_id}"),
                fetched_at: now,
                cursor: None,
                trust_class: config.trust_class.clone(),
            };
            let evidence = Evidence::new(tenant_id, content, provenance);
            let seen = self
                .store
                .get_evidence(tenant_id, &evidence.evidence_id)
                .await
                .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
            if seen.is_none() && !evidence.content.is_empty() {
                return Ok(evidence);
            }
        }
        // Nothing new in the drop: an empty batch, which leaves no trace.
        let provenance = Provenance {
            source: dir.display().to_string(),
            connector: format!("{KIND}:{connector_id}"),
            fetched_at: now,
            cursor: None,
            trust_class: config.trust_class,
        };
        Ok(Evidence::new(tenant_id, Vec::new(), provenance))
    }
}
