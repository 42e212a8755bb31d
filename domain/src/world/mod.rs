//! The per-account view of the world that detectors, playbooks and validators read.
//!
//! `AccountView` is the latest version of every record of one account, in a deterministic order.
//! `state` computes per-field entity state from evidence (provenance, trust, freshness,
//! contradictions, time travel); snapshots, the schema registry and the graph build on it.

mod account_state;
mod account_view;
pub mod graph;
pub mod memory;
mod stable;
pub mod state;

pub use account_state::{AccountState, Change, Direction, Momentum, Posture, Risk, account_state};
pub use account_view::{AccountView, record_ref};
pub use stable::{StableSpan, account_state_at, entity_state_at, stable_span};
