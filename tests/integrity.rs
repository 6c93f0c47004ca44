//! cutover's promise on real PostgreSQL: nothing is ever applied twice, whatever dies — the
//! lock connection, a working connection, the process in the middle of a concurrent index
//! build — and every run keeps its own journal, found again from wherever it is resumed.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::cli::{Output, cutover_command, headless};
use cutover::events::Event;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest a test waits for anything before failing.
const WAIT: Duration = Duration::from_secs(30);

/// `steps` migrations that each insert their id into `public.ledger` and sleep `sleep` s.
fn ledger_runbook(dir: &Path, name: &str, steps: usize, sleep: f64) -> PathBuf {
    let mut yaml = format!(
        "name: {name}\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: ledger\n        sql: CREATE TABLE public.ledger (step text NOT NULL)\n        rollback: DROP TABLE public.ledger\n"
    );
    for n in 1..=steps {
        yaml.push_str(&format!(
            "      - migrate: s{n:02}\n        sql: INSERT INTO public.ledger VALUES ('s{n:02}'); SELECT pg_sleep({sleep})\n        rollback: DELETE FROM public.ledger WHERE step = 's{n:02}'\n"
        ));
    }
    common::write(dir, "runbook.yaml", &yaml)
}

/// Each ledger id with how often it was applied.
async fn ledger(db: &tokio_postgres::Client) -> Vec<(String, i64)> {
    db.query(
        "SELECT step, count(*) FROM public.ledger GROUP BY step ORDER BY step",
        &[],
    )
    .await
    .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    .unwrap_or_default()
}

async fn assert_each_applied_once(db: &tokio_postgres::Client, steps: usize) {
    let rows = ledger(db).await;
    let twice: Vec<&(String, i64)> = rows.iter().filter(|(_, n)| *n > 1).collect();
    assert!(twice.is_empty(), "applied more than once: {twice:?}");
    assert_eq!(rows.len(), steps, "every step applied: {rows:?}");
}

