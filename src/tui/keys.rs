//! The view (what the operator is looking at) and what keys do to it. `handle_key` is pure:
//! a key and the current state in, at most one engine command out. Which key does what is
//! in [`super::bindings`]; this module says which contexts are live and performs the acts.
//! Everything that changes the run takes two different keys (an action and a confirming
//! key), so a single stray keypress never does.

use super::bindings::{self, Act, Binding, Context, Key};
use super::state::{Prompt, UiState};
use crate::events::{Command, Decision};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, KeyEventKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Timeline,
    Graph,
    Checks,
    Monitor,
    Log,
    Detail,
}

impl Panel {
    pub const ALL: [Panel; 6] = [
        Panel::Timeline,
        Panel::Graph,
        Panel::Checks,
        Panel::Monitor,
        Panel::Log,
        Panel::Detail,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Timeline => "Timeline",
            Panel::Graph => "Dependencies",
            Panel::Checks => "Verification",
            Panel::Monitor => "Monitoring",
            Panel::Log => "Log",
            Panel::Detail => "Step",
        }
    }

    pub fn number(self) -> usize {
        Panel::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    fn cycle(self, forward: bool) -> Panel {
        let n = Panel::ALL.len();
        let i = self.number() - 1;
        Panel::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// A run-wide action waiting for `y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirm {
    CancelStatement,
    Abort,
    EndPhase,
    Quit,
}

impl Confirm {
    pub fn question(self) -> &'static str {
        match self {
            Confirm::CancelStatement => {
                "Cancel the running statement? Its step fails (57014); then retry, roll back or abort."
            }
            Confirm::Abort => "ABORT the run, leaving the database as it is now?",
            Confirm::EndPhase => "End the monitoring phase now?",
            Confirm::Quit => {
                "Quit? The run pauses after the current step and stays resumable (--resume)."
            }
        }
    }
}

/// An answer to the engine's prompt, waiting for `y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Go { override_checks: bool },
    NoGoAbort,
    NoGoRollback,
    Acknowledge,
    Retry,
    Rollback,
    Abort,
    MarkApplied,
    Rerun,
}

impl Action {
    pub fn question(self) -> &'static str {
        match self {
            Action::Go {
                override_checks: false,
            } => "Confirm GO: continue past this checkpoint?",
            Action::Go {
                override_checks: true,
            } => "Confirm GO OVERRIDING the failed critical checks (journaled as an override)?",
            Action::NoGoAbort => "Confirm NO-GO: abort here and leave the database as it is?",
            Action::NoGoRollback => {
                "Confirm NO-GO: roll back this run's migrations in reverse order?"
            }
            Action::Acknowledge => "Confirm the manual step is done?",
            Action::Retry => "Retry the failed step?",
            Action::Rollback => "Roll back this run's migrations in reverse order?",
            Action::Abort => "Abort the run, leaving the database as it is now?",
            Action::MarkApplied => {
                "Mark the step APPLIED (you checked the database and it is complete)?"
            }
            Action::Rerun => "Run the step again (its SQL must be safe to rerun)?",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Browse,
    /// Typing a comment for the decision.
    Comment,
    /// No-go chosen: abort or roll back?
    NoGo,
    Confirm(Action),
    /// Sent; waiting for the engine to record or reject it.
    Sent,
}

/// `cutover run --resume`: the restored run is on screen and the engine has not been
/// started. Only a deliberate `Enter` on the summary continues the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResumeView {
    /// The summary hidden (Esc) to look at the panels; `d` shows it again.
    pub hidden: bool,
}

