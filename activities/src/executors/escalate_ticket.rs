//! Hands an aging ticket to the support lead (internal).

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::outbox::{OutboxExecutor, OutboxSpec};

pub struct EscalateTicketExecutor;

impl EscalateTicketExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>) -> OutboxExecutor {
        OutboxExecutor::new(
            store,
            OutboxSpec {
                kind: ActionKind::EscalateTicket,
                effect: "ticket_escalated",
                withdrawn: "escalation_withdrawn",
                optional: &["to_role"],
                unconfigured: "no external system configured",
            },
        )
    }
}
