use super::*;
use crate::events::Outcome;
use crate::fleet::board::tests::{at, board, finished, index, start, step_finished, step_started};
use crate::fleet::{FleetEvent, WaveEvidence};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn screen(board: &Board, view: &mut FleetView) -> String {
    let mut terminal = Terminal::new(TestBackend::new(150, 20)).expect("a test terminal");
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    terminal
        .draw(|f| draw_fleet(f, board, view, now))
        .expect("a frame");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn row_of(text: &str, name: &str) -> String {
    text.lines()
        .find(|l| l.contains(&format!(" {name} ")))
        .unwrap_or_default()
        .to_owned()
}

/// a1 succeeded (canary), a2 failed, a3 half way through its migrations, a4 and a5 queued.
fn under_way() -> Board {
    let mut b = board();
    b.apply(&FleetEvent::WaveStarted {
        wave: "canary".into(),
    });
    start(&mut b, "canary", "a1");
    b.apply(&finished("canary", "a1", true, 1_200));
    b.apply(&FleetEvent::WaveGate {
        wave: "canary".into(),
        evidence: WaveEvidence {
            passed: 1,
            ..WaveEvidence::default()
        },
    });
    b.apply(&FleetEvent::WaveDecision {
        wave: "canary".into(),
        go: true,
        operator: "dba".into(),
        reason: "fine".into(),
    });
    b.apply(&FleetEvent::WaveStarted { wave: "w1".into() });
    start(&mut b, "w1", "a2");
    start(&mut b, "w1", "a3");
    b.apply_entry("a3", &at(1, step_started("create-items")));
    b.apply_entry("a3", &at(2, step_finished("create-items")));
    b.apply_entry("a3", &at(3, step_started("add-note")));
    b.apply_entry("a2", &at(1, step_started("create-items")));
    b.apply_entry(
        "a2",
        &at(
            2,
            crate::events::Event::StepFailed {
                step: "create-items".into(),
                error: Default::default(),
            },
        ),
    );
    let mut failed = finished("w1", "a2", false, 700);
    if let FleetEvent::TargetFinished { result, .. } = &mut failed {
        result.message = Some("add-note: [42701] column \"note\" already exists".into());
    }
    b.apply(&failed);
    b
}

#[test]
fn the_grid_shows_each_database_by_phase_failed_first_then_furthest() {
    let b = under_way();
    let mut view = FleetView::default();
    let text = screen(&b, &mut view);
    assert!(text.contains("fleet tenants"), "{text}");
    assert!(text.contains("✓ 1  ✗ 1  ▶ 1  · 2"), "{text}");
    assert!(
        text.contains("canary passed │ w1 running 1/2 │ w2 waiting"),
        "{text}"
    );
    let order: Vec<usize> = ["a2", "a3", "a4", "a5", "a1"]
        .iter()
        .map(|n| text.find(&row_of(&text, n)).unwrap_or(usize::MAX))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    let a2 = row_of(&text, "a2");
    assert!(
        a2.contains("failed") && a2.contains("✗") && a2.contains("[42701]"),
        "{a2}"
    );
    let a3 = row_of(&text, "a3");
    assert!(
        a3.contains("running") && a3.contains("1/3") && a3.contains("▶"),
        "{a3}"
    );
    let a1 = row_of(&text, "a1");
    assert!(
        a1.contains("succeeded") && a1.contains("3/3") && a1.contains("1.2s"),
        "{a1}"
    );
    // The pace so far: one database in 1.2 s; w1 has one running, w2 two at two at once.
    assert!(text.contains("left: 3 database(s) in 2 wave(s)"), "{text}");
}

#[test]
fn filters_and_sort_change_the_rows_shown() {
    let b = under_way();
    let mut view = FleetView::default();
    assert_eq!(fleet_key(&b, &mut view, key('f')), FleetAction::None);
    let text = screen(&b, &mut view);
    assert!(
        text.contains("databases: 1 of 5 · showing failed"),
        "{text}"
    );
    assert!(
        !row_of(&text, "a2").is_empty() && row_of(&text, "a3").is_empty(),
        "{text}"
    );
    for _ in 0..4 {
        fleet_key(&b, &mut view, key('f'));
    }
    fleet_key(&b, &mut view, key('l'));
    fleet_key(&b, &mut view, key('l'));
    let text = screen(&b, &mut view);
    assert!(text.contains("showing all with region=us"), "{text}");
    assert!(
        row_of(&text, "a1").is_empty() && !row_of(&text, "a4").is_empty(),
        "{text}"
    );
    fleet_key(&b, &mut view, key('l'));
    assert_eq!(view.label, None, "after the last label, all again");
    fleet_key(&b, &mut view, key('s'));
    let text = screen(&b, &mut view);
    assert!(text.contains("sorted by fleet order"), "{text}");
    assert!(
        text.find(&row_of(&text, "a1")) < text.find(&row_of(&text, "a2")),
        "{text}"
    );
}

#[test]
fn the_gate_needs_a_key_and_its_confirmation() {
    let mut b = under_way();
    start(&mut b, "w1", "a3");
    b.apply(&finished("w1", "a3", true, 900));
    b.apply(&FleetEvent::WaveGate {
        wave: "w1".into(),
        evidence: WaveEvidence {
            passed: 1,
            failed: vec![("a2".into(), "failed: add-note [42701]".into())],
            ..WaveEvidence::default()
        },
    });
    let mut view = FleetView::default();
    let text = screen(&b, &mut view);
    assert!(text.contains("gate after wave w1"), "{text}");
    assert!(text.contains("a2: failed: add-note [42701]"), "{text}");
    // g alone decides nothing; a key other than y cancels.
    assert_eq!(fleet_key(&b, &mut view, key('g')), FleetAction::None);
    let text = screen(&b, &mut view);
    assert!(
        text.contains("go on to wave w2 although 1 database(s) of this wave failed? (y)"),
        "{text}"
    );
    assert_eq!(fleet_key(&b, &mut view, key('x')), FleetAction::None);
    assert!(
        view.notice
            .as_deref()
            .is_some_and(|n| n.contains("not confirmed"))
    );
    fleet_key(&b, &mut view, key('g'));
    assert_eq!(
        fleet_key(&b, &mut view, key('y')),
        FleetAction::Gate { go: true }
    );
    fleet_key(&b, &mut view, key('n'));
    assert_eq!(
        fleet_key(&b, &mut view, key('y')),
        FleetAction::Gate { go: false }
    );
}

#[test]
fn go_means_nothing_without_a_gate_and_leaving_a_running_wave_is_confirmed() {
    let b = under_way();
    let mut view = FleetView::default();
    fleet_key(&b, &mut view, key('g'));
    assert_eq!(view.confirm, None);
    fleet_key(&b, &mut view, key('q'));
    let text = screen(&b, &mut view);
    assert!(
        text.contains("the running databases are interrupted (resumable with --resume)? (y)"),
        "{text}"
    );
    assert_eq!(fleet_key(&b, &mut view, key('y')), FleetAction::Leave);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(fleet_key(&b, &mut view, ctrl_c), FleetAction::Interrupt);
}

#[test]
fn enter_opens_a_started_databases_own_screen_and_q_comes_back() {
    let b = under_way();
    let mut view = FleetView::default();
    // Sorted by progress: a2 (failed) first, then a3.
    fleet_key(&b, &mut view, code(KeyCode::Down));
    assert_eq!(view.selected.as_deref(), Some("a3"));
    assert_eq!(
        fleet_key(&b, &mut view, code(KeyCode::Enter)),
        FleetAction::Drill("a3".into())
    );
    fleet_key(&b, &mut view, code(KeyCode::Down));
    fleet_key(&b, &mut view, code(KeyCode::Enter));
    assert!(
        view.notice
            .as_deref()
            .is_some_and(|n| n.contains("a4 has not started")),
        "{:?}",
        view.notice
    );
    // The database's screen: the usual one, from its entries.
    let loaded = crate::runbook::load_text(
        std::path::Path::new("rb.yaml"),
        crate::fleet::board::tests::RUNBOOK,
        &|_| None,
    );
    let runbook = loaded.runbook.expect("the test runbook loads");
    let plan = crate::plan::plan(&runbook);
    let mut drill = Drill::open(
        &runbook,
        &plan,
        "a3",
        vec![
            at(1, step_started("create-items")),
            at(2, step_finished("create-items")),
        ],
    );
    drill.entry(at(2, step_finished("create-items")), &runbook, &plan);
    drill.entry(at(3, step_started("add-note")), &runbook, &plan);
    assert_eq!(drill.watch.last_seq, 3, "an entry read twice counts once");
    view.drill = Some(drill);
    let text = screen(&b, &mut view);
    assert!(
        text.contains("create-items") && text.contains("add-note"),
        "{text}"
    );
    assert!(!text.contains("fleet tenants"), "{text}");
    fleet_key(&b, &mut view, key('q'));
    assert!(view.drill.is_none());
    assert!(screen(&b, &mut view).contains("fleet tenants"));
}

#[test]
fn a_finished_fleet_says_so_and_q_leaves_at_once() {
    let mut b = under_way();
    b.apply(&FleetEvent::FleetFinished {
        outcome: Outcome::Halted,
        message: Some("halted at the gate after wave w1".into()),
    });
    let mut view = FleetView::default();
    let text = screen(&b, &mut view);
    assert!(text.contains("fleet halted"), "{text}");
    assert!(text.contains("halted at the gate after wave w1"), "{text}");
    assert_eq!(fleet_key(&b, &mut view, key('q')), FleetAction::Leave);
    let _ = index(&b, "a1");
}

/// Every fleet binding is reachable where its context is live: at a gate, each key of the
/// grid and of the gate resolves to its own binding.
#[test]
fn every_fleet_binding_is_reachable_at_a_gate() {
    use crate::tui::bindings::{self, Context};
    let mut b = under_way();
    b.apply(&FleetEvent::WaveGate {
        wave: "w1".into(),
        evidence: WaveEvidence::default(),
    });
    let view = FleetView::default();
    let live = view.contexts(&b);
    for binding in bindings::BINDINGS
        .iter()
        .filter(|x| matches!(x.context, Context::Fleet | Context::FleetGate))
    {
        for k in binding.keys {
            let found = bindings::resolve(&live, *k);
            assert_eq!(
                found.map(|f| (f.context, f.act)),
                Some((binding.context, binding.act)),
                "{k:?} of {:?} is taken first ({live:?})",
                binding.context
            );
        }
    }
}
