use async_trait::async_trait;
use revloop_domain::records::{Record, RecordKey};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::de::DeserializeOwned;

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::error::StoreError;
use crate::records::{CitedRecord, MAX_VERSION_WRITES, RecordStore, RecordVersion, VersionWrite};

#[async_trait]
impl RecordStore for SqliteStore {
    async fn latest_version(
        &self,
        tenant_id: &str,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordVersion>> {
        let (t, k) = (tenant_id.to_string(), key.to_string());
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM record_latest WHERE tenant_id = ?1 AND record_key = ?2",
                    params![t, k],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("record version", &b)).transpose()
        })
        .await
    }

    async fn latest_versions(
        &self,
        tenant_id: &str,
        keys: &[RecordKey],
    ) -> StoreResult<Vec<Option<RecordVersion>>> {
        let t = tenant_id.to_string();
        let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
        let bodies = self
            .with(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT body FROM record_latest WHERE tenant_id = ?1 AND record_key = ?2",
                    )
                    .map_err(sql_err)?;
                keys.iter()
                    .map(|k| {
                        stmt.query_row(params![t, k], |r| r.get::<_, String>(0))
                            .optional()
                            .map_err(sql_err)
                    })
                    .collect::<StoreResult<Vec<Option<String>>>>()
            })
            .await?;
        // Decoded outside the connection lock.
        bodies
            .into_iter()
            .map(|b| b.map(|b| from_json("record version", &b)).transpose())
            .collect()
    }

    async fn put_versions(&self, writes: &[VersionWrite]) -> StoreResult<()> {
        if writes.len() > MAX_VERSION_WRITES {
            return Err(StoreError::new(
                crate::StoreErrorKind::Internal,
                format!(
                    "{} version writes in one call; at most {MAX_VERSION_WRITES}",
                    writes.len()
                ),
            ));
        }
        // Encoded outside the connection lock; one body serves both tables.
        let rows: Vec<(VersionWrite, String)> = writes
            .iter()
            .map(|w| Ok((w.clone(), to_json(&w.version)?)))
            .collect::<StoreResult<_>>()?;
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            for (write, body) in &rows {
                let v = &write.version;
                let key = v.key.to_string();
                let current: Option<String> = tx
                    .prepare_cached(
                        "SELECT content_hash FROM record_latest WHERE tenant_id = ?1 AND record_key = ?2",
                    )
                    .map_err(sql_err)?
                    .query_row(params![v.tenant_id, key], |r| r.get(0))
                    .optional()
                    .map_err(sql_err)?;
                if current.as_deref() == Some(v.content_hash.as_str()) {
                    continue;
                }
                if current != write.expected_hash {
                    // Dropping the transaction rolls back the batch's earlier writes.
                    return Err(StoreError::conflict(format!(
                        "record {key}: latest hash is {current:?}, expected {:?}",
                        write.expected_hash
                    )));
                }
                tx.prepare_cached(
                    "INSERT INTO record_latest (tenant_id, record_key, account_id, content_hash, body) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (tenant_id, record_key) DO UPDATE SET account_id = ?3, content_hash = ?4, body = ?5",
                )
                .map_err(sql_err)?
                .execute(params![v.tenant_id, key, v.account_id, v.content_hash, body])
                .map_err(sql_err)?;
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO record_versions (tenant_id, evidence_ref, body, account_id) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sql_err)?
                .execute(params![v.tenant_id, v.evidence_ref, body, v.account_id])
                .map_err(sql_err)?;
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn account_cited_records(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<CitedRecord>> {
        let (t, a) = (tenant_id.to_string(), account_id.to_string());
        let rows = self.with(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT json_extract(body, '$.record'), json_extract(body, '$.evidence_ref') FROM record_latest WHERE tenant_id = ?1 AND account_id = ?2 ORDER BY record_key")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, a], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(sql_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
        })
        .await?;
        // Decoded after the connection is released, so other calls can use it meanwhile.
        cite_on_blocking_pool(rows).await
    }

    async fn version_by_ref(
        &self,
        tenant_id: &str,
        evidence_ref: &str,
    ) -> StoreResult<Option<RecordVersion>> {
        let (t, r) = (tenant_id.to_string(), evidence_ref.to_string());
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM record_versions WHERE tenant_id = ?1 AND evidence_ref = ?2",
                    params![t, r],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("record version", &b)).transpose()
        })
        .await
    }

    async fn account_versions(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<RecordVersion>> {
        let (t, a) = (tenant_id.to_string(), account_id.to_string());
        let bodies = self
            .with(move |c| {
                let mut stmt = c
                    .prepare_cached("SELECT body FROM record_versions WHERE tenant_id = ?1 AND account_id = ?2 ORDER BY rowid")
                    .map_err(sql_err)?;
                let rows = stmt.query_map(params![t, a], |r| r.get::<_, String>(0)).map_err(sql_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
            })
            .await?;
        parse_on_blocking_pool("record version", bodies).await
    }

    async fn records_after_many(
        &self,
        tenant_id: &str,
        after: &[(String, i64)],
    ) -> StoreResult<Option<Vec<(Vec<CitedRecord>, i64)>>> {
        let (t, after) = (tenant_id.to_string(), after.to_vec());
        let per_account = self
            .with(move |c| {
                // The versions' rowids are the account revision's `versions` stamp.
                let mut stmt = c
                    .prepare_cached("SELECT rowid, json_extract(body, '$.record'), evidence_ref FROM record_versions WHERE tenant_id = ?1 AND account_id = ?2 AND rowid > ?3 ORDER BY rowid")
                    .map_err(sql_err)?;
                after
                    .iter()
                    .map(|(account, stamp)| {
                        let rows = stmt
                            .query_map(params![t, account, stamp], |r| {
                                Ok((r.get::<_, i64>(0)?, (r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
                            })
                            .map_err(sql_err)?
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(sql_err)?;
                        let now = rows.last().map_or(*stamp, |(rowid, _)| *rowid);
                        Ok((rows.into_iter().map(|(_, row)| row).collect::<Vec<_>>(), now))
                    })
                    .collect::<StoreResult<Vec<_>>>()
            })
            .await?;
        let counts: Vec<(usize, i64)> =
            per_account.iter().map(|(b, now)| (b.len(), *now)).collect();
        let rows: Vec<(String, String)> = per_account.into_iter().flat_map(|(b, _)| b).collect();
        let mut records = cite_on_blocking_pool(rows).await?.into_iter();
        Ok(Some(
            counts
                .into_iter()
                .map(|(n, now)| (records.by_ref().take(n).collect(), now))
                .collect(),
        ))
    }

    async fn versions_by_refs(
        &self,
        tenant_id: &str,
        evidence_refs: &[String],
    ) -> StoreResult<Vec<RecordVersion>> {
        if evidence_refs.is_empty() {
            return Ok(Vec::new());
        }
        let (t, refs) = (tenant_id.to_string(), evidence_refs.to_vec());
        let bodies = self
            .with(move |c| {
                let mut stmt = c
                    .prepare_cached("SELECT body FROM record_versions WHERE tenant_id = ?1 AND evidence_ref = ?2")
                    .map_err(sql_err)?;
                let mut bodies = Vec::with_capacity(refs.len());
                for r in &refs {
                    if let Some(body) = stmt.query_row(params![t, r], |row| row.get::<_, String>(0)).optional().map_err(sql_err)? {
                        bodies.push(body);
                    }
                }
                Ok(bodies)
            })
            .await?;
        parse_on_blocking_pool("record version", bodies).await
    }
}

/// Decodes (record JSON, evidence ref) rows on the blocking pool, outside the connection lock.
async fn cite_on_blocking_pool(rows: Vec<(String, String)>) -> StoreResult<Vec<CitedRecord>> {
    let (bodies, refs): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
    let records = parse_on_blocking_pool::<Record>("record", bodies).await?;
    Ok(records
        .into_iter()
        .zip(refs)
        .map(|(record, evidence_ref)| CitedRecord {
            record,
            evidence_ref,
        })
        .collect())
}

/// Decodes stored JSON bodies on the blocking pool, outside the connection lock.
async fn parse_on_blocking_pool<T: DeserializeOwned + Send + 'static>(
    what: &'static str,
    bodies: Vec<String>,
) -> StoreResult<Vec<T>> {
    tokio::task::spawn_blocking(move || bodies.iter().map(|b| from_json(what, b)).collect())
        .await
        .map_err(|e| {
            StoreError::new(
                crate::error::StoreErrorKind::Internal,
                format!("decoding task failed: {e}"),
            )
        })?
}
