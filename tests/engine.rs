//! The engine against a real PostgreSQL: ordering, gates, failures, retries, cancellation,
//! rollback, resume and redaction, as a DBA running a window would notice them.
//!
//! Each test gets its own fresh database and scratch directory. Every wait is bounded so a
//! hang fails the test instead of blocking CI.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use cutover::engine::{EngineError, RunOptions};
use cutover::events::{Command, Decision, Event, Outcome};
use cutover::journal::Entry;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// The longest any single wait may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

// ----- in-process harness -----

static DB_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A new empty database; its URL.
///
/// `common::fresh_db` sends `DROP DATABASE ...; CREATE DATABASE ...` as one simple query,
/// which the server runs as an implicit transaction block and refuses (25001); this does
/// the same in two round trips.
async fn fresh_db(tag: &str) -> String {
    let n = DB_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let name = format!(
        "e_{}_{}_{n}",
        tag.replace(['-', ' '], "_"),
        std::process::id()
    )
    .to_lowercase();
    let admin = common::connect(&common::admin_url()).await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop old test database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let admin_url = common::admin_url();
    let (base, _) = admin_url.rsplit_once('/').expect("URL with a database");
    format!("{base}/{name}")
}

fn options(url: &str, journal: PathBuf) -> RunOptions {
    RunOptions {
        target: cutover::connect::resolve(Some(url), "cutover:test", &|_| None).unwrap(),
        operator: "tester".into(),
        journal,
        run_id: None,
        exclusive_journal: false,
        resume: false,
        new_run: false,
        allow_changed: false,
        monitor_cap: None,
        rehearsal: None,
    }
}

fn load(path: &Path) -> (cutover::runbook::Runbook, cutover::plan::Plan) {
    let loaded = cutover::runbook::load(path);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.level == cutover::diag::Level::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    let runbook = loaded
        .runbook
        .unwrap_or_else(|| panic!("runbook does not load: {errors:?}"));
    let plan = cutover::plan::plan(&runbook);
    assert!(
        !plan.has_errors(),
        "plan has errors: {:?}",
        plan.diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect::<Vec<_>>()
    );
    (runbook, plan)
}

/// An engine running on its own task, driven by the test.
struct Run {
    events: UnboundedReceiver<Entry>,
    commands: UnboundedSender<Command>,
    handle: JoinHandle<Result<Outcome, EngineError>>,
    seen: Vec<Event>,
}

fn start(runbook: &Path, opts: RunOptions) -> Run {
    let (runbook, plan) = load(runbook);
    let (event_tx, events) = unbounded_channel();
    let (commands, command_rx) = unbounded_channel();
    let handle = tokio::spawn(async move {
        cutover::engine::run(&runbook, &plan, opts, event_tx, command_rx).await
    });
    Run {
        events,
        commands,
        handle,
        seen: Vec::new(),
    }
}

impl Run {
    /// The next event, or `None` when the engine has finished.
    async fn next(&mut self) -> Option<Event> {
        match tokio::time::timeout(WAIT, self.events.recv()).await {
            Ok(Some(entry)) => {
                self.seen.push(entry.event.clone());
                Some(entry.event)
            }
            Ok(None) => None,
            Err(_) => panic!("no event within {WAIT:?}; seen so far: {:#?}", self.seen),
        }
    }

    /// Waits for the first event that matches; panics if the run ends first.
    async fn until(&mut self, what: &str, matches: impl Fn(&Event) -> bool) -> Event {
        loop {
            match self.next().await {
                Some(event) if matches(&event) => return event,
                Some(_) => {}
                None => {
                    let result = self.result_now().await;
                    panic!(
                        "the run ended before {what}; events: {:#?}; result: {result:?}",
                        self.seen
                    )
                }
            }
        }
    }

    async fn result_now(&mut self) -> Option<Result<Outcome, EngineError>> {
        match tokio::time::timeout(Duration::from_secs(2), &mut self.handle).await {
            Ok(joined) => Some(joined.expect("engine task panicked")),
            Err(_) => None,
        }
    }

    fn send(&self, command: Command) {
        self.commands.send(command).expect("engine is listening");
    }

    /// Drains the remaining events and returns the engine's result with every event seen.
    async fn finish(mut self) -> (Result<Outcome, EngineError>, Vec<Event>) {
        while self.next().await.is_some() {}
        let result = tokio::time::timeout(WAIT, &mut self.handle)
            .await
            .unwrap_or_else(|_| panic!("engine did not return; events: {:#?}", self.seen))
            .expect("engine task panicked");
        (result, self.seen)
    }
}

fn go(step: &str, questions: &[&str]) -> Command {
    Command::Decide {
        step: step.into(),
        decision: Decision::Go,
        operator: "tester".into(),
        comment: None,
        answers: questions.iter().map(|q| (q.to_string(), true)).collect(),
        override_failed_checks: false,
    }
}

fn started(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { step, .. } => Some(step.clone()),
            _ => None,
        })
        .collect()
}

fn has_started(events: &[Event], id: &str) -> bool {
    started(events).iter().any(|s| s == id)
}

fn outcome_of(events: &[Event]) -> Option<Outcome> {
    events.iter().rev().find_map(|e| match e {
        Event::RunFinished { outcome, .. } => Some(*outcome),
        _ => None,
    })
}

/// Whether `relation` resolves on the test's own connection. It connects as the same role
/// as the engine, so unqualified names resolve through the same search_path.
async fn exists(db: &tokio_postgres::Client, relation: &str) -> bool {
    db.query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .await
        .unwrap()
        .get(0)
}

async fn step_status(db: &tokio_postgres::Client, step: &str) -> Option<String> {
    db.query_opt(
        "SELECT status FROM cutover.steps WHERE step_id = $1",
        &[&step],
    )
    .await
    .unwrap()
    .map(|r| r.get(0))
}

