//! The operator TUI without a terminal: the reducer (events in, state out), the keys
//! (keys in, commands out — a single keypress never passes a gate), and whole-screen
//! snapshots drawn into ratatui's TestBackend with a fixed clock.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use cutover::events::{Blocker, Command, Decision, Event, Outcome, ServerSession, SqlFailure};
use cutover::journal::Entry;
use cutover::plan::Plan;
use cutover::runbook::{Comparison, Expectation, Op, Runbook, Scalar, Severity};
use cutover::tui::bindings::{self, Context, Key};
use cutover::tui::keys::{Panel, ResumeView, Stage, contexts};
use cutover::tui::state::{Overall, Prompt, StepStatus, StopKind, StopPoint};
use cutover::tui::{UiState, ViewState, draw, handle_key};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;

const RUNBOOK: &str = r#"
name: shop
title: Shop — loyalty tiers and order events
window:
  start: 2025-03-01T22:00:00Z
  budget: 30m
defaults:
  lock_timeout: 2s
  lock_retries: 3
  statement_timeout: 1m
phases:
  - id: prepare
    title: Preparation
    kind: preparation
    budget: 4m
    steps:
      - migrate: 000_seed
        sql: |
          CREATE TABLE IF NOT EXISTS customers (id bigint PRIMARY KEY, name text, fax text);
          CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer_id bigint);
        expected_duration: 3s
      - check: customers-seeded
        sql: SELECT count(*) FROM customers
        expect: { ge: 3 }
        depends_on: [000_seed]
        expected_duration: 1s
      - manual: announce-window
        title: Announce the window
        prompt: Post in #shop-ops that the window starts now.
        expected_duration: 30s
      - checkpoint: go-for-migration
        prompt: Start the migration?
        questions:
          - Is the shop seeded?
          - Has the team been told the window started?
          - Is the rollback of every migration reviewed?
  - id: migrate
    title: Schema changes
    kind: migration
    budget: 10m
    steps:
      - migrate: 001_add_loyalty_tier
        sql: ALTER TABLE customers ADD COLUMN loyalty_tier text;
        rollback: ALTER TABLE customers DROP COLUMN loyalty_tier;
        expected_duration: 2s
      - migrate: 002_index_orders_customer
        sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer_id);
        rollback: DROP INDEX CONCURRENTLY IF EXISTS orders_customer_idx;
        expected_duration: 1m
      - migrate: 003_backfill_loyalty_tier
        title: Backfill the tier from customer tenure
        sql: |
          UPDATE customers SET loyalty_tier = 'bronze'
           WHERE loyalty_tier IS NULL;
          UPDATE customers SET loyalty_tier = 'silver'
           WHERE id < 3;
          ALTER TABLE customers ALTER COLUMN loyalty_tier SET NOT NULL;
        rollback: ALTER TABLE customers ALTER COLUMN loyalty_tier DROP NOT NULL;
        depends_on: [001_add_loyalty_tier]
        expected_duration: 2m
      - check: tier-backfilled
        sql: SELECT count(*) FROM customers WHERE loyalty_tier IS NULL
        expect: 0
        depends_on: [003_backfill_loyalty_tier]
        expected_duration: 1s
      - migrate: 004_create_order_events
        sql: CREATE TABLE order_events (id bigserial PRIMARY KEY, order_id bigint);
        rollback: DROP TABLE order_events;
        depends_on: [002_index_orders_customer]
        expected_duration: 30s
      - migrate: 005_drop_customer_fax
        sql: ALTER TABLE customers DROP COLUMN fax;
        rollback: ALTER TABLE customers ADD COLUMN fax text;
        breaking: true
        depends_on: [003_backfill_loyalty_tier]
        expected_duration: 5s
        require:
          - sql: SELECT count(*) FROM fax_outbox
            expect: 0
  - id: verify
    title: Verification
    kind: verification
    budget: 5m
    steps:
      - check: every-customer-has-a-tier
        sql: SELECT count(*) FROM customers WHERE loyalty_tier IS NULL
        expect: { eq: 0 }
        expected_duration: 1s
      - check: two-tiers-in-use
        sql: SELECT DISTINCT loyalty_tier FROM customers
        expect: { rows: 2 }
        expected_duration: 1s
      - check: no-orphan-orders
        sql: SELECT 1 FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL
        expect: { empty: true }
        expected_duration: 1s
      - check: index-is-valid
        sql: SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_customer_idx'::regclass
        expect: true
        expected_duration: 1s
      - check: revenue-plausible
        sql: SELECT 120
        expect: { between: [50, 500] }
        expected_duration: 1s
      - check: fax-column-gone
        sql: SELECT count(*) FROM information_schema.columns WHERE column_name = 'fax'
        expect: { lt: 1 }
        expected_duration: 1s
      - check: few-open-orders
        sql: SELECT count(*) FROM orders
        expect: { le: 5 }
        severity: warning
        expected_duration: 1s
      - checkpoint: go-live
        prompt: Open the shop again with the new schema?
        questions:
          - Did every critical check pass?
          - Are the warnings (if any) understood?
          - Is the new checkout build deployed?
  - id: watch
    title: Monitoring
    kind: monitoring
    budget: 5m
    steps:
      - probe: active-sessions
        sql: SELECT count(*) FROM pg_stat_activity
        every: 5s
        alert: { gt: 50 }
      - probe: lock-waits
        sql: SELECT count(*) FROM pg_locks WHERE NOT granted
        every: 5s
        alert: { gt: 0 }
      - manual: watch-dashboards
        prompt: Watch the checkout dashboards until the phase ends.
"#;

fn fixture() -> (Runbook, Plan) {
    let loaded = cutover::runbook::load_text(Path::new("runbooks/shop.yaml"), RUNBOOK, &|_| None);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.level == cutover::diag::Level::Error)
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "fixture runbook has errors: {errors:?}");
    let runbook = loaded.runbook.expect("fixture runbook loads");
    let plan = cutover::plan::plan(&runbook);
    assert!(!plan.has_errors(), "{:?}", plan.diagnostics);
    (runbook, plan)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 22, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

/// Feeds hand-made journal entries into a UiState.
struct Feed {
    state: UiState,
    seq: u64,
    /// Everything fed, as a journal would hold it.
    entries: Vec<Entry>,
}

impl Feed {
    fn new() -> Feed {
        let (runbook, plan) = fixture();
        Feed {
            state: UiState::new(&runbook, &plan, "alice"),
            seq: 0,
            entries: Vec::new(),
        }
    }

    fn at(&mut self, secs: i64, event: Event) -> &mut Feed {
        self.seq += 1;
        let entry = Entry {
            ts: at(secs),
            seq: self.seq,
            event,
        };
        self.state.apply(&entry);
        self.entries.push(entry);
        self
    }

    fn started(&mut self) -> &mut Feed {
        self.at(
            0,
            Event::RunStarted {
                run_id: "shop-20250301T220000.000Z".into(),
                runbook: "shop".into(),
                title: "Shop — loyalty tiers and order events".into(),
                checksum: "abc".into(),
                operator: "alice".into(),
                target: "postgres://app@db.internal:5432/shop".into(),
                server_version: "16.4".into(),
                cutover_version: "0.1.0".into(),
                resumed: false,
                hard_end: "2025-03-01T22:30:00+00:00".into(),
                plan: None,
            },
        )
    }

    fn step_ok(&mut self, start: i64, id: &str, secs: i64) -> &mut Feed {
        self.at(
            start,
            Event::StepStarted {
                step: id.into(),
                attempt: 1,
                in_transaction: Some(true),
            },
        )
        .at(
            start + secs,
            Event::StepFinished {
                step: id.into(),
                duration_ms: (secs * 1000) as u64,
                rows: 0,
            },
        )
    }

    fn check(
        &mut self,
        start: i64,
        id: &str,
        passed: bool,
        actual: &str,
        expected: Expectation,
        severity: Severity,
    ) -> &mut Feed {
        self.at(
            start,
            Event::StepStarted {
                step: id.into(),
                attempt: 1,
                in_transaction: Some(true),
            },
        )
        .at(
            start,
            Event::CheckResult {
                step: id.into(),
                passed,
                actual: actual.into(),
                expected,
                severity,
                duration_ms: 40,
            },
        )
        .at(
            start,
            Event::StepFinished {
                step: id.into(),
                duration_ms: 40,
                rows: 0,
            },
        )
    }

    fn phase(&mut self, secs: i64, id: &str) -> &mut Feed {
        self.at(secs, Event::PhaseStarted { phase: id.into() })
    }

    fn phase_done(&mut self, secs: i64, id: &str, ms: u64) -> &mut Feed {
        self.at(
            secs,
            Event::PhaseFinished {
                phase: id.into(),
                duration_ms: ms,
            },
        )
    }

    fn gate(&mut self, secs: i64, id: &str, questions: &[&str], failed: &[&str]) -> &mut Feed {
        self.at(
            secs,
            Event::CheckpointReached {
                step: id.into(),
                prompt: if id == "go-live" {
                    "Open the shop again with the new schema?".into()
                } else {
                    "Start the migration?".into()
                },
                questions: questions.iter().map(|q| (*q).to_owned()).collect(),
                failed_critical: failed.iter().map(|q| (*q).to_owned()).collect(),
                projected_end: (at(secs) + chrono::Duration::minutes(6)).to_rfc3339(),
                hard_end: "2025-03-01T22:30:00+00:00".into(),
                pace: None,
                advice: None,
            },
        )
    }

    fn go(&mut self, secs: i64, id: &str) -> &mut Feed {
        self.at(
            secs,
            Event::DecisionRecorded {
                step: id.into(),
                decision: Decision::Go,
                operator: "alice".into(),
                comment: None,
                answers: Vec::new(),
                overrode_failed_checks: Vec::new(),
                restored: false,
            },
        )
    }

    /// The preparation phase, done, with the gate passed (ends at +62 s).
    fn prepared(&mut self) -> &mut Feed {
        self.started()
            .phase(0, "prepare")
            .step_ok(1, "000_seed", 2)
            .check(4, "customers-seeded", true, "5", ge(3), Severity::Critical)
            .at(
                5,
                Event::ManualWaiting {
                    step: "announce-window".into(),
                    prompt: "Post in #shop-ops that the window starts now.".into(),
                },
            )
            .at(
                40,
                Event::ManualAcknowledged {
                    step: "announce-window".into(),
                    operator: "alice".into(),
                    note: None,
                },
            )
            .gate(41, "go-for-migration", &GATE1, &[])
            .go(60, "go-for-migration")
            .phase_done(62, "prepare", 62_000)
    }

    /// The migration phase up to 005's lock wait (from +62 s).
    fn migrating(&mut self) -> &mut Feed {
        self.phase(62, "migrate")
            .step_ok(62, "001_add_loyalty_tier", 1)
            .at(
                64,
                Event::StepStarted {
                    step: "002_index_orders_customer".into(),
                    attempt: 1,
                    in_transaction: Some(false),
                },
            )
            .at(
                124,
                Event::StepFinished {
                    step: "002_index_orders_customer".into(),
                    duration_ms: 60_000,
                    rows: 0,
                },
            )
            .at(
                125,
                Event::StepStarted {
                    step: "003_backfill_loyalty_tier".into(),
                    attempt: 1,
                    in_transaction: Some(true),
                },
            )
            .at(
                125,
                Event::StatementStarted {
                    step: "003_backfill_loyalty_tier".into(),
                    index: 1,
                    sql: "UPDATE customers SET loyalty_tier = 'bronze'".into(),
                },
            )
            .at(
                200,
                Event::StatementFinished {
                    step: "003_backfill_loyalty_tier".into(),
                    index: 1,
                    rows: 48_210,
                    duration_ms: 75_000,
                },
            )
            .at(
                200,
                Event::StatementStarted {
                    step: "003_backfill_loyalty_tier".into(),
                    index: 2,
                    sql: "UPDATE customers SET loyalty_tier = 'silver'".into(),
                },
            )
    }
}

