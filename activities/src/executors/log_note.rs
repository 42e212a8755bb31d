//! Logs a note on the account (internal).

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::outbox::{OutboxExecutor, OutboxSpec};

pub struct LogNoteExecutor;

impl LogNoteExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>) -> OutboxExecutor {
        OutboxExecutor::new(
            store,
            OutboxSpec {
                kind: ActionKind::LogNote,
                effect: "note_logged",
                withdrawn: "note_retracted",
                optional: &[],
            },
        )
    }
}
