//! Classifies failures once: what Temporal should retry and what it must not.

use revloop_store::{StoreError, StoreErrorKind};

use crate::connectors::ConnectorError;
use crate::executors::ExecutorError;
use crate::models::ModelError;
use crate::notify::NotifyError;
use crate::pipeline::PipelineError;
use crate::tools::ToolGatewayError;
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

/// Every failure an activity ends in, classified once for Temporal: each error type of the
/// layers below (store, connector, executor, decision model, pipeline, tool gateway, notifier,
/// Bedrock) converts here, and nowhere else, into what may be retried and what may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityFailure {
    /// Retrying may help: a server was busy or unreachable, a race was lost.
    Retryable(String),
    /// Retrying cannot help; `type_name` is what workflows and the Web UI see.
    Permanent {
        type_name: &'static str,
        message: String,
    },
}

impl ActivityFailure {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable(message.into())
    }
    pub fn permanent(type_name: &'static str, message: impl Into<String>) -> Self {
        Self::Permanent {
            type_name,
            message: message.into(),
        }
    }
}

impl From<ActivityFailure> for ActivityError {
    fn from(failure: ActivityFailure) -> Self {
        match failure {
            ActivityFailure::Retryable(message) => {
                ActivityError::application(ApplicationFailure::new(Message(message)))
            }
            ActivityFailure::Permanent { type_name, message } => non_retryable(type_name, message),
        }
    }
}

/// Unavailability and lost races are retried; a missing item, corrupt data and internal
/// errors are not.
impl From<StoreError> for ActivityFailure {
    fn from(err: StoreError) -> Self {
        match err.kind {
            StoreErrorKind::Unavailable | StoreErrorKind::Conflict => {
                Self::retryable(err.to_string())
            }
            StoreErrorKind::NotFound => Self::permanent(NOT_FOUND, err.to_string()),
            StoreErrorKind::Corrupt | StoreErrorKind::Internal => {
                Self::permanent("StoreFailure", err.to_string())
            }
        }
    }
}

impl From<ConnectorError> for ActivityFailure {
    fn from(err: ConnectorError) -> Self {
        match err {
            ConnectorError::Invalid(m) => Self::permanent(INVALID_INPUT, m),
            ConnectorError::Unavailable(m) => Self::retryable(m),
        }
    }
}

impl From<ExecutorError> for ActivityFailure {
    fn from(err: ExecutorError) -> Self {
        match err {
            ExecutorError::Invalid(m) => Self::permanent(INVALID_INPUT, m),
            ExecutorError::Transient(m) => Self::retryable(m),
            ExecutorError::Store(s) => s.into(),
        }
    }
}

impl From<PipelineError> for ActivityFailure {
    fn from(err: PipelineError) -> Self {
        match err {
            PipelineError::Store(s) => s.into(),
            PipelineError::NotFound(m) => Self::permanent(NOT_FOUND, m),
            PipelineError::Invalid(m) => Self::permanent(INVALID_INPUT, m),
            // A panicking detector panics again on the same records.
            PipelineError::Detection(m) => Self::permanent("DetectionFailed", m),
        }
    }
}

/// Every model fell back as far as it could (the playbooks included): retried, since the
/// deterministic fallback failing means the store or the input it read was unavailable.
impl From<ModelError> for ActivityFailure {
    fn from(err: ModelError) -> Self {
        Self::retryable(err.to_string())
    }
}

/// The gateway could not answer at all (the store or memory is down): retried, never a
/// refusal.
impl From<ToolGatewayError> for ActivityFailure {
    fn from(err: ToolGatewayError) -> Self {
        match err {
            ToolGatewayError::Store(s) => s.into(),
            ToolGatewayError::Memory(m) => Self::retryable(format!("memory: {m}")),
        }
    }
}

impl From<NotifyError> for ActivityFailure {
    fn from(err: NotifyError) -> Self {
        match err {
            NotifyError::Config(m) => Self::permanent(INVALID_INPUT, m),
            NotifyError::Transient(m) => Self::retryable(m),
        }
    }
}

/// Converts any classified error: `.map_err(error::classify)?`.
pub fn classify(err: impl Into<ActivityFailure>) -> ActivityError {
    err.into().into()
}

/// Store errors, as [`classify`] does.
pub fn store(err: StoreError) -> ActivityError {
    classify(err)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn permanent_type(failure: ActivityFailure) -> Option<&'static str> {
        match failure {
            ActivityFailure::Permanent { type_name, .. } => Some(type_name),
            ActivityFailure::Retryable(_) => None,
        }
    }

    #[test]
    fn each_layer_classifies_what_a_retry_can_fix() {
        let store = |kind| ActivityFailure::from(StoreError::new(kind, "x"));
        assert_eq!(permanent_type(store(StoreErrorKind::Unavailable)), None);
        assert_eq!(permanent_type(store(StoreErrorKind::Conflict)), None);
        assert_eq!(
            permanent_type(store(StoreErrorKind::NotFound)),
            Some(NOT_FOUND)
        );
        assert_eq!(
            permanent_type(store(StoreErrorKind::Corrupt)),
            Some("StoreFailure")
        );
        assert_eq!(
            permanent_type(ConnectorError::Invalid("bad url".into()).into()),
            Some(INVALID_INPUT)
        );
        assert_eq!(
            permanent_type(ConnectorError::Unavailable("503".into()).into()),
            None
        );
        assert_eq!(
            permanent_type(ExecutorError::Invalid("no such field".into()).into()),
            Some(INVALID_INPUT)
        );
        assert_eq!(
            permanent_type(ExecutorError::Transient("timeout".into()).into()),
            None
        );
        assert_eq!(
            permanent_type(ExecutorError::Store(StoreError::not_found("a1")).into()),
            Some(NOT_FOUND),
            "a wrapped store error is classified as the store's"
        );
        assert_eq!(
            permanent_type(PipelineError::Invalid("line 3".into()).into()),
            Some(INVALID_INPUT)
        );
        assert_eq!(
            permanent_type(NotifyError::Config("file:missing".into()).into()),
            Some(INVALID_INPUT)
        );
        assert_eq!(
            permanent_type(NotifyError::Transient("502".into()).into()),
            None
        );
        assert_eq!(
            permanent_type(ToolGatewayError::Memory("index busy".into()).into()),
            None
        );
    }
}
