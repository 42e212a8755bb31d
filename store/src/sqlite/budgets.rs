use std::collections::BTreeMap;

use async_trait::async_trait;
use revloop_domain::budget::CounterKey;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::budgets::{BudgetStore, Reservation, ReservationRecord};
use crate::error::StoreError;

fn counter_value(tx: &Transaction<'_>, key: &str) -> StoreResult<u64> {
    let value: Option<i64> = tx
        .query_row(
            "SELECT used FROM budget_counters WHERE counter_key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)?;
    Ok(value.unwrap_or(0).max(0) as u64)
}

fn add(tx: &Transaction<'_>, tenant: &str, key: &str, delta: i64) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO budget_counters (counter_key, tenant_id, used) VALUES (?1, ?2, MAX(?3, 0))
         ON CONFLICT (counter_key) DO UPDATE SET used = MAX(used + ?3, 0)",
        params![key, tenant, delta],
    )
    .map_err(sql_err)?;
    Ok(())
}

fn stored(tx: &Transaction<'_>, tenant: &str, id: &str) -> StoreResult<Option<ReservationRecord>> {
    let body: Option<String> = tx
        .query_row(
            "SELECT body FROM budget_reservations WHERE tenant_id = ?1 AND reservation_id = ?2",
            params![tenant, id],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)?;
    body.map(|b| from_json("reservation", &b)).transpose()
}

fn save(tx: &Transaction<'_>, tenant: &str, record: &ReservationRecord) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO budget_reservations (tenant_id, reservation_id, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id, reservation_id) DO UPDATE SET body = ?3",
        params![tenant, record.reservation_id, to_json(record)?],
    )
    .map_err(sql_err)?;
    Ok(())
}

#[async_trait]
impl BudgetStore for SqliteStore {
    async fn reserve(&self, reservation: &Reservation) -> StoreResult<ReservationRecord> {
        let r = reservation.clone();
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            if let Some(done) = stored(&tx, &r.tenant_id, &r.reservation_id)? {
                return Ok(done);
            }
            let mut usage_before = BTreeMap::new();
            let mut granted = true;
            for (counter, hard) in &r.counters {
                let key = counter.as_key();
                let used = counter_value(&tx, &key)?;
                if hard.is_some_and(|h| used.saturating_add(r.amount) > h) {
                    granted = false;
                }
                usage_before.insert(key, used);
            }
            if granted {
                for (counter, _) in &r.counters {
                    add(&tx, &r.tenant_id, &counter.as_key(), r.amount as i64)?;
                }
            }
            let record = ReservationRecord {
                reservation_id: r.reservation_id.clone(),
                granted,
                usage_before,
                amount: r.amount,
                settled: None,
            };
            save(&tx, &r.tenant_id, &record)?;
            tx.commit().map_err(sql_err)?;
            Ok(record)
        })
        .await
    }

    async fn settle(
        &self,
        tenant_id: &str,
        reservation_id: &str,
        actual: u64,
    ) -> StoreResult<ReservationRecord> {
        let (tenant, id) = (tenant_id.to_string(), reservation_id.to_string());
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            let mut record = stored(&tx, &tenant, &id)?.ok_or_else(|| {
                StoreError::not_found(format!("reservation {id} of tenant {tenant}"))
            })?;
            if record.settled.is_some() || !record.granted {
                return Ok(record);
            }
            let delta = actual as i64 - record.amount as i64;
            if delta != 0 {
                for key in record.usage_before.keys() {
                    add(&tx, &tenant, key, delta)?;
                }
            }
            record.settled = Some(actual);
            save(&tx, &tenant, &record)?;
            tx.commit().map_err(sql_err)?;
            Ok(record)
        })
        .await
    }

    async fn usage(&self, counters: &[CounterKey]) -> StoreResult<BTreeMap<String, u64>> {
        let keys: Vec<String> = counters.iter().map(CounterKey::as_key).collect();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(sql_err)?;
            let mut out = BTreeMap::new();
            for key in keys {
                let used = counter_value(&tx, &key)?;
                out.insert(key, used);
            }
            Ok(out)
        })
        .await
    }
}
