//! The fleet screen's event loop: the fleet driver on its own task sends updates (fleet
//! events and every database's journal entries), the operator's keys answer the waves'
//! gates. The terminal is restored on every exit path, as for `cutover run`.

use super::{Drill, FleetAction, FleetView, draw_fleet, fleet_key};
use crate::fleet::GateAnswer;
use crate::fleet::board::{Board, Update};
use crate::plan::Plan;
use crate::runbook::Runbook;
use crate::tui::app::{PANICKED, Signals};
use crossterm::event::Event as TermEvent;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// At most this often a frame: sixteen databases at once send entries faster than anyone
/// reads, and drawing each would take the CPU the runs need.
const FRAME: Duration = Duration::from_millis(50);

/// What the screen holds of the driver: its updates, where gate answers go, and how to
/// stop every running database.
pub struct DriverLink {
    pub updates: UnboundedReceiver<Update>,
    pub gates: UnboundedSender<GateAnswer>,
    pub stop: tokio::sync::watch::Sender<Option<String>>,
    pub operator: String,
}

/// Shows the fleet until the operator leaves (after the fleet ended, or having halted or
/// interrupted it and seen it stop). Returns once the driver's updates have ended.
pub async fn run_fleet_tui(
    runbook: &Runbook,
    plan: &Plan,
    mut board: Board,
    mut link: DriverLink,
) -> std::io::Result<()> {
    let mut view = FleetView {
        zone: *chrono::Local::now().offset(),
        ..FleetView::default()
    };
    let (mut guard, hook, mut terminal, mut input, mut input_thread) =
        crate::tui::app::take_screen()?;
    let mut signals = Signals::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let started = tokio::time::Instant::now();
    let mut last_draw = started.checked_sub(FRAME).unwrap_or(started);
    let mut screen_ok = true;
    let mut driving = true;
    let mut leaving = false;
    let mut terminal_gone = false;
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            screen_ok = false;
        }
        if dirty && screen_ok && last_draw.elapsed() >= FRAME {
            last_draw = tokio::time::Instant::now();
            let now = chrono::Utc::now();
            if let Some(drill) = view.drill.as_mut() {
                drill.view.now = now;
                drill.view.sync(&drill.ui);
            }
            if terminal
                .draw(|frame| draw_fleet(frame, &board, &mut view, now))
                .is_err()
            {
                screen_ok = false;
            }
            dirty = false;
        }
        if leaving && !driving {
            break;
        }
        tokio::select! {
            update = link.updates.recv(), if driving => match update {
                Some(update) => {
                    take(&mut board, &mut view, update, runbook, plan);
                    while let Ok(more) = link.updates.try_recv() {
                        take(&mut board, &mut view, more, runbook, plan);
                    }
                    dirty = true;
                }
                None => {
                    driving = false;
                    dirty = true;
                }
            },
            ev = input.recv(), if !terminal_gone => match ev {
                Some(TermEvent::Key(key)) => {
                    let action = fleet_key(&board, &mut view, key);
                    leaving |= perform(action, &board, &mut view, &link, runbook, plan);
                    dirty = true;
                }
                Some(TermEvent::Resize(_, _)) => dirty = true,
                Some(_) => {}
                None => {
                    // Nobody can answer a gate any more: stop, resumable.
                    terminal_gone = true;
                    screen_ok = false;
                    leaving |= perform(FleetAction::Interrupt, &board, &mut view, &link, runbook, plan);
                }
            },
            reason = signals.recv() => {
                let _ = link.stop.send(Some(reason.to_owned()));
                if board.gate.is_some() {
                    let _ = link.gates.send(GateAnswer { go: false, reason: reason.to_owned() });
                }
                leaving = true;
            }
            _ = tick.tick() => dirty = true,
            // A change came within a frame of the last one drawn: drawn when the frame is up.
            _ = tokio::time::sleep_until(last_draw + FRAME), if dirty && screen_ok => {}
        }
    }
    input_thread.stop();
    let _ = terminal.show_cursor();
    drop(terminal);
    guard.leave();
    hook.uninstall();
    Ok(())
}

/// Folds one update into the board, and into the open database's screen when it is that
/// database's.
fn take(board: &mut Board, view: &mut FleetView, update: Update, runbook: &Runbook, plan: &Plan) {
    board.update(&update);
    if let (Some(drill), Update::Entry { target, entry }) = (view.drill.as_mut(), update)
        && drill.target == target
    {
        drill.entry(*entry, runbook, plan);
    }
}

/// Performs what a key asked; whether the screen should close once the driver has ended.
fn perform(
    action: FleetAction,
    board: &Board,
    view: &mut FleetView,
    link: &DriverLink,
    runbook: &Runbook,
    plan: &Plan,
) -> bool {
    match action {
        FleetAction::None => false,
        FleetAction::Gate { go } => {
            let reason = if go {
                format!("go from the fleet screen by {}", link.operator)
            } else {
                format!("no-go from the fleet screen by {}", link.operator)
            };
            let _ = link.gates.send(GateAnswer { go, reason });
            false
        }
        FleetAction::Leave => {
            if board.outcome.is_none() {
                if board.gate.is_some() {
                    let _ = link.gates.send(GateAnswer {
                        go: false,
                        reason: format!("{} left the fleet screen at the gate", link.operator),
                    });
                } else {
                    let _ = link
                        .stop
                        .send(Some(format!("{} left the fleet screen", link.operator)));
                }
            }
            true
        }
        FleetAction::Interrupt => {
            let _ = link.stop.send(Some("interrupted (Ctrl-C)".into()));
            if board.gate.is_some() {
                let _ = link.gates.send(GateAnswer {
                    go: false,
                    reason: "interrupted (Ctrl-C) at the gate".into(),
                });
            }
            true
        }
        FleetAction::Drill(name) => {
            let Some(path) = board.database(&name).and_then(|d| d.journal.clone()) else {
                return false;
            };
            match crate::journal::replay(&path) {
                Ok(replayed) => {
                    view.drill = Some(Drill::open(runbook, plan, &name, replayed.entries));
                }
                Err(e) => view.notice = Some(format!("{}: {e}", path.display())),
            }
            false
        }
    }
}