/// The modal's own state for the prompt that is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModalView {
    /// `UiState::prompt_seq` of the prompt this belongs to.
    pub seq: u64,
    pub rejected_seq: u64,
    pub ticks: Vec<bool>,
    pub focus: usize,
    pub comment: String,
    pub stage: Stage,
    /// Hidden with Esc to look at the panels; `d` shows it again.
    pub hidden: bool,
    pub message: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ViewState {
    /// The wall clock, injected so drawing is deterministic.
    pub now: DateTime<Utc>,
    /// The focused panel (the tab shown on small terminals).
    pub panel: Panel,
    /// The step under the cursor in the timeline/graph; `None` follows the running step.
    pub cursor: Option<usize>,
    /// The step shown in the detail panel; `None` follows the running step.
    pub selected: Option<usize>,
    /// Lines up from the newest log line (0 = follow the tail).
    pub log_scroll: usize,
    pub detail_scroll: usize,
    /// Index into `UiState::checks`.
    pub check_cursor: usize,
    /// Index into `UiState::probes`.
    pub probe_cursor: usize,
    pub modal: Option<ModalView>,
    pub confirm: Option<Confirm>,
    pub help: bool,
    /// Lines the help screen is scrolled down.
    pub help_scroll: u16,
    /// The focused panel fills the screen (`z`).
    pub zoom: bool,
    /// The watcher's screen: the run is someone else's, seen through its events.
    pub watching: bool,
    pub notice: Option<String>,
    /// Leave the TUI now.
    pub quit: bool,
    /// Leave as soon as the engine has stopped.
    pub leave_when_stopped: bool,
    /// Resuming: waiting for the operator to continue the restored run (`None` once they
    /// have, or when not resuming). The engine is started only when this is `None`.
    pub resume: Option<ResumeView>,
}

impl ViewState {
    pub fn new(now: DateTime<Utc>) -> ViewState {
        ViewState {
            now,
            panel: Panel::Timeline,
            cursor: None,
            selected: None,
            log_scroll: 0,
            detail_scroll: 0,
            check_cursor: 0,
            probe_cursor: 0,
            modal: None,
            confirm: None,
            help: false,
            help_scroll: 0,
            zoom: false,
            watching: false,
            notice: None,
            quit: false,
            leave_when_stopped: false,
            resume: None,
        }
    }

    /// Brings the modal state in line with the engine's prompt (new prompt, rejection, none).
    pub fn sync(&mut self, state: &UiState) {
        let Some(prompt) = &state.prompt else {
            self.modal = None;
            return;
        };
        let fresh = self
            .modal
            .as_ref()
            .is_none_or(|m| m.seq != state.prompt_seq);
        if fresh {
            let questions = match prompt {
                Prompt::Gate { questions, .. } => questions.len(),
                _ => 0,
            };
            self.modal = Some(ModalView {
                seq: state.prompt_seq,
                rejected_seq: state.rejected_seq,
                ticks: vec![false; questions],
                focus: 0,
                comment: String::new(),
                stage: Stage::Browse,
                hidden: false,
                message: None,
            });
            self.confirm = None;
            self.detail_scroll = 0;
            return;
        }
        if let Some(m) = &mut self.modal
            && m.rejected_seq != state.rejected_seq
        {
            m.rejected_seq = state.rejected_seq;
            m.stage = Stage::Browse;
            m.hidden = false;
            if let Prompt::Gate {
                rejected: Some(reason),
                ..
            } = prompt
            {
                m.message = Some(format!("rejected by the engine: {reason}"));
            }
        }
    }

    /// The step the detail panel shows.
    pub fn detail_step(&self, state: &UiState) -> Option<usize> {
        self.selected
            .or_else(|| {
                state
                    .prompt
                    .as_ref()
                    .and_then(|p| state.step_index(p.step()))
            })
            .or(state.current_step)
            .or_else(|| state.phases.iter().find_map(|p| p.order.first().copied()))
    }

    /// The step the dependency view keeps in sight.
    pub fn focus_step(&self, state: &UiState) -> Option<usize> {
        self.cursor.or_else(|| self.detail_step(state))
    }

    /// Whether the prompt's modal is on screen.
    pub fn modal_visible(&self, state: &UiState) -> bool {
        state.prompt.is_some() && self.modal.as_ref().is_some_and(|m| !m.hidden)
    }

