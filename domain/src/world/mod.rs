//! The per-account world.
//!
//! `state` computes per-field entity state from evidence (provenance, trust, freshness,
//! contradictions, time travel); snapshots, the schema registry and the graph build on it.
//! `AccountFacts` is that state as a decision reads it (playbooks, the brief, the validators).
//! `AccountView`, the latest version of every record of one account, is what the detectors
//! compare between batches.

mod account_state;
mod account_view;
mod facts;
pub mod graph;
pub mod memory;
mod record_refs;
mod stable;
pub mod state;

pub use account_state::{AccountState, Change, Direction, Momentum, Posture, Risk, account_state};
pub use account_view::{AccountView, record_ref, record_ref_with_hash};
pub use facts::{
    AccountFacts, ContactFact, ContractFact, MeetingFact, OpportunityFact, TicketFact,
    UsageReading, usage_series,
};
pub use record_refs::{NO_REFS, RecordRefs};
pub use stable::{StableSpan, account_state_at, entity_state_at, stable_span};
