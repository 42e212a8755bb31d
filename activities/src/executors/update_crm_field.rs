//! Updates one CRM field (an internal mutation) and keeps the previous value so it can be
//! restored.
//!
//! With the tenant's `[crm]`, exactly once across crashes: the field's value before the write is
//! recorded first (`crm_field_prior`, under the action's key), and the write is made only while
//! the field does not hold the new value yet. A retry after a worker died mid-call therefore
//! finds the value in place and writes nothing; the recorded prior value, not the one the
//! first try left, is what undo restores. Undo refuses when a person has changed the field since,
//! rather than overwrite their edit. Without `[crm]` the change is kept in revloop's outbox.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use revloop_domain::crm_config::FieldTarget;
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::{Value, json};

use super::outbox::{OutboxExecutor, OutboxSpec};
use super::{ActionExecutor, ExecutorError, param, record, recorded};
use crate::crm::salesforce::{WRITABLE_FIELDS, salesforce_field};
use crate::crm::{CrmWriteBack, SalesforceOrg};

const EFFECT: &str = "crm_field_updated";

pub struct UpdateCrmFieldExecutor {
    store: Arc<dyn Store>,
    crm: CrmWriteBack,
    outbox: OutboxExecutor,
}

impl UpdateCrmFieldExecutor {
    pub fn new(store: Arc<dyn Store>, crm: CrmWriteBack) -> Self {
        let outbox = OutboxExecutor::new(
            store.clone(),
            OutboxSpec {
                kind: ActionKind::UpdateCrmField,
                effect: "crm_field_updated",
                withdrawn: "crm_field_restored",
                optional: &["previous_value"],
                unconfigured: "no CRM configured",
            },
        );
        Self { store, crm, outbox }
    }
}

/// The field in Salesforce: object, field name and record id.
struct Located {
    sobject: &'static str,
    field: &'static str,
    id: String,
}

fn locate(action: &ActionRecord) -> Result<(FieldTarget, Located), ExecutorError> {
    let invalid = |m: String| ExecutorError::Invalid(format!("action {}: {m}", action.action_id));
    let target =
        FieldTarget::parse(param(action, "entity")?, param(action, "field")?).map_err(invalid)?;
    let (sobject, field) =
        salesforce_field(&target.entity_type, &target.field).ok_or_else(|| {
            invalid(format!(
                "{}.{} is not a field revloop writes; writable: {WRITABLE_FIELDS}",
                target.entity_type, target.field
            ))
        })?;
    let id = target.entity_id.clone();
    Ok((target, Located { sobject, field, id }))
}

/// The value as Salesforce takes it: a number for a numeric field given as text.
fn wire_value(field: &str, value: &Value) -> Value {
    match (field, value.as_str()) {
        ("Amount", Some(text)) => text
            .trim()
            .parse::<f64>()
            .map(|n| json!(n))
            .unwrap_or_else(|_| value.clone()),
        _ => value.clone(),
    }
}

/// Whether two field values are the same value (`240000` and `240000.0` are).
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

impl UpdateCrmFieldExecutor {
    async fn org(&self, action: &ActionRecord) -> Result<SalesforceOrg, ExecutorError> {
        self.crm.org(&action.tenant_id).await?.ok_or_else(|| {
            ExecutorError::Invalid(format!(
                "action {}: the field was written to Salesforce, but the tenant has no [crm] to restore it through",
                action.action_id
            ))
        })
    }
}

#[async_trait]
impl ActionExecutor for UpdateCrmFieldExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::UpdateCrmField
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let Some(org) = self.crm.org(&action.tenant_id).await? else {
            return self.outbox.execute(action, key, now).await;
        };
        if let Some(done) = recorded(&*self.store, action, key).await? {
            return Ok((done, false));
        }
        let (target, at) = locate(action)?;
        let value = wire_value(at.field, &action.proposal.params["value"]);
        if value.is_null() {
            return Err(ExecutorError::Invalid(format!(
                "action {}: parameter \"value\" is missing",
                action.action_id
            )));
        }
        let current = org.field(at.sobject, &at.id, at.field).await?;
        let (prior, _) = record(
            &*self.store,
            action,
            &format!("{key}/prior"),
            "crm_field_prior",
            json!({ "sobject": at.sobject, "salesforce_id": at.id, "field": at.field, "value": current }),
            now,
        )
        .await?;
        let previous = prior.payload["value"].clone();
        let written = !same(&current, &value);
        if written {
            org.update(at.sobject, &at.id, &json!({ at.field: value }))
                .await?;
        }
        let payload = json!({
            "entity": format!("{}:{}", target.entity_type, target.entity_id),
            "field": target.field,
            "sobject": at.sobject,
            "salesforce_field": at.field,
            "salesforce_id": at.id,
            "previous_value": previous,
            "value": value,
            "account_id": action.account_id,
            "delivery": if written {
                format!("written to Salesforce: {}.{} of {}", at.sobject, at.field, at.id)
            } else {
                format!("already in Salesforce: {}.{} of {} holds the value", at.sobject, at.field, at.id)
            },
        });
        record(&*self.store, action, key, EFFECT, payload, now).await
    }

    /// Restores the recorded previous value, unless someone changed the field since.
    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let written = recorded(&*self.store, action, key)
            .await?
            .filter(|e| e.payload.get("salesforce_id").is_some());
        let Some(written) = written else {
            return self.outbox.compensate(action, key, now).await;
        };
        let restored_key = format!("{key}/compensate");
        if let Some(done) = recorded(&*self.store, action, &restored_key).await? {
            return Ok((done, false));
        }
        let org = self.org(action).await?;
        let p = &written.payload;
        let (sobject, field, id) = (
            p["sobject"].as_str().unwrap_or_default(),
            p["salesforce_field"].as_str().unwrap_or_default(),
            p["salesforce_id"].as_str().unwrap_or_default(),
        );
        let now_there = org.field(sobject, id, field).await?;
        if !same(&now_there, &p["value"]) && !same(&now_there, &p["previous_value"]) {
            return Err(ExecutorError::Invalid(format!(
                "action {}: {sobject}.{field} of {id} was changed since revloop wrote it (it holds {now_there} now); not restored",
                action.action_id
            )));
        }
        if !same(&now_there, &p["previous_value"]) {
            org.update(sobject, id, &json!({ field: p["previous_value"] }))
                .await?;
        }
        record(
            &*self.store,
            action,
            &restored_key,
            "crm_field_restored",
            json!({
                "sobject": sobject,
                "salesforce_field": field,
                "salesforce_id": id,
                "value": p["previous_value"],
                "replaced": p["value"],
            }),
            now,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_as_numbers_and_compare_as_numbers() {
        assert_eq!(wire_value("Amount", &json!("250000")), json!(250000.0));
        assert_eq!(wire_value("Amount", &json!("a lot")), json!("a lot"));
        assert_eq!(wire_value("NextStep", &json!("42")), json!("42"));
        assert!(same(&json!(240000), &json!(240000.0)));
        assert!(!same(&json!("Call"), &json!("Email")));
        assert!(!same(&Value::Null, &json!("")));
    }
}