    /// Text pasted (bracketed paste): only ever goes into a comment being typed.
    pub fn paste(&mut self, text: &str) {
        if let Some(m) = &mut self.modal
            && m.stage == Stage::Comment
        {
            m.comment
                .extend(text.chars().filter(|c| !c.is_control()).take(500));
        }
    }
}

fn is_press(key: &KeyEvent) -> bool {
    key.kind == KeyEventKind::Press
}

#[cfg(test)]
fn char_of(key: &KeyEvent) -> Option<char> {
    match Key::of(key) {
        Some(Key::Char(c)) => Some(c),
        _ => None,
    }
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
        Act::Yes => {
            if let Some(confirm) = view.confirm.take() {
                return confirm_global(state, view, confirm);
            }
            return confirm_modal(state, view, operator);
        }
        Act::Continue => {
            view.resume = None;
            view.notice = None;
        }
        Act::LookAround | Act::ShowSummary => {
            if let Some(r) = &mut view.resume {
                r.hidden = act == Act::LookAround;
            }
            view.notice = None;
        }
        Act::Leave => view.quit = true,
        Act::NotYet => {
            view.notice = Some(format!(
                "nothing is running yet: {} shows the resume summary ({} there continues)",
                bindings::key(Context::ResumeHidden, Act::ShowSummary),
                bindings::key(Context::Resume, Act::Continue),
            ));
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

/// What the keys of an open prompt do to it (nothing is sent before `y`).
fn prompt_act(state: &UiState, view: &mut ViewState, act: Act) {
    let Some(m) = view.modal.as_mut() else {
        return;
    };
    match act {
        Act::Hide => {
            m.hidden = true;
            if m.stage != Stage::Sent {
                m.message = None;
            }
        }
        Act::CommentDone => {
            m.stage = Stage::Browse;
            m.message = Some(if m.comment.is_empty() {
                "no comment".into()
            } else {
                "comment kept; it is journaled with the decision".into()
            });
        }
        Act::Erase => {
            m.comment.pop();
        }
        Act::Comment => {
            m.stage = Stage::Comment;
            m.message = None;
        }
        Act::Decide(action) => m.stage = Stage::Confirm(action),
        Act::NoGo => {
            m.stage = Stage::NoGo;
            m.message = None;
        }
        Act::QuestionUp => m.focus = m.focus.saturating_sub(1),
        Act::QuestionDown => {
            m.focus = (m.focus + 1).min(m.ticks.len().saturating_sub(1));
        }
        Act::Tick => {
            let n = m.ticks.len();
            if let Some(t) = m.ticks.get_mut(m.focus) {
                *t = !*t;
                m.message = None;
                // On to the next question still to tick; a ticked one is never landed on
                // (a second space would untick it unseen).
                if *t
                    && let Some(next) =
                        (m.focus + 1..n).find(|&q| !m.ticks.get(q).copied().unwrap_or(true))
                {
                    m.focus = next;
                }
            }
        }
        Act::Go | Act::GoOverride => {
            let failed_critical = match &state.prompt {
                Some(Prompt::Gate {
                    failed_critical, ..
                }) => failed_critical.clone(),
                _ => return,
            };
            let unticked = m.ticks.iter().filter(|t| !**t).count();
            let overriding = act == Act::GoOverride;
            m.message = if !overriding && unticked > 0 {
                Some(format!(
                    "tick every question before a go ({unticked} not ticked)"
                ))
            } else if !overriding && !failed_critical.is_empty() {
                Some(format!(
                    "critical checks failed ({}): go needs an override — {}, or {} for no-go",
                    failed_critical.join(", "),
                    bindings::key(Context::Gate, Act::GoOverride),
                    bindings::key(Context::Gate, Act::NoGo),
                ))
            } else if overriding && failed_critical.is_empty() {
                Some(format!(
                    "no critical check failed: use {} for go",
                    bindings::key(Context::Gate, Act::Go)
                ))
            } else if overriding && m.comment.trim().is_empty() {
                Some(format!(
                    "an override needs a reason: {}, type why the go stands, {} — then {}",
                    bindings::key(Context::Gate, Act::Comment),
                    bindings::key(Context::Comment, Act::CommentDone),
                    bindings::key(Context::Gate, Act::GoOverride),
                ))
            } else if unticked > 0 {
                Some(format!(
                    "tick every question before a go ({unticked} not ticked)"
                ))
            } else {
                m.stage = Stage::Confirm(Action::Go {
                    override_checks: overriding,
                });
                None
            };
        }
        _ => {}
    }
}

fn confirm_global(state: &UiState, view: &mut ViewState, confirm: Confirm) -> Option<Command> {
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
        Confirm::Quit => {
            view.leave_when_stopped = true;
            view.notice =
                Some("pausing after the current step; the TUI closes when the engine stops".into());
            Some(Command::Pause)
        }
    }
}

/// `y` on the prompt's confirmation: the decision goes to the engine.
fn confirm_modal(state: &UiState, view: &mut ViewState, operator: &str) -> Option<Command> {
    let prompt = state.prompt.as_ref()?;
    let m = view.modal.as_mut()?;
    let Stage::Confirm(action) = m.stage else {
        return None;
    };
    let step = prompt.step().to_owned();
    let comment = Some(m.comment.clone()).filter(|c| !c.trim().is_empty());
    let command = match (action, prompt) {
        (Action::Go { override_checks }, Prompt::Gate { questions, .. }) => Command::Decide {
            step,
            decision: Decision::Go,
            operator: operator.to_owned(),
            comment,
            answers: questions.iter().map(|q| (q.clone(), true)).collect(),
            override_failed_checks: override_checks,
        },
        (Action::NoGoAbort | Action::NoGoRollback, Prompt::Gate { questions, .. }) => {
            Command::Decide {
                step,
                decision: if action == Action::NoGoAbort {
                    Decision::Abort
                } else {
                    Decision::Rollback
                },
                operator: operator.to_owned(),
                comment,
                answers: questions
                    .iter()
                    .zip(m.ticks.iter().chain(std::iter::repeat(&false)))
                    .map(|(q, t)| (q.clone(), *t))
                    .collect(),
                override_failed_checks: false,
            }
        }
        (Action::Acknowledge, Prompt::Manual { .. }) => Command::Acknowledge {
            step,
            operator: operator.to_owned(),
            note: comment,
        },
        (Action::Retry, Prompt::Failure { .. }) => Command::Retry,
        (Action::Rollback, Prompt::Failure { .. }) => Command::Rollback,
        (Action::Abort, Prompt::Failure { .. }) => Command::Abort,
        (Action::MarkApplied, Prompt::Uncertain { .. }) => Command::ResolveUncertain {
            step,
            applied: true,
        },
        (Action::Rerun, Prompt::Uncertain { .. }) => Command::ResolveUncertain {
            step,
            applied: false,
        },
        _ => {
            m.stage = Stage::Browse;
            return None;
        }
    };
    m.stage = Stage::Sent;
    m.message = Some("sent; waiting for the engine".into());
    Some(command)
}

/// Steps in the order of the dependency view.
fn graph_steps(state: &UiState) -> impl Iterator<Item = usize> + '_ {
    state.graph_rows.iter().filter_map(|r| match r {
        super::state::GraphRow::Step(i) => Some(*i),
        super::state::GraphRow::Phase(_) => None,
    })
}

