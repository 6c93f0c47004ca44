//! Crash safety of the real binary: `cutover run` is SIGKILLed at many moments of a long
//! runbook and resumed each time (`--resume --approve-all --uncertain retry`) until a run
//! finishes. Afterwards — and after every kill — the database, the tracking table and the
//! journal must tell one consistent story, and no migration may have been applied twice.
//!
//! # What "the journal and the tracking table agree" can mean
//!
//! The tracking table is the authority. For a transactional migration the `applied` row is
//! written inside the migration's own transaction, so "migration committed" and "tracking
//! says applied" are one atomic fact. The journal line `step_finished` is appended (and
//! fsynced) only *after* COMMIT returns. A SIGKILL can land between the two, so the journal
//! may lag the database by one step — the one the dying process was working on — but it can
//! never be ahead of it. A non-transactional step (`CREATE INDEX CONCURRENTLY`) is marked
//! `started` before its statements and `applied` after them, both on autocommit, then
//! journaled; a kill in between leaves it `started` (uncertain) and the resume re-runs it,
//! which must be harmless (`IF NOT EXISTS`).
//!
//! So the strongest properties that are actually guaranteed, and that this test asserts:
//!
//! * after every kill: every migration the journal reports done (`step_finished`, or
//!   `step_skipped` "already applied") is `applied` in `cutover.steps`; at most one applied
//!   migration is missing from the journal, and it is the last step the journal shows
//!   starting; a transactional migration's effects (its `applied_log` row) exist exactly
//!   when the tracking table says `applied`;
//! * at the end: every migration's effect exists exactly once, every migration is
//!   `applied`, each concurrent index exists and is valid;
//! * the journal parses, apart from at most one torn line per kill, each followed by the
//!   `run_started` of the next process; `seq` strictly increases; the run ends with
//!   `run_finished: succeeded`;
//! * per migration: at most one `step_finished` ever (a second one would mean a second
//!   application), no `step_started` after its `step_finished`, and if it has no
//!   `step_finished` at all, the process that applied it died while working on it: its last
//!   `step_started` is the last step started in that process's part of the journal, and
//!   every later process skipped it as already applied.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use cutover::events::{Event, Outcome};
use cutover::journal::{Entry, replay};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const RUNBOOK_NAME: &str = "crash";
const MIGRATIONS: usize = 30;
/// A concurrent index after every this many migrations.
const INDEX_EVERY: usize = 6;
const KILLS: usize = 24;

/// What the generated runbook contains, for the assertions.
struct Generated {
    /// Every migrate step, in order, with whether it runs in a transaction.
    migrations: Vec<(String, bool)>,
    /// Ids that must appear exactly once in `applied_log`.
    logged: Vec<String>,
    /// Indexes built concurrently.
    indexes: Vec<String>,
    checkpoint: String,
}

