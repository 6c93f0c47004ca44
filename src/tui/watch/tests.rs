use super::*;
use crate::events::Decision;
use crossterm::event::KeyModifiers;

fn fixture() -> (Runbook, Plan) {
    let text = "name: w\nwindow: { budget: 10m }\nphases:\n  - id: p\n    kind: preparation\n    budget: 5m\n    steps:\n      - check: c\n        sql: SELECT 1\n        expect: 1\n      - checkpoint: gate\n        prompt: Go?\n        questions: [Ready?]\n";
    let loaded = crate::runbook::load_text(std::path::Path::new("w.yaml"), text, &|_: &str| None);
    let rb = loaded.runbook.unwrap();
    let plan = crate::plan::plan(&rb);
    (rb, plan)
}

fn at(seq: u64, event: Event) -> Entry {
    Entry {
        ts: chrono::Utc::now(),
        seq,
        event,
    }
}

fn gate(seq: u64) -> Entry {
    at(
        seq,
        Event::CheckpointReached {
            step: "gate".into(),
            prompt: "Go?".into(),
            questions: vec!["Ready?".into()],
            failed_critical: vec![],
            projected_end: "2024-01-01T00:00:00Z".into(),
            hard_end: "2024-01-01T00:10:00Z".into(),
            pace: None,
            advice: None,
        },
    )
}