async fn run_outcomes(db: &tokio_postgres::Client) -> Vec<(String, Option<String>)> {
    db.query(
        "SELECT id, outcome FROM cutover.runs ORDER BY started_at",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// A runbook with one phase of the given steps (YAML, indented by six spaces).
fn runbook(dir: &Path, name: &str, steps: &str) -> PathBuf {
    let text = format!(
        "name: {name}\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n{steps}"
    );
    common::write(dir, "runbook.yaml", &text)
}

/// `url` with `application_name` set, for sessions the engine must name.
fn with_app_name(url: &str, app: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={app}")
}

fn read_journal(path: &Path) -> Vec<Entry> {
    let replay = cutover::journal::replay(path).expect("journal readable");
    assert!(
        replay.unreadable.is_empty(),
        "unreadable journal lines {:?}",
        replay.unreadable
    );
    replay.entries
}

// ----- 1. order and barriers -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_after_a_checkpoint_waits_for_the_decision() {
    let url = fresh_db("barrier").await;
    let dir = common::scratch_dir("barrier");
    // `after` is listed after the gate in its phase, `later` sits in the next phase.
    let path = common::write(
        &dir,
        "runbook.yaml",
        r#"name: barrier
window:
  budget: 1h
phases:
  - id: main
    kind: migration
    budget: 30m
    steps:
      - migrate: before
        sql: CREATE TABLE before_gate (id int)
        rollback: DROP TABLE before_gate
      - checkpoint: gate
        prompt: Go for the second half?
        questions: [Backup verified?]
      - migrate: after
        sql: CREATE TABLE after_gate (id int)
        rollback: DROP TABLE after_gate
  - id: cleanup
    kind: migration
    budget: 10m
    steps:
      - migrate: later
        sql: CREATE TABLE later_phase (id int)
        rollback: DROP TABLE later_phase
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the gate",
        |e| matches!(e, Event::CheckpointReached { step, .. } if step == "gate"),
    )
    .await;
    assert!(exists(&db, "before_gate").await);
    assert!(
        !exists(&db, "after_gate").await,
        "the post-gate migration ran before the decision"
    );
    assert!(!exists(&db, "later_phase").await);
    assert!(!has_started(&run.seen, "after"), "{:?}", run.seen);
    assert!(!has_started(&run.seen, "later"), "{:?}", run.seen);
    // Waiting a little must not let anything through either.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!exists(&db, "after_gate").await);
    assert!(!exists(&db, "later_phase").await);

    run.send(go("gate", &["Backup verified?"]));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded);
    assert_eq!(started(&events), ["before", "after", "later"]);
    let recorded = events.iter().find_map(|e| match e {
        Event::DecisionRecorded {
            step,
            decision,
            overrode_failed_checks,
            restored,
            ..
        } if step == "gate" => Some((*decision, overrode_failed_checks.clone(), *restored)),
        _ => None,
    });
    assert_eq!(recorded, Some((Decision::Go, Vec::new(), false)));
    assert!(exists(&db, "after_gate").await);
    assert!(exists(&db, "later_phase").await);
    assert_eq!(step_status(&db, "gate").await.as_deref(), Some("decided"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_follow_depends_on_with_listing_order_as_tie_break() {
    let url = fresh_db("order").await;
    let dir = common::scratch_dir("order");
    // c1 needs c4's table; c3 alters c2's. Expected: c2, c3 (ready right after c2, listed
    // before c4), c4, c1.
    let path = runbook(
        &dir,
        "order",
        r#"      - migrate: c1
        depends_on: [c4]
        sql: CREATE TABLE child (id int, parent_id int REFERENCES parent (id))
        rollback: DROP TABLE child
      - migrate: c2
        sql: CREATE TABLE other (id int)
        rollback: DROP TABLE other
      - migrate: c3
        depends_on: [c2]
        sql: ALTER TABLE other ADD COLUMN note text
        rollback: ALTER TABLE other DROP COLUMN note
      - migrate: c4
        sql: CREATE TABLE parent (id int PRIMARY KEY)
        rollback: DROP TABLE parent
"#,
    );
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert_eq!(started(&events), ["c2", "c3", "c4", "c1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_times_span_the_whole_step() {
    let url = fresh_db("spans").await;
    let dir = common::scratch_dir("spans");
    let path = runbook(
        &dir,
        "spans",
        r#"      - migrate: slow
        sql: |
          CREATE TABLE spans (id int);
          SELECT pg_sleep(0.3);
        rollback: DROP TABLE spans
"#,
    );
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let db = common::connect(&url).await;
    let seconds: f64 = db
        .query_one(
            "SELECT extract(epoch FROM finished_at - started_at)::float8 FROM cutover.steps WHERE step_id = 'slow'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // The step slept 0.3 s inside its transaction: its row must not say it took no time.
    assert!(seconds >= 0.3, "finished_at - started_at = {seconds}s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_shows_who_holds_and_who_waits_for_locks_on_the_server() {
    let url = fresh_db("gatesrv").await;
    let dir = common::scratch_dir("gatesrv");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE t (id int)").await.unwrap();
    let (holder, holder_pid) = hold_lock(&url, "t").await;
    let waiter = common::connect(&with_app_name(&url, "report-job")).await;
    let waiter_pid: i32 = waiter
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let waiting = tokio::spawn(async move {
        let _ = waiter.query_one("SELECT count(*) FROM t", &[]).await;
    });
    let path = runbook(
        &dir,
        "gatesrv",
        r#"      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    // The waiter may take a moment to queue behind the lock: the gate looks again.
    let event = run
        .until("the server activity with both sessions", |e| {
            matches!(e, Event::ServerActivity { sessions, .. }
                if sessions.iter().any(|s| s.pid == waiter_pid))
        })
        .await;
    let Event::ServerActivity { step, sessions } = event else {
        unreachable!()
    };
    assert_eq!(step, "gate");
    let holder_row = sessions.iter().find(|s| s.pid == holder_pid);
    let waiter_row = sessions.iter().find(|s| s.pid == waiter_pid);
    let (Some(h), Some(w)) = (holder_row, waiter_row) else {
        panic!("{sessions:#?}")
    };
    assert_eq!(h.application_name, "lock-holder");
    assert!(h.blocking >= 1, "{h:?}");
    assert!(h.xact_start.is_some(), "{h:?}");
    assert_eq!(w.waits_for, vec![holder_pid], "{w:?}");
    assert!(w.query.contains("SELECT count(*) FROM t"), "{w:?}");
    assert!(
        sessions
            .iter()
            .all(|s| !s.application_name.starts_with("cutover:")),
        "cutover's own sessions are not evidence: {sessions:#?}"
    );
    run.send(go("gate", &["Ready?"]));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    holder.batch_execute("COMMIT").await.unwrap();
    waiting.await.unwrap();
}

/// A runbook whose one migration phase runs `parallel` steps at once.
fn parallel_runbook(dir: &Path, name: &str, parallel: usize, steps: &str) -> PathBuf {
    let text = format!(
        "name: {name}\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    parallel: {parallel}\n    steps:\n{steps}"
    );
    common::write(dir, "runbook.yaml", &text)
}

/// SQL that finishes only once `parties` sessions have reached it (a rendezvous on a
/// sequence, which is not transactional): such steps can only finish if they run together.
fn rendezvous(parties: i64) -> String {
    format!(
        "SELECT nextval('public.rendezvous');\n          DO $$ BEGIN WHILE (SELECT last_value FROM public.rendezvous) < {parties} LOOP PERFORM pg_sleep(0.02); END LOOP; END $$;"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_phase_runs_independent_migrations_at_the_same_time() {
    let url = fresh_db("parallel").await;
    let dir = common::scratch_dir("parallel");
    let steps = format!(
        r#"      - migrate: left
        statement_timeout: 20s
        sql: |
          CREATE TABLE left_t (id int);
          {}
        rollback: DROP TABLE left_t
      - migrate: right
        statement_timeout: 20s
        sql: |
          CREATE TABLE right_t (id int);
          {}
        rollback: DROP TABLE right_t
      - migrate: after_left
        depends_on: [left]
        sql: ALTER TABLE left_t ADD COLUMN note text
        rollback: ALTER TABLE left_t DROP COLUMN note
"#,
        rendezvous(2),
        rendezvous(2),
    );
    let path = parallel_runbook(&dir, "parallel", 2, &steps);
    let db = common::connect(&url).await;
    db.batch_execute("CREATE SEQUENCE public.rendezvous")
        .await
        .unwrap();
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    // Run one after the other, each would wait for the other until its statement_timeout.
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let position = |what: &dyn Fn(&Event) -> bool| events.iter().position(what).unwrap();
    let started = |id: &'static str| {
        position(&move |e: &Event| matches!(e, Event::StepStarted { step, .. } if step == id))
    };
    let finished = |id: &'static str| {
        position(&move |e: &Event| matches!(e, Event::StepFinished { step, .. } if step == id))
    };
    assert!(started("right") < finished("left") && started("left") < finished("right"));
    // A dependent step still waits for what it depends on.
    assert!(started("after_left") > finished("left"));
    for step in ["left", "right", "after_left"] {
        assert_eq!(
            step_status(&db, step).await.as_deref(),
            Some("applied"),
            "{step}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_index_build_runs_alone_in_a_parallel_phase() {
    let url = fresh_db("parallelalone").await;
    let dir = common::scratch_dir("parallelalone");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE big (id int); CREATE TABLE other (id int)")
        .await
        .unwrap();
    let path = parallel_runbook(
        &dir,
        "parallelalone",
        3,
        r#"      - migrate: first
        sql: SELECT pg_sleep(0.3)
      - migrate: index
        transaction: auto
        sql: CREATE INDEX CONCURRENTLY big_id ON big (id)
        rollback: DROP INDEX CONCURRENTLY big_id
      - migrate: last
        sql: ALTER TABLE other ADD COLUMN c int
        rollback: ALTER TABLE other DROP COLUMN c
"#,
    );
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    // Nothing runs while the index builds: every other step either finished before it
    // started or started after it finished.
    let mut running: Vec<&str> = Vec::new();
    for e in &events {
        match e {
            Event::StepStarted { step, .. } => {
                assert!(
                    running.is_empty() || (step != "index" && !running.contains(&"index")),
                    "{step} started beside {running:?}"
                );
                running.push(step);
            }
            Event::StepFinished { step, .. } => running.retain(|s| s != step),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_a_parallel_phase_lets_the_others_finish_then_asks() {
    let url = fresh_db("parallelfail").await;
    let dir = common::scratch_dir("parallelfail");
    let path = parallel_runbook(
        &dir,
        "parallelfail",
        2,
        r#"      - migrate: broken
        sql: SELECT 1/0
      - migrate: fine
        sql: |
          SELECT pg_sleep(0.3);
          CREATE TABLE fine (id int);
        rollback: DROP TABLE fine
      - migrate: later
        sql: CREATE TABLE later (id int)
        rollback: DROP TABLE later
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let failed = run
        .until(
            "the failure",
            |e| matches!(e, Event::StepFailed { step, .. } if step == "broken"),
        )
        .await;
    let Event::StepFailed { error, .. } = failed else {
        unreachable!()
    };
    assert_eq!(error.sqlstate.as_deref(), Some("22012"));
    // The failure is offered only once the step running beside it is done.
    assert!(
        run.seen
            .iter()
            .any(|e| matches!(e, Event::StepFinished { step, .. } if step == "fine")),
        "{:#?}",
        run.seen
    );
    run.until(
        "the choice",
        |e| matches!(e, Event::AwaitingFailureDecision { step } if step == "broken"),
    )
    .await;
    run.send(Command::Rollback);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::RolledBack, "{events:#?}");
    // Nothing new started after the failure, and what ran beside it was undone.
    assert!(!has_started(&events, "later"));
    let db = common::connect(&url).await;
    assert!(!exists(&db, "fine").await);
    assert_eq!(
        step_status(&db, "fine").await.as_deref(),
        Some("rolled_back")
    );
}

/// Before the operator chooses after a failure, the engine says what a rollback would undo
/// and leave applied — and the rollback then does exactly that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_says_what_a_rollback_would_do_and_the_rollback_does_it() {
    let url = fresh_db("outlook").await;
    let dir = common::scratch_dir("outlook");
    let path = parallel_runbook(
        &dir,
        "outlook",
        1,
        r#"      - migrate: first
        sql: CREATE TABLE first (id int)
        rollback: DROP TABLE first
      - migrate: seed
        sql: CREATE TABLE seed (id int)
      - migrate: second
        sql: CREATE TABLE second (id int)
        rollback: DROP TABLE second
      - migrate: broken
        sql: SELECT 1/0
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the choice",
        |e| matches!(e, Event::AwaitingFailureDecision { step } if step == "broken"),
    )
    .await;
    let outlook = run
        .until("the outlook", |e| {
            matches!(e, Event::RollbackOutlook { .. })
        })
        .await;
    let Event::RollbackOutlook {
        undoes,
        left_applied,
        expected_ms,
        ..
    } = outlook
    else {
        unreachable!()
    };
    assert_eq!(undoes, ["second", "first"]);
    // Not set against a rehearsal: no time is guessed.
    assert_eq!(expected_ms, None);
    assert_eq!(
        left_applied,
        [cutover::events::KeptApplied {
            step: "seed".into(),
            reason: "no rollback SQL".into()
        }]
    );
    run.send(Command::Rollback);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::RolledBack, "{events:#?}");
    let undone: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackStep { step, ok: true, .. } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(undone, undoes);
    let db = common::connect(&url).await;
    assert!(!exists(&db, "first").await && exists(&db, "seed").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_alerts_when_its_threshold_is_crossed_not_on_every_sample() {
    let url = fresh_db("probealert").await;
    let dir = common::scratch_dir("probealert");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE SEQUENCE public.samples")
        .await
        .unwrap();
    // Samples go 0 0 1 1 1 0 0 0 1 1 1 0 ...: over the threshold in runs of three.
    let text = r#"name: probealert
window:
  budget: 1h
phases:
  - id: watch
    kind: monitoring
    budget: 2s
    steps:
      - probe: wave
        sql: SELECT (nextval('public.samples') / 3) % 2
        every: 50ms
        alert: { gt: 0 }
"#;
    let path = common::write(&dir, "runbook.yaml", text);
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let samples: Vec<bool> = events
        .iter()
        .filter_map(|e| match e {
            Event::ProbeSample { alert, .. } => Some(*alert),
            _ => None,
        })
        .collect();
    let crossings = samples
        .iter()
        .enumerate()
        .filter(|&(n, &a)| a && (n == 0 || !samples[n - 1]))
        .count();
    let alerts = events
        .iter()
        .filter(|e| matches!(e, Event::Alert { .. }))
        .count();
    assert!(
        samples.iter().filter(|a| **a).count() > crossings,
        "{samples:?}"
    );
    assert!(crossings >= 1, "{samples:?}");
    assert_eq!(alerts, crossings, "one alert per crossing: {samples:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_checks_report_each_result_as_it_comes() {
    let url = fresh_db("checksontime").await;
    let dir = common::scratch_dir("checksontime");
    let path = parallel_runbook(
        &dir,
        "checksontime",
        2,
        r#"      - check: slow
        sql: SELECT 1 FROM pg_sleep(1)
        expect: 1
      - check: fast
        sql: SELECT 1
        expect: 1
"#,
    );
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let finished: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::StepFinished { step, .. } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    // Both started together; the fast one is done long before the slow one.
    assert_eq!(finished, ["fast", "slow"]);
}

/// Slow checks of a parallel phase really run at the same time: each waits (up to 10 s) until
/// three of them are running on the server at once, which one session could never give.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_parallel_checks_get_sessions_of_their_own() {
    let url = fresh_db("checksmeet").await;
    let dir = common::scratch_dir("checksmeet");
    let db = common::connect(&url).await;
    db.batch_execute(
        "CREATE FUNCTION public.meet(parties int) RETURNS int LANGUAGE plpgsql AS $$
         BEGIN
           FOR i IN 1..500 LOOP
             IF (SELECT count(*) FROM pg_stat_activity
                  WHERE state = 'active' AND query LIKE 'SELECT public.meet%') >= parties THEN
               PERFORM pg_sleep(0.5); -- long enough for the others to see it too
               RETURN 1;
             END IF;
             PERFORM pg_sleep(0.02);
             PERFORM pg_stat_clear_snapshot();
           END LOOP;
           RETURN 0;
         END $$",
    )
    .await
    .unwrap();
    let path = parallel_runbook(
        &dir,
        "checksmeet",
        3,
        r#"      - check: one
        sql: SELECT public.meet(3)
        expect: 1
      - check: two
        sql: SELECT public.meet(3)
        expect: 1
      - check: three
        sql: SELECT public.meet(3)
        expect: 1
"#,
    );
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let passed = events
        .iter()
        .filter(|e| matches!(e, Event::CheckResult { passed: true, .. }))
        .count();
    assert_eq!(passed, 3, "{events:#?}");
}

/// A series of checks is still a series of steps: a pause takes effect between two checks,
/// and each check's tracking row says how it went, with its own times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_stops_a_series_of_checks_between_two_and_each_is_tracked() {
    let url = fresh_db("checkspause").await;
    let dir = common::scratch_dir("checkspause");
    let path = runbook(
        &dir,
        "checkspause",
        r#"      - check: first
        sql: SELECT 2
        expect: 1
        severity: warning
      - check: second
        sql: SELECT 1 FROM pg_sleep(0.3)
        expect: 1
      - check: third
        sql: SELECT 1 FROM pg_sleep(0.3)
        expect: 1
      - check: fourth
        sql: SELECT 1
        expect: 1
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the second check",
        |e| matches!(e, Event::StepStarted { step, .. } if step == "second"),
    )
    .await;
    run.send(Command::Pause);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Halted, "{events:#?}");
    let results: Vec<(&str, bool)> = events
        .iter()
        .filter_map(|e| match e {
            Event::CheckResult { step, passed, .. } => Some((step.as_str(), *passed)),
            _ => None,
        })
        .collect();
    assert_eq!(results, [("first", false), ("second", true)]);
    let rows: Vec<(String, String, bool)> = db
        .query(
            "SELECT step_id, status, started_at < finished_at FROM cutover.steps
              WHERE kind = 'check' ORDER BY started_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        [
            ("first".to_owned(), "failed".to_owned(), true),
            ("second".to_owned(), "passed".to_owned(), true)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projected_end_at_a_gate_counts_the_monitoring_still_to_come() {
    let url = fresh_db("projection").await;
    let dir = common::scratch_dir("projection");
    let text = r#"name: projection
window:
  budget: 2h
phases:
  - id: cut
    kind: migration
    budget: 5m
    steps:
      - checkpoint: go-live
        prompt: Go?
        questions: [Ready?]
  - id: watch
    kind: monitoring
    budget: 30m
    steps:
      - probe: sessions
        sql: SELECT count(*) FROM pg_stat_activity
        every: 1m
"#;
    let path = common::write(&dir, "runbook.yaml", text);
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let reached = run
        .until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    let Event::CheckpointReached { projected_end, .. } = reached else {
        unreachable!()
    };
    let projected = chrono::DateTime::parse_from_rfc3339(&projected_end).unwrap();
    let ahead = projected.with_timezone(&chrono::Utc) - chrono::Utc::now();
    // Half an hour of sampling is still ahead after the go.
    assert!(ahead > chrono::Duration::minutes(29), "{ahead}");
    run.send(Command::Decide {
        step: "go-live".into(),
        decision: Decision::Abort,
        operator: "op".into(),
        comment: None,
        answers: vec![],
        override_failed_checks: false,
    });
    let (result, _) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted);
}

// ----- 2. decisions -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_go_needs_every_question_and_an_override_past_failed_critical_checks() {
    let url = fresh_db("decide").await;
    let dir = common::scratch_dir("decide");
    let path = runbook(
        &dir,
        "decide",
        r#"      - check: rows-match
        sql: SELECT 0
        expect: 1
      - check: replica-lag
        sql: SELECT 500
        expect:
          lt: 100
        severity: warning
      - checkpoint: gate
        prompt: Go for production?
        questions: [Backup verified?, Rollback tested?]
      - migrate: after
        sql: CREATE TABLE after_gate (id int)
        rollback: DROP TABLE after_gate
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let reached = run
        .until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    let Event::CheckpointReached {
        failed_critical,
        questions,
        ..
    } = reached
    else {
        unreachable!()
    };
    assert_eq!(
        failed_critical,
        ["rows-match"],
        "warnings do not block a go"
    );
    assert_eq!(questions, ["Backup verified?", "Rollback tested?"]);

    // One question unticked (one missing, one answered "no").
    run.send(Command::Decide {
        step: "gate".into(),
        decision: Decision::Go,
        operator: "tester".into(),
        comment: None,
        answers: vec![
            ("Backup verified?".into(), true),
            ("Rollback tested?".into(), false),
        ],
        override_failed_checks: true,
    });
    let rejected = run
        .until("a rejection", |e| {
            matches!(e, Event::DecisionRejected { .. })
        })
        .await;
    let Event::DecisionRejected { reason, .. } = rejected else {
        unreachable!()
    };
    assert!(reason.contains("Rollback tested?"), "{reason}");
    assert!(!reason.contains("Backup verified?"), "{reason}");

    // Every question ticked, but no override of the failed critical check.
    run.send(go("gate", &["Backup verified?", "Rollback tested?"]));
    let rejected = run
        .until("a rejection", |e| {
            matches!(e, Event::DecisionRejected { .. })
        })
        .await;
    let Event::DecisionRejected { reason, .. } = rejected else {
        unreachable!()
    };
    assert!(reason.contains("rows-match"), "{reason}");
    assert!(!has_started(&run.seen, "after"));
    assert!(!exists(&db, "after_gate").await);
    let decisions: i64 = db
        .query_one("SELECT count(*) FROM cutover.decisions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(decisions, 0, "a rejected go is not a decision");

    // The override without a reason is refused: it stands in the record with one, or not at all.
    run.send(Command::Decide {
        step: "gate".into(),
        decision: Decision::Go,
        operator: "alice".into(),
        comment: Some("  ".into()),
        answers: vec![
            ("Backup verified?".into(), true),
            ("Rollback tested?".into(), true),
        ],
        override_failed_checks: true,
    });
    let rejected = run
        .until("a rejection", |e| {
            matches!(e, Event::DecisionRejected { reason, .. } if reason.contains("needs a reason"))
        })
        .await;
    assert!(matches!(rejected, Event::DecisionRejected { .. }));
    assert!(!exists(&db, "after_gate").await);

    // With the explicit override.
    run.send(Command::Decide {
        step: "gate".into(),
        decision: Decision::Go,
        operator: "alice".into(),
        comment: Some("counts differ by design".into()),
        answers: vec![
            ("Backup verified?".into(), true),
            ("Rollback tested?".into(), true),
        ],
        override_failed_checks: true,
    });
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let overrode = events.iter().find_map(|e| match e {
        Event::DecisionRecorded {
            overrode_failed_checks,
            operator,
            ..
        } => Some((overrode_failed_checks.clone(), operator.clone())),
        _ => None,
    });
    assert_eq!(
        overrode,
        Some((vec!["rows-match".to_owned()], "alice".into()))
    );
    let row = db
        .query_one(
            "SELECT decision, operator, comment, overrides, answers FROM cutover.decisions WHERE step_id = 'gate'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "go");
    assert_eq!(row.get::<_, String>(1), "alice");
    assert_eq!(
        row.get::<_, Option<String>>(2).as_deref(),
        Some("counts differ by design")
    );
    assert_eq!(
        row.get::<_, serde_json::Value>(3),
        serde_json::json!(["rows-match"])
    );
    let answers = row.get::<_, serde_json::Value>(4).to_string();
    assert!(answers.contains("Rollback tested?"), "{answers}");
    // The journal says the same.
    let journal = std::fs::read_to_string(dir.join("j.jsonl")).unwrap();
    assert!(journal.contains("\"overrode_failed_checks\":[\"rows-match\"]"));
}

// ----- 3. failure atomicity and error positions -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transactional_migration_leaves_no_trace() {
    let url = fresh_db("atomic").await;
    let dir = common::scratch_dir("atomic");
    // The third statement (starting on line 7) violates the primary key.
    common::write(
        &dir,
        "migrations/001_seed.sql",
        "-- 001: create and seed\nCREATE TABLE seeded (\n    id int PRIMARY KEY\n);\nINSERT INTO seeded VALUES (1);\n\nINSERT INTO seeded\nVALUES (1);\n",
    );
    let path = runbook(
        &dir,
        "atomic",
        r#"      - migrate: seed
        file: migrations/001_seed.sql
        rollback: DROP TABLE seeded
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let failed = run
        .until("the failure", |e| matches!(e, Event::StepFailed { .. }))
        .await;
    let Event::StepFailed { step, error } = failed else {
        unreachable!()
    };
    assert_eq!(step, "seed");
    assert_eq!(error.sqlstate.as_deref(), Some("23505"), "{error:?}");
    assert!(error.message.contains("seeded_pkey"), "{error:?}");
    assert!(
        error
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("(id)=(1) already exists")),
        "{error:?}"
    );
    assert_eq!(error.statement, Some(3));
    assert!(
        error
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with("001_seed.sql")),
        "{error:?}"
    );
    assert_eq!(error.line, Some(7), "{error:?}");
    run.until("the failure decision", |e| {
        matches!(e, Event::AwaitingFailureDecision { .. })
    })
    .await;
    assert!(
        !exists(&db, "seeded").await,
        "the first statements' table survived a failed transactional step"
    );
    let applied: i64 = db
        .query_one(
            "SELECT count(*) FROM cutover.steps WHERE step_id = 'seed' AND status = 'applied'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied, 0);
    run.send(Command::Abort);
    let (result, _) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted);
    assert!(!exists(&db, "seeded").await);
}

/// The next migration goes to the server behind the COMMIT of the one before it. When that
/// COMMIT fails, the one sent behind it is stopped and rolled back at once — a long one is
/// cancelled, not waited out: while the operator decides, no session of the run sits in a
/// transaction holding its locks, it was never said to start, and a rollback of the run
/// cannot commit it by accident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_sent_behind_a_failed_commit_never_happens() {
    let url = fresh_db("aheadfail").await;
    let dir = common::scratch_dir("aheadfail");
    let path = runbook(
        &dir,
        "aheadfail",
        r#"      - migrate: first
        sql: CREATE TABLE public.first_t (id int)
        rollback: DROP TABLE public.first_t
      - migrate: deferred
        sql: |
          CREATE TABLE public.parent (id int PRIMARY KEY);
          CREATE TABLE public.child (parent_id int REFERENCES public.parent DEFERRABLE INITIALLY DEFERRED);
          INSERT INTO public.child VALUES (1);
        rollback: DROP TABLE public.child, public.parent
      - migrate: behind
        sql: CREATE TABLE public.behind_t AS SELECT 1 AS id FROM pg_sleep(20)
        rollback: DROP TABLE public.behind_t
"#,
    );
    let journal = dir.join("j.jsonl");
    let started = Instant::now();
    let mut run = start(&path, options(&url, journal.clone()));
    let failed = run
        .until("the failed commit", |e| {
            matches!(e, Event::StepFailed { .. })
        })
        .await;
    let Event::StepFailed { step, error } = failed else {
        unreachable!()
    };
    assert_eq!(step, "deferred");
    // The foreign key is checked at COMMIT.
    assert_eq!(error.sqlstate.as_deref(), Some("23503"), "{error:?}");
    run.until("the failure decision", |e| {
        matches!(e, Event::AwaitingFailureDecision { .. })
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the 20 s migration sent behind the failed COMMIT was waited out: {:?}",
        started.elapsed()
    );
    let db = common::connect(&url).await;
    let open: Vec<(i32, String)> = db
        .query(
            "SELECT pid, coalesce(query, '') FROM pg_stat_activity
              WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(
        open.is_empty(),
        "a session waits in a transaction while the operator decides: {open:?}"
    );
    run.send(Command::Rollback);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::RolledBack, "{events:#?}");
    assert!(!has_started(&events, "behind"), "{events:#?}");
    for table in ["public.first_t", "public.parent", "public.behind_t"] {
        assert!(
            !exists(&db, table).await,
            "{table} exists after the rollback"
        );
    }
    assert_eq!(step_status(&db, "behind").await, None);
    let journaled = read_journal(&journal);
    assert!(
        !journaled
            .iter()
            .any(|e| matches!(&e.event, Event::StepStarted { step, .. } if step == "behind")),
        "the journal says `behind` started"
    );
}

/// A step of a one-at-a-time phase sends its COMMIT (and the next migration) right behind
/// its statements. When one of them fails, that COMMIT rolls the step back and the migration
/// behind it is stopped at once: it never starts, nothing of either stays, and no session
/// waits in a transaction while the operator decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_statement_stops_what_was_sent_behind_it() {
    let url = fresh_db("chainfail").await;
    let dir = common::scratch_dir("chainfail");
    let path = runbook(
        &dir,
        "chainfail",
        r#"      - migrate: first
        sql: CREATE TABLE public.first_t (id int)
        rollback: DROP TABLE public.first_t
      - migrate: broken
        sql: |
          CREATE TABLE public.broken_t (id int PRIMARY KEY);
          INSERT INTO public.broken_t VALUES (1), (1);
        rollback: DROP TABLE public.broken_t
      - migrate: behind
        sql: CREATE TABLE public.behind_t AS SELECT 1 AS id FROM pg_sleep(20)
        rollback: DROP TABLE public.behind_t
"#,
    );
    let journal = dir.join("j.jsonl");
    let started = Instant::now();
    let mut run = start(&path, options(&url, journal.clone()));
    let failed = run
        .until("the failed statement", |e| {
            matches!(e, Event::StepFailed { .. })
        })
        .await;
    let Event::StepFailed { step, error } = failed else {
        unreachable!()
    };
    assert_eq!(step, "broken");
    assert_eq!(error.sqlstate.as_deref(), Some("23505"), "{error:?}");
    assert_eq!(error.statement, Some(2), "{error:?}");
    run.until("the failure decision", |e| {
        matches!(e, Event::AwaitingFailureDecision { .. })
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the 20 s migration behind the failed statement was waited out: {:?}",
        started.elapsed()
    );
    let db = common::connect(&url).await;
    let open: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        open, 0,
        "a session waits in a transaction while the operator decides"
    );
    let behind_running: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND state <> 'idle' AND query LIKE '%behind_t%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(behind_running, 0, "the migration sent behind still runs");
    assert!(exists(&db, "public.first_t").await);
    assert!(!exists(&db, "public.broken_t").await);
    assert!(!exists(&db, "public.behind_t").await);
    assert_eq!(step_status(&db, "first").await.as_deref(), Some("applied"));
    assert_eq!(step_status(&db, "broken").await.as_deref(), Some("failed"));
    run.send(Command::Abort);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted, "{events:#?}");
    assert!(!has_started(&events, "behind"), "{events:#?}");
    assert!(!exists(&db, "public.behind_t").await);
}

/// The tracking row of each migration says how many rows it touched, also for those whose
/// COMMIT went to the server before their answers came back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_rows_carry_each_migrations_row_count() {
    let url = fresh_db("rowcounts").await;
    let dir = common::scratch_dir("rowcounts");
    let path = runbook(
        &dir,
        "rowcounts",
        r#"      - migrate: create
        sql: CREATE TABLE public.counted (id int)
        rollback: DROP TABLE public.counted
      - migrate: three
        sql: INSERT INTO public.counted SELECT generate_series(1, 3)
        rollback: DELETE FROM public.counted
      - migrate: five
        sql: |
          INSERT INTO public.counted SELECT generate_series(4, 8);
          UPDATE public.counted SET id = id WHERE id > 100;
        rollback: DELETE FROM public.counted
      - checkpoint: gate
        prompt: Go?
        questions: [Counted?]
      - migrate: two
        sql: DELETE FROM public.counted WHERE id <= 2
        rollback: SELECT 1
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the gate",
        |e| matches!(e, Event::CheckpointReached { step, .. } if step == "gate"),
    )
    .await;
    let db = common::connect(&url).await;
    // Complete by the time a gate waits for a person.
    assert_eq!(
        migration_rows(&db).await,
        vec![
            ("create".to_owned(), Some(0)),
            ("five".to_owned(), Some(5)),
            ("three".to_owned(), Some(3)),
        ]
    );
    run.send(go("gate", &["Counted?"]));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert_eq!(migration_rows(&db).await[3], ("two".to_owned(), Some(2)));
}

/// Each migration's tracking row count, by step id.
async fn migration_rows(db: &tokio_postgres::Client) -> Vec<(String, Option<i64>)> {
    db.query(
        "SELECT step_id, rows FROM cutover.steps WHERE kind = 'migrate' ORDER BY step_id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_position_points_at_the_offending_line() {
    let url = fresh_db("position").await;
    let dir = common::scratch_dir("position");
    // The unknown column is on line 8 of the file, column 7.
    common::write(
        &dir,
        "migrations/002.sql",
        "CREATE TABLE seeded (id int);\nINSERT INTO seeded VALUES (1);\n\n-- now the broken one\nINSERT INTO seeded (id)\nSELECT id\nFROM seeded\nWHERE no_such_column = 1;\n",
    );
    let path = runbook(
        &dir,
        "position",
        r#"      - migrate: broken
        file: migrations/002.sql
        rollback: DROP TABLE seeded
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let failed = run
        .until("the failure", |e| matches!(e, Event::StepFailed { .. }))
        .await;
    let Event::StepFailed { error, .. } = failed else {
        unreachable!()
    };
    assert_eq!(error.sqlstate.as_deref(), Some("42703"), "{error:?}");
    assert_eq!(error.statement, Some(3));
    assert_eq!((error.line, error.column), (Some(8), Some(7)), "{error:?}");
    run.send(Command::Abort);
    let (result, _) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted);
}

/// A step's statements go to the server together (one round trip), yet each is still
/// narrated on its own with its rows, and nothing after a failed one runs or is said to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_of_a_step_are_told_one_by_one_and_stop_at_the_first_failure() {
    let url = fresh_db("pipeline").await;
    let dir = common::scratch_dir("pipeline");
    let path = runbook(
        &dir,
        "pipeline",
        r#"      - migrate: fill
        sql: |
          CREATE TABLE public.filled (id int PRIMARY KEY);
          INSERT INTO public.filled SELECT generate_series(1, 3);
          UPDATE public.filled SET id = id + 10 WHERE id > 1;
        rollback: DROP TABLE public.filled
      - migrate: broken
        sql: |
          CREATE TABLE public.before_failure (id int);
          INSERT INTO public.filled VALUES (1);
          CREATE TABLE public.after_failure (id int);
        rollback: DROP TABLE public.before_failure
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let failed = run
        .until("the failure", |e| matches!(e, Event::StepFailed { .. }))
        .await;
    let Event::StepFailed { step, error } = failed else {
        unreachable!()
    };
    assert_eq!(step, "broken");
    assert_eq!(error.sqlstate.as_deref(), Some("23505"), "{error:?}");
    assert_eq!(error.statement, Some(2), "{error:?}");
    run.send(Command::Abort);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted);
    let told = |step: &str| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::StatementStarted { step: s, index, .. } if s == step => {
                    Some(format!("start {index}"))
                }
                Event::StatementFinished {
                    step: s,
                    index,
                    rows,
                    ..
                } if s == step => Some(format!("done {index} ({rows} rows)")),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        told("fill"),
        [
            "start 1",
            "done 1 (0 rows)",
            "start 2",
            "done 2 (3 rows)",
            "start 3",
            "done 3 (2 rows)"
        ]
    );
    assert_eq!(told("broken"), ["start 1", "done 1 (0 rows)", "start 2"]);
    assert!(exists(&db, "filled").await);
    assert!(!exists(&db, "before_failure").await);
    assert!(!exists(&db, "after_failure").await);
}

// ----- 4. non-transactional steps -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_index_concurrently_runs_outside_a_transaction() {
    let url = fresh_db("concurrent").await;
    let dir = common::scratch_dir("concurrent");
    let path = runbook(
        &dir,
        "concurrent",
        r#"      - migrate: table
        sql: CREATE TABLE t (v int)
        rollback: DROP TABLE t
      - migrate: index
        transaction: auto
        sql: CREATE INDEX CONCURRENTLY t_v ON t (v)
        rollback: DROP INDEX CONCURRENTLY t_v
"#,
    );
    let db = common::connect(&url).await;
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let modes: Vec<(String, Option<bool>)> = events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted {
                step,
                in_transaction,
                ..
            } => Some((step.clone(), *in_transaction)),
            _ => None,
        })
        .collect();
    assert_eq!(
        modes,
        [("table".into(), Some(true)), ("index".into(), Some(false))]
    );
    assert_eq!(step_status(&db, "index").await.as_deref(), Some("applied"));
    let valid: bool = db
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid);
}

// ----- 5. lock timeouts -----

/// Opens a session that holds an ACCESS EXCLUSIVE lock on `table`; returns it and its pid.
async fn hold_lock(url: &str, table: &str) -> (tokio_postgres::Client, i32) {
    let holder = common::connect(&with_app_name(url, "lock-holder")).await;
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    holder
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
        ))
        .await
        .unwrap();
    (holder, pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_timeout_is_retried_until_the_holder_lets_go() {
    let url = fresh_db("lockretry").await;
    let dir = common::scratch_dir("lockretry");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE t (id int)").await.unwrap();
    let path = runbook(
        &dir,
        "lockretry",
        r#"      - migrate: add-column
        sql: ALTER TABLE t ADD COLUMN c int
        rollback: ALTER TABLE t DROP COLUMN c
        lock_timeout: 300ms
        lock_retries: 5
"#,
    );
    let (holder, _pid) = hold_lock(&url, "t").await;
    let began = Instant::now();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        holder.batch_execute("COMMIT").await.unwrap();
    });
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    release.await.unwrap();
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert!(began.elapsed() >= Duration::from_millis(1500));
    let retries: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::Retry { step, .. } if step == "add-column"))
        .collect();
    assert!(!retries.is_empty(), "{events:#?}");
    for r in &retries {
        let Event::Retry { reason, .. } = r else {
            unreachable!()
        };
        assert!(reason.contains("lock timeout"), "{reason}");
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::StepFinished { step, .. } if step == "add-column"))
    );
    let has_column: bool = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(has_column);
}