/// Names are schema-qualified so that the proofs do not depend on the search_path (the
/// scratch cluster's role is called `cutover`, like the tracking schema).
fn generate() -> (String, Generated) {
    let mut g = Generated {
        migrations: Vec::new(),
        logged: Vec::new(),
        indexes: Vec::new(),
        checkpoint: "halfway-gate".into(),
    };
    let mut yaml = String::from(
        "name: crash\ntitle: SIGKILL and resume\nwindow:\n  budget: 4h\nphases:\n  - id: prep\n    kind: preparation\n    budget: 10m\n    steps:\n      - migrate: log-table\n        sql: CREATE TABLE public.applied_log (step text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())\n        rollback: DROP TABLE public.applied_log\n",
    );
    g.migrations.push(("log-table".into(), true));
    for half in 0..2 {
        yaml.push_str(&format!(
            "  - id: part{}\n    kind: migration\n    budget: 1h\n    steps:\n",
            half + 1
        ));
        let range = if half == 0 {
            1..=MIGRATIONS / 2
        } else {
            MIGRATIONS / 2 + 1..=MIGRATIONS
        };
        for n in range {
            let id = format!("m{n:02}");
            yaml.push_str(&format!(
                "      - migrate: {id}\n        sql: |\n          CREATE TABLE public.t{n:02} (id int PRIMARY KEY, v text);\n          SELECT pg_sleep(0.05);\n          INSERT INTO public.t{n:02} VALUES (1, 'a'), (2, 'b');\n          INSERT INTO public.applied_log(step) VALUES ('{id}');\n        rollback: DELETE FROM public.applied_log WHERE step = '{id}'; DROP TABLE public.t{n:02}\n"
            ));
            g.migrations.push((id.clone(), true));
            g.logged.push(id);
            if n % INDEX_EVERY == 0 {
                // Two concurrent builds with a pause between: kills land between them too,
                // leaving the step `started` (uncertain). Rerunning it must be harmless.
                let ix = format!("ix{n:02}");
                let a = format!("t{n:02}_v_idx");
                let b = format!("t{n:02}_v_id_idx");
                yaml.push_str(&format!(
                    "      - migrate: {ix}\n        sql: |\n          CREATE INDEX CONCURRENTLY IF NOT EXISTS {a} ON public.t{n:02} (v);\n          SELECT pg_sleep(0.05);\n          CREATE INDEX CONCURRENTLY IF NOT EXISTS {b} ON public.t{n:02} (v, id);\n        rollback: DROP INDEX CONCURRENTLY IF EXISTS public.{b}; DROP INDEX CONCURRENTLY IF EXISTS public.{a}\n"
                ));
                // The proof that the step ran once: a transactional step right after it.
                let log = format!("{ix}-log");
                yaml.push_str(&format!(
                    "      - migrate: {log}\n        sql: INSERT INTO public.applied_log(step) VALUES ('{ix}')\n        rollback: DELETE FROM public.applied_log WHERE step = '{ix}'\n"
                ));
                g.migrations.push((ix.clone(), false));
                g.migrations.push((log, true));
                g.logged.push(ix);
                g.indexes.push(a);
                g.indexes.push(b);
            }
        }
        if half == 0 {
            yaml.push_str(&format!(
                "      - checkpoint: {}\n        prompt: Half of the tables are in; carry on?\n        questions: [Tables look right?]\n",
                g.checkpoint
            ));
        }
    }
    (yaml, g)
}

/// A deterministic pseudo-random sequence (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// When to kill a process.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// This long after it was started.
    After(Duration),
    /// As soon as it has appended this many journal lines (varied points in the event stream,
    /// e.g. right after a step's last statement, while it commits).
    Lines(usize),
    /// This long after it has journaled the end of the last statement of this many table
    /// migrations: it is then recording the step and committing, or has just committed.
    Committing(usize, Duration),
}

fn schedule(seed: u64) -> Vec<Trigger> {
    let mut rng = Rng(seed);
    let mut out = vec![
        // Before and during startup: connecting, creating the schema, recording the run.
        Trigger::After(Duration::from_millis(0)),
        Trigger::After(Duration::from_millis(15)),
        Trigger::Lines(1),
    ];
    while out.len() < KILLS {
        out.push(match rng.below(4) {
            0 => Trigger::After(Duration::from_millis(40 + rng.below(560))),
            1 => Trigger::Lines(2 + rng.below(45) as usize),
            // Half of the kills aim at the COMMIT, which is about 1 ms after the last
            // statement's line is written (UPSERT of the tracking row, then COMMIT).
            _ => Trigger::Committing(
                1 + rng.below(2) as usize,
                Duration::from_micros(500 + rng.below(1500)),
            ),
        });
    }
    out
}

fn count_lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// Follows the journal as a running process appends to it, reading only what is new.
struct Watch {
    path: PathBuf,
    pos: u64,
    partial: Vec<u8>,
    /// Complete lines appended since the watch started.
    lines: usize,
    /// Table migrations whose last statement (#4) has been journaled as finished.
    committing: usize,
}

impl Watch {
    fn new(path: &Path) -> Watch {
        Watch {
            path: path.to_path_buf(),
            pos: std::fs::metadata(path).map_or(0, |m| m.len()),
            partial: Vec::new(),
            lines: 0,
            committing: 0,
        }
    }

    fn poll(&mut self) {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.pos)).is_err() {
            return;
        }
        let mut new = Vec::new();
        let Ok(n) = f.read_to_end(&mut new) else {
            return;
        };
        self.pos += n as u64;
        self.partial.extend_from_slice(&new);
        while let Some(end) = self.partial.iter().position(|&c| c == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.lines += 1;
            if let Ok(Entry {
                event: Event::StatementFinished { step, index: 4, .. },
                ..
            }) = serde_json::from_slice::<Entry>(&line)
                && step.starts_with('m')
            {
                self.committing += 1;
            }
        }
    }
}