/// The backend holding the runbook lock (the idle lock connection), once there is one.
async fn lock_holder(db: &tokio_postgres::Client, runbook: &str) -> i32 {
    let deadline = Instant::now() + WAIT;
    loop {
        let row = db
            .query_opt(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                   AND classid = 7370328::oid AND objid = (hashtext($1)::bigint & 4294967295)::oid",
                &[&runbook],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "nobody took the lock of {runbook}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_ledger_rows(db: &tokio_postgres::Client, at_least: usize) {
    let deadline = Instant::now() + WAIT;
    while ledger(db).await.len() < at_least {
        assert!(
            Instant::now() < deadline,
            "the ledger never reached {at_least} rows"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the engine writes in a step's transaction when it has applied it (lock holder `pid`).
async fn record_applied(
    client: &tokio_postgres::Client,
    runbook: &str,
    step: &str,
    run: &str,
    pid: i32,
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            cutover::tracking::UPSERT_STEP,
            &[
                &runbook, &step, &run, &"migrate", &"sum", &"applied", &1i32, &1i64, &pid,
            ],
        )
        .await
}

async fn terminate(db: &tokio_postgres::Client, pid: i32) {
    let done: bool = db
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(done, "pid {pid} terminated");
}

async fn finish(child: tokio::process::Child) -> Output {
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("cutover finishes")
        .expect("cutover runs");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn spawn_headless(dir: &Path, runbook: &Path, url: &str, extra: &[&str]) -> tokio::process::Child {
    let mut args = vec![
        "run",
        runbook.to_str().unwrap(),
        "--headless",
        "--database-url",
        url,
    ];
    args.extend_from_slice(extra);
    cutover_command(dir, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cutover starts")
}

fn journal_events(path: &Path) -> Vec<Event> {
    let replay = cutover::journal::replay(path).expect("journal readable");
    assert!(replay.unreadable.is_empty(), "{:?}", replay.unreadable);
    replay.entries.into_iter().map(|e| e.event).collect()
}

// ----- 1. the lock connection dies -----

/// The reproduction: the lock connection of a running window is terminated and a
/// second `cutover run --resume` starts at once. Whoever ends up with the lock, each step is
/// applied exactly once, and a final resume completes the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_lock_connection_and_resuming_applies_nothing_twice() {
    let url = common::fresh_db("lockrace").await;
    let dir = common::scratch_dir("lockrace");
    let path = ledger_runbook(&dir, "lockrace", 10, 0.3);
    let db = common::connect(&url).await;

    let first = spawn_headless(&dir, &path, &url, &["--journal", "first.jsonl"]);
    wait_for_ledger_rows(&db, 2).await;
    terminate(&db, lock_holder(&db, "lockrace").await).await;
    let second = spawn_headless(
        &dir,
        &path,
        &url,
        &["--resume", "--journal", "second.jsonl"],
    );
    let (first, second) = (finish(first).await, finish(second).await);
    // One of them carries on (or both stop): never two at once.
    assert!(
        first.code == Some(0) || second.code == Some(0) || first.code == Some(6),
        "first: {first:?}\nsecond: {second:?}"
    );
    let rest = headless(&dir, &path, &url, &["--resume", "--journal", "third.jsonl"]).await;
    assert!(
        matches!(rest.code, Some(0)) || rest.stderr.contains("no interrupted run"),
        "{rest:?}"
    );
    assert_each_applied_once(&db, 10).await;
}

/// The lock connection dies and another session takes the lock before the runner can: the
/// runner starts and commits nothing more, ends interrupted (exit 6) with the loss journaled,
/// and a later resume finishes the window with every step applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_taken_by_someone_else_stops_the_run_interrupted() {
    let url = common::fresh_db("lockstolen").await;
    let dir = common::scratch_dir("lockstolen");
    let path = ledger_runbook(&dir, "lockstolen", 10, 0.3);
    let db = common::connect(&url).await;

    let run = spawn_headless(&dir, &path, &url, &["--journal", "j.jsonl"]);
    wait_for_ledger_rows(&db, 2).await;
    let holder = lock_holder(&db, "lockstolen").await;
    // Someone else (here: the test) takes the lock the moment it is free.
    let thief = common::connect(&url).await;
    terminate(&db, holder).await;
    let deadline = Instant::now() + WAIT;
    loop {
        let took: bool = thief
            .query_one(
                "SELECT pg_try_advisory_lock(7370328, hashtext('lockstolen'))",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if took {
            break;
        }
        assert!(Instant::now() < deadline, "the lock was never released");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let applied_when_stolen = ledger(&db).await.len();
    let out = finish(run).await;
    assert_eq!(out.code, Some(6), "{out:?}");
    assert!(out.stdout.contains("LOCK LOST"), "{out:?}");
    // At most the step in flight when the lock went, and only if it committed before that.
    let after = ledger(&db).await;
    assert!(
        after.len() <= applied_when_stolen + 1,
        "steps went on without the lock: {after:?} (had {applied_when_stolen})"
    );
    let events = journal_events(&dir.join("j.jsonl"));
    assert!(
        events.iter().any(|e| matches!(e, Event::LockLost { .. })),
        "lock_lost journaled"
    );
    assert!(
        matches!(events.last(), Some(Event::RunFinished { outcome, .. }) if outcome.as_str() == "interrupted"),
        "{:?}",
        events.last()
    );

    drop(thief);
    let resumed = headless(&dir, &path, &url, &["--resume", "--journal", "j.jsonl"]).await;
    assert_eq!(resumed.code, Some(0), "{resumed:?}");
    assert_each_applied_once(&db, 10).await;
}

/// Nobody else wants the lock: the heartbeat takes it again on a new connection, the run
/// reads what is applied again and finishes, and the journal says what happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lock_that_is_taken_again_lets_the_run_finish() {
    let url = common::fresh_db("lockretake").await;
    let dir = common::scratch_dir("lockretake");
    let path = ledger_runbook(&dir, "lockretake", 8, 0.3);
    let db = common::connect(&url).await;

    let run = spawn_headless(&dir, &path, &url, &["--journal", "j.jsonl"]);
    wait_for_ledger_rows(&db, 2).await;
    let holder = lock_holder(&db, "lockretake").await;
    terminate(&db, holder).await;
    let out = finish(run).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("LOCK LOST"), "{out:?}");
    assert!(out.stdout.contains("lock held again"), "{out:?}");
    let events = journal_events(&dir.join("j.jsonl"));
    let regained = events.iter().find_map(|e| match e {
        Event::LockRegained { pid } => Some(*pid),
        _ => None,
    });
    assert!(
        regained.is_some_and(|pid| pid != holder),
        "held again on a new backend: {regained:?}"
    );
    assert_each_applied_once(&db, 8).await;
}

/// The guard every step's transaction asks before COMMIT (`cutover.require_lock`): it knows a
/// live holder that took the lock as cutover does (with its own key, the fast probe) and one
/// that took only the runbook lock (an older cutover: the pg_locks scan), names nobody else,
/// and refuses both once their connection is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commit_guard_knows_a_live_holder_and_refuses_a_gone_one() {
    use cutover::tracking::{LOCK_CLASS, LOCK_NOT_HELD, TAKE_LOCK};
    let url = common::fresh_db("guard").await;
    let dir = common::scratch_dir("guard");
    // A run creates the tracking schema.
    let path = ledger_runbook(&dir, "guard", 0, 0.0);
    let out = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");

    let asker = common::connect(&url).await;
    let guard = |holder: i32, runbook: &'static str| {
        let asker = &asker;
        async move {
            asker
                .query_one("SELECT cutover.require_lock($1, $2)", &[&holder, &runbook])
                .await
                .map(|r| r.get::<_, bool>(0))
                .map_err(|e| e.code().map(|c| c.code().to_owned()))
        }
    };
    let current = common::connect(&url).await;
    let taken = current
        .query_one(TAKE_LOCK, &[&LOCK_CLASS, &"current"])
        .await
        .unwrap();
    assert!(
        taken.get::<_, bool>(0) && taken.get::<_, bool>(1),
        "both keys taken"
    );
    let current_pid: i32 = taken.get(2);
    let older = common::connect(&url).await;
    let older_pid: i32 = older
        .query_one(
            "SELECT pg_advisory_lock(7370328, hashtext('older')), pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(1);
    let refused = Err(Some(LOCK_NOT_HELD.to_owned()));

    assert_eq!(guard(current_pid, "current").await, Ok(true));
    assert_eq!(guard(older_pid, "older").await, Ok(true));
    // Holding one runbook's lock says nothing about another's, nor about another backend.
    assert_eq!(guard(current_pid, "older").await, refused);
    assert_eq!(guard(older_pid, "current").await, refused);
    // A second taker of a held lock gets neither key.
    let second = common::connect(&url).await;
    let again = second
        .query_one(TAKE_LOCK, &[&LOCK_CLASS, &"current"])
        .await
        .unwrap();
    assert!(!again.get::<_, bool>(0) && !again.get::<_, bool>(1));
    assert_eq!(guard(again.get(2), "current").await, refused);

    terminate(&asker, current_pid).await;
    terminate(&asker, older_pid).await;
    let deadline = Instant::now() + WAIT;
    while guard(current_pid, "current").await != refused
        || guard(older_pid, "older").await != refused
    {
        assert!(
            Instant::now() < deadline,
            "the guard still sees gone holders"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ----- 1. defence in depth: the tracking key -----

/// Two sessions that both believe they may apply a step (both pass the lock check) race to
/// commit it: the second fails on `cutover.applied`'s key and its transaction — the
/// migration's effect with it — rolls back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_committer_of_an_applied_step_fails_its_transaction() {
    let url = common::fresh_db("twocommit").await;
    let dir = common::scratch_dir("twocommit");
    // A run creates the tracking schema (and the ledger table).
    let path = ledger_runbook(&dir, "twocommit", 0, 0.0);
    let out = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");

    let lock = common::connect(&url).await;
    lock.batch_execute("SELECT pg_advisory_lock(7370328, hashtext('twocommit'))")
        .await
        .unwrap();
    let pid: i32 = lock
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let (a, b) = (common::connect(&url).await, common::connect(&url).await);
    a.batch_execute("BEGIN; INSERT INTO public.ledger VALUES ('s01')")
        .await
        .unwrap();
    record_applied(&a, "twocommit", "s01", "run-a", pid)
        .await
        .unwrap();
    b.batch_execute("BEGIN; INSERT INTO public.ledger VALUES ('s01')")
        .await
        .unwrap();
    // b waits for a's row; once a commits, b's insert into the key fails.
    let b_commit = tokio::spawn(async move {
        let upserted = record_applied(&b, "twocommit", "s01", "run-b", pid).await;
        let _ = b.batch_execute("COMMIT").await;
        upserted
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.batch_execute("COMMIT").await.unwrap();
    let b_result = tokio::time::timeout(WAIT, b_commit)
        .await
        .expect("b finishes")
        .expect("b's task");
    let error = b_result.expect_err("the second committer must fail");
    let db_error = error.as_db_error().expect("a server error");
    assert_eq!(db_error.code().code(), "23505", "{db_error:?}");
    assert_eq!(db_error.constraint(), Some("applied_pkey"));
    let db = common::connect(&url).await;
    assert_eq!(ledger(&db).await, vec![("s01".to_owned(), 1)]);
}

/// A runner working on a step finds, at its COMMIT, that another runner applied the step
/// first: its attempt rolls back, the run stops interrupted and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_that_finds_its_step_applied_meanwhile_rolls_back_and_stops() {
    let url = common::fresh_db("raced").await;
    let dir = common::scratch_dir("raced");
    let path = ledger_runbook(&dir, "raced", 3, 1.5);
    let db = common::connect(&url).await;

    let run = spawn_headless(&dir, &path, &url, &["--journal", "j.jsonl"]);
    // While s01 sleeps inside its transaction, a second runner (the test, with the lock
    // holder's view of the lock) applies s01 and commits first.
    let deadline = Instant::now() + WAIT;
    loop {
        let busy: bool = db
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' AND pid <> pg_backend_pid())",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if busy {
            break;
        }
        assert!(Instant::now() < deadline, "s01 never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let holder = lock_holder(&db, "raced").await;
    db.batch_execute("BEGIN; INSERT INTO public.ledger VALUES ('s01')")
        .await
        .unwrap();
    record_applied(&db, "raced", "s01", "other-run", holder)
        .await
        .unwrap();
    db.batch_execute("COMMIT").await.unwrap();

    let out = finish(run).await;
    assert_eq!(out.code, Some(6), "{out:?}");
    assert!(
        out.stdout
            .contains("applied meanwhile by another runner (run other-run)"),
        "{out:?}"
    );
    assert_eq!(ledger(&db).await, vec![("s01".to_owned(), 1)]);
}

// ----- 3. one journal per run -----

/// Two runs started within the same second each get a journal of their own, named after
/// their run id, and `--resume` from another directory finds the run's journal through the
/// database instead of starting a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_run_has_its_own_journal_found_again_on_resume_from_anywhere() {
    let url = common::fresh_db("ownjournal").await;
    let dir = common::scratch_dir("ownjournal");
    let path = common::write(
        &dir,
        "runbook.yaml",
        "name: ownjournal\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: m1\n        sql: CREATE TABLE public.t1 (id int)\n        rollback: DROP TABLE public.t1\n      - checkpoint: gate\n        prompt: Go?\n        questions: [Ready?]\n      - migrate: m2\n        sql: CREATE TABLE public.t2 (id int)\n        rollback: DROP TABLE public.t2\n",
    );
    // Two runs back to back (the first halts at the gate and is superseded by --new-run).
    let first = headless(&dir, &path, &url, &[]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    let second = headless(&dir, &path, &url, &["--new-run"]).await;
    assert_eq!(second.code, Some(3), "{second:?}");
    let mut journals: Vec<PathBuf> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    journals.sort();
    assert_eq!(journals.len(), 2, "one journal per run: {journals:?}");
    let mut run_ids = Vec::new();
    for journal in &journals {
        let ids: Vec<String> = journal_events(journal)
            .into_iter()
            .filter_map(|e| match e {
                Event::RunStarted { run_id, .. } => Some(run_id),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 1, "{journal:?} holds one run: {ids:?}");
        assert_eq!(
            journal.file_name().unwrap().to_str().unwrap(),
            format!("{}.jsonl", ids[0]),
            "named after its run"
        );
        run_ids.push(ids[0].clone());
    }
    assert_ne!(run_ids[0], run_ids[1]);

    // Resume from another directory: the second run's own journal is continued.
    let elsewhere = common::scratch_dir("ownjournal-elsewhere");
    let resumed = headless(&elsewhere, &path, &url, &["--resume", "--approve", "gate"]).await;
    assert_eq!(resumed.code, Some(0), "{resumed:?}");
    assert!(
        !elsewhere.join("runs").exists(),
        "no second journal started"
    );
    let second_journal = journals
        .iter()
        .find(|j| j.to_str().unwrap().contains(&run_ids[1]))
        .unwrap();
    let events = journal_events(second_journal);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RunStarted { resumed: true, .. })),
        "the resume was journaled in the run's own file"
    );
    assert!(
        matches!(events.last(), Some(Event::RunFinished { outcome, .. }) if outcome.as_str() == "succeeded")
    );
}

/// A resume whose journal is not where the run recorded it says where it was and asks for
/// `--journal`, rather than quietly starting a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_that_cannot_find_the_journal_asks_for_it() {
    let url = common::fresh_db("lostjournal").await;
    let dir = common::scratch_dir("lostjournal");
    let path = common::write(
        &dir,
        "runbook.yaml",
        "name: lostjournal\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: m1\n        sql: CREATE TABLE public.t1 (id int)\n        rollback: DROP TABLE public.t1\n      - checkpoint: gate\n        prompt: Go?\n        questions: [Ready?]\n",
    );
    let first = headless(&dir, &path, &url, &[]).await;
    assert_eq!(first.code, Some(3), "{first:?}");
    std::fs::rename(dir.join("runs"), dir.join("moved")).unwrap();
    let resumed = headless(&dir, &path, &url, &["--resume", "--approve", "gate"]).await;
    assert_eq!(resumed.code, Some(2), "{resumed:?}");
    assert!(
        resumed.stderr.contains("which is not here") && resumed.stderr.contains("--journal"),
        "{resumed:?}"
    );
    assert!(!dir.join("runs").exists(), "nothing started");
}

// ----- 4. recovery paths -----

/// The working connection is killed while a step runs: the step fails; a retry opens a new
/// session (it used to fail forever with "connection closed") and the window finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_working_connection_was_killed_reconnects() {
    let url = common::fresh_db("reconnect").await;
    let dir = common::scratch_dir("reconnect");
    let path = ledger_runbook(&dir, "reconnect", 2, 1.0);
    let (runbook, plan) = {
        let loaded = cutover::runbook::load(&path);
        let runbook = loaded.runbook.expect("runbook loads");
        let plan = cutover::plan::plan(&runbook);
        (runbook, plan)
    };
    let opts = cutover::engine::RunOptions {
        target: cutover::connect::resolve(Some(&url), "cutover:reconnect", &|_| None).unwrap(),
        operator: "tester".into(),
        journal: dir.join("j.jsonl"),
        run_id: None,
        exclusive_journal: false,
        resume: false,
        new_run: false,
        allow_changed: false,
        monitor_cap: None,
        rehearsal: None,
    };
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (commands, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = tokio::spawn(async move {
        cutover::engine::run(&runbook, &plan, opts, events_tx, commands_rx).await
    });
    let db = common::connect(&url).await;
    let mut seen = Vec::new();
    let mut killed = false;
    loop {
        let entry = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap_or_else(|_| panic!("stuck; seen {seen:#?}"));
        let Some(entry) = entry else { break };
        match &entry.event {
            Event::StatementStarted { step, .. } if step == "s01" && !killed => {
                killed = true;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let pid: i32 = db
                    .query_one(
                        "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1)%' AND pid <> pg_backend_pid()",
                        &[],
                    )
                    .await
                    .unwrap()
                    .get(0);
                terminate(&db, pid).await;
            }
            Event::AwaitingFailureDecision { .. } => {
                commands.send(cutover::events::Command::Retry).unwrap();
            }
            _ => {}
        }
        seen.push(entry.event);
    }
    let outcome = engine.await.unwrap().expect("the engine ends normally");
    assert_eq!(outcome.as_str(), "succeeded", "{seen:#?}");
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::Reconnected { session, .. } if session == "working")),
        "{seen:#?}"
    );
    assert_each_applied_once(&db, 2).await;
}

/// Headless, a step whose connection was lost ends the run interrupted (exit 6, as the
/// README says), not failed: it is resumable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_exits_6_when_the_working_connection_is_lost() {
    let url = common::fresh_db("lostconn").await;
    let dir = common::scratch_dir("lostconn");
    let path = ledger_runbook(&dir, "lostconn", 2, 1.0);
    let db = common::connect(&url).await;
    let run = spawn_headless(&dir, &path, &url, &["--journal", "j.jsonl"]);
    let deadline = Instant::now() + WAIT;
    let pid: i32 = loop {
        let row = db
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1)%' AND state = 'active' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            break row.get(0);
        }
        assert!(Instant::now() < deadline, "s01 never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    terminate(&db, pid).await;
    let out = finish(run).await;
    assert_eq!(out.code, Some(6), "{out:?}");
    assert!(
        out.stdout.contains("connection to the server was lost"),
        "{out:?}"
    );
    let resumed = headless(&dir, &path, &url, &["--resume", "--journal", "j.jsonl"]).await;
    assert_eq!(resumed.code, Some(0), "{resumed:?}");
    assert_each_applied_once(&db, 2).await;
}

