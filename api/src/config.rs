//! API settings: flags, each also readable from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "revloop-api", version, about = "Serves revloop's gRPC API")]
pub struct ApiArgs {
    #[arg(long, env = "REVLOOP_API_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Where webhooks (HTTP push connectors) are served.
    #[arg(long, env = "REVLOOP_HTTP_LISTEN", default_value = "127.0.0.1:8080")]
    pub http_listen: SocketAddr,
    /// Where `/metrics` is served for Prometheus: an address only the cluster reaches, e.g.
    /// 0.0.0.0:9466 behind a NetworkPolicy; off when unset. Never the public HTTP listener.
    #[arg(long, env = "REVLOOP_API_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Label series with tenant ids (and budget scopes with account ids). Off by default: then
    /// series aggregate across tenants and name no customer.
    #[arg(long, env = "REVLOOP_METRICS_TENANT_LABELS", default_value_t = false)]
    pub metrics_tenant_labels: bool,
    #[command(flatten)]
    pub temporal: revloop_runtime::temporal::TemporalArgs,
    #[command(flatten)]
    pub store: revloop_runtime::store_args::StoreArgs,
    /// Semantic memory's files (the tantivy index, or Titan vectors); default: `memory/`
    /// beside the store file.
    #[arg(long, env = "REVLOOP_MEMORY_DIR")]
    pub memory_dir: Option<PathBuf>,
    #[command(flatten)]
    pub memory: revloop_activities::memory::MemoryArgs,
    #[command(flatten)]
    pub http_limits: crate::http::limits::HttpLimits,
    #[command(flatten)]
    pub trust: revloop_activities::trust_args::TrustArgs,
    /// How many accounts' computed states the API keeps in memory (least recently read go
    /// first). Each entry holds only while its account is unchanged.
    #[arg(long, env = "REVLOOP_ACCOUNT_CACHE", default_value_t = 10_000)]
    pub account_cache: usize,
    /// Clock skew tolerated on bearer tokens' `exp` and `nbf`, in seconds (at most 60).
    #[arg(long, env = "REVLOOP_JWT_LEEWAY_SECS", default_value_t = crate::auth::DEFAULT_LEEWAY_SECS,
          value_parser = clap::value_parser!(u64).range(0..=60))]
    pub jwt_leeway_secs: u64,
    /// How far a push delivery's signed timestamp may be from the server's clock, in seconds.
    /// Older deliveries are refused; inside the window a signature is accepted once.
    #[arg(long, env = "REVLOOP_PUSH_TOLERANCE_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub push_tolerance_secs: u64,
    /// The Temporal Web UI, which the approval pages link each workflow to.
    #[arg(
        long,
        env = "REVLOOP_TEMPORAL_UI_URL",
        default_value = "http://127.0.0.1:8233"
    )]
    pub temporal_ui_url: String,
    /// Mark the approval pages' session cookie `Secure` (sent over HTTPS only). Turn it on
    /// whenever the HTTP listener is reached through TLS.
    #[arg(long, env = "REVLOOP_WEB_SECURE_COOKIES", default_value_t = false)]
    pub web_secure_cookies: bool,
    /// `Host` headers `/mcp` accepts, comma-separated (`revloop.example.com`,
    /// `revloop-api:8080`): MCP refuses any other, against DNS rebinding. Loopback names only
    /// by default; a deployment lists the names clients reach it by.
    #[arg(
        long,
        env = "REVLOOP_MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        default_value = "localhost,127.0.0.1,::1"
    )]
    pub mcp_allowed_hosts: Vec<String>,
    /// Seconds an approval opened by an MCP write tool waits before it expires (as the
    /// worker's REVLOOP_APPROVAL_TIMEOUT_SECS does for a decision's).
    #[arg(long, env = "REVLOOP_APPROVAL_TIMEOUT_SECS", default_value_t = 72 * 3600)]
    pub approval_timeout_secs: u64,
    /// Seconds in-flight calls get after SIGTERM: the health service answers NOT_SERVING at
    /// once (so Kubernetes stops routing here), listeners stop accepting, and calls still
    /// running after this long are dropped.
    #[arg(long, env = "REVLOOP_API_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
    /// Seconds between each tenant's signed ledger digests (a Temporal Schedule per tenant,
    /// created at its first request); 0 turns them off.
    #[arg(long, env = "REVLOOP_LEDGER_DIGEST_EVERY_SECS", default_value_t = 3600)]
    pub ledger_digest_every_secs: u64,
    /// HMAC secret that signs bearer tokens (HS256). Required; never logged.
    #[arg(long, env = "REVLOOP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
}

impl ApiArgs {
    /// BM25 memory's folder: the flag, or `memory/` beside the SQLite file (none on the AWS
    /// backend, whose Titan vectors are in DynamoDB).
    pub fn memory_dir(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(match &self.memory_dir {
            Some(dir) => Some(dir.clone()),
            None => self.store.memory_dir_beside()?,
        })
    }

    /// Seconds in-flight calls get to finish after SIGTERM.
    pub fn drain_secs(&self) -> u64 {
        self.shutdown_drain_secs
    }
}
