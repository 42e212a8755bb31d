//! The pure core of revloop: canonical records, signal detectors, account views, decision
//! playbooks, validators and ledger hashing.
//!
//! This crate must never do I/O, read the clock, spawn tasks or know about Temporal: every
//! function here is a deterministic function of its arguments, so its results can be recorded in
//! workflow history, replayed, and tested with plain unit and property tests.

pub mod auth;
pub mod budget;
pub mod config_rules;
pub mod crm_config;
pub mod decision;
pub mod error;
pub mod hashing;
pub mod ids;
pub mod ledger;
pub mod mail_config;
pub mod notify_config;
pub mod records;
pub mod security;
pub mod signals;
pub mod tools_config;
pub mod validators;
pub mod world;

pub use error::DomainError;
pub use ids::{AccountId, TenantId, TraceId};
