use super::*;
use crate::events::Event;
use crate::fleet::{Fleet, Targets, Wave};
use chrono::DateTime;
use std::path::Path;

pub(crate) const RUNBOOK: &str = r#"name: tenant
window:
  budget: 30m
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: create-items
        sql: CREATE TABLE items (id int)
      - migrate: add-note
        sql: ALTER TABLE items ADD COLUMN note text
  - id: verify
    kind: verification
    budget: 5m
    steps:
      - check: no-items
        sql: SELECT count(*) FROM items
        expect: 0
"#;

fn target(name: &str, region: &str) -> Target {
    Target {
        name: name.into(),
        url: format!("postgres://h/{name}"),
        labels: BTreeMap::from([("region".to_owned(), region.to_owned())]),
    }
}

fn wave(name: &str, size: Option<usize>, concurrency: usize) -> Wave {
    Wave {
        name: name.into(),
        size,
        labels: BTreeMap::new(),
        concurrency,
        on_error: OnError::Halt,
    }
}

/// Five databases: a canary (a1), then two waves of two, two at once.
pub(crate) fn board() -> Board {
    let loaded = crate::runbook::load_text(Path::new("rb.yaml"), RUNBOOK, &|_| None);
    let runbook = loaded.runbook.expect("the test runbook loads");
    let plan = crate::plan::plan(&runbook);
    let targets = vec![
        target("a1", "eu"),
        target("a2", "eu"),
        target("a3", "us"),
        target("a4", "us"),
        target("a5", "eu"),
    ];
    let fleet = Fleet {
        name: "tenants".into(),
        path: "fleet.yaml".into(),
        runbook: "rb.yaml".into(),
        targets: Targets::Listed(targets.clone()),
        waves: vec![
            wave("canary", Some(1), 1),
            wave("w1", Some(2), 2),
            wave("w2", None, 2),
        ],
    };
    let (taken, _) = crate::fleet::assign(&targets, &fleet.waves);
    Board::new(&fleet, "tenant", &plan, &targets, &taken)
}

pub(crate) fn at(seq: u64, event: Event) -> Entry {
    Entry {
        ts: DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap_or_default(),
        seq,
        event,
    }
}

pub(crate) fn start(board: &mut Board, wave: &str, target: &str) {
    board.apply(&FleetEvent::TargetStarted {
        wave: wave.into(),
        target: target.into(),
        journal: format!("runs/tenants/{target}.jsonl").into(),
    });
}

pub(crate) fn step_started(step: &str) -> Event {
    Event::StepStarted {
        step: step.into(),
        attempt: 1,
        in_transaction: Some(true),
    }
}

pub(crate) fn step_finished(step: &str) -> Event {
    Event::StepFinished {
        step: step.into(),
        duration_ms: 10,
        rows: 0,
    }
}

pub(crate) fn finished(wave: &str, target: &str, ok: bool, ms: u64) -> FleetEvent {
    FleetEvent::TargetFinished {
        wave: wave.into(),
        result: TargetResult {
            target: target.into(),
            outcome: Some(if ok {
                Outcome::Succeeded
            } else {
                Outcome::Failed
            }),
            already_done: false,
            duration_ms: ms,
            run_id: None,
            message: None,
            checks: Vec::new(),
        },
    }
}

pub(crate) fn index(board: &Board, name: &str) -> usize {
    board
        .databases
        .iter()
        .position(|d| d.name == name)
        .expect("a database of the test fleet")
}

#[test]
fn a_running_database_shows_each_phase_as_its_steps_stand() {
    let mut b = board();
    let a1 = index(&b, "a1");
    assert_eq!(b.cells(a1), [Cell::Pending, Cell::Pending]);
    b.apply(&FleetEvent::WaveStarted {
        wave: "canary".into(),
    });
    start(&mut b, "canary", "a1");
    b.apply_entry("a1", &at(1, step_started("create-items")));
    assert_eq!(b.cells(a1), [Cell::Running, Cell::Pending]);
    b.apply_entry("a1", &at(2, step_finished("create-items")));
    // One of two migrations done: the phase is still under way.
    assert_eq!(b.cells(a1), [Cell::Running, Cell::Pending]);
    assert_eq!(b.databases[a1].progress(), (1, 3));
    b.apply_entry("a1", &at(3, step_started("add-note")));
    b.apply_entry(
        "a1",
        &at(
            4,
            Event::StepFailed {
                step: "add-note".into(),
                error: Default::default(),
            },
        ),
    );
    assert_eq!(b.cells(a1), [Cell::Failed, Cell::Pending]);
    assert_eq!(b.databases[a1].state, DbState::Running);
    b.apply(&finished("canary", "a1", false, 900));
    assert_eq!(b.databases[a1].state, DbState::Failed);
    // The failed phase stays on the grid after the run ended.
    assert_eq!(b.cells(a1), [Cell::Failed, Cell::Pending]);
}

#[test]
fn a_finished_database_is_done_in_every_phase() {
    let mut b = board();
    start(&mut b, "canary", "a1");
    b.apply(&finished("canary", "a1", true, 900));
    let a1 = index(&b, "a1");
    assert_eq!(b.cells(a1), [Cell::Done, Cell::Done]);
    assert_eq!(b.databases[a1].progress(), (3, 3));
}

