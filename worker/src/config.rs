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
    #[command(flatten)]
    pub temporal: revloop_runtime::temporal::TemporalArgs,
    /// Which tasks this replica polls: `all`, or `workflows` / `activities` only, so that
    /// workflow workers (few, with a warm sticky cache) and activity workers (scaled on the
    /// backlog) can be separate Deployments on the same task queue.
    #[arg(long, env = "REVLOOP_WORKER_MODE", value_enum, default_value_t = WorkerMode::All)]
    pub mode: WorkerMode,
    #[command(flatten)]
    pub store: revloop_runtime::store_args::StoreArgs,
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
    /// Where to serve `/healthz` (Temporal reachable and this replica's pollers seen by the
    /// server: readiness) and `/livez` (the process is up: liveness), e.g. 0.0.0.0:8081; off
    /// when unset.
    #[arg(long, env = "REVLOOP_WORKER_HEALTH_ADDR")]
    pub health_addr: Option<SocketAddr>,
    /// Seconds running activities get to finish after SIGTERM before they are cancelled.
    #[arg(long, env = "REVLOOP_GRACEFUL_SHUTDOWN_SECS", default_value_t = 20)]
    pub graceful_shutdown_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkerMode {
    All,
    Workflows,
    Activities,
}

impl WorkerMode {
    pub fn runs_workflows(self) -> bool {
        matches!(self, Self::All | Self::Workflows)
    }

    pub fn runs_activities(self) -> bool {
        matches!(self, Self::All | Self::Activities)
    }
}

impl WorkerArgs {
    /// BM25 memory's folder: the flag, or `memory/` beside the SQLite file (none on the AWS
    /// backend, whose Titan vectors are in DynamoDB).
    pub fn memory_dir(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(match &self.memory_dir {
            Some(dir) => Some(dir.clone()),
            None => self.store.memory_dir_beside()?,
        })
    }
}
