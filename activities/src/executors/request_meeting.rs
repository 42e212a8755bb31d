//! Queues a meeting request to one contact. Customer-facing: only after approval.

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::outbox::{OutboxExecutor, OutboxSpec};

pub struct RequestMeetingExecutor;

impl RequestMeetingExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>) -> OutboxExecutor {
        OutboxExecutor::new(
            store,
            OutboxSpec {
                kind: ActionKind::RequestMeeting,
                effect: "meeting_requested",
                withdrawn: "meeting_request_withdrawn",
                optional: &["contact_id"],
            },
        )
    }
}
