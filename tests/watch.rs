//! `cutover watch` end to end against real PostgreSQL: the mirror (`cutover.events` holds
//! exactly the journal, never the password, and is signalled with NOTIFY), a watcher in a
//! pseudo-terminal following a headless run in another process through a gate and its
//! decision, and a watcher on a read-only role whose connection is killed mid-run.
//!
//! Needs CUTOVER_TEST_DATABASE_URL (scripts/test sets it). Every wait is for text on the
//! screen or a database state, with a generous deadline; nothing sleeps to synchronize.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::pty::{Pty, Spawn};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Waits for one screen state; generous for a loaded 2-core machine running a debug build.
const WAIT: Duration = Duration::from_secs(90);

/// What the watcher says when a decision key is pressed.
const READ_ONLY: &str = "read-only: decisions are made by the operator";

/// A blocking handle on one test database (the pty waits are blocking too).
struct Db {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    url: String,
}

impl Db {
    fn fresh(tag: &str) -> Db {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let url = rt.block_on(common::fresh_db(tag));
        let client = rt.block_on(common::connect(&url));
        Db { rt, client, url }
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Vec<tokio_postgres::Row> {
        self.rt
            .block_on(self.client.query(sql, params))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn execute(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn count(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> i64 {
        self.query(sql, params)[0].get(0)
    }

    /// Waits (bounded) until `count(sql)` satisfies `pred`; returns the last count.
    fn wait_count(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        pred: impl Fn(i64) -> bool,
    ) -> i64 {
        let deadline = Instant::now() + WAIT;
        loop {
            let n = self.count(sql, params);
            if pred(n) {
                return n;
            }
            assert!(Instant::now() < deadline, "waiting for {what}: still {n}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Runs `cutover` to the end in `dir`; (exit code, stdout + stderr).
fn cutover(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(common::binary())
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run cutover");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn watcher(dir: &Path, runbook: &Path, url: &str) -> Pty {
    Spawn::new([
        "watch".as_ref(),
        runbook.as_os_str(),
        "--database-url".as_ref(),
        url.as_ref(),
    ])
    .cwd(dir)
    .size(160, 48)
    .spawn()
}

/// `cutover.events` of the journal's run must be exactly the journal: the same sequence
/// numbers in the same order, the same event JSON, the same time (to the microsecond
/// PostgreSQL keeps). Returns the run id.
fn assert_mirror_matches_journal(db: &Db, journal: &Path) -> String {
    let text = std::fs::read_to_string(journal).expect("read the journal");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {l}: {e}")))
        .collect();
    let run_id = lines
        .first()
        .and_then(|l| l["run_id"].as_str())
        .expect("the journal starts with run_started")
        .to_owned();
    let rows = db.query(
        "SELECT seq, ts, event FROM cutover.events WHERE run_id = $1 ORDER BY seq",
        &[&run_id],
    );
    let stored: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let journaled: Vec<i64> = lines.iter().filter_map(|l| l["seq"].as_i64()).collect();
    assert_eq!(
        stored, journaled,
        "the mirror holds every journaled seq, no other"
    );
    for (line, row) in lines.iter().zip(&rows) {
        let mut event = line.clone();
        let fields = event.as_object_mut().expect("an entry is an object");
        let ts = fields.remove("ts").expect("ts");
        fields.remove("seq");
        let journal_ts = chrono::DateTime::parse_from_rfc3339(ts.as_str().expect("ts text"))
            .expect("RFC 3339 ts")
            .with_timezone(&chrono::Utc);
        let stored_ts: chrono::DateTime<chrono::Utc> = row.get(1);
        let drift = (stored_ts - journal_ts).num_microseconds().map(i64::abs);
        assert!(
            drift.is_some_and(|us| us <= 1),
            "seq {}: ts {stored_ts} vs journal {journal_ts}",
            row.get::<_, i64>(0)
        );
        let stored_event: serde_json::Value = row.get(2);
        assert_eq!(
            stored_event,
            event,
            "seq {}: the mirrored event is the journaled one",
            row.get::<_, i64>(0)
        );
    }
    run_id
}

/// Every row of the tracking schema as text, to look for a secret.
fn tracking_text(db: &Db) -> String {
    let row = &db.query(
        "SELECT concat_ws(' ',
            (SELECT string_agg(e::text, ' ') FROM cutover.events e),
            (SELECT string_agg(r::text, ' ') FROM cutover.runs r),
            (SELECT string_agg(s::text, ' ') FROM cutover.steps s),
            (SELECT string_agg(d::text, ' ') FROM cutover.decisions d))",
        &[],
    )[0];
    row.get(0)
}

const MIRRORED: &str = r#"
name: mirrored
window: { budget: 10m }
phases:
  - id: prep
    kind: preparation
    budget: 5m
    steps:
      - check: ready
        sql: SELECT 1
        expect: 1
      - command: echo-secret
        run: [sh, -c, "echo pw=$WATCH_SECRET"]
      - checkpoint: go
        prompt: Go?
        questions: [Ready?]
  - id: mig
    kind: migration
    budget: 5m
    steps:
      - migrate: add_t
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
"#;

#[test]
fn the_mirror_holds_exactly_the_journal_signals_it_and_never_the_password() {
    let db = Db::fresh("watch_mirror");
    let dir = common::scratch_dir("watch-mirror");
    let runbook = common::write(&dir, "mirrored.yaml", MIRRORED);
    let journal = dir.join("mirrored.jsonl");
    let password = common::password().expect("the test URL has a password");

    // Someone listening, as a watcher does (the schema does not exist yet: LISTEN needs none).
    let (listener, mut notifications) = db.rt.block_on(async {
        let (client, mut connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(m) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match m {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        let _ = tx.send((n.channel().to_owned(), n.payload().to_owned()));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        client
            .batch_execute("LISTEN cutover_events")
            .await
            .expect("LISTEN");
        (client, rx)
    });

    let (code, out) = cutover(
        &dir,
        &[
            "run",
            runbook.to_str().expect("utf-8"),
            "--headless",
            "--approve-all",
            "--operator",
            "op-m",
            "--database-url",
            &db.url,
            "--journal",
            journal.to_str().expect("utf-8"),
        ],
        &[("WATCH_SECRET", &password)],
    );
    assert_eq!(code, 0, "{out}");

    let run_id = assert_mirror_matches_journal(&db, &journal);
    assert_eq!(
        db.count("SELECT count(DISTINCT run_id) FROM cutover.events", &[]),
        1
    );
    // The secret-bearing output is there, scrubbed, and the password nowhere.
    let text = tracking_text(&db);
    assert!(text.contains("pw=********"), "{text}");
    assert!(
        !text.contains(&password),
        "the password leaked into the tracking schema"
    );

    // Watchers were told, with the run id as payload.
    let (channel, payload) = db
        .rt
        .block_on(async { tokio::time::timeout(WAIT, notifications.recv()).await })
        .expect("a NOTIFY within the deadline")
        .expect("the listener is connected");
    assert_eq!(
        (channel.as_str(), payload.as_str()),
        ("cutover_events", run_id.as_str())
    );
    drop(listener);
}

const WATCHED: &str = r#"
name: watched
title: Watched window
window: { budget: 10m }
phases:
  - id: prep
    kind: preparation
    budget: 5m
    steps:
      - check: ready
        sql: SELECT 1
        expect: 1
      - checkpoint: go-live
        prompt: Ship the loyalty tier?
        questions: [Backup verified?, Rollback reviewed?]
  - id: mig
    kind: migration
    budget: 5m
    steps:
      - migrate: add_tier
        sql: CREATE TABLE tier (id int)
        rollback: DROP TABLE tier
"#;

#[test]
fn a_watcher_elsewhere_sees_the_gate_then_the_decision_and_the_end() {
    let db = Db::fresh("watch_e2e");
    let dir = common::scratch_dir("watch-e2e");
    let runbook = common::write(&dir, "watched.yaml", WATCHED);
    let journal = dir.join("watched.jsonl");
    let rb = runbook.to_str().expect("utf-8");
    let jn = journal.to_str().expect("utf-8");

    // Watching before anything ran.
    let mut watch = watcher(&dir, &runbook, &db.url);
    watch.wait_for("Waiting for a run of watched", WAIT);
    watch.wait_for("WATCHING · read-only", WAIT);

    // The operator's headless run, elsewhere, without approval: halts at the gate.
    let (code, out) = cutover(
        &dir,
        &[
            "run",
            rb,
            "--headless",
            "--operator",
            "op-1",
            "--database-url",
            &db.url,
            "--journal",
            jn,
        ],
        &[],
    );
    assert_eq!(code, 3, "halted at the gate: {out}");

    // The gate, its prompt and checklist, waiting for a decision (a frame may be caught
    // half-drawn, so every part is part of the wait).
    watch.wait_until("the gate, waiting for a decision", WAIT, |s| {
        s.contains("GATE go-live")
            && s.contains("waiting for a decision")
            && s.contains("Ship the loyalty tier?")
            && s.contains("Backup verified?")
            && s.contains("Rollback reviewed?")
            && s.contains("HALTED")
    });

    // The watcher's own decision keys: the operator's whole go sequence does nothing.
    for k in [" ", "g", "y"] {
        watch.send(k);
    }
    watch.wait_for(READ_ONLY, WAIT);
    assert_eq!(db.count("SELECT count(*) FROM cutover.decisions", &[]), 0);

    // The lead resumes and decides.
    let (code, out) = cutover(
        &dir,
        &[
            "run",
            rb,
            "--headless",
            "--resume",
            "--approve",
            "go-live",
            "--operator",
            "lead-x",
            "--database-url",
            &db.url,
            "--journal",
            jn,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");

    // The decision as made (by whom), the gate box gone, the run finished.
    watch.wait_until("the decision and the end", WAIT, |s| {
        s.contains("DECISION go-live: GO by lead-x")
            && s.contains("SUCCEEDED")
            && !s.contains("GATE go-live —")
    });

    // Both attempts, one journal continuing its seq: the mirror has all of it.
    assert_mirror_matches_journal(&db, &journal);

    watch.send("q");
    assert_eq!(watch.wait_exit(WAIT), 0);
}

const HELD: &str = r#"
name: held
window: { budget: 10m }
phases:
  - id: prep
    kind: preparation
    budget: 5m
    steps:
      - command: wait-for-release
        run: [sh, -c, "while [ ! -e release ]; do sleep 0.05; done"]
        timeout: 5m
      - checkpoint: go-on
        prompt: Carry on?
        questions: [Still fine?]
  - id: mig
    kind: migration
    budget: 5m
    steps:
      - migrate: add_held
        sql: CREATE TABLE held (id int)
        rollback: DROP TABLE held
"#;

/// `url` with another user and password.
fn as_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}:{password}@{host}")
}

#[test]
fn a_read_only_watcher_and_the_mirror_survive_losing_their_connections_and_never_affect_the_run() {
    let db = Db::fresh("watch_ro");
    let dir = common::scratch_dir("watch-ro");
    let runbook = common::write(&dir, "held.yaml", HELD);
    let journal = dir.join("held.jsonl");

    // The schema exists (a first run, or the DBA, made it) and the watcher role may only read.
    let role = format!("cutover_watch_{}", std::process::id());
    db.execute(cutover::tracking::SCHEMA_SQL);
    db.execute(&format!(
        "DROP ROLE IF EXISTS {role};
         CREATE ROLE {role} LOGIN PASSWORD 'watch-pw';
         GRANT USAGE ON SCHEMA cutover TO {role};
         GRANT SELECT ON ALL TABLES IN SCHEMA cutover TO {role};"
    ));
    let ro_url = as_user(&db.url, &role, "watch-pw");
    let denied = db.rt.block_on(async {
        let ro = common::connect(&ro_url).await;
        ro.batch_execute("INSERT INTO cutover.runs (id, runbook, checksum, operator) VALUES ('x', 'x', 'x', 'x')")
            .await
    });
    assert!(
        denied.is_err(),
        "the watcher role must not be able to write"
    );

    let mut watch = watcher(&dir, &runbook, &ro_url);
    watch.wait_for("no run of `held` recorded", WAIT);

    // The run, in another process; its first step waits for the test to release it.
    let run = {
        let dir = dir.clone();
        let args: Vec<String> = [
            "run",
            runbook.to_str().expect("utf-8"),
            "--headless",
            "--approve-all",
            "--operator",
            "ops-y",
            "--database-url",
            &db.url,
            "--journal",
            journal.to_str().expect("utf-8"),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        std::thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cutover(&dir, &args, &[])
        })
    };
    watch.wait_until("the running command", WAIT, |s| {
        s.contains("RUNNING") && s.contains("wait-for-release")
    });

    // Kill the watcher's session on the server.
    let app = "cutover:held:watch";
    let sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1";
    db.wait_count("the watcher's session", sessions, &[&app], |n| n == 1);
    let old_pid: i32 = db.query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        &[&app],
    )[0]
    .get(0);
    let killed: bool = db.query("SELECT pg_terminate_backend($1)", &[&old_pid])[0].get(0);
    assert!(killed);

    // It says so and comes back on a new session, as the read-only role.
    watch.wait_for("reconnected 1×", WAIT);
    db.wait_count(
        "a new watcher session",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> $2 AND usename = $3",
        &[&app, &old_pid, &role],
        |n| n == 1,
    );

    // The run's mirror loses its connection too: it reconnects and re-sends (below, the
    // events table still ends up exactly the journal).
    let mirror = "cutover:held:mirror";
    db.wait_count("the mirror's session", sessions, &[&mirror], |n| n == 1);
    let killed: bool = db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        &[&mirror],
    )[0]
    .get(0);
    assert!(killed);

    // The run never noticed: release it; it passes its gate and finishes.
    std::fs::write(dir.join("release"), "").expect("release the run");
    let (code, out) = run.join().expect("the run's thread");
    assert_eq!(code, 0, "{out}");
    watch.wait_until("the decision and the end, live", WAIT, |s| {
        s.contains("GO by ops-y") && s.contains("SUCCEEDED") && s.contains("● live")
    });
    let journal_text = std::fs::read_to_string(&journal).expect("journal");
    assert!(
        !journal_text.contains("\"cancelled\"") && !journal_text.contains("interrupted"),
        "{journal_text}"
    );
    assert_mirror_matches_journal(&db, &journal);

    watch.send("q");
    assert_eq!(watch.wait_exit(WAIT), 0);
    db.execute(&format!("DROP OWNED BY {role}; DROP ROLE {role};"));
    let _: PathBuf = dir;
}
