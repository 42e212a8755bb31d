//! Moves the write-ahead log into the database file on a thread of its own. SQLite's automatic
//! checkpoint runs inside whichever commit crosses its threshold, so that one write waits for
//! thousands of pages to be copied and synced (measured: 20 ms on top of a 3 ms write of 100
//! record versions, on every third such write). Here commits only append to the log, and the
//! automatic checkpoint stays as a backstop at a higher threshold, for when this thread falls
//! behind (a long reader holding the log back).

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::Connection;

use super::{open_shared, sql_err};
use crate::error::StoreResult;

/// How long the thread waits after a round that found the log as the round before left it: an
/// idle store costs a read of the log's index four times a second.
const IDLE: Duration = Duration::from_millis(250);
/// How long it waits after a round that found the log moved: writes are coming, and the log
/// should stay well under the backstop (a delta of 1 000 records appends about 3 300 pages).
const BUSY: Duration = Duration::from_millis(50);

/// Pages in the log past which a commit checkpoints by itself (SQLite's default is 1 000).
pub(super) const BACKSTOP_PAGES: i64 = 10_000;

/// Stops its thread when dropped (with the last handle of the store).
pub(super) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    pub(super) fn start(path: &Path) -> StoreResult<Self> {
        let conn = open_shared(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let (mut wait, mut last) = (IDLE, None);
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                    let now = checkpoint(&conn);
                    // The log moved since the last round: writes are coming.
                    wait = if now.is_some() && now != last {
                        BUSY
                    } else {
                        IDLE
                    };
                    last = now;
                }
            })
            .map_err(|e| {
                crate::StoreError::new(
                    crate::StoreErrorKind::Unavailable,
                    format!("starting the checkpoint thread: {e}"),
                )
            })?;
        Ok(Self { _stop: stop })
    }
}

/// A PASSIVE checkpoint copies what no reader still needs, never waits for a lock, and costs
/// a read of the log's index when there is nothing to copy. A busy answer (another process's
/// checkpoint) is the next round's work. Answers the pages the log holds and how many of
/// them are copied, or `None` when the round failed or was busy.
fn checkpoint(conn: &Connection) -> Option<(i64, i64)> {
    let round = conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(sql_err);
    match round {
        Ok((0, logged, copied)) => Some((logged, copied)),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(error = %e, "checkpoint deferred");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::{Evidence, EvidenceStore, Provenance, SqliteStore};

    /// Pages reach the database file only by a checkpoint: the file grows after a write well
    /// under the commit's own threshold, so the thread did it.
    #[tokio::test]
    async fn the_log_reaches_the_database_file_without_a_commit_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        let provenance = Provenance {
            source: "test".into(),
            connector: "test".into(),
            fetched_at: chrono::Utc::now(),
            cursor: None,
            trust_class: "crm".into(),
        };
        // About 500 pages: a twentieth of the backstop.
        let content: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        store
            .put_evidence(&Evidence::new("t1", content, provenance))
            .await
            .unwrap();
        let started = Instant::now();
        while size() < before + 1_000_000 {
            assert!(
                started.elapsed().as_secs() < 10,
                "the database file is still {} bytes",
                size()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
