//! Email notices: one message per notice to the address the tenant's `[notify.email]` table
//! gives its recipient, sent over SMTP (`crate::smtp`). The Message-ID derives from the
//! notice's effect key, so a retried send is recognisable.

use async_trait::async_trait;
use lettre::Message;
use lettre::message::header::ContentType;
use revloop_domain::notify_config::EmailConfig;
use revloop_domain::security::EgressPolicy;

use super::{Notice, Notifier, NotifyError};
use crate::secrets::TenantSecrets;
use crate::smtp::{SmtpError, SmtpSender, message_id};

pub struct EmailNotifier {
    config: EmailConfig,
    smtp: SmtpSender,
}

impl EmailNotifier {
    pub fn new(config: EmailConfig, secrets: TenantSecrets, egress: EgressPolicy) -> Self {
        Self {
            config,
            smtp: SmtpSender::new(secrets, egress),
        }
    }
}

/// The subject and body a person reads.
pub fn message_text(notice: &Notice) -> (String, String) {
    let headline = notice.headline();
    let mut body = format!("{headline}\n\n{}\n\n{}\n", notice.title, notice.action_id);
    if let Some(link) = &notice.link {
        body.push_str(&format!("\nReview: {link}\n"));
    }
    (format!("{headline}: {}", notice.title), body)
}

#[async_trait]
impl Notifier for EmailNotifier {
    fn name(&self) -> &'static str {
        "email"
    }

    async fn send(&self, notice: &Notice) -> Result<(), NotifyError> {
        let config = |m: String| NotifyError::Config(m);
        let to = self
            .config
            .address_of(&notice.to)
            .ok_or_else(|| config(format!("no email address for {}", notice.to)))?;
        let (subject, body) = message_text(notice);
        let message = Message::builder()
            .message_id(Some(message_id(&super::effect_key(notice, self.name()))))
            .from(
                self.config
                    .from
                    .parse()
                    .map_err(|e| config(format!("from: {e}")))?,
            )
            .to(to.parse().map_err(|e| config(format!("to {to}: {e}")))?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| config(format!("message: {e}")))?;
        match self
            .smtp
            .send(&notice.tenant_id, &self.config.smtp_url_ref, message)
            .await
        {
            Ok(_) => Ok(()),
            Err(SmtpError::Config(m)) => Err(NotifyError::Config(m)),
            Err(SmtpError::Transient(m)) => Err(NotifyError::Transient(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_reads_as_mail() {
        let notice = Notice {
            tenant_id: "t".into(),
            action_id: "act-1".into(),
            notice: "request".into(),
            to: "sam".into(),
            title: "Ask Ada for a meeting".into(),
            link: Some("https://revloop.example/actions/act-1".into()),
        };
        let (subject, body) = message_text(&notice);
        assert_eq!(subject, "An approval waits for you: Ask Ada for a meeting");
        assert!(
            body.contains("Review: https://revloop.example/actions/act-1"),
            "{body}"
        );
    }
}