const GATE1: [&str; 3] = [
    "Is the shop seeded?",
    "Has the team been told the window started?",
    "Is the rollback of every migration reviewed?",
];
const GATE2: [&str; 3] = [
    "Did every critical check pass?",
    "Are the warnings (if any) understood?",
    "Is the new checkout build deployed?",
];

fn ge(n: i64) -> Expectation {
    Expectation::Value(Comparison::Compare {
        op: Op::Ge,
        value: Scalar::Int(n),
    })
}

fn eq(n: i64) -> Expectation {
    Expectation::Value(Comparison::Compare {
        op: Op::Eq,
        value: Scalar::Int(n),
    })
}

fn blocker() -> Blocker {
    Blocker {
        pid: 4242,
        application_name: "psql".into(),
        state: "idle in transaction".into(),
        query: "SELECT * FROM customers WHERE id = 7 FOR UPDATE".into(),
        xact_age_s: 95.0,
    }
}

fn lock_wait(feed: &mut Feed) -> &mut Feed {
    feed.at(
        215,
        Event::StatementFinished {
            step: "003_backfill_loyalty_tier".into(),
            index: 2,
            rows: 2,
            duration_ms: 15_000,
        },
    )
    .at(
        215,
        Event::StatementStarted {
            step: "003_backfill_loyalty_tier".into(),
            index: 3,
            sql: "ALTER TABLE customers ALTER COLUMN loyalty_tier SET NOT NULL".into(),
        },
    )
    .at(
        217,
        Event::Retry {
            step: "003_backfill_loyalty_tier".into(),
            attempt: 2,
            delay_ms: 250,
            reason: "canceling statement due to lock timeout".into(),
        },
    )
    .at(
        218,
        Event::LockWait {
            step: "003_backfill_loyalty_tier".into(),
            blockers: vec![blocker()],
            waited_ms: 1200,
        },
    )
}

fn failed_step(feed: &mut Feed) -> &mut Feed {
    feed.at(
        230,
        Event::StepFailed {
            step: "003_backfill_loyalty_tier".into(),
            error: SqlFailure {
                sqlstate: Some("23502".into()),
                message: "column \"loyalty_tier\" of relation \"customers\" contains null values"
                    .into(),
                detail: Some("Failing row contains (7, Ada, null).".into()),
                hint: Some("backfill every row before SET NOT NULL".into()),
                statement: Some(3),
                file: Some("runbooks/shop.yaml".into()),
                line: Some(70),
                column: Some(11),
            },
        },
    )
    .at(
        230,
        Event::AwaitingFailureDecision {
            step: "003_backfill_loyalty_tier".into(),
        },
    )
}

/// Migration done, verification run (with `fail` failing critically), up to the gate.
fn verified(feed: &mut Feed, fail: bool) -> &mut Feed {
    feed.at(
        240,
        Event::StatementFinished {
            step: "003_backfill_loyalty_tier".into(),
            index: 2,
            rows: 2,
            duration_ms: 40_000,
        },
    )
    .at(
        241,
        Event::StepFinished {
            step: "003_backfill_loyalty_tier".into(),
            duration_ms: 116_000,
            rows: 48_212,
        },
    )
    .check(242, "tier-backfilled", true, "0", eq(0), Severity::Critical)
    .step_ok(243, "004_create_order_events", 20)
    .step_ok(264, "005_drop_customer_fax", 3)
    .phase_done(268, "migrate", 206_000)
    .phase(268, "verify")
    .check(
        269,
        "every-customer-has-a-tier",
        true,
        "0",
        eq(0),
        Severity::Critical,
    )
    .check(
        270,
        "two-tiers-in-use",
        !fail,
        if fail { "3 rows" } else { "2 rows" },
        Expectation::Rows(2),
        Severity::Critical,
    )
    .check(
        271,
        "no-orphan-orders",
        true,
        "no rows",
        Expectation::Empty(true),
        Severity::Critical,
    )
    .check(
        272,
        "index-is-valid",
        true,
        "true",
        Expectation::Value(Comparison::Compare {
            op: Op::Eq,
            value: Scalar::Bool(true),
        }),
        Severity::Critical,
    )
    .check(
        273,
        "revenue-plausible",
        !fail,
        if fail { "812" } else { "120" },
        Expectation::Value(Comparison::Between {
            low: 50.0,
            high: 500.0,
        }),
        Severity::Critical,
    )
    .check(
        274,
        "fax-column-gone",
        true,
        "0",
        Expectation::Value(Comparison::Compare {
            op: Op::Lt,
            value: Scalar::Int(1),
        }),
        Severity::Critical,
    )
    .check(
        275,
        "few-open-orders",
        false,
        "9",
        Expectation::Value(Comparison::Compare {
            op: Op::Le,
            value: Scalar::Int(5),
        }),
        Severity::Warning,
    )
}

fn view(now: DateTime<Utc>) -> ViewState {
    ViewState::new(now)
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn press(state: &UiState, view: &mut ViewState, k: KeyEvent) -> Option<Command> {
    handle_key(state, view, k, "alice")
}

fn screen(state: &UiState, view: &ViewState, w: u16, h: u16) -> String {
    let mut v = view.clone();
    v.sync(state);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, state, &v)).unwrap();
    terminal.backend().to_string()
}

fn snap(name: &str, state: &UiState, view: &ViewState) {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let text = screen(state, view, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

// ---------------------------------------------------------------------------------------
// Reducer

#[test]
fn a_fresh_state_is_the_plan() {
    let feed = Feed::new();
    let s = &feed.state;
    assert_eq!(s.overall(), Overall::Connecting);
    assert_eq!(s.steps.len(), 21);
    assert!(s.steps.iter().all(|st| st.status == StepStatus::Pending));
    assert_eq!(s.checks.len(), 9);
    assert_eq!(s.probes.len(), 2);
    // Layers: 003 depends on 001, 005 on 003.
    let depth = |id: &str| s.step(id).unwrap().depth;
    assert_eq!(depth("001_add_loyalty_tier"), 0);
    assert_eq!(depth("003_backfill_loyalty_tier"), 1);
    assert_eq!(depth("005_drop_customer_fax"), 2);
    // The migrate step knows its SQL's statements and limits.
    let backfill = s.step("003_backfill_loyalty_tier").unwrap();
    assert_eq!(backfill.statement_lines, vec![(1, 2), (3, 4), (5, 5)]);
    assert!(
        backfill
            .limits
            .contains(&("lock_timeout".to_owned(), "2s".to_owned()))
    );
    assert_eq!(s.header.hard_end, Some(at(30 * 60)));
}

#[test]
fn events_drive_step_status_timing_and_lock_waits() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let s = &feed.state;
    assert_eq!(s.overall(), Overall::Running);
    assert_eq!(s.header.server_version.as_deref(), Some("16.4"));
    assert_eq!(
        s.header.target.as_deref(),
        Some("postgres://app@db.internal:5432/shop")
    );
    assert_eq!(s.header.window_start, Some(t0()));
    let seed = s.step("000_seed").unwrap();
    assert_eq!(seed.status, StepStatus::Done);
    assert_eq!(seed.duration_ms, Some(2000));
    assert_eq!(seed.started, Some(at(1)));
    assert_eq!(
        s.step("go-for-migration").unwrap().decision,
        Some(Decision::Go)
    );
    let b = s.step("003_backfill_loyalty_tier").unwrap();
    assert_eq!(b.status, StepStatus::Running);
    assert_eq!(b.statement, Some(3));
    assert_eq!(b.statements_done, 2);
    assert_eq!(b.retries, 1);
    let wait = b.lock_wait.as_ref().expect("lock wait recorded");
    assert_eq!(wait.blockers[0].pid, 4242);
    assert_eq!(wait.since, at(218));
    assert_eq!(s.current_step, s.step_index("003_backfill_loyalty_tier"));
    assert_eq!(s.phases[0].duration_ms, Some(62_000));
    assert!(s.prompt.is_none());
    assert!(s.log.iter().any(|l| {
        l.text
            .contains("waits for a lock (1.2s so far), held by pid 4242")
    }));
}

#[test]
fn a_failure_keeps_the_error_and_opens_the_failure_prompt() {
    let mut feed = Feed::new();
    failed_step(lock_wait(feed.prepared().migrating()));
    let s = &feed.state;
    assert_eq!(s.overall(), Overall::WaitingFailure);
    let b = s.step("003_backfill_loyalty_tier").unwrap();
    assert_eq!(b.status, StepStatus::Failed);
    let e = b.error.as_ref().unwrap();
    assert_eq!(e.sqlstate.as_deref(), Some("23502"));
    assert_eq!(e.line, Some(70));
    assert_eq!(s.errors.len(), 1);
    assert!(
        matches!(&s.prompt, Some(Prompt::Failure { step }) if step == "003_backfill_loyalty_tier")
    );
    // A retry starts it again and closes the prompt.
    feed.at(
        240,
        Event::StepStarted {
            step: "003_backfill_loyalty_tier".into(),
            attempt: 1,
            in_transaction: Some(true),
        },
    );
    let s = &feed.state;
    let b = s.step("003_backfill_loyalty_tier").unwrap();
    assert_eq!(b.status, StepStatus::Running);
    assert_eq!(b.starts, 2);
    assert!(b.error.is_none());
    assert!(s.prompt.is_none());
}

#[test]
fn checks_probes_alerts_and_the_outcome() {
    let mut feed = Feed::new();
    verified(lock_wait(feed.prepared().migrating()), true);
    assert_eq!(feed.state.check_counts(), (6, 2, 1, 0));
    assert_eq!(
        feed.state.failed_critical,
        vec![
            "two-tiers-in-use".to_owned(),
            "revenue-plausible".to_owned()
        ]
    );
    let c = feed
        .state
        .step("revenue-plausible")
        .unwrap()
        .check
        .clone()
        .unwrap();
    assert!(!c.passed);
    assert_eq!(c.actual, "812");
    assert_eq!(c.expected, "between 50 and 500");
    feed.gate(
        280,
        "go-live",
        &GATE2,
        &["two-tiers-in-use", "revenue-plausible"],
    );
    assert_eq!(feed.state.overall(), Overall::WaitingGate);
    feed.at(
        300,
        Event::DecisionRecorded {
            step: "go-live".into(),
            decision: Decision::Go,
            operator: "alice".into(),
            comment: Some("known data drift".into()),
            answers: Vec::new(),
            overrode_failed_checks: vec!["two-tiers-in-use".into(), "revenue-plausible".into()],
            restored: false,
        },
    );
    assert!(feed.state.failed_critical.is_empty());
    feed.phase_done(301, "verify", 33_000).phase(301, "watch");
    for k in 0..4 {
        feed.at(
            301 + 5 * k,
            Event::ProbeSample {
                step: "lock-waits".into(),
                value: Some(Scalar::Int(k)),
                alert: k > 0,
            },
        );
    }
    feed.at(
        306,
        Event::Alert {
            step: "lock-waits".into(),
            value: "1".into(),
            threshold: "> 0".into(),
        },
    );
    assert_eq!(feed.state.overall(), Overall::Monitoring);
    assert!(feed.state.monitoring_active());
    let probe = &feed.state.probes[1];
    assert_eq!(probe.samples.len(), 4);
    assert_eq!(probe.latest.as_deref(), Some("3"));
    assert_eq!(probe.alerts, 1);
    assert_eq!(feed.state.alerts.len(), 1);
    feed.at(
        330,
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    );
    assert_eq!(feed.state.overall(), Overall::Finished(Outcome::Succeeded));
    assert!(!feed.state.is_active());
}

#[test]
fn rollback_marks_steps_rolled_back() {
    let mut feed = Feed::new();
    failed_step(lock_wait(feed.prepared().migrating()));
    feed.at(
        235,
        Event::RollbackStarted {
            steps: vec![
                "001_add_loyalty_tier".into(),
                "002_index_orders_customer".into(),
            ],
        },
    )
    .at(
        236,
        Event::RollbackStep {
            step: "002_index_orders_customer".into(),
            ok: true,
            error: None,
        },
    )
    .at(
        237,
        Event::RollbackStep {
            step: "001_add_loyalty_tier".into(),
            ok: true,
            error: None,
        },
    );
    assert_eq!(feed.state.overall(), Overall::RollingBack);
    assert_eq!(
        feed.state.step("001_add_loyalty_tier").unwrap().status,
        StepStatus::RolledBack
    );
    feed.at(
        238,
        Event::RunFinished {
            outcome: Outcome::RolledBack,
            message: None,
        },
    );
    assert_eq!(feed.state.overall(), Overall::Finished(Outcome::RolledBack));
}

#[test]
fn the_log_keeps_every_event() {
    let mut feed = Feed::new();
    feed.prepared();
    let statement_finished = feed.seq as usize;
    assert_eq!(feed.state.log.len(), statement_finished);
    assert!(
        feed.state.log[0]
            .text
            .contains("starting run shop-20250301T220000.000Z")
    );
    assert!(
        feed.state
            .log
            .iter()
            .any(|l| l.text.starts_with("DECISION go-for-migration: GO by alice"))
    );
}

// ---------------------------------------------------------------------------------------
// Keys: a single keypress never passes a gate

fn at_gate(failed: &[&str]) -> (Feed, ViewState) {
    let mut feed = Feed::new();
    verified(lock_wait(feed.prepared().migrating()), !failed.is_empty());
    feed.gate(280, "go-live", &GATE2, failed);
    let mut v = view(at(290));
    v.sync(&feed.state);
    (feed, v)
}

fn tick_all(state: &UiState, v: &mut ViewState) {
    for _ in 0..3 {
        assert_eq!(press(state, v, key(' ')), None);
    }
}

#[test]
fn no_single_key_passes_a_gate() {
    let (feed, _) = at_gate(&[]);
    // Every key on the keyboard, alone, from a fresh gate: no decision comes out.
    let mut keys: Vec<KeyEvent> = (' '..='~').map(key).collect();
    keys.extend(
        [
            KeyCode::Enter,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Esc,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Backspace,
        ]
        .map(code),
    );
    for k in &keys {
        let mut v = view(at(290));
        let out = press(&feed.state, &mut v, *k);
        assert!(
            !matches!(out, Some(Command::Decide { .. })),
            "{k:?} alone decided the gate"
        );
        assert!(
            matches!(out, None | Some(Command::Pause)),
            "{k:?} alone sent {out:?}"
        );
    }
    // Even with every question ticked, no single key decides.
    for k in &keys {
        let mut v = view(at(290));
        tick_all(&feed.state, &mut v);
        let out = press(&feed.state, &mut v, *k);
        assert!(
            !matches!(out, Some(Command::Decide { .. })),
            "{k:?} alone decided a ticked gate"
        );
    }
}

#[test]
fn go_without_ticks_does_nothing() {
    let (feed, mut v) = at_gate(&[]);
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    let m = v.modal.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Browse);
    assert!(m.message.as_deref().unwrap().contains("3 not ticked"));
    // y after a refused g sends nothing either.
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    // Two ticked of three is still not enough.
    press(&feed.state, &mut v, key(' '));
    press(&feed.state, &mut v, key(' '));
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    assert!(
        v.modal
            .as_ref()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("1 not ticked")
    );
}

