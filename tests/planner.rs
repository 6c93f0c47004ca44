//! Planner behaviour on small runbooks: order, barriers, parallelism, timing, the
//! critical path, transaction modes, tables, conflicts and the graph renderings.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cutover::diag::{Diagnostic, Level};
use cutover::plan::{EdgeKind, Plan, graph, plan};
use cutover::runbook::Runbook;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A fresh folder under the system temp dir for one runbook.
fn scratch_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir =
        std::env::temp_dir().join(format!("cutover-planner-tests-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Writes `text` as a runbook in its own temp folder, loads it (it must load without
/// errors) and plans it.
fn load(text: &str) -> Runbook {
    let dir = scratch_dir();
    let path = dir.join("runbook.yaml");
    std::fs::write(&path, text).expect("write runbook");
    let loaded = cutover::runbook::load_with_env(&path, &|_| None);
    let runbook = loaded.runbook.unwrap_or_else(|| {
        panic!(
            "the test runbook does not load:\n{}\n---\n{text}",
            show(&loaded.diagnostics)
        )
    });
    let _ = std::fs::remove_dir_all(&dir);
    runbook
}

fn planned(text: &str) -> (Runbook, Plan) {
    let runbook = load(text);
    let plan = plan(&runbook);
    (runbook, plan)
}

fn show(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn order_ids(plan: &Plan) -> Vec<&str> {
    plan.execution_order()
        .map(|i| plan.steps[i].id.as_str())
        .collect()
}

fn index_of(plan: &Plan, id: &str) -> usize {
    plan.steps
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step `{id}` in the plan"))
}

fn has_edge(plan: &Plan, from: &str, to: &str, kind: EdgeKind) -> bool {
    let (from, to) = (index_of(plan, from), index_of(plan, to));
    plan.edges.contains(&(from, to, kind))
}

fn with_code<'a>(plan: &'a Plan, code: &str) -> Vec<&'a Diagnostic> {
    plan.diagnostics.iter().filter(|d| d.code == code).collect()
}

fn no_errors(plan: &Plan) {
    assert!(
        !plan.has_errors(),
        "unexpected errors:\n{}",
        show(&plan.diagnostics)
    );
}

fn mins(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// A migration on its own table with a rollback, so it draws no warning.
fn migration(id: &str, depends_on: &[&str]) -> String {
    let mut out = format!(
        "      - migrate: {id}\n        sql: CREATE TABLE t_{id} (id bigint)\n        rollback: DROP TABLE t_{id}\n"
    );
    if !depends_on.is_empty() {
        out.push_str(&format!(
            "        depends_on: [{}]\n",
            depends_on.join(", ")
        ));
    }
    out
}

fn one_phase(kind: &str, extra: &str, steps: &str) -> String {
    format!(
        "name: demo\nwindow:\n  budget: 4h\nphases:\n  - id: main\n    kind: {kind}\n    budget: 1h\n{extra}    steps:\n{steps}"
    )
}

// ------------------------------------------------------------------- ordering

#[test]
fn execution_order_follows_depends_on_with_listing_order_as_tie_break() {
    // The inventory: 004 depends on 001 and 003 on 002; both point backwards, so the
    // listing order stands.
    let steps: String = [
        migration("m001", &[]),
        migration("m002", &[]),
        migration("m003", &["m002"]),
        migration("m004", &["m001"]),
        migration("m005", &[]),
        migration("m006", &[]),
    ]
    .concat();
    let (_, plan) = planned(&one_phase("migration", "", &steps));
    no_errors(&plan);
    assert_eq!(
        order_ids(&plan),
        ["m001", "m002", "m003", "m004", "m005", "m006"]
    );
    assert!(has_edge(&plan, "m001", "m004", EdgeKind::Explicit));
    assert!(has_edge(&plan, "m002", "m003", EdgeKind::Explicit));

    // The same inventory listed out of order: each dependent waits for its dependency,
    // and whatever is ready comes out in listing order.
    let steps: String = [
        migration("m004", &["m001"]),
        migration("m003", &["m002"]),
        migration("m001", &[]),
        migration("m002", &[]),
        migration("m006", &[]),
        migration("m005", &[]),
    ]
    .concat();
    let (_, plan) = planned(&one_phase("migration", "", &steps));
    no_errors(&plan);
    assert_eq!(
        order_ids(&plan),
        ["m001", "m004", "m002", "m003", "m006", "m005"]
    );
}

#[test]
fn a_forward_dependency_moves_the_dependent_after_its_dependency() {
    let steps: String = [
        migration("a", &["d"]),
        migration("b", &[]),
        migration("c", &["f"]),
        migration("d", &[]),
        migration("e", &[]),
        migration("f", &[]),
    ]
    .concat();
    let (_, plan) = planned(&one_phase("migration", "", &steps));
    no_errors(&plan);
    assert_eq!(order_ids(&plan), ["b", "d", "a", "e", "f", "c"]);
    // `listed` keeps the runbook position; only the order changes.
    assert_eq!(plan.steps[index_of(&plan, "a")].listed, 0);
    assert_eq!(plan.steps[index_of(&plan, "a")].depends_on, ["d"]);
}

#[test]
fn dependencies_on_earlier_phases_are_allowed_and_drawn_across_phases() {
    let text = format!(
        "name: demo\nwindow:\n  budget: 4h\nphases:\n  - id: first\n    kind: migration\n    budget: 1h\n    steps:\n{}  - id: second\n    kind: verification\n    budget: 1h\n    steps:\n      - check: a-ok\n        sql: SELECT count(*) FROM t_a\n        expect: {{ge: 0}}\n        depends_on: [a]\n",
        migration("a", &[])
    );
    let (runbook, plan) = planned(&text);
    no_errors(&plan);
    assert_eq!(order_ids(&plan), ["a", "a-ok"]);
    // In-phase edges only in the plan; the rendering adds the cross-phase one.
    assert!(plan.edges.is_empty(), "{:?}", plan.edges);
    let dot = graph::dot(&runbook, &plan);
    assert!(dot.contains("\"n0\" -> \"n1\""), "{dot}");
}

#[test]
fn a_checkpoint_is_a_barrier_between_what_is_listed_before_and_after_it() {
    let steps = "
      - manual: a
        prompt: A
        depends_on: [b]
      - manual: b
        prompt: B
      - checkpoint: go
        prompt: Go?
        questions: [Ready?]
      - manual: c
        prompt: C
      - manual: d
        prompt: D
      - checkpoint: go-again
        prompt: Go again?
        questions: [Still ready?]
      - manual: e
        prompt: E
";
    let (_, plan) = planned(&one_phase("preparation", "    parallel: 4\n", steps));
    no_errors(&plan);
    // `a` waits for `b`; nothing after the gate starts before it.
    assert_eq!(
        order_ids(&plan),
        ["b", "a", "go", "c", "d", "go-again", "e"]
    );
    for before in ["a", "b"] {
        assert!(has_edge(&plan, before, "go", EdgeKind::Barrier), "{before}");
    }
    for after in ["c", "d"] {
        assert!(has_edge(&plan, "go", after, EdgeKind::Barrier), "{after}");
        assert!(
            has_edge(&plan, after, "go-again", EdgeKind::Barrier),
            "{after}"
        );
    }
    assert!(has_edge(&plan, "go-again", "e", EdgeKind::Barrier));
    assert!(has_edge(&plan, "b", "a", EdgeKind::Explicit));
    // A gate does not reach past the next gate directly.
    assert!(!has_edge(&plan, "go", "e", EdgeKind::Barrier));
    assert!(!has_edge(&plan, "a", "go-again", EdgeKind::Barrier));
}

#[test]
fn a_checkpoint_holds_back_parallel_work_in_the_timing_too() {
    let steps = "
      - manual: long
        prompt: Long
        expected_duration: 10m
      - manual: short
        prompt: Short
        expected_duration: 2m
      - checkpoint: go
        prompt: Go?
        questions: [Ready?]
      - manual: after
        prompt: After
        expected_duration: 1m
";
    let (_, plan) = planned(&one_phase("preparation", "    parallel: 4\n", steps));
    no_errors(&plan);
    let at = |id: &str| {
        let s = &plan.steps[index_of(&plan, id)];
        (s.planned_start, s.planned_end)
    };
    assert_eq!(at("long"), (Duration::ZERO, mins(10)));
    assert_eq!(at("short"), (Duration::ZERO, mins(2)));
    assert_eq!(at("go"), (mins(10), mins(10)));
    assert_eq!(at("after"), (mins(10), mins(11)));
}

#[test]
fn a_verification_phase_defaults_to_four_parallel_workers() {
    let text = "\
name: demo
window:
  budget: 4h
phases:
  - id: prep
    kind: preparation
    budget: 10m
    steps:
      - manual: notify
        prompt: Tell the team
  - id: verify
    kind: verification
    budget: 10m
    steps:
      - check: one
        sql: SELECT 1
        expect: 1
  - id: verify-slowly
    kind: verification
    budget: 10m
    parallel: 2
    steps:
      - check: two
        sql: SELECT 2
        expect: 2
  - id: watch
    kind: monitoring
    budget: 10m
    steps:
      - probe: three
        sql: SELECT 3
";
    let (runbook, plan) = planned(text);
    no_errors(&plan);
    let parallel: Vec<usize> = plan.phases.iter().map(|p| p.parallel).collect();
    assert_eq!(parallel, [1, 4, 2, 1]);
    assert_eq!(runbook.phases[1].parallel, 4);
}

#[test]
fn parallel_workers_share_the_phase_in_listing_order() {
    let steps = "
      - manual: a
        prompt: A
        expected_duration: 10m
      - manual: b
        prompt: B
        expected_duration: 5m
      - manual: c
        prompt: C
        expected_duration: 5m
";
    let (_, plan) = planned(&one_phase("preparation", "    parallel: 2\n", steps));
    no_errors(&plan);
    let starts: Vec<(Duration, Duration)> = plan
        .steps
        .iter()
        .map(|s| (s.planned_start, s.planned_end))
        .collect();
    assert_eq!(
        starts,
        [
            (Duration::ZERO, mins(10)),
            (Duration::ZERO, mins(5)),
            (mins(5), mins(10)),
        ]
    );
}

// ------------------------------------------------------------------- timing

const THREE_PHASES: &str = "\
name: demo
window:
  start: 2024-01-31T22:00:00+01:00
  budget: 4h
phases:
  - id: prep
    kind: preparation
    budget: 30m
    steps:
      - manual: notify
        prompt: Tell the team
  - id: schema
    kind: migration
    budget: 1h
    START
    steps:
      - manual: go
        prompt: Start
  - id: verify
    kind: verification
    budget: 15m
    steps:
      - manual: look
        prompt: Look
";

fn three_phases(start: &str) -> (Runbook, Plan) {
    let text = if start.is_empty() {
        THREE_PHASES.replace("    START\n", "")
    } else {
        THREE_PHASES.replace("START", &format!("start: {start}"))
    };
    planned(&text)
}

fn phase_times(plan: &Plan) -> Vec<(Duration, Duration)> {
    plan.phases
        .iter()
        .map(|p| (p.planned_start, p.planned_end))
        .collect()
}

#[test]
fn phases_are_planned_back_to_back_from_the_window_start() {
    let (_, plan) = three_phases("");
    no_errors(&plan);
    assert!(plan.diagnostics.is_empty(), "{}", show(&plan.diagnostics));
    assert_eq!(
        phase_times(&plan),
        [
            (Duration::ZERO, mins(30)),
            (mins(30), mins(90)),
            (mins(90), mins(105)),
        ]
    );
    assert_eq!(plan.planned_end, mins(105));
    assert_eq!(plan.window_budget, mins(240));
    assert_eq!(plan.slack_ms, 135 * 60 * 1000);
    // Steps start with their phase.
    assert_eq!(plan.steps[index_of(&plan, "go")].planned_start, mins(30));
    assert_eq!(plan.steps[index_of(&plan, "look")].planned_start, mins(90));
}

#[test]
fn an_explicit_offset_start_pushes_a_phase_and_everything_after_it_later() {
    let (_, plan) = three_phases("\"+2h\"");
    no_errors(&plan);
    assert!(plan.diagnostics.is_empty(), "{}", show(&plan.diagnostics));
    assert_eq!(
        phase_times(&plan),
        [
            (Duration::ZERO, mins(30)),
            (mins(120), mins(180)),
            (mins(180), mins(195)),
        ]
    );
    assert_eq!(plan.steps[index_of(&plan, "go")].planned_start, mins(120));
    assert_eq!(plan.slack_ms, 45 * 60 * 1000);
}

#[test]
fn a_time_of_day_start_counts_from_the_window_start_and_may_cross_midnight() {
    // The window starts at 22:00; 23:30 is 1h30m in.
    let (_, plan) = three_phases("\"23:30\"");
    no_errors(&plan);
    assert_eq!(plan.phases[1].planned_start, mins(90));
    // 00:15 is the next day, 2h15m in.
    let (_, plan) = three_phases("\"00:15\"");
    no_errors(&plan);
    assert_eq!(plan.phases[1].planned_start, mins(135));
}

#[test]
fn a_time_of_day_just_before_a_window_start_with_seconds_is_the_next_day() {
    let text = THREE_PHASES
        .replace("2024-01-31T22:00:00+01:00", "2024-01-31T22:00:30+01:00")
        .replace("START", "start: \"22:00\"");
    let (_, plan) = planned(&text);
    // Documented: a time earlier than the window's start time means the next day.
    assert_eq!(
        plan.phases[1].planned_start,
        Duration::from_secs(24 * 3600 - 30)
    );
}

#[test]
fn a_start_before_the_previous_phase_ends_is_an_overlap_warning() {
    let (_, plan) = three_phases("+10m");
    no_errors(&plan);
    let overlaps = with_code(&plan, "phase-overlap");
    assert_eq!(overlaps.len(), 1, "{}", show(&plan.diagnostics));
    let d = overlaps[0];
    assert_eq!(d.level, Level::Warning);
    assert!(d.message.contains("`schema`"), "{d}");
    assert!(d.message.contains("+10m"), "{d}");
    assert!(d.message.contains("`prep`"), "{d}");
    // Located at the `start` value (line 15 of THREE_PHASES, after `start: `).
    let loc = d.loc.expect("located");
    assert_eq!((loc.line, loc.column), (15, 12));
    // The phase cannot really start before the previous one ends.
    assert_eq!(plan.phases[1].planned_start, mins(30));
}

#[test]
fn budgets_over_the_window_warn_and_leave_negative_slack() {
    let text = THREE_PHASES
        .replace("    START\n", "")
        .replace("budget: 4h", "budget: 1h30m");
    let (_, plan) = planned(&text);
    no_errors(&plan);
    let over = with_code(&plan, "over-window");
    assert_eq!(over.len(), 1, "{}", show(&plan.diagnostics));
    assert_eq!(over[0].level, Level::Warning);
    assert!(over[0].message.contains("1h45m"), "{}", over[0]);
    assert!(over[0].message.contains("by 15m"), "{}", over[0]);
    assert_eq!(plan.planned_end, mins(105));
    assert_eq!(plan.slack_ms, -15 * 60 * 1000);
}

#[test]
fn work_longer_than_a_phase_budget_is_a_warning_at_the_phase() {
    let steps = "
      - manual: a
        prompt: A
        expected_duration: 50m
      - manual: b
        prompt: B
        expected_duration: 20m
";
    let (_, plan) = planned(&one_phase("preparation", "", steps));
    no_errors(&plan);
    let over = with_code(&plan, "phase-over-budget");
    assert_eq!(over.len(), 1, "{}", show(&plan.diagnostics));
    assert!(over[0].message.contains("1h10m"), "{}", over[0]);
    assert_eq!(over[0].loc.map(|l| (l.line, l.column)), Some((5, 9)));
}

#[test]
fn the_critical_path_is_the_longest_chain_of_expected_durations() {
    let text = "\
name: demo
window:
  budget: 4h
phases:
  - id: prep
    kind: preparation
    budget: 1h
    parallel: 4
    steps:
      - manual: a
        prompt: A
        expected_duration: 10m
      - manual: b
        prompt: B
        expected_duration: 15m
        depends_on: [a]
      - manual: c
        prompt: C
        expected_duration: 20m
      - manual: d
        prompt: D
        expected_duration: 1m
  - id: after
    kind: preparation
    budget: 1h
    steps:
      - manual: e
        prompt: E
        expected_duration: 5m
";
    let (_, plan) = planned(text);
    no_errors(&plan);
    assert_eq!(plan.critical_path, ["a", "b", "e"]);
    assert_eq!(plan.critical_path_duration, mins(30));
    let flagged: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.on_critical_path)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(flagged, ["a", "b", "e"]);

    // Make the lone step the longest: the path switches to it.
    let (_, plan) = planned(&text.replace("expected_duration: 20m", "expected_duration: 40m"));
    assert_eq!(plan.critical_path, ["c", "e"]);
    assert_eq!(plan.critical_path_duration, mins(45));
}

// ------------------------------------------------------------------- SQL

#[test]
fn transaction_auto_runs_concurrent_index_builds_outside_a_transaction() {
    let steps = "
      - migrate: index-email
        sql: CREATE INDEX CONCURRENTLY users_email_idx ON users (email)
        rollback: DROP INDEX CONCURRENTLY users_email_idx
        transaction: auto
      - migrate: add-email
        sql: ALTER TABLE accounts ADD COLUMN email text
        rollback: ALTER TABLE accounts DROP COLUMN email
      - migrate: vacuum
        sql: VACUUM sessions
        rollback: SELECT 1
        transaction: never
      - check: email-ok
        sql: SELECT count(*) FROM users
        expect: {ge: 0}
      - manual: tell
        prompt: Tell the team
";
    let (_, plan) = planned(&one_phase("migration", "", steps));
    no_errors(&plan);
    let step = |id: &str| &plan.steps[index_of(&plan, id)];

    let index = step("index-email");
    assert_eq!(index.in_transaction, Some(false));
    let reason = index.no_transaction_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("CREATE INDEX CONCURRENTLY"), "{reason}");

    let add = step("add-email");
    assert_eq!(add.in_transaction, Some(true));
    assert_eq!(add.no_transaction_reason, None);

    assert_eq!(step("vacuum").in_transaction, Some(false));
    assert_eq!(
        step("vacuum").no_transaction_reason.as_deref(),
        Some("transaction: never")
    );
    assert_eq!(step("email-ok").in_transaction, Some(true));
    assert_eq!(step("tell").in_transaction, None);
    assert!(with_code(&plan, "needs-no-transaction").is_empty());
}

