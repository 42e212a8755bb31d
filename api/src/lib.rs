//! The revloop API server: tonic gRPC services over the store and the Temporal client, with
//! bearer-token auth, health and reflection. It starts and signals workflows; it never runs
//! workflow logic itself.

pub mod auth;
pub mod config;
pub mod convert;
pub mod digest_schedule;
pub mod error;
pub mod http;
pub mod intake;
pub mod mcp;
pub mod metrics;
pub mod paging;
pub mod server;
pub mod services;
pub mod web;

pub use server::serve;
