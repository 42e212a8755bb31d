//! Temporal activities of revloop: the only crate that touches the outside world (store,
//! connectors, executors, the Temporal client). Workflows call these; every completed activity
//! appends its result to the ledger exactly once, through [`ledger_hook`].
//!
//! Pure logic is never written here: detectors, validators, playbooks and hashing come from
//! `revloop-domain`, so their results are recorded in workflow history by running here.

pub mod action;
pub mod agent;
pub mod approval;
pub mod approval_token;
pub mod batch_sets;
pub mod calibration;
pub mod clarification;
pub mod connectors;
pub mod contracts;
pub mod crm;
pub mod decision;
pub mod egress;
pub mod error;
pub mod executors;
pub mod governance;
pub mod heartbeat;
pub mod ledger_digest;
pub mod ledger_hook;
pub mod memory;
pub mod metrics;
pub mod models;
pub mod notify;
pub mod perception;
pub mod pipeline;
pub mod plan;
pub mod records_cache;
pub mod replay;
pub mod search_attributes;
pub mod secrets;
pub mod smtp;
pub mod snapshot;
pub mod telemetry;
pub mod tools;
pub mod trust_args;
pub mod undo;
pub mod workflow_ids;
pub mod world;

use std::sync::Arc;

use revloop_store::Store;

/// What every activity needs: the store, the Temporal client (to start or signal other
/// workflows), and settings.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    /// Semantic memory the perception pipeline indexes record text into.
    pub memory: Arc<dyn memory::MemoryIndex>,
    pub temporal: Option<temporalio_client::Client>,
    pub settings: Settings,
    /// Verifies the approval tokens that make approval signals count.
    pub approval_keys: approval_token::ApprovalKeys,
    /// Each account's records between detection runs of this process.
    pub records: Arc<records_cache::AccountRecordsCache>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub task_queue: String,
    /// How long an account collects signals before deciding.
    pub debounce_secs: u64,
    /// How long a follow-up waits for a person before it expires.
    pub approval_timeout_secs: u64,
    /// Files are read only under `<inbox>/<tenant>/`; with no inbox, file perception is off.
    pub inbox_dir: Option<std::path::PathBuf>,
    /// Where tenants' connectors may connect.
    pub egress: revloop_domain::security::EgressPolicy,
    /// Where tenants' secret references resolve.
    pub secrets: secrets::TenantSecrets,
    /// Each connector's request turns: pulls and write-backs of one connector share its rate.
    pub pacers: connectors::pacer::Pacers,
}
