//! `cutover report`: recorded journals in, Markdown/JSON/HTML out, no database.
//!
//! The journals in tests/fixtures/journals/ are written by `fixtures::*` below from real
//! `Event` values through serde, so they have exactly the shape `cutover run` writes.
//! `REGENERATE_FIXTURES=1 cargo test --test report` rewrites them; `UPDATE_GOLDEN=1` rewrites
//! the expected reports in tests/golden/ (review the diff before committing either).

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cutover::events::PlannedWindow;
use cutover::journal::{Entry, replay};
use cutover::report::model::{PhaseProgress, RunOutcome, StepStatus};
use cutover::report::{self, Report, html, markdown};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `planned` is the only one with a journaled plan (`run_started.plan`); the others are
/// journals of an engine that did not journal it, and their reports must not change.
const FIXTURES: [&str; 5] = ["complete", "rolled_back", "crashed", "resumed", "planned"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_path(name: &str) -> PathBuf {
    root()
        .join("tests/fixtures/journals")
        .join(format!("{name}.jsonl"))
}

fn load(name: &str) -> Report {
    let replayed = replay(&fixture_path(name)).expect("fixture journal is readable");
    let mut r = report::build(&replayed.entries, &replayed.unreadable);
    r.journal.file = Some(format!("{name}.jsonl"));
    r
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Compares with a golden file, or rewrites it under UPDATE_GOLDEN=1.
fn golden(file: &str, actual: &str) {
    let path = root().join("tests/golden").join(file);
    if env_flag("UPDATE_GOLDEN") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}: create it with UPDATE_GOLDEN=1 cargo test --test report",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    let actual_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("golden-actual")
        .join(file);
    std::fs::create_dir_all(actual_path.parent().unwrap()).unwrap();
    std::fs::write(&actual_path, actual).unwrap();
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let first = exp
        .iter()
        .zip(&act)
        .position(|(a, b)| a != b)
        .unwrap_or(exp.len().min(act.len()));
    let mut context = String::new();
    for i in first.saturating_sub(2)..(first + 4).min(exp.len().max(act.len())) {
        match (exp.get(i), act.get(i)) {
            (Some(e), Some(a)) if e == a => context.push_str(&format!("  {:>4}  {e}\n", i + 1)),
            (e, a) => {
                if let Some(e) = e {
                    context.push_str(&format!("- {:>4}  {e}\n", i + 1));
                }
                if let Some(a) = a {
                    context.push_str(&format!("+ {:>4}  {a}\n", i + 1));
                }
            }
        }
    }
    panic!(
        "tests/golden/{file} differs from the rendered report, first at line {} (- golden, + actual):\n{context}\nfull diff: diff -u {} {}\nif the change is intended: UPDATE_GOLDEN=1 cargo test --test report, then review `git diff tests/golden`",
        first + 1,
        path.display(),
        actual_path.display()
    );
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

mod fixtures {
    use chrono::{DateTime, Duration, Utc};
    use cutover::events::{
        Blocker, Decision, Event, Outcome, PlannedPhase, PlannedStep, PlannedWindow,
    };
    use cutover::journal::Entry;
    use cutover::runbook::{Comparison, Expectation, Op, Scalar, Severity};

    /// Writes events the way `Journal::append` does: one `Entry` per line, serde's shape.
    pub struct Rec {
        t0: DateTime<Utc>,
        seq: u64,
        last_ms: i64,
        pub text: String,
    }

    impl Rec {
        pub fn new(t0: &str) -> Rec {
            Rec {
                t0: DateTime::parse_from_rfc3339(t0)
                    .unwrap()
                    .with_timezone(&Utc),
                seq: 0,
                last_ms: -1,
                text: String::new(),
            }
        }

        fn entry(&mut self, ms: i64, event: Event) -> Entry {
            assert!(
                ms > self.last_ms,
                "fixture times go forward ({ms} after {})",
                self.last_ms
            );
            self.last_ms = ms;
            self.seq += 1;
            // Sub-millisecond digits, as Utc::now() gives them.
            let micros = i64::try_from(self.seq * 7919 % 1000).unwrap();
            Entry {
                ts: self.t0 + Duration::milliseconds(ms) + Duration::microseconds(micros),
                seq: self.seq,
                event,
            }
        }

        pub fn at(&mut self, ms: i64, event: Event) {
            let entry = self.entry(ms, event);
            self.text.push_str(&serde_json::to_string(&entry).unwrap());
            self.text.push('\n');
        }

        /// A line cut short mid-write (power loss): its first `keep` bytes, no newline.
        pub fn torn(&mut self, ms: i64, event: Event, keep: usize) {
            let entry = self.entry(ms, event);
            let line = serde_json::to_string(&entry).unwrap();
            self.text.push_str(&line[..keep]);
        }

        pub fn iso(&self, ms: i64) -> String {
            (self.t0 + Duration::milliseconds(ms)).to_rfc3339()
        }
    }

    const CHECKSUM: &str = "5f0c2a4be1d39e7c8a61f4d2b07e93c15ad8e6f42b9c07d13e58a6f290bc4d17";
    const TITLE: &str = "Demo shop — loyalty tiers and order events";

    fn run_started(
        r: &Rec,
        run_id: &str,
        operator: &str,
        target: &str,
        resumed: bool,
        ms: i64,
    ) -> Event {
        Event::RunStarted {
            run_id: run_id.into(),
            runbook: "demo".into(),
            title: TITLE.into(),
            checksum: CHECKSUM.into(),
            operator: operator.into(),
            target: target.into(),
            server_version: "16.4".into(),
            cutover_version: "0.1.0".into(),
            resumed,
            // Window budget 3m from the start.
            hard_end: r.iso(ms + 180_000),
            plan: None,
        }
    }

    /// What `cutover plan runbooks/demo.yaml` plans (offsets from the window start and
    /// expected durations in ms, steps in execution order), as `run_started.plan` carries it.
    pub fn demo_plan(window_start: String) -> PlannedWindow {
        type Steps<'a> = &'a [(&'a str, &'a str, u64, u64)];
        let phase =
            |id: &str, kind: &str, start_ms: u64, budget_ms: u64, steps: Steps| PlannedPhase {
                phase: id.into(),
                kind: kind.into(),
                start_ms,
                end_ms: start_ms + budget_ms,
                budget_ms,
                steps: steps
                    .iter()
                    .map(|&(step, kind, start_ms, expected_ms)| PlannedStep {
                        title: None,
                        sql: None,
                        step: step.into(),
                        kind: kind.into(),
                        start_ms,
                        end_ms: start_ms + expected_ms,
                        expected_ms,
                    })
                    .collect(),
            };
        PlannedWindow {
            monitor_cap_ms: None,
            zone: None,
            window_start,
            window_budget_ms: 180_000,
            phases: vec![
                phase(
                    "prepare",
                    "preparation",
                    0,
                    30_000,
                    &[
                        ("prepare-baseline-schema", "migrate", 0, 6000),
                        ("tool-versions", "command", 6000, 1000),
                        ("customers-seeded", "check", 7000, 1000),
                        ("announce-window", "manual", 8000, 5000),
                        ("go-for-migration", "checkpoint", 13_000, 0),
                    ],
                ),
                phase(
                    "migrate",
                    "migration",
                    30_000,
                    60_000,
                    &[
                        ("001_add_loyalty_tier", "migrate", 30_000, 1000),
                        ("002_index_orders_customer", "migrate", 30_000, 9000),
                        ("003_backfill_loyalty_tier", "migrate", 31_000, 21_000),
                        ("tier-backfilled", "check", 52_000, 1000),
                        ("004_create_order_events", "migrate", 52_000, 9000),
                        ("005_drop_customer_fax", "migrate", 53_000, 1000),
                    ],
                ),
                phase(
                    "verify",
                    "verification",
                    90_000,
                    30_000,
                    &[
                        ("every-customer-has-a-tier", "check", 90_000, 1000),
                        ("two-tiers-in-use", "check", 90_000, 1000),
                        ("no-orphan-order-items", "check", 90_000, 1000),
                        ("index-is-valid", "check", 90_000, 1000),
                        ("one-event-per-order", "check", 91_000, 1000),
                        ("revenue-plausible", "check", 91_000, 3000),
                        ("fax-column-gone", "check", 91_000, 1000),
                        ("silver-tier-exists", "check", 91_000, 1000),
                        ("few-open-orders", "check", 92_000, 1000),
                        ("go-live", "checkpoint", 94_000, 0),
                    ],
                ),
                phase(
                    "watch",
                    "monitoring",
                    120_000,
                    45_000,
                    &[
                        ("active-sessions", "probe", 120_000, 0),
                        ("lock-waits", "probe", 120_000, 0),
                        ("orders-last-minute", "probe", 120_000, 0),
                        ("watch-dashboards", "manual", 120_000, 0),
                    ],
                ),
            ],
        }
    }

    fn phase(p: &str) -> Event {
        Event::PhaseStarted { phase: p.into() }
    }

    fn phase_done(p: &str, duration_ms: u64) -> Event {
        Event::PhaseFinished {
            phase: p.into(),
            duration_ms,
        }
    }

    fn started(step: &str, attempt: u32, in_transaction: Option<bool>) -> Event {
        Event::StepStarted {
            step: step.into(),
            attempt,
            in_transaction,
        }
    }

    fn stmt(step: &str, index: usize, sql: &str) -> Event {
        Event::StatementStarted {
            step: step.into(),
            index,
            sql: sql.into(),
        }
    }

    fn stmt_done(step: &str, index: usize, rows: u64, duration_ms: u64) -> Event {
        Event::StatementFinished {
            step: step.into(),
            index,
            rows,
            duration_ms,
        }
    }

    fn finished(step: &str, duration_ms: u64, rows: u64) -> Event {
        Event::StepFinished {
            step: step.into(),
            duration_ms,
            rows,
        }
    }

    fn skipped(step: &str, reason: &str) -> Event {
        Event::StepSkipped {
            step: step.into(),
            reason: reason.into(),
        }
    }

    fn value(op: Op, v: Scalar) -> Expectation {
        Expectation::Value(Comparison::Compare { op, value: v })
    }

    /// A check as `run_checks` journals it: started, result, finished.
    #[allow(clippy::too_many_arguments)]
    fn check(
        r: &mut Rec,
        ms: i64,
        step: &str,
        expected: Expectation,
        actual: &str,
        passed: bool,
        severity: Severity,
        took: u64,
    ) -> i64 {
        r.at(ms, started(step, 1, Some(true)));
        let done = ms + i64::try_from(took).unwrap() + 6;
        r.at(
            done,
            Event::CheckResult {
                step: step.into(),
                passed,
                actual: actual.into(),
                expected,
                severity,
                duration_ms: took,
            },
        );
        r.at(done + 1, finished(step, took, 0));
        done + 40
    }

    fn probe(step: &str, v: Option<Scalar>, alert: bool) -> Event {
        Event::ProbeSample {
            step: step.into(),
            value: v,
            alert,
        }
    }

    const GATE1: &str = "go-for-migration";
    const GATE1_QUESTIONS: [&str; 3] = [
        "Is the shop seeded (check customers-seeded passed)?",
        "Has the team been told the window started?",
        "Is the rollback of every migration reviewed?",
    ];
    const GATE2: &str = "go-live";
    const GATE2_QUESTIONS: [&str; 3] = [
        "Did every critical check pass?",
        "Are the warnings (if any) understood?",
        "Is the new checkout build deployed?",
    ];

    #[allow(clippy::too_many_arguments)]
    fn gate(
        r: &mut Rec,
        ms: i64,
        step: &str,
        prompt: &str,
        questions: &[&str],
        failed: &[&str],
        projected_ms: i64,
        hard_end_ms: i64,
    ) {
        let projected_end = r.iso(projected_ms);
        let hard_end = r.iso(hard_end_ms);
        r.at(
            ms,
            Event::CheckpointReached {
                step: step.into(),
                prompt: prompt.into(),
                questions: questions.iter().map(|q| (*q).to_owned()).collect(),
                failed_critical: failed.iter().map(|q| (*q).to_owned()).collect(),
                projected_end,
                hard_end,
                pace: None,
                advice: None,
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn decide(
        r: &mut Rec,
        ms: i64,
        step: &str,
        decision: Decision,
        operator: &str,
        comment: Option<&str>,
        answers: &[(&str, bool)],
        overrode: &[&str],
    ) {
        r.at(
            ms,
            Event::DecisionRecorded {
                step: step.into(),
                decision,
                operator: operator.into(),
                comment: comment.map(str::to_owned),
                answers: answers.iter().map(|(q, a)| ((*q).to_owned(), *a)).collect(),
                overrode_failed_checks: overrode.iter().map(|c| (*c).to_owned()).collect(),
                restored: false,
            },
        );
    }

    fn all_yes<'a>(questions: &[&'a str]) -> Vec<(&'a str, bool)> {
        questions.iter().map(|q| (*q, true)).collect()
    }

    const SEED_1: &str = "CREATE TABLE IF NOT EXISTS customers (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n    fax text,\n    created_at timestamptz NOT NULL DEFAULT now()\n)";
    const SEED_2: &str = "INSERT INTO customers (id, name, fax, created_at) VALUES\n    (1, 'Ada', NULL, now() - interval '3 years'),\n    (2, 'Grace', '+44 20 7946 0018', now() - interval '1 year'),\n    (3, 'Edsger', NULL, now() - interval '30 days')\nON CONFLICT DO NOTHING";
    const M001: &str = "ALTER TABLE customers ADD COLUMN IF NOT EXISTS loyalty_tier text NOT NULL DEFAULT 'bronze'";
    const M002: &str =
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id)";
    const M003: &str = "UPDATE customers\n   SET loyalty_tier = CASE WHEN created_at < now() - interval '2 years' THEN 'silver' ELSE 'bronze' END";
    const M004_1: &str = "CREATE TABLE order_events (\n    id bigserial PRIMARY KEY,\n    order_id bigint NOT NULL REFERENCES orders (id),\n    kind text NOT NULL,\n    at timestamptz NOT NULL\n)";
    const M004_2: &str = "INSERT INTO order_events (order_id, kind, at)\nSELECT id, 'placed', created_at FROM orders";
    const M005: &str = "ALTER TABLE customers DROP COLUMN fax";

    /// The preparation phase as every fixture runs it; returns where the next phase starts.
    fn prepare(
        r: &mut Rec,
        t: i64,
        operator: &str,
        wait_ms: i64,
        comment: &str,
        hard_end_ms: i64,
    ) -> i64 {
        r.at(t, phase("prepare"));
        r.at(t + 20, started("prepare-baseline-schema", 1, Some(true)));
        r.at(t + 35, stmt("prepare-baseline-schema", 1, SEED_1));
        r.at(
            t + 50,
            Event::Notice {
                step: "prepare-baseline-schema".into(),
                severity: "NOTICE".into(),
                message: "relation \"customers\" already exists, skipping".into(),
            },
        );
        r.at(t + 52, stmt_done("prepare-baseline-schema", 1, 0, 17));
        r.at(t + 55, stmt("prepare-baseline-schema", 2, SEED_2));
        r.at(t + 2950, stmt_done("prepare-baseline-schema", 2, 3, 2895));
        r.at(t + 2960, finished("prepare-baseline-schema", 2940, 3));
        r.at(t + 3010, started("tool-versions", 1, None));
        r.at(
            t + 3120,
            Event::CommandOutput {
                step: "tool-versions".into(),
                exit_code: Some(0),
                stdout_tail: "psql (PostgreSQL) 16.4\n".into(),
                stderr_tail: String::new(),
            },
        );
        r.at(t + 3125, finished("tool-versions", 115, 0));
        let t2 = check(
            r,
            t + 3160,
            "customers-seeded",
            value(Op::Ge, Scalar::Int(3)),
            "3",
            true,
            Severity::Critical,
            41,
        );
        r.at(
            t2,
            Event::ManualWaiting {
                step: "announce-window".into(),
                prompt: "Post in #shop-ops that the demo window starts now and checkout may be slow for two minutes.".into(),
            },
        );
        r.at(
            t2 + 6500,
            Event::ManualAcknowledged {
                step: "announce-window".into(),
                operator: operator.into(),
                note: None,
            },
        );
        let g = t2 + 6550;
        gate(
            r,
            g,
            GATE1,
            "Start the migration?",
            &GATE1_QUESTIONS,
            &[],
            g + 26_000,
            hard_end_ms,
        );
        decide(
            r,
            g + wait_ms,
            GATE1,
            Decision::Go,
            operator,
            Some(comment),
            &all_yes(&GATE1_QUESTIONS),
            &[],
        );
        let end = g + wait_ms + 30;
        r.at(end, phase_done("prepare", u64::try_from(end - t).unwrap()));
        end + 50
    }

    /// One in-transaction, one-statement migration; returns when the next step starts.
    fn migrate(r: &mut Rec, t: i64, step: &str, sql: &str, took: i64, rows: u64) -> i64 {
        r.at(t, started(step, 1, Some(true)));
        r.at(t + 10, stmt(step, 1, sql));
        r.at(
            t + 10 + took,
            stmt_done(step, 1, rows, u64::try_from(took).unwrap()),
        );
        r.at(
            t + 60 + took,
            finished(step, u64::try_from(took + 50).unwrap(), rows),
        );
        t + 80 + took
    }

    fn index_concurrently(r: &mut Rec, t: i64) -> i64 {
        let s = "002_index_orders_customer";
        r.at(t, started(s, 1, Some(false)));
        r.at(t + 10, stmt(s, 1, M002));
        r.at(t + 1790, stmt_done(s, 1, 0, 1780));
        r.at(t + 1830, finished(s, 1830, 0));
        t + 1850
    }

    fn order_events(r: &mut Rec, t: i64) -> i64 {
        let s = "004_create_order_events";
        r.at(t, started(s, 1, Some(true)));
        r.at(t + 10, stmt(s, 1, M004_1));
        r.at(t + 100, stmt_done(s, 1, 0, 90));
        r.at(t + 110, stmt(s, 2, M004_2));
        r.at(t + 4650, stmt_done(s, 2, 118_204, 4540));
        r.at(t + 4700, finished(s, 4690, 118_204));
        t + 4720
    }

    /// The verification checks; `overrides` replaces (actual, passed) of named checks.
    fn verify_checks(r: &mut Rec, mut t: i64, overrides: &[(&str, &str, bool)]) -> i64 {
        let checks: Vec<(&str, Expectation, &str, Severity, u64)> = vec![
            (
                "every-customer-has-a-tier",
                value(Op::Eq, Scalar::Int(0)),
                "0",
                Severity::Critical,
                212,
            ),
            (
                "two-tiers-in-use",
                Expectation::Rows(2),
                "2 rows",
                Severity::Critical,
                187,
            ),
            (
                "no-orphan-order-items",
                Expectation::Empty(true),
                "0 rows",
                Severity::Critical,
                301,
            ),
            (
                "index-is-valid",
                value(Op::Eq, Scalar::Bool(true)),
                "true",
                Severity::Critical,
                12,
            ),
            (
                "one-event-per-order",
                value(Op::Eq, Scalar::Int(0)),
                "0",
                Severity::Critical,
                644,
            ),
            (
                "revenue-plausible",
                Expectation::Value(Comparison::Between {
                    low: 50.0,
                    high: 500.0,
                }),
                "212.5",
                Severity::Critical,
                95,
            ),
            (
                "fax-column-gone",
                value(Op::Lt, Scalar::Int(1)),
                "0",
                Severity::Critical,
                9,
            ),
            (
                "silver-tier-exists",
                value(Op::Eq, Scalar::Text("silver".into())),
                "silver",
                Severity::Critical,
                33,
            ),
            (
                "few-open-orders",
                value(Op::Le, Scalar::Int(5)),
                "2",
                Severity::Warning,
                27,
            ),
        ];
        for (id, expected, actual, severity, took) in checks {
            let (actual, passed) = overrides
                .iter()
                .find(|(o, _, _)| *o == id)
                .map_or((actual, true), |(_, a, p)| (*a, *p));
            t = check(r, t, id, expected, actual, passed, severity, took);
        }
        t
    }

    /// A successful run with a gate, checks (one warning fails), a probe alert, a notice,
    /// and a lock wait that a lock-timeout retry gets past.
    pub fn complete() -> String {
        complete_run("2025-03-14T22:00:00Z", "demo-20250314T220000.004Z", None)
    }

    /// The complete run as a current engine journals it, with its plan: the runbook declared
    /// the window to start 15 s before the operator started the run, so the hard end is
    /// 2m45s after the start. Prepare and migrate end past their planned ends (migrate also
    /// over its budget), verify and watch catch up; the backfill and the fax drop (its lock
    /// waits) take much longer than expected.
    pub fn planned() -> String {
        complete_run(
            "2025-03-18T22:00:00Z",
            "demo-20250318T220000.012Z",
            Some(-15_000),
        )
    }

    /// `window_start_ms`: with a plan, where the plan's window starts relative to the run.
    fn complete_run(t0: &str, run_id: &str, window_start_ms: Option<i64>) -> String {
        let mut r = Rec::new(t0);
        let target = "cutover@db-prod-1.internal:5432/shop";
        let hard_end_ms = window_start_ms.unwrap_or(0) + 180_000;
        let mut ev = run_started(&r, run_id, "alice", target, false, 0);
        if let (Some(w), Event::RunStarted { plan, hard_end, .. }) = (window_start_ms, &mut ev) {
            *plan = Some(demo_plan(r.iso(w)));
            *hard_end = r.iso(hard_end_ms);
        }
        r.at(0, ev);
        let t = prepare(
            &mut r,
            40,
            "alice",
            8570,
            "Seeded and announced in #shop-ops; rollbacks reviewed with Bob",
            hard_end_ms,
        );
        // migrate: budget 1m, overrun by the backfill and the lock wait on the fax drop.
        let m0 = t;
        r.at(t, phase("migrate"));
        let t = migrate(&mut r, t + 20, "001_add_loyalty_tier", M001, 570, 0);
        let t = index_concurrently(&mut r, t);
        let t = migrate(&mut r, t, "003_backfill_loyalty_tier", M003, 52_080, 41_873);
        let t = check(
            &mut r,
            t,
            "tier-backfilled",
            value(Op::Eq, Scalar::Int(0)),
            "0",
            true,
            Severity::Critical,
            55,
        );
        let t = order_events(&mut r, t);
        let s = "005_drop_customer_fax";
        let blocker = |age: f64| Blocker {
            pid: 48213,
            application_name: "checkout-legacy".into(),
            state: "idle in transaction".into(),
            query: "SELECT id, name, fax FROM customers WHERE id = $1".into(),
            xact_age_s: age,
        };
        r.at(t, started(s, 1, Some(true)));
        r.at(t + 10, stmt(s, 1, M005));
        r.at(
            t + 520,
            Event::LockWait {
                step: s.into(),
                blockers: vec![blocker(41.7)],
                waited_ms: 510,
            },
        );
        r.at(
            t + 2020,
            Event::Retry {
                step: s.into(),
                attempt: 2,
                delay_ms: 183,
                reason: "canceling statement due to lock timeout".into(),
            },
        );
        r.at(t + 2210, started(s, 2, Some(true)));
        r.at(t + 2220, stmt(s, 1, M005));
        r.at(
            t + 2730,
            Event::LockWait {
                step: s.into(),
                blockers: vec![blocker(44.4)],
                waited_ms: 510,
            },
        );
        r.at(
            t + 4230,
            Event::Retry {
                step: s.into(),
                attempt: 3,
                delay_ms: 377,
                reason: "canceling statement due to lock timeout".into(),
            },
        );
        r.at(t + 4610, started(s, 3, Some(true)));
        r.at(t + 4620, stmt(s, 1, M005));
        r.at(t + 4680, stmt_done(s, 1, 0, 60));
        r.at(t + 4740, finished(s, 130, 0));
        r.at(
            t + 4750,
            Event::PhaseBudgetExceeded {
                phase: "migrate".into(),
                budget_ms: 60_000,
            },
        );
        let end = t + 4760;
        r.at(end, phase_done("migrate", u64::try_from(end - m0).unwrap()));

        let v0 = end + 40;
        r.at(v0, phase("verify"));
        let t = verify_checks(&mut r, v0 + 20, &[("few-open-orders", "7", false)]);
        gate(
            &mut r,
            t,
            GATE2,
            "Open the shop again with the new schema?",
            &GATE2_QUESTIONS,
            &[],
            t + 46_000,
            hard_end_ms,
        );
        decide(
            &mut r,
            t + 15_150,
            GATE2,
            Decision::Go,
            "alice",
            Some(
                "7 open orders are this morning's B2B batch; finance knows. New checkout build is live.",
            ),
            &all_yes(&GATE2_QUESTIONS),
            &[],
        );
        let end = t + 15_180;
        r.at(end, phase_done("verify", u64::try_from(end - v0).unwrap()));

        let w0 = end + 50;
        r.at(w0, phase("watch"));
        r.at(
            w0 + 20,
            Event::ManualWaiting {
                step: "watch-dashboards".into(),
                prompt: "Keep the checkout error-rate dashboard open until the monitoring phase ends; report anything unusual.".into(),
            },
        );
        r.at(
            w0 + 2080,
            Event::ManualAcknowledged {
                step: "watch-dashboards".into(),
                operator: "alice".into(),
                note: None,
            },
        );
        let sessions = [12, 14, 13, 17, 21, 19, 16, 15, 14];
        let waits = [0, 0, 0, 1, 0, 0, 0, 0, 0];
        let orders = [0, 2, 5, 9, 12, 14, 15, 13, 16];
        for round in 0..9 {
            let at = w0 + 2100 + round as i64 * 5000;
            r.at(
                at,
                probe("active-sessions", Some(Scalar::Int(sessions[round])), false),
            );
            let alert = waits[round] > 0;
            r.at(
                at + 4,
                probe("lock-waits", Some(Scalar::Int(waits[round])), alert),
            );
            let mut next = at + 5;
            if alert {
                r.at(
                    at + 5,
                    Event::Alert {
                        step: "lock-waits".into(),
                        value: "1".into(),
                        threshold: "> 0".into(),
                    },
                );
                next = at + 6;
            }
            r.at(
                next,
                probe(
                    "orders-last-minute",
                    Some(Scalar::Int(orders[round])),
                    false,
                ),
            );
        }
        r.at(w0 + 45_020, phase_done("watch", 45_020));
        r.at(
            w0 + 45_050,
            Event::RunFinished {
                outcome: Outcome::Succeeded,
                message: None,
            },
        );
        r.text
    }

    /// A critical check fails, the go is rejected, and the gate decides a rollback.
    pub fn rolled_back() -> String {
        let mut r = Rec::new("2025-03-15T06:00:00Z");
        let target = "cutover@db-stage-2.internal:5432/shop";
        let ev = run_started(&r, "demo-20250315T060000.017Z", "carol", target, false, 0);
        r.at(0, ev);
        let t = prepare(
            &mut r,
            35,
            "carol",
            4210,
            "Rehearsal on stage-2; all three confirmed",
            180_000,
        );
        let m0 = t;
        r.at(t, phase("migrate"));
        let t = migrate(&mut r, t + 20, "001_add_loyalty_tier", M001, 410, 0);
        let t = index_concurrently(&mut r, t);
        let t = migrate(&mut r, t, "003_backfill_loyalty_tier", M003, 11_940, 9_870);
        let t = check(
            &mut r,
            t,
            "tier-backfilled",
            value(Op::Eq, Scalar::Int(0)),
            "0",
            true,
            Severity::Critical,
            48,
        );
        let t = order_events(&mut r, t);
        let t = migrate(&mut r, t, "005_drop_customer_fax", M005, 35, 0);
        r.at(t, phase_done("migrate", u64::try_from(t - m0).unwrap()));
        let v0 = t + 40;
        r.at(v0, phase("verify"));
        let t = verify_checks(&mut r, v0 + 20, &[("one-event-per-order", "3", false)]);
        gate(
            &mut r,
            t,
            GATE2,
            "Open the shop again with the new schema?",
            &GATE2_QUESTIONS,
            &["one-event-per-order"],
            t + 46_000,
            180_000,
        );
        r.at(
            t + 21_400,
            Event::DecisionRejected {
                step: GATE2.into(),
                reason:
                    "critical checks failed (one-event-per-order); a go needs an explicit override"
                        .into(),
            },
        );
        decide(
            &mut r,
            t + 38_900,
            GATE2,
            Decision::Rollback,
            "carol",
            Some(
                "3 orders have no order_events row: the copy raced with live checkouts. Rolling back; rerun with the trigger in place.",
            ),
            &[
                (GATE2_QUESTIONS[0], false),
                (GATE2_QUESTIONS[1], true),
                (GATE2_QUESTIONS[2], true),
            ],
            &[],
        );
        let rb = t + 38_950;
        let order = [
            "005_drop_customer_fax",
            "004_create_order_events",
            "003_backfill_loyalty_tier",
            "002_index_orders_customer",
            "001_add_loyalty_tier",
            "prepare-baseline-schema",
        ];
        r.at(
            rb,
            Event::RollbackStarted {
                steps: order.iter().map(|s| (*s).to_owned()).collect(),
            },
        );
        let downs: [(&str, &str, i64); 5] = [
            (
                "005_drop_customer_fax",
                "ALTER TABLE customers ADD COLUMN IF NOT EXISTS fax text",
                40,
            ),
            (
                "004_create_order_events",
                "DROP TABLE IF EXISTS order_events",
                120,
            ),
            (
                "003_backfill_loyalty_tier",
                "UPDATE customers SET loyalty_tier = 'bronze'",
                2_310,
            ),
            (
                "002_index_orders_customer",
                "DROP INDEX CONCURRENTLY IF EXISTS orders_customer_id_idx",
                95,
            ),
            (
                "001_add_loyalty_tier",
                "ALTER TABLE customers DROP COLUMN IF EXISTS loyalty_tier",
                30,
            ),
        ];
        let mut t = rb + 20;
        for (step, sql, took) in downs {
            r.at(t, stmt(step, 1, sql));
            let rows = if step.starts_with("003") { 9_870 } else { 0 };
            r.at(
                t + took,
                stmt_done(step, 1, rows, u64::try_from(took).unwrap()),
            );
            r.at(
                t + took + 15,
                Event::RollbackStep {
                    step: step.into(),
                    ok: true,
                    error: None,
                },
            );
            t += took + 40;
        }
        r.at(
            t,
            Event::RollbackLeftApplied {
                step: "prepare-baseline-schema".into(),
                reason: "no rollback SQL".into(),
            },
        );
        r.at(
            t + 30,
            Event::RunFinished {
                outcome: Outcome::RolledBack,
                message: None,
            },
        );
        r.text
    }

    /// Killed mid-backfill: no run_finished, and the last line is torn.
    pub fn crashed() -> String {
        let mut r = Rec::new("2025-03-16T21:00:00Z");
        let target = "cutover@db-prod-1.internal:5432/shop";
        let ev = run_started(&r, "demo-20250316T210000.009Z", "dave", target, false, 0);
        r.at(0, ev);
        let t = prepare(&mut r, 30, "dave", 5020, "Go", 180_000);
        r.at(t, phase("migrate"));
        let t = migrate(&mut r, t + 20, "001_add_loyalty_tier", M001, 530, 0);
        let t = index_concurrently(&mut r, t);
        let s = "003_backfill_loyalty_tier";
        r.at(t, started(s, 1, Some(true)));
        r.at(t + 10, stmt(s, 1, M003));
        r.torn(t + 31_400, stmt_done(s, 1, 41_873, 31_390), 61);
        r.text
    }

    /// Cancelled with Ctrl-C, resumed by someone else: skips, a restored gate decision, a
    /// failed critical check overridden at the next gate, and a probe without a value.
    pub fn resumed() -> String {
        let mut r = Rec::new("2025-03-17T23:00:00Z");
        let target = "cutover@db-prod-1.internal:5432/shop";
        let run_id = "demo-20250317T230000.011Z";
        let ev = run_started(&r, run_id, "erin", target, false, 0);
        r.at(0, ev);
        let t = prepare(&mut r, 30, "erin", 3900, "Go from erin", 180_000);
        r.at(t, phase("migrate"));
        let t = migrate(&mut r, t + 20, "001_add_loyalty_tier", M001, 480, 0);
        let s = "002_index_orders_customer";
        r.at(t, started(s, 1, Some(false)));
        r.at(t + 10, stmt(s, 1, M002));
        r.at(
            t + 1510,
            Event::Cancelled {
                reason: "interrupted (Ctrl-C)".into(),
            },
        );
        r.at(
            t + 1560,
            Event::RunFinished {
                outcome: Outcome::Interrupted,
                message: Some(format!(
                    "cancelled during `{s}`; nothing of it was committed beyond the statements that finished"
                )),
            },
        );

        // Fourteen minutes later, frank resumes.
        let s0 = 14 * 60_000;
        let ev = run_started(&r, run_id, "frank", target, true, s0);
        r.at(s0, ev);
        r.at(s0 + 30, phase("prepare"));
        r.at(
            s0 + 40,
            skipped("prepare-baseline-schema", "already applied"),
        );
        r.at(s0 + 45, skipped("tool-versions", "ran earlier in this run"));
        let t = check(
            &mut r,
            s0 + 60,
            "customers-seeded",
            value(Op::Ge, Scalar::Int(3)),
            "3",
            true,
            Severity::Critical,
            38,
        );
        r.at(
            t,
            skipped("announce-window", "acknowledged earlier in this run"),
        );
        r.at(
            t + 5,
            Event::DecisionRecorded {
                step: GATE1.into(),
                decision: Decision::Go,
                operator: String::new(),
                comment: Some("decision given earlier in this run stands".into()),
                answers: Vec::new(),
                overrode_failed_checks: Vec::new(),
                restored: true,
            },
        );
        r.at(
            t + 20,
            phase_done("prepare", u64::try_from(t + 20 - (s0 + 30)).unwrap()),
        );
        let m0 = t + 60;
        r.at(m0, phase("migrate"));
        r.at(m0 + 10, skipped("001_add_loyalty_tier", "already applied"));
        let t = index_concurrently(&mut r, m0 + 20);
        let t = migrate(&mut r, t, "003_backfill_loyalty_tier", M003, 47_210, 41_873);
        let t = check(
            &mut r,
            t,
            "tier-backfilled",
            value(Op::Eq, Scalar::Int(0)),
            "0",
            true,
            Severity::Critical,
            61,
        );
        let t = order_events(&mut r, t);
        let t = migrate(&mut r, t, "005_drop_customer_fax", M005, 42, 0);
        r.at(t, phase_done("migrate", u64::try_from(t - m0).unwrap()));
        let v0 = t + 40;
        r.at(v0, phase("verify"));
        let t = verify_checks(&mut r, v0 + 20, &[("revenue-plausible", "612.4", false)]);
        gate(
            &mut r,
            t,
            GATE2,
            "Open the shop again with the new schema?",
            &GATE2_QUESTIONS,
            &["revenue-plausible"],
            t + 46_000,
            s0 + 180_000,
        );
        r.at(
            t + 9_700,
            Event::DecisionRejected {
                step: GATE2.into(),
                reason:
                    "critical checks failed (revenue-plausible); a go needs an explicit override"
                        .into(),
            },
        );
        decide(
            &mut r,
            t + 31_200,
            GATE2,
            Decision::Go,
            "frank",
            Some(
                "Revenue spike is the B2B bulk order placed at 22:40; confirmed with finance (FIN-2291).",
            ),
            &all_yes(&GATE2_QUESTIONS),
            &["revenue-plausible"],
        );
        let end = t + 31_230;
        r.at(end, phase_done("verify", u64::try_from(end - v0).unwrap()));
        let w0 = end + 50;
        r.at(w0, phase("watch"));
        r.at(
            w0 + 20,
            Event::ManualWaiting {
                step: "watch-dashboards".into(),
                prompt: "Keep the checkout error-rate dashboard open until the monitoring phase ends; report anything unusual.".into(),
            },
        );
        r.at(
            w0 + 1020,
            Event::ManualAcknowledged {
                step: "watch-dashboards".into(),
                operator: "frank".into(),
                note: None,
            },
        );
        let waits = [Some(Scalar::Int(0)), None, Some(Scalar::Int(0))];
        for (round, wait) in waits.into_iter().enumerate() {
            let at = w0 + 1040 + round as i64 * 5000;
            r.at(
                at,
                probe(
                    "active-sessions",
                    Some(Scalar::Int(9 + round as i64)),
                    false,
                ),
            );
            r.at(at + 3, probe("lock-waits", wait, false));
            r.at(
                at + 5,
                probe(
                    "orders-last-minute",
                    Some(Scalar::Float(2.5 * (round as f64 + 1.0))),
                    false,
                ),
            );
        }
        r.at(w0 + 15_010, phase_done("watch", 15_010));
        r.at(
            w0 + 15_040,
            Event::RunFinished {
                outcome: Outcome::Succeeded,
                message: None,
            },
        );
        r.text
    }

    pub fn by_name(name: &str) -> String {
        match name {
            "complete" => complete(),
            "rolled_back" => rolled_back(),
            "crashed" => crashed(),
            "resumed" => resumed(),
            "planned" => planned(),
            other => panic!("no fixture {other}"),
        }
    }
}

#[test]
fn fixtures_match_their_generator() {
    for name in FIXTURES {
        let text = fixtures::by_name(name);
        let path = fixture_path(name);
        if env_flag("REGENERATE_FIXTURES") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == text,
            "{} is not what the generator writes; REGENERATE_FIXTURES=1 cargo test --test report rewrites it",
            path.display()
        );
    }
}

#[test]
fn fixture_lines_have_the_journal_shape() {
    // Every complete line is an Entry that serializes back to exactly the same text.
    for name in FIXTURES {
        let text = std::fs::read_to_string(fixture_path(name)).unwrap();
        let mut seq = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let Some(line) = line.strip_suffix('\n') else {
                assert_eq!(name, "crashed", "only crashed.jsonl has a torn last line");
                assert!(serde_json::from_str::<Entry>(line).is_err());
                continue;
            };
            let entry: Entry = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}.jsonl line {}: {e}", i + 1));
            assert_eq!(serde_json::to_string(&entry).unwrap(), line);
            seq += 1;
            assert_eq!(entry.seq, seq, "{name}.jsonl: seq runs 1, 2, 3, ...");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Golden files
// ---------------------------------------------------------------------------------------

#[test]
fn markdown_matches_golden_files() {
    for name in FIXTURES {
        golden(&format!("{name}.md"), &markdown::render(&load(name)));
    }
}

#[test]
fn json_matches_golden_files_and_round_trips() {
    for name in FIXTURES {
        let r = load(name);
        let json = report::to_json(&r).unwrap();
        golden(&format!("{name}.json"), &json);
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r, "{name}: the JSON reads back into the same report");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["schema_version"], 1);
    }
}