/// The brief's scenario: a 300ms lock_timeout behind a held lock must tell the DBA who holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_lock_timeout_still_names_the_blocker() {
    let url = fresh_db("lockname").await;
    let dir = common::scratch_dir("lockname");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE t (id int)").await.unwrap();
    let path = runbook(
        &dir,
        "lockname",
        r#"      - migrate: add-column
        sql: ALTER TABLE t ADD COLUMN c int
        rollback: ALTER TABLE t DROP COLUMN c
        lock_timeout: 300ms
        lock_retries: 5
"#,
    );
    let (holder, pid) = hold_lock(&url, "t").await;
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        holder.batch_execute("COMMIT").await.unwrap();
    });
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    release.await.unwrap();
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let named = events.iter().any(|e| match e {
        Event::LockWait { step, blockers, .. } => {
            step == "add-column"
                && blockers
                    .iter()
                    .any(|b| b.pid == pid && b.application_name == "lock-holder")
        }
        _ => false,
    });
    assert!(
        named,
        "no LockWait named the holder (pid {pid}); events: {events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_lock_wait_names_the_blocker() {
    let url = fresh_db("lockwait").await;
    let dir = common::scratch_dir("lockwait");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE t (id int)").await.unwrap();
    let path = runbook(
        &dir,
        "lockwait",
        r#"      - migrate: add-column
        sql: ALTER TABLE t ADD COLUMN c int
        rollback: ALTER TABLE t DROP COLUMN c
        lock_timeout: 5s
        lock_retries: 0
"#,
    );
    let (holder, pid) = hold_lock(&url, "t").await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let wait = run
        .until("a lock wait", |e| matches!(e, Event::LockWait { .. }))
        .await;
    let Event::LockWait { step, blockers, .. } = wait else {
        unreachable!()
    };
    assert_eq!(step, "add-column");
    assert_eq!(blockers.len(), 1, "{blockers:?}");
    assert_eq!(blockers[0].pid, pid);
    assert_eq!(blockers[0].application_name, "lock-holder");
    assert!(blockers[0].query.contains("LOCK TABLE"), "{blockers:?}");
    holder.batch_execute("COMMIT").await.unwrap();
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_during_a_retry_backoff_ends_the_run_without_waiting_it_out() {
    let url = fresh_db("lockabort").await;
    let dir = common::scratch_dir("lockabort");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE t (id int)").await.unwrap();
    // A backoff far longer than the test's patience: only an interrupted wait can pass.
    let text = r#"name: lockabort
window:
  budget: 1h
defaults:
  retry_backoff: 10m
phases:
  - id: main
    kind: migration
    budget: 30m
    steps:
      - migrate: add-column
        sql: ALTER TABLE t ADD COLUMN c int
        rollback: ALTER TABLE t DROP COLUMN c
        lock_timeout: 100ms
        lock_retries: 3
"#;
    let path = common::write(&dir, "runbook.yaml", text);
    let (holder, _pid) = hold_lock(&url, "t").await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until("the first retry", |e| matches!(e, Event::Retry { .. }))
        .await;
    run.send(Command::Abort);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted, "{events:#?}");
    let attempts = events
        .iter()
        .filter(|e| matches!(e, Event::StepStarted { .. }))
        .count();
    assert_eq!(attempts, 1, "no retry may start after the abort");
    holder.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_lock_retries_fail_the_step_with_55p03() {
    let url = fresh_db("lockfail").await;
    let dir = common::scratch_dir("lockfail");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE t (id int)").await.unwrap();
    let text = r#"name: lockfail
window:
  budget: 1h
defaults:
  retry_backoff: 50ms
phases:
  - id: main
    kind: migration
    budget: 30m
    steps:
      - migrate: add-column
        sql: ALTER TABLE t ADD COLUMN c int
        rollback: ALTER TABLE t DROP COLUMN c
        lock_timeout: 200ms
        lock_retries: 2
"#;
    let path = common::write(&dir, "runbook.yaml", text);
    let (holder, _pid) = hold_lock(&url, "t").await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let failed = run
        .until("the failure", |e| matches!(e, Event::StepFailed { .. }))
        .await;
    let Event::StepFailed { error, .. } = failed else {
        unreachable!()
    };
    assert_eq!(error.sqlstate.as_deref(), Some("55P03"), "{error:?}");
    let attempts: Vec<u32> = run
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    let retries = run
        .seen
        .iter()
        .filter(|e| matches!(e, Event::Retry { .. }))
        .count();
    assert_eq!(retries, 2);
    run.send(Command::Abort);
    let (result, _) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted);
    holder.batch_execute("COMMIT").await.unwrap();
}

