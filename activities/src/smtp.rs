//! Sending one message over SMTP (`lettre`) to the server a tenant secret names: what email
//! notices and the email executors share. The URL (with its password) is resolved at each send;
//! its host must pass the egress policy, every address it resolves to is checked, and the
//! connection goes to a checked address (TLS still verifies the name). Plain `smtp://` is
//! allowed only where plain http is.

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use revloop_domain::security::EgressPolicy;
use sha2::{Digest, Sha256};

use crate::secrets::TenantSecrets;

/// How long one SMTP exchange may take: messages are sent from short activities.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The configuration or the message is wrong, or the server refused for good (5xx).
    #[error("{0}")]
    Config(String),
    /// Worth retrying: the server was unreachable or answered 4xx.
    #[error("{0}")]
    Transient(String),
}

/// The Message-ID a send under `key` carries: the same for every retry, so a receiver (and a
/// person reading headers) recognises a repeated send.
pub fn message_id(key: &str) -> String {
    format!(
        "<{}@revloop>",
        hex::encode(&Sha256::digest(key.as_bytes())[..16])
    )
}

/// How the connection is secured, from the URL: `smtps` (TLS from the start), `smtp` with
/// `?tls=required` (STARTTLS), or plain `smtp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Wrapper,
    StartTls,
    Plain,
}

/// The server, from the secret's URL.
#[derive(Debug, PartialEq)]
struct Server {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
}

fn server_of(text: &str) -> Result<Server, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("not a URL: {e}"))?;
    let starttls = url
        .query_pairs()
        .any(|(k, v)| k == "tls" && v == "required");
    let (security, default_port) = match (url.scheme(), starttls) {
        ("smtps", _) => (Security::Wrapper, 465),
        ("smtp", true) => (Security::StartTls, 587),
        ("smtp", false) => (Security::Plain, 25),
        (other, _) => return Err(format!("scheme {other:?}: use smtps or smtp")),
    };
    let host = url.host_str().ok_or("the URL has no host")?.to_string();
    let credentials = (!url.username().is_empty()).then(|| {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .to_string()
        };
        (
            decode(url.username()),
            decode(url.password().unwrap_or_default()),
        )
    });
    Ok(Server {
        host,
        port: url.port().unwrap_or(default_port),
        security,
        credentials,
    })
}

#[derive(Clone)]
pub struct SmtpSender {
    secrets: TenantSecrets,
    egress: EgressPolicy,
}

impl SmtpSender {
    pub fn new(secrets: TenantSecrets, egress: EgressPolicy) -> Self {
        Self { secrets, egress }
    }

    /// Sends `message` through the server `smtp_url_ref` names for the tenant; returns the
    /// server's host.
    pub async fn send(
        &self,
        tenant_id: &str,
        smtp_url_ref: &str,
        message: Message,
    ) -> Result<String, SmtpError> {
        let config = |m: String| SmtpError::Config(m);
        let url = self
            .secrets
            .resolve(tenant_id, smtp_url_ref)
            .map_err(|e| config(format!("smtp secret: {e}")))?;
        let server = server_of(&url).map_err(|e| config(format!("smtp secret: {e}")))?;
        let scheme = if server.security == Security::Plain {
            "http"
        } else {
            "https"
        };
        self.egress
            .check_target(scheme, Some(&server.host))
            .map_err(|e| config(format!("smtp server {}: {e}", server.host)))?;
        let addresses = tokio::net::lookup_host((server.host.as_str(), server.port))
            .await
            .map_err(|e| SmtpError::Transient(format!("resolving {}: {e}", server.host)))?
            .collect::<Vec<_>>();
        let target = addresses
            .iter()
            .find(|a| self.egress.check_ip(a.ip()).is_ok())
            .ok_or_else(|| {
                config(format!(
                    "smtp server {}: no address the egress policy allows ({addresses:?})",
                    server.host
                ))
            })?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|e| config(format!("tls: {e}")))
        };
        let mut transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.ip().to_string())
                .port(target.port())
                .timeout(Some(SMTP_TIMEOUT));
        transport = match server.security {
            Security::Wrapper => transport.tls(Tls::Wrapper(tls(&server.host)?)),
            Security::StartTls => transport.tls(Tls::Required(tls(&server.host)?)),
            Security::Plain => transport.tls(Tls::None),
        };
        if let Some((user, password)) = server.credentials {
            transport = transport.credentials(Credentials::new(user, password));
        }
        match transport.build().send(message).await {
            Ok(_) => Ok(server.host),
            // A permanent refusal (5xx) will not change on a retry.
            Err(e) if e.is_permanent() => Err(config(format!("smtp: {e}"))),
            Err(e) => Err(SmtpError::Transient(format!("smtp: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_and_its_security_come_from_the_url() {
        assert_eq!(
            server_of("smtps://ann%40acme:p%2Fw@mail.acme.example").unwrap(),
            Server {
                host: "mail.acme.example".into(),
                port: 465,
                security: Security::Wrapper,
                credentials: Some(("ann@acme".into(), "p/w".into())),
            }
        );
        let starttls = server_of("smtp://mail.acme.example:2525?tls=required").unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (2525, Security::StartTls)
        );
        let plain = server_of("smtp://127.0.0.1:1025").unwrap();
        assert_eq!((plain.security, plain.credentials), (Security::Plain, None));
        assert!(server_of("http://mail.acme.example").is_err());
        assert!(server_of("not a url").is_err());
    }

    #[test]
    fn a_key_gives_one_message_id() {
        assert_eq!(message_id("t/a/execute"), message_id("t/a/execute"));
        assert_ne!(message_id("t/a/execute"), message_id("t/b/execute"));
        assert!(message_id("k").starts_with('<') && message_id("k").ends_with("@revloop>"));
    }
}
