//! End to end: the real `cutover` binary in a pseudo-terminal (portable-pty + a vt100 screen)
//! on `runbooks/demo.yaml` against the scratch PostgreSQL. The tests read the screen, type
//! the operator's keys, and check the database, the exit code and the journal.
//!
//! Needs CUTOVER_TEST_DATABASE_URL (scripts/test sets it). Every wait is for text on the
//! screen with a generous deadline; nothing sleeps to synchronize.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::pty::{Pty, Spawn, keys};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Waits for one screen state; generous for a loaded 2-core machine running a debug build.
const WAIT: Duration = Duration::from_secs(90);
/// The demo's migration phase (pg_sleeps of ~30 s on the critical path) plus verification.
const WAIT_LONG: Duration = Duration::from_secs(240);

/// Every migrate step of the demo, in runbook order.
const DEMO_MIGRATIONS: [&str; 6] = [
    "prepare-baseline-schema",
    "001_add_loyalty_tier",
    "002_index_orders_customer",
    "003_backfill_loyalty_tier",
    "004_create_order_events",
    "005_drop_customer_fax",
];

/// Every step of the demo before the first gate (`go-for-migration`), in runbook order.
const BEFORE_FIRST_GATE: [&str; 4] = [
    "prepare-baseline-schema",
    "tool-versions",
    "customers-seeded",
    "announce-window",
];

/// The monitoring phase's steps (after the second gate, `go-live`).
const MONITORING: [&str; 4] = [
    "active-sessions",
    "lock-waits",
    "orders-last-minute",
    "watch-dashboards",
];

fn demo_runbook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/demo.yaml")
}

/// A blocking handle on one test database (the pty waits are blocking too).
struct Db {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Db {
    fn fresh(tag: &str) -> (Db, String) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let url = rt.block_on(common::fresh_db(tag));
        let client = rt.block_on(common::connect(&url));
        (Db { rt, client }, url)
    }

