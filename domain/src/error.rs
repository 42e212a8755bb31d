//! Errors of the domain crate. Each names what was wrong and where.

/// A value could not be built because its input was not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidId {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
}
