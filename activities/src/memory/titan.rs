//! Memory ranked by meaning: each chunk is embedded with an Amazon Bedrock Titan text
//! embeddings model (`InvokeModel`, normalized vectors) and kept with its vector in the store
//! (SQLite's `chunk_vectors`, or DynamoDB on the AWS backend, shared by every replica); a
//! search embeds the query the same way and ranks the tenant's chunks (or one account's) by
//! cosine similarity. Off unless `REVLOOP_MEMORY_BACKEND=titan`.
//!
//! The scan is exact and linear in the tenant's chunks, which suits today's sizes; a vector
//! index can replace it behind the same trait.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::DisplayErrorContext;
use aws_sdk_bedrockruntime::primitives::Blob;
use revloop_domain::world::memory::Chunk;
use revloop_store::{StoredVector, VectorStore};
use serde::Deserialize;

use super::{MemoryError, MemoryHit, MemoryIndex, record_of};

/// The body Titan text embeddings models answer with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitanEmbedding {
    embedding: Vec<f32>,
}

fn err(what: &str, e: impl std::fmt::Display) -> MemoryError {
    MemoryError(format!("{what}: {e}"))
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
    vectors: Arc<dyn VectorStore + Send + Sync>,
}

impl TitanMemory {
    /// Embeds with `model_id` (e.g. `amazon.titan-embed-text-v2:0`) at `dimensions` (256, 512
    /// or 1024 for v2) and keeps vectors in `vectors` (the store).
    pub fn new(
        client: Client,
        model_id: &str,
        dimensions: u32,
        vectors: Arc<dyn VectorStore + Send + Sync>,
    ) -> Self {
        Self {
            client,
            model_id: model_id.to_string(),
            dimensions,
            vectors,
        }
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
        let records: Vec<String> = records.into_iter().map(str::to_string).collect();
        let stored: Vec<StoredVector> = chunks
            .iter()
            .zip(vectors)
            .map(|(c, vector)| StoredVector {
                chunk: c.clone(),
                model: self.model_id.clone(),
                vector,
            })
            .collect();
        self.vectors
            .replace_vectors(tenant_id, &records, &stored)
            .await
            .map_err(|e| err("vector store", e))
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
        let stored = self
            .vectors
            .vectors(tenant_id, account_id, &self.model_id)
            .await
            .map_err(|e| err("vector store", e))?;
        let mut hits: Vec<MemoryHit> = stored
            .into_iter()
            .map(|v| MemoryHit {
                score: cosine(&wanted, &v.vector),
                chunk: v.chunk,
            })
            .collect();
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
    fn cosine_ranks_direction() {
        let v = [0.6f32, -0.8, 0.0];
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-6);
        assert!(cosine(&v, &[0.0, 0.0, 1.0]).abs() < 1e-6);
        assert_eq!(cosine(&v, &[0.0; 3]), 0.0);
    }
}
