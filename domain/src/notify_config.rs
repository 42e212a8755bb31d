//! The tenant's `[notify]` table: where notices go (an approval requested, reminded or
//! escalated; a question asked): a Slack-compatible webhook, email over SMTP, or both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// A Slack-compatible incoming webhook. Its URL is a credential, so only a reference to it
    /// is kept (`env:REVLOOP_TENANT_SECRET_<tenant>__<NAME>` or `file:<name>`).
    pub webhook_secret_ref: Option<String>,
    /// The base address of the approval pages, for links in notices.
    pub page_url: Option<String>,
    /// Email over SMTP.
    pub email: Option<EmailConfig>,
}

/// `[notify.email]`: the SMTP server (a secret reference to its URL, which may hold a user
/// and password: `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required` for
/// STARTTLS, or plain `smtp://host:port`, which the egress policy allows only where it allows
/// plain http), the sender, and the address of each recipient a notice names (`approvers`,
/// `admin`, `group:<name>`, or a person's name as the account's owner field holds it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    pub smtp_url_ref: String,
    pub from: String,
    pub to: BTreeMap<String, String>,
    /// Where a notice goes whose recipient has no address of its own.
    pub default_to: Option<String>,
}

/// A plausible single address: something before and after one `@`, no spaces or line breaks
/// (which could add headers).
pub fn check_address(address: &str) -> Result<(), String> {
    let ok = address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == '<' || c == '>')
        && matches!(address.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(format!("{address:?} is not an email address"))
    }
}

impl NotifyConfig {
    pub fn check(&self) -> Result<(), String> {
        let Some(email) = &self.email else {
            return Ok(());
        };
        if email.smtp_url_ref.trim().is_empty() {
            return Err("notify.email.smtp_url_ref: required".into());
        }
        check_address(&email.from).map_err(|e| format!("notify.email.from: {e}"))?;
        for (who, address) in &email.to {
            check_address(address).map_err(|e| format!("notify.email.to.{who}: {e}"))?;
        }
        if let Some(address) = &email.default_to {
            check_address(address).map_err(|e| format!("notify.email.default_to: {e}"))?;
        }
        Ok(())
    }
}

impl EmailConfig {
    /// The address a notice for `recipient` goes to.
    pub fn address_of(&self, recipient: &str) -> Option<&str> {
        self.to
            .get(recipient)
            .or(self.default_to.as_ref())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_by_field() {
        let mut config = NotifyConfig {
            email: Some(EmailConfig {
                smtp_url_ref: "file:smtp".into(),
                from: "revloop@acme.example".into(),
                to: [("sam".to_string(), "sam@acme.example".to_string())].into(),
                default_to: None,
            }),
            ..Default::default()
        };
        assert_eq!(config.check(), Ok(()));
        let email = config.email.as_mut().unwrap();
        assert_eq!(email.address_of("sam"), Some("sam@acme.example"));
        assert_eq!(email.address_of("ann"), None);
        email.default_to = Some("revops@acme.example".into());
        assert_eq!(email.address_of("ann"), Some("revops@acme.example"));
        email.to.insert(
            "admin".into(),
            "x@acme.example\r\nBcc: eve@evil.example".into(),
        );
        assert!(
            config
                .check()
                .unwrap_err()
                .starts_with("notify.email.to.admin:")
        );
        for bad in [
            "nobody",
            "a@b",
            "@acme.example",
            "a b@acme.example",
            "a@b@c.example",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }
}