fn setup() -> (Runbook, Plan, UiState, ViewState, Watch) {
    let (rb, plan) = fixture();
    let ui = UiState::new(&rb, &plan, NO_OPERATOR);
    let mut view = ViewState::new(chrono::Utc::now());
    view.watching = true;
    let watch = Watch::new(&rb, "u@h:5432/d");
    (rb, plan, ui, view, watch)
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn holes_in_seq_are_counted_and_repeats_ignored() {
    let (rb, plan, mut ui, mut view, mut w) = setup();
    w.apply(FeedMsg::Run("r1".into()), &mut ui, &mut view, &rb, &plan);
    let phase = |seq| at(seq, Event::PhaseStarted { phase: "p".into() });
    w.apply(
        FeedMsg::Entries(vec![phase(1), phase(2), phase(5), phase(5), phase(4)]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    assert_eq!((w.last_seq, w.missing), (5, 2));
    assert_eq!(ui.version, 3, "repeats and late rows are not applied twice");
    // A newer run starts over.
    w.apply(FeedMsg::Run("r2".into()), &mut ui, &mut view, &rb, &plan);
    assert_eq!((w.last_seq, w.missing, ui.version), (0, 0, 0));
    assert_eq!(w.run.as_deref(), Some("r2"));
}

#[test]
fn decisions_show_who_decided() {
    let (rb, plan, mut ui, mut view, mut w) = setup();
    w.apply(FeedMsg::Run("r".into()), &mut ui, &mut view, &rb, &plan);
    w.apply(
        FeedMsg::Entries(vec![gate(1)]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    assert!(w.prompt_visible(&ui));
    w.apply(
        FeedMsg::Entries(vec![at(
            2,
            Event::DecisionRecorded {
                step: "gate".into(),
                decision: Decision::Go,
                operator: "lead-x".into(),
                comment: None,
                answers: vec![("Ready?".into(), true)],
                overrode_failed_checks: vec![],
                restored: false,
            },
        )]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    assert!(!w.prompt_visible(&ui));
    let d = w.last_decision.clone().unwrap_or_default();
    assert!(d.starts_with("DECISION gate: GO by lead-x at "), "{d}");
}

#[test]
fn decision_keys_only_say_read_only_and_navigation_still_works() {
    let (rb, plan, mut ui, mut view, mut w) = setup();
    w.apply(FeedMsg::Run("r".into()), &mut ui, &mut view, &rb, &plan);
    w.apply(
        FeedMsg::Entries(vec![gate(1)]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    let before = ui.version;
    // The operator's whole go sequence, and every other run-changing key.
    for c in [
        ' ', 'g', 'y', 'O', 'n', 'a', 'b', 'c', 'p', 'x', 'A', 'E', 'r', 'm',
    ] {
        watch_key(&ui, &mut view, &mut w, key(c));
        assert_eq!(view.notice.as_deref(), Some(READ_ONLY), "key {c:?}");
        assert!(view.confirm.is_none() && !view.quit, "key {c:?}");
    }
    watch_key(
        &ui,
        &mut view,
        &mut w,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    assert!(
        view.modal
            .as_ref()
            .is_none_or(|m| m.ticks.iter().all(|t| !t) && m.hidden),
        "nothing is ticked: {:?}",
        view.modal
    );
    assert_eq!(ui.version, before);
    watch_key(&ui, &mut view, &mut w, key('3'));
    assert_eq!(view.panel, super::super::keys::Panel::Checks);
    watch_key(
        &ui,
        &mut view,
        &mut w,
        KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
    );
    assert_eq!(view.panel, super::super::keys::Panel::Monitor);
    // Esc hides the prompt box, d shows it again; q leaves at once (nothing to pause).
    watch_key(
        &ui,
        &mut view,
        &mut w,
        KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
    );
    assert!(!w.prompt_visible(&ui));
    watch_key(&ui, &mut view, &mut w, key('d'));
    assert!(w.prompt_visible(&ui));
    watch_key(&ui, &mut view, &mut w, key('q'));
    assert!(view.quit && view.confirm.is_none());
}

#[test]
fn a_run_halted_at_a_gate_still_shows_the_gate_until_resumed() {
    let (rb, plan, mut ui, mut view, mut w) = setup();
    w.apply(FeedMsg::Run("r".into()), &mut ui, &mut view, &rb, &plan);
    let finished = at(
        2,
        Event::RunFinished {
            outcome: crate::events::Outcome::Halted,
            message: Some("halted at `gate`, waiting for a decision".into()),
        },
    );
    w.apply(
        FeedMsg::Entries(vec![gate(1), finished]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    assert!(ui.prompt.is_none());
    assert!(matches!(
        w.shown_prompt(&ui),
        Some((Prompt::Gate { step, .. }, true)) if step == "gate"
    ));
    let resumed = at(
        3,
        Event::RunStarted {
            run_id: "r".into(),
            runbook: "w".into(),
            title: "w".into(),
            checksum: rb.checksum.clone(),
            operator: "lead-x".into(),
            target: "u@h:5432/d".into(),
            server_version: "17".into(),
            cutover_version: "0".into(),
            resumed: true,
            hard_end: "2024-01-01T00:10:00Z".into(),
            plan: None,
        },
    );
    w.apply(
        FeedMsg::Entries(vec![resumed]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    assert!(w.shown_prompt(&ui).is_none() && !w.checksum_differs);
}

#[test]
fn reconnects_after_a_loss_are_counted() {
    let (rb, plan, mut ui, mut view, mut w) = setup();
    let mut link = |l: Link| w.apply(FeedMsg::Link(l), &mut ui, &mut view, &rb, &plan);
    link(Link::Live { notified: true });
    link(Link::Lost {
        error: "closed".into(),
        retry_in: Duration::from_millis(500),
    });
    link(Link::Connecting { attempt: 1 });
    link(Link::Live { notified: true });
    link(Link::Live { notified: true });
    assert_eq!(w.reconnects, 1);
}

#[test]
fn rows_that_do_not_parse_are_counted_not_fatal() {
    let ts = chrono::Utc::now();
    let (entries, bad) = entries_of(vec![
        (
            1,
            ts,
            serde_json::json!({"event": "phase_started", "phase": "p"}),
        ),
        (2, ts, serde_json::json!({"event": "from_the_future"})),
        (
            -1,
            ts,
            serde_json::json!({"event": "phase_started", "phase": "p"}),
        ),
    ]);
    assert_eq!(entries.len(), 1);
    assert_eq!(bad, 2);
    assert_eq!(entries[0].seq, 1);
}

#[test]
fn the_screen_says_watching_and_shows_the_gate_read_only() {
    let (rb, plan, mut ui, mut view, mut w) = setup();
    w.link = Link::Live { notified: true };
    let render = |ui: &UiState, view: &mut ViewState, w: &Watch| {
        let backend = ratatui::backend::TestBackend::new(160, 48);
        let mut terminal = ratatui::Terminal::new(backend).unwrap();
        prepare_view(ui, view);
        terminal.draw(|f| draw_watch(f, ui, view, w)).unwrap();
        let buf = terminal.backend().buffer().clone();
        let mut text = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                text.push_str(buf[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    };
    let screen = render(&ui, &mut view, &w);
    assert!(screen.contains("WATCHING · read-only"), "{screen}");
    assert!(screen.contains("Waiting for a run of w"), "{screen}");
    // Connected: never CONNECTING, whatever the run has not yet said.
    assert!(!screen.contains("CONNECTING"), "{screen}");
    w.apply(FeedMsg::Run("r".into()), &mut ui, &mut view, &rb, &plan);
    let screen = render(&ui, &mut view, &w);
    assert!(!screen.contains("CONNECTING"), "{screen}");
    w.apply(
        FeedMsg::Entries(vec![gate(1)]),
        &mut ui,
        &mut view,
        &rb,
        &plan,
    );
    let screen = render(&ui, &mut view, &w);
    assert!(screen.contains("GATE gate — waiting for"), "{screen}");
    assert!(screen.contains(READ_ONLY), "{screen}");
    assert!(
        !screen.contains("go (tick all first)"),
        "no decision keys: {screen}"
    );
    w.link = Link::Lost {
        error: "the connection was closed".into(),
        retry_in: Duration::from_secs(1),
    };
    let screen = render(&ui, &mut view, &w);
    assert!(screen.contains("CONNECTION LOST"), "{screen}");
}
