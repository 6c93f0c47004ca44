//! The tracking store: the `cutover` schema in the target database — what was applied, by
//! which run, when, and who decided what — and every read and write of it, with typed rows.
//! The database is the authority on what was applied; the journal is the narrative.

use crate::events::{Decision, Outcome};
use tokio_postgres::Client;

/// What `cutover.steps.status` says of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepStatus {
    /// A migration running outside a transaction began and has not finished: uncertain.
    Started,
    Applied,
    Failed,
    RolledBack,
    /// A manual step or command was done.
    Done,
    /// A check passed (a failed check is `Failed`).
    Passed,
    /// A checkpoint was decided (the decision itself is in `cutover.decisions`).
    Decided,
    /// A status this version does not know (written by a newer one).
    Unknown,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Started => "started",
            StepStatus::Applied => "applied",
            StepStatus::Failed => "failed",
            StepStatus::RolledBack => "rolled_back",
            StepStatus::Done => "done",
            StepStatus::Passed => "passed",
            StepStatus::Decided => "decided",
            StepStatus::Unknown => "unknown",
        }
    }

    /// The status as stored; anything else is `Unknown`.
    pub fn parse(text: &str) -> StepStatus {
        [
            StepStatus::Started,
            StepStatus::Applied,
            StepStatus::Failed,
            StepStatus::RolledBack,
            StepStatus::Done,
            StepStatus::Passed,
            StepStatus::Decided,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .unwrap_or(StepStatus::Unknown)
    }
}

/// Whether a run with this stored outcome can be resumed: it did not end for good (it is
/// unfinished, halted, failed or interrupted).
pub fn is_resumable(outcome: Option<Outcome>) -> bool {
    !matches!(
        outcome,
        Some(Outcome::Succeeded | Outcome::RolledBack | Outcome::Aborted)
    )
}

/// A run's stored outcome; `None` while it runs or after it was killed (or for an outcome
/// this version does not know).
pub fn parse_outcome(text: Option<&str>) -> Option<Outcome> {
    let text = text?;
    [
        Outcome::Succeeded,
        Outcome::Failed,
        Outcome::Halted,
        Outcome::RolledBack,
        Outcome::Aborted,
        Outcome::Interrupted,
    ]
    .into_iter()
    .find(|o| o.as_str() == text)
}

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
-- Rehearsal records published to this database (`cutover rehearse --publish`): a production
-- run on any machine finds the newest of its runbook here.
CREATE TABLE IF NOT EXISTS cutover.rehearsals (
    run_id       text PRIMARY KEY,
    runbook      text NOT NULL,
    checksum     text,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    record       jsonb NOT NULL
);
-- A backfill's cursor: written in each batch's own transaction, so a crash or a pause resumes
-- at the next batch, never redoing or skipping one.
CREATE TABLE IF NOT EXISTS cutover.backfills (
    runbook      text NOT NULL,
    step_id      text NOT NULL,
    run_id       text NOT NULL,
    last_key     bigint NOT NULL,
    rows_done    bigint NOT NULL,
    batches      integer NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (runbook, step_id)
);
-- Raises unless `holder` holds the runbook's lock (see engine/lock.rs): asked in every step's
-- transaction before its COMMIT.
CREATE OR REPLACE FUNCTION cutover.require_lock(holder integer, runbook text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
  -- The holder's lock connection also holds a key of its own (runbook and pid, see
  -- tracking::TAKE_LOCK): not getting even a share of it means that connection is alive and
  -- holds the runbook lock. One lock-table probe instead of a scan of pg_locks.
  IF NOT pg_try_advisory_xact_lock_shared((hashtext(runbook)::bigint << 32) | holder) THEN
    RETURN true;
  END IF;
  -- No such key (the holder is gone, or is an older cutover that took none): ask pg_locks.
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

/// Stores a rehearsal record (its JSON) in `cutover.rehearsals`, replacing one of the same
/// rehearsal run.
pub async fn publish_rehearsal(
    client: &Client,
    run_id: &str,
    runbook: &str,
    checksum: Option<&str>,
    record: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    ensure_schema(client).await?;
    client
        .execute(
            "INSERT INTO cutover.rehearsals (run_id, runbook, checksum, record)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (run_id) DO UPDATE
               SET runbook = EXCLUDED.runbook, checksum = EXCLUDED.checksum,
                   record = EXCLUDED.record, recorded_at = now()",
            &[&run_id, &runbook, &checksum, record],
        )
        .await
        .map(|_| ())
}

