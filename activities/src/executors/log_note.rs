//! Logs a note on the account: a completed Salesforce Task with the tenant's `[crm]` (the form
//! notes take in an activity timeline), else a note in revloop's outbox.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Store};
use serde_json::{Value, json};

use super::ExecutorError;
use super::crm_task::{CrmTaskExecutor, CrmTaskSpec, subject};
use super::outbox::OutboxSpec;
use super::param;
use crate::crm::CrmWriteBack;

pub struct LogNoteExecutor;

fn note_fields(action: &ActionRecord, now: DateTime<Utc>) -> Result<Value, ExecutorError> {
    let body = param(action, "body")?;
    Ok(json!({
        "Subject": subject(&format!("Note: {}", action.proposal.title)),
        "Status": "Completed",
        "Priority": "Normal",
        "ActivityDate": now.date_naive().to_string(),
        "Description": body,
    }))
}

impl LogNoteExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>, crm: CrmWriteBack) -> CrmTaskExecutor {
        CrmTaskExecutor::new(
            store,
            crm,
            CrmTaskSpec {
                effect: "crm_note_logged",
                fields: note_fields,
                outbox: OutboxSpec {
                    kind: ActionKind::LogNote,
                    effect: "note_logged",
                    withdrawn: "note_retracted",
                    optional: &[],
                    unconfigured: "no CRM configured",
                },
            },
        )
    }
}
