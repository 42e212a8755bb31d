//! Queues an email (check-in, introduction, congratulations) to one contact. Customer-facing: the workflow only gets here after a person approved it.

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::outbox::{OutboxExecutor, OutboxSpec};

pub struct SendEmailExecutor;

impl SendEmailExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>) -> OutboxExecutor {
        OutboxExecutor::new(
            store,
            OutboxSpec {
                kind: ActionKind::SendEmail,
                effect: "email_queued",
                withdrawn: "email_withdrawn",
                optional: &["contact_id"],
            },
        )
    }
}
