//! One frame of the operator TUI for a 2,000-step runbook with 10,000 log lines, drawn into
//! a 160×48 TestBackend, against an empty frame drawn the same way in the same run.
//!
//! `cargo bench --bench tui_frame`. Prints the mean time per frame and the ratio; the
//! target is under 2 ms per frame. It reports, it does not assert.

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use cutover::events::{Blocker, Event};
use cutover::journal::Entry;
use cutover::runbook::{Comparison, Expectation, Op, Scalar, Severity};
use cutover::tui::{Panel, UiState, ViewState, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const PHASES: usize = 20;
const PER_PHASE: usize = 100;

fn runbook_text() -> String {
    let mut y = String::from(
        "name: big\ntitle: Two thousand steps\nwindow:\n  start: 2025-03-01T00:00:00Z\n  budget: 24h\nphases:\n",
    );
    for p in 0..PHASES {
        let kind = match p {
            p if p == PHASES - 1 => "monitoring",
            p if p == PHASES - 2 => "verification",
            _ => "migration",
        };
        let _ = write!(
            y,
            "  - id: phase{p:02}\n    title: Phase {p}\n    kind: {kind}\n    budget: 1h\n    steps:\n"
        );
        for k in 0..PER_PHASE {
            let id = format!("p{p:02}_s{k:03}");
            if kind == "monitoring" {
                let _ = write!(
                    y,
                    "      - probe: {id}\n        sql: SELECT count(*) FROM pg_stat_activity\n        every: 5s\n        alert: {{ gt: 50 }}\n"
                );
            } else if k == PER_PHASE - 1 {
                let _ = write!(
                    y,
                    "      - checkpoint: {id}\n        prompt: Continue?\n        questions: [Looks right?, Team told?]\n"
                );
            } else if kind == "verification" || k % 10 == 9 {
                let _ = write!(
                    y,
                    "      - check: {id}\n        sql: SELECT count(*) FROM t_{p}_{k}\n        expect: 0\n        expected_duration: 1s\n"
                );
            } else {
                let _ = write!(
                    y,
                    "      - migrate: {id}\n        sql: |\n          CREATE TABLE IF NOT EXISTS t_{p}_{k} (id bigint PRIMARY KEY, v text);\n          INSERT INTO t_{p}_{k} VALUES (1, 'x');\n        expected_duration: 10s\n"
                );
                if k >= 2 && k % 10 != 1 {
                    let _ = writeln!(y, "        depends_on: [p{p:02}_s{:03}]", k - 2);
                }
            }
        }
    }
    y
}

fn main() {
    let text = runbook_text();
    let setup = Instant::now();
    let loaded = cutover::runbook::load_text(Path::new("big.yaml"), &text, &|_| None);
    let Some(runbook) = loaded.runbook else {
        eprintln!(
            "the generated runbook does not load: {:?}",
            loaded.diagnostics
        );
        return;
    };
    let plan = cutover::plan::plan(&runbook);
    let mut state = UiState::new(&runbook, &plan, "alice");
    let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
    let mut seq = 0u64;
    let mut feed = |state: &mut UiState, secs: i64, event: Event| {
        seq += 1;
        state.apply(&Entry {
            ts: t0 + chrono::Duration::seconds(secs),
            seq,
            event,
        });
    };
    feed(
        &mut state,
        0,
        Event::RunStarted {
            run_id: "big-1".into(),
            runbook: "big".into(),
            title: "Two thousand steps".into(),
            checksum: "x".into(),
            operator: "alice".into(),
            target: "postgres://app@db:5432/big".into(),
            server_version: "16.4".into(),
            cutover_version: "0.1.0".into(),
            resumed: false,
            hard_end: "2025-03-02T00:00:00+00:00".into(),
            plan: None,
        },
    );
    // Half the phases done, the next one half way, a lock wait on its running step.
    let mut t = 1;
    for p in 0..=PHASES / 2 {
        let phase = format!("phase{p:02}");
        feed(
            &mut state,
            t,
            Event::PhaseStarted {
                phase: phase.clone(),
            },
        );
        let last = if p == PHASES / 2 {
            PER_PHASE / 2
        } else {
            PER_PHASE
        };
        for k in 0..last {
            let step = format!("p{p:02}_s{k:03}");
            feed(
                &mut state,
                t,
                Event::StepStarted {
                    step: step.clone(),
                    attempt: 1,
                    in_transaction: Some(true),
                },
            );
            if k % 10 == 9 || k == PER_PHASE - 1 {
                feed(
                    &mut state,
                    t,
                    Event::CheckResult {
                        step: step.clone(),
                        passed: k % 30 != 9,
                        actual: "0".into(),
                        expected: Expectation::Value(Comparison::Compare {
                            op: Op::Eq,
                            value: Scalar::Int(0),
                        }),
                        severity: Severity::Critical,
                        duration_ms: 12,
                    },
                );
            } else {
                for index in 1..=2 {
                    feed(
                        &mut state,
                        t,
                        Event::StatementStarted {
                            step: step.clone(),
                            index,
                            sql: "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY)".into(),
                        },
                    );
                    feed(
                        &mut state,
                        t + 1,
                        Event::StatementFinished {
                            step: step.clone(),
                            index,
                            rows: 1,
                            duration_ms: 900,
                        },
                    );
                }
            }
            t += 2;
            feed(
                &mut state,
                t,
                Event::StepFinished {
                    step,
                    duration_ms: 2_000,
                    rows: 2,
                },
            );
        }
        if p < PHASES / 2 {
            feed(
                &mut state,
                t,
                Event::PhaseFinished {
                    phase,
                    duration_ms: 200_000,
                },
            );
        }
    }
    let running = format!("p{:02}_s{:03}", PHASES / 2, PER_PHASE / 2);
    feed(
        &mut state,
        t,
        Event::StepStarted {
            step: running.clone(),
            attempt: 2,
            in_transaction: Some(true),
        },
    );
    feed(
        &mut state,
        t,
        Event::StatementStarted {
            step: running.clone(),
            index: 1,
            sql: "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY)".into(),
        },
    );
    feed(
        &mut state,
        t + 1,
        Event::LockWait {
            step: running.clone(),
            blockers: vec![Blocker {
                pid: 4242,
                application_name: "psql".into(),
                state: "idle in transaction".into(),
                query: "SELECT 1".into(),
                xact_age_s: 95.0,
            }],
            waited_ms: 1000,
        },
    );
    let mut n = 0;
    while state.log.len() < 10_000 {
        n += 1;
        feed(
            &mut state,
            t + 2,
            Event::Notice {
                step: running.clone(),
                severity: "NOTICE".into(),
                message: format!("relation \"t\" already exists, skipping ({n})"),
            },
        );
    }
    let setup = setup.elapsed();

    let mut view = ViewState::new(t0 + chrono::Duration::seconds(t + 5));
    view.panel = Panel::Graph;
    view.sync(&state);
    println!(
        "tui_frame: {} steps, {} phases, {} log lines, {} checks (setup {:.1?})",
        state.steps.len(),
        state.phases.len(),
        state.log.len(),
        state.checks.len(),
        setup
    );

    let Ok(mut full) = Terminal::new(TestBackend::new(160, 48));
    let Ok(mut empty) = Terminal::new(TestBackend::new(160, 48));
    let frame = |term: &mut Terminal<TestBackend>| {
        let _ = term.draw(|f| draw(f, black_box(&state), black_box(&view)));
    };
    let blank = |term: &mut Terminal<TestBackend>| {
        let _ = term.draw(|f| {
            black_box(f.area());
        });
    };
    let measure = |term: &mut Terminal<TestBackend>, f: &dyn Fn(&mut Terminal<TestBackend>)| {
        for _ in 0..20 {
            f(term);
        }
        let mut times = Vec::new();
        let budget = Instant::now();
        while times.len() < 2_000 && (budget.elapsed() < Duration::from_secs(3) || times.len() < 50)
        {
            let start = Instant::now();
            f(term);
            times.push(start.elapsed());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        (
            mean,
            times[times.len() / 2],
            times[times.len() * 99 / 100],
            times.len(),
        )
    };
    // Interleave so both see the same machine load.
    let (mean_e, p50_e, _, n_e) = measure(&mut empty, &blank);
    let (mean_f, p50_f, p99_f, n_f) = measure(&mut full, &frame);
    let (mean_e2, _, _, _) = measure(&mut empty, &blank);
    let mean_e = (mean_e + mean_e2) / 2;
    println!("empty frame   160x48: mean {mean_e:>10.1?}  p50 {p50_e:>10.1?}  ({n_e} frames)");
    println!(
        "full frame    160x48: mean {mean_f:>10.1?}  p50 {p50_f:>10.1?}  p99 {p99_f:>10.1?}  ({n_f} frames)"
    );
    println!(
        "ratio full/empty: {:.1}x; target < 2 ms per frame: {}",
        mean_f.as_secs_f64() / mean_e.as_secs_f64().max(1e-9),
        if mean_f < Duration::from_millis(2) {
            "met"
        } else {
            "NOT met"
        }
    );
    // The small-terminal layout too.
    let Ok(mut small) = Terminal::new(TestBackend::new(80, 24));
    let (mean_s, _, _, n_s) = measure(&mut small, &frame);
    println!("full frame     80x24: mean {mean_s:>10.1?}  ({n_s} frames)");
}
