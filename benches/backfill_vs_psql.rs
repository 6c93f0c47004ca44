//! A backfill step against the loop a DBA writes by hand: the same 500,000-row UPDATE in
//! batches of 5,000 keys, each committed, unthrottled.
//!
//! * `cutover run --headless` of a runbook whose one step is a `backfill:` (fixed batch
//!   size, so both do the same batches): each batch in its own transaction with its cursor
//!   row, a keyset query before it, an event journaled after it.
//! * psql running a `DO` block that walks the keys and COMMITs after each batch — all on
//!   the server, no round trip per batch, nothing remembered: the fastest a hand-written
//!   loop gets.
//!
//! Repetitions alternate which goes first and VACUUM the table between them. Prints the
//! median times, rows/s and cutover's time as a ratio of psql's; never fails on time.
//!
//!   scripts/bench --bench backfill_vs_psql
//!   BENCH_REPS=9 scripts/bench --bench backfill_vs_psql
//!
//! Needs CUTOVER_TEST_DATABASE_URL (a role that may create databases; scripts/bench sets
//! it) and `psql`.

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: u64 = 500_000;
const BATCH: u64 = 5_000;

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{db}")
}

fn psql(url: &str, sql: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-o",
        "/dev/null",
        "-c",
        sql,
        url,
    ]);
    cmd
}

fn timed(mut cmd: Command, what: &str) -> Duration {
    let started = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn run(cmd: Command, what: &str) {
    timed(cmd, what);
}

fn runbook(dir: &Path, rep: usize) -> PathBuf {
    let yaml = format!(
        "name: backfill_bench_{rep}\nwindow:\n  budget: 8h\nphases:\n  - id: fill\n    kind: migration\n    budget: 4h\n    steps:\n      - backfill: bump\n        table: public.bench_t\n        key: id\n        sql: UPDATE public.bench_t SET n = n + 1 WHERE id > $1 AND id <= $2\n        batch: {BATCH}\n        min_batch: {BATCH}\n        max_batch: {BATCH}\n"
    );
    let path = dir.join(format!("backfill-bench-{rep}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path
}

const LOOP: &str = "DO $$
DECLARE last bigint := 0; upto bigint;
BEGIN
  LOOP
    SELECT max(id) INTO upto FROM (SELECT id FROM public.bench_t WHERE id > last ORDER BY id LIMIT 5000) s;
    EXIT WHEN upto IS NULL;
    UPDATE public.bench_t SET n = n + 1 WHERE id > last AND id <= upto;
    last := upto;
    COMMIT;
  END LOOP;
END $$";

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let url = std::env::var("CUTOVER_TEST_DATABASE_URL")
        .expect("CUTOVER_TEST_DATABASE_URL (run through scripts/bench)");
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let cutover = PathBuf::from(env!("CARGO_BIN_EXE_cutover"));
    let dir = std::env::temp_dir().join(format!("cutover-bench-backfill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run(
        psql(&url, "DROP DATABASE IF EXISTS bench_backfill WITH (FORCE)"),
        "drop",
    );
    run(psql(&url, "CREATE DATABASE bench_backfill"), "create");
    let db = with_db(&url, "bench_backfill");
    run(
        psql(
            &db,
            &format!(
                "CREATE TABLE public.bench_t (id bigint PRIMARY KEY, n int NOT NULL DEFAULT 0, payload text);
                 INSERT INTO public.bench_t SELECT g, 0, md5(g::text) FROM generate_series(1, {ROWS}) g"
            ),
        ),
        "seed",
    );
    run(psql(&db, "VACUUM ANALYZE public.bench_t"), "vacuum");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let book = runbook(&dir, rep);
        let cutover_first = rep % 2 == 0;
        for turn in 0..2 {
            if (turn == 0) == cutover_first {
                let mut cmd = Command::new(&cutover);
                cmd.current_dir(&dir).args([
                    "run",
                    book.to_str().unwrap(),
                    "--headless",
                    "--database-url",
                    &db,
                ]);
                ours.push(timed(cmd, "cutover run"));
            } else {
                theirs.push(timed(psql(&db, LOOP), "psql DO loop"));
            }
            run(psql(&db, "VACUUM public.bench_t"), "vacuum");
        }
    }
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    let rate = |d: Duration| ROWS as f64 / d.as_secs_f64();
    println!(
        "backfill_vs_psql: {ROWS} rows in batches of {BATCH}, median of {reps}\n  cutover backfill  {:>8.3}s  {:>9.0} rows/s\n  psql DO loop      {:>8.3}s  {:>9.0} rows/s\n  cutover / psql    {:>8.2}×",
        ours.as_secs_f64(),
        rate(ours),
        theirs.as_secs_f64(),
        rate(theirs),
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
    run(
        psql(&url, "DROP DATABASE IF EXISTS bench_backfill WITH (FORCE)"),
        "drop",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