// ---------------------------------------------------------------------------------------
// What the reports say
// ---------------------------------------------------------------------------------------

#[test]
fn complete_run_summary() {
    let r = load("complete");
    let s = &r.summary;
    assert_eq!(s.outcome, RunOutcome::Succeeded);
    assert_eq!(s.operator.as_deref(), Some("alice"));
    assert_eq!(
        s.target.as_deref(),
        Some("cutover@db-prod-1.internal:5432/shop")
    );
    let c = &s.counts;
    // Six migrations (the seed and 001–005) are applied, as `cutover history` counts them;
    // the command and the two manual steps are done, counted apart.
    assert_eq!((c.steps_applied, c.steps_done), (6, 3));
    assert_eq!(
        (c.steps_failed, c.steps_rolled_back, c.steps_skipped),
        (0, 0, 0)
    );
    assert_eq!(
        (c.checks_passed, c.checks_failed, c.checks_failed_warning),
        (10, 1, 1)
    );
    assert_eq!(c.alerts, 1);
    assert_eq!((c.lock_waits, c.lock_retries), (2, 2));
    assert!(
        s.window.margin_ms.unwrap() > 0,
        "finished before the hard end"
    );

    let fax = r.step("005_drop_customer_fax").unwrap();
    assert_eq!(fax.attempts, 3);
    assert_eq!(fax.retries.len(), 2);
    assert_eq!(fax.lock_waits[0].blockers[0].pid, 48213);
    assert_eq!(fax.status, StepStatus::Applied);
    assert_eq!(
        r.step("002_index_orders_customer").unwrap().in_transaction,
        Some(false)
    );
    assert_eq!(r.step("prepare-baseline-schema").unwrap().notices.len(), 1);

    let migrate = r.phases.iter().find(|p| p.phase == "migrate").unwrap();
    assert_eq!(migrate.budget_ms, Some(60_000));
    assert!(migrate.overrun_ms.unwrap() > 0);

    let lock_waits = r.probes.iter().find(|p| p.step == "lock-waits").unwrap();
    assert_eq!((lock_waits.min, lock_waits.max), (Some(0.0), Some(1.0)));
    assert_eq!(lock_waits.alerts, 1);
    let sessions = r
        .probes
        .iter()
        .find(|p| p.step == "active-sessions")
        .unwrap();
    assert_eq!(sessions.last.as_deref(), Some("14"));

    let md = markdown::render(&r);
    assert!(md.contains("| Outcome | **succeeded** |"));
    assert!(
        md.contains(
            "| Steps | 6 migration(s) applied, 3 command(s) and manual step(s) done, 0 failed,"
        ),
        "{md}"
    );
    assert!(md.contains("blocked by pid 48213"));
    assert!(md.contains("**FAIL** (warning)"));
}

