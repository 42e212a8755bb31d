//! Updates one CRM field (internal mutation); keeps the previous value so it can be restored.

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::outbox::{OutboxExecutor, OutboxSpec};

pub struct UpdateCrmFieldExecutor;

impl UpdateCrmFieldExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>) -> OutboxExecutor {
        OutboxExecutor::new(
            store,
            OutboxSpec {
                kind: ActionKind::UpdateCrmField,
                effect: "crm_field_updated",
                withdrawn: "crm_field_restored",
                optional: &["previous_value"],
            },
        )
    }
}