struct Attempt {
    n: usize,
    resume: bool,
    trigger: Option<Trigger>,
    /// How it ended: `None` when it was killed while running.
    status: Option<ExitStatus>,
    lines_before: usize,
    lines_after: usize,
    out: PathBuf,
    err: PathBuf,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "attempt {} resume={} trigger={:?} -> {} (journal lines {} -> {})",
            self.n,
            self.resume,
            self.trigger,
            self.status.map_or("KILLED".to_owned(), |s| format!("{s}")),
            self.lines_before,
            self.lines_after
        )
    }
}

fn spawn(runbook: &Path, url: &str, journal: &Path, resume: bool, out: &Path, err: &Path) -> Child {
    let mut cmd = Command::new(common::binary());
    cmd.arg("run")
        .arg(runbook)
        .args(["--headless", "--approve-all", "--uncertain", "retry"])
        .arg("--database-url")
        .arg(url)
        .arg("--journal")
        .arg(journal)
        .stdin(Stdio::null())
        // Files, not pipes: a full pipe would stall the child.
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(std::fs::File::create(err).unwrap());
    if resume {
        cmd.arg("--resume");
    }
    cmd.spawn().expect("start cutover")
}

/// Runs one attempt; kills it at the trigger unless it ends first.
async fn attempt(
    n: usize,
    dir: &Path,
    runbook: &Path,
    url: &str,
    journal: &Path,
    resume: bool,
    trigger: Option<Trigger>,
) -> Attempt {
    let out = dir.join(format!("attempt-{n:02}.out"));
    let err = dir.join(format!("attempt-{n:02}.err"));
    let lines_before = count_lines(journal);
    let mut watch = Watch::new(journal);
    let started = Instant::now();
    let mut child = spawn(runbook, url, journal, resume, &out, &err);
    let deadline = Duration::from_secs(30);
    let mut seen: Option<Instant> = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break Some(status);
        }
        watch.poll();
        let fire = match trigger {
            Some(Trigger::After(d)) => started.elapsed() >= d,
            Some(Trigger::Lines(k)) => watch.lines >= k,
            Some(Trigger::Committing(k, delay)) => {
                if seen.is_none() && watch.committing >= k {
                    seen = Some(Instant::now());
                }
                seen.is_some_and(|t| t.elapsed() >= delay)
            }
            None => false,
        };
        if fire {
            // SIGKILL on Unix. If it exited just before, wait() reports that instead.
            let _ = child.kill();
            let status = child.wait().expect("wait");
            break if status.code().is_some() {
                Some(status)
            } else {
                None
            };
        }
        assert!(
            started.elapsed() < deadline,
            "attempt {n} did not finish in {deadline:?}; stdout in {}",
            out.display()
        );
        // Finer than a timer tick: the moments around a COMMIT last about a millisecond.
        std::thread::sleep(Duration::from_micros(200));
    };
    Attempt {
        n,
        resume,
        trigger,
        status,
        lines_before,
        lines_after: count_lines(journal),
        out,
        err,
    }
}