#[test]
fn tables_read_and_written_appear_on_the_step_plan() {
    let steps = "
      - migrate: archive
        sql: |
          INSERT INTO orders_archive SELECT * FROM public.orders WHERE shipped;
          DELETE FROM public.orders WHERE shipped;
        rollback: SELECT 1
      - check: archive-ok
        sql: SELECT count(*) FROM orders_archive a JOIN customers c ON c.id = a.customer_id
        expect: {ge: 0}
";
    let (_, plan) = planned(&one_phase("migration", "", steps));
    no_errors(&plan);
    let archive = &plan.steps[index_of(&plan, "archive")];
    assert!(archive.writes.contains("orders_archive"), "{archive:?}");
    assert!(archive.writes.contains("orders"), "{archive:?}");
    assert!(archive.reads.contains("orders"), "{archive:?}");
    assert!(
        !archive.writes.iter().any(|t| t.starts_with("public.")),
        "public. is dropped: {archive:?}"
    );
    assert_eq!(archive.statements, 2);
    let check = &plan.steps[index_of(&plan, "archive-ok")];
    assert!(check.reads.contains("orders_archive"), "{check:?}");
    assert!(check.reads.contains("customers"), "{check:?}");
    assert!(check.writes.is_empty(), "{check:?}");
}

#[test]
fn same_table_migrations_in_a_sequential_phase_get_a_note_not_an_error() {
    let steps = "
      - migrate: orders-total
        sql: ALTER TABLE orders ADD COLUMN total numeric
        rollback: ALTER TABLE orders DROP COLUMN total
      - migrate: orders-status
        sql: ALTER TABLE orders ADD COLUMN status text
        rollback: ALTER TABLE orders DROP COLUMN status
";
    let (_, plan) = planned(&one_phase("migration", "", steps));
    no_errors(&plan);
    assert!(with_code(&plan, "parallel-conflict").is_empty());
    assert_eq!(plan.ordering_notes.len(), 1, "{:?}", plan.ordering_notes);
    let note = &plan.ordering_notes[0];
    assert!(
        note.contains("`orders-total` runs before `orders-status`"),
        "{note}"
    );
    assert!(note.contains("`orders`"), "{note}");

    // The same pair in a parallel phase is an error...
    let (_, plan) = planned(&one_phase("migration", "    parallel: 2\n", steps));
    assert_eq!(with_code(&plan, "parallel-conflict").len(), 1);
    assert!(plan.ordering_notes.is_empty());

    // ...unless a dependency orders them; then neither applies.
    let ordered = steps.replace(
        "      - migrate: orders-status\n",
        "      - migrate: orders-status\n        depends_on: [orders-total]\n",
    );
    for extra in ["", "    parallel: 2\n"] {
        let (_, plan) = planned(&one_phase("migration", extra, &ordered));
        no_errors(&plan);
        assert!(plan.ordering_notes.is_empty(), "{:?}", plan.ordering_notes);
    }
}

