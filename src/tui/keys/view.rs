//! The view: what the operator is looking at (panel, cursor, scroll, the open prompt's own
//! state, a confirmation waiting for its key), apart from the run itself.

use super::*;

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

    pub(super) fn cycle(self, forward: bool) -> Panel {
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
    /// Start the run although the schema drifted since its rehearsal.
    AcceptDrift,
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
            Confirm::AcceptDrift => {
                "Start the run although the schema differs from the rehearsal's (journaled with your name)?"
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
    /// A run set against a rehearsal whose schema drifted since: what differs, shown before
    /// anything runs. The engine is started only when this is `None`.
    pub drift: Option<Vec<String>>,
    /// The operator went on despite the drift (journaled with the run).
    pub drift_accepted: bool,
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
            drift: None,
            drift_accepted: false,
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
