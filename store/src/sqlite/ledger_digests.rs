use async_trait::async_trait;
use revloop_domain::ledger::LedgerDigest;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::ledger_digests::LedgerDigestStore;
use crate::{StoreError, StoreResult};

#[async_trait]
impl LedgerDigestStore for SqliteStore {
    async fn put_digest(&self, digest: &LedgerDigest) -> StoreResult<()> {
        let (tenant, to_seq, body) = (digest.tenant_id.clone(), digest.to_seq, to_json(digest)?);
        self.with(move |c| {
            let inserted = c
                .execute(
                    "INSERT OR IGNORE INTO ledger_digests (tenant_id, to_seq, body) VALUES (?1, ?2, ?3)",
                    params![tenant, to_seq as i64, body],
                )
                .map_err(sql_err)?;
            if inserted == 0 {
                return Err(StoreError::conflict(format!(
                    "tenant {tenant} already has a ledger digest ending at entry {to_seq}; digests are write-once"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn get_digest(&self, tenant_id: &str, to_seq: u64) -> StoreResult<Option<LedgerDigest>> {
        let t = tenant_id.to_string();
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM ledger_digests WHERE tenant_id = ?1 AND to_seq = ?2",
                    params![t, to_seq as i64],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("ledger digest", &b)).transpose()
        })
        .await
    }

    async fn latest_digest(&self, tenant_id: &str) -> StoreResult<Option<LedgerDigest>> {
        let t = tenant_id.to_string();
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM ledger_digests WHERE tenant_id = ?1 ORDER BY to_seq DESC LIMIT 1",
                    params![t],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("ledger digest", &b)).transpose()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Object Lock does on S3, the triggers do here: even a writer with the database file
    /// open, bypassing the store, can neither rewrite nor delete a kept digest.
    #[tokio::test]
    async fn the_database_itself_refuses_to_rewrite_or_remove_a_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("revloop.db");
        let store = SqliteStore::open(&path).unwrap();
        let digest = LedgerDigest {
            version: 1,
            tenant_id: "t1".into(),
            from_seq: 1,
            to_seq: 3,
            root: "root".into(),
            head_hash: "head".into(),
            created_at: chrono::Utc::now(),
            public_key: "ab".repeat(32),
            signature: "cd".repeat(64),
        };
        store.put_digest(&digest).await.unwrap();
        let raw = rusqlite::Connection::open(&path).unwrap();
        let update = raw.execute(
            "UPDATE ledger_digests SET body = '{}' WHERE tenant_id = 't1'",
            [],
        );
        assert!(
            update.unwrap_err().to_string().contains("write-once"),
            "an UPDATE went through"
        );
        let delete = raw.execute("DELETE FROM ledger_digests WHERE tenant_id = 't1'", []);
        assert!(delete.unwrap_err().to_string().contains("write-once"));
        assert_eq!(store.get_digest("t1", 3).await.unwrap().unwrap(), digest);
    }
}
