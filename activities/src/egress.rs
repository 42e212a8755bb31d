//! Outbound HTTP on a tenant's behalf, held to the operator's [`EgressPolicy`]. The URL is
//! checked before each request, every redirect is checked before it is followed, and every
//! address a host name resolves to is checked at connect time (so a name that resolves to the
//! metadata endpoint, or is re-pointed there later, is refused too).

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use revloop_domain::security::{EgressPolicy, EgressRefusal};

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

/// The operator's egress settings, shared by the worker (connectors, notifiers) and the API
/// (which refuses a registration the worker would refuse).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EgressArgs {
    /// Allow plain-http connector and webhook URLs (https only otherwise).
    #[arg(long, env = "REVLOOP_EGRESS_ALLOW_HTTP", default_value_t = false)]
    pub egress_allow_http: bool,
    /// Internal networks tenants' URLs may reach despite their range, comma-separated CIDRs
    /// (e.g. `10.20.0.0/16`); loopback, private and link-local are refused otherwise.
    #[arg(long, env = "REVLOOP_EGRESS_ALLOW_NETS", default_value = "")]
    pub egress_allow_nets: String,
}

impl EgressArgs {
    pub fn policy(&self) -> Result<EgressPolicy, EgressRefusal> {
        EgressPolicy::parse(self.egress_allow_http, &self.egress_allow_nets)
    }
}

/// Checks a URL before a request is sent.
pub fn check_url(policy: &EgressPolicy, url: &url::Url) -> Result<(), EgressRefusal> {
    policy.check_target(url.scheme(), url.host_str())
}

/// An HTTP client that cannot leave the policy: redirects and resolved addresses are checked.
pub fn client(policy: &EgressPolicy) -> reqwest::Client {
    let for_redirects = policy.clone();
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(EgressRefusal(format!(
                "more than {MAX_REDIRECTS} redirects"
            )));
        }
        match check_url(&for_redirects, attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => {
                let to = attempt.url().to_string();
                attempt.error(EgressRefusal(format!("redirect to {to}: {}", refusal.0)))
            }
        }
    });
    reqwest::Client::builder()
        .redirect(redirects)
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver {
            policy: policy.clone(),
        }))
        .build()
        // Never fall back to an unguarded client: with no TLS backend and no proxy to set up,
        // building cannot fail short of a broken binary, and then nothing should connect.
        .expect("an HTTP client with a redirect policy and a resolver")
}

/// System resolution, keeping only the addresses the policy allows.
struct PolicyResolver {
    policy: EgressPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusals = Vec::new();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|a| match policy.check_ip(a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refusals.push(e.0);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refusals.first().cloned().unwrap_or("no address".into());
                return Err(Box::new(EgressRefusal(format!("{host}: {why}")))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether the request failed because the policy refused it (a redirect or an address):
/// such a failure is final, retrying cannot change it.
pub fn is_refusal(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        if s.downcast_ref::<EgressRefusal>().is_some() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The full chain of a request error, so a refusal inside the client (redirect, resolution)
/// is shown with its reason rather than as "error sending request".
pub fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn serve(router: axum::Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        addr
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_at_connect_time() {
        let addr =
            serve(axum::Router::new().route("/", axum::routing::get(|| async { "hi" }))).await;
        let policy = EgressPolicy::parse(true, "").unwrap();
        let url = format!("http://localhost:{}/", addr.port());
        let err = client(&policy).get(&url).send().await.unwrap_err();
        assert!(describe(&err).contains("loopback"), "{}", describe(&err));
    }

    #[tokio::test]
    async fn a_redirect_into_a_refused_range_is_not_followed() {
        let target =
            serve(axum::Router::new().route("/", axum::routing::get(|| async { "secret" }))).await;
        let location = format!("http://127.0.0.2:{}/", target.port());
        let redirector = serve(axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let location = location.clone();
                async move { axum::response::Redirect::temporary(&location) }
            }),
        ))
        .await;
        // The first hop is allowed, the redirect's target is not.
        let policy = EgressPolicy::parse(true, "127.0.0.1/32").unwrap();
        let url = format!("http://127.0.0.1:{}/", redirector.port());
        let err = client(&policy).get(&url).send().await.unwrap_err();
        assert!(
            describe(&err).contains("redirect to http://127.0.0.2"),
            "{}",
            describe(&err)
        );
    }

    #[tokio::test]
    async fn an_allowed_address_is_reached() {
        let addr =
            serve(axum::Router::new().route("/", axum::routing::get(|| async { "hi" }))).await;
        let policy = EgressPolicy::parse(true, "127.0.0.1/32").unwrap();
        let body = client(&policy)
            .get(format!("http://127.0.0.1:{}/", addr.port()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "hi");
    }
}