#[test]
fn go_then_confirm_after_ticking_sends_go_with_every_answer() {
    let (feed, mut v) = at_gate(&[]);
    tick_all(&feed.state, &mut v);
    assert_eq!(press(&feed.state, &mut v, key('c')), None);
    for ch in "checkout v2 is live".chars() {
        assert_eq!(press(&feed.state, &mut v, key(ch)), None);
    }
    assert_eq!(press(&feed.state, &mut v, code(KeyCode::Enter)), None);
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    assert_eq!(
        v.modal.as_ref().unwrap().stage,
        Stage::Confirm(cutover::tui::keys::Action::Go {
            override_checks: false
        })
    );
    let sent = press(&feed.state, &mut v, key('y'));
    assert_eq!(
        sent,
        Some(Command::Decide {
            step: "go-live".into(),
            decision: Decision::Go,
            operator: "alice".into(),
            comment: Some("checkout v2 is live".into()),
            answers: GATE2.iter().map(|q| ((*q).to_owned(), true)).collect(),
            override_failed_checks: false,
        })
    );
    // Nothing more until the engine answers.
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
}

#[test]
fn any_other_key_cancels_the_confirmation() {
    let (feed, mut v) = at_gate(&[]);
    tick_all(&feed.state, &mut v);
    press(&feed.state, &mut v, key('g'));
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    assert_eq!(v.modal.as_ref().unwrap().stage, Stage::Browse);
    assert_eq!(press(&feed.state, &mut v, code(KeyCode::Enter)), None);
    // Enter unticked the focused (last) question; the go is refused again.
    press(&feed.state, &mut v, key('g'));
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
}

#[test]
fn failed_critical_checks_need_the_override_path() {
    let (feed, mut v) = at_gate(&["two-tiers-in-use", "revenue-plausible"]);
    tick_all(&feed.state, &mut v);
    // A plain go is refused, and y after it sends nothing.
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    assert!(
        v.modal
            .as_ref()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("override")
    );
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    // O without a reason: refused, and y after it sends nothing.
    assert_eq!(press(&feed.state, &mut v, key('O')), None);
    let said = v
        .modal
        .as_ref()
        .and_then(|m| m.message.clone())
        .unwrap_or_default();
    assert!(said.contains("needs a reason"), "{said}");
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    // The reason typed (c, text, Enter), then O and y: a go with the override and its reason.
    assert_eq!(press(&feed.state, &mut v, key('c')), None);
    for ch in "tiers verified by hand".chars() {
        press(&feed.state, &mut v, key(ch));
    }
    assert_eq!(press(&feed.state, &mut v, code(KeyCode::Enter)), None);
    assert_eq!(press(&feed.state, &mut v, key('O')), None);
    let sent = press(&feed.state, &mut v, key('y'));
    match sent {
        Some(Command::Decide {
            decision: Decision::Go,
            override_failed_checks: true,
            answers,
            comment,
            ..
        }) => {
            assert!(answers.iter().all(|(_, yes)| *yes));
            assert_eq!(comment.as_deref(), Some("tiers verified by hand"));
        }
        other => panic!("expected an override go, got {other:?}"),
    }
}

/// Before choosing, the operator reads what a rollback would undo and leave applied — in
/// the gate beside the forecast, and at a failed step — as the engine said it.
#[test]
fn a_gate_and_a_failed_step_say_what_a_rollback_would_undo() {
    let outlook = || Event::RollbackOutlook {
        undoes: vec!["b".into(), "a".into()],
        left_applied: vec![cutover::events::KeptApplied {
            step: "s".into(),
            reason: "no rollback SQL".into(),
        }],
        expected_ms: None,
        fits: None,
    };
    let words = "undoes b, a (newest first); leaves applied s (no rollback SQL)";
    let (mut feed, v) = at_gate(&[]);
    let shown = screen(&feed.state, &v, 160, 48);
    assert!(
        !shown.contains(words),
        "said before the engine said it: {shown}"
    );
    feed.at(280, outlook());
    let shown = screen(&feed.state, &v, 160, 48);
    assert!(
        shown
            .lines()
            .any(|l| l.contains(&format!("rollback {words}"))),
        "{shown}"
    );

    let said = format!("a rollback now {words}");
    let rows_saying = |text: &str| text.lines().filter(|l| l.contains(&said)).count();
    let mut feed = Feed::new();
    failed_step(lock_wait(feed.prepared().migrating()));
    let without = rows_saying(&screen(&feed.state, &view(at(232)), 160, 48));
    feed.at(230, outlook());
    let shown = screen(&feed.state, &view(at(232)), 160, 48);
    assert!(rows_saying(&shown) > without, "{shown}");
    assert!(
        shown.lines().any(|l| l.contains(&said) && l.contains("│ ")),
        "{shown}"
    );
}

/// The step detail lists a step's preconditions, and once one is asked, what came back.
#[test]
fn the_step_detail_shows_preconditions_and_their_answers() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let mut v = view(at(221));
    v.panel = Panel::Detail;
    v.selected = feed.state.step_index("005_drop_customer_fax");
    let wanted = "requires SELECT count(*) FROM fax_outbox → = 0 (else halts)";
    let shown = screen(&feed.state, &v, 200, 60);
    assert!(shown.contains(wanted), "{shown}");
    assert!(!shown.contains("DOES NOT HOLD"), "{shown}");
    feed.at(
        222,
        Event::PreconditionChecked {
            step: "005_drop_customer_fax".into(),
            index: 1,
            passed: false,
            actual: "2".into(),
            expected: eq(0),
            on_fail: cutover::runbook::OnFail::Halt,
            duration_ms: 3,
        },
    );
    let shown = screen(&feed.state, &v, 200, 60);
    assert!(shown.contains(&format!("{wanted} · got 2 →")), "{shown}");
    assert!(shown.contains("DOES NOT HOLD"), "{shown}");
}

#[test]
fn override_without_failed_checks_or_ticks_is_refused() {
    let (feed, mut v) = at_gate(&[]);
    tick_all(&feed.state, &mut v);
    assert_eq!(press(&feed.state, &mut v, key('O')), None);
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    let (feed, mut v) = at_gate(&["revenue-plausible"]);
    assert_eq!(press(&feed.state, &mut v, key('O')), None);
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
}

#[test]
fn no_go_offers_abort_or_rollback_each_confirmed() {
    let (feed, mut v) = at_gate(&[]);
    press(&feed.state, &mut v, key(' '));
    assert_eq!(press(&feed.state, &mut v, key('n')), None);
    assert_eq!(press(&feed.state, &mut v, key('b')), None);
    match press(&feed.state, &mut v, key('y')) {
        Some(Command::Decide {
            decision: Decision::Rollback,
            answers,
            override_failed_checks: false,
            ..
        }) => {
            // The answers as ticked.
            assert_eq!(answers.iter().filter(|(_, yes)| *yes).count(), 1);
        }
        other => panic!("expected a rollback no-go, got {other:?}"),
    }
    let (feed, mut v) = at_gate(&[]);
    press(&feed.state, &mut v, key('n'));
    press(&feed.state, &mut v, key('a'));
    assert!(matches!(
        press(&feed.state, &mut v, key('y')),
        Some(Command::Decide {
            decision: Decision::Abort,
            ..
        })
    ));
    // n then anything else: back to browsing, nothing sent.
    let (feed, mut v) = at_gate(&[]);
    press(&feed.state, &mut v, key('n'));
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    assert_eq!(v.modal.as_ref().unwrap().stage, Stage::Browse);
}

#[test]
fn a_rejected_decision_reopens_the_gate() {
    let (mut feed, mut v) = at_gate(&[]);
    tick_all(&feed.state, &mut v);
    press(&feed.state, &mut v, key('g'));
    assert!(press(&feed.state, &mut v, key('y')).is_some());
    feed.at(
        291,
        Event::DecisionRejected {
            step: "go-live".into(),
            reason: "critical checks failed".into(),
        },
    );
    v.sync(&feed.state);
    let m = v.modal.as_ref().unwrap();
    assert_eq!(m.stage, Stage::Browse);
    assert!(m.message.as_deref().unwrap().contains("rejected"));
}

