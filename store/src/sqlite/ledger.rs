use async_trait::async_trait;
use revloop_domain::ledger::{GENESIS_HASH, LedgerEntry, NewLedgerEntry};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::error::{StoreError, StoreErrorKind};
use crate::ledger::LedgerStore;

const COLUMNS: &str = "tenant_id, seq, prev_hash, hash, at, trace_id, workflow_id, run_id, activity, kind, snapshot_ref, payload_digest, payload";

fn entry_of(row: &Row<'_>) -> rusqlite::Result<(LedgerEntry, String, String, String)> {
    let at: String = row.get(4)?;
    let kind: String = row.get(9)?;
    let payload: String = row.get(12)?;
    Ok((
        LedgerEntry {
            tenant_id: row.get(0)?,
            seq: row.get::<_, i64>(1)? as u64,
            prev_hash: row.get(2)?,
            hash: row.get(3)?,
            at: Default::default(),
            trace_id: row.get(5)?,
            workflow_id: row.get(6)?,
            run_id: row.get(7)?,
            activity: row.get(8)?,
            kind: revloop_domain::ledger::LedgerKind::Intent,
            snapshot_ref: row.get(10)?,
            payload_digest: row.get(11)?,
            payload: serde_json::Value::Null,
        },
        at,
        kind,
        payload,
    ))
}

/// Decodes the text columns. A row whose stored text no longer parses is reported as corrupt,
/// naming its sequence number.
fn decode(parts: (LedgerEntry, String, String, String)) -> StoreResult<LedgerEntry> {
    let (mut entry, at, kind, payload) = parts;
    let corrupt = |what: &str, e: String| {
        StoreError::new(
            StoreErrorKind::Corrupt,
            format!("ledger entry {}: {what}: {e}", entry.seq),
        )
    };
    entry.at = chrono::DateTime::parse_from_rfc3339(&at)
        .map_err(|e| corrupt("timestamp", e.to_string()))?
        .with_timezone(&chrono::Utc);
    entry.kind =
        from_json("ledger kind", &format!("\"{kind}\"")).map_err(|e| corrupt("kind", e.message))?;
    entry.payload =
        serde_json::from_str(&payload).map_err(|e| corrupt("payload", e.to_string()))?;
    Ok(entry)
}

fn kind_text(entry: &LedgerEntry) -> StoreResult<String> {
    Ok(to_json(&entry.kind)?.trim_matches('"').to_string())
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn append(&self, new: NewLedgerEntry) -> StoreResult<LedgerEntry> {
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            let existing = tx
                .query_row(
                    &format!("SELECT {COLUMNS} FROM ledger WHERE tenant_id = ?1 AND idempotency_key = ?2"),
                    params![new.tenant_id, new.idempotency_key],
                    entry_of,
                )
                .optional()
                .map_err(sql_err)?;
            if let Some(parts) = existing {
                return decode(parts);
            }
            let head: Option<(i64, String)> = tx
                .query_row("SELECT seq, hash FROM ledger_head WHERE tenant_id = ?1", [&new.tenant_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(sql_err)?;
            let (seq, prev) = head.map(|(s, h)| (s as u64 + 1, h)).unwrap_or((1, GENESIS_HASH.to_string()));
            let key = new.idempotency_key.clone();
            let entry = new.seal(seq, &prev);
            tx.execute(
                &format!("INSERT INTO ledger (idempotency_key, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
                params![
                    key,
                    entry.tenant_id,
                    entry.seq as i64,
                    entry.prev_hash,
                    entry.hash,
                    entry.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                    entry.trace_id,
                    entry.workflow_id,
                    entry.run_id,
                    entry.activity,
                    kind_text(&entry)?,
                    entry.snapshot_ref,
                    entry.payload_digest,
                    to_json(&entry.payload)?,
                ],
            )
            .map_err(sql_err)?;
            tx.execute(
                "INSERT INTO ledger_head (tenant_id, seq, hash) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id) DO UPDATE SET seq = ?2, hash = ?3",
                params![entry.tenant_id, entry.seq as i64, entry.hash],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(entry)
        })
        .await
    }

    async fn list_entries(
        &self,
        tenant_id: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<LedgerEntry>> {
        let t = tenant_id.to_string();
        self.with(move |c| {
            let mut stmt = c
                .prepare(&format!("SELECT {COLUMNS} FROM ledger WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"))
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![t, after_seq as i64, limit as i64], entry_of).map_err(sql_err)?;
            rows.map(|r| decode(r.map_err(sql_err)?)).collect()
        })
        .await
    }
}
