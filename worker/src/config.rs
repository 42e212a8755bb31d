//! Worker settings: flags, each also readable from the environment (Kubernetes style).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
#[command(
    name = "revloop-worker",
    version,
    about = "Runs revloop's workflows and activities"
)]
pub struct WorkerArgs {
    /// Temporal frontend address.
    #[arg(
        long,
        env = "TEMPORAL_ADDRESS",
        default_value = "http://127.0.0.1:7233"
    )]
    pub temporal_address: String,
    #[arg(long, env = "TEMPORAL_NAMESPACE", default_value = "default")]
    pub namespace: String,
    #[arg(long, env = "REVLOOP_TASK_QUEUE", default_value = "revloop")]
    pub task_queue: String,
    /// SQLite store file shared with the API.
    #[arg(long, env = "REVLOOP_STORE", default_value = ".revloop/revloop.db")]
    pub store: PathBuf,
    /// Semantic memory's files (the tantivy index, or Titan vectors); default: `memory/`
    /// beside the store file.
    #[arg(long, env = "REVLOOP_MEMORY_DIR")]
    pub memory_dir: Option<PathBuf>,
    #[command(flatten)]
    pub memory: revloop_activities::memory::MemoryArgs,
    #[command(flatten)]
    pub trust: revloop_activities::trust_args::TrustArgs,
    /// Where to serve revloop's Prometheus metrics (validators, budgets, outcomes, throughput)
    /// at `/metrics`, e.g. 0.0.0.0:9464; off when unset.
    #[arg(long, env = "REVLOOP_WORKER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Label series with tenant ids (and budget scopes with account ids). Off by default: then
    /// series aggregate across tenants and name no customer.
    #[arg(long, env = "REVLOOP_METRICS_TENANT_LABELS", default_value_t = false)]
    pub metrics_tenant_labels: bool,
    /// Where the Temporal SDK serves its own worker metrics (`temporal_*`: task slots, poll and
    /// schedule-to-start latencies), e.g. 0.0.0.0:9465; off when unset.
    #[arg(long, env = "REVLOOP_TEMPORAL_METRICS_ADDR")]
    pub temporal_metrics_addr: Option<SocketAddr>,
    /// Seconds an account collects signals before deciding.
    #[arg(long, env = "REVLOOP_DEBOUNCE_SECS", default_value_t = 5)]
    pub debounce_secs: u64,
    /// Seconds a human-touch action waits for approval before it expires.
    #[arg(long, env = "REVLOOP_APPROVAL_TIMEOUT_SECS", default_value_t = 72 * 3600)]
    pub approval_timeout_secs: u64,
    /// The inbox: tenants' files are read only from `<inbox>/<tenant id>/`. Unset, file
    /// perception (`StartPerception` paths, `file_drop` connectors) is off.
    #[arg(long, env = "REVLOOP_INBOX_DIR")]
    pub inbox_dir: Option<PathBuf>,
    /// Seconds running activities get to finish after SIGTERM before they are cancelled.
    #[arg(long, env = "REVLOOP_GRACEFUL_SHUTDOWN_SECS", default_value_t = 20)]
    pub graceful_shutdown_secs: u64,
}

impl WorkerArgs {
    pub fn memory_dir(&self) -> PathBuf {
        self.memory_dir
            .clone()
            .unwrap_or_else(|| self.store.with_file_name("memory"))
    }

    pub fn identity(&self) -> String {
        format!("revloop-worker@{}", std::process::id())
    }
}
