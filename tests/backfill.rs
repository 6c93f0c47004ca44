//! Backfill steps against a real server: batches walk a table by key, each committed with
//! the cursor, so a SIGKILL anywhere resumes at the next batch — every row updated exactly
//! once; the server's health (here a throttle probe) pauses it between batches, with
//! hysteresis; bad backfills are refused before the window.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::cli::{cutover, cutover_command};
use common::{connect, fresh_db, scratch_dir, write};
use cutover::events::Event;
use std::path::Path;
use std::time::{Duration, Instant};

const ROWS: i64 = 200_000;

fn runbook(name: &str, batch: &str, throttle: &str) -> String {
    format!(
        r#"name: {name}
window:
  budget: 30m
phases:
  - id: expand
    kind: migration
    budget: 10m
    steps:
      - migrate: add-n
        sql: ALTER TABLE public.t ADD COLUMN n integer NOT NULL DEFAULT 0
        rollback: ALTER TABLE public.t DROP COLUMN n
      - backfill: count-once
        table: public.t
        key: id
        sql: UPDATE public.t SET n = n + 1 WHERE id > $1 AND id <= $2
        {batch}
        estimate: count
{throttle}"#
    )
}

async fn table(tag: &str, rows: i64) -> String {
    let url = fresh_db(tag).await;
    connect(&url)
        .await
        .batch_execute(&format!(
            "CREATE TABLE public.t (id bigint PRIMARY KEY, payload text);
             INSERT INTO public.t SELECT g, 'p' || g FROM generate_series(1, {rows}) g;"
        ))
        .await
        .unwrap();
    url
}

/// A small random-number source for where the kills land (its seed is in every message).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

async fn rows_done(client: &tokio_postgres::Client, runbook: &str) -> i64 {
    client
        .query_opt(
            "SELECT rows_done FROM cutover.backfills WHERE runbook = $1",
            &[&runbook],
        )
        .await
        .ok()
        .flatten()
        .map_or(0, |r| r.get(0))
}

