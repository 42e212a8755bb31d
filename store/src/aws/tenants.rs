use async_trait::async_trait;

use super::items::{key, n, s, to_json};
use super::{AwsStore, errors::sdk_err, tenant_pk};
use crate::StoreResult;
use crate::tenants::{Tenant, TenantStore};

/// The tenant item: `T#{tenant}` / `TENANT`, with a `revision` that every `put_tenant` moves
/// (the account-state caches key on it) and the `TENANTS` index entry that lists tenants.
pub(crate) const TENANT_SK: &str = "TENANT";

#[async_trait]
impl TenantStore for AwsStore {
    async fn ensure_tenant(&self, tenant: &Tenant) -> StoreResult<Tenant> {
        let pk = tenant_pk(&tenant.tenant_id);
        let mut item = key(&pk, TENANT_SK);
        item.insert("gsi1pk".into(), s("TENANTS"));
        item.insert("gsi1sk".into(), s(&tenant.tenant_id));
        item.insert("revision".into(), n(0));
        self.set_body(&tenant.tenant_id, &mut item, to_json(tenant)?)
            .await?;
        if self.put_new(self.main(), item).await? {
            return Ok(tenant.clone());
        }
        self.get_tenant(&tenant.tenant_id)
            .await?
            .ok_or_else(|| crate::StoreError::not_found(format!("tenant {}", tenant.tenant_id)))
    }

    async fn get_tenant(&self, tenant_id: &str) -> StoreResult<Option<Tenant>> {
        match self.get_main(&tenant_pk(tenant_id), TENANT_SK).await? {
            Some(item) => Ok(Some(self.body("tenant", &item).await?)),
            None => Ok(None),
        }
    }

    async fn put_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let (name, value) = self
            .body_attribute(&tenant.tenant_id, to_json(tenant)?)
            .await?;
        let other = if name == "body" { "body_ref" } else { "body" };
        self.ddb()
            .update_item()
            .table_name(self.main())
            .set_key(Some(key(tenant_pk(&tenant.tenant_id), TENANT_SK)))
            .update_expression(
                "SET #b = :b, gsi1pk = :g, gsi1sk = :t ADD revision :one REMOVE #other",
            )
            .expression_attribute_names("#b", name)
            .expression_attribute_names("#other", other)
            .expression_attribute_values(":b", value)
            .expression_attribute_values(":g", s("TENANTS"))
            .expression_attribute_values(":t", s(&tenant.tenant_id))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| sdk_err("UpdateItem tenant", e))?;
        Ok(())
    }
}
