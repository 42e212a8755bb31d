//! CRM write-back: where a tenant's `[crm]` table points, and the key each write is made under.
//! The executors of CRM actions (tasks, notes, field updates, briefs) ask [`CrmWriteBack::org`]
//! for the org; without `[crm]` they keep their effect in revloop's outbox.

pub mod salesforce;

use std::sync::Arc;

use revloop_store::Store;
use sha2::{Digest, Sha256};

use crate::connectors::Reach;
use crate::connectors::salesforce::{KIND as SALESFORCE, SalesforceConfig};
use crate::executors::ExecutorError;
pub use salesforce::SalesforceOrg;

/// Finds a tenant's write-back target.
#[derive(Clone)]
pub struct CrmWriteBack {
    store: Arc<dyn Store>,
    reach: Reach,
    http: reqwest::Client,
}

/// The value of the External ID field for a write made under `idempotency_key`: stable for the
/// action, and plain enough for a URL path and a SOQL literal.
pub fn crm_key(idempotency_key: &str) -> String {
    format!(
        "rl_{}",
        hex::encode(&Sha256::digest(idempotency_key.as_bytes())[..16])
    )
}

impl CrmWriteBack {
    pub fn new(store: Arc<dyn Store>, reach: Reach) -> Self {
        let http = reach.client();
        Self { store, reach, http }
    }

    /// The org the tenant writes back to, or `None` when it has no `[crm]` table.
    pub async fn org(&self, tenant_id: &str) -> Result<Option<SalesforceOrg>, ExecutorError> {
        let Some(crm) = self
            .store
            .get_tenant(tenant_id)
            .await?
            .and_then(|t| t.config.crm)
        else {
            return Ok(None);
        };
        let connector = self
            .store
            .get_connector(tenant_id, &crm.connector)
            .await?
            .filter(|c| c.kind == SALESFORCE)
            .ok_or_else(|| {
                ExecutorError::Invalid(format!(
                    "crm.connector {:?}: tenant {tenant_id} has no salesforce connector of that id",
                    crm.connector
                ))
            })?;
        let invalid = |e: crate::connectors::ConnectorError| {
            ExecutorError::Invalid(format!("crm.connector {:?}: {e}", crm.connector))
        };
        let config = SalesforceConfig::parse(&connector.config).map_err(invalid)?;
        let reference = connector.secret_ref.as_deref().ok_or_else(|| {
            ExecutorError::Invalid(format!(
                "crm.connector {:?}: no secret_ref for its access token",
                crm.connector
            ))
        })?;
        let token = self
            .reach
            .secrets
            .resolve(tenant_id, reference)
            .map_err(invalid)?;
        let instance = url::Url::parse(&config.instance_url)
            .map_err(|e| ExecutorError::Invalid(format!("crm instance_url: {e}")))?;
        Ok(Some(SalesforceOrg {
            reach: self.reach.clone(),
            http: self.http.clone(),
            instance,
            api_version: config.api_version,
            token,
            tenant_id: tenant_id.to_string(),
            connector_id: crm.connector,
            max_requests_per_second: config.max_requests_per_second,
            key_field: crm.key_field,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crm_key_is_stable_per_action_and_url_safe() {
        let a = crm_key("acme/act_1/execute");
        assert_eq!(a, crm_key("acme/act_1/execute"));
        assert_ne!(a, crm_key("acme/act_2/execute"));
        assert_eq!(a.len(), 35);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}
