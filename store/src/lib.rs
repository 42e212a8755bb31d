//! Storage of revloop: one trait per kind of data, and backends that implement them.
//!
//! Contracts stay within what DynamoDB can do atomically (a conditional single-item write, or a
//! transaction of at most 100 items; no cross-table joins), so the AWS backend can pass the same
//! [`conformance`] suite as the embedded SQLite one. This crate never talks to Temporal.

pub mod actions;
pub mod artifacts;
pub mod aws;
pub mod budgets;
pub mod conformance;
pub mod connectors;
pub mod effects;
pub mod error;
pub mod evidence;
pub mod graph;
pub mod ledger;
pub mod ledger_digests;
pub mod outcomes;
pub mod plans;
pub mod quarantine;
pub mod questions;
pub mod records;
pub mod signals;
pub mod snapshots;
pub mod sqlite;
pub mod tenants;
pub mod tool_runs;
pub mod vectors;

pub use actions::{
    ActionRecord, ActionStatus, ActionStore, ApprovalEvent, BudgetRecord, StatusBacklog,
};
pub use artifacts::{Artifact, ArtifactStore};
pub use aws::{AwsSettings, AwsStore};
pub use budgets::{BudgetStore, Reservation, ReservationRecord};
pub use connectors::{ConnectorRecord, ConnectorStore};
pub use effects::{Effect, EffectStore};
pub use error::{StoreError, StoreErrorKind, StoreResult};
pub use evidence::{Evidence, EvidenceStore, Provenance};
pub use graph::GraphStore;
pub use ledger::LedgerStore;
pub use ledger_digests::LedgerDigestStore;
pub use outcomes::{Outcome, OutcomeStore};
pub use plans::{PlanEvent, PlanRecord, PlanStep, PlanStore};
pub use quarantine::{QuarantineStore, QuarantinedLine};
pub use questions::{AnswerOutcome, AnswerRecord, QuestionRecord, QuestionStatus, QuestionStore};
pub use records::{CitedRecord, MAX_VERSION_WRITES, RecordStore, RecordVersion, VersionWrite};
pub use signals::SignalStore;
pub use snapshots::{AccountRevision, EntitySnapshot, SnapshotRef, SnapshotStore};
pub use sqlite::SqliteStore;
pub use tenants::{Tenant, TenantConfig, TenantStore};
pub use tool_runs::{ToolRun, ToolRunStore};
pub use vectors::{StoredVector, VectorStore};

/// Everything a worker or the API needs, behind one object.
pub trait Store:
    TenantStore
    + EvidenceStore
    + RecordStore
    + QuarantineStore
    + SignalStore
    + ArtifactStore
    + ActionStore
    + EffectStore
    + LedgerStore
    + ConnectorStore
    + BudgetStore
    + OutcomeStore
    + SnapshotStore
    + GraphStore
    + QuestionStore
    + PlanStore
    + ToolRunStore
    + LedgerDigestStore
    + VectorStore
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: TenantStore
        + EvidenceStore
        + RecordStore
        + QuarantineStore
        + SignalStore
        + ArtifactStore
        + ActionStore
        + EffectStore
        + LedgerStore
        + ConnectorStore
        + BudgetStore
        + OutcomeStore
        + SnapshotStore
        + GraphStore
        + QuestionStore
        + PlanStore
        + ToolRunStore
        + LedgerDigestStore
        + VectorStore
        + Send
        + Sync
{
}
