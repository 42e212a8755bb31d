//! revloop-worker as a library: its settings, so that `revloop config check --for worker` reads
//! the environment exactly as the worker does, and its health endpoints.

pub mod config;
pub mod health;
