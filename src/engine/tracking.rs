//! The `cutover` schema in the target database: what was applied, by which run, when.
//! The database is the authority on what was applied; the journal is the narrative.

use tokio_postgres::Client;

pub const SCHEMA_SQL: &str = r#"
CREATE SCHEMA IF NOT EXISTS cutover;
CREATE TABLE IF NOT EXISTS cutover.runs (
    id           text PRIMARY KEY,
    runbook      text NOT NULL,
    checksum     text NOT NULL,
    operator     text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    outcome      text
);
CREATE TABLE IF NOT EXISTS cutover.steps (
    runbook      text NOT NULL,
    step_id      text NOT NULL,
    run_id       text NOT NULL,
    kind         text NOT NULL,
    sql_checksum text,
    status       text NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    rows         bigint,
    decision     text,
    approver     text,
    PRIMARY KEY (runbook, step_id)
);
CREATE TABLE IF NOT EXISTS cutover.decisions (
    run_id       text NOT NULL,
    step_id      text NOT NULL,
    decision     text NOT NULL,
    operator     text NOT NULL,
    comment      text,
    answers      jsonb NOT NULL,
    overrides    jsonb NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT now()
);
-- Every journaled event of a run, mirrored for `cutover watch` (best effort: the journal
-- file is the durable record). The primary key serves the watcher's `seq > $n` reads.
CREATE TABLE IF NOT EXISTS cutover.events (
    run_id       text NOT NULL,
    seq          bigint NOT NULL,
    ts           timestamptz NOT NULL,
    event        jsonb NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"#;

/// Creates the schema once; concurrent first runs are serialized by a transaction lock.
/// Quietly: its "already exists, skipping" notices would show up under the first step.
pub async fn ensure_schema(client: &Client) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(&format!(
            "BEGIN; SET LOCAL client_min_messages = warning; SELECT pg_advisory_xact_lock(7370327, 0); {SCHEMA_SQL} COMMIT;"
        ))
        .await
}

/// One row of `cutover.steps`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub step_id: String,
    pub run_id: String,
    pub status: String,
    pub sql_checksum: Option<String>,
}

pub async fn step_records(
    client: &Client,
    runbook: &str,
) -> Result<Vec<StepRecord>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT step_id, run_id, status, sql_checksum FROM cutover.steps WHERE runbook = $1 ORDER BY finished_at NULLS LAST",
            &[&runbook],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| StepRecord {
            step_id: r.get(0),
            run_id: r.get(1),
            status: r.get(2),
            sql_checksum: r.get(3),
        })
        .collect())
}

/// The latest run of a runbook: (id, outcome).
pub async fn latest_run(
    client: &Client,
    runbook: &str,
) -> Result<Option<(String, Option<String>)>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT id, outcome FROM cutover.runs WHERE runbook = $1 ORDER BY started_at DESC LIMIT 1",
            &[&runbook],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// SQL that upserts a step's status; run inside the step's own transaction when it has one
/// (so `now()` is when that transaction began, and the finish is `clock_timestamp()`).
pub const UPSERT_STEP: &str = "INSERT INTO cutover.steps AS s (runbook, step_id, run_id, kind, sql_checksum, status, started_at, finished_at, attempts, rows)
     VALUES ($1, $2, $3, $4, $5, $6, now(), CASE WHEN $6 = 'started' THEN NULL ELSE clock_timestamp() END, $7, $8)
     ON CONFLICT (runbook, step_id) DO UPDATE SET run_id = EXCLUDED.run_id, kind = EXCLUDED.kind,
       sql_checksum = EXCLUDED.sql_checksum, status = EXCLUDED.status,
       started_at = CASE WHEN s.status = 'started' AND EXCLUDED.status <> 'started' THEN s.started_at ELSE now() END,
       finished_at = EXCLUDED.finished_at, attempts = EXCLUDED.attempts, rows = EXCLUDED.rows";

/// The advisory lock key of a runbook: a fixed class id and a hash of the name.
pub const LOCK_CLASS: i32 = 7370328;

/// Who holds a runbook's lock, for the refusal message.
pub async fn lock_holder(
    client: &Client,
    runbook: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'),
                    to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ')
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.objid = (hashtext($2)::bigint & 4294967295)::oid AND l.objsubid = 2
              LIMIT 1",
            &[&LOCK_CLASS, &runbook],
        )
        .await?;
    Ok(row.map(|r| {
        let pid: i32 = r.get(0);
        let app: String = r.get(1);
        let addr: String = r.get(2);
        let since: String = r.get(3);
        format!("pid {pid}, application_name '{app}', from {addr}, connected since {since}")
    }))
}
