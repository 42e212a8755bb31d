//! One file per gRPC service.

mod actions;
mod connectors;
mod ingest;
mod ledger;
mod plans;
mod questions;
mod signals;
mod tenants;
mod world;

pub use actions::ActionApi;
pub use connectors::ConnectorApi;
pub use ingest::IngestApi;
pub use ledger::LedgerApi;
pub use plans::{PlanApi, plan_workflow_id};
pub use questions::QuestionApi;
pub use signals::SignalApi;
pub use tenants::TenantApi;
pub use world::WorldApi;