#[test]
fn manual_steps_and_failures_take_two_keys() {
    let mut feed = Feed::new();
    feed.started().phase(0, "prepare").at(
        5,
        Event::ManualWaiting {
            step: "announce-window".into(),
            prompt: "Post in #shop-ops.".into(),
        },
    );
    let mut v = view(at(6));
    assert_eq!(press(&feed.state, &mut v, key('a')), None);
    assert_eq!(
        press(&feed.state, &mut v, key('y')),
        Some(Command::Acknowledge {
            step: "announce-window".into(),
            operator: "alice".into(),
            note: None,
        })
    );

    let mut feed = Feed::new();
    failed_step(lock_wait(feed.prepared().migrating()));
    for (k, want) in [
        ('r', Command::Retry),
        ('b', Command::Rollback),
        ('a', Command::Abort),
    ] {
        let mut v = view(at(231));
        assert_eq!(press(&feed.state, &mut v, key(k)), None);
        assert_eq!(press(&feed.state, &mut v, key('y')), Some(want));
        let mut v = view(at(231));
        assert_eq!(press(&feed.state, &mut v, key(k)), None);
        assert_eq!(press(&feed.state, &mut v, key('n')), None);
    }
}

#[test]
fn run_wide_actions_are_confirmed() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let s = &feed.state;
    let mut v = view(at(220));
    // Pause is harmless (resumable) and immediate.
    assert_eq!(press(s, &mut v, key('p')), Some(Command::Pause));
    // Cancel, abort: each needs y.
    assert_eq!(press(s, &mut v, key('x')), None);
    assert_eq!(press(s, &mut v, key('y')), Some(Command::CancelStatement));
    assert_eq!(press(s, &mut v, key('A')), None);
    assert_eq!(press(s, &mut v, key('n')), None);
    assert_eq!(press(s, &mut v, key('A')), None);
    assert_eq!(press(s, &mut v, key('y')), Some(Command::Abort));
    // No monitoring phase: E does nothing.
    assert_eq!(press(s, &mut v, key('E')), None);
    assert_eq!(press(s, &mut v, key('y')), None);
    // Quitting an active run asks, then pauses and leaves when the engine stops.
    assert_eq!(press(s, &mut v, key('q')), None);
    assert!(!v.quit);
    assert_eq!(press(s, &mut v, key('y')), Some(Command::Pause));
    assert!(v.leave_when_stopped);
    // Ctrl-C cancels at once.
    let mut v = view(at(220));
    assert!(matches!(
        press(
            s,
            &mut v,
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        ),
        Some(Command::Cancel { .. })
    ));
}

#[test]
fn end_monitoring_early_and_quit_after_the_run() {
    let mut feed = Feed::new();
    verified(lock_wait(feed.prepared().migrating()), false);
    feed.gate(280, "go-live", &GATE2, &[])
        .go(290, "go-live")
        .phase_done(291, "verify", 23_000)
        .phase(291, "watch");
    let mut v = view(at(300));
    assert_eq!(press(&feed.state, &mut v, key('E')), None);
    assert_eq!(
        press(&feed.state, &mut v, key('y')),
        Some(Command::EndPhase)
    );
    feed.at(
        310,
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    );
    let mut v = view(at(311));
    assert_eq!(press(&feed.state, &mut v, key('q')), None);
    assert!(v.quit, "q leaves at once when the run is over");
}

#[test]
fn navigation_selects_steps_and_scrolls_the_log() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let s = &feed.state;
    let mut v = view(at(220));
    press(s, &mut v, key('2'));
    assert_eq!(v.panel, Panel::Graph);
    press(s, &mut v, code(KeyCode::Up));
    press(s, &mut v, code(KeyCode::Enter));
    assert_eq!(v.panel, Panel::Detail);
    assert!(v.selected.is_some());
    assert_ne!(v.selected, s.step_index("003_backfill_loyalty_tier"));
    press(s, &mut v, code(KeyCode::Esc));
    assert_eq!(v.detail_step(s), s.step_index("003_backfill_loyalty_tier"));
    press(s, &mut v, key('5'));
    press(s, &mut v, code(KeyCode::PageUp));
    assert_eq!(v.log_scroll, 10);
    press(s, &mut v, code(KeyCode::End));
    assert_eq!(v.log_scroll, 0);
    press(s, &mut v, code(KeyCode::Tab));
    assert_eq!(v.panel, Panel::Detail);
    press(s, &mut v, code(KeyCode::Tab));
    assert_eq!(v.panel, Panel::Timeline);
}

// ---------------------------------------------------------------------------------------
// Screens

#[test]
fn snapshot_plan_loaded() {
    let feed = Feed::new();
    snap("plan_loaded", &feed.state, &view(at(-120)));
}

#[test]
fn snapshot_migration_running_with_a_lock_wait() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let mut v = view(at(221));
    v.panel = Panel::Detail;
    snap("lock_wait", &feed.state, &v);
}

#[test]
fn snapshot_gate_open() {
    let (feed, mut v) = at_gate(&[]);
    press(&feed.state, &mut v, key(' '));
    snap("gate_open", &feed.state, &v);
}

#[test]
fn snapshot_gate_with_failed_critical_checks() {
    let (feed, mut v) = at_gate(&["two-tiers-in-use", "revenue-plausible"]);
    tick_all(&feed.state, &mut v);
    press(&feed.state, &mut v, key('g'));
    snap("gate_failed_checks", &feed.state, &v);
}

#[test]
fn snapshot_failed_step() {
    let mut feed = Feed::new();
    failed_step(lock_wait(feed.prepared().migrating()));
    let v = view(at(232));
    snap("failed_step", &feed.state, &v);
    // With the prompt hidden, the step panel shows the error and the failing statement.
    let mut v = view(at(232));
    v.panel = Panel::Detail;
    v.sync(&feed.state);
    press(&feed.state, &mut v, code(KeyCode::Esc));
    snap("failed_step_detail", &feed.state, &v);
}

#[test]
fn snapshot_verification_grid_with_failures() {
    let mut feed = Feed::new();
    verified(lock_wait(feed.prepared().migrating()), true);
    let mut v = view(at(276));
    v.panel = Panel::Checks;
    v.check_cursor = feed
        .state
        .checks
        .iter()
        .position(|&i| feed.state.steps[i].id == "revenue-plausible")
        .unwrap();
    snap("verification_failures", &feed.state, &v);
}

#[test]
fn snapshot_run_finished() {
    let mut feed = Feed::new();
    verified(lock_wait(feed.prepared().migrating()), false);
    feed.gate(280, "go-live", &GATE2, &[])
        .go(290, "go-live")
        .phase_done(291, "verify", 23_000)
        .phase(291, "watch")
        .at(
            291,
            Event::ManualWaiting {
                step: "watch-dashboards".into(),
                prompt: "Watch the checkout dashboards until the phase ends.".into(),
            },
        );
    for k in 0..12i64 {
        let t = 291 + 5 * k;
        feed.at(
            t,
            Event::ProbeSample {
                step: "active-sessions".into(),
                value: Some(Scalar::Int(20 + (k * 7) % 15)),
                alert: false,
            },
        )
        .at(
            t,
            Event::ProbeSample {
                step: "lock-waits".into(),
                value: Some(Scalar::Int(if k == 6 { 2 } else { 0 })),
                alert: k == 6,
            },
        );
        if k == 6 {
            feed.at(
                t,
                Event::Alert {
                    step: "lock-waits".into(),
                    value: "2".into(),
                    threshold: "> 0".into(),
                },
            );
        }
    }
    feed.at(
        350,
        Event::ManualAcknowledged {
            step: "watch-dashboards".into(),
            operator: "alice".into(),
            note: None,
        },
    )
    .phase_done(352, "watch", 61_000)
    .at(
        352,
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    );
    let v = view(at(360));
    snap("run_finished", &feed.state, &v);
    let mut v = view(at(360));
    v.panel = Panel::Monitor;
    let text = screen(&feed.state, &v, 80, 24);
    insta::assert_snapshot!("run_finished_monitoring_80x24", text);
}

/// The colour of the header's "… left" (remaining window) text.
fn window_colour(state: &UiState, now: DateTime<Utc>) -> ratatui::style::Color {
    let mut v = view(now);
    v.sync(state);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    terminal.draw(|f| draw(f, state, &v)).unwrap();
    let buffer = terminal.backend().buffer();
    let row: Vec<String> = (0..160)
        .map(|x| buffer[(x, 1)].symbol().to_owned())
        .collect();
    let text: String = row.concat();
    let at = text.find("left").expect("the header says how much is left");
    let x = text[..at].chars().count() as u16;
    buffer[(x, 1)].fg
}

#[test]
fn the_window_turns_amber_near_the_hard_end_and_red_past_it() {
    use ratatui::style::Color;
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    // About 5m43s of expected work is left (including the 5m monitoring phase).
    let left = feed.state.outlook(at(23 * 60)).remaining;
    assert!(left > std::time::Duration::from_secs(5 * 60), "{left:?}");
    assert_eq!(window_colour(&feed.state, at(221)), Color::Green);
    // Projected end within 10% (3 minutes) of the 22:30 hard end: amber.
    assert_eq!(window_colour(&feed.state, at(23 * 60)), Color::Yellow);
    // Projected past the hard end: red.
    assert_eq!(window_colour(&feed.state, at(26 * 60)), Color::Red);
}

/// At a gate the forecast goes by the run's pace: work that ran 8× slower than expected
/// stretches the rest of the machine's work 8×, which runs the window past its hard end — a
/// no-go said in the gate itself and marked in the header. At the expected pace, a go.
#[test]
fn the_gate_forecasts_the_window_at_the_runs_pace() {
    let gate_after_seed_took = |secs: i64| {
        let mut feed = Feed::new();
        feed.started()
            .phase(0, "prepare")
            .step_ok(1, "000_seed", secs)
            .gate(41, "go-for-migration", &GATE1, &[]);
        let mut v = view(at(42));
        v.sync(&feed.state);
        screen(&feed.state, &v, 160, 48)
    };
    // 24 s against the 3 s expected.
    let slow = gate_after_seed_took(24);
    assert!(slow.contains("window  end 22:3"), "{slow}");
    assert!(slow.contains(" at 8.0× · "), "{slow}");
    assert!(slow.contains(" OVER · forecast: NO-GO"), "{slow}");
    assert!(slow.contains(" at 8.0× / hard end 22:30:00"), "{slow}");
    let on_time = gate_after_seed_took(3);
    assert!(
        on_time.contains("window  end 22:09:58 · 20m02s to spare · forecast: go"),
        "{on_time}"
    );
    assert!(!on_time.contains(" at 1.0×"), "{on_time}");
}

/// The first `n` rows and the last row of an 80x24 screen.
fn header_and_footer(state: &UiState, v: &ViewState) -> (String, String) {
    let text = screen(state, v, 80, 24);
    let rows: Vec<&str> = text.lines().collect();
    (rows[..2].join("\n"), rows[rows.len() - 1].to_owned())
}

