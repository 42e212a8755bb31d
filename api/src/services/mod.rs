//! One file per gRPC service.

mod actions;
mod ingest;
mod ledger;
mod signals;

pub use actions::ActionApi;
pub use ingest::IngestApi;
pub use ledger::LedgerApi;
pub use signals::SignalApi;
