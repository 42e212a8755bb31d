//! The tenant's `[mail]` table: the mailer customer-facing actions are sent through. Without
//! it, an approved email is queued in revloop's outbox and goes nowhere, and says so.

use serde::{Deserialize, Serialize};

use crate::notify_config::check_address;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// A tenant secret reference to the SMTP server's URL (`smtps://user:pass@host:465`, or
    /// `smtp://host:587?tls=required`): it holds a password, so only the reference is kept.
    pub smtp_url_ref: String,
    /// The sender customers see.
    pub from: String,
    /// Where replies go, when not to `from` (the seller's own address, say).
    #[serde(default)]
    pub reply_to: Option<String>,
}

impl MailConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.smtp_url_ref.trim().is_empty() {
            return Err("mail.smtp_url_ref: required".into());
        }
        check_address(&self.from).map_err(|e| format!("mail.from: {e}"))?;
        if let Some(reply_to) = &self.reply_to {
            check_address(reply_to).map_err(|e| format!("mail.reply_to: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_and_the_server_reference_are_checked() {
        let mut mail = MailConfig {
            smtp_url_ref: "env:REVLOOP_TENANT_SECRET_acme__SMTP".into(),
            from: "sales@acme.example".into(),
            reply_to: None,
        };
        assert!(mail.check().is_ok());
        mail.from = "sales@acme.example\r\nBcc: all@evil.test".into();
        assert!(mail.check().unwrap_err().starts_with("mail.from:"));
        mail.from = "sales@acme.example".into();
        mail.smtp_url_ref = " ".into();
        assert_eq!(mail.check().unwrap_err(), "mail.smtp_url_ref: required");
    }
}
