//! Maps store and Temporal failures to gRPC statuses, in one place.

use revloop_store::{StoreError, StoreErrorKind};
use tonic::Status;

pub fn store(err: StoreError) -> Status {
    match err.kind {
        StoreErrorKind::NotFound => Status::not_found(err.message),
        StoreErrorKind::Conflict => Status::aborted(err.message),
        StoreErrorKind::Unavailable => Status::unavailable(err.message),
        StoreErrorKind::Corrupt | StoreErrorKind::Internal => Status::internal(err.message),
    }
}

pub fn temporal(what: &str, err: impl std::fmt::Display) -> Status {
    Status::unavailable(format!("{what}: {err}"))
}