#[test]
fn rolled_back_run_lists_the_no_go_and_every_undo() {
    let r = load("rolled_back");
    assert_eq!(r.summary.outcome, RunOutcome::RolledBack);
    let gate = r.checkpoints.iter().find(|c| c.step == "go-live").unwrap();
    assert_eq!(gate.failed_critical, ["one-event-per-order"]);
    assert_eq!(gate.rejections.len(), 1);
    let d = gate.decision.as_ref().unwrap();
    assert_eq!(d.decision.as_str(), "rollback");
    assert_eq!(r.rollbacks.len(), 1);
    let rb = &r.rollbacks[0];
    assert_eq!(rb.checkpoint.as_deref(), Some("go-live"));
    assert_eq!(rb.results.len(), 6);
    assert!(
        !rb.complete,
        "the seed migration has no rollback and stays applied"
    );
    assert_eq!(r.summary.counts.steps_rolled_back, 5);
    // The migration without rollback SQL is still applied, and counted so (as `status` does).
    assert_eq!(r.summary.counts.steps_applied, 1);
    assert_eq!(
        r.step("prepare-baseline-schema").map(|s| s.status),
        Some(StepStatus::Applied)
    );
    assert_eq!(r.summary.counts.checks_failed_critical, 1);
    // Rollback statements are not counted as the migration's own statements.
    assert_eq!(r.step("004_create_order_events").unwrap().statements, 2);
    let md = markdown::render(&r);
    assert!(md.contains("> **Outcome: rolled_back**"));
    assert!(
        md.contains("| **left applied** | no rollback SQL |"),
        "{md}"
    );
    assert!(!md.contains("ROLLBACK FAILED"), "{md}");
}

