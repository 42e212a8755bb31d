//! The per-account view of the world that detectors, playbooks and validators read.
//!
//! Issue-level depth (field confidence, contradictions, snapshots) grows here; for now the view
//! is the latest version of every record of one account, in a deterministic order.

mod account_view;

pub use account_view::{AccountView, record_ref};
