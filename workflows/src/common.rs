//! Small helpers shared by the workflows: workflow time, activity and child options, and the
//! tolerant payload decoding that keeps a malformed signal from wedging a workflow.

use std::time::Duration;

use chrono::{DateTime, Utc};
use revloop_activities::search_attributes;
use temporalio_common::RetryPolicy;
use temporalio_common::data_converters::RawValue;
use temporalio_sdk::{ActivityOptions, ChildWorkflowOptions, ParentClosePolicy};

/// Workflow time as a chrono instant (never the machine clock).
pub fn workflow_now(time: Option<std::time::SystemTime>) -> DateTime<Utc> {
    time.map(DateTime::<Utc>::from)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// How long a short activity may run: store reads and writes, the gateway, a token check.
/// They finish in milliseconds; when a worker dies in one, the retry starts after this.
pub const SHORT_ACTIVITY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a model call or an action's side effect may run before it is retried.
pub const CALL_ACTIVITY_TIMEOUT: Duration = Duration::from_secs(60);

/// For activities that call out (a decision model, an executor's side effect): they retry with
/// backoff until they succeed or fail non-retryably; the type names below come from
/// `revloop_activities::error`.
pub fn activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(CALL_ACTIVITY_TIMEOUT)
        .retry_policy(retry_policy())
        .build()
}

/// For an action's side effect (and its undo): a call's minute to finish, and a heartbeat, so
/// a worker that dies mid-call is retried after 15 s rather than after the minute.
pub fn side_effect_activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(CALL_ACTIVITY_TIMEOUT)
        .heartbeat_timeout(Duration::from_secs(15))
        .retry_policy(retry_policy())
        .build()
}

/// For one decision-model call: two minutes a call, retried with backoff when the provider
/// throttles (the SDK's own retries are off).
pub fn model_activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(120))
        .retry_policy(retry_policy())
        .build()
}

/// For short activities: a crashed worker's attempt is retried after
/// [`SHORT_ACTIVITY_TIMEOUT`], not after a call's minute.
pub fn short_activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(SHORT_ACTIVITY_TIMEOUT)
        .retry_policy(retry_policy())
        .build()
}

fn retry_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_millis(500))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(30))
        .non_retryable_error_types(["InvalidInput", "TenantMismatch", "NotFound"])
        .build()
}

/// For activities that heartbeat (pulls, and every step that reads a whole batch): they may
/// run as long as a batch of any size needs, and a dead worker is noticed after 20 s.
pub fn heartbeating_activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30 * 60))
        .heartbeat_timeout(Duration::from_secs(20))
        .retry_policy(retry_policy())
        .build()
}

pub struct Child<'a> {
    pub workflow_id: String,
    pub tenant_id: &'a str,
    pub account_id: Option<&'a str>,
    pub trace_id: &'a str,
    pub kind: &'a str,
    pub summary: String,
    /// Keep running when the parent completes (approvals outlive the decision that asked).
    pub outlive_parent: bool,
}

pub fn child_options(child: Child<'_>) -> ChildWorkflowOptions {
    ChildWorkflowOptions::builder()
        .workflow_id(child.workflow_id)
        .parent_close_policy(if child.outlive_parent {
            ParentClosePolicy::Abandon
        } else {
            ParentClosePolicy::Terminate
        })
        .search_attributes(search_attributes::for_workflow(
            child.tenant_id,
            child.account_id,
            Some(child.trace_id),
            child.kind,
        ))
        .static_summary(child.summary)
        .build()
}

/// Decodes a signal's raw payloads into JSON without ever failing: no payload is `null`, a
/// payload that is not JSON becomes a value the validators will refuse, with the reason.
pub fn payload_json(raw: &RawValue) -> serde_json::Value {
    let Some(payload) = raw.payloads.first() else {
        return serde_json::Value::Null;
    };
    let encoding = payload
        .metadata
        .get("encoding")
        .map(|e| String::from_utf8_lossy(e).to_string())
        .unwrap_or_default();
    match encoding.as_str() {
        "json/plain" => serde_json::from_slice(&payload.data).unwrap_or_else(
            |e| serde_json::json!({ "undecodable_payload": format!("not JSON: {e}") }),
        ),
        "binary/null" | "" if payload.data.is_empty() => serde_json::Value::Null,
        other => {
            serde_json::json!({ "undecodable_payload": format!("unsupported encoding {other:?}") })
        }
    }
}

#[cfg(test)]
mod timeout_tests {
    use temporalio_sdk::ActivityCloseTimeouts;

    use super::*;

    fn start_to_close(options: ActivityOptions) -> Duration {
        match options.close_timeouts {
            ActivityCloseTimeouts::StartToClose(d) => d,
            other => panic!("a start-to-close timeout, not {other:?}"),
        }
    }

    /// Security finding 14: a worker that dies in a short activity held its action for the
    /// 60 s a call may take. Short steps now retry after 10 s, batch steps after a missed
    /// 20 s heartbeat.
    #[test]
    fn a_crashed_attempt_is_retried_after_a_timeout_that_fits_the_step() {
        assert_eq!(
            start_to_close(short_activity_options()),
            Duration::from_secs(10)
        );
        assert_eq!(start_to_close(activity_options()), Duration::from_secs(60));
        let batch = heartbeating_activity_options();
        assert_eq!(batch.heartbeat_timeout, Some(Duration::from_secs(20)));
        assert!(start_to_close(batch) >= Duration::from_secs(30 * 60));
    }
}
