//! Memory ranked by meaning: each chunk is embedded with an Amazon Bedrock Titan text
//! embeddings model (`InvokeModel`, normalized vectors) and stored with its vector in a SQLite
//! file; a search embeds the query the same way and ranks the tenant's chunks (or one
//! account's) by cosine similarity. Off unless `REVLOOP_MEMORY_BACKEND=titan`.
//!
//! The scan is exact and linear in the tenant's chunks, which suits the embedded deployment's
//! sizes; a vector index can replace it behind the same trait.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::DisplayErrorContext;
use aws_sdk_bedrockruntime::primitives::Blob;
use revloop_domain::world::memory::Chunk;
use revloop_store::sqlite::open_shared;
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::{MemoryError, MemoryHit, MemoryIndex, record_of};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS chunk_vectors (
    tenant_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    record TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    evidence_ref TEXT NOT NULL,
    text TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (tenant_id, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunk_vectors_by_record ON chunk_vectors (tenant_id, record);
CREATE INDEX IF NOT EXISTS chunk_vectors_by_account ON chunk_vectors (tenant_id, account_id);
";

/// The body Titan text embeddings models answer with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitanEmbedding {
    embedding: Vec<f32>,
}

fn err(what: &str, e: impl std::fmt::Display) -> MemoryError {
    MemoryError(format!("{what}: {e}"))
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let n = norm(a) * norm(b);
    if n == 0.0 { 0.0 } else { dot / n }
}

pub struct TitanMemory {
    client: Client,
    model_id: String,
    dimensions: u32,
    db: Mutex<Connection>,
}

impl TitanMemory {
    /// Embeds with `model_id` (e.g. `amazon.titan-embed-text-v2:0`) at `dimensions` (256, 512
    /// or 1024 for v2) and keeps vectors in the SQLite file at `path`.
    pub fn new(
        client: Client,
        model_id: &str,
        dimensions: u32,
        path: &Path,
    ) -> Result<Self, MemoryError> {
        // The worker writes while the API searches: both open it as the store is opened.
        let db = open_shared(path).map_err(|e| err("vector store", e))?;
        db.execute_batch(SCHEMA)
            .map_err(|e| err("vector store", e))?;
        Ok(Self {
            client,
            model_id: model_id.to_string(),
            dimensions,
            db: Mutex::new(db),
        })
    }

    async fn embed(&self, text: &str) -> Result<Vec<f32>, MemoryError> {
        let body = serde_json::json!({
            "inputText": text,
            "dimensions": self.dimensions,
            "normalize": true,
        });
        let out = self
            .client
            .invoke_model()
            .model_id(&self.model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(body.to_string()))
            .send()
            .await
            .map_err(|e| {
                err(
                    &format!("Bedrock {}", self.model_id),
                    DisplayErrorContext(&e),
                )
            })?;
        let parsed: TitanEmbedding = serde_json::from_slice(out.body().as_ref())
            .map_err(|e| err(&format!("Bedrock {} answer", self.model_id), e))?;
        if parsed.embedding.len() != self.dimensions as usize {
            return Err(MemoryError(format!(
                "Bedrock {} answered {} dimensions, {} were asked",
                self.model_id,
                parsed.embedding.len(),
                self.dimensions
            )));
        }
        Ok(parsed.embedding)
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl MemoryIndex for TitanMemory {
    async fn index(&self, tenant_id: &str, chunks: &[Chunk]) -> Result<(), MemoryError> {
        // Every embedding first: a failed call leaves the stored chunks as they were.
        let mut vectors = Vec::with_capacity(chunks.len());
        for c in chunks {
            vectors.push(self.embed(&c.text).await?);
        }
        let records: BTreeSet<&str> = chunks.iter().map(|c| record_of(&c.chunk_id)).collect();
        let mut db = self.db();
        let tx = db.transaction().map_err(|e| err("vector store", e))?;
        for record in records {
            tx.execute(
                "DELETE FROM chunk_vectors WHERE tenant_id = ?1 AND record = ?2",
                params![tenant_id, record],
            )
            .map_err(|e| err("vector store", e))?;
        }
        for (c, v) in chunks.iter().zip(&vectors) {
            tx.execute(
                "INSERT OR REPLACE INTO chunk_vectors
                 (tenant_id, chunk_id, record, account_id, kind, evidence_ref, text, model, vector)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    tenant_id,
                    c.chunk_id,
                    record_of(&c.chunk_id),
                    c.account_id,
                    c.kind,
                    c.evidence_ref,
                    c.text,
                    self.model_id,
                    to_blob(v)
                ],
            )
            .map_err(|e| err("vector store", e))?;
        }
        tx.commit().map_err(|e| err("vector store", e))
    }

    async fn search(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<MemoryHit>, MemoryError> {
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let wanted = self.embed(query).await?;
        let db = self.db();
        let mut stmt = db
            .prepare_cached(
                "SELECT chunk_id, account_id, kind, evidence_ref, text, vector FROM chunk_vectors
                 WHERE tenant_id = ?1 AND (?2 IS NULL OR account_id = ?2) AND model = ?3",
            )
            .map_err(|e| err("vector store", e))?;
        let rows = stmt
            .query_map(params![tenant_id, account_id, self.model_id], |r| {
                Ok((
                    Chunk {
                        chunk_id: r.get(0)?,
                        account_id: r.get(1)?,
                        kind: r.get(2)?,
                        evidence_ref: r.get(3)?,
                        text: r.get(4)?,
                    },
                    r.get::<_, Vec<u8>>(5)?,
                ))
            })
            .map_err(|e| err("vector store", e))?;
        let mut hits = Vec::new();
        for row in rows {
            let (chunk, vector) = row.map_err(|e| err("vector store", e))?;
            let score = cosine(&wanted, &from_blob(&vector));
            hits.push(MemoryHit { chunk, score });
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.chunk.chunk_id.cmp(&b.chunk.chunk_id))
        });
        hits.truncate(limit.max(1));
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_and_cosine_ranks_direction() {
        let v = [0.6f32, -0.8, 0.0];
        assert_eq!(from_blob(&to_blob(&v)), v);
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-6);
        assert!(cosine(&v, &[0.0, 0.0, 1.0]).abs() < 1e-6);
        assert_eq!(cosine(&v, &[0.0; 3]), 0.0);
    }
}
