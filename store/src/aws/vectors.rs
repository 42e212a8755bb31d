use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, StreamExt, TryStreamExt};
use revloop_domain::world::memory::Chunk;

use super::items::{Item, from_json, key, s, string, to_json};
use super::{
    AwsStore,
    errors::{corrupt, sdk_err},
};
use crate::StoreResult;
use crate::vectors::{StoredVector, VectorStore};

/// A vector is `T#{tenant}#MEM` / `{chunk id}`: chunk ids start with their record
/// (`note:n1#0`), so a record's chunks are one `begins_with` query, and a search reads the
/// tenant's partition (strongly consistent) and ranks in process.
fn memory_pk(tenant: &str) -> String {
    format!("T#{tenant}#MEM")
}

fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn vector_of(item: &Item) -> StoreResult<StoredVector> {
    let bytes = match item.get("vector") {
        Some(AttributeValue::B(blob)) => blob.as_ref().to_vec(),
        _ => return Err(corrupt("memory vector without its vector")),
    };
    Ok(StoredVector {
        chunk: from_json::<Chunk>("memory chunk", string(item, "chunk")?)?,
        model: string(item, "model")?.to_string(),
        vector: from_bytes(&bytes),
    })
}

#[async_trait]
impl VectorStore for AwsStore {
    async fn replace_vectors(
        &self,
        tenant_id: &str,
        records: &[String],
        vectors: &[StoredVector],
    ) -> StoreResult<()> {
        let pk = memory_pk(tenant_id);
        let keep: std::collections::HashSet<&str> =
            vectors.iter().map(|v| v.chunk.chunk_id.as_str()).collect();
        let mut stale = Vec::new();
        for record in records {
            for item in self
                .query_partition(self.main(), &pk, Some(&format!("{record}#")))
                .await?
            {
                let chunk_id = string(&item, "sk")?.to_string();
                if !keep.contains(chunk_id.as_str()) {
                    stale.push(chunk_id);
                }
            }
        }
        let mut items = Vec::with_capacity(vectors.len());
        for v in vectors {
            let mut item = key(&pk, &v.chunk.chunk_id);
            item.insert("chunk".into(), s(to_json(&v.chunk)?));
            item.insert("account".into(), s(&v.chunk.account_id));
            item.insert("model".into(), s(&v.model));
            item.insert(
                "vector".into(),
                AttributeValue::B(Blob::new(to_bytes(&v.vector))),
            );
            items.push(item);
        }
        // New chunks first, then the ones the records no longer have: a search in between
        // sees the new text, never none.
        self.batch_put(self.main(), items).await?;
        stream::iter(stale)
            .map(|chunk_id| {
                let pk = pk.clone();
                async move {
                    self.ddb()
                        .delete_item()
                        .table_name(self.main())
                        .set_key(Some(key(pk, chunk_id)))
                        .send()
                        .await
                        .map_err(|e| sdk_err("DeleteItem memory vector", e))
                        .map(|_| ())
                }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn vectors(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        model: &str,
    ) -> StoreResult<Vec<StoredVector>> {
        let items = self
            .query_partition(self.main(), &memory_pk(tenant_id), None)
            .await?;
        let mut out = Vec::new();
        for item in &items {
            if string(item, "model")? != model
                || account_id.is_some_and(|a| string(item, "account").ok() != Some(a))
            {
                continue;
            }
            out.push(vector_of(item)?);
        }
        Ok(out)
    }
}
