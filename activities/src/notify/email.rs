//! Email over SMTP (`lettre`): one message per notice to the address the tenant's
//! `[notify.email]` table gives its recipient. The server's URL is a tenant secret reference,
//! resolved at each send; its host must pass the egress policy, every address it resolves to
//! is checked, and the connection goes to a checked address (TLS still verifies the name).
//! The Message-ID derives from the notice's effect key, so a retried send is recognisable.

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use revloop_domain::notify_config::EmailConfig;
use revloop_domain::security::EgressPolicy;
use sha2::{Digest, Sha256};

use super::{Notice, Notifier, NotifyError};
use crate::secrets::TenantSecrets;

/// How long one SMTP exchange may take: notices are sent from short activities.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub struct EmailNotifier {
    config: EmailConfig,
    secrets: TenantSecrets,
    egress: EgressPolicy,
}

impl EmailNotifier {
    pub fn new(config: EmailConfig, secrets: TenantSecrets, egress: EgressPolicy) -> Self {
        Self {
            config,
            secrets,
            egress,
        }
    }
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
        let url = self
            .secrets
            .resolve(&notice.tenant_id, &self.config.smtp_url_ref)
            .map_err(|e| config(format!("smtp secret: {e}")))?;
        let server = server_of(&url).map_err(|e| config(format!("smtp secret: {e}")))?;
        // Plain SMTP is as exposed as plain http: allowed only where the operator allows that.
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
            .map_err(|e| NotifyError::Transient(format!("resolving {}: {e}", server.host)))?
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
        let (subject, body) = message_text(notice);
        let digest =
            hex::encode(&Sha256::digest(super::effect_key(notice, self.name()).as_bytes())[..16]);
        let message = Message::builder()
            .message_id(Some(format!("<{digest}@revloop>")))
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
            Ok(_) => Ok(()),
            // A permanent refusal (5xx) will not change on a retry.
            Err(e) if e.is_permanent() => Err(config(format!("smtp: {e}"))),
            Err(e) => Err(NotifyError::Transient(format!("smtp: {e}"))),
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