// ----- 6. invalid indexes -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_index_left_by_a_failed_concurrent_build_is_reported() {
    invalid_index_is_reported("invalid", "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_index_on_a_table_in_another_schema_is_reported() {
    // The index lives in `app`, off the search_path: looking it up by bare name misses it.
    invalid_index_is_reported("invalidapp", "app.").await;
}

async fn invalid_index_is_reported(tag: &str, schema: &str) {
    let url = fresh_db(tag).await;
    let dir = common::scratch_dir(tag);
    let db = common::connect(&url).await;
    if !schema.is_empty() {
        db.batch_execute("CREATE SCHEMA app").await.unwrap();
    }
    db.batch_execute(&format!(
        "CREATE TABLE {schema}t (v int); INSERT INTO {schema}t VALUES (1), (1)"
    ))
    .await
    .unwrap();
    let err = db
        .batch_execute(&format!(
            "CREATE UNIQUE INDEX CONCURRENTLY u ON {schema}t (v)"
        ))
        .await
        .expect_err("duplicates make the build fail");
    assert_eq!(err.code().map(|c| c.code()), Some("23505"));
    let valid: bool = db
        .query_one(
            &format!("SELECT indisvalid FROM pg_index WHERE indexrelid = '{schema}u'::regclass"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!valid, "setup should leave an INVALID index");

    let path = runbook(
        &dir,
        tag,
        &format!(
            r#"      - migrate: unique-v
        sql: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON {schema}t (v)
        rollback: DROP INDEX CONCURRENTLY IF EXISTS {schema}u
"#
        ),
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let failed = run
        .until("the failure", |e| matches!(e, Event::StepFailed { .. }))
        .await;
    let Event::StepFailed { step, error } = failed else {
        unreachable!()
    };
    assert_eq!(step, "unique-v");
    assert!(error.message.contains("INVALID"), "{error:?}");
    assert!(error.message.contains('u'), "{error:?}");
    assert!(
        !run.seen
            .iter()
            .any(|e| matches!(e, Event::StepFinished { step, .. } if step == "unique-v")),
        "an IF NOT EXISTS that skipped an invalid index must not count as done"
    );
    assert_eq!(
        step_status(&db, "unique-v").await.as_deref(),
        Some("failed")
    );
    run.send(Command::Abort);
    let (result, _) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Aborted);
}

// ----- 6b. concurrent index builds on a busy server -----

/// A reporting session holding a snapshot on an unrelated table, as on any busy server: a
/// concurrent index build must wait for it. Returns the session and its pid.
async fn hold_snapshot(url: &str) -> (tokio_postgres::Client, i32) {
    let session = common::connect(&with_app_name(url, "nightly-report")).await;
    session
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM other")
        .await
        .unwrap();
    let pid: i32 = session
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    (session, pid)
}

async fn busy_server_db(tag: &str) -> String {
    let url = fresh_db(tag).await;
    let db = common::connect(&url).await;
    db.batch_execute(
        "CREATE TABLE t (a int); INSERT INTO t SELECT g FROM generate_series(1, 1000) g;
         CREATE TABLE other (id int); INSERT INTO other VALUES (1)",
    )
    .await
    .unwrap();
    url
}

async fn index_validity(db: &tokio_postgres::Client, index: &str) -> Option<bool> {
    db.query_opt(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)",
        &[&index],
    )
    .await
    .unwrap()
    .map(|r| r.get(0))
}

fn build_runbook(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let text = format!(
        "name: {name}\nwindow:\n  budget: 1h\ndefaults:\n  lock_timeout: 1s\n  retry_backoff: 100ms\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: index-a\n        sql: CREATE INDEX CONCURRENTLY t_a ON t (a)\n        rollback: DROP INDEX CONCURRENTLY IF EXISTS t_a\n{extra}"
    );
    common::write(dir, "runbook.yaml", &text)
}

/// The build outlives the short DDL `lock_timeout` (1 s here): its wait for the old snapshot
/// is governed by `concurrent_lock_timeout`, and the operator is told whom it waits for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_index_build_waits_out_an_old_snapshot_past_the_ddl_lock_timeout() {
    let url = busy_server_db("cicwait").await;
    let dir = common::scratch_dir("cicwait");
    let path = build_runbook(&dir, "cicwait", "        lock_retries: 0\n");
    let (report_session, report_pid) = hold_snapshot(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    let wait = run
        .until(
            "the build waiting for the snapshot",
            |e| matches!(e, Event::LockWait { step, .. } if step == "index-a"),
        )
        .await;
    let Event::LockWait { blockers, .. } = wait else {
        unreachable!()
    };
    assert!(
        blockers
            .iter()
            .any(|b| b.pid == report_pid && b.application_name == "nightly-report"),
        "the operator sees whom the build waits for: {blockers:#?}"
    );
    // Well past the 1 s lock_timeout, the build still waits rather than failing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let db = common::connect(&url).await;
    assert_eq!(
        index_validity(&db, "t_a").await,
        Some(false),
        "still building"
    );
    report_session.batch_execute("COMMIT").await.unwrap();
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert!(
        !events.iter().any(|e| matches!(e, Event::StepFailed { .. })),
        "{events:#?}"
    );
    assert_eq!(index_validity(&db, "t_a").await, Some(true));
}