/// The newest rehearsal record of `runbook` at `checksum` published since `since` (ever, if
/// `None`): its run id and JSON. `None` when there is none (or no table for them yet).
pub async fn published_rehearsal(
    client: &Client,
    runbook: &str,
    checksum: &str,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<(String, serde_json::Value)>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT run_id, record FROM cutover.rehearsals
              WHERE runbook = $1 AND checksum = $2 AND ($3::timestamptz IS NULL OR recorded_at >= $3)
              ORDER BY recorded_at DESC LIMIT 1",
            &[&runbook, &checksum, &since],
        )
        .await;
    match row {
        Ok(row) => Ok(row.map(|r| (r.get(0), r.get(1)))),
        // No tracking schema, or one from before rehearsals were published.
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One row of `cutover.steps`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub step_id: String,
    pub run_id: String,
    pub status: StepStatus,
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
            status: StepStatus::parse(r.get(2)),
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
    pub outcome: Option<Outcome>,
    pub journal: Option<String>,
    pub journal_host: Option<String>,
}

/// The latest run of a runbook with its journal's place; `None` if there is none (or no
/// tracking schema yet). Reads only.
pub async fn latest_recorded_run(
    client: &Client,
    runbook: &str,
) -> Result<Option<RecordedRun>, tokio_postgres::Error> {
    if !has_table(client, "runs").await? {
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
        outcome: parse_outcome(r.get(1)),
        journal: r.get(2),
        journal_host: r.get(3),
    }))
}

/// The latest run of a runbook: its id and stored outcome (`None`: not finished).
pub async fn latest_run(
    client: &Client,
    runbook: &str,
) -> Result<Option<(String, Option<Outcome>)>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT id, outcome FROM cutover.runs WHERE runbook = $1 ORDER BY started_at DESC LIMIT 1",
            &[&runbook],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), parse_outcome(r.get(1)))))
}

/// Where a run is recorded from: its journal's path and host, and who runs it.
pub struct RunPlace<'a> {
    pub journal: &'a str,
    pub host: &'a str,
    pub operator: &'a str,
}

/// Records a new run.
pub async fn insert_run(
    client: &Client,
    run_id: &str,
    runbook: &str,
    checksum: &str,
    place: &RunPlace<'_>,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO cutover.runs (id, runbook, checksum, operator, journal, journal_host, operators) VALUES ($1, $2, $3, $4, $5, $6, ARRAY[$4])",
            &[&run_id, &runbook, &checksum, &place.operator, &place.journal, &place.host],
        )
        .await?;
    Ok(())
}

/// Reopens an interrupted run for a resumed attempt (from wherever it is resumed, by whoever
/// resumes it); returns the runbook checksum the run started with.
pub async fn reopen_run(
    client: &Client,
    run_id: &str,
    place: &RunPlace<'_>,
) -> Result<Option<String>, tokio_postgres::Error> {
    let started_with = client
        .query_opt(
            "SELECT checksum FROM cutover.runs WHERE id = $1",
            &[&run_id],
        )
        .await?
        .map(|r| r.get(0));
    client
        .execute(
            "UPDATE cutover.runs SET outcome = NULL, finished_at = NULL, journal = $2, journal_host = $3,
               operators = CASE WHEN $4 = ANY(operators) THEN operators
                                WHEN cardinality(operators) = 0 THEN ARRAY[operator, $4]
                                ELSE operators || $4 END
             WHERE id = $1",
            &[&run_id, &place.journal, &place.host, &place.operator],
        )
        .await?;
    Ok(started_with)
}

/// When a run first started, as the database recorded it.
pub async fn run_started_at(
    client: &Client,
    run_id: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, tokio_postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT started_at FROM cutover.runs WHERE id = $1",
            &[&run_id],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Records a run's outcome — only while `holder` holds the runbook's lock: a runner that lost
/// it must not overwrite the outcome of a run another runner has since taken over.
pub async fn finish_run(
    client: &Client,
    run_id: &str,
    runbook: &str,
    outcome: Outcome,
    holder: i32,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "UPDATE cutover.runs SET outcome = $2, finished_at = now() WHERE id = $1 AND cutover.require_lock($3, $4)",
            &[&run_id, &outcome.as_str(), &holder, &runbook],
        )
        .await?;
    Ok(())
}

/// A go given at a checkpoint of a run: (checkpoint, operator, when).
pub type GivenGo = (String, String, chrono::DateTime<chrono::Utc>);

