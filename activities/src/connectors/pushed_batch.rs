//! Pushed batches: the API stored the batch as evidence when it arrived; fetching reads it back.

use std::sync::Arc;

use async_trait::async_trait;
use revloop_store::{Evidence, Store};

use super::{Connector, ConnectorError};
use crate::contracts::SourceRef;

pub struct PushedBatchConnector {
    store: Arc<dyn Store>,
}

impl PushedBatchConnector {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Connector for PushedBatchConnector {
    fn kind(&self) -> &'static str {
        "pushed_batch"
    }

    async fn fetch(
        &self,
        tenant_id: &str,
        source: &SourceRef,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Evidence, ConnectorError> {
        let SourceRef::PushedBatch { evidence_id } = source else {
            return Err(ConnectorError::Invalid(
                "pushed_batch connector got another source".into(),
            ));
        };
        self.store
            .get_evidence(tenant_id, evidence_id)
            .await
            .map_err(|e| ConnectorError::Unavailable(e.to_string()))?
            .ok_or_else(|| {
                ConnectorError::Invalid(format!(
                    "evidence {evidence_id} not found for tenant {tenant_id}"
                ))
            })
    }
}