#[test]
fn a_checkpoint_between_same_table_migrations_orders_them_in_a_parallel_phase() {
    let steps = "
      - migrate: orders-total
        sql: ALTER TABLE orders ADD COLUMN total numeric
        rollback: ALTER TABLE orders DROP COLUMN total
      - checkpoint: go
        prompt: Go?
        questions: [Total looks right?]
      - migrate: orders-status
        sql: ALTER TABLE orders ADD COLUMN status text
        rollback: ALTER TABLE orders DROP COLUMN status
";
    let (_, plan) = planned(&one_phase("migration", "    parallel: 2\n", steps));
    no_errors(&plan);
    assert!(with_code(&plan, "parallel-conflict").is_empty());
    assert!(plan.ordering_notes.is_empty(), "{:?}", plan.ordering_notes);
}

#[test]
fn a_cycle_is_reported_and_nothing_is_ordered() {
    let steps = "
      - manual: a
        prompt: A
        depends_on: [b]
      - manual: b
        prompt: B
        depends_on: [a]
";
    let (_, plan) = planned(&one_phase("preparation", "", steps));
    assert!(plan.has_errors());
    assert_eq!(with_code(&plan, "dependency-cycle").len(), 1);
    assert_eq!(plan.execution_order().count(), 0);
}

// ------------------------------------------------------------------- graphs