/// When the build's own timeout does fire, the INVALID index it left is dropped (journaled)
/// before the retry, which then succeeds instead of failing with 42P07 "already exists".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_concurrent_build_leaves_no_invalid_index_and_its_retry_succeeds() {
    let url = busy_server_db("cicretry").await;
    let dir = common::scratch_dir("cicretry");
    let path = build_runbook(
        &dir,
        "cicretry",
        "        concurrent_lock_timeout: 1s\n        lock_retries: 3\n",
    );
    let (report_session, _) = hold_snapshot(&url).await;
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    let dropped = run
        .until(
            "the leftover dropped",
            |e| matches!(e, Event::InvalidIndexDropped { step, .. } if step == "index-a"),
        )
        .await;
    let Event::InvalidIndexDropped { index, error, .. } = dropped else {
        unreachable!()
    };
    assert_eq!(index, "t_a");
    assert!(error.is_none(), "{error:?}");
    let db = common::connect(&url).await;
    assert_eq!(
        index_validity(&db, "t_a").await,
        None,
        "no INVALID index is left behind the failed attempt"
    );
    report_session.batch_execute("COMMIT").await.unwrap();
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert!(
        events.iter().any(|e| matches!(e, Event::Retry { .. })),
        "{events:#?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::StepFailed { .. })),
        "the retry never fails on its own leftover: {events:#?}"
    );
    assert_eq!(index_validity(&db, "t_a").await, Some(true));
    // The report tells it.
    let replayed = cutover::journal::replay(&journal).unwrap();
    let report = cutover::report::build(&replayed.entries, &replayed.unreadable);
    let markdown = cutover::report::markdown::render(&report);
    assert!(
        markdown.contains("**INVALID index** `t_a` left by a failed concurrent build"),
        "{markdown}"
    );
}

/// The operator's `x` cancels a build stuck behind an old snapshot: its INVALID index is
/// dropped, and the operator's retry builds it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_concurrent_build_is_cleaned_up_and_an_operator_retry_succeeds() {
    let url = busy_server_db("cicx").await;
    let dir = common::scratch_dir("cicx");
    let path = build_runbook(&dir, "cicx", "");
    let (report_session, _) = hold_snapshot(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the build waiting",
        |e| matches!(e, Event::LockWait { step, .. } if step == "index-a"),
    )
    .await;
    run.send(Command::CancelStatement);
    run.until(
        "the failure choice",
        |e| matches!(e, Event::AwaitingFailureDecision { step } if step == "index-a"),
    )
    .await;
    assert!(
        run.seen.iter().any(|e| matches!(
            e,
            Event::InvalidIndexDropped { index, error: None, .. } if index == "t_a"
        )),
        "{:#?}",
        run.seen
    );
    let db = common::connect(&url).await;
    assert_eq!(index_validity(&db, "t_a").await, None);
    report_session.batch_execute("COMMIT").await.unwrap();
    run.send(Command::Retry);
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert_eq!(index_validity(&db, "t_a").await, Some(true));
}