#[test]
fn at_80x24_the_header_and_footer_keep_what_matters() {
    // Running, with a statement waiting on a lock.
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let (header, footer) = header_and_footer(&feed.state, &view(at(221)));
    for want in [
        "Shop", "/shop", "app@", "PG 16.4", "alice", "RUNNING", "left", "22:03:41",
    ] {
        assert!(header.contains(want), "{want:?} missing from\n{header}");
    }
    assert!(!header.contains("scratch"), "{header}");
    for want in ["? help", "q quit", "p pause", "A abort"] {
        assert!(footer.contains(want), "{want:?} missing from\n{footer}");
    }

    // At a gate with failed critical checks: the override key is in the footer too.
    let (feed, v) = at_gate(&["two-tiers-in-use"]);
    let (header, footer) = header_and_footer(&feed.state, &v);
    for want in [
        "/shop",
        "PG 16.4",
        "operator alice",
        "GATE: DECISION NEEDED",
        "left",
    ] {
        assert!(header.contains(want), "{want:?} missing from\n{header}");
    }
    for want in ["O go overriding", "n no-go", "? help", "q quit"] {
        assert!(footer.contains(want), "{want:?} missing from\n{footer}");
    }

    // Monitoring: E ends the phase early.
    let mut feed = Feed::new();
    verified(lock_wait(feed.prepared().migrating()), false);
    feed.gate(280, "go-live", &GATE2, &[])
        .go(290, "go-live")
        .phase_done(291, "verify", 23_000)
        .phase(291, "watch");
    assert!(feed.state.monitoring_active());
    let mut v = view(at(300));
    v.sync(&feed.state);
    let (header, footer) = header_and_footer(&feed.state, &v);
    assert!(header.contains("MONITORING"), "{header}");
    for want in ["E end", "? help", "q quit"] {
        assert!(footer.contains(want), "{want:?} missing from\n{footer}");
    }

    // A real target (no scheme, an unusual port, a long database name), a long server
    // version and operator name, and a long title: the host gives way, not the database.
    let mut feed = Feed::new();
    feed.at(
        0,
        Event::RunStarted {
            run_id: "demo-20250301T220000.000Z".into(),
            runbook: "demo".into(),
            title: "Demo shop — loyalty tiers and order events (2025-03-01)".into(),
            checksum: "abc".into(),
            operator: "e2e-tester".into(),
            target: "cutover@pg-primary.eu-west-1.internal:37613/t_e2e_nogo_123456_0".into(),
            server_version: "15.18 (Debian 15.18-1.pgdg120+1)".into(),
            cutover_version: "0.1.0".into(),
            resumed: true,
            hard_end: "2025-03-01T22:30:00+00:00".into(),
            plan: None,
        },
    );
    let (header, footer) = header_and_footer(&feed.state, &view(at(30)));
    for want in [
        "Demo shop",
        "cutover@",
        "/t_e2e_nogo_123456_0",
        "PG 15.18",
        "e2e-tester",
        "left",
    ] {
        assert!(header.contains(want), "{want:?} missing from\n{header}");
    }
    for want in ["? help", "q quit"] {
        assert!(footer.contains(want), "{want:?} missing from\n{footer}");
    }

    // A finished run: how long it ran and how much window was left.
    let mut feed = Feed::new();
    feed.started().at(
        300,
        Event::RunFinished {
            outcome: Outcome::Halted,
            message: Some("paused by the operator".into()),
        },
    );
    let (header, footer) = header_and_footer(&feed.state, &view(at(360)));
    for want in [
        "/shop",
        "PG 16.4",
        "operator alice",
        "HALTED",
        "ran 5m00s",
        "25m00s to spare",
    ] {
        assert!(header.contains(want), "{want:?} missing from\n{header}");
    }
    for want in ["run finished", "? help", "q quit"] {
        assert!(footer.contains(want), "{want:?} missing from\n{footer}");
    }
}

/// At 160 columns nothing needs to give way: the full title, the URL, the run.
#[test]
fn at_160x48_the_header_uses_the_room() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let text = screen(&feed.state, &view(at(221)), 160, 48);
    let rows: Vec<&str> = text.lines().collect();
    let header = rows[..2].join("\n");
    for want in [
        "Shop — loyalty tiers and order events",
        "postgres://app@db.internal:5432/shop",
        "PostgreSQL 16.4",
        "operator alice",
        "run shop-20250301T220000.000Z",
        "22:03:41 UTC",
        "migrate › 003_backfill_loyalty_tier",
        "window +3m41s",
        "projected end",
        "hard end 22:30:00",
    ] {
        assert!(header.contains(want), "{want:?} missing from\n{header}");
    }
    let footer = rows[rows.len() - 1];
    for want in [
        "Tab/1-6 panel",
        "x cancel stmt",
        "A abort",
        "q quit",
        "? help",
    ] {
        assert!(footer.contains(want), "{want:?} missing from\n{footer}");
    }
}

// ---------------------------------------------------------------------------------------
// Resuming: the journal's story on screen before anything runs again

const JOURNAL: &str = "runs/shop-20250301T220000Z.jsonl";
const RUN_ID: &str = "shop-20250301T220000.000Z";

/// Attempt 1: prepared (manual step acknowledged, gate passed), then interrupted (Ctrl-C)
/// during 003's second statement.
fn interrupted_run() -> Feed {
    let mut feed = Feed::new();
    feed.prepared().migrating();
    feed.at(
        205,
        Event::Cancelled {
            reason: "interrupted (Ctrl-C)".into(),
        },
    )
    .at(
        205,
        Event::RunFinished {
            outcome: Outcome::Interrupted,
            message: Some("interrupted (Ctrl-C)".into()),
        },
    );
    feed
}

/// Attempt 1 stopped by SIGTERM while waiting at the first gate.
fn halted_at_gate() -> Feed {
    let mut feed = Feed::new();
    feed.started()
        .phase(0, "prepare")
        .step_ok(1, "000_seed", 2)
        .check(4, "customers-seeded", true, "5", ge(3), Severity::Critical)
        .at(
            5,
            Event::ManualWaiting {
                step: "announce-window".into(),
                prompt: "Post in #shop-ops that the window starts now.".into(),
            },
        )
        .at(
            40,
            Event::ManualAcknowledged {
                step: "announce-window".into(),
                operator: "alice".into(),
                note: None,
            },
        )
        .gate(41, "go-for-migration", &GATE1, &[])
        .at(
            95,
            Event::Cancelled {
                reason: "terminated (SIGTERM)".into(),
            },
        )
        .at(
            95,
            Event::RunFinished {
                outcome: Outcome::Interrupted,
                message: Some("terminated (SIGTERM)".into()),
            },
        );
    feed
}

/// What `cutover run --resume` shows: a fresh state (another operator, later) with the
/// journal replayed into it.
fn restored(feed: &Feed) -> Feed {
    let (runbook, plan) = fixture();
    let mut state = UiState::new(&runbook, &plan, "bob");
    state.restore(&feed.entries, Some(JOURNAL), 0);
    Feed {
        state,
        seq: feed.seq,
        entries: Vec::new(),
    }
}

fn resuming(now: DateTime<Utc>) -> ViewState {
    let mut v = view(now);
    v.resume = Some(ResumeView::default());
    v
}

fn ids(state: &UiState, steps: &[usize]) -> Vec<String> {
    steps.iter().map(|&i| state.steps[i].id.clone()).collect()
}

#[test]
fn restoring_a_journal_rebuilds_the_run_and_summarises_it() {
    let journal = interrupted_run();
    let feed = restored(&journal);
    let s = &feed.state;
    assert_eq!(s.overall(), Overall::Finished(Outcome::Interrupted));
    assert!(s.prompt.is_none(), "no prompt: nothing can be answered yet");
    let seed = s.step("000_seed").unwrap();
    assert_eq!(
        (seed.status, seed.started, seed.duration_ms),
        (StepStatus::Done, Some(at(1)), Some(2000))
    );
    assert_eq!(
        s.step("003_backfill_loyalty_tier").unwrap().status,
        StepStatus::Interrupted
    );
    assert_eq!(s.current_step, s.step_index("003_backfill_loyalty_tier"));

    let r = s.restored.as_ref().expect("a resume summary");
    assert_eq!(r.run_id.as_deref(), Some(RUN_ID));
    assert_eq!(r.journal.as_deref(), Some(JOURNAL));
    assert_eq!(
        (r.attempts, r.events, r.unreadable),
        (1, journal.entries.len(), 0)
    );
    assert_eq!((r.first_ts, r.last_ts), (Some(at(0)), Some(at(205))));
    assert!(!r.unfinished);
    assert_eq!(
        r.outcome,
        Some((Outcome::Interrupted, Some("interrupted (Ctrl-C)".into())))
    );
    assert_eq!(
        r.stop,
        Some(StopPoint {
            step: "003_backfill_loyalty_tier".into(),
            kind: StopKind::Running {
                statement: Some((2, 3)),
                in_transaction: Some(true),
            },
        })
    );
    assert_eq!(
        ids(s, &r.done),
        [
            "000_seed",
            "customers-seeded",
            "announce-window",
            "001_add_loyalty_tier",
            "002_index_orders_customer"
        ]
    );
    assert!(r.skipped.is_empty() && r.failed.is_empty() && r.rolled_back.is_empty());
    assert_eq!(r.next, s.step_index("003_backfill_loyalty_tier"));
    assert_eq!(
        r.to_run, 13,
        "21 steps, 2 probes, 5 done and one gate passed"
    );
    let decisions: Vec<(String, Option<Decision>, String, DateTime<Utc>)> = r
        .decisions
        .iter()
        .map(|d| (d.step.clone(), d.decision, d.operator.clone(), d.ts))
        .collect();
    assert_eq!(
        decisions,
        [
            (
                "announce-window".to_owned(),
                None,
                "alice".to_owned(),
                at(40)
            ),
            (
                "go-for-migration".to_owned(),
                Some(Decision::Go),
                "alice".to_owned(),
                at(60)
            ),
        ]
    );
}

#[test]
fn where_a_run_stopped_at_a_gate_and_without_a_finish() {
    // Stopped by a signal at a gate: the cancel closed the prompt, the summary keeps it.
    let feed = restored(&halted_at_gate());
    let r = feed.state.restored.clone().unwrap();
    assert_eq!(
        r.stop,
        Some(StopPoint {
            step: "go-for-migration".into(),
            kind: StopKind::Gate,
        })
    );
    assert_eq!(r.decisions.len(), 1, "the manual step's acknowledgement");
    assert!(feed.state.prompt.is_none());

    // Paused at a gate (no cancel, the prompt is open when the run finishes).
    let mut journal = halted_at_gate();
    journal.entries.truncate(journal.entries.len() - 2);
    journal.at(
        95,
        Event::RunFinished {
            outcome: Outcome::Halted,
            message: Some("halted at `go-for-migration`, waiting for a decision".into()),
        },
    );
    let r = restored(&journal).state.restored.unwrap();
    assert_eq!(r.stop.map(|p| p.kind), Some(StopKind::Gate));

    // Killed mid-statement: the journal just ends. The run is closed as interrupted.
    let mut journal = Feed::new();
    journal.prepared().migrating();
    let feed = restored(&journal);
    let s = &feed.state;
    let r = s.restored.as_ref().unwrap();
    assert!(r.unfinished);
    assert!(
        matches!(&r.outcome, Some((Outcome::Interrupted, Some(m))) if m.contains("journal ends"))
    );
    assert_eq!(
        r.stop.as_ref().map(|p| p.step.as_str()),
        Some("003_backfill_loyalty_tier")
    );
    assert_eq!(
        s.step("003_backfill_loyalty_tier").unwrap().status,
        StepStatus::Interrupted
    );
    assert!(!s.is_active());
    assert!(s.log.back().unwrap().text.contains("journal ends"));
}

#[test]
fn only_the_journals_last_run_is_replayed() {
    // An earlier run (another id) in the same journal file, then the interrupted one.
    let mut older = Feed::new();
    older
        .at(
            0,
            Event::RunStarted {
                run_id: "shop-20250201T220000.000Z".into(),
                runbook: "shop".into(),
                title: "Shop".into(),
                checksum: "abc".into(),
                operator: "carol".into(),
                target: "postgres://app@db.internal:5432/shop".into(),
                server_version: "16.4".into(),
                cutover_version: "0.1.0".into(),
                resumed: false,
                hard_end: "2025-02-01T22:30:00+00:00".into(),
                plan: None,
            },
        )
        .step_ok(1, "004_create_order_events", 1)
        .at(
            3,
            Event::RunFinished {
                outcome: Outcome::Aborted,
                message: None,
            },
        );
    let mut entries = older.entries.clone();
    entries.extend(interrupted_run().entries);
    assert_eq!(
        cutover::tui::state::last_run(&entries).len(),
        interrupted_run().entries.len()
    );
    let (runbook, plan) = fixture();
    let mut state = UiState::new(&runbook, &plan, "bob");
    state.restore(&entries, None, 1);
    let r = state.restored.as_ref().unwrap();
    assert_eq!((r.attempts, r.unreadable), (1, 1));
    assert_eq!(
        state.step("004_create_order_events").unwrap().status,
        StepStatus::Pending
    );
}