#[test]
fn crashed_report_says_incomplete_and_where_it_stopped() {
    let r = load("crashed");
    assert_eq!(r.summary.outcome, RunOutcome::Incomplete);
    let stop = r.summary.stopped_at.as_ref().unwrap();
    assert_eq!(stop.event, "statement_started");
    assert_eq!(stop.step.as_deref(), Some("003_backfill_loyalty_tier"));
    assert_eq!(stop.phase.as_deref(), Some("migrate"));
    assert!(r.journal.torn_tail);
    assert_eq!(stop.torn_line, r.journal.unreadable_lines.last().copied());
    let line = r.outcome_line();
    assert!(
        line.starts_with("INCOMPLETE — the journal ends at statement_started (2025-03-16 21:0"),
        "{line}"
    );
    assert!(
        line.contains("during step 003_backfill_loyalty_tier"),
        "{line}"
    );
    assert_eq!(
        r.step("003_backfill_loyalty_tier").unwrap().status,
        StepStatus::Interrupted
    );
    assert_eq!(r.summary.counts.steps_interrupted, 1);
    for text in [markdown::render(&r), html::render(&r)] {
        assert!(text.contains("INCOMPLETE"));
        assert!(text.contains("003_backfill_loyalty_tier"));
        assert!(text.contains("statement_started"));
    }
}

#[test]
fn resumed_run_is_one_run_with_its_interruption_and_override() {
    let r = load("resumed");
    assert_eq!(r.summary.outcome, RunOutcome::Succeeded);
    assert_eq!(r.segments.len(), 2);
    assert_eq!(r.interruptions.len(), 1);
    let i = &r.interruptions[0];
    assert_eq!(i.outcome, RunOutcome::Interrupted);
    assert_eq!(i.step.as_deref(), Some("002_index_orders_customer"));
    assert_eq!(i.resumed_by, "frank");
    assert_eq!(
        r.cancellations[0].step.as_deref(),
        Some("002_index_orders_customer")
    );
    // The planned end is the first attempt's.
    assert_eq!(r.summary.window.planned_end, r.segments[0].hard_end);
    // Steps done in the first attempt stay done; the interrupted index was built on resume.
    assert_eq!(
        r.step("001_add_loyalty_tier").unwrap().status,
        StepStatus::Applied
    );
    assert_eq!(r.step("tool-versions").unwrap().status, StepStatus::Done);
    let index = r.step("002_index_orders_customer").unwrap();
    assert_eq!((index.status, index.attempts), (StepStatus::Applied, 2));
    assert_eq!(r.summary.counts.steps_skipped, 0);
    let restored = r
        .checkpoints
        .iter()
        .filter(|c| c.step == "go-for-migration")
        .filter_map(|c| c.decision.as_ref())
        .find(|d| d.restored);
    assert!(restored.is_some(), "the standing go is noted as restored");
    assert_eq!(r.summary.counts.overrides, 1);
    let probe = r.probes.iter().find(|p| p.step == "lock-waits").unwrap();
    assert_eq!((probe.samples, probe.null_samples), (3, 1));
    let md = markdown::render(&r);
    assert!(md.contains("**⚠ OVERRIDE: frank said go at `go-live`"));
    // The go restated on resume is the attempt-1 decision, said once; steps done in attempt 1
    // are not each noted as "skipped when resumed".
    assert!(!md.contains("restored: given earlier in this run"), "{md}");
    assert_eq!(md.matches("### `go-for-migration`").count(), 1, "{md}");
    assert!(!md.contains("Skipped when resumed"), "{md}");
    assert!(md.contains("### Interruptions"));
    assert!(html::render(&r).contains("⚠ OVERRIDE: frank said go"));
}

// ---------------------------------------------------------------------------------------
// Planned against actual (journals with `run_started.plan`)
// ---------------------------------------------------------------------------------------

/// A fixture's report with `plans[i]` as the plan of its i-th `run_started`.
fn with_plans(name: &str, plans: &[Option<PlannedWindow>]) -> Report {
    use cutover::events::Event;
    let replayed = replay(&fixture_path(name)).unwrap();
    let mut entries = replayed.entries;
    let mut n = 0;
    for e in &mut entries {
        if let Event::RunStarted { plan, .. } = &mut e.event {
            *plan = plans.get(n).cloned().flatten();
            n += 1;
        }
    }
    assert_eq!(n, plans.len(), "{name}: one plan per run_started");
    report::build(&entries, &replayed.unreadable)
}

fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// The task lines of a gantt block, trimmed.
fn gantt_tasks(block: &str) -> Vec<&str> {
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.contains(" :"))
        .collect()
}

#[test]
fn planned_run_shows_planned_against_actual() {
    let r = load("planned");
    let plan = r.plan.as_ref().expect("the fixture journals a plan");
    assert_eq!(plan.segment, 1);
    assert_eq!(plan.window_start, at("2025-03-18T21:59:45Z"));
    assert_eq!(plan.window_budget_ms, 180_000);

    // Summary: the window planned against actual.
    let w = &r.summary.window;
    assert_eq!(w.planned_start, Some(plan.window_start));
    assert_eq!(w.planned_end, Some(at("2025-03-18T22:02:45Z")), "hard end");
    assert_eq!(w.planned_finish, Some(at("2025-03-18T22:02:30Z")));
    assert_eq!(w.start_delay_ms, Some(15_000));
    let ended = w.ended_at.unwrap();
    assert_eq!(
        w.finish_margin_ms,
        Some((at("2025-03-18T22:02:30Z") - ended).num_milliseconds())
    );
    assert!(
        w.finish_margin_ms.unwrap() > 0,
        "ahead of the planned finish"
    );

    // Phases: absolute planned times, actual times, overrun against the end and the budget.
    let ids: Vec<&str> = plan.phases.iter().map(|p| p.phase.as_str()).collect();
    assert_eq!(ids, ["prepare", "migrate", "verify", "watch"]);
    for p in &plan.phases {
        assert_eq!(p.progress, PhaseProgress::Finished, "{}", p.phase);
        assert_eq!(p.segments, [1]);
        let run = r.phases.iter().find(|run| run.phase == p.phase).unwrap();
        assert_eq!(p.actual_start, Some(run.started_at));
        assert_eq!(p.actual_end, Some(run.ended_at));
        assert_eq!(p.duration_ms, Some(run.duration_ms));
        assert_eq!(
            p.end_overrun_ms,
            Some((run.ended_at - p.planned_end).num_milliseconds())
        );
        assert_eq!(
            p.budget_overrun_ms,
            Some(run.duration_ms as i64 - p.budget_ms as i64)
        );
    }
    let phase = |id: &str| plan.phases.iter().find(|p| p.phase == id).unwrap();
    let migrate = phase("migrate");
    assert_eq!(
        (migrate.planned_start, migrate.planned_end),
        (at("2025-03-18T22:00:15Z"), at("2025-03-18T22:01:15Z"))
    );
    assert!(migrate.end_overrun_ms.unwrap() > 0, "migrate ends late");
    assert!(
        migrate.budget_overrun_ms.unwrap() > 0,
        "and over its budget"
    );
    // The engine's own budget event agrees.
    let run = r.phases.iter().find(|p| p.phase == "migrate").unwrap();
    assert_eq!(run.overrun_ms.map(|o| o as i64), migrate.budget_overrun_ms);
    let prepare = phase("prepare");
    assert!(prepare.end_overrun_ms.unwrap() > 0, "late start, late end");
    assert!(prepare.budget_overrun_ms.unwrap() < 0, "yet under budget");
    assert!(
        phase("verify").end_overrun_ms.unwrap() < 0,
        "verify catches up"
    );

    // Steps: expected against actual; the slow ones are flagged.
    let slow: Vec<&str> = r.much_longer_steps().map(|s| s.step.as_str()).collect();
    assert_eq!(slow, ["003_backfill_loyalty_tier", "005_drop_customer_fax"]);
    let fax = r.planned_step("005_drop_customer_fax").unwrap();
    assert_eq!(fax.expected_ms, 1000);
    // Elapsed covers all three attempts and both lock waits, not only the last attempt.
    assert!(fax.actual_ms.unwrap() > 4000);
    assert_eq!(
        r.step("005_drop_customer_fax").unwrap().duration_ms,
        Some(130)
    );
    let gate = r.planned_step("go-live").unwrap();
    assert_eq!(gate.expected_ms, 0);
    assert!(gate.actual_ms.unwrap() > 15_000 && !gate.much_longer);
    let announce = r.planned_step("announce-window").unwrap();
    assert!(announce.over_expected_ms.unwrap() > 0 && !announce.much_longer);

    let md = markdown::render(&r);
    for expected in [
        "| Window, planned start | 2025-03-18 21:59:45 UTC |",
        "| Planned finish (the last phase's planned end) | 2025-03-18 22:02:30 UTC |",
        "| Actual start | 2025-03-18 22:00:00 UTC — 15s after the planned start |",
        "5s ahead of the planned finish |",
        "| Steps much longer than expected | **2**: `003_backfill_loyalty_tier` (52.1s, expected 21s), `005_drop_customer_fax` (4.7s, expected 1s) |",
        "| Phase | Planned start | Planned end | Actual start | Actual end | vs planned end | Budget | Duration | vs budget |",
        "| `migrate` | 22:00:15 | 22:01:15 | 22:00:18 | 22:01:22 | **+7.7s** | 1m | 1m4s | **+4.3s** |",
        "| `verify` | 22:01:15 | 22:01:45 | 22:01:22 | 22:01:39 | -5.1s | 30s | 17.1s | -12.9s |",
        "| Duration | Expected | Elapsed | Attempts | Lock retries |",
        "| 130ms | 1s | **4.7s (4.7× expected)** | 3 | 2 |",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    assert!(!md.contains("budget only when the phase overruns it"));

    // The gantt: each phase's planned bar (no tag), then its actual bar.
    let blocks = mermaid_blocks(&md);
    assert_eq!(blocks.len(), 1);
    validate_gantt(&blocks[0]).unwrap_or_else(|e| panic!("{e}\n{}", blocks[0]));
    let tasks = gantt_tasks(&blocks[0]);
    for p in &plan.phases {
        let i = tasks
            .iter()
            .position(|t| t.starts_with(&format!("{} (planned) :t", p.phase)))
            .unwrap_or_else(|| panic!("no planned bar for {}", p.phase));
        let start = p.planned_start.format("%Y-%m-%dT%H:%M:%S").to_string();
        let end = p.planned_end.format("%Y-%m-%dT%H:%M:%S").to_string();
        assert!(
            tasks[i].ends_with(&format!(", {start}, {end}")),
            "{}",
            tasks[i]
        );
        assert!(
            tasks[i + 1].starts_with(&format!("{} (actual) :", p.phase)),
            "{}",
            tasks[i + 1]
        );
    }
    assert!(
        tasks.contains(&"migrate (actual) :crit, t9, 2025-03-18T22:00:18, 2025-03-18T22:01:22")
    );

    // The HTML draws the same: a planned box per phase (plus the legend's) in the SVG.
    let page = html::render(&r);
    assert_self_contained("planned", &page, true);
    let svg = &page[page.find("<svg").unwrap()..page.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<rect class=\"planned\"").count(), 4 + 1);
    assert!(svg.contains("planned against actual"));
    for p in ["prepare", "migrate", "verify", "watch"] {
        assert!(svg.contains(&format!(">{p} (planned)</text>")), "{p}");
        assert!(svg.contains(&format!(">{p} (actual)</text>")), "{p}");
    }
    assert!(page.contains("<th>Planned start</th>"));
    assert!(page.contains("<th>Expected</th><th>Elapsed</th>"));
    assert!(page.contains("<span class=\"fail\">52.1s (2.5× expected)</span>"));
}

