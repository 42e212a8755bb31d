//! DynamoDB items: attribute helpers, strongly consistent reads, conditional writes,
//! transactions, and JSON bodies that move to S3 when they would pass the item size limit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, PutRequest, TransactWriteItem, WriteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AwsStore;
use super::errors::{corrupt, internal, is_condition_failed, sdk_err};
use crate::error::{StoreError, StoreErrorKind, StoreResult};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Bodies larger than this go to S3 and the item keeps their key: DynamoDB refuses items over
/// 400 KB, and the rest of the item needs room.
const INLINE_BODY_LIMIT: usize = 350 * 1024;
/// What one BatchGetItem may ask for, and one BatchWriteItem may write.
const BATCH_GET_MAX: usize = 100;
const BATCH_WRITE_MAX: usize = 25;
/// How often a batch call's unprocessed part is sent again before the call fails.
const UNPROCESSED_RETRIES: u32 = 8;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// A string attribute, or a `Corrupt` error naming it.
pub(crate) fn string<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(corrupt(format!(
            "item attribute {name} is missing or not a string"
        ))),
    }
}

pub(crate) fn number(item: &Item, name: &str) -> StoreResult<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|e| corrupt(format!("item attribute {name} ({v}): {e}"))),
        None => Ok(0),
        _ => Err(corrupt(format!("item attribute {name} is not a number"))),
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| internal(format!("encoding: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("decoding {what}: {e}")))
}

/// A stamp that orders what this process writes (wall-clock nanoseconds, strictly increasing
/// within the process), for lists that come back "in the order stored".
pub(crate) fn stored_stamp() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// What a cancelled transaction said about each of its items, in order (`None`: that item's
/// condition held).
pub(crate) enum TransactOutcome {
    Committed,
    Cancelled(Vec<Option<String>>),
}

impl AwsStore {
    /// One item by key, strongly consistent.
    pub(crate) async fn get_item(&self, table: &str, key: Item) -> StoreResult<Option<Item>> {
        let out = self
            .ddb()
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_err("GetItem", e))?;
        Ok(out.item)
    }

    pub(crate) async fn get_main(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        self.get_item(self.main(), key(pk, sk)).await
    }

    /// Writes the item unless its key exists; `false` when it did.
    pub(crate) async fn put_new(&self, table: &str, item: Item) -> StoreResult<bool> {
        match self
            .ddb()
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_err("PutItem", e)),
        }
    }

    /// Replaces an item that must exist; `NotFound` (naming `what`) when it does not.
    pub(crate) async fn replace_existing(&self, item: Item, what: String) -> StoreResult<()> {
        match self
            .ddb()
            .put_item()
            .table_name(self.main())
            .set_item(Some(item))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::not_found(what)),
            Err(e) => Err(sdk_err("PutItem", e)),
        }
    }

    /// Writes the item, replacing any with its key.
    pub(crate) async fn put_item(&self, table: &str, item: Item) -> StoreResult<()> {
        self.ddb()
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_err("PutItem", e))?;
        Ok(())
    }

    /// Every item of a partition (whose sort key starts with `prefix`), in sort-key order,
    /// strongly consistent, across as many pages as it takes.
    pub(crate) async fn query_partition(
        &self,
        table: &str,
        pk: &str,
        prefix: Option<&str>,
    ) -> StoreResult<Vec<Item>> {
        self.query_page(table, pk, prefix, None, None).await
    }

    /// Like [`AwsStore::query_partition`], starting after sort key `after` and stopping at
    /// `limit` items.
    pub(crate) async fn query_page(
        &self,
        table: &str,
        pk: &str,
        prefix: Option<&str>,
        after: Option<Item>,
        limit: Option<usize>,
    ) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = after;
        loop {
            let mut q = self
                .ddb()
                .query()
                .table_name(table)
                .consistent_read(true)
                .expression_attribute_names("#pk", "pk")
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start.take());
            q = match prefix {
                Some(p) => q
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", "sk")
                    .expression_attribute_values(":prefix", s(p)),
                None => q.key_condition_expression("#pk = :pk"),
            };
            if let Some(limit) = limit {
                q = q.limit((limit - items.len()).min(1000) as i32);
            }
            let out = q.send().await.map_err(|e| sdk_err("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(next) if limit.is_none_or(|l| items.len() < l) => start = Some(next),
                _ => return Ok(items),
            }
        }
    }

    /// Items by key from one table, strongly consistent, in any order; keys not stored are
    /// left out.
    pub(crate) async fn batch_get(&self, table: &str, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = chunk.to_vec();
            for attempt in 0.. {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| internal(format!("BatchGetItem request: {e}")))?;
                let out = self
                    .ddb()
                    .batch_get_item()
                    .request_items(table, request)
                    .send()
                    .await
                    .map_err(|e| sdk_err("BatchGetItem", e))?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(table).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt >= UNPROCESSED_RETRIES {
                    return Err(StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("BatchGetItem: {} keys still unprocessed", pending.len()),
                    ));
                }
                backoff(attempt).await;
            }
        }
        Ok(found)
    }

    /// Unconditional puts in batches of 25 (BatchWriteItem), for writes that are idempotent by
    /// their key and need no condition.
    pub(crate) async fn batch_put(&self, table: &str, items: Vec<Item>) -> StoreResult<()> {
        for chunk in items.chunks(BATCH_WRITE_MAX) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map_err(|e| internal(format!("BatchWriteItem request: {e}")))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<StoreResult<_>>()?;
            for attempt in 0.. {
                let out = self
                    .ddb()
                    .batch_write_item()
                    .request_items(table, pending)
                    .send()
                    .await
                    .map_err(|e| sdk_err("BatchWriteItem", e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt >= UNPROCESSED_RETRIES {
                    return Err(StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("BatchWriteItem: {} items still unprocessed", pending.len()),
                    ));
                }
                backoff(attempt).await;
            }
        }
        Ok(())
    }

    /// One TransactWriteItems (at most 100 items), all or none. A cancellation is an answer,
    /// not an error: it says which conditions failed.
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> StoreResult<TransactOutcome> {
        if items.len() > 100 {
            return Err(internal(format!(
                "{} items in one transaction; DynamoDB allows 100",
                items.len()
            )));
        }
        match self
            .ddb()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(TransactOutcome::Committed),
            Err(e) => {
                let service = e.as_service_error();
                if let Some(
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c),
                ) = service
                {
                    let reasons = c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                        .collect::<Vec<_>>();
                    // Cancelled for a conflicting transaction on the same items, not a
                    // condition: the caller's retry loop handles it like a lost race.
                    return Ok(TransactOutcome::Cancelled(reasons));
                }
                Err(sdk_err("TransactWriteItems", e))
            }
        }
    }

    /// Adds the JSON body to the item: inline, or as an S3 object under the tenant's prefix
    /// when it is too large for an item.
    pub(crate) async fn set_body(
        &self,
        tenant: &str,
        item: &mut Item,
        json: String,
    ) -> StoreResult<()> {
        let (name, value) = self.body_attribute(tenant, json).await?;
        item.insert(name.into(), value);
        Ok(())
    }

    /// The attribute a JSON body is kept in: `body` inline, or `body_ref` naming the S3 object
    /// it went to when too large for an item.
    pub(crate) async fn body_attribute(
        &self,
        tenant: &str,
        json: String,
    ) -> StoreResult<(&'static str, AttributeValue)> {
        if json.len() <= INLINE_BODY_LIMIT {
            return Ok(("body", s(json)));
        }
        let object_key = self
            .put_content(tenant, "bodies", json.into_bytes(), "application/json")
            .await?;
        Ok(("body_ref", s(object_key)))
    }

    /// The item's JSON body, from the item or from S3.
    pub(crate) async fn body<T: DeserializeOwned>(
        &self,
        what: &str,
        item: &Item,
    ) -> StoreResult<T> {
        if let Some(AttributeValue::S(json)) = item.get("body") {
            return from_json(what, json);
        }
        let object_key = string(item, "body_ref")?;
        let bytes = self
            .get_content_object(object_key)
            .await?
            .ok_or_else(|| corrupt(format!("{what}: body object {object_key} is missing")))?;
        serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("decoding {what}: {e}")))
    }

    /// Decodes the bodies of many items, in order.
    pub(crate) async fn bodies<T: DeserializeOwned>(
        &self,
        what: &str,
        items: &[Item],
    ) -> StoreResult<Vec<T>> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.body(what, item).await?);
        }
        Ok(out)
    }
}

/// Jittered exponential backoff for retry loops: 10 ms, 20 ms, … up to about 1 s.
pub(crate) async fn backoff(attempt: u32) {
    let base = 10u64 << attempt.min(7);
    let jitter = stored_stamp() % base.max(1);
    tokio::time::sleep(std::time::Duration::from_millis(base / 2 + jitter / 2)).await;
}

/// Builds a transaction item, mapping the builder's missing-field error.
pub(crate) fn built<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> StoreResult<T> {
    r.map_err(|e| internal(format!("{what}: {e}")))
}