/// Waits until the killed cutover's sessions are gone (what they ran committed or rolled
/// back).
async fn sessions_gone(client: &tokio_postgres::Client, runbook: &str) {
    let started = Instant::now();
    loop {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1 AND pid <> pg_backend_pid()",
                &[&format!("cutover:{runbook}%")],
            )
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "sessions linger"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 200,000 rows in fixed batches of 1,000, the cutover process SIGKILLed at random points of
/// the walk, then resumed until it finishes: every row was updated exactly once (`n = 1`:
/// no batch redone, none skipped), and the resumed runs said where they went on from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_backfill_resumes_with_every_row_updated_exactly_once() {
    let name = "backfill_kills";
    let url = table("backfill_kills", ROWS).await;
    let dir = scratch_dir("backfill-kills");
    let path = write(
        &dir,
        "b.yaml",
        &runbook(
            name,
            "batch: 1000\n        min_batch: 1000\n        max_batch: 1000",
            "",
        ),
    );
    let watcher = connect(&url).await;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut random = Lcg(seed);
    let mut kills = 0;
    let mut finished = false;
    for attempt in 0..12 {
        let mut args = vec![
            "run",
            path.to_str().unwrap(),
            "--headless",
            "--database-url",
            &url,
        ];
        if attempt > 0 {
            args.push("--resume");
        }
        let mut child = cutover_command(&dir, &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill three times, each somewhere in the next stretch of the walk.
        let kill_at = (kills < 3).then(|| rows_done_target(&mut random, kills));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if let Some(at) = kill_at
                && rows_done(&watcher, name).await >= at
            {
                child.start_kill().unwrap();
                child.wait().await.unwrap();
                kills += 1;
                break None;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "attempt {attempt} hangs (seed {seed})"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        sessions_gone(&watcher, name).await;
        if status.is_none() && kills == 1 {
            // Killed mid-walk: `status` says it is under way and resumable.
            let said = cutover(
                &dir,
                &["status", path.to_str().unwrap(), "--database-url", &url],
            )
            .await;
            assert!(
                said.stdout
                    .contains("in progress (a run goes on from its cursor)"),
                "{said:?}"
            );
        }
        if let Some(status) = status {
            assert_eq!(status.code(), Some(0), "attempt {attempt} (seed {seed})");
            finished = true;
            break;
        }
    }
    assert!(finished, "never finished (seed {seed})");
    assert_eq!(kills, 3, "seed {seed}");
    let wrong: i64 = watcher
        .query_one("SELECT count(*) FROM public.t WHERE n <> 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0, "rows not updated exactly once (seed {seed})");
    assert_eq!(rows_done(&watcher, name).await, ROWS, "seed {seed}");
    let status: String = watcher
        .query_one(
            "SELECT status FROM cutover.steps WHERE runbook = $1 AND step_id = 'count-once'",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "applied");

    // The resumed runs went on from the cursor, not from the start.
    let journal = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let entries = cutover::journal::replay(&journal).unwrap().entries;
    let resumed_from: Vec<u64> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::BackfillStarted { rows_done, .. } => Some(*rows_done),
            _ => None,
        })
        .collect();
    assert!(resumed_from.len() >= 2, "{resumed_from:?}");
    assert!(resumed_from[1..].iter().all(|&r| r > 0), "{resumed_from:?}");

    let said = cutover(
        &dir,
        &["status", path.to_str().unwrap(), "--database-url", &url],
    )
    .await;
    assert_eq!(said.code, Some(0), "all applied: {said:?}");
    // A run afterwards: already applied, nothing done twice.
    let again = common::cli::headless(&dir, &path, &url, &["--new-run"]).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(again.stdout.contains("skip count-once"), "{again:?}");
    let wrong: i64 = watcher
        .query_one("SELECT count(*) FROM public.t WHERE n <> 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0);
}

/// Where the `kills`th kill lands: somewhere in its own third of the walk.
fn rows_done_target(random: &mut Lcg, kills: usize) -> i64 {
    let third = ROWS / 3;
    let base = third * kills as i64;
    base + 1 + random.below((third - 2_000) as u64) as i64
}

/// A throttle probe above its mark stops the backfill before its first batch; a value
/// between the two marks keeps it waiting (hysteresis); below the lower mark it goes on and
/// finishes. The waits are journaled with their reasons and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_probe_pauses_the_backfill_until_below_its_lower_mark() {
    let name = "backfill_throttle";
    let url = table("backfill_throttle", 20_000).await;
    let watcher = connect(&url).await;
    watcher
        .batch_execute("CREATE TABLE public.knob (value int); INSERT INTO public.knob VALUES (20)")
        .await
        .unwrap();
    let dir = scratch_dir("backfill-throttle");
    let path = write(
        &dir,
        "b.yaml",
        &runbook(
            name,
            "batch: 5000",
            "        throttle:\n          probe:\n            sql: SELECT value FROM public.knob\n            above: 10\n            resume_below: 3\n",
        ),
    );
    let child = cutover_command(
        &dir,
        &[
            "run",
            path.to_str().unwrap(),
            "--headless",
            "--database-url",
            &url,
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Waiting: nothing done while the probe reads 20, nor at 5 (not below 3).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(rows_done(&watcher, name).await, 0);
    watcher
        .batch_execute("UPDATE public.knob SET value = 5")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        rows_done(&watcher, name).await,
        0,
        "5 is not below the lower mark"
    );
    watcher
        .batch_execute("UPDATE public.knob SET value = 1")
        .await
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("backfill count-once waits: throttle probe 20 above 10"),
        "{stdout}"
    );
    assert!(
        stdout.contains("backfill count-once goes on after waiting"),
        "{stdout}"
    );
    assert_eq!(rows_done(&watcher, name).await, 20_000);

    let journal = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let entries = cutover::journal::replay(&journal).unwrap().entries;
    let waited = entries
        .iter()
        .find_map(|e| match &e.event {
            Event::BackfillResumed { waited_ms, .. } => Some(*waited_ms),
            _ => None,
        })
        .unwrap();
    assert!(waited >= 4_000, "{waited}");
    let report = cutover(&dir, &["report", journal.to_str().unwrap()]).await;
    assert!(
        report.stdout.contains("Backfill: 20000 rows in"),
        "{}",
        report.stdout
    );
    assert!(
        report.stdout.contains("waited") && report.stdout.contains("for the server's health"),
        "{}",
        report.stdout
    );
}

/// The operator's hand on a running backfill, through the engine's commands as the TUI
/// sends them: a hold keeps it waiting although the server is fine again, a new batch size
/// takes effect on the very next batch, and a release lets it go on; each change is
/// journaled with who made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_holds_resizes_and_releases_a_running_backfill() {
    use cutover::events::{BackfillChange, Command};
    let name = "backfill_live";
    let url = table("backfill_live", 30_000).await;
    let watcher = connect(&url).await;
    watcher
        .batch_execute("CREATE TABLE public.knob (value int); INSERT INTO public.knob VALUES (20)")
        .await
        .unwrap();
    let dir = scratch_dir("backfill-live");
    let path = write(
        &dir,
        "b.yaml",
        &runbook(
            name,
            "batch: 1000\n        batch_time: 10s",
            "        throttle:\n          probe:\n            sql: SELECT value FROM public.knob\n            above: 10\n            resume_below: 3\n",
        ),
    );
    let loaded = cutover::runbook::load(&path);
    let runbook = loaded.runbook.unwrap();
    let plan = cutover::plan::plan(&runbook);
    let options = cutover::engine::RunOptions {
        target: cutover::connect::resolve(Some(&url), "cutover:backfill_live", &|_| None).unwrap(),
        operator: "tester".into(),
        journal: dir.join("journal.jsonl"),
        run_id: None,
        exclusive_journal: false,
        resume: false,
        new_run: false,
        allow_changed: false,
        monitor_cap: None,
        rehearsal: None,
    };
    let (event_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (commands, command_rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = tokio::spawn(async move {
        cutover::engine::run(&runbook, &plan, options, event_tx, command_rx).await
    });
    let mut seen: Vec<Event> = Vec::new();
    let mut until = async |what: &str, seen: &mut Vec<Event>, matches: &dyn Fn(&Event) -> bool| {
        loop {
            let entry = tokio::time::timeout(Duration::from_secs(15), events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what}: {seen:#?}"))
                .unwrap_or_else(|| panic!("the run ended before {what}: {seen:#?}"));
            seen.push(entry.event.clone());
            if matches(&entry.event) {
                return entry.event;
            }
        }
    };
    until("the throttle", &mut seen, &|e| {
        matches!(e, Event::BackfillThrottled { .. })
    })
    .await;
    let adjust = |change| Command::AdjustBackfill {
        operator: "dana".into(),
        change,
    };
    commands.send(adjust(BackfillChange::Hold)).unwrap();
    until("the hold", &mut seen, &|e| {
        matches!(e, Event::BackfillAdjusted { held: true, operator, .. } if operator == "dana")
    })
    .await;
    // The server is fine again, but the operator holds it.
    watcher
        .batch_execute("UPDATE public.knob SET value = 1")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(rows_done(&watcher, name).await, 0, "held: no batch");
    commands
        .send(adjust(BackfillChange::BatchSize { rows: 7_000 }))
        .unwrap();
    until("the new size", &mut seen, &|e| {
        matches!(
            e,
            Event::BackfillAdjusted {
                batch_size: 7_000,
                ..
            }
        )
    })
    .await;
    commands.send(adjust(BackfillChange::Release)).unwrap();
    let first = until("the first batch", &mut seen, &|e| {
        matches!(e, Event::BackfillBatch { .. })
    })
    .await;
    let Event::BackfillBatch { rows, batch, .. } = first else {
        unreachable!()
    };
    assert_eq!(
        (batch, rows),
        (1, 7_000),
        "the new size, on the very next batch"
    );
    drop(commands);
    let outcome = tokio::time::timeout(Duration::from_secs(30), engine)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(outcome, cutover::events::Outcome::Succeeded);
    let wrong: i64 = watcher
        .query_one("SELECT count(*) FROM public.t WHERE n <> 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0);
}

/// A backfill's SQL without its parameters, a table name that would need quoting, batch
/// bounds that do not hold its start, and throttle marks the wrong way round: refused by
/// `cutover check`, each where it is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_backfills_are_refused_before_the_window() {
    let dir = scratch_dir("backfill-bad");
    let good = runbook("bad", "batch: 1000", "");
    let cases = [
        (
            good.replace("WHERE id > $1 AND id <= $2", "WHERE n = 0"),
            "must use `$1` (the last key done) and `$2`",
        ),
        (
            good.replace("table: public.t", "table: public.\"T\""),
            "is not a plain lower-case name",
        ),
        (
            good.replace("batch: 1000", "batch: 50\n        min_batch: 100"),
            "must lie within",
        ),
        (
            runbook(
                "bad",
                "batch: 1000",
                "        throttle:\n          probe:\n            sql: SELECT 1\n            above: 3\n            resume_below: 10\n",
            ),
            "the backfill would never wait",
        ),
    ];
    for (text, says) in cases {
        let path = write(&dir, "b.yaml", &text);
        let out = cutover(&dir, &["check", path.to_str().unwrap()]).await;
        assert_eq!(out.code, Some(1), "{says}: {out:?}");
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains(says), "{says}: {said}");
        assert!(said.contains("b.yaml:"), "points at the file: {said}");
    }
    let _ = Path::new("");
}

/// A concurrent index build held up by a writer's open transaction is not a frozen step:
/// the run says which phase it is in and what it waits for
/// (`pg_stat_progress_create_index`), and goes on once the writer commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_build_says_how_far_it_is() {
    let url = table("index_progress", 20_000).await;
    let writer = connect(&url).await;
    writer
        .batch_execute("BEGIN; INSERT INTO public.t VALUES (1000001, 'open')")
        .await
        .unwrap();
    let dir = scratch_dir("index-progress");
    let path = write(
        &dir,
        "i.yaml",
        "name: index_progress\nwindow: { budget: 30m }\nphases:\n  - id: m\n    kind: migration\n    budget: 10m\n    steps:\n      - migrate: payload-index\n        sql: CREATE INDEX CONCURRENTLY t_payload ON public.t (payload)\n        rollback: DROP INDEX CONCURRENTLY public.t_payload\n",
    );
    let child = cutover_command(
        &dir,
        &[
            "run",
            path.to_str().unwrap(),
            "--headless",
            "--database-url",
            &url,
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    writer.batch_execute("COMMIT").await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("index build of payload-index: waiting for writers before build"),
        "{stdout}"
    );
}

/// `max_lock_waits`: a session that queued behind a batch's row locks makes the next batch
/// half the size, after a breath — said and journaled. (`vacuum: true` is read along the
/// way: no vacuum works on the table, so it holds nothing up.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_others_waited_on_makes_the_next_one_smaller() {
    let url = table("backfill_waits", 5_000).await;
    connect(&url)
        .await
        .batch_execute("ALTER TABLE public.t ADD COLUMN n integer NOT NULL DEFAULT 0")
        .await
        .unwrap();
    let dir = scratch_dir("backfill-waits");
    // The backfill alone (the column is there): nothing before it waits on the held row.
    let text = runbook(
        "backfill_waits",
        "batch: 1000",
        "        throttle:\n          max_lock_waits: 0\n          vacuum: true\n",
    );
    let text = text.replace(
        "      - migrate: add-n\n        sql: ALTER TABLE public.t ADD COLUMN n integer NOT NULL DEFAULT 0\n        rollback: ALTER TABLE public.t DROP COLUMN n\n",
        "",
    );
    let path = write(&dir, "b.yaml", &text);
    // Holds row 500: the first batch (keys 1..=1000) locks 1..499, then waits here.
    let holder = connect(&url).await;
    holder
        .batch_execute("BEGIN; SELECT * FROM public.t WHERE id = 500 FOR UPDATE")
        .await
        .unwrap();
    let child = cutover_command(
        &dir,
        &[
            "run",
            path.to_str().unwrap(),
            "--headless",
            "--database-url",
            &url,
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let watcher = connect(&url).await;
    let started = Instant::now();
    loop {
        let blocked: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover:backfill_waits' AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if blocked > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the batch never waited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another session now queues behind the batch's lock on row 10.
    let queued_url = url.clone();
    let queued = tokio::spawn(async move {
        connect(&queued_url)
            .await
            .batch_execute("UPDATE public.t SET payload = 'queued' WHERE id = 10")
            .await
            .unwrap();
    });
    // Once it is seen queued, give the batch's look (every 100 ms) time to see it too.
    let started = Instant::now();
    loop {
        let queued_now: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'UPDATE public.t SET payload%' AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if queued_now > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    holder.batch_execute("COMMIT").await.unwrap();
    queued.await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout
            .contains("waits: 1 session(s) waited on its last batch (more than 0): next batch 400"),
        "{stdout}"
    );
    let wrong: i64 = watcher
        .query_one("SELECT count(*) FROM public.t WHERE n <> 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0);
}

/// Against the scratch cluster's real streaming replica, replaying 1 s behind: a backfill
/// marked at 300 ms of replica lag waits while the replica is behind and goes on once it
/// has caught up (below 150 ms); then the operator raises the mark to a minute and it runs
/// to the end, every row done exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_replica_pauses_the_backfill() {
    use cutover::events::{BackfillChange, Command};
    let replica = std::env::var("CUTOVER_TEST_REPLICA_URL").expect(
        "CUTOVER_TEST_REPLICA_URL: run the suite through scripts/test (its scratch cluster starts a replica)",
    );
    // The replica streams: its lag is real.
    let streaming: i64 = connect(&common::admin_url())
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(streaming >= 1, "no streaming replica behind {replica}");
    let name = "backfill_replica";
    let url = table("backfill_replica", 25_000).await;
    let dir = scratch_dir("backfill-replica");
    // Each batch takes at least 10 ms: the walk outlasts the replica's first word on its lag
    // however fast the machine.
    let text = runbook(
        name,
        "batch: 100\n        min_batch: 100\n        max_batch: 100",
        "        throttle:\n          max_replica_lag: 300ms\n          resume_below: 150ms\n",
    )
    .replace(
        "sql: UPDATE public.t SET n = n + 1 WHERE id > $1 AND id <= $2",
        "sql: UPDATE public.t SET n = n + 1 FROM (SELECT pg_sleep(0.01)) pause WHERE id > $1 AND id <= $2",
    );
    let path = write(&dir, "b.yaml", &text);
    let loaded = cutover::runbook::load(&path);
    let runbook = loaded.runbook.unwrap();
    let plan = cutover::plan::plan(&runbook);
    let options = cutover::engine::RunOptions {
        target: cutover::connect::resolve(Some(&url), "cutover:backfill_replica", &|_| None)
            .unwrap(),
        operator: "tester".into(),
        journal: dir.join("journal.jsonl"),
        run_id: None,
        exclusive_journal: false,
        resume: false,
        new_run: false,
        allow_changed: false,
        monitor_cap: None,
        rehearsal: None,
    };
    let (event_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (commands, command_rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = tokio::spawn(async move {
        cutover::engine::run(&runbook, &plan, options, event_tx, command_rx).await
    });
    let mut seen: Vec<Event> = Vec::new();
    let mut until = async |what: &str, seen: &mut Vec<Event>, matches: &dyn Fn(&Event) -> bool| {
        loop {
            let entry = tokio::time::timeout(Duration::from_secs(60), events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what}: {:#?}", seen.last()))
                .unwrap_or_else(|| panic!("the run ended before {what}: {seen:#?}"));
            seen.push(entry.event.clone());
            if matches(&entry.event) {
                return entry.event;
            }
        }
    };
    let throttled = until("a wait for the replica", &mut seen, &|e| {
        matches!(e, Event::BackfillThrottled { reason, .. } if reason.starts_with("replica lag"))
    })
    .await;
    until("the replica catching up", &mut seen, &|e| {
        matches!(e, Event::BackfillResumed { .. })
    })
    .await;
    commands
        .send(Command::AdjustBackfill {
            operator: "tester".into(),
            change: BackfillChange::MaxReplicaLag { ms: 60_000 },
        })
        .unwrap();
    drop(commands);
    let outcome = tokio::time::timeout(Duration::from_secs(60), engine)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        outcome,
        cutover::events::Outcome::Succeeded,
        "{throttled:?}"
    );
    let wrong: i64 = connect(&url)
        .await
        .query_one("SELECT count(*) FROM public.t WHERE n <> 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0);
}
