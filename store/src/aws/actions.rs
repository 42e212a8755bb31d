use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::items::{Item, TransactOutcome, built, key, s, string, to_json};
use super::{AwsStore, errors::sdk_err, tenant_pk};
use crate::StoreResult;
use crate::actions::{ActionRecord, ActionStatus, ActionStore, StatusBacklog, feed_order};

/// An action is `T#{tenant}` / `ACT#{id}` with its `status`; `ACTION#{id}` / `TENANT` says
/// whose it is, for lookups by id alone (the two are created in one transaction).
fn pointer_key(action_id: &str) -> Item {
    key(format!("ACTION#{action_id}"), "TENANT")
}

impl AwsStore {
    async fn action_item(&self, action: &ActionRecord) -> StoreResult<Item> {
        let mut item = key(
            tenant_pk(&action.tenant_id),
            format!("ACT#{}", action.action_id),
        );
        item.insert("status".into(), s(action.status.as_str()));
        // The status index across tenants: the approval backlog for operators' metrics.
        item.insert(
            "gsi1pk".into(),
            s(format!("ACTSTATUS#{}", action.status.as_str())),
        );
        item.insert(
            "gsi1sk".into(),
            s(format!("{}#{}", action.tenant_id, action.action_id)),
        );
        self.set_body(&action.tenant_id, &mut item, to_json(action)?)
            .await?;
        Ok(item)
    }

    async fn tenant_actions(&self, tenant_id: &str) -> StoreResult<Vec<Item>> {
        self.query_partition(self.main(), &tenant_pk(tenant_id), Some("ACT#"))
            .await
    }
}

#[async_trait]
impl ActionStore for AwsStore {
    async fn create_action(&self, action: &ActionRecord) -> StoreResult<ActionRecord> {
        let item = self.action_item(action).await?;
        let mut pointer = pointer_key(&action.action_id);
        pointer.insert("tenant".into(), s(&action.tenant_id));
        let puts = [item, pointer].map(|item| {
            Put::builder()
                .table_name(self.main())
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
        });
        let mut items = Vec::new();
        for put in puts {
            items.push(TransactWriteItem::builder().put(built("Put", put)?).build());
        }
        match self.transact(items).await? {
            TransactOutcome::Committed => Ok(action.clone()),
            TransactOutcome::Cancelled(_) => {
                self.get_action(&action.action_id).await?.ok_or_else(|| {
                    crate::StoreError::new(
                        crate::StoreErrorKind::Unavailable,
                        format!(
                            "action {}: its creation raced another; retry",
                            action.action_id
                        ),
                    )
                })
            }
        }
    }

    async fn save_action(&self, action: &ActionRecord) -> StoreResult<()> {
        let item = self.action_item(action).await?;
        let what = format!("action {} of tenant {}", action.action_id, action.tenant_id);
        self.replace_existing(item, what).await
    }

    async fn get_action(&self, action_id: &str) -> StoreResult<Option<ActionRecord>> {
        let Some(pointer) = self.get_item(self.main(), pointer_key(action_id)).await? else {
            return Ok(None);
        };
        let tenant = string(&pointer, "tenant")?;
        match self
            .get_main(&tenant_pk(tenant), &format!("ACT#{action_id}"))
            .await?
        {
            Some(item) => Ok(Some(self.body("action", &item).await?)),
            None => Ok(None),
        }
    }

    async fn list_actions(
        &self,
        tenant_id: &str,
        status: Option<ActionStatus>,
    ) -> StoreResult<Vec<ActionRecord>> {
        let mut items = self.tenant_actions(tenant_id).await?;
        if let Some(status) = status {
            items.retain(|item| string(item, "status").ok() == Some(status.as_str()));
        }
        let mut actions: Vec<ActionRecord> = self.bodies("action", &items).await?;
        actions.sort_by(feed_order);
        Ok(actions)
    }

    async fn status_backlog(&self, status: ActionStatus) -> StoreResult<Vec<StatusBacklog>> {
        // The status index is eventually consistent: fine for a metric, never for a decision.
        let mut actions: Vec<ActionRecord> = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .ddb()
                .query()
                .table_name(self.main())
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :g")
                .expression_attribute_values(":g", s(format!("ACTSTATUS#{}", status.as_str())))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_err("Query action status", e))?;
            for item in out.items() {
                actions.push(self.body("action", item).await?);
            }
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        Ok(StatusBacklog::tally(&actions))
    }
}
