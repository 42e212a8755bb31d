use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::items::{key, n, s, string, to_json};
use super::{
    AwsStore,
    errors::{is_condition_failed, sdk_err},
    tenant_pk,
};
use crate::StoreResult;
use crate::connectors::{ConnectorRecord, ConnectorStore};

/// Connectors are `T#{tenant}` / `CONN#{id}`, their cursors `CURSOR#{id}` (moved by a
/// conditional put on the old value), and push-delivery claims
/// `T#{tenant}#PUSH#{connector}` / `{signature}` with the DynamoDB TTL attribute `expires_at`.
#[async_trait]
impl ConnectorStore for AwsStore {
    async fn put_connector(&self, connector: &ConnectorRecord) -> StoreResult<()> {
        let mut item = key(
            tenant_pk(&connector.tenant_id),
            format!("CONN#{}", connector.connector_id),
        );
        self.set_body(&connector.tenant_id, &mut item, to_json(connector)?)
            .await?;
        self.put_item(self.main(), item).await
    }

    async fn get_connector(
        &self,
        tenant_id: &str,
        connector_id: &str,
    ) -> StoreResult<Option<ConnectorRecord>> {
        match self
            .get_main(&tenant_pk(tenant_id), &format!("CONN#{connector_id}"))
            .await?
        {
            Some(item) => Ok(Some(self.body("connector", &item).await?)),
            None => Ok(None),
        }
    }

    async fn list_connectors(&self, tenant_id: &str) -> StoreResult<Vec<ConnectorRecord>> {
        let items = self
            .query_partition(self.main(), &tenant_pk(tenant_id), Some("CONN#"))
            .await?;
        self.bodies("connector", &items).await
    }

    async fn get_cursor(&self, tenant_id: &str, connector_id: &str) -> StoreResult<Option<String>> {
        let item = self
            .get_main(&tenant_pk(tenant_id), &format!("CURSOR#{connector_id}"))
            .await?;
        item.map(|i| string(&i, "cursor").map(str::to_string))
            .transpose()
    }

    async fn set_cursor(
        &self,
        tenant_id: &str,
        connector_id: &str,
        expected: Option<&str>,
        cursor: &str,
    ) -> StoreResult<()> {
        let mut item = key(tenant_pk(tenant_id), format!("CURSOR#{connector_id}"));
        item.insert("cursor".into(), s(cursor));
        // Setting the cursor it already has passes too, so a retried commit succeeds.
        let mut put = self
            .ddb()
            .put_item()
            .table_name(self.main())
            .set_item(Some(item))
            .expression_attribute_names("#c", "cursor")
            .expression_attribute_values(":new", s(cursor));
        put = match expected {
            None => put.condition_expression("attribute_not_exists(pk) OR #c = :new"),
            Some(old) => put
                .condition_expression("#c = :old OR #c = :new")
                .expression_attribute_values(":old", s(old)),
        };
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => {
                let current = self.get_cursor(tenant_id, connector_id).await?;
                Err(crate::StoreError::conflict(format!(
                    "connector {connector_id}: cursor is {current:?}, expected {expected:?}"
                )))
            }
            Err(e) => Err(sdk_err("PutItem cursor", e)),
        }
    }

    async fn claim_push_delivery(
        &self,
        tenant_id: &str,
        connector_id: &str,
        signature: &str,
        now: DateTime<Utc>,
        keep_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut item = key(format!("T#{tenant_id}#PUSH#{connector_id}"), signature);
        item.insert("keep_until_ms".into(), n(keep_until.timestamp_millis()));
        // DynamoDB's TTL deletes the claim some time after its window; until it does, a claim
        // past its window counts as forgotten.
        item.insert("expires_at".into(), n(keep_until.timestamp() + 1));
        match self
            .ddb()
            .put_item()
            .table_name(self.main())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR keep_until_ms < :now")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_err("PutItem push claim", e)),
        }
    }
}