    fn rows(&self, sql: &str) -> Vec<tokio_postgres::Row> {
        self.rt
            .block_on(self.client.query(sql, &[]))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn strings(&self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    }

    fn exists(&self, sql: &str) -> bool {
        self.rows(&format!("SELECT EXISTS ({sql})"))[0].get::<_, bool>(0)
    }

    fn column_exists(&self, table: &str, column: &str) -> bool {
        self.exists(&format!(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name = '{table}' AND column_name = '{column}'"
        ))
    }

    fn relation_exists(&self, name: &str) -> bool {
        self.rows(&format!("SELECT to_regclass('public.{name}') IS NOT NULL"))[0].get::<_, bool>(0)
    }

    /// `step_id=status` for every tracked step of the demo, sorted.
    fn step_statuses(&self) -> Vec<String> {
        self.strings(
            "SELECT step_id || '=' || status FROM cutover.steps \
             WHERE runbook = 'demo' ORDER BY step_id",
        )
    }

    fn run_outcomes(&self) -> Vec<String> {
        self.strings(
            "SELECT coalesce(outcome, '<none>') FROM cutover.runs \
             WHERE runbook = 'demo' ORDER BY started_at",
        )
    }
}

/// `cutover run runbooks/demo.yaml` in a pty, journal in its own scratch dir.
fn spawn_demo(url: &str, dir: &Path, journal: &Path, cols: u16, rows: u16) -> Pty {
    Spawn::new(["run".into(), demo_runbook().into_os_string()])
        .args([
            "--operator",
            "e2e-tester",
            "--monitor-for",
            "5s",
            "--journal",
        ])
        .arg(journal)
        // As scripts/demo does; the URL wins over the runbook and PG* variables.
        .env("CUTOVER_DATABASE_URL", url)
        .cwd(dir)
        .size(cols, rows)
        .spawn()
}

/// Acknowledges the manual step whose modal is (or is about to be) on screen.
fn acknowledge(tui: &mut Pty, step: &str) {
    tui.wait_for(&format!("MANUAL STEP {step}"), WAIT);
    tui.send("a");
    tui.wait_for("Confirm the manual step is done?", WAIT);
    tui.send("y");
    tui.wait_until(&format!("the {step} modal gone"), WAIT, |s| {
        !s.contains(&format!("MANUAL STEP {step}"))
    });
}

/// Ticks every question of the open gate (focus starts on the first; a tick moves down).
fn tick_all(tui: &mut Pty, gate: &str, questions: usize) {
    for n in 1..=questions {
        tui.send(keys::SPACE);
        // One key at a time, each seen on screen before the next.
        tui.wait_until(&format!("{n} ticked at {gate}"), WAIT, |s| {
            s.matches("[x]").count() == n
        });
    }
    tui.wait_until(&format!("every question ticked at {gate}"), WAIT, |s| {
        !s.contains("tick all first")
    });
}

/// Gives the go at the open gate: every question ticked, `g`, then `y`.
fn go(tui: &mut Pty, gate: &str, questions: usize) {
    tick_all(tui, gate, questions);
    tui.send("g");
    tui.wait_for("Confirm GO: continue past this checkpoint?", WAIT);
    tui.send("y");
    tui.wait_until(&format!("the {gate} gate passed"), WAIT, |s| {
        !s.contains(&format!("GATE {gate} — decision needed"))
    });
}

/// Waits for a gate's modal, failing at once (with the screen) if a step fails instead.
fn wait_for_gate(tui: &mut Pty, gate: &str, timeout: Duration) {
    let title = format!("GATE {gate} — decision needed");
    let seen = tui.wait_for_any(&[&title, "STEP FAILED"], timeout);
    assert_eq!(
        seen,
        0,
        "a step failed before {gate}\n{}",
        tui.screen_text()
    );
}

fn journal_events(journal: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(journal)
        .unwrap_or_else(|e| panic!("read the journal {}: {e}", journal.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {l}: {e}")))
        .collect()
}

fn run_finished(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == "run_finished")
        .map(|e| e["outcome"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Steps the journal says have started, in order.
fn started_steps(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == "step_started")
        .filter_map(|e| e["step"].as_str().map(str::to_owned))
        .collect()
}

/// Asserts from the database (and the journal) that nothing after the first gate has
/// started: only the steps above it are tracked, no decision exists, the run is open.
fn assert_nothing_after_first_gate(db: &Db, journal: &Path) {
    let tracked = db.strings("SELECT step_id FROM cutover.steps WHERE runbook = 'demo'");
    for step in &tracked {
        assert!(
            BEFORE_FIRST_GATE.contains(&step.as_str()),
            "{step} is tracked although it comes after the first gate: {:?}",
            db.step_statuses()
        );
    }
    assert!(
        db.step_statuses()
            .contains(&"prepare-baseline-schema=applied".to_owned()),
        "{:?}",
        db.step_statuses()
    );
    // The objects the later migrations create (or drop) are untouched.
    assert!(db.relation_exists("customers"), "the seed did not run");
    assert!(!db.column_exists("customers", "loyalty_tier"), "001 ran");
    assert!(!db.relation_exists("orders_customer_id_idx"), "002 ran");
    assert!(!db.relation_exists("order_events"), "004 ran");
    assert!(db.column_exists("customers", "fax"), "005 ran");
    assert!(
        db.strings("SELECT step_id FROM cutover.decisions")
            .is_empty(),
        "a decision is recorded before anybody decided"
    );
    assert_eq!(db.run_outcomes(), ["<none>"], "the run is in progress");
    // The journal (written before the screen shows anything) agrees.
    let started = started_steps(&journal_events(journal));
    assert!(
        started
            .iter()
            .all(|s| BEFORE_FIRST_GATE.contains(&s.as_str())),
        "started before the go: {started:?}"
    );
}

/// Up to the first gate: the manual step, then the gate, and the database checks there.
fn through_to_first_gate(tui: &mut Pty, db: &Db, journal: &Path) {
    acknowledge(tui, "announce-window");
    wait_for_gate(tui, "go-for-migration", WAIT);
    tui.wait_for("Start the migration?", WAIT);
    assert_nothing_after_first_gate(db, journal);
}

#[test]
fn demo_go_at_every_gate_runs_to_the_end() {
    let (db, url) = Db::fresh("tui_e2e_go");
    let dir = common::scratch_dir("tui-e2e-go");
    let journal = dir.join("demo.jsonl");
    let mut tui = spawn_demo(&url, &dir, &journal, 160, 48);

    through_to_first_gate(&mut tui, &db, &journal);
    go(&mut tui, "go-for-migration", 3);

    wait_for_gate(&mut tui, "go-live", WAIT_LONG);
    go(&mut tui, "go-live", 3);

    // Monitoring: a manual step, capped by --monitor-for.
    acknowledge(&mut tui, "watch-dashboards");
    tui.wait_for(" run finished ", WAIT);
    tui.wait_for("SUCCEEDED", WAIT);
    tui.send("q");
    let code = tui.wait_exit(WAIT);
    let screen = tui.screen_text();
    assert_eq!(code, 0, "exit code\n{screen}");
    assert!(screen.contains("run succeeded; journal: "), "{screen}");

    let statuses = db.step_statuses();
    for m in DEMO_MIGRATIONS {
        assert!(
            statuses.contains(&format!("{m}=applied")),
            "{m} not applied: {statuses:?}"
        );
    }
    for done in [
        "announce-window=done",
        "go-for-migration=decided",
        "go-live=decided",
        "watch-dashboards=done",
    ] {
        assert!(statuses.contains(&done.to_owned()), "{done}: {statuses:?}");
    }
    assert_eq!(db.run_outcomes(), ["succeeded"]);
    assert!(db.column_exists("customers", "loyalty_tier"));
    assert!(db.relation_exists("orders_customer_id_idx"));
    assert!(db.relation_exists("order_events"));
    assert!(!db.column_exists("customers", "fax"));
    let gates = db.strings(
        "SELECT step_id || ':' || decision || ':' || operator FROM cutover.decisions ORDER BY decided_at",
    );
    assert_eq!(
        gates,
        ["go-for-migration:go:e2e-tester", "go-live:go:e2e-tester"]
    );

    let events = journal_events(&journal);
    assert_eq!(run_finished(&events), ["succeeded"]);
    assert_eq!(
        events.last().map(|e| &e["event"]),
        Some(&"run_finished".into())
    );
}

/// No-go at the open gate, roll back, confirmed: `n`, `b`, `y`.
fn no_go_roll_back(tui: &mut Pty, gate: &str) {
    tui.send("n");
    tui.wait_for("NO-GO:", WAIT);
    tui.send("b");
    tui.wait_for("Confirm NO-GO: roll back", WAIT);
    tui.send("y");
    tui.wait_until(&format!("the {gate} gate closed"), WAIT, |s| {
        !s.contains(&format!("GATE {gate} — decision needed"))
    });
}

/// Follows a rolled-back run to its end, quits, and returns the exit code.
fn finish_rolled_back(tui: &mut Pty) -> u32 {
    tui.wait_for(" run finished ", WAIT);
    tui.wait_for("ROLLED BACK", WAIT);
    tui.send("q");
    let code = tui.wait_exit(WAIT);
    let screen = tui.screen_text();
    assert!(screen.contains("run rolled_back; journal: "), "{screen}");
    code
}

fn rollback_steps(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e["event"].as_str() {
            Some("rollback_step") => {
                Some(format!("{}:{}", e["step"].as_str().unwrap_or("?"), e["ok"]))
            }
            // Nothing was run to undo it: it stays applied.
            Some("rollback_left_applied") => Some(format!(
                "{}:left applied",
                e["step"].as_str().unwrap_or("?")
            )),
            _ => None,
        })
        .collect()
}

/// The no-go at the first gate, on a small (80x24) terminal. At that gate only the seed
/// migration has run, and it has no rollback on purpose (a no-go must never drop the shop):
/// the rollback leaves it applied, and nothing after the gate ever starts.
#[test]
fn demo_no_go_at_the_first_gate_rolls_back_and_runs_nothing_after_it() {
    let (db, url) = Db::fresh("tui_e2e_nogo_first");
    let dir = common::scratch_dir("tui-e2e-nogo-first");
    let journal = dir.join("demo.jsonl");
    let mut tui = spawn_demo(&url, &dir, &journal, 80, 24);

    through_to_first_gate(&mut tui, &db, &journal);
    // The frame follows the terminal when the operator enlarges the window at the gate.
    tui.resize(160, 48);
    tui.wait_until("the frame to fill the enlarged terminal", WAIT, |s| {
        s.lines().nth(47).is_some_and(|row| !row.trim().is_empty())
            && s.lines()
                .next()
                .is_some_and(|row| row.trim_end().chars().count() > 100)
    });
    no_go_roll_back(&mut tui, "go-for-migration");
    let code = finish_rolled_back(&mut tui);
    assert_eq!(
        code,
        4,
        "the exit code for rolled back\n{}",
        tui.screen_text()
    );

    assert_eq!(db.run_outcomes(), ["rolled_back"]);
    // Nothing after the gate ever started; the seed stays applied.
    let statuses = db.step_statuses();
    for s in &statuses {
        let step = s.split('=').next().unwrap_or_default();
        assert!(
            BEFORE_FIRST_GATE.contains(&step) || step == "go-for-migration",
            "{s} after a no-go at the first gate: {statuses:?}"
        );
    }
    assert!(
        statuses.contains(&"prepare-baseline-schema=applied".to_owned()),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&"go-for-migration=decided".to_owned()),
        "{statuses:?}"
    );
    assert!(
        db.relation_exists("customers"),
        "the shop itself was dropped"
    );
    assert!(!db.column_exists("customers", "loyalty_tier"));
    assert!(!db.relation_exists("order_events"));
    assert_eq!(
        db.strings("SELECT step_id || ':' || decision || ':' || operator FROM cutover.decisions"),
        ["go-for-migration:rollback:e2e-tester"]
    );

    let events = journal_events(&journal);
    assert_eq!(run_finished(&events), ["rolled_back"]);
    assert_eq!(
        rollback_steps(&events),
        ["prepare-baseline-schema:left applied"]
    );
    let started = started_steps(&events);
    // (A manual step is journaled as manual_waiting, not step_started.)
    assert_eq!(
        started,
        [
            "prepare-baseline-schema",
            "tool-versions",
            "customers-seeded"
        ],
        "steps started in the whole run"
    );
}

/// Go at the first gate, then a no-go with rollback at `go-live`, when all five schema
/// migrations are applied: each is undone in reverse order and its objects are gone.
#[test]
fn demo_no_go_at_go_live_rolls_back_every_migration() {
    let (db, url) = Db::fresh("tui_e2e_nogo_live");
    let dir = common::scratch_dir("tui-e2e-nogo-live");
    let journal = dir.join("demo.jsonl");
    let mut tui = spawn_demo(&url, &dir, &journal, 160, 48);

    through_to_first_gate(&mut tui, &db, &journal);
    go(&mut tui, "go-for-migration", 3);
    wait_for_gate(&mut tui, "go-live", WAIT_LONG);

    // Everything before the gate is applied; nothing after it has started.
    let statuses = db.step_statuses();
    for m in DEMO_MIGRATIONS {
        assert!(
            statuses.contains(&format!("{m}=applied")),
            "{m} not applied at go-live: {statuses:?}"
        );
    }
    let started = started_steps(&journal_events(&journal));
    for step in MONITORING {
        assert!(
            !statuses.iter().any(|s| s.starts_with(&format!("{step}="))),
            "{step} tracked before the go-live decision: {statuses:?}"
        );
        assert!(
            !started.iter().any(|s| s == step),
            "{step} started before the go-live decision: {started:?}"
        );
    }
    assert!(db.column_exists("customers", "loyalty_tier"));
    assert!(db.relation_exists("orders_customer_id_idx"));
    assert!(db.relation_exists("order_events"));
    assert!(!db.column_exists("customers", "fax"));

    no_go_roll_back(&mut tui, "go-live");
    let code = finish_rolled_back(&mut tui);
    assert_eq!(
        code,
        4,
        "the exit code for rolled back\n{}",
        tui.screen_text()
    );

    assert_eq!(db.run_outcomes(), ["rolled_back"]);
    let statuses = db.step_statuses();
    for m in &DEMO_MIGRATIONS[1..] {
        assert!(
            statuses.contains(&format!("{m}=rolled_back")),
            "{m} not rolled back: {statuses:?}"
        );
    }
    assert!(
        statuses.contains(&"prepare-baseline-schema=applied".to_owned()),
        "{statuses:?}"
    );
    // The objects 001-005 created are gone, what 005 dropped is back, the shop is still there.
    assert!(
        !db.column_exists("customers", "loyalty_tier"),
        "001 not undone"
    );
    assert!(
        !db.relation_exists("orders_customer_id_idx"),
        "002 not undone"
    );
    assert!(!db.relation_exists("order_events"), "004 not undone");
    assert!(db.column_exists("customers", "fax"), "005 not undone");
    assert!(db.relation_exists("customers"));
    assert!(db.relation_exists("orders"));
    assert_eq!(
        db.strings(
            "SELECT step_id || ':' || decision || ':' || operator FROM cutover.decisions ORDER BY decided_at"
        ),
        [
            "go-for-migration:go:e2e-tester",
            "go-live:rollback:e2e-tester"
        ]
    );

    // Undone in reverse order of application (two workers: the order they finished in),
    // the seed last and left applied (no rollback declared).
    let events = journal_events(&journal);
    assert_eq!(run_finished(&events), ["rolled_back"]);
    let mut expected: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "step_finished")
        .filter_map(|e| e["step"].as_str())
        .filter(|s| DEMO_MIGRATIONS.contains(s))
        .map(|s| {
            if s == "prepare-baseline-schema" {
                format!("{s}:left applied")
            } else {
                format!("{s}:true")
            }
        })
        .collect();
    expected.reverse();
    assert_eq!(expected.len(), DEMO_MIGRATIONS.len(), "{expected:?}");
    assert_eq!(rollback_steps(&events), expected);
}

// The harness itself (tests/common/pty.rs), on plain shell commands: cheap, no database.

#[test]
fn pty_harness_reads_the_screen_sends_keys_and_reports_the_exit_code() {
    let mut sh = Spawn::program("sh")
        .args([
            "-c",
            "stty size; read line; echo \"got:$line\"; stty size; exit 3",
        ])
        .size(100, 30)
        .spawn();
    sh.wait_for("30 100", WAIT);
    sh.resize(120, 40);
    sh.send("abc");
    sh.send(keys::ENTER);
    sh.wait_for("got:abc", WAIT);
    sh.wait_for("40 120", WAIT);
    assert_eq!(sh.wait_exit(WAIT), 3);
    assert_eq!(sh.try_exit_code(), Some(3));
    assert!(sh.transcript().contains("got:abc"));
    assert_eq!(sh.screen_rows().len(), 40);
}

#[test]
fn pty_harness_delivers_signals() {
    let mut sh = Spawn::program("sh")
        .args([
            "-c",
            "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done",
        ])
        .spawn();
    sh.wait_for("ready", WAIT);
    sh.signal("TERM");
    sh.wait_for("got-term", WAIT);
    assert_eq!(sh.wait_exit(WAIT), 7);
}

#[test]
#[should_panic(expected = "closed the terminal")]
fn pty_harness_fails_fast_when_the_process_ends_without_the_text() {
    let mut sh = Spawn::program("sh").args(["-c", "echo bye"]).spawn();
    sh.wait_for("never printed", WAIT);
}

#[test]
#[should_panic(expected = "timed out")]
fn pty_harness_times_out_with_the_screen() {
    let mut sh = Spawn::program("sh")
        .args(["-c", "echo waiting; read x"])
        .spawn();
    sh.wait_for("waiting", WAIT);
    sh.wait_for("never printed", Duration::from_millis(300));
}
