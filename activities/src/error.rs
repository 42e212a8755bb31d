//! Classifies failures once: what Temporal should retry and what it must not.

use revloop_store::{StoreError, StoreErrorKind};
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

/// Error type names that workflows and operators see in the Web UI.
pub const INVALID_INPUT: &str = "InvalidInput";
pub const TENANT_MISMATCH: &str = "TenantMismatch";
pub const NOT_FOUND: &str = "NotFound";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

/// A failure that retrying cannot fix (bad input, a tenant touching another's data).
pub fn non_retryable(type_name: &str, message: impl Into<String>) -> ActivityError {
    ActivityError::application(
        ApplicationFailure::builder(Message(message.into()))
            .type_name(type_name.to_string())
            .non_retryable(true)
            .build(),
    )
}

/// Store errors: unavailability and lost races are retried, the rest is not.
pub fn store(err: StoreError) -> ActivityError {
    match err.kind {
        StoreErrorKind::Unavailable | StoreErrorKind::Conflict => {
            ActivityError::application(ApplicationFailure::new(Message(err.to_string())))
        }
        StoreErrorKind::NotFound => non_retryable(NOT_FOUND, err.to_string()),
        StoreErrorKind::Corrupt | StoreErrorKind::Internal => {
            non_retryable("StoreFailure", err.to_string())
        }
    }
}

/// Refuses an id that belongs to another tenant.
pub fn check_tenant(owner: &str, requested: &str, what: &str) -> Result<(), ActivityError> {
    if owner != requested {
        return Err(non_retryable(
            TENANT_MISMATCH,
            format!("{what} belongs to another tenant than {requested}"),
        ));
    }
    Ok(())
}