const GRAPH_RUNBOOK: &str = "\
name: graph-demo
window:
  budget: 4h
phases:
  - id: prep
    kind: preparation
    budget: 30m
    steps:
      - manual: notify
        prompt: Tell the team
      - command: backup
        run: [pg_dump, -Fc, -f, backup.dump]
      - checkpoint: go
        prompt: Go?
        questions: [Backup done?]
  - id: schema
    kind: migration
    budget: 1h
    parallel: 2
    steps:
      - migrate: add-email
        sql: ALTER TABLE users ADD COLUMN email text
        rollback: ALTER TABLE users DROP COLUMN email
      - migrate: index-email
        sql: CREATE INDEX CONCURRENTLY users_email_idx ON users (email)
        rollback: DROP INDEX CONCURRENTLY users_email_idx
        depends_on: [add-email]
      - migrate: drop-fax
        sql: ALTER TABLE customers DROP COLUMN fax
        rollback: ALTER TABLE customers ADD COLUMN fax text
        breaking: true
        depends_on: [backup]
  - id: verify
    kind: verification
    budget: 15m
    steps:
      - check: email-ok
        sql: SELECT count(*) FROM users WHERE email IS NULL
        expect: 0
        depends_on: [index-email]
      - probe: lag
        sql: SELECT 1
        every: 30s
        alert: {gt: 10}
