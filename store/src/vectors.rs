//! Memory vectors: each text chunk with the embedding a model gave it, kept in the store every
//! replica shares, so a search on any API replica or worker ranks what any worker indexed.

use async_trait::async_trait;
use revloop_domain::world::memory::Chunk;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVector {
    pub chunk: Chunk,
    /// The embedding model, so vectors of two models are never compared.
    pub model: String,
    pub vector: Vec<f32>,
}

/// The record a chunk was cut from: its id up to `#`.
pub fn record_of(chunk_id: &str) -> &str {
    chunk_id
        .split_once('#')
        .map_or(chunk_id, |(record, _)| record)
}

#[async_trait]
pub trait VectorStore {
    /// Replaces every vector of `records` (record keys, `note:n1`) with `vectors`, so a text
    /// that shrank leaves none of its old chunks behind.
    async fn replace_vectors(
        &self,
        tenant_id: &str,
        records: &[String],
        vectors: &[StoredVector],
    ) -> StoreResult<()>;
    /// The tenant's vectors of one model (and of one account, if given), in chunk-id order.
    async fn vectors(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        model: &str,
    ) -> StoreResult<Vec<StoredVector>>;
}