// ----- 7. notices -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_notices_are_reported_for_their_step() {
    let url = fresh_db("notices").await;
    let dir = common::scratch_dir("notices");
    let path = runbook(
        &dir,
        "notices",
        r#"      - migrate: quiet
        sql: CREATE TABLE quiet (id int)
        rollback: DROP TABLE quiet
      - migrate: noisy
        sql: |
          DO $$ BEGIN RAISE NOTICE 'n1'; RAISE WARNING 'w1'; END $$
"#,
    );
    let run = start(&path, options(&url, dir.join("j.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let notices: Vec<(String, String, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Notice {
                step,
                severity,
                message,
            } => Some((step.clone(), severity.clone(), message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        [
            ("noisy".into(), "NOTICE".into(), "n1".into()),
            ("noisy".into(), "WARNING".into(), "w1".into()),
        ]
    );
    // Each migration is sent while the one before it commits: its notices may reach cutover
    // before the earlier step's last answer is read, and still go under their own step.
    let chatty: String = (1..=100)
        .map(|n| {
            format!(
                "      - migrate: chatty{n:03}\n        sql: |\n          DO $$ BEGIN RAISE NOTICE 'chatty{n:03}'; END $$\n"
            )
        })
        .collect();
    let path = runbook(&dir, "chatty", &chatty);
    let run = start(&path, options(&url, dir.join("chatty.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let told: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Notice { step, message, .. } => Some((step.clone(), message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(told.len(), 100, "{told:#?}");
    for (step, message) in &told {
        assert_eq!(step, message, "a notice under the wrong step: {told:#?}");
    }
    // A later run finds the tracking schema in place: its setup says nothing under a step.
    let again = runbook(
        &dir,
        "notices_again",
        r#"      - migrate: quiet_again
        sql: CREATE TABLE quiet_again (id int)
"#,
    );
    let run = start(&again, options(&url, dir.join("j2.jsonl")));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    let notices: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::Notice { .. }))
        .collect();
    assert!(notices.is_empty(), "{notices:#?}");
}

// ----- 8. cancellation -----

async fn sleeping_queries(db: &tokio_postgres::Client) -> i64 {
    db.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
            AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep%'",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

/// Cancels a step sleeping on the server; the engine connects with `engine_url`.
async fn cancel_a_sleeping_step(url: &str, engine_url: &str, tag: &str) {
    let dir = common::scratch_dir(tag);
    let path = runbook(
        &dir,
        tag,
        r#"      - migrate: sleepy
        sql: SELECT pg_sleep(30)
"#,
    );
    let db = common::connect(url).await;
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(engine_url, journal.clone()));
    run.until(
        "the statement",
        |e| matches!(e, Event::StatementStarted { step, .. } if step == "sleepy"),
    )
    .await;
    // Make sure the server really is sleeping before cancelling.
    let deadline = Instant::now() + WAIT;
    while sleeping_queries(&db).await == 0 {
        assert!(Instant::now() < deadline, "pg_sleep never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cancelled_at = Instant::now();
    run.send(Command::Cancel {
        reason: "operator pressed Ctrl-C".into(),
    });
    let ended = tokio::time::timeout(Duration::from_secs(5), run.finish()).await;
    let (result, events) =
        ended.unwrap_or_else(|_| panic!("the run did not end within 5s of the cancel"));
    assert!(cancelled_at.elapsed() < Duration::from_secs(5));
    match &result {
        Err(_) | Ok(Outcome::Interrupted) => {}
        other => panic!("expected an interrupted run, got {other:?}"),
    }
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Cancelled { reason } if reason == "operator pressed Ctrl-C")
        ),
        "{events:#?}"
    );
    assert_eq!(outcome_of(&events), Some(Outcome::Interrupted));
    let journaled = read_journal(&journal);
    assert!(
        journaled
            .iter()
            .any(|e| matches!(e.event, Event::Cancelled { .. }))
    );
    assert_ne!(step_status(&db, "sleepy").await.as_deref(), Some("applied"));
    let runs = run_outcomes(&db).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].1.as_deref(), Some("interrupted"));
    assert_eq!(
        sleeping_queries(&db).await,
        0,
        "the cancelled pg_sleep is still running on the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_running_statement() {
    let url = fresh_db("cancel").await;
    cancel_a_sleeping_step(&url, &url, "cancel").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_running_statement_over_required_tls() {
    let url = fresh_db("canceltls").await;
    cancel_a_sleeping_step(&url, &format!("{url}?sslmode=require"), "canceltls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_only_the_statement_fails_its_step_and_offers_the_failure_choice() {
    let url = fresh_db("cancelstmt").await;
    let dir = common::scratch_dir("cancelstmt");
    let path = runbook(
        &dir,
        "cancelstmt",
        r#"      - migrate: sleepy
        sql: SELECT pg_sleep(30)
      - migrate: after
        sql: CREATE TABLE public.after_cancel (id int)
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the statement",
        |e| matches!(e, Event::StatementStarted { step, .. } if step == "sleepy"),
    )
    .await;
    let deadline = Instant::now() + WAIT;
    while sleeping_queries(&db).await == 0 {
        assert!(Instant::now() < deadline, "pg_sleep never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run.send(Command::CancelStatement);
    let failed = run
        .until(
            "the step's failure",
            |e| matches!(e, Event::StepFailed { step, .. } if step == "sleepy"),
        )
        .await;
    let Event::StepFailed { error, .. } = failed else {
        unreachable!()
    };
    assert_eq!(error.sqlstate.as_deref(), Some("57014"), "{error:?}");
    // The run is not over: it waits for the operator's choice, as after any failure.
    run.until(
        "the failure choice",
        |e| matches!(e, Event::AwaitingFailureDecision { step } if step == "sleepy"),
    )
    .await;
    assert_eq!(sleeping_queries(&db).await, 0);
    run.send(Command::Abort);
    let (result, events) = run.finish().await;
    assert!(matches!(result, Ok(Outcome::Aborted)), "{result:?}");
    // Journaled as a statement cancel of that step, not as the run being cancelled.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::StatementCancelled { step, .. } if step == "sleepy"))
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Cancelled { .. })));
    assert!(!has_started(&events, "after"));
    assert!(!exists(&db, "public.after_cancel").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_says_which_migrations_it_could_not_undo() {
    let url = fresh_db("leftapplied").await;
    let dir = common::scratch_dir("leftapplied");
    let path = runbook(
        &dir,
        "leftapplied",
        r#"      - migrate: permanent
        sql: CREATE TABLE permanent (id int)
      - migrate: undoable
        sql: CREATE TABLE undoable (id int)
        rollback: DROP TABLE undoable
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the gate",
        |e| matches!(e, Event::CheckpointReached { step, .. } if step == "gate"),
    )
    .await;
    run.send(Command::Decide {
        step: "gate".into(),
        decision: Decision::Rollback,
        operator: "op".into(),
        comment: None,
        answers: vec![],
        override_failed_checks: false,
    });
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::RolledBack, "{events:#?}");
    let message = events.iter().find_map(|e| match e {
        Event::RunFinished { message, .. } => message.clone(),
        _ => None,
    });
    assert_eq!(
        message.as_deref(),
        Some("left applied: `permanent` (no rollback SQL)"),
        "{events:#?}"
    );
    let db = common::connect(&url).await;
    assert!(exists(&db, "permanent").await);
    assert!(!exists(&db, "undoable").await);
}

/// A rollback of only comments (a common way to write "irreversible") undoes nothing: the
/// step must stay applied, so the next run does not apply it a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_that_runs_nothing_leaves_the_step_applied_and_it_never_runs_twice() {
    let url = fresh_db("emptyrollback").await;
    let dir = common::scratch_dir("emptyrollback");
    let db = common::connect(&url).await;
    db.batch_execute("CREATE TABLE seeded (what text)")
        .await
        .unwrap();
    let path = runbook(
        &dir,
        "emptyrollback",
        r#"      - migrate: seed
        sql: INSERT INTO seeded VALUES ('once')
        rollback: |
          -- data migration: nothing to undo
      - migrate: stamp
        sql: INSERT INTO seeded VALUES ('stamp')
        irreversible: audit rows stay
      - migrate: undoable
        sql: CREATE TABLE undoable (id int)
        rollback: DROP TABLE undoable
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#,
    );
    let journal = dir.join("j1.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until(
        "the gate",
        |e| matches!(e, Event::CheckpointReached { step, .. } if step == "gate"),
    )
    .await;
    run.send(Command::Decide {
        step: "gate".into(),
        decision: Decision::Rollback,
        operator: "op".into(),
        comment: None,
        answers: vec![],
        override_failed_checks: false,
    });
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::RolledBack, "{events:#?}");
    let left: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackLeftApplied { step, reason } => Some((step.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        left,
        vec![
            (
                "stamp".to_owned(),
                "irreversible: audit rows stay".to_owned()
            ),
            (
                "seed".to_owned(),
                "its rollback SQL has no statements, only comments".to_owned()
            ),
        ],
        "{events:#?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::RollbackStep { step, .. } if step != "undoable")),
        "only `undoable` is rolled back: {events:#?}"
    );
    assert_eq!(step_status(&db, "seed").await.as_deref(), Some("applied"));
    assert_eq!(step_status(&db, "stamp").await.as_deref(), Some("applied"));
    assert_eq!(
        step_status(&db, "undoable").await.as_deref(),
        Some("rolled_back")
    );

    // The report counts them applied and says why they were left.
    let replayed = cutover::journal::replay(&journal).unwrap();
    let report = cutover::report::build(&replayed.entries, &replayed.unreadable);
    assert_eq!(report.summary.counts.steps_applied, 2, "{report:#?}");
    assert_eq!(report.summary.counts.steps_rolled_back, 1, "{report:#?}");
    let markdown = cutover::report::markdown::render(&report);
    assert!(
        markdown.contains("**left applied**"),
        "the report says the step was left applied:\n{markdown}"
    );
    assert!(!markdown.contains("ROLLBACK FAILED"), "{markdown}");

    // The next run skips both; nothing is written twice.
    let mut run = start(&path, options(&url, dir.join("j2.jsonl")));
    run.until(
        "the gate",
        |e| matches!(e, Event::CheckpointReached { step, .. } if step == "gate"),
    )
    .await;
    run.send(go("gate", &["Ready?"]));
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert!(!has_started(&events, "seed"), "{events:#?}");
    assert!(!has_started(&events, "stamp"), "{events:#?}");
    let rows: Vec<String> = db
        .query("SELECT what FROM seeded ORDER BY what", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(rows, vec!["once", "stamp"]);
    assert!(exists(&db, "undoable").await);
}

// ----- 9. checksums -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_applied_migration_is_refused_unless_allowed() {
    let url = fresh_db("checksum").await;
    let dir = common::scratch_dir("checksum");
    let sql = common::write(&dir, "migrations/001.sql", "CREATE TABLE t (id int);\n");
    let path = runbook(
        &dir,
        "checksum",
        r#"      - migrate: create-t
        file: migrations/001.sql
        rollback: DROP TABLE t
"#,
    );
    let (result, _) = start(&path, options(&url, dir.join("j1.jsonl")))
        .finish()
        .await;
    assert_eq!(result.unwrap(), Outcome::Succeeded);

    std::fs::write(&sql, "CREATE TABLE t (id bigint);\n").unwrap();
    let (result, events) = start(&path, options(&url, dir.join("j2.jsonl")))
        .finish()
        .await;
    match result {
        Err(EngineError::Refused(message)) => {
            assert!(message.contains("create-t"), "{message}");
            assert!(message.contains("checksum"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!has_started(&events, "create-t"));

    let mut opts = options(&url, dir.join("j3.jsonl"));
    opts.allow_changed = true;
    let (result, events) = start(&path, opts).finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::StepSkipped { step, reason } if step == "create-t" && reason.contains("already applied")
    )));
}

// ----- 10. one runner per runbook -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_runner_is_refused_and_told_who_holds_the_lock() {
    let url = fresh_db("secondrunner").await;
    let dir = common::scratch_dir("secondrunner");
    let name = format!("second-runner-{}", std::process::id());
    let path = runbook(
        &dir,
        &name,
        r#"      - migrate: create-t
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
"#,
    );
    let other = common::connect(&with_app_name(&url, "other-operator")).await;
    other
        .query_one("SELECT pg_advisory_lock(7370328, hashtext($1))", &[&name])
        .await
        .unwrap();
    let pid: i32 = other
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let (result, events) = start(&path, options(&url, dir.join("j.jsonl")))
        .finish()
        .await;
    match result {
        Err(EngineError::Refused(message)) => {
            assert!(message.contains(&format!("pid {pid}")), "{message}");
            assert!(message.contains("other-operator"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(events.is_empty(), "{events:#?}");
    let db = common::connect(&url).await;
    assert!(!exists(&db, "t").await);
}

// ----- 11. rollback -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_decision_undoes_migrations_in_reverse_order() {
    let url = fresh_db("rollback").await;
    let dir = common::scratch_dir("rollback");
    let path = runbook(
        &dir,
        "rollback",
        r#"      - migrate: parent
        sql: CREATE TABLE parent (id int PRIMARY KEY)
        rollback: DROP TABLE parent
      - migrate: child
        depends_on: [parent]
        sql: CREATE TABLE child (id int, parent_id int REFERENCES parent (id))
        rollback: DROP TABLE child
      - migrate: view
        depends_on: [child]
        sql: CREATE VIEW child_view AS SELECT * FROM child
        rollback: DROP VIEW child_view
      - checkpoint: gate
        prompt: Keep the new schema?
        questions: [Application healthy?]
"#,
    );
    let db = common::connect(&url).await;
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    assert!(exists(&db, "child_view").await);
    run.send(Command::Decide {
        step: "gate".into(),
        decision: Decision::Rollback,
        operator: "tester".into(),
        comment: Some("errors in the app".into()),
        answers: Vec::new(),
        override_failed_checks: false,
    });
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::RolledBack, "{events:#?}");
    let planned = events.iter().find_map(|e| match e {
        Event::RollbackStarted { steps } => Some(steps.clone()),
        _ => None,
    });
    assert_eq!(
        planned,
        Some(vec!["view".into(), "child".into(), "parent".into()])
    );
    let done: Vec<(String, bool)> = events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackStep { step, ok, .. } => Some((step.clone(), *ok)),
            _ => None,
        })
        .collect();
    assert_eq!(
        done,
        [
            ("view".into(), true),
            ("child".into(), true),
            ("parent".into(), true)
        ]
    );
    for relation in ["child_view", "child", "parent"] {
        assert!(!exists(&db, relation).await, "{relation} survived");
    }
    for step in ["parent", "child", "view"] {
        assert_eq!(
            step_status(&db, step).await.as_deref(),
            Some("rolled_back"),
            "{step}"
        );
    }
    let runs = run_outcomes(&db).await;
    assert_eq!(runs[0].1.as_deref(), Some("rolled_back"));
    let decision: String = db
        .query_one(
            "SELECT decision FROM cutover.decisions WHERE step_id = 'gate'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(decision, "rollback");
}

// ----- the headless binary -----

use common::cli::{Output, cutover, cutover_command, headless};

/// `user@host:port/db` of a `postgres://user:password@host:port/db` URL.
fn expected_target(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let (userinfo, hostpath) = rest.rsplit_once('@').unwrap();
    let user = userinfo.split(':').next().unwrap();
    let hostpath = hostpath.split('?').next().unwrap();
    format!("{user}@{hostpath}")
}

fn dbname(url: &str) -> String {
    url.rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

// ----- 12. resume -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_halted_run_resumes_where_it_stopped_and_keeps_its_decisions() {
    let url = fresh_db("resume").await;
    let dir = common::scratch_dir("resume");
    let path = runbook(
        &dir,
        "resume",
        r#"      - migrate: m1
        sql: CREATE TABLE t1 (id int)
        rollback: DROP TABLE t1
      - checkpoint: gate1
        prompt: Go for part two?
        questions: [Part one verified?]
      - migrate: m2
        sql: CREATE TABLE t2 (id int)
        rollback: DROP TABLE t2
      - checkpoint: gate2
        prompt: Go for part three?
        questions: [Part two verified?]
      - migrate: m3
        sql: CREATE TABLE t3 (id int)
        rollback: DROP TABLE t3
"#,
    );
    let journal = dir.join("journal.jsonl");
    let j = journal.to_str().unwrap();
    let db = common::connect(&url).await;

    let first = headless(&dir, &path, &url, &["--journal", j]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    assert!(first.stdout.contains("GATE gate1"), "{first:?}");
    assert!(exists(&db, "t1").await);
    assert!(!exists(&db, "t2").await);

    // Starting over by accident is refused, with the way out.
    let again = headless(&dir, &path, &url, &["--journal", j]).await;
    assert_eq!(again.code, Some(2), "{again:?}");
    assert!(again.stderr.contains("--resume"), "{again:?}");
    assert!(again.stderr.contains("--new-run"), "{again:?}");
    assert!(!exists(&db, "t2").await);

    let second = headless(
        &dir,
        &path,
        &url,
        &[
            "--resume",
            "--approve",
            "gate1",
            "--operator",
            "lead-a",
            "--journal",
            j,
        ],
    )
    .await;
    assert_eq!(second.code, Some(3), "{second:?}");
    assert!(
        second.stdout.contains("skip m1: already applied"),
        "{second:?}"
    );
    assert!(second.stdout.contains("GATE gate2"), "{second:?}");
    assert!(
        second.stderr.contains(&format!("journal: {j}")),
        "{second:?}"
    );
    assert!(exists(&db, "t2").await);
    assert!(!exists(&db, "t3").await);

    // gate1 is not approved on this command line: its earlier go stands.
    let third = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--approve", "gate2", "--journal", j],
    )
    .await;
    assert_eq!(third.code, Some(0), "{third:?}");
    assert!(exists(&db, "t3").await);

    let entries = read_journal(&journal);
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "journal sequence is not continuous: {seqs:?}"
    );
    let starts: Vec<(String, bool)> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::RunStarted {
                run_id, resumed, ..
            } => Some((run_id.clone(), *resumed)),
            _ => None,
        })
        .collect();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert!(
        starts.iter().all(|(id, _)| *id == starts[0].0),
        "{starts:?}"
    );
    assert_eq!(
        starts.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        [false, true, true]
    );
    // The last attempt: gate1's decision restored, m1 and m2 skipped, m3 run.
    let last_start = entries
        .iter()
        .rposition(|e| matches!(e.event, Event::RunStarted { .. }))
        .unwrap();
    let last: Vec<&Event> = entries[last_start..].iter().map(|e| &e.event).collect();
    assert!(
        last.iter().any(|e| matches!(
            e,
            Event::DecisionRecorded { step, decision: Decision::Go, restored: true, operator, .. }
                if step == "gate1" && operator == "lead-a"
        )),
        "{last:#?}"
    );
    assert!(
        !last
            .iter()
            .any(|e| matches!(e, Event::CheckpointReached { step, .. } if step == "gate1")),
        "a decided gate was asked again"
    );
    let skipped: Vec<&str> = last
        .iter()
        .filter_map(|e| match e {
            Event::StepSkipped { step, reason } if reason.contains("already applied") => {
                Some(step.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(skipped, ["m1", "m2"]);
    let ran: Vec<&str> = last
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { step, .. } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ran, ["m3"]);
    let runs = run_outcomes(&db).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].0, starts[0].0);
    assert_eq!(runs[0].1.as_deref(), Some("succeeded"));
}

// ----- 13. redaction -----

async fn table_dump(db: &tokio_postgres::Client) -> String {
    let mut out = String::new();
    for table in ["runs", "steps", "decisions"] {
        let text: String = db
            .query_one(
                &format!(
                    "SELECT coalesce(string_agg(row_to_json(r)::text, E'\\n'), '') FROM cutover.{table} r"
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        out.push_str(&text);
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_never_leaks() {
    let Some(password) = common::password() else {
        eprintln!("the test server URL has no password; nothing to check");
        return;
    };
    let url = fresh_db("redact").await;
    let dir = common::scratch_dir("redact");
    let db = common::connect(&url).await;
    // The server itself will echo the secret in a notice and in an error message.
    db.batch_execute(&format!(
        "ALTER DATABASE {} SET app.secret = '{password}'",
        dbname(&url)
    ))
    .await
    .unwrap();
    let path = runbook(
        &dir,
        "redact",
        r#"      - command: show-env
        run: [sh, -c, "echo connecting with $PGPASSWORD; echo password $PGPASSWORD >&2"]
      - migrate: create-t
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
      - migrate: leaky
        sql: |
          DO $$ BEGIN RAISE NOTICE 'secret is %', current_setting('app.secret'); END $$;
          SELECT current_setting('app.secret')::int
        rollback: SELECT 1
"#,
    );
    let target = expected_target(&url);
    for (n, json) in [(1, false), (2, true)] {
        let journal = dir.join(format!("j{n}.jsonl"));
        let mut args = vec![
            "--approve-all",
            "--on-failure",
            "rollback",
            "--journal",
            journal.to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        let mut cmd = cutover_command(&dir, &[]);
        cmd.args([
            "run",
            path.to_str().unwrap(),
            "--headless",
            "--database-url",
            &url,
        ])
        .args(&args)
        .env("PGPASSWORD", &password);
        let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .expect("cutover finished")
            .unwrap();
        let out = Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_eq!(out.code, Some(4), "rolled back after the failure: {out:?}");
        // The leak vectors really were exercised: the notice, the error and the command
        // output all carried the secret, scrubbed.
        assert!(out.stdout.contains("********"), "{out:?}");
        assert!(out.stdout.contains("invalid input syntax"), "{out:?}");
        assert!(
            !out.stdout.contains(&password),
            "password in stdout: {out:?}"
        );
        assert!(
            !out.stderr.contains(&password),
            "password in stderr: {out:?}"
        );
        let text = std::fs::read_to_string(&journal).unwrap();
        assert!(!text.contains(&password), "password in the journal");
        assert!(text.contains("********"));
        // Nor in the report built from it, in any format.
        let journal_arg = journal.to_str().unwrap();
        for format in ["md", "json", "html"] {
            let report = cutover(&dir, &["report", journal_arg, "--format", format]).await;
            assert_eq!(report.code, Some(0), "{report:?}");
            assert!(report.stdout.contains("********"), "{format}: {report:?}");
            assert!(
                !report.stdout.contains(&password) && !report.stderr.contains(&password),
                "password in the {format} report"
            );
        }
        if json {
            let started: Vec<serde_json::Value> = out
                .stdout
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON lines"))
                .filter(|v| v["event"] == "run_started")
                .collect();
            assert_eq!(started.len(), 1);
            assert_eq!(started[0]["target"], target.as_str());
        } else {
            assert!(
                out.stdout.contains(&format!(" on {target} ")),
                "target {target} not shown: {out:?}"
            );
        }
    }
    let tables = table_dump(&db).await;
    assert!(tables.contains("leaky") || tables.contains("create-t"));
    assert!(
        !tables.contains(&password),
        "password in cutover.* tables: {tables}"
    );
}

// ----- 14. headless gates and failure policies -----

fn gated_runbook(dir: &Path, name: &str) -> PathBuf {
    runbook(
        dir,
        name,
        r#"      - migrate: m1
        sql: CREATE TABLE t1 (id int)
        rollback: DROP TABLE t1
      - checkpoint: gate
        prompt: Go?
        questions: [Backup verified?]
      - migrate: m2
        sql: CREATE TABLE t2 (id int)
        rollback: DROP TABLE t2
"#,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_without_approval_halts_at_the_first_gate() {
    let url = fresh_db("halt").await;
    let dir = common::scratch_dir("halt");
    let path = gated_runbook(&dir, "halt");
    let out = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(out.stdout.contains("GATE gate"), "{out:?}");
    assert!(!out.stdout.contains("start m2"), "{out:?}");
    assert!(out.stdout.contains("run finished: halted"), "{out:?}");
    let db = common::connect(&url).await;
    assert!(exists(&db, "t1").await);
    assert!(!exists(&db, "t2").await);
    assert_eq!(run_outcomes(&db).await[0].1.as_deref(), Some("halted"));
    let decisions: i64 = db
        .query_one("SELECT count(*) FROM cutover.decisions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(decisions, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_with_a_changed_runbook_says_so() {
    let url = fresh_db("rbchanged").await;
    let dir = common::scratch_dir("rbchanged");
    let path = gated_runbook(&dir, "rbchanged");
    let first = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    assert!(!first.stdout.contains("runbook changed"), "{first:?}");
    // The operator fixes something after the gate before continuing.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("CREATE TABLE t2", "CREATE TABLE t2b")).unwrap();
    let second = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--approve", "gate", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(
        second
            .stdout
            .contains("WARNING: the runbook changed since this run started"),
        "{second:?}"
    );
    let db = common::connect(&url).await;
    assert!(exists(&db, "t2b").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_after_resume_undoes_in_reverse_order_of_application() {
    let url = fresh_db("rbresume").await;
    let dir = common::scratch_dir("rbresume");
    // `b` is listed first but needs `a`: applied a, then b; undone b, then a.
    let path = runbook(
        &dir,
        "rbresume",
        r#"      - migrate: b
        depends_on: [a]
        sql: CREATE TABLE tb (id int REFERENCES ta (id))
        rollback: DROP TABLE tb
      - migrate: a
        sql: CREATE TABLE ta (id int PRIMARY KEY)
        rollback: DROP TABLE ta
      - checkpoint: g
        prompt: Go?
        questions: [Ready?]
      - migrate: boom
        sql: SELECT 1/0
"#,
    );
    let first = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    let second = headless(
        &dir,
        &path,
        &url,
        &[
            "--resume",
            "--approve-all",
            "--on-failure",
            "rollback",
            "--journal",
            "j.jsonl",
        ],
    )
    .await;
    assert_eq!(second.code, Some(4), "{second:?}");
    let db = common::connect(&url).await;
    assert!(!exists(&db, "ta").await && !exists(&db, "tb").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_says_why_in_the_servers_words() {
    let url = fresh_db("badpw").await;
    let dir = common::scratch_dir("badpw");
    let path = gated_runbook(&dir, "badpw");
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let user = scheme_user.rsplit_once(':').map_or(scheme_user, |(u, _)| u);
    let wrong = format!("{user}:Wr0ng-Secret-42@{rest}");
    let out = headless(&dir, &path, &wrong, &["--journal", "j.jsonl"]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("password authentication failed"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("Wr0ng-Secret-42"), "{out:?}");
    let missing = format!("{}/no_such_database_here", url.rsplit_once('/').unwrap().0);
    let out = headless(&dir, &path, &missing, &["--journal", "j2.jsonl"]).await;
    assert!(
        out.stderr
            .contains("database \"no_such_database_here\" does not exist"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_approval_never_passes_failed_critical_checks_without_an_override() {
    let url = fresh_db("hloverride").await;
    let dir = common::scratch_dir("hloverride");
    let path = runbook(
        &dir,
        "hloverride",
        r#"      - check: rows-match
        sql: SELECT 0
        expect: 1
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
      - migrate: after
        sql: CREATE TABLE after_gate (id int)
        rollback: DROP TABLE after_gate
"#,
    );
    // A mistyped id is refused before anything runs.
    let typo = headless(&dir, &path, &url, &["--approve", "gat"]).await;
    assert_eq!(typo.code, Some(2), "{typo:?}");
    assert!(typo.stderr.contains("did you mean `gate`"), "{typo:?}");
    // --approve-all does not pass a gate behind a failed critical check.
    let first = headless(
        &dir,
        &path,
        &url,
        &["--approve-all", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(first.code, Some(3), "{first:?}");
    assert!(
        first.stderr.contains("--override-failed-checks gate"),
        "{first:?}"
    );
    assert!(
        first.stderr.contains("continue with: cutover run"),
        "{first:?}"
    );
    let db = common::connect(&url).await;
    assert!(!exists(&db, "after_gate").await);
    // Naming the override gives the go, journaled as one.
    let second = headless(
        &dir,
        &path,
        &url,
        &[
            "--resume",
            "--approve",
            "gate",
            "--override-failed-checks",
            "gate",
            "--override-reason",
            "rows-match differs by the 2 test rows removed on purpose",
            "--journal",
            "j.jsonl",
        ],
    )
    .await;
    assert_eq!(second.code, Some(0), "{second:?}");
    let reason: Option<String> = common::connect(&url)
        .await
        .query_one(
            "SELECT comment FROM cutover.decisions WHERE step_id = 'gate'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        reason.as_deref(),
        Some("rows-match differs by the 2 test rows removed on purpose"),
        "the override's reason is journaled with it"
    );
    // `status` says the go overrode failed checks, and why.
    let status = std::process::Command::new(common::binary())
        .current_dir(&dir)
        .args([
            "status",
            path.to_str().unwrap_or_default(),
            "--database-url",
            &url,
        ])
        .output()
        .expect("run cutover status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("OVERRIDING failed critical checks rows-match: “rows-match differs by the 2 test rows removed on purpose”"),
        "{status}"
    );
    assert!(exists(&db, "after_gate").await);
    let overrides: serde_json::Value = db
        .query_one(
            "SELECT overrides FROM cutover.decisions WHERE step_id = 'gate'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(overrides, serde_json::json!(["rows-match"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_approve_all_runs_to_the_end() {
    let url = fresh_db("approveall").await;
    let dir = common::scratch_dir("approveall");
    let path = gated_runbook(&dir, "approveall");
    let out = headless(
        &dir,
        &path,
        &url,
        &[
            "--approve-all",
            "--operator",
            "night-shift",
            "--journal",
            "j.jsonl",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("DECISION gate: GO by night-shift"),
        "{out:?}"
    );
    let db = common::connect(&url).await;
    assert!(exists(&db, "t2").await);
    let approver: Option<String> = db
        .query_one(
            "SELECT approver FROM cutover.steps WHERE step_id = 'gate'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(approver.as_deref(), Some("night-shift"));
}

fn failing_runbook(dir: &Path, name: &str) -> PathBuf {
    runbook(
        dir,
        name,
        r#"      - migrate: m1
        sql: CREATE TABLE t1 (id int)
        rollback: DROP TABLE t1
      - migrate: m2
        sql: CREATE TABLE t2 (id int)
        rollback: DROP TABLE t2
      - migrate: broken
        sql: SELECT 1 / 0
        rollback: SELECT 1
      - migrate: m4
        sql: CREATE TABLE t4 (id int)
        rollback: DROP TABLE t4
"#,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_on_failure_rollback_undoes_the_run() {
    let url = fresh_db("onfailrb").await;
    let dir = common::scratch_dir("onfailrb");
    let path = failing_runbook(&dir, "onfailrb");
    let out = headless(
        &dir,
        &path,
        &url,
        &["--on-failure", "rollback", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(out.stdout.contains("FAILED broken: [22012]"), "{out:?}");
    assert!(out.stdout.contains("ROLLBACK of m2, m1"), "{out:?}");
    assert!(!out.stdout.contains("start m4"), "{out:?}");
    let db = common::connect(&url).await;
    for table in ["t1", "t2", "t4"] {
        assert!(!exists(&db, table).await, "{table}");
    }
    for step in ["m1", "m2"] {
        assert_eq!(
            step_status(&db, step).await.as_deref(),
            Some("rolled_back"),
            "{step}"
        );
    }
    assert_eq!(run_outcomes(&db).await[0].1.as_deref(), Some("rolled_back"));
}

/// A headless run opens its sessions while the runbook is planned; a runbook the planner
/// refuses still leaves the database untouched — not even the tracking schema is created —
/// and starts no journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_plan_writes_nothing_to_the_database() {
    let url = fresh_db("refusedplan").await;
    let dir = common::scratch_dir("refusedplan");
    let path = runbook(
        &dir,
        "refusedplan",
        r#"      - migrate: a
        sql: CREATE TABLE public.a (id int)
        depends_on: [b]
      - migrate: b
        sql: CREATE TABLE public.b (id int)
        depends_on: [a]
"#,
    );
    let out = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("depend on itself"), "{out:?}");
    let db = common::connect(&url).await;
    let schemas: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'cutover'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        schemas, 0,
        "the tracking schema was created for a refused runbook"
    );
    assert!(!exists(&db, "public.a").await);
    assert!(!dir.join("j.jsonl").exists(), "a journal was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_failure_stops_with_exit_1_and_keeps_what_was_applied() {
    let url = fresh_db("onfailstop").await;
    let dir = common::scratch_dir("onfailstop");
    let path = failing_runbook(&dir, "onfailstop");
    let out = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("run finished: failed"), "{out:?}");
    let db = common::connect(&url).await;
    assert!(exists(&db, "t1").await);
    assert!(exists(&db, "t2").await);
    assert!(!exists(&db, "t4").await);
}

// ----- 15. uncertain non-transactional steps -----

fn uncertain_runbook(dir: &Path, name: &str) -> PathBuf {
    runbook(
        dir,
        name,
        r#"      - migrate: create-t
        sql: CREATE TABLE t (v int)
        rollback: DROP TABLE t
      - checkpoint: gate
        prompt: Go for the index?
        questions: [Ready?]
      - migrate: index
        sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON t (v)
        rollback: DROP INDEX CONCURRENTLY IF EXISTS t_v
"#,
    )
}

/// Runs to the gate, then leaves a `started` row for the index step as a crash would.
async fn crash_inside_the_index_step(dir: &Path, path: &Path, url: &str, name: &str) {
    let first = headless(dir, path, url, &["--journal", "j.jsonl"]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    let db = common::connect(url).await;
    let (run_id, _) = run_outcomes(&db).await.remove(0);
    db.execute(
        "INSERT INTO cutover.steps (runbook, step_id, run_id, kind, status, started_at, attempts)
         VALUES ($1, 'index', $2, 'migrate', 'started', now(), 1)",
        &[&name, &run_id],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncertain_step_stops_the_run_until_told_to_retry() {
    let url = fresh_db("uncretry").await;
    let dir = common::scratch_dir("uncretry");
    let path = uncertain_runbook(&dir, "uncretry");
    crash_inside_the_index_step(&dir, &path, &url, "uncretry").await;
    let db = common::connect(&url).await;

    let stopped = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--approve", "gate", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(stopped.code, Some(3), "{stopped:?}");
    assert!(stopped.stdout.contains("UNCERTAIN index"), "{stopped:?}");
    assert!(stopped.stderr.contains("--uncertain"), "{stopped:?}");
    assert!(!stopped.stdout.contains("start index"), "{stopped:?}");
    assert!(!exists(&db, "t_v").await);
    assert_eq!(step_status(&db, "index").await.as_deref(), Some("started"));

    let retried = headless(
        &dir,
        &path,
        &url,
        &[
            "--resume",
            "--approve",
            "gate",
            "--uncertain",
            "retry",
            "--journal",
            "j.jsonl",
        ],
    )
    .await;
    assert_eq!(retried.code, Some(0), "{retried:?}");
    assert!(retried.stdout.contains("start index"), "{retried:?}");
    assert!(exists(&db, "t_v").await);
    assert_eq!(step_status(&db, "index").await.as_deref(), Some("applied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncertain_step_marked_applied_is_skipped() {
    let url = fresh_db("uncapplied").await;
    let dir = common::scratch_dir("uncapplied");
    let path = uncertain_runbook(&dir, "uncapplied");
    crash_inside_the_index_step(&dir, &path, &url, "uncapplied").await;
    let db = common::connect(&url).await;

    let stopped = headless(
        &dir,
        &path,
        &url,
        &["--new-run", "--approve", "gate", "--journal", "j2.jsonl"],
    )
    .await;
    assert_eq!(stopped.code, Some(3), "{stopped:?}");
    assert!(stopped.stdout.contains("UNCERTAIN index"), "{stopped:?}");
    assert!(stopped.stderr.contains("--uncertain"), "{stopped:?}");
    // The DBA looked and found the index built (a mark is refused while it is missing or
    // INVALID: tests/integrity.rs).
    db.batch_execute("CREATE INDEX t_v ON t (v)").await.unwrap();

    let skipped = headless(
        &dir,
        &path,
        &url,
        &[
            "--resume",
            "--approve",
            "gate",
            "--uncertain",
            "applied",
            "--journal",
            "j2.jsonl",
        ],
    )
    .await;
    assert_eq!(skipped.code, Some(0), "{skipped:?}");
    assert!(
        skipped.stdout.contains("skip index: marked applied"),
        "{skipped:?}"
    );
    assert!(
        !skipped.stdout.contains("start index"),
        "the step was said to be applied, so it must not run: {skipped:?}"
    );
    assert_eq!(step_status(&db, "index").await.as_deref(), Some("applied"));
}

// ----- signals -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_statement_exits_as_interrupted() {
    signal_during_a_statement_exits_as_interrupted("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_during_a_statement_exits_as_interrupted() {
    signal_during_a_statement_exits_as_interrupted("HUP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_a_statement_exits_as_interrupted() {
    signal_during_a_statement_exits_as_interrupted("INT").await;
}

/// The signal cancels the running statement on the server, is journaled, and the run ends
/// interrupted (resumable).
async fn signal_during_a_statement_exits_as_interrupted(signal: &str) {
    let tag = format!("sig{}", signal.to_lowercase());
    let url = fresh_db(&tag).await;
    let dir = common::scratch_dir(&tag);
    let path = runbook(
        &dir,
        &tag,
        r#"      - migrate: sleepy
        sql: SELECT pg_sleep(30)
"#,
    );
    let db = common::connect(&url).await;
    let child = cutover_command(
        &dir,
        &[
            "run",
            path.to_str().unwrap(),
            "--headless",
            "--database-url",
            &url,
            "--journal",
            "j.jsonl",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + WAIT;
    while sleeping_queries(&db).await == 0 {
        assert!(Instant::now() < deadline, "pg_sleep never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("cutover did not exit within 5s of SIG{signal}"))
        .unwrap();
    let out = Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(out.code, Some(6), "{out:?}");
    assert!(out.stdout.contains("CANCELLED"), "{out:?}");
    assert_eq!(sleeping_queries(&db).await, 0);
    assert_eq!(run_outcomes(&db).await[0].1.as_deref(), Some("interrupted"));
}

// ----- more things a DBA would notice -----

/// Unqualified objects a migration creates must land where the application looks, not in
/// the tracking schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_do_not_create_objects_in_the_tracking_schema() {
    let url = fresh_db("searchpath").await;
    let dir = common::scratch_dir("searchpath");
    let path = runbook(
        &dir,
        "searchpath",
        r#"      - migrate: create-t
        sql: CREATE TABLE app_table (id int)
        rollback: DROP TABLE app_table
"#,
    );
    let (result, _) = start(&path, options(&url, dir.join("j.jsonl")))
        .finish()
        .await;
    assert_eq!(result.unwrap(), Outcome::Succeeded);
    let db = common::connect(&url).await;
    let schema: String = db
        .query_one(
            "SELECT relnamespace::regnamespace::text FROM pg_class WHERE relname = 'app_table'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let role: String = db
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(
        schema, "cutover",
        "app_table was created in the tracking schema (the role is `{role}`)"
    );
}

/// The refusal must name the holder on this database, not a runner of the same runbook on
/// another database of the cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_holder_named_is_on_the_same_database() {
    let name = format!("shared-name-{}", std::process::id());
    let mut holders = Vec::new();
    for n in 0..3 {
        let other = fresh_db(&format!("otherdb{n}")).await;
        let c = common::connect(&with_app_name(&other, &format!("elsewhere-{n}"))).await;
        c.query_one("SELECT pg_advisory_lock(7370328, hashtext($1))", &[&name])
            .await
            .unwrap();
        holders.push(c);
    }
    let url = fresh_db("samedb").await;
    let here = common::connect(&with_app_name(&url, "right-holder")).await;
    here.query_one("SELECT pg_advisory_lock(7370328, hashtext($1))", &[&name])
        .await
        .unwrap();
    let dir = common::scratch_dir("samedb");
    let path = runbook(
        &dir,
        &name,
        r#"      - migrate: create-t
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
"#,
    );
    let (result, _) = start(&path, options(&url, dir.join("j.jsonl")))
        .finish()
        .await;
    match result {
        Err(EngineError::Refused(message)) => {
            assert!(message.contains("right-holder"), "{message}");
            assert!(!message.contains("elsewhere"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A check's result is shown to the operator; it must be scrubbed like everything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_result_does_not_leak_the_password() {
    let Some(password) = common::password() else {
        return;
    };
    let url = fresh_db("checkleak").await;
    let dir = common::scratch_dir("checkleak");
    let db = common::connect(&url).await;
    db.batch_execute(&format!(
        "ALTER DATABASE {} SET app.secret = '{password}'",
        dbname(&url)
    ))
    .await
    .unwrap();
    let path = runbook(
        &dir,
        "checkleak",
        r#"      - check: secret-set
        sql: SELECT current_setting('app.secret')
        expect: something-else
        severity: warning
"#,
    );
    for json in [false, true] {
        let mut extra = vec!["--journal", "j.jsonl"];
        if json {
            extra.push("--json");
        }
        let out = headless(&dir, &path, &url, &extra).await;
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(
            !out.stdout.contains(&password),
            "password in stdout (json: {json}): {out:?}"
        );
    }
    let journal = std::fs::read_to_string(dir.join("j.jsonl")).unwrap();
    assert!(!journal.contains(&password));
}

/// An abort is an abort whenever it arrives: not a resumable halt because a statement was
/// running at the time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_during_a_statement_ends_the_run_as_aborted() {
    let url = fresh_db("abortmid").await;
    let dir = common::scratch_dir("abortmid");
    let path = runbook(
        &dir,
        "abortmid",
        r#"      - migrate: slow
        sql: SELECT pg_sleep(1)
      - migrate: next
        sql: CREATE TABLE next_t (id int)
        rollback: DROP TABLE next_t
"#,
    );
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until(
        "the statement",
        |e| matches!(e, Event::StatementStarted { step, .. } if step == "slow"),
    )
    .await;
    run.send(Command::Abort);
    let (result, events) = run.finish().await;
    assert!(!has_started(&events, "next"), "{events:#?}");
    assert_eq!(result.unwrap(), Outcome::Aborted, "{events:#?}");
    let db = common::connect(&url).await;
    assert_eq!(run_outcomes(&db).await[0].1.as_deref(), Some("aborted"));
}

/// The window's hard end is a wall-clock fact; resuming must not move it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_keeps_the_planned_hard_end() {
    let url = fresh_db("hardend").await;
    let dir = common::scratch_dir("hardend");
    let start_at = (chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339();
    let text = format!(
        r#"name: hardend
window:
  start: {start_at}
  budget: 1h
phases:
  - id: main
    kind: migration
    budget: 30m
    steps:
      - migrate: m1
        sql: CREATE TABLE t1 (id int)
        rollback: DROP TABLE t1
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#
    );
    let path = common::write(&dir, "runbook.yaml", &text);
    let hard_end = |events: &[Event]| {
        events
            .iter()
            .find_map(|e| match e {
                Event::RunStarted { hard_end, .. } => {
                    Some(chrono::DateTime::parse_from_rfc3339(hard_end).unwrap())
                }
                _ => None,
            })
            .unwrap()
    };
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    run.send(Command::Pause);
    let (result, first) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Halted);
    let planned =
        chrono::DateTime::parse_from_rfc3339(&start_at).unwrap() + chrono::Duration::hours(1);
    assert_eq!(hard_end(&first), planned);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut opts = options(&url, journal);
    opts.resume = true;
    let mut run = start(&path, opts);
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    run.send(go("gate", &["Ready?"]));
    let (result, second) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded);
    assert_eq!(
        hard_end(&second),
        planned,
        "the hard end moved when the run was resumed"
    );
}

/// A check that was the evidence for a go is not run again when the run is resumed after
/// that go: "the target is empty" held before the migration filled it, and its result stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_after_a_go_keeps_the_checks_that_go_was_given_on() {
    let url = fresh_db("restorechecks").await;
    let dir = common::scratch_dir("restorechecks");
    let path = runbook(
        &dir,
        "restorechecks",
        r#"      - migrate: create-t
        sql: CREATE TABLE public.t (id int)
        rollback: DROP TABLE public.t
      - check: t-empty
        sql: SELECT count(*) FROM public.t
        expect: 0
      - checkpoint: go
        prompt: Fill it?
        questions: [Ready?]
      - migrate: fill
        sql: INSERT INTO public.t SELECT generate_series(1, 3)
        rollback: DELETE FROM public.t
      - check: t-filled
        sql: SELECT count(*) FROM public.t
        expect: 3
      - manual: confirm
        prompt: Tell the team
"#,
    );
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    run.send(go("go", &["Ready?"]));
    run.until("the manual step", |e| {
        matches!(e, Event::ManualWaiting { .. })
    })
    .await;
    run.send(Command::Pause);
    let (result, first) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Halted, "{first:#?}");

    let mut opts = options(&url, journal);
    opts.resume = true;
    let mut run = start(&path, opts);
    run.until("the manual step", |e| {
        matches!(e, Event::ManualWaiting { .. })
    })
    .await;
    run.send(Command::Acknowledge {
        step: "confirm".into(),
        operator: "tester".into(),
        note: None,
    });
    let (result, second) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{second:#?}");
    let checked: Vec<&str> = second
        .iter()
        .filter_map(|e| match e {
            Event::CheckResult { step, .. } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    // The check after the go ran in the first attempt too, but no go rests on it yet.
    assert_eq!(checked, ["t-filled"], "{second:#?}");
    let restored = second.iter().find_map(|e| match e {
        Event::StepSkipped { step, reason } if step == "t-empty" => Some(reason.clone()),
        _ => None,
    });
    assert!(
        restored
            .as_deref()
            .is_some_and(|r| r.contains("checked before the go at `go`")),
        "{second:#?}"
    );
    // The report keeps the first attempt's result and says it was kept, not run again.
    let replay = cutover::journal::replay(&dir.join("j.jsonl")).unwrap();
    let report = cutover::report::build(&replay.entries, &replay.unreadable);
    let markdown = cutover::report::markdown::render(&report);
    assert!(
        markdown
            .lines()
            .any(|l| l.starts_with("- `t-empty` kept, not run again: checked before the go at")),
        "{markdown}"
    );
    let html = cutover::report::html::render(&report);
    assert!(html.contains("kept, not run again"), "{html}");
    let result = report
        .checks
        .iter()
        .find(|c| c.step == "t-empty")
        .expect("the check's result");
    assert!(result.passed, "{result:?}");
}

/// "Watch the dashboards for 2 hours" is a manual step of a monitoring phase: the phase's probes
/// keep sampling (and alert) while it waits for the operator, not only after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_sample_and_alert_while_a_manual_step_of_their_phase_waits() {
    let url = fresh_db("probewait").await;
    let dir = common::scratch_dir("probewait");
    let text = r#"name: probewait
window:
  budget: 1h
phases:
  - id: watch
    kind: monitoring
    budget: 1s
    steps:
      - probe: lag
        sql: SELECT 7
        every: 50ms
        alert: { gt: 5 }
      - manual: watch-dashboards
        prompt: Watch the dashboards.
"#;
    let path = common::write(&dir, "runbook.yaml", text);
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until("the manual step", |e| {
        matches!(e, Event::ManualWaiting { .. })
    })
    .await;
    let waiting_at = run.seen.len();
    run.until("an alert during the wait", |e| {
        matches!(e, Event::Alert { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.send(Command::Acknowledge {
        step: "watch-dashboards".into(),
        operator: "alice".into(),
        note: Some("dashboards green at 02:10".into()),
    });
    let (result, events) = run.finish().await;
    assert_eq!(result.unwrap(), Outcome::Succeeded, "{events:#?}");
    // The operator's note is journaled with the acknowledgement.
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ManualAcknowledged { note: Some(n), .. } if n == "dashboards green at 02:10"
    )));
    let acked = events
        .iter()
        .position(|e| matches!(e, Event::ManualAcknowledged { .. }))
        .unwrap_or(0);
    let during_wait = events[waiting_at..acked]
        .iter()
        .filter(|e| matches!(e, Event::ProbeSample { .. }))
        .count();
    assert!(
        during_wait >= 3,
        "{during_wait} samples while waiting: {events:#?}"
    );
}

/// `status` while a run waits at a gate says the run is live, what it waits for, and which
/// session holds the runbook's lock (it said only "pending").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_at_a_gate_says_the_run_is_live_and_who_holds_it() {
    let url = fresh_db("statuslive").await;
    let dir = common::scratch_dir("statuslive");
    let path = gated_runbook(&dir, "statuslive");
    let mut run = start(&path, options(&url, dir.join("j.jsonl")));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    let status = |path: &Path| {
        let out = std::process::Command::new(common::binary())
            .args([
                "status",
                path.to_str().unwrap_or_default(),
                "--database-url",
                &url,
            ])
            .output()
            .expect("run cutover status");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The gate reaches cutover.events through the mirror, a moment later.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut text = status(&path);
    while !text.contains("waiting at gate `gate`") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        text = status(&path);
    }
    let live = text
        .lines()
        .find(|l| l.starts_with("LIVE: run "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        live.contains("waiting at gate `gate` for a decision"),
        "{live}"
    );
    assert!(live.contains("the runner holding the lock: pid "), "{live}");
    run.send(Command::Abort);
    let (result, _) = run.finish().await;
    assert!(result.is_ok());
    let after = status(&path);
    assert!(!after.contains("LIVE:"), "{after}");
}

/// `history` has a header, and a run resumed by someone else lists every operator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_every_operator_of_a_resumed_run() {
    let url = fresh_db("histops").await;
    let dir = common::scratch_dir("histops");
    let path = gated_runbook(&dir, "histops");
    let first = headless(&dir, &path, &url, &["--operator", "alice"]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    let second = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--approve", "gate", "--operator", "bob"],
    )
    .await;
    assert_eq!(second.code, Some(0), "{second:?}");
    let out = common::cli::cutover(&dir, &["history", "--database-url", &url]).await;
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("run ") && header.contains("operators") && header.contains("outcome"),
        "{}",
        out.stdout
    );
    let run = lines
        .find(|l| l.contains("histops"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(run.contains("alice, bob"), "{run}");
}

/// A run resumed with the same runbook journals the same plan: its report has no "different
/// plan" warning (the window's start was the engine's clock in the first attempt and the
/// database's in the next).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_run_journals_the_same_plan() {
    let url = fresh_db("sameplan").await;
    let dir = common::scratch_dir("sameplan");
    let path = gated_runbook(&dir, "sameplan");
    let first = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    let second = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--approve", "gate", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(second.code, Some(0), "{second:?}");
    let replayed = cutover::journal::replay(&dir.join("j.jsonl")).expect("the journal");
    let report = cutover::report::build(&replayed.entries, &replayed.unreadable);
    assert_eq!(report.segments.len(), 2);
    assert!(
        !report.warnings.iter().any(|w| w.contains("different plan")),
        "{:?}",
        report.warnings
    );
}