#[test]
fn plan_less_journals_report_as_before() {
    // The goldens prove the text is unchanged; this names what must stay absent.
    for name in ["complete", "rolled_back", "crashed", "resumed"] {
        let r = load(name);
        assert!(r.plan.is_none(), "{name}");
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("plan").is_none(), "{name}: no plan key");
        let window = &v["summary"]["window"];
        for key in [
            "planned_start",
            "planned_finish",
            "start_delay_ms",
            "finish_margin_ms",
        ] {
            assert!(window.get(key).is_none(), "{name}: no {key}");
        }
        let md = markdown::render(&r);
        assert!(
            !md.contains("(planned)") && !md.contains("Planned start"),
            "{name}"
        );
        assert!(!html::render(&r).contains("class=\"planned\""), "{name}");
    }
}

#[test]
fn a_stopped_run_shows_the_phases_it_never_started_as_planned_only() {
    let r = with_plans(
        "crashed",
        &[Some(fixtures::demo_plan(
            "2025-03-16T21:00:00+00:00".into(),
        ))],
    );
    let plan = r.plan.as_ref().unwrap();
    let progress: Vec<(&str, PhaseProgress)> = plan
        .phases
        .iter()
        .map(|p| (p.phase.as_str(), p.progress))
        .collect();
    assert_eq!(
        progress,
        [
            ("prepare", PhaseProgress::Finished),
            ("migrate", PhaseProgress::Unfinished),
            ("verify", PhaseProgress::NotStarted),
            ("watch", PhaseProgress::NotStarted),
        ]
    );
    let verify = &plan.phases[2];
    assert!(verify.actual_start.is_none() && verify.duration_ms.is_none());
    assert!(verify.end_overrun_ms.is_none() && verify.steps.iter().all(|s| s.actual_ms.is_none()));
    // Interrupted mid-backfill: its elapsed time so far is known, the run's finish is not.
    let backfill = r.planned_step("003_backfill_loyalty_tier").unwrap();
    assert!(backfill.actual_ms.unwrap() > 0);
    // Stopped early is not ahead of plan: no negative overrun for what never finished.
    assert_eq!(backfill.over_expected_ms, None);
    let migrate = &plan.phases[1];
    assert_eq!(
        (migrate.end_overrun_ms, migrate.budget_overrun_ms),
        (None, None)
    );
    assert!(migrate.duration_ms.is_some());
    assert_eq!(r.summary.window.finish_margin_ms, None);
    assert!(r.summary.window.planned_finish.is_some());

    let md = markdown::render(&r);
    assert!(
        md.contains("| `verify` | 21:01:30 | 21:02:00 | not started | — | — | 30s | — | — |"),
        "{md}"
    );
    assert!(md.contains("(did not finish)"));
    let blocks = mermaid_blocks(&md);
    let tasks = validate_gantt(&blocks[0]).unwrap_or_else(|e| panic!("{e}\n{}", blocks[0]));
    let spans: usize = r.phases.iter().map(|p| p.spans.len() + 1).sum();
    assert_eq!(tasks, spans + plan.phases.len());
    assert!(blocks[0].contains("section verify (not started)\n    verify (planned) :t"));
    assert!(blocks[0].contains("section watch (not started)\n    watch (planned) :t"));
    let page = html::render(&r);
    assert_self_contained("crashed-with-plan", &page, true);
    assert!(page.contains(">verify (planned)</text>"));
    assert!(page.contains("not started"));
}

#[test]
fn a_resumed_run_is_measured_against_the_first_plan() {
    // A resumed attempt journals its plan again; here its window starts later (as if
    // re-planned from the resume), which must not move the reference or the hard end.
    let first = fixtures::demo_plan("2025-03-17T23:00:00+00:00".into());
    let later = fixtures::demo_plan("2025-03-17T23:14:00+00:00".into());
    let r = with_plans("resumed", &[Some(first.clone()), Some(later)]);
    let plan = r.plan.as_ref().unwrap();
    assert_eq!(plan.window_start, at("2025-03-17T23:00:00Z"));
    assert_eq!(plan.segment, 1);
    assert_eq!(r.summary.window.planned_end, r.segments[0].hard_end);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("journals a different plan") && w.contains("attempt 1")),
        "{:?}",
        r.warnings
    );
    let phase = |id: &str| plan.phases.iter().find(|p| p.phase == id).unwrap();
    let prepare = phase("prepare");
    assert_eq!(prepare.segments, [1, 2]);
    let runs: Vec<_> = r.phases.iter().filter(|p| p.phase == "prepare").collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(prepare.actual_start, Some(runs[0].started_at));
    assert_eq!(prepare.actual_end, Some(runs[1].ended_at));
    assert_eq!(
        prepare.duration_ms,
        Some(runs[0].duration_ms + runs[1].duration_ms)
    );
    assert!(
        prepare.end_overrun_ms.unwrap() > 13 * 60_000,
        "its last run ended after the 14-minute interruption"
    );
    assert_eq!(phase("verify").segments, [2]);
    // The index interrupted by Ctrl-C and built on resume: both stretches count.
    let index = r.planned_step("002_index_orders_customer").unwrap();
    let spans: i64 = r
        .phases
        .iter()
        .flat_map(|p| &p.spans)
        .filter(|s| s.step == "002_index_orders_customer")
        .map(|s| (s.ended_at - s.started_at).num_milliseconds())
        .sum();
    assert_eq!(index.actual_ms, Some(spans as u64));
    assert!(spans > 3000);
    let md = markdown::render(&r);
    assert!(md.contains("| Phase | Attempts | Planned start |"));
    assert!(
        md.contains("| `prepare` | 1, 2 | 23:00:00 | 23:00:30 |"),
        "{md}"
    );
    assert!(md.contains("counts from its first start to its last end"));
    validate_gantt(&mermaid_blocks(&md)[0]).unwrap();
    // One planned bar per phase, however often it ran.
    assert_eq!(md.matches("prepare (planned) :").count(), 1);
    assert_self_contained("resumed-with-plan", &html::render(&r), true);

    // The same plan journaled again is no news.
    let r = with_plans("resumed", &[Some(first.clone()), Some(first)]);
    assert!(!r.warnings.iter().any(|w| w.contains("different plan")));
    // A first attempt without a plan (an older engine) and a resume with one: that one.
    let resumed_plan = fixtures::demo_plan("2025-03-17T23:00:00+00:00".into());
    let r = with_plans("resumed", &[None, Some(resumed_plan)]);
    assert_eq!(r.plan.as_ref().map(|p| p.segment), Some(2));
    assert!(markdown::render(&r).contains("Attempt 2 journaled the plan"));
}

#[test]
fn a_malformed_plan_is_left_out_with_a_warning_never_a_panic() {
    let good = || fixtures::demo_plan("2025-03-14T22:00:00+00:00".into());
    let mut bad_start = good();
    bad_start.window_start = "after the standup".into();
    let mut far = good();
    far.phases[1].end_ms = u64::MAX;
    for (plan, why) in [(bad_start, "is not RFC 3339"), (far, "out of range")] {
        let r = with_plans("complete", &[Some(plan)]);
        assert!(r.plan.is_none());
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("the journaled plan is left out") && w.contains(why)),
            "{:?}",
            r.warnings
        );
        assert!(r.summary.window.planned_start.is_none());
        let md = markdown::render(&r);
        validate_gantt(&mermaid_blocks(&md)[0]).unwrap();
        assert_self_contained("bad-plan", &html::render(&r), true);
    }

    // Odd but representable: reversed offsets, absurd expectations, empty and unknown ids.
    let mut odd = good();
    odd.phases[0].end_ms = 0;
    odd.phases[0].steps[0].expected_ms = u64::MAX;
    odd.phases[0].steps[1].end_ms = 0;
    odd.phases[2].steps.clear();
    odd.phases[3].phase = "not-in-this-journal".into();
    odd.phases.push(odd.phases[1].clone());
    let r = with_plans("complete", &[Some(odd)]);
    let plan = r.plan.as_ref().unwrap();
    assert_eq!(plan.phases[0].planned_end, plan.phases[0].planned_start);
    assert!(
        !r.planned_step("prepare-baseline-schema")
            .unwrap()
            .much_longer
    );
    assert_eq!(plan.phases[3].progress, PhaseProgress::NotStarted);
    let md = markdown::render(&r);
    assert!(md.contains("| `watch` (not in the plan) |"), "{md}");
    validate_gantt(&mermaid_blocks(&md)[0]).unwrap_or_else(|e| panic!("{e}"));
    assert_self_contained("odd-plan", &html::render(&r), true);

    // A plan of the wrong shape makes its line unreadable, not the report impossible.
    let mut text = std::fs::read_to_string(fixture_path("complete")).unwrap();
    let first = text.lines().next().unwrap().to_owned();
    let broken = first.replacen(
        "\"resumed\":false",
        "\"resumed\":false,\"plan\":{\"window_start\":7,\"phases\":\"none\"}",
        1,
    );
    assert_ne!(broken, first);
    text = text.replacen(&first, &broken, 1);
    let path = tmp_dir("bad-plan").join("j.jsonl");
    std::fs::write(&path, text).unwrap();
    let replayed = replay(&path).unwrap();
    assert_eq!(replayed.unreadable, [1]);
    let r = report::build(&replayed.entries, &replayed.unreadable);
    assert!(r.plan.is_none());
    assert!(markdown::render(&r).contains("events before any run_started"));
}

