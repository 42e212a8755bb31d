use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::tenants::{Tenant, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn ensure_tenant(&self, tenant: &Tenant) -> StoreResult<Tenant> {
        let (id, body) = (tenant.tenant_id.clone(), to_json(tenant)?);
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO tenants (tenant_id, body) VALUES (?1, ?2)",
                params![id, body],
            )
            .map_err(sql_err)?;
            let body: String = c
                .query_row(
                    "SELECT body FROM tenants WHERE tenant_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            from_json("tenant", &body)
        })
        .await
    }

    async fn put_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let (id, body) = (tenant.tenant_id.clone(), to_json(tenant)?);
        self.with(move |c| {
            c.execute(
                "INSERT INTO tenants (tenant_id, body) VALUES (?1, ?2) ON CONFLICT (tenant_id) DO UPDATE SET body = ?2, revision = revision + 1",
                params![id, body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_tenant(&self, tenant_id: &str) -> StoreResult<Option<Tenant>> {
        let id = tenant_id.to_string();
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM tenants WHERE tenant_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("tenant", &b)).transpose()
        })
        .await
    }
}