#[test]
fn the_resumed_engine_merges_with_the_replayed_state() {
    let mut feed = restored(&interrupted_run());
    let replayed_log = feed.state.log.len();
    feed.state.continue_resumed();
    assert_eq!(feed.state.overall(), Overall::Connecting);
    assert!(feed.state.is_active());
    // What the engine says when it continues the run (attempt 2, ten minutes later).
    feed.at(
        600,
        Event::RunStarted {
            run_id: RUN_ID.into(),
            runbook: "shop".into(),
            title: "Shop — loyalty tiers and order events".into(),
            checksum: "abc".into(),
            operator: "bob".into(),
            target: "postgres://app@db.internal:5432/shop".into(),
            server_version: "16.4".into(),
            cutover_version: "0.1.0".into(),
            resumed: true,
            hard_end: "2025-03-01T22:30:00+00:00".into(),
            plan: None,
        },
    )
    .phase(600, "prepare")
    .at(
        600,
        Event::StepSkipped {
            step: "000_seed".into(),
            reason: "already applied".into(),
        },
    )
    .check(
        601,
        "customers-seeded",
        true,
        "5",
        ge(3),
        Severity::Critical,
    )
    .at(
        601,
        Event::StepSkipped {
            step: "announce-window".into(),
            reason: "acknowledged earlier in this run".into(),
        },
    )
    .at(
        601,
        Event::DecisionRecorded {
            step: "go-for-migration".into(),
            decision: Decision::Go,
            operator: String::new(),
            comment: Some("decision given earlier in this run stands".into()),
            answers: Vec::new(),
            overrode_failed_checks: Vec::new(),
            restored: true,
        },
    )
    .phase_done(601, "prepare", 1_000)
    .phase(601, "migrate");
    for id in ["001_add_loyalty_tier", "002_index_orders_customer"] {
        feed.at(
            601,
            Event::StepSkipped {
                step: id.into(),
                reason: "already applied".into(),
            },
        );
    }
    feed.at(
        602,
        Event::StepStarted {
            step: "003_backfill_loyalty_tier".into(),
            attempt: 1,
            in_transaction: Some(true),
        },
    );

    let s = &feed.state;
    assert_eq!(s.overall(), Overall::Running);
    assert!(s.header.resumed);
    assert_eq!(s.attempts, 2);
    // Done earlier stays done, with its own timing; skipping it now changes nothing.
    for id in [
        "000_seed",
        "announce-window",
        "001_add_loyalty_tier",
        "002_index_orders_customer",
    ] {
        let step = s.step(id).unwrap();
        assert_eq!(step.status, StepStatus::Done, "{id}");
        assert!(step.skip_reason.is_none(), "{id}");
        assert!(step.finished < Some(at(600)), "{id}");
    }
    assert_eq!(s.step("000_seed").unwrap().duration_ms, Some(2000));
    // A phase finished in the earlier attempt keeps its timing; the interrupted one restarts.
    let prepare = &s.phases[0];
    assert_eq!(
        (prepare.started, prepare.finished, prepare.duration_ms),
        (Some(at(0)), Some(at(62)), Some(62_000))
    );
    assert_eq!(
        (s.phases[1].started, s.phases[1].finished),
        (Some(at(601)), None)
    );
    assert_eq!(s.current_phase, Some(1));
    // The decision given earlier keeps who gave it and when.
    let gate = s.step("go-for-migration").unwrap();
    assert_eq!(gate.status, StepStatus::Done);
    assert_eq!(gate.decided_by.as_deref(), Some("alice"));
    assert_eq!(gate.finished, Some(at(60)));
    assert_eq!(s.decisions.len(), 2, "restored decisions are not repeated");
    let backfill = s.step("003_backfill_loyalty_tier").unwrap();
    assert_eq!((backfill.status, backfill.starts), (StepStatus::Running, 2));
    assert_eq!(backfill.first_started, Some(at(125)));

    // The log: the earlier attempt, one separator, this attempt; no line twice.
    let texts: Vec<&str> = s.log.iter().map(|l| l.text.as_str()).collect();
    let sep = format!("──── continuing run {RUN_ID} (attempt 2) ────");
    assert_eq!(texts.iter().filter(|t| **t == sep).count(), 1);
    assert_eq!(texts[replayed_log], sep);
    assert!(texts[replayed_log - 1].starts_with("run finished: interrupted"));
    assert!(texts[replayed_log + 1].starts_with("resuming run"));
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.starts_with("starting run"))
            .count(),
        1
    );
    assert!(texts.contains(
        &"DECISION go-for-migration: GO by alice at 22:01:00 (given earlier in this run; it stands)"
    ));
}

#[test]
fn resuming_waits_for_a_deliberate_enter() {
    let feed = restored(&interrupted_run());
    let s = &feed.state;
    let mut v = resuming(at(600));
    // No stray key continues the run or sends anything.
    let stray = [
        key('g'),
        key('y'),
        key(' '),
        key('x'),
        key('p'),
        key('A'),
        key('E'),
        key('n'),
        key('r'),
        key('a'),
        key('1'),
        code(KeyCode::Tab),
        code(KeyCode::Down),
        KeyEvent::new_with_kind(
            KeyCode::Enter,
            KeyModifiers::NONE,
            crossterm::event::KeyEventKind::Release,
        ),
    ];
    for k in stray {
        assert_eq!(press(s, &mut v, k), None, "{k:?}");
        assert!(v.resume.is_some(), "{k:?} must not continue the run");
        assert!(!v.quit && !v.leave_when_stopped, "{k:?}");
        assert!(v.confirm.is_none(), "{k:?}");
    }
    assert!(v.notice.as_deref().unwrap().contains("Enter continues"));
    // Esc hides the summary to look around; Enter there selects a step, nothing more.
    assert_eq!(press(s, &mut v, code(KeyCode::Esc)), None);
    assert!(v.resume.as_ref().unwrap().hidden);
    press(s, &mut v, key('2'));
    assert_eq!(v.panel, Panel::Graph);
    press(s, &mut v, code(KeyCode::Up));
    assert_eq!(press(s, &mut v, code(KeyCode::Enter)), None);
    assert_eq!(v.panel, Panel::Detail);
    assert!(v.resume.is_some());
    for k in [key('p'), key('x'), key('A'), key('E'), key('y')] {
        assert_eq!(press(s, &mut v, k), None);
        assert!(v.resume.is_some() && v.confirm.is_none());
    }
    // d brings the summary back; Enter on it continues (the caller starts the engine).
    press(s, &mut v, key('d'));
    assert!(!v.resume.as_ref().unwrap().hidden);
    assert_eq!(press(s, &mut v, code(KeyCode::Enter)), None);
    assert!(v.resume.is_none());
    assert!(!v.quit);

    // q (or Ctrl-C) leaves without starting anything.
    let mut v = resuming(at(600));
    assert_eq!(press(s, &mut v, key('q')), None);
    assert!(v.quit && v.resume.is_some());
    let mut v = resuming(at(600));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(press(s, &mut v, ctrl_c), None);
    assert!(v.quit && v.resume.is_some());
}

#[test]
fn snapshot_resume_after_an_interruption() {
    let feed = restored(&interrupted_run());
    snap("resume_interrupted", &feed.state, &resuming(at(600)));
}

#[test]
fn snapshot_resume_halted_at_a_gate() {
    let feed = restored(&halted_at_gate());
    snap("resume_at_gate", &feed.state, &resuming(at(600)));
}

// ---------------------------------------------------------------------------------------
// x: cancel only the running statement

#[test]
fn a_cancelled_statement_fails_its_step_and_asks_what_next() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let mut v = view(at(220));
    assert_eq!(press(&feed.state, &mut v, key('x')), None);
    assert!(
        v.confirm
            .unwrap()
            .question()
            .contains("retry, roll back or abort")
    );
    assert_eq!(
        press(&feed.state, &mut v, key('y')),
        Some(Command::CancelStatement)
    );
    feed.at(
        221,
        Event::StatementCancelled {
            step: "003_backfill_loyalty_tier".into(),
            reason: "cancelled by the operator".into(),
        },
    )
    .at(
        221,
        Event::StepFailed {
            step: "003_backfill_loyalty_tier".into(),
            error: SqlFailure {
                sqlstate: Some("57014".into()),
                message: "canceling statement due to user request".into(),
                statement: Some(3),
                file: Some("runbooks/shop.yaml".into()),
                line: Some(70),
                column: Some(11),
                ..SqlFailure::default()
            },
        },
    )
    .at(
        221,
        Event::AwaitingFailureDecision {
            step: "003_backfill_loyalty_tier".into(),
        },
    );
    let s = &feed.state;
    assert_eq!(s.overall(), Overall::WaitingFailure);
    assert!(s.is_active(), "only the statement was cancelled");
    assert!(s.cancelled.is_none());
    assert!(
        s.step("003_backfill_loyalty_tier")
            .unwrap()
            .statement_cancelled
    );
    // The usual failure choice follows, each confirmed.
    let mut v = view(at(222));
    assert_eq!(press(s, &mut v, key('r')), None);
    assert_eq!(press(s, &mut v, key('y')), Some(Command::Retry));
    snap("cancelled_statement", s, &view(at(222)));

    // A failure that no cancel reached is an ordinary failure.
    let mut other = Feed::new();
    failed_step(lock_wait(other.prepared().migrating()));
    assert!(
        !other
            .state
            .step("003_backfill_loyalty_tier")
            .unwrap()
            .statement_cancelled
    );
}

#[test]
fn the_gate_shows_the_servers_long_transactions_and_lock_waits() {
    let mut feed = Feed::new();
    feed.prepared().gate(41, "go-for-migration", &GATE1, &[]);
    // Before the engine has looked, the gate says nothing about the server.
    let before = screen(&feed.state, &view(at(45)), 160, 48);
    assert!(!before.contains("server "), "{before}");
    feed.at(
        42,
        Event::ServerActivity {
            step: "go-for-migration".into(),
            sessions: vec![ServerSession {
                pid: 4242,
                application_name: "nightly-report".into(),
                user: "reporting".into(),
                state: "idle in transaction".into(),
                xact_start: Some(at(41) - chrono::Duration::minutes(5)),
                query: "UPDATE orders\n   SET flag = true".into(),
                waits_for: vec![],
                blocking: 2,
            }],
        },
    );
    let text = screen(&feed.state, &view(at(45)), 160, 48);
    assert!(
        text.contains("1 session in long transactions or lock waits"),
        "{text}"
    );
    assert!(
        text.contains(
            "pid 4242 nightly-report as reporting, idle in transaction, transaction open 5m4s, blocks 2"
        ),
        "{text}"
    );
    assert!(text.contains("UPDATE orders SET flag = true"), "{text}");
    // A gate with nothing going on says so.
    feed.at(
        50,
        Event::ServerActivity {
            step: "go-for-migration".into(),
            sessions: vec![],
        },
    );
    let quiet = screen(&feed.state, &view(at(51)), 160, 48);
    assert!(
        quiet.contains("no long transactions or lock waits"),
        "{quiet}"
    );
}

