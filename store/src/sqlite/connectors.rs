use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::connectors::{ConnectorRecord, ConnectorStore};

#[async_trait]
impl ConnectorStore for SqliteStore {
    async fn put_connector(&self, connector: &ConnectorRecord) -> StoreResult<()> {
        let (c, body) = (connector.clone(), to_json(connector)?);
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO connectors (tenant_id, connector_id, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id, connector_id) DO UPDATE SET body = ?3",
                params![c.tenant_id, c.connector_id, body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_connector(
        &self,
        tenant_id: &str,
        connector_id: &str,
    ) -> StoreResult<Option<ConnectorRecord>> {
        let (t, id) = (tenant_id.to_string(), connector_id.to_string());
        self.with(move |conn| {
            let body: Option<String> = conn
                .query_row(
                    "SELECT body FROM connectors WHERE tenant_id = ?1 AND connector_id = ?2",
                    params![t, id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("connector", &b)).transpose()
        })
        .await
    }

    async fn get_cursor(&self, tenant_id: &str, connector_id: &str) -> StoreResult<Option<String>> {
        let (t, id) = (tenant_id.to_string(), connector_id.to_string());
        self.with(move |conn| {
            conn.query_row(
                "SELECT cursor FROM connector_cursors WHERE tenant_id = ?1 AND connector_id = ?2",
                params![t, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn set_cursor(
        &self,
        tenant_id: &str,
        connector_id: &str,
        expected: Option<&str>,
        cursor: &str,
    ) -> StoreResult<()> {
        let (t, id) = (tenant_id.to_string(), connector_id.to_string());
        let (expected, cursor) = (expected.map(str::to_string), cursor.to_string());
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql_err)?;
            let current: Option<String> = tx
                .query_row("SELECT cursor FROM connector_cursors WHERE tenant_id = ?1 AND connector_id = ?2", params![t, id], |r| r.get(0))
                .optional()
                .map_err(sql_err)?;
            if current.as_deref() == Some(cursor.as_str()) {
                return Ok(());
            }
            if current != expected {
                return Err(crate::StoreError::conflict(format!("connector {id}: cursor is {current:?}, expected {expected:?}")));
            }
            tx.execute(
                "INSERT INTO connector_cursors (tenant_id, connector_id, cursor) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id, connector_id) DO UPDATE SET cursor = ?3",
                params![t, id, cursor],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn list_connectors(&self, tenant_id: &str) -> StoreResult<Vec<ConnectorRecord>> {
        let t = tenant_id.to_string();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare("SELECT body FROM connectors WHERE tenant_id = ?1 ORDER BY connector_id")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([t], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            rows.map(|b| from_json("connector", &b.map_err(sql_err)?))
                .collect()
        })
        .await
    }

    async fn claim_push_delivery(
        &self,
        tenant_id: &str,
        connector_id: &str,
        signature: &str,
        now: DateTime<Utc>,
        keep_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (t, id, sig) = (
            tenant_id.to_string(),
            connector_id.to_string(),
            signature.to_string(),
        );
        let (now_ms, keep_ms) = (now.timestamp_millis(), keep_until.timestamp_millis());
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            tx.execute(
                "DELETE FROM push_deliveries WHERE keep_until_ms < ?1",
                params![now_ms],
            )
            .map_err(sql_err)?;
            let inserted = tx
                .execute(
                    "INSERT INTO push_deliveries (tenant_id, connector_id, signature, keep_until_ms)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![t, id, sig, keep_ms],
                )
                .map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(inserted == 1)
        })
        .await
    }
}
