//! Semantic memory: chunks of the text records carry, ranked for a query within one tenant
//! (and optionally one account). One trait, one file per backend: BM25 over a tantivy index
//! on disk is the embedded one.

mod tantivy_index;

pub use tantivy_index::TantivyMemory;

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

pub trait MemoryIndex: Send + Sync {
    /// Adds the tenant's chunks, replacing any earlier chunk with the same id.
    fn index(&self, tenant_id: &str, chunks: &[Chunk]) -> Result<(), MemoryError>;
    /// The best-ranked chunks for the query, of this tenant only (and of one account if given).
    fn search(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<MemoryHit>, MemoryError>;
}