#[test]
fn the_graph_of_a_40_step_runbook_follows_the_running_step_at_120x40() {
    let mut text = String::from("name: forty\nwindow:\n  budget: 4h\nphases:\n");
    for p in 0..4 {
        text.push_str(&format!(
            "  - id: phase{p}\n    kind: migration\n    budget: 30m\n    steps:\n"
        ));
        for k in 0..10 {
            let n = p * 10 + k;
            text.push_str(&format!(
                "      - migrate: m{n:02}\n        sql: CREATE TABLE t{n:02} (id int)\n        rollback: DROP TABLE t{n:02}\n"
            ));
            if k > 1 {
                // Two chains per phase: a layered graph with edges, not a list.
                text.push_str(&format!("        depends_on: [m{:02}]\n", n - 2));
            }
        }
    }
    let loaded = cutover::runbook::load_text(Path::new("forty.yaml"), &text, &|_| None);
    let runbook = loaded.runbook.expect("the generated runbook loads");
    let plan = cutover::plan::plan(&runbook);
    assert!(!plan.has_errors(), "{:?}", plan.diagnostics);
    let mut state = UiState::new(&runbook, &plan, "alice");
    let mut seq = 0;
    let mut feed = |secs: i64, event: Event| {
        seq += 1;
        state.apply(&Entry {
            ts: at(secs),
            seq,
            event,
        });
    };
    feed(
        0,
        Event::PhaseStarted {
            phase: "phase3".into(),
        },
    );
    feed(
        1,
        Event::StepStarted {
            step: "m35".into(),
            attempt: 1,
            in_transaction: Some(true),
        },
    );
    let mut v = view(at(2));
    v.panel = Panel::Graph;
    let text = screen(&state, &v, 120, 40);
    // Far down the graph, the running step is in view, with its neighbours whole.
    for id in ["m33", "m35", "m37"] {
        assert!(text.contains(id), "{id} not in view:\n{text}");
    }
    assert!(
        !text.contains("m01 "),
        "the view did not follow the running step:\n{text}"
    );
    // Drawn as a layered graph: the running step with the edge it waited on.
    assert!(text.contains("▶ m35 ← m33"), "{text}");
}

/// The projection of the window's end is the engine's: a rehearsal's `--monitor-for`, as
/// journaled with the plan, shortens the monitoring still to come on the operator's screen too
/// (it showed the monitoring phase's whole budget, and the window as over).
#[test]
fn the_projected_end_honours_a_rehearsals_monitoring_cap() {
    let real_or_capped = |cap: Option<u64>| {
        let mut feed = Feed::new();
        feed.at(
            0,
            Event::RunStarted {
                run_id: "shop-20250301T220000.000Z".into(),
                runbook: "shop".into(),
                title: "Shop".into(),
                checksum: "abc".into(),
                operator: "alice".into(),
                target: "postgres://app@db.internal:5432/shop".into(),
                server_version: "16.4".into(),
                cutover_version: "0.1.0".into(),
                resumed: false,
                hard_end: "2025-03-01T22:30:00+00:00".into(),
                plan: Some(cutover::events::PlannedWindow {
                    window_start: "2025-03-01T22:00:00+00:00".into(),
                    window_budget_ms: 1_800_000,
                    phases: Vec::new(),
                    monitor_cap_ms: cap,
                    zone: None,
                }),
            },
        );
        feed.state.outlook(at(10)).remaining
    };
    let real = real_or_capped(None);
    let capped = real_or_capped(Some(30_000));
    assert_eq!(
        real - capped,
        std::time::Duration::from_secs(5 * 60 - 30),
        "the 5m monitoring phase counts 30s in the rehearsal"
    );
}

/// "ran" is the run's duration, not the time since the window's planned start.
#[test]
fn a_finished_run_says_how_long_it_ran_not_how_long_since_the_window_opened() {
    let mut feed = Feed::new();
    feed.at(
        600,
        Event::RunStarted {
            run_id: "shop-20250301T221000.000Z".into(),
            runbook: "shop".into(),
            title: "Shop".into(),
            checksum: "abc".into(),
            operator: "alice".into(),
            target: "postgres://app@db.internal:5432/shop".into(),
            server_version: "16.4".into(),
            cutover_version: "0.1.0".into(),
            resumed: false,
            hard_end: "2025-03-01T22:30:00+00:00".into(),
            plan: None,
        },
    )
    .at(
        900,
        Event::RunFinished {
            outcome: Outcome::Aborted,
            message: None,
        },
    );
    let text = screen(&feed.state, &view(at(960)), 160, 40);
    assert!(text.contains("ran 5m"), "{text}");
    assert!(!text.contains("ran 15m"), "{text}");
}

/// A success that overrode failed critical checks says so in the final header.
#[test]
fn a_success_with_an_override_says_so_in_the_header() {
    let (mut feed, _) = at_gate(&["two-tiers-in-use"]);
    feed.at(
        290,
        Event::DecisionRecorded {
            step: "go-live".into(),
            decision: Decision::Go,
            operator: "alice".into(),
            comment: Some("tiers verified by hand".into()),
            answers: Vec::new(),
            overrode_failed_checks: vec!["two-tiers-in-use".into()],
            restored: false,
        },
    )
    .at(
        300,
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    );
    let text = screen(&feed.state, &view(at(310)), 160, 40);
    assert!(text.contains("SUCCEEDED with 1 override"), "{text}");
}

/// Space ticks and moves on to the next question still to tick: it never lands on a ticked one,
/// where a second space would untick it unseen.
#[test]
fn space_never_lands_on_a_ticked_question() {
    let (feed, mut v) = at_gate(&[]);
    press(&feed.state, &mut v, code(KeyCode::Down));
    press(&feed.state, &mut v, key(' '));
    press(&feed.state, &mut v, code(KeyCode::Up));
    press(&feed.state, &mut v, code(KeyCode::Up));
    press(&feed.state, &mut v, key(' '));
    press(&feed.state, &mut v, key(' '));
    let ticks = v
        .modal
        .as_ref()
        .map(|m| m.ticks.clone())
        .unwrap_or_default();
    assert_eq!(ticks, [true, true, true]);
}

/// A manual step's acknowledgement can carry a note (the backup's file name): typed with `c`,
/// sent with the acknowledgement, and told in the log.
#[test]
fn a_manual_step_is_acknowledged_with_a_note() {
    let mut feed = Feed::new();
    feed.started().at(
        5,
        Event::ManualWaiting {
            step: "announce-window".into(),
            prompt: "Announce the window.".into(),
        },
    );
    let mut v = view(at(6));
    press(&feed.state, &mut v, key('c'));
    for ch in "backup-0301.dump".chars() {
        press(&feed.state, &mut v, key(ch));
    }
    press(&feed.state, &mut v, code(KeyCode::Enter));
    press(&feed.state, &mut v, key('a'));
    match press(&feed.state, &mut v, key('y')) {
        Some(Command::Acknowledge { note, .. }) => {
            assert_eq!(note.as_deref(), Some("backup-0301.dump"))
        }
        other => panic!("expected an acknowledgement, got {other:?}"),
    }
    feed.at(
        8,
        Event::ManualAcknowledged {
            step: "announce-window".into(),
            operator: "alice".into(),
            note: Some("backup-0301.dump".into()),
        },
    );
    assert!(
        feed.state.log.iter().any(|l| l
            .text
            .contains("acknowledged announce-window by alice: “backup-0301.dump”")),
        "{:?}",
        feed.state.log
    );
}

/// Fifteen checks at 160×45: every one is in the grid (cells narrow to fit, the full name on
/// select), and a failure's got/expected shows without selecting it.
#[test]
fn fifteen_checks_all_fit_the_grid_at_160x45() {
    let mut text = String::from(
        "name: many\nwindow: { budget: 1h }\nphases:\n  - id: verify\n    kind: verification\n    budget: 30m\n    steps:\n",
    );
    for n in 1..=15 {
        text.push_str(&format!(
            "      - check: c{n:02}-orders-match-the-ledger\n        sql: SELECT 1\n        expect: 1\n"
        ));
    }
    let loaded = cutover::runbook::load_text(Path::new("many.yaml"), &text, &|_| None);
    let runbook = loaded.runbook.expect("loads");
    let plan = cutover::plan::plan(&runbook);
    let mut state = UiState::new(&runbook, &plan, "alice");
    let entry = |seq: u64, event: Event| Entry {
        ts: at(seq as i64),
        seq,
        event,
    };
    state.apply(&entry(
        1,
        Event::CheckResult {
            step: "c09-orders-match-the-ledger".into(),
            passed: false,
            actual: "0".into(),
            expected: eq(1),
            severity: Severity::Critical,
            duration_ms: 3,
        },
    ));
    let mut v = view(at(5));
    v.panel = Panel::Checks;
    let screen = screen(&state, &v, 160, 45);
    for n in 1..=15 {
        let id = format!("c{n:02}");
        assert!(
            screen.matches(&id).count() >= 2,
            "{id} is not in the grid (only in the graph):\n{screen}"
        );
    }
    assert!(
        screen.contains("c09-orders-match-the-ledger: got 0, expected"),
        "{screen}"
    );
}

/// Times are shown in the runbook's window zone (its `window.start`), the header saying which.
#[test]
fn the_screen_shows_times_in_the_windows_zone() {
    let text = RUNBOOK.replace(
        "start: 2025-03-01T22:00:00Z",
        "start: 2025-03-01T23:00:00+01:00",
    );
    let loaded = cutover::runbook::load_text(Path::new("runbooks/shop.yaml"), &text, &|_| None);
    let runbook = loaded.runbook.expect("loads");
    let plan = cutover::plan::plan(&runbook);
    let state = UiState::new(&runbook, &plan, "alice");
    let screen = screen(&state, &view(at(5)), 160, 48);
    assert!(screen.contains("23:00:05 +01:00"), "{screen}");
    assert!(!screen.contains("22:00:05"), "{screen}");
}

/// `--tz`: the operator's zone instead of the window's.
#[test]
fn the_operators_zone_replaces_the_windows() {
    let (mut runbook, plan) = fixture();
    runbook.window.zone = cutover::runbook::parse_zone("+05:30").ok();
    let state = UiState::new(&runbook, &plan, "alice");
    let screen = screen(&state, &view(at(5)), 160, 48);
    assert!(screen.contains("03:30:05 +05:30"), "{screen}");
}

// ---------------------------------------------------------------------------------------
// Keys as data: the bindings table, walked

/// A screen where `context` is live: the state, the view, and whether its keys are the
/// watcher's (which resolves `Watch` before looking around).
fn home_of(context: Context) -> (UiState, ViewState) {
    let mut feed = Feed::new();
    let mut v = view(at(6));
    let open = |feed: &Feed, v: &mut ViewState| v.sync(&feed.state);
    match context {
        // The fleet's contexts live on the fleet screen: walked in `tui::fleet`'s tests.
        Context::Anywhere
        | Context::Nav
        | Context::Run
        | Context::Watch
        | Context::Fleet
        | Context::FleetGate => {
            feed.started();
        }
        Context::Help => {
            feed.started();
            v.help = true;
        }
        Context::Drift => {
            v.drift = Some(vec!["added column public.customers.fax".into()]);
        }
        Context::Gate | Context::NoGo | Context::Sent | Context::Comment | Context::Confirm => {
            let (f, mut gv) = at_gate(&[]);
            match context {
                Context::NoGo => {
                    press(&f.state, &mut gv, key('n'));
                }
                Context::Comment => {
                    press(&f.state, &mut gv, key('c'));
                }
                Context::Confirm => {
                    press(&f.state, &mut gv, key('A'));
                }
                Context::Sent => {
                    tick_all(&f.state, &mut gv);
                    press(&f.state, &mut gv, key('g'));
                    press(&f.state, &mut gv, key('y'));
                }
                _ => {}
            }
            return (f.state, gv);
        }
        Context::Failure => {
            failed_step(lock_wait(feed.prepared().migrating()));
        }
        Context::Manual => {
            feed.started().phase(0, "prepare").at(
                5,
                Event::ManualWaiting {
                    step: "announce-window".into(),
                    prompt: "Post in #shop-ops.".into(),
                },
            );
        }
        Context::Uncertain => {
            feed.started().phase(0, "prepare").at(
                5,
                Event::UncertainStep {
                    step: "announce-window".into(),
                    still_running: Vec::new(),
                },
            );
        }
        Context::Resume | Context::ResumeHidden => {
            feed.started();
            v.resume = Some(ResumeView {
                hidden: context == Context::ResumeHidden,
            });
        }
    }
    open(&feed, &mut v);
    (feed.state, v)
}

