use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use revloop_domain::ledger::{GENESIS_HASH, LedgerEntry, NewLedgerEntry};

use super::items::{
    Item, TransactOutcome, backoff, built, from_json, key, n, number, s, string, to_json,
};
use super::{AwsStore, errors::sdk_err, tenant_pk};
use crate::StoreResult;
use crate::error::{StoreError, StoreErrorKind};
use crate::ledger::LedgerStore;

/// How often an append re-reads the head after losing the race for a sequence number. Each
/// round one of the racing writers wins, so this bounds the writers that can race at once.
const APPEND_ATTEMPTS: u32 = 200;

fn ledger_key(pk: String, seq: u64) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("seq".to_string(), n(seq))])
}

fn head_pk(tenant: &str) -> String {
    format!("T#{tenant}#HEAD")
}

fn idempotency_pk(tenant: &str, idempotency_key: &str) -> String {
    format!("T#{tenant}#LIDEM#{idempotency_key}")
}

/// The archive object of an entry in the ledger bucket (Object Lock, COMPLIANCE mode).
pub(crate) fn archive_key(tenant: &str, seq: u64) -> String {
    format!("{tenant}/entries/{seq:020}.json")
}

impl AwsStore {
    async fn entry_at(&self, tenant: &str, seq: u64) -> StoreResult<Option<LedgerEntry>> {
        let item = self
            .get_item(self.ledger_table(), ledger_key(tenant_pk(tenant), seq))
            .await?;
        item.map(|item| from_json("ledger entry", string(&item, "body")?))
            .transpose()
    }

    /// Copies the entry into the write-once archive; an entry already archived is left alone.
    async fn archive(&self, entry: &LedgerEntry) -> StoreResult<()> {
        let bytes = to_json(entry)?.into_bytes();
        self.put_ledger_object(
            &entry.tenant_id,
            &archive_key(&entry.tenant_id, entry.seq),
            bytes,
        )
        .await?;
        Ok(())
    }

    /// The entry already appended under this idempotency key, if any.
    async fn appended_under(
        &self,
        tenant: &str,
        idempotency_key: &str,
    ) -> StoreResult<Option<LedgerEntry>> {
        let Some(item) = self
            .get_main(&idempotency_pk(tenant, idempotency_key), "IDEM")
            .await?
        else {
            return Ok(None);
        };
        let seq = number(&item, "seq")? as u64;
        self.entry_at(tenant, seq).await?.map(Some).ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Corrupt,
                format!("ledger of tenant {tenant}: key {idempotency_key} names entry {seq}, which is missing"),
            )
        })
    }
}

/// An append is one TransactWriteItems over both tables: the entry at the head's `next_seq`
/// (`attribute_not_exists`), the head moved on only if `next_seq` is still what was read, and
/// the idempotency key claimed (`attribute_not_exists`). Of two writers racing for a sequence
/// number one commits and the other re-reads the head: no gaps, no forks.
#[async_trait]
impl LedgerStore for AwsStore {
    async fn append(&self, new: NewLedgerEntry) -> StoreResult<LedgerEntry> {
        let tenant = new.tenant_id.clone();
        for attempt in 0..APPEND_ATTEMPTS {
            if let Some(done) = self.appended_under(&tenant, &new.idempotency_key).await? {
                self.archive(&done).await?;
                return Ok(done);
            }
            let head = self
                .get_item(self.ledger_table(), ledger_key(head_pk(&tenant), 0))
                .await?;
            let (seq, prev) = match &head {
                Some(h) => (
                    number(h, "next_seq")? as u64,
                    string(h, "head_hash")?.to_string(),
                ),
                None => (1, GENESIS_HASH.to_string()),
            };
            let entry = new.clone().seal(seq, &prev);
            let mut item = ledger_key(tenant_pk(&tenant), seq);
            item.insert("body".into(), s(to_json(&entry)?));
            let put_entry = Put::builder()
                .table_name(self.ledger_table())
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)");
            let mut move_head = Update::builder()
                .table_name(self.ledger_table())
                .set_key(Some(ledger_key(head_pk(&tenant), 0)))
                .update_expression("SET next_seq = :next, head_hash = :hash")
                .expression_attribute_values(":next", n(seq + 1))
                .expression_attribute_values(":hash", s(&entry.hash));
            move_head = if head.is_some() {
                move_head
                    .condition_expression("next_seq = :expected")
                    .expression_attribute_values(":expected", n(seq))
            } else {
                move_head.condition_expression("attribute_not_exists(pk)")
            };
            let mut claim = key(idempotency_pk(&tenant, &new.idempotency_key), "IDEM");
            claim.insert("seq".into(), n(seq));
            let claim_key = Put::builder()
                .table_name(self.main())
                .set_item(Some(claim))
                .condition_expression("attribute_not_exists(pk)");
            let items = vec![
                TransactWriteItem::builder()
                    .put(built("Put", put_entry.build())?)
                    .build(),
                TransactWriteItem::builder()
                    .update(built("Update", move_head.build())?)
                    .build(),
                TransactWriteItem::builder()
                    .put(built("Put", claim_key.build())?)
                    .build(),
            ];
            match self.transact(items).await? {
                TransactOutcome::Committed => {
                    self.archive(&entry).await?;
                    return Ok(entry);
                }
                // Lost the race (for the sequence number, or to a retry of this very entry,
                // which the next round finds by its key).
                TransactOutcome::Cancelled(_) => backoff(attempt.min(4)).await,
            }
        }
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            format!(
                "ledger of tenant {tenant}: no free sequence number after {APPEND_ATTEMPTS} attempts"
            ),
        ))
    }

    async fn list_entries(
        &self,
        tenant_id: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<LedgerEntry>> {
        let mut entries = Vec::new();
        let mut start = None;
        while entries.len() < limit {
            let out = self
                .ddb()
                .query()
                .table_name(self.ledger_table())
                .consistent_read(true)
                .key_condition_expression("pk = :pk AND seq > :after")
                .expression_attribute_values(":pk", s(tenant_pk(tenant_id)))
                .expression_attribute_values(":after", n(after_seq))
                .limit((limit - entries.len()).min(1000) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_err("Query ledger", e))?;
            for item in out.items() {
                let entry: LedgerEntry = from_json("ledger entry", string(item, "body")?)?;
                entries.push(entry);
            }
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        Ok(entries)
    }
}
