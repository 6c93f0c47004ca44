//! What keys do. `handle_key` is pure: a key and the current state in, at most one engine
//! command out. Which key does what is in [`super::bindings`]; this module says which
//! contexts are live and performs the acts — the run-wide ones here, the open prompt's in
//! `prompt`, looking around in `nav`; the view they change is in `view`.
//! Everything that changes the run takes two different keys (an action and a confirming
//! key), so a single stray keypress never does.

use super::bindings::{self, Act, Binding, Context, Key};
use super::state::{Prompt, UiState};
use crate::events::{Command, Decision};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, KeyEventKind};

mod nav;
mod prompt;
mod resume;
mod view;

pub use nav::{close_help, navigate};
use prompt::*;
pub use view::*;

fn is_press(key: &KeyEvent) -> bool {
    key.kind == KeyEventKind::Press
}

/// The contexts whose bindings are live now, in priority order. After `Anywhere`, the first
/// one says what an unbound key does (see `unbound`).
pub fn contexts(state: &UiState, view: &ViewState) -> Vec<Context> {
    let mut live = vec![Context::Anywhere];
    if view.help {
        live.push(Context::Help);
        return live;
    }
    if let Some(r) = &view.resume {
        if r.hidden {
            live.extend([Context::ResumeHidden, Context::Nav]);
        } else {
            live.push(Context::Resume);
        }
        return live;
    }
    if view.confirm.is_some() {
        live.push(Context::Confirm);
        return live;
    }
    if view.drift.is_some() {
        live.push(Context::Drift);
        return live;
    }
    if view.modal_visible(state)
        && let (Some(m), Some(prompt)) = (&view.modal, &state.prompt)
    {
        match m.stage {
            Stage::Comment => {
                live.push(Context::Comment);
                return live;
            }
            Stage::NoGo => {
                live.push(Context::NoGo);
                return live;
            }
            Stage::Confirm(_) => {
                live.push(Context::Confirm);
                return live;
            }
            Stage::Sent => live.push(Context::Sent),
            Stage::Browse => live.push(prompt_context(prompt)),
        }
    }
    live.extend([Context::Run, Context::Nav]);
    live
}

/// The context of a prompt's own keys.
pub fn prompt_context(prompt: &Prompt) -> Context {
    match prompt {
        Prompt::Gate { .. } => Context::Gate,
        Prompt::Manual { .. } => Context::Manual,
        Prompt::Failure { .. } => Context::Failure,
        Prompt::Uncertain { .. } => Context::Uncertain,
    }
}

/// Whether a binding's footer hint applies now (its key may still answer with a notice).
pub fn hint_applies(binding: &Binding, state: &UiState, view: &ViewState) -> bool {
    let failure_open = matches!(
        (&state.prompt, view.modal_visible(state)),
        (Some(Prompt::Failure { .. }), true)
    );
    let failed_critical = match &state.prompt {
        Some(Prompt::Gate {
            failed_critical, ..
        }) => !failed_critical.is_empty(),
        _ => false,
    };
    match binding.act {
        Act::Quit => true,
        // The failed step's own `a` aborts; two abort keys side by side would confuse.
        Act::Abort => state.is_active() && !failure_open,
        Act::EndPhase => state.monitoring_active(),
        Act::BackfillHold
        | Act::BackfillBigger
        | Act::BackfillSmaller
        | Act::BackfillLagUp
        | Act::BackfillLagDown => state.running_backfill().is_some(),
        Act::Go => !failed_critical,
        Act::GoOverride => failed_critical,
        _ => state.is_active(),
    }
}

/// Keys to commands. Returns the command to send to the engine, if any.
pub fn handle_key(
    state: &UiState,
    view: &mut ViewState,
    key: KeyEvent,
    operator: &str,
) -> Option<Command> {
    view.sync(state);
    if !is_press(&key) {
        return None;
    }
    let key = Key::of(&key)?;
    let live = contexts(state, view);
    match bindings::resolve(&live, key) {
        Some(binding) => perform(state, view, binding.act, key, operator),
        None => {
            unbound(view, live.get(1).copied(), key);
            None
        }
    }
}

