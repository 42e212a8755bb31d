//! AWS SDK errors as store errors, classified once here: a lost condition is a `Conflict`,
//! throttling, timeouts and unreachable endpoints are `Unavailable`, the rest `Internal`.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::error::{StoreError, StoreErrorKind};

/// Error codes that mean "try again later" on DynamoDB and S3.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "SlowDown",
    "TransactionInProgressException",
    "TransactionConflictException",
];

/// Converts any SDK call's error, naming the operation (`what`) it came from.
pub(crate) fn sdk_err<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let kind = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreErrorKind::Unavailable
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some("ConditionalCheckFailedException") | Some("PreconditionFailed") => {
                StoreErrorKind::Conflict
            }
            Some("ResourceNotFoundException") | Some("NoSuchBucket") => StoreErrorKind::Unavailable,
            Some(code) if RETRYABLE_CODES.contains(&code) => StoreErrorKind::Unavailable,
            _ => StoreErrorKind::Internal,
        },
        _ => StoreErrorKind::Internal,
    };
    let detail = match &e {
        SdkError::ServiceError(service) => format!(
            "{}: {}",
            service.err().code().unwrap_or("error"),
            service.err().message().unwrap_or("no message")
        ),
        other => error_chain(other),
    };
    StoreError::new(kind, format!("{what}: {detail}"))
}

/// The error and its sources in one line (the SDK's own `Display` says only "dispatch failure").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The error code of a service error, if the call got that far.
pub(crate) fn code_of<E, R>(e: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match e {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Whether the call lost its condition (`ConditionalCheckFailedException` on DynamoDB,
/// `412 PreconditionFailed` on S3).
pub(crate) fn is_condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(
        code_of(e),
        Some("ConditionalCheckFailedException") | Some("PreconditionFailed")
    )
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::new(StoreErrorKind::Corrupt, what.to_string())
}

pub(crate) fn internal(what: impl std::fmt::Display) -> StoreError {
    StoreError::new(StoreErrorKind::Internal, what.to_string())
}
