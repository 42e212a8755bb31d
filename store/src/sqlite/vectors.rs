use async_trait::async_trait;
use revloop_domain::world::memory::Chunk;
use rusqlite::params;

use super::{SqliteStore, sql_err};
use crate::StoreResult;
use crate::vectors::{StoredVector, VectorStore, record_of};

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(crate) fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[async_trait]
impl VectorStore for SqliteStore {
    async fn replace_vectors(
        &self,
        tenant_id: &str,
        records: &[String],
        vectors: &[StoredVector],
    ) -> StoreResult<()> {
        let (t, records, vectors) = (tenant_id.to_string(), records.to_vec(), vectors.to_vec());
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            for record in &records {
                tx.prepare_cached("DELETE FROM chunk_vectors WHERE tenant_id = ?1 AND record = ?2")
                    .map_err(sql_err)?
                    .execute(params![t, record])
                    .map_err(sql_err)?;
            }
            for v in &vectors {
                let c = &v.chunk;
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO chunk_vectors
                     (tenant_id, chunk_id, record, account_id, kind, evidence_ref, text, model, vector)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(sql_err)?
                .execute(params![
                    t,
                    c.chunk_id,
                    record_of(&c.chunk_id),
                    c.account_id,
                    c.kind,
                    c.evidence_ref,
                    c.text,
                    v.model,
                    to_blob(&v.vector)
                ])
                .map_err(sql_err)?;
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn vectors(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        model: &str,
    ) -> StoreResult<Vec<StoredVector>> {
        let (t, a, m) = (
            tenant_id.to_string(),
            account_id.map(str::to_string),
            model.to_string(),
        );
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT chunk_id, account_id, kind, evidence_ref, text, vector FROM chunk_vectors
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR account_id = ?2) AND model = ?3
                     ORDER BY chunk_id",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, a, m], |r| {
                    Ok(StoredVector {
                        chunk: Chunk {
                            chunk_id: r.get(0)?,
                            account_id: r.get(1)?,
                            kind: r.get(2)?,
                            evidence_ref: r.get(3)?,
                            text: r.get(4)?,
                        },
                        model: m.clone(),
                        vector: from_blob(&r.get::<_, Vec<u8>>(5)?),
                    })
                })
                .map_err(sql_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_as_blobs() {
        let v = [0.6f32, -0.8, 0.0, f32::MIN_POSITIVE];
        assert_eq!(from_blob(&to_blob(&v)), v);
    }
}
