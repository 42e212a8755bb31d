//! The Temporal connection every revloop process makes: address, namespace and task queue from
//! revloop's flags, and TLS, mTLS client certificates, API key and gRPC metadata from Temporal's
//! own environment variables and config file (`TEMPORAL_TLS_CLIENT_CERT_PATH`,
//! `TEMPORAL_API_KEY`, `TEMPORAL_PROFILE`, …), read by the SDK exactly as the Temporal CLI reads
//! them. So a deployment that works with `temporal` works with revloop.

use std::time::Duration;

use temporalio_client::{Client, ClientOptions, ConnectionOptions};
use temporalio_common::envconfig::{
    ClientConfigProfile, LoadClientConfigProfileOptions, load_client_config_profile,
};

#[derive(Debug, Clone, clap::Args)]
pub struct TemporalArgs {
    /// Temporal frontend address: `http://host:7233`, `https://host:7233`, or a bare
    /// `host:port` (TLS then follows `TEMPORAL_TLS_*` / `TEMPORAL_API_KEY`).
    #[arg(
        long = "temporal-address",
        env = "TEMPORAL_ADDRESS",
        default_value = "http://127.0.0.1:7233"
    )]
    pub address: String,
    #[arg(long, env = "TEMPORAL_NAMESPACE", default_value = "default")]
    pub namespace: String,
    #[arg(long, env = "REVLOOP_TASK_QUEUE", default_value = "revloop")]
    pub task_queue: String,
}

/// What a connection will use, for `revloop config check` (secrets as "set", never their value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporalPlan {
    pub target: String,
    pub namespace: String,
    pub task_queue: String,
    pub tls: bool,
    pub client_certificate: bool,
    pub server_ca: bool,
    pub server_name: Option<String>,
    pub api_key: bool,
}

impl TemporalArgs {
    /// Temporal's environment and config-file profile with revloop's address and namespace.
    fn profile(&self) -> anyhow::Result<ClientConfigProfile> {
        let mut profile = load_client_config_profile(
            LoadClientConfigProfileOptions::default(),
            None,
        )
        .map_err(|e| {
            anyhow::anyhow!("reading Temporal's TEMPORAL_* environment and config file: {e}")
        })?;
        profile.address = Some(self.address.clone());
        profile.namespace = Some(self.namespace.clone());
        Ok(profile)
    }

    /// Checks what the connection would use, and refuses contradictions before connecting.
    pub fn plan(&self) -> anyhow::Result<TemporalPlan> {
        let profile = self.profile()?;
        let tls = profile.tls.clone();
        let api_key = profile.api_key.is_some();
        let options = ConnectionOptions::try_from(profile)
            .map_err(|e| anyhow::anyhow!("Temporal connection settings: {e}"))?;
        let uses_tls = options.tls_options.is_some();
        if uses_tls && options.target.scheme() == "http" {
            anyhow::bail!(
                "TEMPORAL_ADDRESS {:?} says http:// but TLS is configured (TEMPORAL_TLS_* or TEMPORAL_API_KEY): write https:// or a bare host:port",
                self.address
            );
        }
        if self.namespace.trim().is_empty() {
            anyhow::bail!("TEMPORAL_NAMESPACE is empty");
        }
        if self.task_queue.trim().is_empty() {
            anyhow::bail!("REVLOOP_TASK_QUEUE is empty");
        }
        Ok(TemporalPlan {
            target: options.target.to_string(),
            namespace: self.namespace.clone(),
            task_queue: self.task_queue.clone(),
            tls: uses_tls,
            client_certificate: tls.as_ref().is_some_and(|t| t.client_cert.is_some()),
            server_ca: tls.as_ref().is_some_and(|t| t.server_ca_cert.is_some()),
            server_name: tls.and_then(|t| t.server_name),
            api_key,
        })
    }

    pub fn connection_options(&self, identity: String) -> anyhow::Result<ConnectionOptions> {
        self.plan()?;
        let mut options = ConnectionOptions::try_from(self.profile()?)
            .map_err(|e| anyhow::anyhow!("Temporal connection settings: {e}"))?;
        options.identity = identity;
        Ok(options)
    }

    /// Connects, retrying for up to `wait` (a pod may start before Temporal answers).
    pub async fn connect(&self, identity: String, wait: Duration) -> anyhow::Result<Client> {
        let options = self.connection_options(identity)?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match temporalio_client::Connection::connect(options.clone()).await {
                Ok(connection) => {
                    return Ok(Client::new(
                        connection,
                        ClientOptions::new(self.namespace.clone()).build(),
                    )?);
                }
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    return Err(anyhow::anyhow!(
                        "connecting to Temporal at {}: {e:?}",
                        self.address
                    ));
                }
                Err(e) => {
                    tracing::debug!(address = %self.address, error = ?e, "Temporal not reachable yet");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// `{process}@{pod or host name}:{pid}`: unique per replica, since every container is pid 1.
pub fn identity(process: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{process}@{host}:{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(address: &str) -> TemporalArgs {
        TemporalArgs {
            address: address.to_string(),
            namespace: "revloop-prod".to_string(),
            task_queue: "revloop".to_string(),
        }
    }

    #[test]
    fn a_plain_address_connects_without_tls() {
        let plan = args("http://127.0.0.1:7233").plan().unwrap();
        assert!(!plan.tls);
        assert_eq!(plan.target, "http://127.0.0.1:7233/");
        assert_eq!(plan.namespace, "revloop-prod");
    }

    #[test]
    fn an_empty_task_queue_is_refused() {
        let mut a = args("http://127.0.0.1:7233");
        a.task_queue = " ".to_string();
        let err = a.plan().unwrap_err().to_string();
        assert!(err.contains("REVLOOP_TASK_QUEUE"), "{err}");
    }

    #[test]
    fn identities_differ_by_process_and_name_the_process() {
        let id = identity("revloop-worker");
        assert!(id.starts_with("revloop-worker@"), "{id}");
        assert!(id.ends_with(&format!(":{}", std::process::id())), "{id}");
    }
}
