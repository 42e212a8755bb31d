//! The SQLite schema. Each table mirrors one DynamoDB table of the AWS backend: a partition key
//! (tenant) and a sort key, plus at most one secondary index.

use rusqlite::Connection;

use super::sql_err;
use crate::StoreResult;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS evidence (
    tenant_id TEXT NOT NULL,
    evidence_id TEXT NOT NULL,
    provenance TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (tenant_id, evidence_id)
);
CREATE TABLE IF NOT EXISTS record_latest (
    tenant_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, record_key)
);
-- Ordered by key within the account, so an account's records are one index range scan (without
-- the key, the planner prefers walking the primary key in order over the whole tenant).
DROP INDEX IF EXISTS record_latest_by_account;
CREATE INDEX IF NOT EXISTS record_latest_by_account_key ON record_latest (tenant_id, account_id, record_key);
CREATE TABLE IF NOT EXISTS record_versions (
    tenant_id TEXT NOT NULL,
    evidence_ref TEXT NOT NULL,
    body TEXT NOT NULL,
    account_id TEXT,
    PRIMARY KEY (tenant_id, evidence_ref)
);
CREATE TABLE IF NOT EXISTS quarantine (
    tenant_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    line INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, batch_id, line)
);
CREATE TABLE IF NOT EXISTS signals (
    tenant_id TEXT NOT NULL,
    signal_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, signal_id)
);
CREATE TABLE IF NOT EXISTS artifacts (
    tenant_id TEXT NOT NULL,
    artifact_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (tenant_id, artifact_key)
);
CREATE TABLE IF NOT EXISTS actions (
    action_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_tenant ON actions (tenant_id, status);
CREATE INDEX IF NOT EXISTS actions_by_status ON actions (status);
CREATE TABLE IF NOT EXISTS plans (
    tenant_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plan_id)
);
-- What each live plan claims (a CRM field, a contact): one holder per claim.
CREATE TABLE IF NOT EXISTS plan_claims (
    tenant_id TEXT NOT NULL,
    claim TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, claim)
);
CREATE TABLE IF NOT EXISTS ledger_digests (
    tenant_id TEXT NOT NULL,
    to_seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, to_seq)
);
CREATE TRIGGER IF NOT EXISTS ledger_digests_are_never_rewritten
    BEFORE UPDATE ON ledger_digests
    BEGIN SELECT RAISE(ABORT, 'ledger digests are write-once'); END;
CREATE TRIGGER IF NOT EXISTS ledger_digests_are_never_removed
    BEFORE DELETE ON ledger_digests
    BEGIN SELECT RAISE(ABORT, 'ledger digests are write-once'); END;