/// A runbook whose index step builds concurrently on a table another session writes to, so
/// the build waits (for that writer) as long as the test wants.
fn index_runbook(dir: &Path, name: &str) -> PathBuf {
    common::write(
        dir,
        "runbook.yaml",
        &format!(
            "name: {name}\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: table\n        sql: CREATE TABLE public.t (v int)\n        rollback: DROP TABLE public.t\n      - checkpoint: gate\n        prompt: Build the index?\n        questions: [Ready?]\n      - migrate: index\n        sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON public.t (v)\n        rollback: DROP INDEX CONCURRENTLY IF EXISTS public.t_v\n        lock_timeout: 5m\n        statement_timeout: 10m\n"
        ),
    )
}

/// SIGKILL during `CREATE INDEX CONCURRENTLY`: the server goes on building. A resume sees the
/// old session still at work and says so; `--uncertain applied` is refused (not a success)
/// while the build runs; once it has finished and the index is valid, the mark is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_sees_the_index_build_a_killed_run_left_running() {
    let url = common::fresh_db("cicleft").await;
    let dir = common::scratch_dir("cicleft");
    let path = index_runbook(&dir, "cicleft");
    let db = common::connect(&url).await;
    let halted = headless(&dir, &path, &url, &["--journal", "j.jsonl"]).await;
    assert_eq!(halted.code, Some(3), "{halted:?}");
    // The build will wait for this writer's transaction.
    let writer = common::connect(&url).await;
    writer
        .batch_execute("BEGIN; INSERT INTO public.t VALUES (1)")
        .await
        .unwrap();
    let mut run = spawn_headless(
        &dir,
        &path,
        &url,
        &["--resume", "--approve", "gate", "--journal", "j.jsonl"],
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let building: bool = db
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND state = 'active')",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if building {
            break;
        }
        assert!(Instant::now() < deadline, "the index build never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.start_kill().unwrap();
    let _ = finish(run).await;

    let refused = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--uncertain", "applied", "--journal", "j.jsonl"],
    )
    .await;
    assert_ne!(refused.code, Some(0), "{refused:?}");
    assert!(
        refused.stdout.contains("still at work")
            && refused.stdout.contains("CREATE INDEX CONCURRENTLY"),
        "the old session is named: {refused:?}"
    );
    assert!(refused.stdout.contains("not marked applied"), "{refused:?}");

    // The writer commits, the build finishes, the index is valid: now the mark stands.
    writer.batch_execute("COMMIT").await.unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let valid: bool = db
            .query_one(
                "SELECT coalesce((SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('public.t_v')), false)
                    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND state = 'active')",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if valid {
            break;
        }
        assert!(Instant::now() < deadline, "the build never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let marked = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--uncertain", "applied", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(marked.code, Some(0), "{marked:?}");
    assert!(marked.stdout.contains("marked applied"), "{marked:?}");
}