/// Waits until no session of a killed cutover remains, so that whatever it was running has
/// committed or rolled back (a concurrent index build finishes even without its client).
async fn wait_for_sessions_to_end(client: &tokio_postgres::Client) {
    let started = Instant::now();
    loop {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()",
                &[&format!("cutover:{RUNBOOK_NAME}")],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if n == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "sessions of a killed cutover are still there after 20s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `cutover.steps` as step -> status (empty before the schema exists).
async fn tracking(client: &tokio_postgres::Client) -> BTreeMap<String, String> {
    let exists: bool = client
        .query_one("SELECT to_regclass('cutover.steps') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    if !exists {
        return BTreeMap::new();
    }
    client
        .query(
            "SELECT step_id, status FROM cutover.steps WHERE runbook = $1",
            &[&RUNBOOK_NAME],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// `applied_log` as step -> number of rows (empty before the table exists).
async fn log_counts(client: &tokio_postgres::Client) -> BTreeMap<String, i64> {
    let exists: bool = client
        .query_one("SELECT to_regclass('public.applied_log') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    if !exists {
        return BTreeMap::new();
    }
    client
        .query(
            "SELECT step, count(*) FROM public.applied_log GROUP BY step",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// The journal's entries, checking the shape of any unreadable (torn) lines.
fn read_journal(path: &Path, kills: usize) -> Vec<Entry> {
    let r = replay(path).expect("read the journal");
    assert!(
        r.unreadable.len() <= kills,
        "{} unreadable journal lines ({:?}) but only {kills} kills",
        r.unreadable.len(),
        r.unreadable
    );
    let text = std::fs::read(path).unwrap();
    let lines: Vec<&[u8]> = text.split(|&c| c == b'\n').collect();
    for &l in &r.unreadable {
        // Line numbers are 1-based; the line after a torn one is the next process's first.
        let next = lines
            .get(l)
            .filter(|n| !n.iter().all(u8::is_ascii_whitespace));
        if let Some(next) = next {
            let entry: Entry = serde_json::from_slice(next).unwrap_or_else(|e| {
                panic!(
                    "journal line {} after torn line {l} is unreadable: {e}",
                    l + 1
                )
            });
            assert!(
                matches!(entry.event, Event::RunStarted { .. }),
                "torn journal line {l} is followed by {:?}, not by a new run_started",
                entry.event
            );
        }
    }
    for w in r.entries.windows(2) {
        assert!(
            w[1].seq > w[0].seq,
            "journal seq does not increase: {} then {}",
            w[0].seq,
            w[1].seq
        );
    }
    r.entries
}

/// The step an event is about, for events that concern one step.
fn step_of(event: &Event) -> Option<&str> {
    match event {
        Event::StepStarted { step, .. }
        | Event::StepFinished { step, .. }
        | Event::StepSkipped { step, .. }
        | Event::StepFailed { step, .. }
        | Event::StatementStarted { step, .. }
        | Event::StatementFinished { step, .. }
        | Event::Notice { step, .. }
        | Event::UncertainStep { step, .. }
        | Event::CheckpointReached { step, .. }
        | Event::DecisionRecorded { step, .. } => Some(step),
        _ => None,
    }
}

/// Migrations the journal reports as done: finished, or skipped because already applied.
fn journal_done(entries: &[Entry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::StepFinished { step, .. } => Some(step.clone()),
            Event::StepSkipped { step, reason } if reason == "already applied" => {
                Some(step.clone())
            }
            _ => None,
        })
        .collect()
}

fn last_started(entries: &[Entry]) -> Option<&str> {
    entries.iter().rev().find_map(|e| match &e.event {
        Event::StepStarted { step, .. } => Some(step.as_str()),
        _ => None,
    })
}

/// The invariants that must hold whenever no cutover is running (after each kill).
async fn check_between(
    client: &tokio_postgres::Client,
    g: &Generated,
    journal: &Path,
    kills: usize,
    context: &str,
) -> Option<String> {
    let entries = if journal.exists() {
        read_journal(journal, kills)
    } else {
        Vec::new()
    };
    let tracked = tracking(client).await;
    let logs = log_counts(client).await;
    let applied: BTreeSet<String> = tracked
        .iter()
        .filter(|(_, s)| *s == "applied")
        .map(|(k, _)| k.clone())
        .collect();
    let done = journal_done(&entries);
    let migrations: BTreeSet<&str> = g.migrations.iter().map(|(m, _)| m.as_str()).collect();
    for step in &done {
        if migrations.contains(step.as_str()) {
            assert!(
                applied.contains(step),
                "{context}: the journal says `{step}` is done but cutover.steps says {:?}",
                tracked.get(step)
            );
        }
    }
    let ahead: Vec<&String> = applied
        .iter()
        .filter(|s| migrations.contains(s.as_str()) && !done.contains(*s))
        .collect();
    assert!(
        ahead.len() <= 1,
        "{context}: the database is ahead of the journal by more than one step: {ahead:?}"
    );
    if let Some(step) = ahead.first() {
        assert_eq!(
            last_started(&entries),
            Some(step.as_str()),
            "{context}: `{step}` is applied but not journaled done, and it is not the step the journal shows in flight"
        );
    }
    for (step, n) in &logs {
        assert_eq!(*n, 1, "{context}: `{step}` was applied {n} times");
    }
    let ahead = ahead.first().map(|s| s.to_string());
    // A concurrent build marked applied has left valid indexes.
    for (m, in_tx) in &g.migrations {
        if *in_tx || !applied.contains(m) {
            continue;
        }
        let table = format!("public.t{}", m.trim_start_matches("ix"));
        let invalid: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass($1) AND NOT indisvalid",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            invalid, 0,
            "{context}: `{m}` is applied but left an invalid index"
        );
    }
    // A transactional migration and its tracking row commit together.
    for (m, in_tx) in &g.migrations {
        if !in_tx {
            continue;
        }
        let proof = if m == "log-table" {
            // Its effect is the table itself.
            client
                .query_one("SELECT to_regclass('public.applied_log') IS NOT NULL", &[])
                .await
                .unwrap()
                .get(0)
        } else {
            let logged = m.strip_suffix("-log").unwrap_or(m);
            logs.contains_key(logged)
        };
        assert_eq!(
            proof,
            applied.contains(m),
            "{context}: `{m}`: effects present = {proof}, but cutover.steps says {:?}",
            tracked.get(m)
        );
    }
    ahead
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_many_moments_then_resume_applies_everything_exactly_once() {
    let started = Instant::now();
    let url = common::fresh_db("crash").await;
    let client = common::connect(&url).await;
    let dir = common::scratch_dir("crash");
    let (yaml, g) = generate();
    let runbook = common::write(&dir, "crash.yaml", &yaml);
    let journal = dir.join("journal.jsonl");

    let check = Command::new(common::binary())
        .arg("check")
        .arg(&runbook)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "the generated runbook does not check:\n{}\n{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    let triggers = schedule(0x5EED_CAFE_F00D_1234);
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut kills = 0;
    let mut fresh_starts = 0;
    // Steps a kill left committed but not yet journaled as finished.
    let mut applied_unjournaled: Vec<String> = Vec::new();
    let mut resume = false;
    let log = |attempts: &[Attempt]| {
        attempts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    loop {
        let n = attempts.len();
        assert!(
            n < KILLS + 10,
            "no success after {n} attempts:\n{}",
            log(&attempts)
        );
        let trigger = triggers.get(kills).copied();
        let a = attempt(n, &dir, &runbook, &url, &journal, resume, trigger).await;
        let status = a.status;
        let stderr = std::fs::read_to_string(&a.err).unwrap_or_default();
        attempts.push(a);
        match status {
            None => {
                kills += 1;
                resume = true;
                wait_for_sessions_to_end(&client).await;
                let ahead = check_between(
                    &client,
                    &g,
                    &journal,
                    kills,
                    &format!("after kill {kills}\n{}\n", log(&attempts)),
                )
                .await;
                if let Some(step) = ahead.filter(|s| applied_unjournaled.last() != Some(s)) {
                    applied_unjournaled.push(step);
                }
            }
            Some(s) if s.success() => break,
            Some(s) if s.code() == Some(2) && stderr.contains("no interrupted run") => {
                // Killed before the run was recorded (or after its success was): start anew;
                // applied steps are skipped either way.
                fresh_starts += 1;
                resume = false;
            }
            Some(s) => panic!(
                "unexpected exit {s} (not killed):\n{}\nstderr:\n{stderr}\nstdout:\n{}",
                log(&attempts),
                std::fs::read_to_string(&attempts.last().unwrap().out).unwrap_or_default()
            ),
        }
    }
    let summary = log(&attempts);
    eprintln!("{summary}");
    assert!(
        kills >= 10,
        "only {kills} kills landed while cutover was running:\n{summary}"
    );

    // The database: every effect exactly once, every migration applied.
    let dupes = client
        .query(
            "SELECT step, count(*) FROM public.applied_log GROUP BY step HAVING count(*) <> 1",
            &[],
        )
        .await
        .unwrap();
    assert!(
        dupes.is_empty(),
        "applied more than once: {:?}",
        dupes
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect::<Vec<_>>()
    );
    let logs = log_counts(&client).await;
    let expected: BTreeSet<&str> = g.logged.iter().map(String::as_str).collect();
    let got: BTreeSet<&str> = logs.keys().map(String::as_str).collect();
    assert_eq!(got, expected, "applied_log rows");
    let tracked = tracking(&client).await;
    for (m, _) in &g.migrations {
        assert_eq!(
            tracked.get(m).map(String::as_str),
            Some("applied"),
            "cutover.steps for `{m}`"
        );
    }
    assert_eq!(
        tracked.get(&g.checkpoint).map(String::as_str),
        Some("decided")
    );
    for index in &g.indexes {
        let valid: Vec<bool> = client
            .query(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1",
                &[index],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(valid, vec![true], "index {index} exists once and is valid");
    }
    let runs: Vec<(String, Option<String>)> = client
        .query(
            "SELECT id, outcome FROM cutover.runs WHERE runbook = $1 ORDER BY started_at",
            &[&RUNBOOK_NAME],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        runs.last().and_then(|r| r.1.as_deref()),
        Some("succeeded"),
        "runs: {runs:?}"
    );
    assert!(
        runs.len() <= 1 + fresh_starts,
        "{} runs recorded with {fresh_starts} fresh starts: {runs:?}",
        runs.len()
    );

    // The journal.
    let entries = read_journal(&journal, kills);
    match entries.last().map(|e| &e.event) {
        Some(Event::RunFinished { outcome, .. }) => assert_eq!(*outcome, Outcome::Succeeded),
        other => panic!("the journal does not end with run_finished: {other:?}"),
    }
    let run_ids: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::RunStarted { run_id, .. } => Some(run_id.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        run_ids.len() <= 1 + fresh_starts,
        "run ids in the journal: {run_ids:?}"
    );
    // Split the journal by process: each process starts with run_started (a process killed
    // before journaling anything leaves no segment).
    let mut segments: Vec<&[Entry]> = Vec::new();
    let mut start = 0;
    for (i, e) in entries.iter().enumerate() {
        if matches!(e.event, Event::RunStarted { .. }) && i > start {
            segments.push(&entries[start..i]);
            start = i;
        }
    }
    segments.push(&entries[start..]);
    for (m, _) in &g.migrations {
        let finished: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(&e.event, Event::StepFinished { step, .. } if step == m))
            .map(|(i, _)| i)
            .collect();
        let started_at: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(&e.event, Event::StepStarted { step, .. } if step == m))
            .map(|(i, _)| i)
            .collect();
        assert!(
            finished.len() <= 1,
            "`{m}` has {} step_finished events: applied more than once?",
            finished.len()
        );
        let skipped_at: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                matches!(&e.event, Event::StepSkipped { step, reason } if step == m && reason == "already applied")
            })
            .map(|(i, _)| i)
            .collect();
        match finished.first() {
            Some(&f) => {
                assert!(
                    started_at.iter().all(|&s| s < f),
                    "`{m}` was started again after it finished"
                );
                assert!(
                    skipped_at.iter().all(|&s| s > f),
                    "`{m}` was skipped as applied before it finished"
                );
            }
            None => {
                // Applied by a process that died before journaling step_finished.
                let &last = started_at
                    .last()
                    .unwrap_or_else(|| panic!("`{m}` was never started"));
                let segment = segments
                    .iter()
                    .find(|s| {
                        let first = s.first().map_or(u64::MAX, |e| e.seq);
                        let end = s.last().map_or(0, |e| e.seq);
                        (first..=end).contains(&entries[last].seq)
                    })
                    .unwrap();
                assert_eq!(
                    last_started(segment),
                    Some(m.as_str()),
                    "`{m}` has no step_finished, yet its process went on to other steps"
                );
                assert!(
                    segment
                        .iter()
                        .all(|e| step_of(&e.event).is_none_or(|s| s == m)
                            || e.seq < entries[last].seq),
                    "`{m}` has no step_finished, yet its process journaled other steps after it"
                );
                assert!(
                    !skipped_at.is_empty() && skipped_at.iter().all(|&s| s > last),
                    "`{m}` has no step_finished and was not skipped as already applied afterwards"
                );
            }
        }
    }
    let uncertain: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::UncertainStep { step, .. } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    eprintln!(
        "{kills} kills, {} attempts, {fresh_starts} fresh starts, {:.1}s; kills after COMMIT before step_finished: {applied_unjournaled:?}; uncertain steps retried: {uncertain:?}",
        attempts.len(),
        started.elapsed().as_secs_f64()
    );
}