/// A key no live binding has: typed into a comment, a "no" to a confirmation, or nothing.
fn unbound(view: &mut ViewState, context: Option<Context>, key: Key) {
    match context {
        Some(Context::Help) => close_help(view),
        Some(Context::Confirm) => {
            if view.confirm.take().is_some() {
                view.notice = Some("cancelled: nothing was sent".into());
            } else if let Some(m) = &mut view.modal {
                m.stage = Stage::Browse;
                m.message = Some("cancelled: nothing was sent".into());
            }
        }
        Some(Context::NoGo) => {
            if let Some(m) = &mut view.modal {
                m.stage = Stage::Browse;
                m.message = Some("no-go cancelled".into());
            }
        }
        Some(Context::Comment) => {
            if let (Some(m), Key::Char(ch)) = (&mut view.modal, key)
                && m.comment.chars().count() < 500
            {
                m.comment.push(ch);
            }
        }
        Some(Context::Drift) => {
            view.notice = Some(format!(
                "not started: {} goes on despite the drift, {} leaves without running anything",
                bindings::key(Context::Drift, Act::AcceptDrift),
                bindings::key(Context::Drift, Act::Leave),
            ));
        }
        Some(Context::Resume) => {
            view.notice = Some(format!(
                "not continued yet: {} continues the run, {} leaves without running anything, {} looks around",
                bindings::key(Context::Resume, Act::Continue),
                bindings::key(Context::Resume, Act::Leave),
                bindings::key(Context::Resume, Act::LookAround),
            ));
        }
        _ => {}
    }
}

fn perform(
    state: &UiState,
    view: &mut ViewState,
    act: Act,
    key: Key,
    operator: &str,
) -> Option<Command> {
    match act {
        Act::Interrupt => {
            view.confirm = None;
            if view.resume.is_some() || !state.is_active() {
                view.quit = true;
                return None;
            }
            view.leave_when_stopped = true;
            view.notice = Some("Ctrl-C: cancelling; the TUI closes when the engine stops".into());
            return Some(Command::Cancel {
                reason: "interrupted (Ctrl-C)".into(),
            });
        }
        Act::AcceptDrift => view.confirm = Some(Confirm::AcceptDrift),
        // The fleet screen's own (see `tui::fleet`): never live on a run's screen.
        Act::FleetFilter | Act::FleetLabel | Act::FleetSort => {}
        Act::Yes => {
            if let Some(confirm) = view.confirm.take() {
                return confirm_global(state, view, confirm);
            }
            return confirm_modal(state, view, operator);
        }
        Act::Continue | Act::LookAround | Act::ShowSummary | Act::Leave | Act::NotYet => {
            resume::act(view, act);
        }
        Act::ShowPrompt => {
            if let Some(m) = &mut view.modal {
                m.hidden = false;
            }
        }
        Act::Quit => {
            if state.is_active() {
                view.confirm = Some(Confirm::Quit);
            } else {
                view.quit = true;
            }
        }
        Act::Pause => {
            if state.is_active() {
                view.notice = Some(
                    "pause requested: the run stops after the current step (resumable)".into(),
                );
                return Some(Command::Pause);
            }
        }
        Act::CancelStatement => {
            if state.statement_running() {
                view.confirm = Some(Confirm::CancelStatement);
            } else {
                view.notice = Some("no statement is running".into());
            }
        }
        Act::Abort => {
            if state.is_active() {
                view.confirm = Some(Confirm::Abort);
            }
        }
        Act::BackfillHold
        | Act::BackfillBigger
        | Act::BackfillSmaller
        | Act::BackfillLagUp
        | Act::BackfillLagDown => return adjust_backfill(state, view, act, operator),
        Act::EndPhase => {
            if state.monitoring_active() {
                view.confirm = Some(Confirm::EndPhase);
            } else {
                view.notice = Some("no monitoring phase is running".into());
            }
        }
        Act::Hide
        | Act::QuestionUp
        | Act::QuestionDown
        | Act::Tick
        | Act::Go
        | Act::GoOverride
        | Act::NoGo
        | Act::Comment
        | Act::Decide(_)
        | Act::CommentDone
        | Act::Erase => prompt_act(state, view, act),
        Act::Help
        | Act::ScrollHelp(_)
        | Act::Zoom
        | Act::NextPanel
        | Act::PrevPanel
        | Act::PanelByNumber
        | Act::Up
        | Act::Down
        | Act::Left
        | Act::Right
        | Act::PageUp
        | Act::PageDown
        | Act::Top
        | Act::Follow
        | Act::Select
        | Act::Reset => navigate(state, view, act, key),
    }
    None
}