CREATE TABLE IF NOT EXISTS tool_runs (
    tenant_id TEXT NOT NULL,
    tool_run_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tool_run_id)
);
CREATE INDEX IF NOT EXISTS tool_runs_by_trace ON tool_runs (tenant_id, trace_id);
CREATE TABLE IF NOT EXISTS effects (
    idempotency_key TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS effects_by_action ON effects (tenant_id, action_id);
CREATE TABLE IF NOT EXISTS ledger (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    activity TEXT NOT NULL,
    kind TEXT NOT NULL,
    snapshot_ref TEXT,
    payload_digest TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS connectors (
    tenant_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, connector_id)
);
CREATE TABLE IF NOT EXISTS connector_cursors (
    tenant_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    cursor TEXT NOT NULL,
    PRIMARY KEY (tenant_id, connector_id)
);
CREATE TABLE IF NOT EXISTS push_deliveries (
    tenant_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    keep_until_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, connector_id, signature)
);
CREATE INDEX IF NOT EXISTS push_deliveries_expiry ON push_deliveries (keep_until_ms);
CREATE TABLE IF NOT EXISTS budget_counters (
    counter_key TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    used INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS budget_reservations (
    tenant_id TEXT NOT NULL,
    reservation_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, reservation_id)
);
CREATE TABLE IF NOT EXISTS outcomes (
    tenant_id TEXT NOT NULL,
    outcome_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, outcome_id)
);
CREATE INDEX IF NOT EXISTS outcomes_by_action ON outcomes (tenant_id, action_id);
CREATE TABLE IF NOT EXISTS snapshots (
    tenant_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    state_hash TEXT NOT NULL,
    as_of TEXT NOT NULL,
    body TEXT NOT NULL,
    account_id TEXT,
    PRIMARY KEY (tenant_id, entity, state_hash)
);
-- One row per edge per record asserting it, so a record's edges can be replaced on their own.
CREATE TABLE IF NOT EXISTS graph_assertions (
    tenant_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    src TEXT NOT NULL,
    kind TEXT NOT NULL,
    dst TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, record_key, src, kind, dst)
);
CREATE INDEX IF NOT EXISTS graph_assertions_by_src ON graph_assertions (tenant_id, src);
CREATE INDEX IF NOT EXISTS graph_assertions_by_dst ON graph_assertions (tenant_id, dst);
CREATE TABLE IF NOT EXISTS questions (
    tenant_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, question_id)
);
CREATE INDEX IF NOT EXISTS questions_by_account ON questions (tenant_id, account_id);
-- Append-only, one row per answered question: its rowid is the account's answer revision.
CREATE TABLE IF NOT EXISTS question_answers (
    tenant_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, question_id)
);
CREATE INDEX IF NOT EXISTS question_answers_by_account ON question_answers (tenant_id, account_id);
CREATE TABLE IF NOT EXISTS ledger_head (
    tenant_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunk_vectors (
    tenant_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    record TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    evidence_ref TEXT NOT NULL,
    text TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (tenant_id, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunk_vectors_by_record ON chunk_vectors (tenant_id, record);
CREATE INDEX IF NOT EXISTS chunk_vectors_by_account ON chunk_vectors (tenant_id, account_id);
"#;

/// Adds `column` to `table` in stores created before it existed, then runs `backfill`.
fn add_column(
    conn: &Connection,
    table: &str,
    column: &str,
    ddl: &str,
    backfill: &str,
) -> StoreResult<()> {
    let exists: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql_err)?
        > 0;
    if !exists {
        conn.execute_batch(&format!(
            "ALTER TABLE {table} ADD COLUMN {column} {ddl}; {backfill}"
        ))
        .map_err(sql_err)?;
    }
    Ok(())
}

/// Creates or upgrades the schema in one write transaction, so processes opening the store at
/// once (the worker and the API) take turns and the later one finds the work done.
pub(super) fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_err)?;
    match upgrade(conn) {
        Ok(()) => conn.execute_batch("COMMIT").map_err(sql_err),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn upgrade(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(SCHEMA).map_err(sql_err)?;
    // Stores created before versions were listed per account get the column and its values.
    add_column(
        conn,
        "record_versions",
        "account_id",
        "TEXT",
        "UPDATE record_versions SET account_id = json_extract(body, '$.account_id');",
    )?;
    // Snapshots of accounts themselves know their account; older ones of other entities stay
    // unlisted per account.
    add_column(
        conn,
        "snapshots",
        "account_id",
        "TEXT",
        "UPDATE snapshots SET account_id = substr(entity, 9) WHERE entity LIKE 'account:%';",
    )?;
    // Edges stored before they were kept per record move over, asserted by no record in
    // particular (never retracted).
    let has_old_edges: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'graph_edges'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql_err)?
        > 0;
    if has_old_edges {
        conn.execute_batch(
            "INSERT OR IGNORE INTO graph_assertions (tenant_id, record_key, src, kind, dst, account_id)
                 SELECT tenant_id, '', src, kind, dst, account_id FROM graph_edges;
             DROP TABLE graph_edges;",
        )
        .map_err(sql_err)?;
    }
    // Counts configuration changes, so caches of what the configuration shapes can tell.
    add_column(
        conn,
        "tenants",
        "revision",
        "INTEGER NOT NULL DEFAULT 0",
        "",
    )?;
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS record_versions_by_account ON record_versions (tenant_id, account_id);
         -- With the id, so an account's signals come in id order from one index range (without
         -- it the planner walks the whole tenant in id order).
         DROP INDEX IF EXISTS signals_by_account;
         CREATE INDEX IF NOT EXISTS signals_by_account_id ON signals (tenant_id, account_id, signal_id);
         CREATE INDEX IF NOT EXISTS snapshots_by_account ON snapshots (tenant_id, account_id);",
    )
    .map_err(sql_err)
}