fn move_cursor(state: &UiState, view: &mut ViewState, delta: isize) {
    let order: Vec<usize> = graph_steps(state).collect();
    if order.is_empty() {
        return;
    }
    let here = view
        .focus_step(state)
        .and_then(|s| order.iter().position(|&i| i == s))
        .unwrap_or(0);
    let to = (here as isize + delta).clamp(0, order.len() as isize - 1) as usize;
    view.cursor = Some(order[to]);
}

fn timeline_cursor(state: &UiState, view: &mut ViewState, delta: isize) {
    // Execution order, the order the timeline lists a phase's steps in.
    let mut order: Vec<usize> = (0..state.steps.len()).collect();
    order.sort_by_key(|&i| state.exec_pos[i]);
    if order.is_empty() {
        return;
    }
    let here = view
        .focus_step(state)
        .and_then(|s| order.iter().position(|&i| i == s))
        .unwrap_or(0);
    let to = (here as isize + delta).clamp(0, order.len() as isize - 1) as usize;
    view.cursor = Some(order[to]);
}

fn scroll(state: &UiState, view: &mut ViewState, delta: isize) {
    match view.panel {
        Panel::Timeline => timeline_cursor(state, view, delta),
        Panel::Graph => move_cursor(state, view, delta),
        Panel::Checks => {
            let n = state.checks.len();
            if n > 0 {
                view.check_cursor =
                    (view.check_cursor as isize + delta).clamp(0, n as isize - 1) as usize;
            }
        }
        Panel::Monitor => {
            let n = state.probes.len();
            if n > 0 {
                view.probe_cursor =
                    (view.probe_cursor as isize + delta).clamp(0, n as isize - 1) as usize;
            }
        }
        Panel::Log => {
            // Up (negative) goes back in time.
            let max = state.log.len().saturating_sub(1) as isize;
            view.log_scroll = (view.log_scroll as isize - delta).clamp(0, max.max(0)) as usize;
        }
        Panel::Detail => {
            view.detail_scroll = (view.detail_scroll as isize + delta).max(0) as usize;
        }
    }
}

