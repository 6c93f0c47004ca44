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
-- Where each run's journal is, so a resume from anywhere finds it (older schemas lack these).
ALTER TABLE cutover.runs ADD COLUMN IF NOT EXISTS journal text;
ALTER TABLE cutover.runs ADD COLUMN IF NOT EXISTS journal_host text;
-- Every operator of the run, its attempts in order (a resume by someone else adds them).
ALTER TABLE cutover.runs ADD COLUMN IF NOT EXISTS operators text[] NOT NULL DEFAULT '{}';
-- One row per step that is applied now, whichever run applied it: a plain INSERT in the step's
-- own transaction, so a second runner committing the same step fails on the primary key and
-- its transaction (the migration with it) rolls back. A rollback deletes the row.
CREATE TABLE IF NOT EXISTS cutover.applied (
    runbook      text NOT NULL,
    step_id      text NOT NULL,
    sql_checksum text,
    run_id       text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (runbook, step_id)
);
-- Steps applied before this table existed.
INSERT INTO cutover.applied (runbook, step_id, sql_checksum, run_id, applied_at)
  SELECT runbook, step_id, sql_checksum, run_id, coalesce(finished_at, now())
    FROM cutover.steps WHERE status = 'applied'
  ON CONFLICT DO NOTHING;
-- Raises unless `holder` holds the runbook's lock (see engine/lock.rs): asked in every step's
-- transaction before its COMMIT.
CREATE OR REPLACE FUNCTION cutover.require_lock(holder integer, runbook text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND pid = holder AND objsubid = 2
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND classid = 7370328::oid
       AND objid = (hashtext(runbook)::bigint & 4294967295)::oid) THEN
    RAISE EXCEPTION 'cutover no longer holds the lock of runbook %', runbook
      USING ERRCODE = 'CU001',
            HINT = 'its lock connection was lost; nothing of this step was committed';
  END IF;
  RETURN true;
END
$fn$;
"#;

/// SQLSTATE of `cutover.require_lock`'s refusal.
pub const LOCK_NOT_HELD: &str = "CU001";
/// The constraint a second application of an applied step trips over.
pub const APPLIED_TWICE: &str = "applied_pkey";

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

/// The run that applied a step, per `cutover.applied`.
pub async fn applied_by(
    client: &Client,
    runbook: &str,
    step: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT run_id FROM cutover.applied WHERE runbook = $1 AND step_id = $2",
            &[&runbook, &step],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Where the latest run of a runbook keeps its journal, as the run recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRun {
    pub id: String,
    pub outcome: Option<String>,
    pub journal: Option<String>,
    pub journal_host: Option<String>,
}

/// The latest run of a runbook with its journal's place; `None` if there is none (or no
/// tracking schema yet). Reads only.
pub async fn latest_recorded_run(
    client: &Client,
    runbook: &str,
) -> Result<Option<RecordedRun>, tokio_postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('cutover.runs') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(None);
    }
    // Through jsonb: runs recorded before these columns existed read as NULL.
    let row = client
        .query_opt(
            "SELECT id, outcome, to_jsonb(r) ->> 'journal', to_jsonb(r) ->> 'journal_host'
               FROM cutover.runs r WHERE runbook = $1 ORDER BY started_at DESC LIMIT 1",
            &[&runbook],
        )
        .await?;
    Ok(row.map(|r| RecordedRun {
        id: r.get(0),
        outcome: r.get(1),
        journal: r.get(2),
        journal_host: r.get(3),
    }))
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
///
/// It fails unless backend `$9` holds the runbook lock, and an `applied` row is also inserted
/// into `cutover.applied` (failing if the step is applied already; `rolled_back` deletes it).
/// Parameters: runbook, step, run id, kind, checksum, status, attempts, rows, lock holder pid.
pub const UPSERT_STEP: &str = "WITH guard AS (SELECT cutover.require_lock($9::int, $1::text) AS held),
     ledger AS (INSERT INTO cutover.applied (runbook, step_id, sql_checksum, run_id)
                SELECT $1, $2, $5, $3 FROM guard WHERE $6::text = 'applied'),
     unledger AS (DELETE FROM cutover.applied a USING guard
                   WHERE a.runbook = $1 AND a.step_id = $2 AND $6::text = 'rolled_back')
     INSERT INTO cutover.steps AS s (runbook, step_id, run_id, kind, sql_checksum, status, started_at, finished_at, attempts, rows)
     SELECT $1, $2, $3, $4, $5, $6, now(), CASE WHEN $6 = 'started' THEN NULL ELSE clock_timestamp() END, $7, $8 FROM guard
     ON CONFLICT (runbook, step_id) DO UPDATE SET run_id = EXCLUDED.run_id, kind = EXCLUDED.kind,
       sql_checksum = EXCLUDED.sql_checksum, status = EXCLUDED.status,
       started_at = CASE WHEN s.status = 'started' AND EXCLUDED.status <> 'started' THEN s.started_at ELSE now() END,
       finished_at = EXCLUDED.finished_at, attempts = EXCLUDED.attempts, rows = EXCLUDED.rows";

/// SQL that records a series of finished checks in one statement (the lock asked once).
/// Parameters: runbook, run id, lock holder pid, then arrays of step ids, SQL checksums,
/// statuses (`passed` / `failed`), start and finish times.
pub const UPSERT_CHECKS: &str = "WITH guard AS (SELECT cutover.require_lock($3::int, $1::text) AS held)
     INSERT INTO cutover.steps AS s (runbook, step_id, run_id, kind, sql_checksum, status, started_at, finished_at, attempts, rows)
     SELECT $1, c.step_id, $2, 'check', c.sql_checksum, c.status, c.started_at, c.finished_at, 1, 0
       FROM guard, unnest($4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
              AS c(step_id, sql_checksum, status, started_at, finished_at)
     ON CONFLICT (runbook, step_id) DO UPDATE SET run_id = EXCLUDED.run_id, kind = EXCLUDED.kind,
       sql_checksum = EXCLUDED.sql_checksum, status = EXCLUDED.status, started_at = EXCLUDED.started_at,
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