/// The goes given so far in a run, in order (a resumed run does not ask for them again).
pub async fn goes_given(
    client: &Client,
    run_id: &str,
) -> Result<Vec<GivenGo>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT step_id, operator, decided_at FROM cutover.decisions
              WHERE run_id = $1 AND decision = $2 ORDER BY decided_at",
            &[&run_id, &decision_text(Decision::Go)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

fn decision_text(decision: Decision) -> &'static str {
    match decision {
        Decision::Go => "go",
        Decision::Abort => "abort",
        Decision::Rollback => "rollback",
    }
}

/// A decision at a checkpoint, as recorded.
pub struct Decided<'a> {
    pub run_id: &'a str,
    pub runbook: &'a str,
    pub step: &'a str,
    pub decision: Decision,
    pub operator: &'a str,
    pub comment: Option<&'a str>,
    pub answers: serde_json::Value,
    pub overrides: serde_json::Value,
}

/// Records a decision and the checkpoint's step row in one statement, so a crash never
/// leaves a decision without its step row.
pub async fn record_decision(
    client: &Client,
    d: &Decided<'_>,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "WITH decided AS (
               INSERT INTO cutover.decisions (run_id, step_id, decision, operator, comment, answers, overrides)
               VALUES ($1, $2, $3, $4, $5, $6, $7))
             INSERT INTO cutover.steps (runbook, step_id, run_id, kind, status, started_at, finished_at, decision, approver)
             VALUES ($8, $2, $1, 'checkpoint', $9, now(), now(), $3, $4)
             ON CONFLICT (runbook, step_id) DO UPDATE SET run_id = EXCLUDED.run_id, status = EXCLUDED.status,
               finished_at = now(), decision = EXCLUDED.decision, approver = EXCLUDED.approver",
            &[
                &d.run_id,
                &d.step,
                &decision_text(d.decision),
                &d.operator,
                &d.comment,
                &d.answers,
                &d.overrides,
                &d.runbook,
                &StepStatus::Decided.as_str(),
            ],
        )
        .await?;
    Ok(())
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

/// Moves a backfill's cursor, in the batch's own transaction and only while backend `$7`
/// holds the runbook lock. Parameters: runbook, step, run id, last key, rows done, batches,
/// lock holder pid.
pub const ADVANCE_BACKFILL: &str =
    "WITH guard AS (SELECT cutover.require_lock($7::int, $1::text) AS held)
     INSERT INTO cutover.backfills AS b (runbook, step_id, run_id, last_key, rows_done, batches)
     SELECT $1, $2, $3, $4, $5, $6 FROM guard
     ON CONFLICT (runbook, step_id) DO UPDATE SET run_id = EXCLUDED.run_id,
       last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done, batches = EXCLUDED.batches,
       updated_at = clock_timestamp()";

/// Where a backfill stands: the last key done, rows and batches so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackfillCursor {
    pub last_key: i64,
    pub rows_done: i64,
    pub batches: i32,
}

/// A backfill's cursor, if it has run a batch.
pub async fn backfill_cursor(
    client: &Client,
    runbook: &str,
    step: &str,
) -> Result<Option<BackfillCursor>, tokio_postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT last_key, rows_done, batches FROM cutover.backfills WHERE runbook = $1 AND step_id = $2",
            &[&runbook, &step],
        )
        .await?
        .map(|r| BackfillCursor {
            last_key: r.get(0),
            rows_done: r.get(1),
            batches: r.get(2),
        }))
}

/// Completes the row counts of steps whose tracking rows were committed without them (the
/// engine sends a step's COMMIT before it has read its statements' answers): `(step, rows)`.
pub async fn complete_rows(
    client: &Client,
    runbook: &str,
    rows: &[(String, i64)],
) -> Result<u64, tokio_postgres::Error> {
    let (steps, counts): (Vec<&str>, Vec<i64>) =
        rows.iter().map(|(step, n)| (step.as_str(), *n)).unzip();
    client
        .execute(
            "UPDATE cutover.steps s SET rows = f.rows
               FROM unnest($2::text[], $3::bigint[]) AS f(step_id, rows)
              WHERE s.runbook = $1 AND s.step_id = f.step_id AND s.rows IS NULL",
            &[&runbook, &steps, &counts],
        )
        .await
}

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

