//! Creates a task for the account owner: a Salesforce Task with the tenant's `[crm]`, else a
//! task in revloop's outbox.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Store};
use serde_json::{Value, json};

use super::ExecutorError;
use super::crm_task::{CrmTaskExecutor, CrmTaskSpec, owner_id, subject};
use super::outbox::OutboxSpec;
use super::param;
use crate::crm::CrmWriteBack;

pub struct CreateTaskExecutor;

fn task_fields(action: &ActionRecord, _now: DateTime<Utc>) -> Result<Value, ExecutorError> {
    let mut fields = json!({
        "Subject": subject(param(action, "title")?),
        "Status": "Not Started",
        "Priority": "Normal",
        "Description": format!(
            "{}\n\nProposed by revloop (action {}).",
            action.proposal.why_now, action.action_id
        ),
    });
    if let Some(due) = action.proposal.params["due_date"]
        .as_str()
        .and_then(|d| d.get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        fields["ActivityDate"] = json!(due.to_string());
    }
    if let Some(owner) = owner_id(action) {
        fields["OwnerId"] = json!(owner);
    }
    Ok(fields)
}

impl CreateTaskExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>, crm: CrmWriteBack) -> CrmTaskExecutor {
        CrmTaskExecutor::new(
            store,
            crm,
            CrmTaskSpec {
                effect: "crm_task_created",
                fields: task_fields,
                outbox: OutboxSpec {
                    kind: ActionKind::CreateTask,
                    effect: "task_created",
                    withdrawn: "task_cancelled",
                    optional: &["due_date", "owner"],
                    unconfigured: "no CRM configured",
                },
            },
        )
    }
}