/// Any key but the help screen's own closes it.
pub fn close_help(view: &mut ViewState) {
    view.help = false;
    view.help_scroll = 0;
}

/// Looking around: panels, cursor, scrolling, selection. Never changes the run, so it
/// returns nothing to send (the watcher uses it too).
pub fn navigate(state: &UiState, view: &mut ViewState, act: Act, key: Key) {
    match act {
        Act::Help => view.help = true,
        Act::ScrollHelp(by) => {
            view.help_scroll = view.help_scroll.saturating_add_signed(by);
        }
        Act::Zoom => view.zoom = !view.zoom,
        Act::NextPanel => view.panel = view.panel.cycle(true),
        Act::PrevPanel => view.panel = view.panel.cycle(false),
        Act::PanelByNumber => {
            if let Key::Char(d @ '1'..='6') = key {
                view.panel = Panel::ALL[d as usize - '1' as usize];
            }
        }
        Act::Up => scroll(state, view, -1),
        Act::Down => scroll(state, view, 1),
        Act::Left if view.panel == Panel::Checks => scroll(state, view, -1),
        Act::Right if view.panel == Panel::Checks => scroll(state, view, 1),
        Act::PageUp => scroll(state, view, -10),
        Act::PageDown => scroll(state, view, 10),
        Act::Top => match view.panel {
            Panel::Log => view.log_scroll = state.log.len().saturating_sub(1),
            Panel::Detail => view.detail_scroll = 0,
            _ => scroll(state, view, -(state.steps.len() as isize)),
        },
        Act::Follow => match view.panel {
            Panel::Log => view.log_scroll = 0,
            _ => {
                view.cursor = None;
                view.selected = None;
            }
        },
        Act::Select => {
            let step = match view.panel {
                Panel::Checks => state.checks.get(view.check_cursor).copied(),
                Panel::Monitor => state.probes.get(view.probe_cursor).map(|p| p.step),
                _ => view.cursor,
            };
            if let Some(step) = step {
                view.selected = Some(step);
                view.detail_scroll = 0;
                view.panel = Panel::Detail;
            }
        }
        Act::Reset => {
            view.cursor = None;
            view.selected = None;
            view.notice = None;
            view.log_scroll = 0;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

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
