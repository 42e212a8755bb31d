//! Semantic memory: chunks of the text records carry, ranked for a query within one tenant
//! (and optionally one account). One trait, one file per backend: BM25 over a tantivy index
//! on disk is the embedded one and the default; Amazon Bedrock's Titan text embeddings rank by
//! meaning instead, when configured.

pub mod conformance;
mod settings;
mod tantivy_index;
mod titan;

pub use settings::{BM25_NEEDS_A_FOLDER, MemoryArgs, MemoryBackend, open_memory};
pub use tantivy_index::TantivyMemory;
pub use titan::TitanMemory;

use async_trait::async_trait;

use revloop_domain::world::memory::Chunk;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
#[error("memory index: {0}")]
pub struct MemoryError(pub String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryHit {
    pub chunk: Chunk,
    pub score: f32,
}

pub(crate) use revloop_store::vectors::record_of;

#[async_trait]
pub trait MemoryIndex: Send + Sync {
    /// Adds the tenant's chunks. The chunks given for a record replace all its earlier ones, so
    /// a text that shrank leaves none of its old chunks behind.
    async fn index(&self, tenant_id: &str, chunks: &[Chunk]) -> Result<(), MemoryError>;
    /// The best-ranked chunks for the query, of this tenant only (and of one account if given).
    async fn search(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<MemoryHit>, MemoryError>;
}
