//! Lists that grow with a batch (its changed records, its new signals) live in the store as
//! content-addressed artifacts, and workflows carry only their key and count: a workflow's
//! history must not grow with its input, and Temporal refuses a payload over 2 MB.

use revloop_store::{Artifact, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_sdk::activities::ActivityError;

use crate::error;

/// Content type of a stored list of [`crate::contracts::RecordChange`].
pub const CHANGE_SET: &str = "application/vnd.revloop.change-set+json";
/// Content type of a stored list of evidence ids: the bounded parts of one pulled batch.
pub const BATCH_PARTS: &str = "application/vnd.revloop.batch-parts+json";
/// Content type of a stored list of [`crate::contracts::SignalRef`].
pub const SIGNAL_SET: &str = "application/vnd.revloop.signal-set+json";

/// How many names a workflow result may list (accounts, refusals); the count says how many
/// there were in all.
pub const SAMPLE: usize = 20;

/// Stores the list and returns its key (the same list always gets the same key).
pub async fn put<T: Serialize>(
    store: &dyn Store,
    tenant_id: &str,
    content_type: &str,
    items: &[T],
) -> Result<String, ActivityError> {
    let artifact = Artifact::new(tenant_id, content_type, serde_json::to_vec(items)?);
    store.put_artifact(&artifact).await.map_err(error::store)?;
    Ok(artifact.artifact_key)
}

/// Reads a stored list back; a missing one is a non-retryable error naming it.
pub async fn get<T: DeserializeOwned>(
    store: &dyn Store,
    tenant_id: &str,
    key: &str,
) -> Result<Vec<T>, ActivityError> {
    crate::decision::load_json_artifact(store, tenant_id, key).await
}

/// The first [`SAMPLE`] items, for a result a person reads; the full list is in the store.
pub fn sample<T: Clone>(items: &[T]) -> Vec<T> {
    items.iter().take(SAMPLE).cloned().collect()
}

/// The most records one perception step takes from a pull.
pub const MAX_PART_RECORDS: usize = 10_000;
/// The most bytes one perception step takes from a pull.
pub const MAX_PART_BYTES: usize = 4 << 20;

/// Splits a batch's JSONL into parts of at most `max_records` lines and `max_bytes` bytes (a
/// longer line goes alone), in order; one part when it is within both.
pub fn split_lines(content: &[u8], max_records: usize, max_bytes: usize) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let (mut part, mut lines) = (Vec::new(), 0);
    for line in content.split_inclusive(|b| *b == b'\n') {
        if !part.is_empty() && (lines == max_records || part.len() + line.len() > max_bytes) {
            parts.push(std::mem::take(&mut part));
            lines = 0;
        }
        part.extend_from_slice(line);
        lines += 1;
    }
    if !part.is_empty() {
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_keep_every_line_in_order_within_both_bounds() {
        let content: Vec<u8> = (0..25)
            .flat_map(|i| format!("line {i:02}\n").into_bytes())
            .collect();
        let by_count = split_lines(&content, 10, 1 << 20);
        assert_eq!(by_count.len(), 3);
        assert_eq!(by_count.concat(), content);
        let by_bytes = split_lines(&content, 100, 20);
        assert!(by_bytes.iter().all(|p| p.len() <= 20));
        assert_eq!(by_bytes.concat(), content);
        assert_eq!(
            split_lines(b"one\ntwo", 10, 100),
            vec![b"one\ntwo".to_vec()]
        );
        assert_eq!(split_lines(b"a-long-line\nb\n", 10, 4).len(), 2);
        assert!(split_lines(b"", 10, 10).is_empty());
    }
}