/// What a rollback would have done is part of a gate's record: the report shows it under
/// the gate, in Markdown and JSON.
#[test]
fn a_gate_reports_what_a_rollback_then_would_have_done() {
    use cutover::events::{Event, KeptApplied};
    let replayed = replay(&fixture_path("complete")).unwrap();
    let mut entries = Vec::new();
    for e in replayed.entries {
        let gate = matches!(&e.event, Event::CheckpointReached { step, .. } if step == "go-live");
        let ts = e.ts;
        entries.push(e);
        if gate {
            entries.push(Entry {
                ts,
                seq: 0,
                event: Event::RollbackOutlook {
                    undoes: vec!["004_events".into(), "003_backfill".into()],
                    left_applied: vec![KeptApplied {
                        step: "000_seed".into(),
                        reason: "no rollback SQL".into(),
                    }],
                    expected_ms: Some(80_000),
                    fits: Some(true),
                },
            });
        }
    }
    for (n, e) in entries.iter_mut().enumerate() {
        e.seq = n as u64 + 1;
    }
    let r = report::build(&entries, &[]);
    let said = "undoes 004_events, 003_backfill (newest first) in about 1m20s as rehearsed; leaves applied 000_seed (no rollback SQL)";
    let md = markdown::render(&r);
    assert!(md.contains(&format!("**A rollback then:** {said}")), "{md}");
    let json = serde_json::to_value(&r).unwrap();
    let gates = json["checkpoints"].as_array().unwrap();
    let go_live = gates.iter().find(|g| g["step"] == "go-live").unwrap();
    assert_eq!(go_live["rollback_outlook"], said);
    // The other gates had none said: none reported.
    assert!(
        gates
            .iter()
            .filter(|g| g.get("rollback_outlook").is_some())
            .count()
            == 1
    );
}

#[test]
fn schema_doc_names_every_json_field() {
    let doc = std::fs::read_to_string(root().join("docs/report-schema.md")).unwrap();
    assert!(doc.contains("\"schema_version\": 1"));
    fn keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.insert(k.clone());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = BTreeSet::new();
    for name in FIXTURES {
        let v = serde_json::to_value(load(name)).unwrap();
        keys(&v, &mut all);
    }
    let missing: Vec<&String> = all
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/report-schema.md does not describe {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Mermaid and HTML structure
// ---------------------------------------------------------------------------------------

fn mermaid_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```mermaid") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "unterminated mermaid block");
    blocks
}

fn is_mermaid_date(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok()
}

fn is_mermaid_duration(text: &str) -> bool {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && ["ms", "s", "m", "h", "d", "w"].contains(&&text[digits..])
}

fn is_mermaid_id(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A structural check of a Mermaid gantt: the header lines, sections, and tasks of the form
/// `name :[tags,] [id,] start, end|duration` with the declared date format.
fn validate_gantt(block: &str) -> Result<usize, String> {
    let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("gantt") {
        return Err("the first line must be `gantt`".into());
    }
    let mut date_format = false;
    let mut in_section = false;
    let mut ids = BTreeSet::new();
    let mut tasks = 0;
    for line in lines {
        if let Some(f) = line.strip_prefix("dateFormat ") {
            if f != "YYYY-MM-DDTHH:mm:ss" {
                return Err(format!("unexpected dateFormat {f}"));
            }
            date_format = true;
            continue;
        }
        if line.starts_with("axisFormat ")
            || line.starts_with("title ")
            || line == "todayMarker off"
        {
            if in_section {
                return Err(format!("`{line}` after the first section"));
            }
            continue;
        }
        if let Some(name) = line.strip_prefix("section ") {
            if name.trim().is_empty() || name.contains([':', '#', ';']) {
                return Err(format!("bad section name `{name}`"));
            }
            in_section = true;
            continue;
        }
        let Some((name, meta)) = line.split_once(':') else {
            return Err(format!("not a task line: `{line}`"));
        };
        if !in_section {
            return Err(format!("task before any section: `{line}`"));
        }
        if !date_format {
            return Err("a task before dateFormat".into());
        }
        let name = name.trim();
        if name.is_empty() || name.contains(['#', ';']) {
            return Err(format!("bad task name `{name}`"));
        }
        let mut parts: Vec<&str> = meta.split(',').map(str::trim).collect();
        while parts
            .first()
            .is_some_and(|p| ["done", "active", "crit", "milestone"].contains(p))
        {
            parts.remove(0);
        }
        let (id, start, end) = match parts.as_slice() {
            [id, start, end] => (Some(*id), *start, *end),
            [start, end] => (None, *start, *end),
            _ => return Err(format!("task needs [id,] start, end: `{line}`")),
        };
        if let Some(id) = id
            && (!is_mermaid_id(id) || !ids.insert(id.to_owned()))
        {
            return Err(format!("bad or duplicate task id `{id}`"));
        }
        let start_ok = is_mermaid_date(start)
            || start
                .strip_prefix("after ")
                .is_some_and(|i| ids.contains(i.trim()));
        if !start_ok {
            return Err(format!("bad start `{start}` in `{line}`"));
        }
        if is_mermaid_date(end) {
            if is_mermaid_date(start) && end <= start {
                return Err(format!("task ends before it starts: `{line}`"));
            }
        } else if !is_mermaid_duration(end) {
            return Err(format!("bad end `{end}` in `{line}`"));
        }
        tasks += 1;
    }
    if !date_format {
        return Err("no dateFormat line".into());
    }
    if tasks == 0 {
        return Err("no task".into());
    }
    Ok(tasks)
}

#[test]
fn the_validator_rejects_what_mermaid_would() {
    let ok = "gantt\n    dateFormat YYYY-MM-DDTHH:mm:ss\n    section a\n    x :done, t1, 2025-01-01T00:00:00, 2025-01-01T00:00:05\n    y :after t1, 5s\n";
    assert_eq!(validate_gantt(ok), Ok(2));
    assert!(validate_gantt(&ok.replace("x :", "x:y :")).is_err());
    assert!(validate_gantt(&ok.replace("section a\n", "")).is_err());
    assert!(validate_gantt(&ok.replace("    dateFormat YYYY-MM-DDTHH:mm:ss\n", "")).is_err());
    assert!(validate_gantt(&ok.replace("5s", "5 secs")).is_err());
    assert!(validate_gantt(&ok.replace("x :", "x #1 :")).is_err());
}

#[test]
fn mermaid_gantt_parses_for_every_fixture() {
    for name in FIXTURES {
        let r = load(name);
        let md = markdown::render(&r);
        let blocks = mermaid_blocks(&md);
        assert_eq!(blocks.len(), 1, "{name}: one gantt block");
        let tasks =
            validate_gantt(&blocks[0]).unwrap_or_else(|e| panic!("{name}: {e}\n{}", blocks[0]));
        let spans: usize = r.phases.iter().map(|p| p.spans.len() + 1).sum::<usize>()
            + r.rollbacks
                .iter()
                .map(|rb| rb.results.len() + 1)
                .sum::<usize>();
        let planned = r.plan.as_ref().map_or(0, |p| p.phases.len());
        assert_eq!(
            tasks,
            spans + planned,
            "{name}: a task per phase run, step span and undo, and per planned phase"
        );
        assert!(blocks[0].contains("axisFormat %H:%M"));
    }
}

#[test]
fn mermaid_names_are_sanitised() {
    for r in [synthetic_with_hostile_text(), synthetic_with_hostile_plan()] {
        let md = markdown::render(&r);
        let blocks = mermaid_blocks(&md);
        validate_gantt(&blocks[0]).unwrap_or_else(|e| panic!("{e}\n{}", blocks[0]));
    }
}

fn assert_self_contained(name: &str, page: &str, svg: bool) {
    let lower = page.to_ascii_lowercase();
    for banned in [
        "http://", "https://", "<script", "<link", "<iframe", "<object", "@import", "url(",
    ] {
        assert!(
            !lower.contains(banned),
            "{name}: the HTML contains {banned}"
        );
    }
    // Journal text is escaped, so every `<` opens a real tag: check their attributes.
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        for (i, _) in tag.match_indices("src=") {
            assert!(
                tag[i + 4..]
                    .trim_start_matches(['"', '\''])
                    .starts_with("data:"),
                "{name}: <{tag}> loads something other than data:"
            );
        }
        for attr in ["href=", "action=", "onerror=", "onload="] {
            assert!(!tag.contains(attr), "{name}: <{tag}> has {attr}");
        }
    }
    if svg {
        assert!(
            lower.contains("<svg"),
            "{name}: the timeline is an inline SVG"
        );
    }
    assert!(lower.starts_with("<!doctype html>"));
    assert!(lower.trim_end().ends_with("</html>"));
}

#[test]
fn html_is_self_contained() {
    for name in FIXTURES {
        let page = html::render(&load(name));
        assert_self_contained(name, &page, true);
    }
}

/// A journal whose text tries to break out of every format.
fn synthetic_with_hostile_text() -> Report {
    synthetic_with_hostile_text_and(None)
}

/// The same with a plan whose ids are just as hostile (one phase ran, one never started).
fn synthetic_with_hostile_plan() -> Report {
    use cutover::events::{PlannedPhase, PlannedStep};
    let phase = |id: &str, start_ms: u64| PlannedPhase {
        phase: id.into(),
        kind: "migration</td><script>".into(),
        start_ms,
        end_ms: start_ms + 60_000,
        budget_ms: 60_000,
        steps: vec![PlannedStep {
            title: None,
            sql: None,
            step: "title: a#b;c".into(),
            kind: "migrate".into(),
            start_ms,
            end_ms: start_ms + 100,
            expected_ms: 100,
        }],
    };
    synthetic_with_hostile_text_and(Some(PlannedWindow {
        monitor_cap_ms: None,
        zone: None,
        window_start: "2025-04-01T09:59:00+00:00".into(),
        window_budget_ms: 1_800_000,
        phases: vec![
            phase("section: one # two", 0),
            phase("<img src=x onerror=alert(1)> :done, x, 2025", 60_000),
        ],
    }))
}

fn synthetic_with_hostile_text_and(plan: Option<PlannedWindow>) -> Report {
    use cutover::events::{Event, Outcome, SqlFailure};
    let t0 = chrono::DateTime::parse_from_rfc3339("2025-04-01T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let events = vec![
        Event::RunStarted {
            run_id: "x-1".into(),
            runbook: "x".into(),
            title: "<script>alert(1)</script> | *bold* # title: x".into(),
            checksum: "c".into(),
            operator: "mallory <img src=x onerror=alert(1)>".into(),
            target: "u@h:5432/d".into(),
            server_version: "17.0".into(),
            cutover_version: "0.1.0".into(),
            resumed: false,
            hard_end: "2025-04-01T10:30:00+00:00".into(),
            plan,
        },
        Event::PhaseStarted {
            phase: "section: one # two".into(),
        },
        Event::StepStarted {
            step: "title: a#b;c".into(),
            attempt: 1,
            in_transaction: Some(true),
        },
        Event::Notice {
            step: "title: a#b;c".into(),
            severity: "WARNING".into(),
            message: "</code><script>x</script> `tick` | pipe".into(),
        },
        Event::StepFailed {
            step: "title: a#b;c".into(),
            error: SqlFailure {
                sqlstate: Some("42P01".into()),
                message: "relation \"<b>\" does not exist".into(),
                detail: Some("a & b".into()),
                hint: Some("'quote'".into()),
                statement: Some(1),
                file: Some("m/<x>.sql".into()),
                line: Some(3),
                column: Some(7),
            },
        },
        Event::RunFinished {
            outcome: Outcome::Failed,
            message: Some("step `title: a#b;c` failed".into()),
        },
    ];
    let entries: Vec<Entry> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Entry {
            ts: t0 + chrono::Duration::seconds(i as i64),
            seq: i as u64 + 1,
            event,
        })
        .collect();
    report::build(&entries, &[])
}

#[test]
fn html_escapes_all_journal_text() {
    let r = synthetic_with_hostile_text();
    let page = html::render(&r);
    assert_self_contained("hostile", &page, true);
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("relation &quot;&lt;b&gt;&quot; does not exist"));
    assert!(page.contains("<code>m/&lt;x&gt;.sql:3:7 (statement 1)</code>"));
    let md = markdown::render(&r);
    // Markdown renderers pass raw HTML through: every `<` of journal text is escaped.
    assert!(!md.contains("<script>"));
    assert!(md.contains("mallory \\<img src=x onerror=alert(1)\\>"));
    assert!(md.contains("\\[42P01\\] relation"));

    // A plan's ids are journal text too.
    let r = synthetic_with_hostile_plan();
    assert_eq!(r.plan.as_ref().map(|p| p.phases.len()), Some(2));
    let page = html::render(&r);
    assert_self_contained("hostile-plan", &page, true);
    assert!(!page.contains("<img"));
    assert!(page.contains("<code>&lt;img src=x onerror=alert(1)&gt; :done, x, 2025</code>"));
    // In Markdown, ids are code spans, where `<` is literal; elsewhere it is escaped.
    let md = markdown::render(&r);
    for (i, _) in md.match_indices("<img") {
        assert!(
            md[..i].ends_with(['`', '\\']),
            "raw HTML outside a code span: {}",
            &md[i..]
        );
    }
    assert!(md.contains(
        "| `<img src=x onerror=alert(1)> :done, x, 2025` | 10:00:00 | 10:01:00 | not started |"
    ));
}

