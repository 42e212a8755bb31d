//! Notifiers: how a person hears that an approval waits for them (a reminder) or was
//! escalated to them, or that a question is theirs to answer. One trait, one registry: [`for_tenant`] builds the tenant's notifiers
//! from its `[notify]` table. Each notice is sent once per notifier: the send is recorded as an
//! effect keyed by the action, the notice and the notifier, and a retried activity that finds
//! it sends nothing again.

mod email;
mod webhook;

use async_trait::async_trait;
use revloop_domain::notify_config::NotifyConfig;
use serde::{Deserialize, Serialize};

use crate::secrets::TenantSecrets;

pub use email::EmailNotifier;
pub use webhook::WebhookNotifier;

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_id: String,
    /// The action (or question) the notice is about.
    pub action_id: String,
    /// `request`, `reminder`, `escalation`, `blocked`, `question` or `handoff` (an escalation
    /// action handed to a role).
    pub notice: String,
    /// Who it is for: `approvers`, or the escalation target.
    pub to: String,
    /// The action's title, as the approver sees it.
    pub title: String,
    /// A link to the action's approval page, when the tenant configured one.
    pub link: Option<String>,
}

impl Notice {
    /// What happened, in a line, as every notifier words it.
    pub fn headline(&self) -> String {
        match self.notice.as_str() {
            "request" => "An approval waits for you".to_string(),
            "escalation" => format!("Escalated to {}: an approval is still waiting", self.to),
            "blocked" => "An action was blocked".to_string(),
            "question" => "A question for you".to_string(),
            "handoff" => format!("Escalated to you ({})", self.to),
            _ => "Reminder: an approval is waiting for you".to_string(),
        }
    }
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
    if let Some(email) = &config.email {
        notifiers.push(Box::new(EmailNotifier::new(
            email.clone(),
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

/// Where a notice went: the notifiers that sent it (now or on an earlier attempt), and those
/// that could not, with why.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub sent: Vec<String>,
    pub not_sent: Vec<serde_json::Value>,
}

/// How many attempts a notice gets while its receiver fails.
pub const NOTICE_ATTEMPTS: u32 = 3;

/// Sends the notice with each of the tenant's notifiers, once each: a send is recorded as an
/// effect, and one an earlier attempt recorded is not sent again. A receiver that is down is
/// tried again (an `Err`, so the activity retries) until `attempt` reaches
/// [`NOTICE_ATTEMPTS`]; then it is reported as not sent.
pub async fn deliver(
    store: &dyn revloop_store::Store,
    settings: &crate::Settings,
    config: &NotifyConfig,
    notice: &Notice,
    attempt: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Delivery, temporalio_sdk::activities::ActivityError> {
    let already: Vec<String> = store
        .list_effects(&notice.tenant_id, &notice.action_id)
        .await
        .map_err(crate::error::store)?
        .into_iter()
        .map(|e| e.idempotency_key)
        .collect();
    let mut delivery = Delivery::default();
    for notifier in for_tenant(config, &settings.secrets, &settings.egress) {
        let key = effect_key(notice, notifier.name());
        if already.contains(&key) {
            delivery.sent.push(notifier.name().to_string());
            continue;
        }
        match notifier.send(notice).await {
            Ok(()) => {
                let effect = revloop_store::Effect {
                    idempotency_key: key,
                    tenant_id: notice.tenant_id.clone(),
                    action_id: notice.action_id.clone(),
                    kind: "notice_sent".into(),
                    payload: serde_json::json!({ "notice": notice.notice, "notifier": notifier.name(), "to": notice.to }),
                    at,
                };
                store
                    .record_effect(&effect)
                    .await
                    .map_err(crate::error::store)?;
                delivery.sent.push(notifier.name().to_string());
            }
            Err(NotifyError::Transient(e)) if attempt < NOTICE_ATTEMPTS => {
                return Err(crate::error::classify(NotifyError::Transient(e)));
            }
            Err(e) => delivery
                .not_sent
                .push(serde_json::json!({ "notifier": notifier.name(), "error": e.to_string() })),
        }
    }
    Ok(delivery)
}
