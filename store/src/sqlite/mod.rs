//! The embedded SQLite backend: one file, WAL mode, shared safely by the worker and the API
//! processes on one machine.
//!
//! rusqlite is synchronous, so every call runs on tokio's blocking pool behind one connection
//! per store handle; SQLite's own locking (with a busy timeout) orders writers across processes.

mod actions;
mod artifacts;
mod budgets;
mod checkpointer;
mod connectors;
mod effects;
mod evidence;
mod graph;
mod ledger;
mod ledger_digests;
mod outcomes;
mod plans;
mod quarantine;
mod questions;
mod records;
mod schema;
mod signals;
mod snapshots;
mod tenants;
mod tool_runs;
mod vectors;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{StoreError, StoreErrorKind, StoreResult};

/// Opens (creating if needed, with its directory) a SQLite file that several processes share:
/// WAL mode, a busy timeout, `synchronous = NORMAL`. For the store, and for other embedded
/// files (memory vectors) that the worker writes while the API reads.
pub fn open_shared(path: &Path) -> StoreResult<Connection> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                format!("creating {}: {e}", parent.display()),
            )
        })?;
    }
    let conn = Connection::open(path).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Unavailable,
            format!("opening {}: {e}", path.display()),
        )
    })?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(sql_err)?;
    // Switching to WAL answers "locked" at once, without waiting, while another process
    // opens the same file: retry for as long as any other lock may be waited for.
    let started = std::time::Instant::now();
    while let Err(e) = conn.pragma_update(None, "journal_mode", "WAL") {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if !busy || started.elapsed() > Duration::from_secs(10) {
            return Err(sql_err(e));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql_err)?;
    Ok(conn)
}

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    _checkpointer: Arc<checkpointer::Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let conn = open_shared(path.as_ref())?;
        schema::migrate(&conn)?;
        // Commits leave checkpoints to the store's own thread (see `checkpointer`).
        conn.pragma_update(None, "wal_autocheckpoint", checkpointer::BACKSTOP_PAGES)
            .map_err(sql_err)?;
        let checkpointer = checkpointer::Checkpointer::start(path.as_ref())?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            _checkpointer: Arc::new(checkpointer),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    pub(crate) async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                StoreError::new(StoreErrorKind::Internal, "sqlite connection lock poisoned")
            })?;
            f(&mut guard)
        })
        .await
        .map_err(|e| {
            StoreError::new(StoreErrorKind::Internal, format!("sqlite task failed: {e}"))
        })?
    }
}

pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    let kind = match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreErrorKind::Unavailable
        }
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreErrorKind::Conflict
        }
        _ => StoreErrorKind::Internal,
    };
    StoreError::new(kind, format!("sqlite: {e}"))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::new(StoreErrorKind::Internal, format!("encoding: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::new(StoreErrorKind::Corrupt, format!("decoding {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::store_conformance!(|| async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("store.db")).unwrap();
        (store, dir)
    });

    /// A store written before versions were listed per account opens, gains the column and
    /// lists its old versions.
    #[tokio::test]
    async fn old_stores_are_migrated() {
        use crate::RecordStore;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let record = revloop_domain::records::parse_line(
            1,
            r#"{"type":"account","id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Acme"}"#,
        )
        .unwrap();
        let body = serde_json::json!({
            "tenant_id": "t1", "key": record.key(), "account_id": "acme",
            "content_hash": record.content_hash(), "evidence_ref": "rec:account:acme@1",
            "record": record, "evidence_id": "ev-1", "line": 1, "previous_ref": null,
            "trust_class": "crm", "observed_at": "2026-01-01T00:00:00Z"
        });
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE record_versions (tenant_id TEXT NOT NULL, evidence_ref TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, evidence_ref));",
            )
            .unwrap();
            old.execute(
                "INSERT INTO record_versions VALUES ('t1', 'rec:account:acme@1', ?1)",
                [body.to_string()],
            )
            .unwrap();
            old.execute_batch(
                "CREATE TABLE tenants (tenant_id TEXT PRIMARY KEY, body TEXT NOT NULL);
                 CREATE TABLE snapshots (tenant_id TEXT NOT NULL, entity TEXT NOT NULL, state_hash TEXT NOT NULL, as_of TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, entity, state_hash));
                 INSERT INTO snapshots VALUES ('t1', 'account:acme', 'h1', '2026-01-01T00:00:00+00:00', '{}');
                 CREATE TABLE graph_edges (tenant_id TEXT NOT NULL, src TEXT NOT NULL, kind TEXT NOT NULL, dst TEXT NOT NULL, account_id TEXT NOT NULL, PRIMARY KEY (tenant_id, src, kind, dst));
                 INSERT INTO graph_edges VALUES ('t1', 'contact:c1', 'works_at', 'account:acme', 'acme');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let versions = store.account_versions("t1", "acme").await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(
            versions[0].source, "",
            "a version from before sources were kept"
        );
        use crate::{GraphStore, SnapshotStore};
        let snapshots = store.account_snapshots("t1", "acme").await.unwrap();
        assert_eq!(
            snapshots.len(),
            1,
            "an account's own snapshots know their account"
        );
        let acme = revloop_domain::world::state::EntityRef::new("account", "acme");
        assert_eq!(
            store.edges_at("t1", &acme).await.unwrap().len(),
            1,
            "edges move over"
        );
        drop(store);
        SqliteStore::open(&path).expect("opening twice migrates nothing twice");
    }

    #[tokio::test]
    async fn processes_opening_a_new_store_at_once_take_turns_migrating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || SqliteStore::open(&path).map(|_| ()))
            })
            .collect();
        for open in opens {
            open.join().unwrap().expect("every opener succeeds");
        }
    }
}