#[test]
fn a_step_marked_applied_after_an_uncertain_crash_counts_as_applied() {
    use cutover::events::{Event, Outcome};
    let t0 = chrono::Utc::now();
    let events = vec![
        Event::RunStarted {
            run_id: "r".into(),
            runbook: "x".into(),
            title: "t".into(),
            checksum: "c".into(),
            operator: "o".into(),
            target: "u@h:5432/d".into(),
            server_version: "17.0".into(),
            cutover_version: "0.1.0".into(),
            resumed: true,
            hard_end: "not a time".into(),
            plan: None,
        },
        Event::PhaseStarted { phase: "p".into() },
        Event::UncertainStep {
            step: "idx".into(),
            still_running: Vec::new(),
        },
        Event::StepSkipped {
            step: "idx".into(),
            reason: "marked applied by the operator after an uncertain interruption".into(),
        },
        Event::StepSkipped {
            step: "old".into(),
            reason: "already applied".into(),
        },
        Event::PhaseFinished {
            phase: "p".into(),
            duration_ms: 2,
        },
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    ];
    let entries: Vec<Entry> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Entry {
            ts: t0,
            seq: i as u64 + 1,
            event,
        })
        .collect();
    let r = report::build(&entries, &[]);
    let idx = r.step("idx").unwrap();
    assert!(idx.uncertain);
    assert_eq!(idx.status, StepStatus::Applied);
    assert_eq!(r.step("old").unwrap().status, StepStatus::Skipped);
    assert_eq!(
        (
            r.summary.counts.steps_applied,
            r.summary.counts.steps_skipped
        ),
        (1, 1)
    );
    assert!(r.warnings.iter().any(|w| w.contains("not RFC 3339")));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("starts with a resumed run"))
    );
    validate_gantt(&mermaid_blocks(&markdown::render(&r))[0]).unwrap();
}

#[test]
fn a_crash_then_resume_is_one_run_with_a_crash_interruption() {
    use cutover::events::{Event, Outcome};
    // What `Journal::open` does after a torn tail: a newline, then the sequence continues.
    let mut text = std::fs::read_to_string(fixture_path("crashed")).unwrap();
    text.push('\n');
    let crashed = load("crashed");
    let seg1 = &crashed.segments[0];
    let resumed_at = seg1.ended_at + chrono::Duration::minutes(3);
    let events = [
        Event::RunStarted {
            run_id: seg1.run_id.clone(),
            runbook: "demo".into(),
            title: "Demo shop — loyalty tiers and order events".into(),
            checksum: seg1.runbook_checksum.clone(),
            operator: "dave".into(),
            target: "cutover@db-prod-1.internal:5432/shop".into(),
            server_version: "16.4".into(),
            cutover_version: "0.1.0".into(),
            resumed: true,
            hard_end: (resumed_at + chrono::Duration::minutes(3)).to_rfc3339(),
            plan: None,
        },
        Event::PhaseStarted {
            phase: "migrate".into(),
        },
        Event::StepSkipped {
            step: "003_backfill_loyalty_tier".into(),
            reason: "already applied".into(),
        },
        Event::PhaseFinished {
            phase: "migrate".into(),
            duration_ms: 20,
        },
        Event::RunFinished {
            outcome: Outcome::Halted,
            message: Some("paused by the operator".into()),
        },
    ];
    for (i, event) in events.into_iter().enumerate() {
        let entry = Entry {
            ts: resumed_at + chrono::Duration::milliseconds(i as i64 * 10),
            seq: 32 + i as u64,
            event,
        };
        text.push_str(&serde_json::to_string(&entry).unwrap());
        text.push('\n');
    }
    let path = tmp_dir("crash-resume").join("j.jsonl");
    std::fs::write(&path, text).unwrap();
    let replayed = replay(&path).unwrap();
    let r = report::build(&replayed.entries, &replayed.unreadable);
    assert_eq!(r.summary.outcome, RunOutcome::Halted);
    assert!(r.summary.stopped_at.is_none());
    assert!(!r.journal.torn_tail, "the torn line is no longer the last");
    assert_eq!(r.journal.unreadable_lines, [32]);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("line 32 is not a readable"))
    );
    assert_eq!(r.interruptions.len(), 1);
    let i = &r.interruptions[0];
    assert_eq!(i.outcome, RunOutcome::Incomplete);
    assert_eq!(i.last_event, "statement_started");
    assert_eq!(i.step.as_deref(), Some("003_backfill_loyalty_tier"));
    assert_eq!(i.gap_ms, 180_000);
    // The crash left it uncertain in the journal; the resume found it committed.
    assert_eq!(
        r.step("003_backfill_loyalty_tier").unwrap().status,
        StepStatus::Applied
    );
    let md = markdown::render(&r);
    assert!(md.contains("no run_finished (crash or kill)"));
    validate_gantt(&mermaid_blocks(&md)[0]).unwrap();
}

#[test]
fn an_empty_journal_builds_an_incomplete_report() {
    let r = report::build(&[], &[1]);
    assert_eq!(r.summary.outcome, RunOutcome::Incomplete);
    assert!(markdown::render(&r).contains("INCOMPLETE"));
    assert_self_contained("empty", &html::render(&r), false);
}

// ---------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------

