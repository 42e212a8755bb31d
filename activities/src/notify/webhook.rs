//! A Slack-compatible incoming webhook: a JSON body with `text` (the fallback) and `blocks`
//! (a section, and a button to the approval page). The URL is resolved from the tenant's
//! secret reference at each send and passes the egress policy.

use async_trait::async_trait;
use revloop_domain::security::EgressPolicy;
use serde_json::{Value, json};

use super::{Notice, Notifier, NotifyError};
use crate::secrets::TenantSecrets;

pub struct WebhookNotifier {
    secret_ref: String,
    secrets: TenantSecrets,
    egress: EgressPolicy,
}

impl WebhookNotifier {
    pub fn new(secret_ref: String, secrets: TenantSecrets, egress: EgressPolicy) -> Self {
        Self {
            secret_ref,
            secrets,
            egress,
        }
    }
}

/// The message body for a notice.
pub fn body(notice: &Notice) -> Value {
    let headline = notice.headline();
    let text = format!("{headline}: {} ({})", notice.title, notice.action_id);
    let mut blocks = vec![json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": format!("*{headline}*\n{}\n`{}`", notice.title, notice.action_id) }
    })];
    if let Some(link) = &notice.link {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": { "type": "plain_text", "text": "Review" },
                "url": link
            }]
        }));
    }
    json!({ "text": text, "blocks": blocks })
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, notice: &Notice) -> Result<(), NotifyError> {
        let url = self
            .secrets
            .resolve(&notice.tenant_id, &self.secret_ref)
            .map_err(|e| NotifyError::Config(format!("webhook secret: {e}")))?;
        let url = url::Url::parse(url.trim())
            .map_err(|e| NotifyError::Config(format!("the webhook secret is not a URL: {e}")))?;
        crate::egress::check_url(&self.egress, &url)
            .map_err(|e| NotifyError::Config(format!("webhook URL: {e}")))?;
        let response = crate::egress::client(&self.egress)
            .post(url)
            .json(&body(notice))
            .send()
            .await
            .map_err(|e| NotifyError::Transient(format!("webhook: {e}")))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_client_error() && status.as_u16() != 429 {
            Err(NotifyError::Config(format!("webhook answered {status}")))
        } else {
            Err(NotifyError::Transient(format!("webhook answered {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_becomes_blocks_with_a_link_when_there_is_a_page() {
        let mut notice = Notice {
            tenant_id: "t".into(),
            action_id: "act-1".into(),
            notice: "escalation".into(),
            to: "group:manager".into(),
            title: "Follow up with Acme".into(),
            link: None,
        };
        let plain = body(&notice);
        assert!(
            plain["text"]
                .as_str()
                .unwrap()
                .starts_with("Escalated to group:manager")
        );
        assert_eq!(plain["blocks"].as_array().unwrap().len(), 1);
        notice.link = Some("https://revloop.example/actions/act-1".into());
        let linked = body(&notice);
        assert_eq!(
            linked["blocks"][1]["elements"][0]["url"],
            "https://revloop.example/actions/act-1"
        );
    }
}
