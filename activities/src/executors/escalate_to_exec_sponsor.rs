//! Queues a message to the customer's executive sponsor about an escalated ticket. Customer-facing: only after approval.

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::outbox::{OutboxExecutor, OutboxSpec};

pub struct EscalateToExecSponsorExecutor;

impl EscalateToExecSponsorExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>) -> OutboxExecutor {
        OutboxExecutor::new(
            store,
            OutboxSpec {
                kind: ActionKind::EscalateToExecSponsor,
                effect: "exec_sponsor_email_queued",
                withdrawn: "exec_sponsor_email_withdrawn",
                optional: &["contact_id"],
                unconfigured: "no external system configured",
            },
        )
    }
}
