//! The `revloop` command's library: talking to the API, running a local stack (Temporal dev
//! server, worker, API) for the demo and the end-to-end tests, and rendering fixture files
//! whose dates are relative to now.

pub mod client;
pub mod devserver;
pub mod fixtures;
pub mod output;
pub mod procs;
pub mod seed;
pub mod token;
