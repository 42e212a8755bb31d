//! The public gRPC API of revloop, package `revloop.v1`, generated from `revloop/v1/*.proto`.
//! Conversions from domain types live with the API server, not here: this crate is the wire
//! contract only, shared by the server, the CLI and any Rust client.

#![allow(clippy::all)]

pub mod v1 {
    tonic::include_proto!("revloop.v1");
}

/// The encoded file descriptor set, served by gRPC reflection so `grpcurl` works.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/revloop_descriptor.bin"));