";

#[test]
fn dot_output_is_a_plausible_digraph_with_every_step_and_edge() {
    let (runbook, plan) = planned(GRAPH_RUNBOOK);
    no_errors(&plan);
    let dot = graph::dot(&runbook, &plan);
    assert!(dot.starts_with("digraph \"graph-demo\" {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    let opens = dot.matches('{').count();
    let closes = dot.matches('}').count();
    assert_eq!(opens, closes, "unbalanced braces:\n{dot}");
    assert_eq!(dot.matches('"').count() % 2, 0, "unbalanced quotes:\n{dot}");
    for step in &plan.steps {
        assert!(
            dot.contains(&format!("\"{}\\n", step.id)),
            "{}:\n{dot}",
            step.id
        );
    }
    for phase in &plan.phases {
        assert!(dot.contains(&format!("label=\"{} (", phase.id)), "{dot}");
    }
    // In-phase edges (explicit and barrier) plus the two cross-phase dependencies.
    let arrows: Vec<&str> = dot.lines().filter(|l| l.contains("->")).collect();
    assert_eq!(arrows.len(), plan.edges.len() + 2, "{dot}");
    for (from, to, kind) in &plan.edges {
        let line = format!("\"n{from}\" -> \"n{to}\"");
        let found = arrows
            .iter()
            .find(|l| l.contains(&line))
            .unwrap_or_else(|| panic!("missing {line}:\n{dot}"));
        assert_eq!(
            found.contains("dashed"),
            *kind == EdgeKind::Barrier,
            "{found}"
        );
    }
    for (from, to) in [("backup", "drop-fax"), ("index-email", "email-ok")] {
        let line = format!(
            "\"n{}\" -> \"n{}\";",
            index_of(&plan, from),
            index_of(&plan, to)
        );
        assert!(dot.contains(&line), "missing {line}:\n{dot}");
    }
    // Every node used in an edge is declared.
    for line in &arrows {
        for end in line.split("->") {
            let node = end.trim().split(['"', ' ']).find(|s| !s.is_empty());
            let node = node.unwrap_or_default();
            assert!(
                dot.contains(&format!("\"{node}\" [label=")),
                "{node} undeclared:\n{dot}"
            );
        }
    }
    assert!(
        dot.contains("color=red"),
        "breaking steps stand out:\n{dot}"
    );
    assert!(dot.contains("no transaction"), "{dot}");

    // If Graphviz is installed, it must accept the output.
    if let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dot.as_bytes())
            .expect("write to dot");
        let out = child.wait_with_output().expect("dot runs");
        assert!(
            out.status.success(),
            "dot rejected the output: {}\n{dot}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
}

#[test]
fn mermaid_output_declares_every_node_before_its_edges() {
    let (runbook, plan) = planned(GRAPH_RUNBOOK);
    let mermaid = graph::mermaid(&runbook, &plan);
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    let mut declared = std::collections::HashSet::new();
    let mut edges = 0;
    let mut depth = 0i32;
    for line in mermaid.lines().skip(1) {
        let line = line.trim();
        if line.starts_with("subgraph ") {
            depth += 1;
            continue;
        }
        if line == "end" {
            depth -= 1;
            assert!(depth >= 0, "`end` without `subgraph`:\n{mermaid}");
            continue;
        }
        if let Some((from, to)) = line
            .split_once(" --> ")
            .or_else(|| line.split_once(" -.-> "))
        {
            for node in [from, to] {
                assert!(
                    declared.contains(node.trim()),
                    "`{node}` is used before it is declared:\n{mermaid}"
                );
            }
            edges += 1;
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            name.starts_with('n') && name.len() > 1,
            "unexpected line `{line}`:\n{mermaid}"
        );
        declared.insert(name);
    }
    assert_eq!(depth, 0, "unclosed subgraph:\n{mermaid}");
    assert_eq!(declared.len(), plan.steps.len(), "{mermaid}");
    assert_eq!(edges, plan.edges.len() + 2, "{mermaid}");
    for step in &plan.steps {
        assert!(
            mermaid.contains(&format!("\"{}<br/>", step.id)),
            "{mermaid}"
        );
    }
    assert!(
        mermaid.contains("-.->"),
        "barrier edges are dotted:\n{mermaid}"
    );
}

/// `cutover graph` as text shows the shape: a diamond reads as layers 1, 2 (two independent
/// steps), 3 — with both parents of the join named.
#[test]
fn the_text_graph_draws_a_diamond_in_layers() {
    let (runbook, plan) = planned(
        "name: d\nwindow: { budget: 1h }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    parallel: 2\n    steps:\n      - migrate: a\n        sql: CREATE TABLE a (id int)\n        rollback: DROP TABLE a\n      - migrate: b\n        sql: CREATE TABLE b (id int)\n        rollback: DROP TABLE b\n        depends_on: [a]\n      - migrate: c\n        sql: CREATE TABLE c (id int)\n        rollback: DROP TABLE c\n        depends_on: [a]\n      - migrate: d\n        sql: CREATE TABLE d (id int)\n        rollback: DROP TABLE d\n        depends_on: [b, c]\n",
    );
    let text = cutover::plan::graph::text(&runbook, &plan);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{text}"))
    };
    assert!(at("layer 1") < at("● a"));
    assert!(at("layer 2 (2 independent)") < at("● b") && at("● b") < at("layer 3"));
    assert!(at("● c") < at("layer 3"));
    assert!(lines[at("● d")].ends_with("← b, c"), "{text}");
}