#[test]
fn rows_are_filtered_by_state_and_label_and_sorted_failed_first_then_furthest() {
    let mut b = board();
    start(&mut b, "canary", "a1");
    b.apply(&finished("canary", "a1", true, 900));
    start(&mut b, "w1", "a2");
    start(&mut b, "w1", "a3");
    b.apply_entry("a3", &at(1, step_started("create-items")));
    b.apply_entry("a3", &at(2, step_finished("create-items")));
    b.apply(&finished("w1", "a2", false, 500));
    let names = |rows: Vec<usize>| -> Vec<String> {
        rows.iter().map(|&i| b.databases[i].name.clone()).collect()
    };
    assert_eq!(
        names(b.rows(StateFilter::All, None, SortBy::Progress)),
        ["a2", "a3", "a4", "a5", "a1"]
    );
    assert_eq!(
        names(b.rows(StateFilter::All, None, SortBy::Fleet)),
        ["a1", "a2", "a3", "a4", "a5"]
    );
    assert_eq!(
        names(b.rows(StateFilter::Failed, None, SortBy::Progress)),
        ["a2"]
    );
    assert_eq!(
        names(b.rows(StateFilter::Running, None, SortBy::Progress)),
        ["a3"]
    );
    assert_eq!(
        names(b.rows(StateFilter::Done, None, SortBy::Progress)),
        ["a1"]
    );
    assert_eq!(
        names(b.rows(StateFilter::All, Some("region=us"), SortBy::Name)),
        ["a3", "a4"]
    );
    assert_eq!(b.labels(), ["region=eu", "region=us"]);
    assert_eq!(b.counts().get(&DbState::Queued), Some(&2));
}

#[test]
fn a_gate_waits_until_decided_and_a_halt_leaves_the_rest_not_started() {
    let mut b = board();
    start(&mut b, "canary", "a1");
    b.apply(&finished("canary", "a1", true, 900));
    b.apply(&FleetEvent::WaveGate {
        wave: "canary".into(),
        evidence: WaveEvidence {
            passed: 1,
            ..WaveEvidence::default()
        },
    });
    assert_eq!(b.gate, Some(0));
    assert_eq!(b.waves[0].state, WaveState::AtGate);
    b.apply(&FleetEvent::WaveDecision {
        wave: "canary".into(),
        go: true,
        operator: "dba".into(),
        reason: "looks right".into(),
    });
    assert_eq!(b.gate, None);
    assert_eq!(b.waves[0].state, WaveState::Passed);
    b.apply(&FleetEvent::WaveStarted { wave: "w1".into() });
    start(&mut b, "w1", "a2");
    b.apply(&finished("w1", "a2", false, 500));
    b.apply(&FleetEvent::WaveGate {
        wave: "w1".into(),
        evidence: WaveEvidence {
            failed: vec![("a2".into(), "failed".into())],
            not_started: 1,
            ..WaveEvidence::default()
        },
    });
    assert_eq!(b.databases[index(&b, "a3")].state, DbState::NotStarted);
    b.apply(&FleetEvent::FleetFinished {
        outcome: Outcome::Halted,
        message: Some("halted at the gate after wave w1".into()),
    });
    assert_eq!(b.gate, None);
    assert_eq!(b.waves[1].state, WaveState::Halted);
    // The last wave never started: still queued.
    assert_eq!(b.databases[index(&b, "a5")].state, DbState::Queued);
}

#[test]
fn the_forecast_counts_the_databases_left_in_rounds_of_each_waves_concurrency() {
    let mut b = board();
    assert_eq!(b.forecast(), None, "no pace before a database finished");
    start(&mut b, "canary", "a1");
    b.apply(&finished("canary", "a1", true, 2_000));
    b.apply(&FleetEvent::WaveGate {
        wave: "canary".into(),
        evidence: WaveEvidence::default(),
    });
    // w1: 2 at 2 at once, w2: 2 at 2: two rounds of 2 s.
    assert_eq!(b.forecast(), Some((4, 2, Duration::from_secs(4))));
}

/// Databases a killed fleet had started and never finished are not shown running when the
/// fleet is resumed: they wait to be picked up again.
#[test]
fn a_resumed_fleet_shows_what_was_killed_mid_run_as_waiting() {
    let mut b = board();
    start(&mut b, "canary", "a1");
    start(&mut b, "w1", "a2");
    assert_eq!(b.databases[index(&b, "a2")].state, DbState::Running);
    b.apply(&FleetEvent::FleetStarted {
        fleet: "tenants".into(),
        runbook: "tenant".into(),
        checksum: String::new(),
        operator: "ops".into(),
        targets: 5,
        waves: Vec::new(),
        resumed: true,
    });
    for name in ["a1", "a2"] {
        assert_eq!(
            b.databases[index(&b, name)].state,
            DbState::Queued,
            "{name}"
        );
    }
    start(&mut b, "canary", "a1");
    assert_eq!(b.databases[index(&b, "a1")].state, DbState::Running);
}

#[test]
fn entries_of_a_database_not_running_change_nothing() {
    let mut b = board();
    b.apply_entry("a1", &at(1, step_started("create-items")));
    b.apply_entry("nobody", &at(2, step_started("create-items")));
    assert_eq!(b.cells(index(&b, "a1")), [Cell::Pending, Cell::Pending]);
}