/// Every binding is reachable: on a screen where its context is live, each of its keys
/// resolves to it (no context ahead of it takes the key), and pressing it does not panic.
#[test]
fn every_binding_is_reachable_where_its_context_is_live() {
    for b in bindings::BINDINGS {
        if matches!(b.context, Context::Fleet | Context::FleetGate) {
            continue;
        }
        let (state, mut v) = home_of(b.context);
        let live = if b.context == Context::Watch {
            vec![Context::Anywhere, Context::Watch, Context::Nav]
        } else {
            contexts(&state, &v)
        };
        assert!(
            live.contains(&b.context),
            "{:?} is not live on its home screen ({live:?})",
            b.context
        );
        for k in b.keys {
            let found = bindings::resolve(&live, *k);
            assert_eq!(
                found.map(|f| (f.context, f.act)),
                Some((b.context, b.act)),
                "{k:?} in {:?} is taken by another binding first ({live:?})",
                b.context
            );
            if b.context != Context::Watch {
                let event = match k {
                    Key::Char(c) => key(*c),
                    Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(*c), KeyModifiers::CONTROL),
                    Key::Code(c) => code(*c),
                };
                let _ = handle_key(&state, &mut v, event, "alice");
            }
        }
    }
}

/// A key letter is written once: the draw code names keys only through the table.
#[test]
fn the_draw_code_names_no_key_letter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<_> = ["src/tui/draw", "src/tui/watch", "src/tui/fleet"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .collect();
    assert!(files.len() > 10, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for b in bindings::BINDINGS {
            for k in b.keys {
                let label = match k {
                    Key::Char(c) if !c.is_whitespace() && !c.is_ascii_digit() => c.to_string(),
                    Key::Code(KeyCode::Esc) => "Esc".to_owned(),
                    Key::Code(KeyCode::Enter) => "⏎".to_owned(),
                    _ => continue,
                };
                // The ways a key is drawn: a (key, what) pair, a hint, a key span, and a
                // sentence naming it.
                for written in [
                    format!("(\"{label}\", \""),
                    format!("hint(\"{label}\""),
                    format!(", \"{label}\", \""),
                    format!("Span::styled(\"{label}\""),
                    format!("Span::styled(\" {label}\""),
                    // (`a` starts English sentences too.)
                    if label == "a" {
                        String::from("\u{0}")
                    } else {
                        format!("\"{label} ")
                    },
                    format!(" then {label}"),
                ] {
                    assert!(
                        !code.contains(&written),
                        "{} writes the key {label:?} itself ({written}); take it from the bindings table",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The help screen, written from the bindings table: one column on a small terminal, two
/// where they fit.
#[test]
fn snapshot_help() {
    let mut feed = Feed::new();
    lock_wait(feed.prepared().migrating());
    let mut v = view(at(221));
    press(&feed.state, &mut v, key('?'));
    assert!(v.help);
    snap("help", &feed.state, &v);
    let text = screen(&feed.state, &v, 160, 48);
    for want in [
        "Looking around",
        "At a gate",
        "Ctrl-C",
        "g  go",
        "failed step",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    // At 80x24 it does not fit: the title says so and ↓ scrolls it, leaving it open.
    let small = screen(&feed.state, &v, 80, 24);
    assert!(small.contains("scroll"), "{small}");
    assert!(!small.contains("Ctrl-C"), "{small}");
    for _ in 0..60 {
        press(&feed.state, &mut v, code(KeyCode::Down));
    }
    assert!(v.help);
    let small = screen(&feed.state, &v, 80, 24);
    assert!(small.contains("looking first"), "{small}");
    snap("help_scrolled", &feed.state, &v);
    // Any other key closes it, and does nothing else.
    assert_eq!(press(&feed.state, &mut v, key('p')), None);
    assert!(!v.help);
    assert_eq!(v.help_scroll, 0);
}

/// A run set against its rehearsal: a check that passed on the rehearsal and fails here is
/// its own state in the grid (≠), and the selected check says what the rehearsal read.
#[test]
fn a_check_that_passed_on_the_rehearsal_and_fails_here_stands_out() {
    let mut feed = Feed::new();
    feed.started().at(
        1,
        Event::RehearsalCompared {
            rehearsal: cutover::events::RehearsalRef {
                record: "runs/shop-r.rehearsal.json".into(),
                run_id: "shop-r".into(),
                fingerprint: "f".into(),
                rehearsed_fingerprint: "f".into(),
                drift: Vec::new(),
                drift_accepted_by: None,
                scaled: Vec::new(),
                steps: Vec::new(),
                checks: vec![
                    ("two-tiers-in-use".into(), true, "2 rows".into()),
                    ("no-orphan-orders".into(), true, "no rows".into()),
                ],
            },
        },
    );
    feed.phase(2, "verify")
        .check(
            3,
            "two-tiers-in-use",
            false,
            "3 rows",
            Expectation::Rows(2),
            Severity::Critical,
        )
        .check(
            4,
            "no-orphan-orders",
            true,
            "no rows",
            Expectation::Empty(true),
            Severity::Critical,
        );
    let mut v = view(at(5));
    press(&feed.state, &mut v, key('3'));
    // The grid: customers-seeded, tier-backfilled, every-customer-has-a-tier, two-tiers-in-use.
    for _ in 0..3 {
        press(&feed.state, &mut v, key('j'));
    }
    let text = screen(&feed.state, &v, 160, 48);
    assert!(text.contains("≠ two-tiers-i"), "{text}");
    assert!(text.contains("✓ no-orphan-o"), "{text}");
    assert!(
        text.contains("passed on the rehearsal (got 2 rows)"),
        "{text}"
    );
    // The log says what it was set against.
    assert!(text.contains("set against rehearsal shop-r"), "{text}");
}

/// A run set against a rehearsal whose schema drifted: the drift is on screen before
/// anything runs, and only `g` then `y` go on (any other key cancels); `q` leaves.
#[test]
fn drift_since_the_rehearsal_takes_two_keys_to_go_on() {
    let feed = Feed::new();
    let mut v = view(at(0));
    v.drift = Some(vec!["added column public.customers.fax".into()]);
    let text = screen(&feed.state, &v, 120, 32);
    assert!(text.contains("SCHEMA DRIFT SINCE THE REHEARSAL"), "{text}");
    assert!(text.contains("added column public.customers.fax"), "{text}");
    assert!(text.contains("g go on despite the drift"), "{text}");
    // One key is not enough, another key cancels, and nothing is sent either way.
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    assert!(v.drift.is_some());
    assert_eq!(press(&feed.state, &mut v, key('n')), None);
    assert!(v.drift.is_some() && !v.drift_accepted);
    // Keys that would act on a run do nothing here.
    for k in ['p', 'A', 'x', 'y'] {
        assert_eq!(press(&feed.state, &mut v, key(k)), None);
        assert!(v.drift.is_some(), "{k}");
    }
    assert_eq!(press(&feed.state, &mut v, key('g')), None);
    assert_eq!(press(&feed.state, &mut v, key('y')), None);
    assert!(v.drift.is_none() && v.drift_accepted);

    let mut v = view(at(0));
    v.drift = Some(vec!["dropped index public.orders_ref".into()]);
    press(&feed.state, &mut v, key('q'));
    assert!(v.quit && !v.drift_accepted);
}

/// A backfill under way: the detail shows its bar, rows against the estimate, rate, ETA,
/// why it waits and the keys that change it; the timeline row says how far it is; the
/// window's projection counts its ETA; `h` and `+` send the changes, with who.
#[test]
fn a_running_backfill_shows_its_progress_and_takes_the_operators_keys() {
    let text = "name: fill\nwindow: { start: 2025-03-01T22:00:00Z, budget: 30m }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - backfill: fill-tier\n        table: customers\n        key: id\n        sql: UPDATE customers SET tier = 'bronze' WHERE id > $1 AND id <= $2\n        expected_duration: 1m\n";
    let loaded = cutover::runbook::load_text(Path::new("fill.yaml"), text, &|_| None);
    let runbook = loaded.runbook.expect("loads");
    let plan = cutover::plan::plan(&runbook);
    let mut state = UiState::new(&runbook, &plan, "dana");
    let events = [
        (
            0,
            Event::RunStarted {
                run_id: "fill-1".into(),
                runbook: "fill".into(),
                title: "fill".into(),
                checksum: "abc".into(),
                operator: "dana".into(),
                target: "postgres://app@db:5432/shop".into(),
                server_version: "16.4".into(),
                cutover_version: "0.1.0".into(),
                resumed: false,
                hard_end: "2025-03-01T22:30:00+00:00".into(),
                plan: None,
            },
        ),
        (0, Event::PhaseStarted { phase: "m".into() }),
        (
            1,
            Event::StepStarted {
                step: "fill-tier".into(),
                attempt: 1,
                in_transaction: Some(true),
            },
        ),
        (
            1,
            Event::BackfillStarted {
                step: "fill-tier".into(),
                from_key: 0,
                rows_done: 0,
                batches: 0,
                total_estimate: Some(200_000),
                batch_size: 1000,
            },
        ),
        (
            11,
            Event::BackfillBatch {
                step: "fill-tier".into(),
                batch: 50,
                from_key: 49_000,
                to_key: 50_000,
                rows: 1000,
                duration_ms: 200,
                rows_done: 50_000,
                next_batch_size: 1100,
            },
        ),
        (
            12,
            Event::BackfillThrottled {
                step: "fill-tier".into(),
                reason: "replica lag 7s above 5s".into(),
            },
        ),
    ];
    for (seq, (secs, event)) in events.into_iter().enumerate() {
        state.apply(&Entry {
            ts: at(secs),
            seq: seq as u64 + 1,
            event,
        });
    }
    let mut v = view(at(15));
    v.sync(&state);
    let text = screen(&state, &v, 160, 48);
    // 50,000 rows in 10 s: 5,000 rows/s, 150,000 left: 30 s.
    assert!(text.contains("50,000 of ~200,000 rows"), "{text}");
    assert!(text.contains("5,000 rows/s"), "{text}");
    assert!(text.contains("5,000 rows/s · ETA"), "{text}");
    assert!(text.contains("25%"), "{text}");
    assert!(
        text.contains("waiting 3.0s: replica lag 7s above 5s"),
        "{text}"
    );
    assert!(
        text.contains("h hold · +/- batch size ×2/÷2 · >/< lag mark"),
        "{text}"
    );
    assert!(text.contains("25% · waiting"), "the timeline row: {text}");
    // The projection counts the backfill's ETA, not its expected minute.
    let left = state.outlook(at(15)).remaining;
    assert_eq!(left, std::time::Duration::from_secs(30), "{left:?}");

    let hold = handle_key(&state, &mut v, key('h'), "dana");
    assert_eq!(
        hold,
        Some(Command::AdjustBackfill {
            operator: "dana".into(),
            change: cutover::events::BackfillChange::Hold,
        })
    );
    let bigger = handle_key(&state, &mut v, key('+'), "dana");
    assert_eq!(
        bigger,
        Some(Command::AdjustBackfill {
            operator: "dana".into(),
            change: cutover::events::BackfillChange::BatchSize { rows: 2200 },
        })
    );
}