/// A step's row as `status` shows it, with the decision that settled a checkpoint.
pub struct StepRow {
    pub step_id: String,
    pub status: StepStatus,
    /// The status as stored (what an `Unknown` one said).
    pub status_text: String,
    pub sql_checksum: Option<String>,
    pub decision: Option<String>,
    pub approver: Option<String>,
    /// Failed critical checks the decision overrode, and its reason.
    pub overrode: Vec<String>,
    pub reason: Option<String>,
}

/// Every step row of a runbook; `None` if the database has no tracking schema.
pub async fn step_rows(
    client: &Client,
    runbook: &str,
) -> Result<Option<Vec<StepRow>>, tokio_postgres::Error> {
    if !has_table(client, "steps").await? {
        return Ok(None);
    }
    let rows = client
        .query(
            "SELECT s.step_id, s.status, s.sql_checksum, s.decision, s.approver, d.overrides, d.comment
             FROM cutover.steps s
             LEFT JOIN LATERAL (
               SELECT overrides, comment FROM cutover.decisions
               WHERE run_id = s.run_id AND step_id = s.step_id
               ORDER BY decided_at DESC LIMIT 1
             ) d ON s.decision IS NOT NULL
             WHERE s.runbook = $1",
            &[&runbook],
        )
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| {
                let status_text: String = r.get(1);
                StepRow {
                    step_id: r.get(0),
                    status: StepStatus::parse(&status_text),
                    status_text,
                    sql_checksum: r.get(2),
                    decision: r.get(3),
                    approver: r.get(4),
                    overrode: r
                        .get::<_, Option<serde_json::Value>>(5)
                        .and_then(|v| serde_json::from_value(v).ok())
                        .unwrap_or_default(),
                    reason: r.get(6),
                }
            })
            .collect(),
    ))
}

/// The runbook's migrations still applied, in the order they finished (an undo reverses
/// it); `None` if the database has no tracking schema. Reads only.
pub async fn applied_in_order(
    client: &Client,
    runbook: &str,
) -> Result<Option<Vec<String>>, tokio_postgres::Error> {
    if !has_table(client, "steps").await? {
        return Ok(None);
    }
    Ok(Some(
        step_records(client, runbook)
            .await?
            .into_iter()
            .filter(|r| r.status == StepStatus::Applied)
            .map(|r| r.step_id)
            .collect(),
    ))
}

/// Whether the tracking schema has this table (a database never run against has none).
async fn has_table(client: &Client, table: &str) -> Result<bool, tokio_postgres::Error> {
    Ok(client
        .query_one(
            "SELECT to_regclass('cutover.' || quote_ident($1)) IS NOT NULL",
            &[&table],
        )
        .await?
        .get(0))
}

/// A run of a runbook that has no outcome yet: running, or left unfinished.
pub struct UnfinishedRun {
    pub id: String,
    pub operator: String,
    /// When it started, as the server formats it (with its zone).
    pub started: String,
}

/// The latest run of a runbook without an outcome, if any.
pub async fn unfinished_run(
    client: &Client,
    runbook: &str,
) -> Result<Option<UnfinishedRun>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT id, operator, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ')
               FROM cutover.runs WHERE runbook = $1 AND outcome IS NULL
              ORDER BY started_at DESC LIMIT 1",
            &[&runbook],
        )
        .await?;
    Ok(row.map(|r| UnfinishedRun {
        id: r.get(0),
        operator: r.get(1),
        started: r.get(2),
    }))
}

/// The last event a run mirrored: its journal tag and its step (empty if none).
pub async fn last_event(
    client: &Client,
    run_id: &str,
) -> Result<Option<(String, String)>, tokio_postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT event->>'event', coalesce(event->>'step', '') FROM cutover.events
              WHERE run_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&run_id],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// One run as `history` lists it.
pub struct RunSummary {
    pub id: String,
    pub runbook: String,
    /// Everyone who ran an attempt of it, in order, comma-separated.
    pub operators: String,
    pub started: String,
    /// The finish time of day, or `-`.
    pub finished: String,
    /// Its outcome as stored, or `unfinished`.
    pub outcome: String,
    pub applied: i64,
}