/// The operator's change to the running backfill (taken between its batches, journaled).
fn adjust_backfill(
    state: &UiState,
    view: &mut ViewState,
    act: Act,
    operator: &str,
) -> Option<Command> {
    use crate::events::BackfillChange;
    let Some((i, progress)) = state.running_backfill() else {
        view.notice = Some("no backfill is running".into());
        return None;
    };
    let step = &state.steps[i].id;
    let lag = progress.max_replica_lag_ms;
    let change = match act {
        Act::BackfillHold if progress.held => BackfillChange::Release,
        Act::BackfillHold => BackfillChange::Hold,
        Act::BackfillBigger => BackfillChange::BatchSize {
            rows: progress.batch_size.saturating_mul(2),
        },
        Act::BackfillSmaller => BackfillChange::BatchSize {
            rows: (progress.batch_size / 2).max(1),
        },
        // No mark yet: start from 10 s.
        Act::BackfillLagUp => BackfillChange::MaxReplicaLag {
            ms: lag.map_or(10_000, |l| l.saturating_mul(2)),
        },
        Act::BackfillLagDown => BackfillChange::MaxReplicaLag {
            ms: lag.map_or(5_000, |l| (l / 2).max(100)),
        },
        _ => return None,
    };
    view.notice = Some(format!(
        "backfill {step}: {} asked (from its next batch; journaled)",
        change.describe()
    ));
    Some(Command::AdjustBackfill {
        operator: operator.to_owned(),
        change,
    })
}

fn confirm_global(state: &UiState, view: &mut ViewState, confirm: Confirm) -> Option<Command> {
    if confirm == Confirm::AcceptDrift {
        view.drift = None;
        view.drift_accepted = true;
        view.notice = Some("going on despite the drift: it is journaled with your name".into());
        return None;
    }
    if !state.is_active() {
        if confirm == Confirm::Quit {
            view.quit = true;
        }
        return None;
    }
    match confirm {
        Confirm::CancelStatement => {
            view.notice = Some(
                "cancel sent: the statement's step fails; then retry, roll back or abort".into(),
            );
            Some(Command::CancelStatement)
        }
        Confirm::Abort => {
            view.notice = Some("abort sent".into());
            Some(Command::Abort)
        }
        Confirm::EndPhase => {
            view.notice = Some("ending the monitoring phase".into());
            Some(Command::EndPhase)
        }
        Confirm::AcceptDrift => None,
        Confirm::Quit => {
            view.leave_when_stopped = true;
            view.notice =
                Some("pausing after the current step; the TUI closes when the engine stops".into());
            Some(Command::Pause)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn char_of(key: &KeyEvent) -> Option<char> {
        match Key::of(key) {
            Some(Key::Char(c)) => Some(c),
            _ => None,
        }
    }

    #[test]
    fn panels_cycle_both_ways() {
        assert_eq!(Panel::Detail.cycle(true), Panel::Timeline);
        assert_eq!(Panel::Timeline.cycle(false), Panel::Detail);
        assert_eq!(Panel::Checks.number(), 3);
    }

    #[test]
    fn a_paste_only_ever_lands_in_a_comment_being_typed() {
        let mut view = ViewState::new(chrono::Utc::now());
        view.paste("gy");
        assert!(view.modal.is_none());
        view.modal = Some(ModalView {
            seq: 1,
            rejected_seq: 0,
            ticks: vec![true, true],
            focus: 0,
            comment: String::new(),
            stage: Stage::Browse,
            hidden: false,
            message: None,
        });
        view.paste("gy");
        let m = view
            .modal
            .as_ref()
            .map(|m| (m.stage.clone(), m.comment.clone()));
        assert_eq!(m, Some((Stage::Browse, String::new())));
        if let Some(m) = &mut view.modal {
            m.stage = Stage::Comment;
        }
        view.paste("known drift\n");
        assert_eq!(
            view.modal.as_ref().map(|m| m.comment.as_str()),
            Some("known drift")
        );
    }

    #[test]
    fn released_keys_are_ignored() {
        let key = KeyEvent::new_with_kind(
            KeyCode::Char('y'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        );
        assert!(!is_press(&key));
        assert_eq!(char_of(&key), Some('y'));
        let ctrl = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL);
        assert_eq!(char_of(&ctrl), None);
    }
}