fn run_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .output()
        .expect("run cutover")
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn cli_prints_markdown_by_default() {
    let path = fixture_path("complete");
    let out = run_cli(&["report", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# Post-migration report: Demo shop"));
    assert!(text.contains("```mermaid\ngantt\n"));
}

#[test]
fn cli_writes_json_and_html_files() {
    let dir = tmp_dir("files");
    let crashed = fixture_path("crashed");
    let json = dir.join("r.json");
    let out = run_cli(&[
        "report",
        crashed.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        json.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r.summary.outcome, RunOutcome::Incomplete);
    assert_eq!(r.journal.file.as_deref(), crashed.to_str());

    // The format follows the -o extension when --format is not given.
    let page = dir.join("r.html");
    let out = run_cli(&[
        "report",
        crashed.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_self_contained("cli", &std::fs::read_to_string(&page).unwrap(), true);
}

#[test]
fn cli_fails_with_2_on_an_unreadable_journal() {
    let out = run_cli(&["report", "/nonexistent/run.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read the journal /nonexistent/run.jsonl"),
        "{err}"
    );

    let dir = tmp_dir("bad");
    let not_a_journal = dir.join("runbook.yaml");
    std::fs::write(&not_a_journal, "name: demo\nphases: []\n").unwrap();
    let out = run_cli(&["report", not_a_journal.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no readable journal entry"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn report_of_a_journal_path_that_is_a_directory_fails_cleanly() {
    let dir = tmp_dir("dir");
    let out = run_cli(&["report", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(Path::new(&dir).is_dir());
}

#[test]
fn the_server_seen_at_a_gate_is_in_the_report() {
    use cutover::events::{Event, ServerSession};
    let replayed = replay(&fixture_path("complete")).unwrap();
    let mut entries = replayed.entries;
    let gate = entries
        .iter()
        .position(|e| matches!(e.event, Event::CheckpointReached { .. }))
        .unwrap();
    let Event::CheckpointReached { step, .. } = entries[gate].event.clone() else {
        unreachable!()
    };
    let mut seen = entries[gate].clone();
    seen.event = Event::ServerActivity {
        step: step.clone(),
        sessions: vec![ServerSession {
            pid: 4242,
            application_name: "nightly-report".into(),
            user: "reporting".into(),
            state: "idle in transaction".into(),
            xact_start: Some(seen.ts - chrono::Duration::minutes(3)),
            query: "UPDATE orders SET flag = true".into(),
            waits_for: vec![],
            blocking: 1,
        }],
    };
    entries.insert(gate + 1, seen);
    let r = report::build(&entries, &replayed.unreadable);
    let cp = r.checkpoints.iter().find(|c| c.step == step).unwrap();
    let line = "pid 4242 nightly-report as reporting, idle in transaction, transaction open 3m, blocks 1: UPDATE orders SET flag = true";
    assert_eq!(cp.server_sessions, vec![line.to_owned()]);
    let md = markdown::render(&r);
    assert!(md.contains("Server at the gate"), "{md}");
    assert!(md.contains(line), "{md}");
    // Gates where nothing was going on add nothing.
    assert!(
        load("complete")
            .checkpoints
            .iter()
            .all(|c| c.server_sessions.is_empty())
    );
}

// ---------------------------------------------------------------------------------------
// Journals with nothing readable, parallel checks
// ---------------------------------------------------------------------------------------

#[test]
fn an_empty_or_torn_first_line_journal_reports_incomplete_with_nothing_recorded() {
    let dir = tmp_dir("empty");
    let first_line = std::fs::read_to_string(fixture_path("complete"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let torn = dir.join("torn.jsonl");
    std::fs::write(&torn, &first_line[..60]).unwrap();
    let barely = dir.join("barely.jsonl");
    std::fs::write(&barely, "{\"t").unwrap();
    for (path, torn_line) in [(&empty, None), (&torn, Some(1)), (&barely, Some(1))] {
        let out = run_cli(&["report", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {err}", path.display());
        let md = String::from_utf8(out.stdout).unwrap();
        assert!(md.contains("INCOMPLETE"), "{md}");
        assert!(md.contains("nothing was recorded"), "{md}");
        assert!(md.contains("| Actual end | — |"), "{md}");

        let out = run_cli(&["report", path.to_str().unwrap(), "--format", "json"]);
        assert_eq!(out.status.code(), Some(0));
        let r: Report = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r.summary.outcome, RunOutcome::Incomplete);
        assert_eq!(r.journal.entries, 0);
        assert_eq!(r.journal.torn_tail, torn_line.is_some());
        assert_eq!(
            r.journal.unreadable_lines,
            torn_line.into_iter().collect::<Vec<_>>()
        );
        assert!(r.outcome_line().contains("nothing was recorded"));

        let out = run_cli(&["report", path.to_str().unwrap(), "--format", "html"]);
        assert_eq!(out.status.code(), Some(0));
        let page = String::from_utf8(out.stdout).unwrap();
        assert!(page.contains("nothing was recorded"));
        assert_self_contained("empty-cli", &page, false);
    }
    let r = report::build(&[], &[1]);
    assert!(
        r.outcome_line().contains("line 1 is torn"),
        "{}",
        r.outcome_line()
    );

    // Not journals: a one-line runbook, other JSON, and (as before) a longer runbook.
    for (name, text) in [
        ("one-line.yaml", "name: demo\n"),
        ("other.json", "{\"name\": \"demo\"}\n"),
        ("runbook.yaml", "name: demo\nphases: []\n"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = run_cli(&["report", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("holds no readable journal entry"),
            "{name}: {err}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
}

/// A batch of three checks run in parallel, as `run_checks` journals it: every
/// `step_started` when the batch starts, each `check_result` with the check's own duration;
/// `step_finished` either together when the batch ends (`batch_end`) or each on time.
fn parallel_checks(batch_end: bool) -> Report {
    use cutover::events::{Event, Outcome, PlannedPhase, PlannedStep};
    use cutover::runbook::{Expectation, Severity};
    let t0 = at("2025-04-01T10:00:00Z");
    let checks: [(&str, u64, u64); 3] = [
        ("fast-a", 40, 1000),
        ("fast-b", 30, 1000),
        ("slow-c", 5000, 6000),
    ];
    let plan = PlannedWindow {
        monitor_cap_ms: None,
        zone: None,
        window_start: t0.to_rfc3339(),
        window_budget_ms: 60_000,
        phases: vec![PlannedPhase {
            phase: "verify".into(),
            kind: "verification".into(),
            start_ms: 0,
            end_ms: 30_000,
            budget_ms: 30_000,
            steps: checks
                .iter()
                .map(|&(step, _, expected_ms)| PlannedStep {
                    title: None,
                    sql: None,
                    step: step.into(),
                    kind: "check".into(),
                    start_ms: 0,
                    end_ms: expected_ms,
                    expected_ms,
                })
                .collect(),
        }],
    };
    let mut events: Vec<(i64, Event)> = vec![
        (
            0,
            Event::RunStarted {
                run_id: "par".into(),
                runbook: "par".into(),
                title: "Parallel checks".into(),
                checksum: "c".into(),
                operator: "o".into(),
                target: "u@h:5432/d".into(),
                server_version: "17.0".into(),
                cutover_version: "0.1.0".into(),
                resumed: false,
                hard_end: (t0 + chrono::Duration::minutes(1)).to_rfc3339(),
                plan: Some(plan),
            },
        ),
        (
            10,
            Event::PhaseStarted {
                phase: "verify".into(),
            },
        ),
    ];
    for (n, &(step, _, _)) in checks.iter().enumerate() {
        events.push((
            20 + n as i64,
            Event::StepStarted {
                step: step.into(),
                attempt: 1,
                in_transaction: Some(true),
            },
        ));
    }
    let mut done: Vec<(i64, Event)> = Vec::new();
    for (n, &(step, took, _)) in checks.iter().enumerate() {
        let start = 20 + n as i64;
        // The batch ends when its slowest check does.
        let ms = if batch_end {
            5030 + 2 * n as i64
        } else {
            start + took as i64 + 1
        };
        done.push((
            ms,
            Event::CheckResult {
                step: step.into(),
                passed: true,
                actual: "0".into(),
                expected: Expectation::Rows(0),
                severity: Severity::Critical,
                duration_ms: took,
            },
        ));
        done.push((
            ms + 1,
            Event::StepFinished {
                step: step.into(),
                duration_ms: took,
                rows: 0,
            },
        ));
    }
    done.sort_by_key(|(ms, _)| *ms);
    events.extend(done);
    events.push((
        5040,
        Event::PhaseFinished {
            phase: "verify".into(),
            duration_ms: 5030,
        },
    ));
    events.push((
        5050,
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    ));
    let entries: Vec<Entry> = events
        .into_iter()
        .enumerate()
        .map(|(i, (ms, event))| Entry {
            ts: t0 + chrono::Duration::milliseconds(ms),
            seq: i as u64 + 1,
            event,
        })
        .collect();
    report::build(&entries, &[])
}

#[test]
fn parallel_checks_are_measured_by_their_own_duration() {
    let t0 = at("2025-04-01T10:00:00Z");
    for batch_end in [true, false] {
        let r = parallel_checks(batch_end);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.much_longer_steps().count(), 0, "batch_end {batch_end}");
        for (n, (id, took)) in [("fast-a", 40u64), ("fast-b", 30), ("slow-c", 5000)]
            .into_iter()
            .enumerate()
        {
            let start = t0 + chrono::Duration::milliseconds(20 + n as i64);
            let end = start + chrono::Duration::milliseconds(took as i64);
            let s = r.step(id).unwrap();
            assert_eq!(s.status, StepStatus::Passed);
            assert_eq!(s.duration_ms, Some(took), "{id}");
            assert_eq!(
                (s.started_at, s.finished_at),
                (Some(start), Some(end)),
                "{id}"
            );
            let p = r.planned_step(id).unwrap();
            assert_eq!(p.actual_ms, Some(took), "{id} batch_end {batch_end}");
            assert_eq!(
                (p.actual_start, p.actual_end),
                (Some(start), Some(end)),
                "{id}"
            );
            assert!(!p.much_longer, "{id}");
            // The gantt and SVG bars are drawn from the spans.
            let span = r.phases[0].spans.iter().find(|sp| sp.step == id).unwrap();
            assert_eq!((span.started_at, span.ended_at), (start, end), "{id}");
        }
        let md = markdown::render(&r);
        assert!(
            md.contains("| Steps much longer than expected | none |"),
            "{md}"
        );
        assert!(!md.contains("expected)**"), "{md}");
        validate_gantt(&mermaid_blocks(&md)[0]).unwrap();
        let page = html::render(&r);
        assert!(page.contains("Steps much longer than expected"));
        for id in ["fast-a", "fast-b"] {
            assert!(!page.contains(&format!("<code>{id}</code> (")), "{page}");
        }
    }
}

/// Journals written before `rollback_left_applied` said "left applied" as a failed rollback
/// step; the report still reads that as a step left applied, not a ROLLBACK FAILED.
#[test]
fn an_older_journal_s_left_applied_rollback_is_read_as_left_applied() {
    let text = std::fs::read_to_string(fixture_path("rolled_back")).unwrap();
    let old = r#""event":"rollback_left_applied","step":"prepare-baseline-schema","reason":"no rollback SQL""#;
    assert!(text.contains(old), "the fixture has the new event");
    let text = text.replace(
        old,
        r#""event":"rollback_step","step":"prepare-baseline-schema","ok":false,"error":{"message":"no rollback SQL declared; left applied"}"#,
    );
    let dir = std::env::temp_dir().join(format!("cutover-old-left-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old.jsonl");
    std::fs::write(&path, text).unwrap();
    let replayed = replay(&path).unwrap();
    assert!(replayed.unreadable.is_empty());
    let r = report::build(&replayed.entries, &replayed.unreadable);
    assert_eq!(
        r.step("prepare-baseline-schema").map(|s| s.status),
        Some(StepStatus::Applied)
    );
    assert_eq!(r.summary.counts.steps_applied, 1);
    let md = markdown::render(&r);
    assert!(
        md.contains("| **left applied** | no rollback SQL |"),
        "{md}"
    );
}

/// A rehearsal capped with `--monitor-for` says so in the report (and in its JSON), so its
/// times are never read as a real window's.
#[test]
fn a_capped_rehearsal_is_never_read_as_a_real_window() {
    let mut plan = fixtures::demo_plan("2025-03-16T21:00:00+00:00".into());
    plan.monitor_cap_ms = Some(30_000);
    let r = with_plans("crashed", &[Some(plan)]);
    assert_eq!(r.plan.as_ref().and_then(|p| p.monitor_cap_ms), Some(30_000));
    let md = markdown::render(&r);
    assert!(
        md.contains("Rehearsal: each monitoring phase was capped at 30s"),
        "{md}"
    );
    assert!(html::render(&r).contains("Rehearsal: each monitoring phase was capped at 30s"));
    let real = with_plans(
        "crashed",
        &[Some(fixtures::demo_plan(
            "2025-03-16T21:00:00+00:00".into(),
        ))],
    );
    assert!(!markdown::render(&real).contains("Rehearsal"));
}

/// A note given with a manual step's acknowledgement is in the report.
#[test]
fn a_manual_steps_note_is_in_the_report() {
    use cutover::events::{Event, Outcome};
    use cutover::journal::Entry;
    let t0 = chrono::Utc::now();
    let entries: Vec<Entry> = [
        Event::RunStarted {
            run_id: "n".into(),
            runbook: "n".into(),
            title: "Notes".into(),
            checksum: "c".into(),
            operator: "o".into(),
            target: "u@h:5432/d".into(),
            server_version: "17.0".into(),
            cutover_version: "0.1.0".into(),
            resumed: false,
            hard_end: t0.to_rfc3339(),
            plan: None,
        },
        Event::PhaseStarted {
            phase: "prep".into(),
        },
        Event::ManualWaiting {
            step: "backup".into(),
            prompt: "Take the backup.".into(),
        },
        Event::ManualAcknowledged {
            step: "backup".into(),
            operator: "alice".into(),
            note: Some("backup-0301.dump".into()),
        },
        Event::RunFinished {
            outcome: Outcome::Succeeded,
            message: None,
        },
    ]
    .into_iter()
    .enumerate()
    .map(|(n, event)| Entry {
        ts: t0 + chrono::Duration::seconds(n as i64),
        seq: n as u64 + 1,
        event,
    })
    .collect();
    let r = cutover::report::model::build(&entries, &[]);
    assert_eq!(
        r.step("backup").and_then(|s| s.note.as_deref()),
        Some("backup-0301.dump")
    );
    assert!(markdown::render(&r).contains("Their note: “backup-0301.dump”"));
}

/// The report shows times in the runbook's window zone, as journaled with the plan, and says
/// which zone; UTC without one.
#[test]
fn the_report_shows_times_in_the_windows_zone() {
    let mut plan = fixtures::demo_plan("2025-03-16T21:00:00+00:00".into());
    plan.zone = Some("+01:00".into());
    let zoned = with_plans("crashed", &[Some(plan)]);
    let md = markdown::render(&zoned);
    assert!(md.contains("UTC+01:00"), "{md}");
    let utc = with_plans(
        "crashed",
        &[Some(fixtures::demo_plan(
            "2025-03-16T21:00:00+00:00".into(),
        ))],
    );
    let plain = markdown::render(&utc);
    // The window started at 21:00 UTC: 22:00 in the window's zone.
    assert!(plain.contains("21:0") && !plain.contains("UTC+01:00"));
    assert!(md.contains("22:0"), "{md}");
    assert!(html::render(&zoned).contains("UTC+01:00"));
}

/// The timeline never draws two phases at once: rounding to whole seconds once made each phase
/// bar overlap the next (a phase over within the second the next began is a milestone).
#[test]
fn phase_bars_in_the_timeline_never_overlap() {
    for name in ["resumed", "complete", "crashed"] {
        let md = markdown::render(&load(name));
        let blocks = mermaid_blocks(&md);
        let Some(gantt) = blocks.first() else {
            continue;
        };
        let mut bars: Vec<(String, String)> = gantt
            .lines()
            .filter(|l| l.contains("(phase") && !l.contains("milestone"))
            .filter_map(|l| {
                let parts: Vec<&str> = l.split(',').map(str::trim).collect();
                let n = parts.len();
                (n >= 2).then(|| (parts[n - 2].to_owned(), parts[n - 1].to_owned()))
            })
            .collect();
        bars.sort();
        for pair in bars.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "{name}: phase bars overlap: {pair:?}\n{gantt}"
            );
        }
    }
}

/// Checks are listed in the runbook's order with their titles (the journaled plan's), whatever
/// order a parallel batch finished in, and their SQL is in an appendix.
#[test]
fn checks_are_listed_in_runbook_order_with_titles_and_their_sql() {
    let mut plan = fixtures::demo_plan("2025-03-14T22:00:00+00:00".into());
    // The plan puts `few-open-orders` first in its phase: the table must follow the plan.
    let verify = plan
        .phases
        .iter_mut()
        .find(|p| p.phase == "verify")
        .expect("a verify phase");
    let last = verify
        .steps
        .iter()
        .rposition(|s| s.kind == "check")
        .unwrap();
    let moved = verify.steps.remove(last);
    let moved_id = moved.step.clone();
    verify.steps.insert(0, moved);
    verify.steps[0].title = Some("Few open orders left".into());
    verify.steps[0].sql = Some("SELECT count(*) FROM orders WHERE status = 'open'".into());
    let r = with_plans("complete", &[Some(plan)]);
    let md = markdown::render(&r);
    let table_start = md.find("## Verification").unwrap();
    let first_row = md[table_start..]
        .lines()
        .find(|l| {
            l.starts_with("| `")
                && !l.contains("`customers-seeded`")
                && !l.contains("`tier-backfilled`")
        })
        .unwrap_or_default();
    assert!(
        first_row.starts_with(&format!("| `{moved_id}` — Few open orders left")),
        "{first_row}\n{md}"
    );
    assert!(md.contains("## Appendix: the checks' SQL"), "{md}");
    assert!(md.contains("SELECT count(*) FROM orders WHERE status = 'open'"));
    assert!(
        html::render(&r).contains("Appendix: the checks&#39; SQL")
            || html::render(&r).contains("Appendix: the checks' SQL")
    );
}

/// Markdown and HTML are two renderings of one document: the same sections in the same
/// order, and every identifier and piece of journal text of it in both.
#[test]
fn markdown_and_html_render_one_document() {
    use cutover::report::doc::{Block, Span};
    fn words(spans: &[Span], out: &mut Vec<String>) {
        for s in spans {
            match s {
                Span::Code(t) | Span::Text(t) if t.len() > 3 && !t.contains('\n') => {
                    out.push(t.clone())
                }
                Span::Strong(i) | Span::Bad(i) | Span::Good(i) | Span::Emph(i) | Span::Muted(i) => {
                    words(i, out)
                }
                _ => {}
            }
        }
    }
    for name in ["complete", "crashed", "planned", "resumed", "rolled_back"] {
        let r = load(name);
        let doc = report::document::build(&r);
        let md = markdown::render(&r);
        let page = html::render(&r);
        let mut md_at = 0;
        let mut html_at = 0;
        for section in &doc.sections {
            let h2 = format!("<h2>{}</h2>", html::escape(section.title));
            md_at += md[md_at..]
                .find(&format!("## {}\n", section.title))
                .unwrap_or_else(|| {
                    panic!(
                        "{name}: {} missing or out of order in Markdown",
                        section.title
                    )
                });
            html_at += page[html_at..].find(&h2).unwrap_or_else(|| {
                panic!("{name}: {} missing or out of order in HTML", section.title)
            });
            let mut shown = Vec::new();
            for block in &section.blocks {
                match block {
                    Block::Heading(s) | Block::Para(s) | Block::Note(s) => words(s, &mut shown),
                    Block::Table { rows, .. } => {
                        rows.iter().flatten().for_each(|c| words(c, &mut shown))
                    }
                    Block::Pairs(pairs) => pairs.iter().for_each(|(_, v)| words(v, &mut shown)),
                    Block::List(items) => items.iter().for_each(|i| {
                        words(&i.spans, &mut shown);
                        i.sub.iter().for_each(|s| words(s, &mut shown));
                    }),
                    Block::Sql(_) | Block::Timeline => {}
                }
            }
            for w in shown {
                let plain_md = md.replace('\\', "");
                assert!(
                    plain_md.contains(&w.replace('|', "\\|").replace('\\', "")) || md.contains(&w),
                    "{name}: {w:?} ({}) not in the Markdown",
                    section.title
                );
                assert!(
                    page.contains(&html::escape(&w)),
                    "{name}: {w:?} ({}) not in the HTML",
                    section.title
                );
            }
        }
    }
}