/// An index a killed build left INVALID is never marked applied on the operator's word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_index_is_never_marked_applied() {
    let url = common::fresh_db("cicinvalid").await;
    let dir = common::scratch_dir("cicinvalid");
    let path = index_runbook(&dir, "cicinvalid");
    let db = common::connect(&url).await;
    let out = headless(
        &dir,
        &path,
        &url,
        &["--approve", "gate", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    // As a killed build leaves it: the index INVALID, the step `started`.
    db.batch_execute(
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.t_v'::regclass;
         DELETE FROM cutover.applied WHERE step_id = 'index';
         UPDATE cutover.steps SET status = 'started' WHERE step_id = 'index';
         UPDATE cutover.runs SET outcome = 'interrupted'",
    )
    .await
    .unwrap();
    let refused = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--uncertain", "applied", "--journal", "j.jsonl"],
    )
    .await;
    assert_ne!(refused.code, Some(0), "{refused:?}");
    assert!(refused.stdout.contains("is INVALID"), "{refused:?}");
    let status: String = db
        .query_one(
            "SELECT status FROM cutover.steps WHERE step_id = 'index'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "started", "not marked applied");
}

/// Run again after a killed build: the INVALID index that build left is dropped (journaled)
/// before the step runs, so the retry builds a valid index instead of failing on it (an
/// `IF NOT EXISTS` would otherwise skip it and the step would fail as INVALID).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_an_interrupted_build_drops_its_invalid_leftover_first() {
    let url = common::fresh_db("cicreretry").await;
    let dir = common::scratch_dir("cicreretry");
    let path = index_runbook(&dir, "cicreretry");
    let db = common::connect(&url).await;
    let out = headless(
        &dir,
        &path,
        &url,
        &["--approve", "gate", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    // As a killed build leaves it: the index INVALID, the step `started`.
    db.batch_execute(
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.t_v'::regclass;
         DELETE FROM cutover.applied WHERE step_id = 'index';
         UPDATE cutover.steps SET status = 'started' WHERE step_id = 'index';
         UPDATE cutover.runs SET outcome = 'interrupted'",
    )
    .await
    .unwrap();
    let retried = headless(
        &dir,
        &path,
        &url,
        &["--resume", "--uncertain", "retry", "--journal", "j.jsonl"],
    )
    .await;
    assert_eq!(retried.code, Some(0), "{retried:?}");
    assert!(
        retried
            .stdout
            .contains("dropped the INVALID index t_v its failed build left"),
        "{retried:?}"
    );
    let valid: bool = db
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_v'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid, "the retry built a valid index");
    assert!(
        journal_events(&dir.join("j.jsonl"))
            .iter()
            .any(|e| matches!(e, Event::InvalidIndexDropped { error: None, .. })),
        "the drop is journaled"
    );
}
