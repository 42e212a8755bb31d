//! Notifiers: how a person hears that an approval waits for them (a reminder) or was
//! escalated to them. One trait, one registry: [`for_tenant`] builds the tenant's notifiers
//! from its `[notify]` table. Each notice is sent once per notifier: the send is recorded as an
//! effect keyed by the action, the notice and the notifier, and a retried activity that finds
//! it sends nothing again.

mod webhook;

use async_trait::async_trait;
use revloop_domain::notify_config::NotifyConfig;
use serde::{Deserialize, Serialize};

use crate::secrets::TenantSecrets;

pub use webhook::WebhookNotifier;

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_id: String,
    pub action_id: String,
    /// `reminder` or `escalation`.
    pub notice: String,
    /// Who it is for: `approvers`, or the escalation target.
    pub to: String,
    /// The action's title, as the approver sees it.
    pub title: String,
    /// A link to the action's approval page, when the tenant configured one.
    pub link: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The tenant's configuration cannot work (a bad secret reference, a refused URL):
    /// retrying does not help.
    #[error("{0}")]
    Config(String),
    /// The receiver did not take it this time.
    #[error("{0}")]
    Transient(String),
}

#[async_trait]
pub trait Notifier: Send + Sync {
    fn name(&self) -> &'static str;
    async fn send(&self, notice: &Notice) -> Result<(), NotifyError>;
}

/// The tenant's notifiers, from its `[notify]` table.
pub fn for_tenant(
    config: &NotifyConfig,
    secrets: &TenantSecrets,
    egress: &revloop_domain::security::EgressPolicy,
) -> Vec<Box<dyn Notifier>> {
    let mut notifiers: Vec<Box<dyn Notifier>> = Vec::new();
    if let Some(reference) = &config.webhook_secret_ref {
        notifiers.push(Box::new(WebhookNotifier::new(
            reference.clone(),
            secrets.clone(),
            egress.clone(),
        )));
    }
    notifiers
}

/// The effect key of one notice sent by one notifier.
pub fn effect_key(notice: &Notice, notifier: &str) -> String {
    format!(
        "{}/{}/notice/{}/{notifier}",
        notice.tenant_id, notice.action_id, notice.notice
    )
}
