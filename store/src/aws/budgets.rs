use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use revloop_domain::budget::CounterKey;

use super::AwsStore;
use super::items::{
    Item, TransactOutcome, backoff, built, from_json, key, n, number, s, string, to_json,
};
use crate::StoreResult;
use crate::budgets::{BudgetStore, Reservation, ReservationRecord};
use crate::error::{StoreError, StoreErrorKind};

/// A counter is `BUDGET#{counter key}` / `C` with its `used`; a reservation is
/// `T#{tenant}#BUDGET` / `R#{id}`. A reservation is one TransactWriteItems: an `ADD used :n` on
/// each counter, conditional on `used + n <= cap` where a counter has a cap (so no race passes
/// a cap, and reservations that fit never conflict), and the reservation record
/// (`attribute_not_exists`, so a retried reservation is a no-op). The usage it reports is what
/// was read just before; reservations racing it may have added to it meanwhile.
const RESERVE_ATTEMPTS: u32 = 400;

fn counter_key(counter: &str) -> Item {
    key(format!("BUDGET#{counter}"), "C")
}

fn reservation_key(tenant: &str, id: &str) -> Item {
    key(format!("T#{tenant}#BUDGET"), format!("R#{id}"))
}

impl AwsStore {
    async fn reservation(&self, tenant: &str, id: &str) -> StoreResult<Option<ReservationRecord>> {
        let item = self
            .get_item(self.main(), reservation_key(tenant, id))
            .await?;
        item.map(|i| from_json("reservation", string(&i, "body")?))
            .transpose()
    }

    /// Each counter's stored usage, `None` where it was never used.
    async fn counters(&self, keys: &[String]) -> StoreResult<HashMap<String, Option<u64>>> {
        let items = self
            .batch_get(self.main(), keys.iter().map(|k| counter_key(k)).collect())
            .await?;
        let mut found: HashMap<String, Option<u64>> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for item in &items {
            let pk = string(item, "pk")?;
            let k = pk.strip_prefix("BUDGET#").unwrap_or(pk).to_string();
            found.insert(k, Some(number(item, "used")?.max(0) as u64));
        }
        Ok(found)
    }

    fn reservation_put(
        &self,
        tenant: &str,
        record: &ReservationRecord,
        condition: &str,
    ) -> StoreResult<TransactWriteItem> {
        let mut item = reservation_key(tenant, &record.reservation_id);
        item.insert("body".into(), s(to_json(record)?));
        if let Some(settled) = record.settled {
            item.insert("settled".into(), n(settled));
        }
        let put = Put::builder()
            .table_name(self.main())
            .set_item(Some(item))
            .condition_expression(condition);
        Ok(TransactWriteItem::builder()
            .put(built("Put", put.build())?)
            .build())
    }
}

#[async_trait]
impl BudgetStore for AwsStore {
    async fn reserve(&self, reservation: &Reservation) -> StoreResult<ReservationRecord> {
        let r = reservation;
        // One cap per counter (the tightest), since a transaction touches each item once.
        let mut caps: BTreeMap<String, Option<u64>> = BTreeMap::new();
        for (counter, hard) in &r.counters {
            let cap = caps.entry(counter.as_key()).or_insert(*hard);
            *cap = match (*cap, *hard) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if caps.len() > 99 {
            return Err(StoreError::new(
                StoreErrorKind::Internal,
                format!(
                    "{} budget counters in one reservation; at most 99",
                    caps.len()
                ),
            ));
        }
        let keys: Vec<String> = caps.keys().cloned().collect();
        for attempt in 0..RESERVE_ATTEMPTS {
            if let Some(done) = self.reservation(&r.tenant_id, &r.reservation_id).await? {
                return Ok(done);
            }
            let used = self.counters(&keys).await?;
            let usage_before: BTreeMap<String, u64> = used
                .iter()
                .map(|(k, v)| (k.clone(), v.unwrap_or(0)))
                .collect();
            let granted = caps
                .iter()
                .all(|(k, cap)| cap.is_none_or(|h| usage_before[k].saturating_add(r.amount) <= h));
            let record = ReservationRecord {
                reservation_id: r.reservation_id.clone(),
                granted,
                usage_before: usage_before.clone(),
                amount: r.amount,
                settled: None,
            };
            let mut items = Vec::new();
            if granted {
                for k in &keys {
                    let mut update = Update::builder()
                        .table_name(self.main())
                        .set_key(Some(counter_key(k)))
                        .update_expression("SET tenant = :t ADD used :n")
                        .expression_attribute_values(":n", n(r.amount))
                        .expression_attribute_values(":t", s(&r.tenant_id));
                    if let Some(cap) = caps[k] {
                        // Granted above, so cap >= amount.
                        update = update
                            .condition_expression("attribute_not_exists(used) OR used <= :limit")
                            .expression_attribute_values(":limit", n(cap - r.amount));
                    }
                    items.push(
                        TransactWriteItem::builder()
                            .update(built("Update", update.build())?)
                            .build(),
                    );
                }
            }
            items.push(self.reservation_put(&r.tenant_id, &record, "attribute_not_exists(pk)")?);
            match self.transact(items).await? {
                TransactOutcome::Committed => return Ok(record),
                // A cap would have been passed (or a retry of this very reservation
                // committed, which the next round finds): read again and decide again.
                TransactOutcome::Cancelled(_) => backoff(attempt.min(3)).await,
            }
        }
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            format!(
                "reservation {}: its counters kept moving for {RESERVE_ATTEMPTS} attempts",
                r.reservation_id
            ),
        ))
    }

    async fn settle(
        &self,
        tenant_id: &str,
        reservation_id: &str,
        actual: u64,
    ) -> StoreResult<ReservationRecord> {
        for attempt in 0..RESERVE_ATTEMPTS {
            let mut record = self
                .reservation(tenant_id, reservation_id)
                .await?
                .ok_or_else(|| {
                    StoreError::not_found(format!(
                        "reservation {reservation_id} of tenant {tenant_id}"
                    ))
                })?;
            if record.settled.is_some() || !record.granted {
                return Ok(record);
            }
            let delta = actual as i64 - record.amount as i64;
            let mut items = Vec::new();
            if delta != 0 {
                for k in record.usage_before.keys() {
                    let update = Update::builder()
                        .table_name(self.main())
                        .set_key(Some(counter_key(k)))
                        .update_expression("ADD used :delta")
                        .expression_attribute_values(":delta", n(delta));
                    items.push(
                        TransactWriteItem::builder()
                            .update(built("Update", update.build())?)
                            .build(),
                    );
                }
            }
            record.settled = Some(actual);
            items.push(self.reservation_put(
                tenant_id,
                &record,
                "attribute_exists(pk) AND attribute_not_exists(settled)",
            )?);
            match self.transact(items).await? {
                TransactOutcome::Committed => return Ok(record),
                TransactOutcome::Cancelled(_) => backoff(attempt.min(3)).await,
            }
        }
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            format!("reservation {reservation_id}: could not settle"),
        ))
    }

    async fn usage(&self, counters: &[CounterKey]) -> StoreResult<BTreeMap<String, u64>> {
        let keys: Vec<String> = counters.iter().map(CounterKey::as_key).collect();
        let found = self.counters(&keys).await?;
        Ok(found
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or(0)))
            .collect())
    }
}