/// The runs recorded in the database (of one runbook, or all), oldest first; `None` if it
/// has no tracking schema. Reads the tracking schema of every release so far.
pub async fn run_history(
    client: &Client,
    runbook: Option<&str>,
) -> Result<Option<Vec<RunSummary>>, tokio_postgres::Error> {
    if !has_table(client, "runs").await? {
        return Ok(None);
    }
    // A tracking schema older than the operators column lists the first operator.
    let has_operators: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = 'cutover' AND table_name = 'runs' AND column_name = 'operators')",
            &[],
        )
        .await?
        .get(0);
    let operators = if has_operators {
        "array_to_string(CASE WHEN cardinality(r.operators) > 0 THEN r.operators ELSE ARRAY[r.operator] END, ', ')"
    } else {
        "r.operator"
    };
    let rows = client
        .query(
            &format!("SELECT r.id, r.runbook, {operators},
                    to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                    coalesce(to_char(r.finished_at, 'HH24:MI:SS'), '-'), coalesce(r.outcome, 'unfinished'),
                    (SELECT count(*) FROM cutover.steps s WHERE s.run_id = r.id AND s.status = $2)
               FROM cutover.runs r WHERE $1::text IS NULL OR r.runbook = $1 ORDER BY r.started_at"),
            &[&runbook, &StepStatus::Applied.as_str()],
        )
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| RunSummary {
                id: r.get(0),
                runbook: r.get(1),
                operators: r.get(2),
                started: r.get(3),
                finished: r.get(4),
                outcome: r.get(5),
                applied: r.get(6),
            })
            .collect(),
    ))
}

/// The latest run of a runbook as the watcher follows it; `Err(why)` says why there is none
/// (no tracking schema, or no run of this runbook yet).
pub async fn followed_run(
    client: &Client,
    runbook: &str,
) -> Result<Result<String, String>, tokio_postgres::Error> {
    if !(has_table(client, "runs").await? && has_table(client, "events").await?) {
        return Ok(Err(
            "no cutover run recorded in this database yet (no events table)".to_owned(),
        ));
    }
    let latest = client
        .query_opt(
            "SELECT id FROM cutover.runs WHERE runbook = $1 ORDER BY started_at DESC, id DESC LIMIT 1",
            &[&runbook],
        )
        .await?
        .map(|r| r.get(0));
    Ok(latest.ok_or_else(|| format!("no run of `{runbook}` recorded in this database yet")))
}

/// A mirrored event as stored: (seq, ts, event).
pub type StoredEvent = (i64, chrono::DateTime<chrono::Utc>, serde_json::Value);

/// Up to `limit` mirrored events of a run after `after`, in order.
pub async fn events_after(
    client: &Client,
    run_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT seq, ts, event FROM cutover.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&run_id, &after, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// The `LISTEN` channel the mirror signals new events on; the payload is the run id.
pub const EVENTS_CHANNEL: &str = "cutover_events";

/// Writes a batch of mirrored events and signals watchers, atomically (one statement, one
/// transaction). `$1` the run id, `$2` the batch as a JSON array of `{seq, ts, event}`.
pub const INSERT_EVENTS: &str = "WITH inserted AS (
    INSERT INTO cutover.events (run_id, seq, ts, event)
    SELECT $1, (e->>'seq')::bigint, (e->>'ts')::timestamptz, e->'event'
      FROM jsonb_array_elements($2::text::jsonb) AS b(e)
    ON CONFLICT (run_id, seq) DO NOTHING
    RETURNING 1
)
SELECT pg_notify('cutover_events', $1), (SELECT count(*) FROM inserted)";

/// The highest sequence number mirrored for a run so far.
pub async fn events_stored_max(
    client: &Client,
    run_id: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    client
        .query_one(
            "SELECT max(seq) FROM cutover.events WHERE run_id = $1",
            &[&run_id],
        )
        .await
        .map(|r| r.get(0))
}

/// Whether backend `holder` holds the runbook's lock, asked of the server now.
pub async fn lock_held_by(client: &Client, holder: i32, runbook: &str) -> bool {
    client
        .query_one("SELECT cutover.require_lock($1, $2)", &[&holder, &runbook])
        .await
        .is_ok()
}

/// The advisory lock key of a runbook: a fixed class id and a hash of the name.
pub const LOCK_CLASS: i32 = 7370328;

/// Takes a runbook's lock (`$1` LOCK_CLASS, `$2` the runbook) without waiting, and with it
/// the holder's own key — the runbook's hash and this backend's pid, the key
/// `cutover.require_lock` probes. Columns: runbook lock taken, holder key taken, pid. (Without
/// the holder key the guard falls back to scanning pg_locks: slower, still right.)
pub const TAKE_LOCK: &str = "WITH runbook AS (SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken)
     SELECT taken,
            CASE WHEN taken THEN pg_try_advisory_lock((hashtext($2)::bigint << 32) | pg_backend_pid()) ELSE false END,
            pg_backend_pid()
       FROM runbook";

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

#[cfg(test)]
mod tests;
