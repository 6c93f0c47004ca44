//! `cutover fleet`: the fleet screen — every database of the fleet as a row of phases,
//! coloured by state, with the waves and a window forecast above and a wave's gate as a
//! modal. Enter opens a database's own screen (the usual timeline, graph, checks and log,
//! read-only, as `cutover watch` shows it) fed from the same events.
//!
//! - this module: the screen's view state and its keys (pure, from `bindings`);
//! - [`draw`]: the grid, header, gate and footer (pure);
//! - [`app`]: the event loop over the fleet driver's updates.

use super::bindings::{self, Act, Context, Key};
use super::keys::ViewState;
use super::state::UiState;
use super::watch::{FeedMsg, Link, Watch, watch_key};
use crate::fleet::board::{Board, SortBy, StateFilter};
use crate::journal::Entry;
use crate::plan::Plan;
use crate::runbook::Runbook;
use chrono::Offset as _;
use crossterm::event::{KeyEvent, KeyEventKind};

pub mod app;
pub mod draw;

pub use app::run_fleet_tui;
pub use draw::draw_fleet;

/// Rows a page key moves.
const PAGE: usize = 10;

/// One database's own screen, opened from the grid.
pub struct Drill {
    pub target: String,
    pub ui: UiState,
    pub view: ViewState,
    pub watch: Watch,
}

impl Drill {
    /// The screen of `target`'s run from its journal so far; later entries come through
    /// [`Drill::entry`] (those already read are skipped by their sequence number).
    pub fn open(runbook: &Runbook, plan: &Plan, target: &str, entries: Vec<Entry>) -> Drill {
        let mut ui = UiState::new(runbook, plan, "—");
        let mut view = ViewState::new(chrono::Utc::now());
        view.watching = true;
        let mut watch = Watch::new(runbook, target);
        watch.apply(
            FeedMsg::Run(target.to_owned()),
            &mut ui,
            &mut view,
            runbook,
            plan,
        );
        watch.link = Link::Live { notified: true };
        watch.apply(FeedMsg::Entries(entries), &mut ui, &mut view, runbook, plan);
        Drill {
            target: target.to_owned(),
            ui,
            view,
            watch,
        }
    }

    pub fn entry(&mut self, entry: Entry, runbook: &Runbook, plan: &Plan) {
        self.watch.apply(
            FeedMsg::Entries(vec![entry]),
            &mut self.ui,
            &mut self.view,
            runbook,
            plan,
        );
    }
}

/// The fleet screen's own state beside the board.
pub struct FleetView {
    pub filter: StateFilter,
    /// A `key=value` label: only databases carrying it.
    pub label: Option<String>,
    pub sort: SortBy,
    /// The selected database, by name (it stays selected while rows move).
    pub selected: Option<String>,
    /// An act waiting for its confirming key (go, halt, leave).
    pub confirm: Option<Act>,
    pub help: bool,
    pub help_scroll: u16,
    pub notice: Option<String>,
    pub drill: Option<Drill>,
    /// Rows shown last frame (for page keys).
    pub page: usize,
    /// The clock's zone (the operator's).
    pub zone: chrono::FixedOffset,
}

/// What a key asks of the loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetAction {
    None,
    /// The operator's answer at the open gate (confirmed).
    Gate {
        go: bool,
    },
    /// Leave (confirmed): halt at a gate, or interrupt a running wave.
    Leave,
    /// Ctrl-C: interrupt every running database and leave.
    Interrupt,
    /// Open this database's own screen.
    Drill(String),
}

impl Default for FleetView {
    fn default() -> FleetView {
        FleetView {
            filter: StateFilter::default(),
            label: None,
            sort: SortBy::default(),
            selected: None,
            confirm: None,
            help: false,
            help_scroll: 0,
            notice: None,
            drill: None,
            page: 0,
            zone: chrono::Utc.fix(),
        }
    }
}

impl FleetView {
    /// The rows shown, in order.
    pub fn rows(&self, board: &Board) -> Vec<usize> {
        board.rows(self.filter, self.label.as_deref(), self.sort)
    }

    /// Position of the selected database among `rows` (the first when none is).
    pub fn cursor(&self, board: &Board, rows: &[usize]) -> usize {
        self.selected
            .as_ref()
            .and_then(|name| rows.iter().position(|&i| board.databases[i].name == *name))
            .unwrap_or(0)
    }

    fn select(&mut self, board: &Board, rows: &[usize], at: usize) {
        self.selected = rows.get(at).map(|&i| board.databases[i].name.clone());
    }

    /// The contexts live now, in priority order.
    pub fn contexts(&self, board: &Board) -> Vec<Context> {
        if self.help {
            return vec![Context::Anywhere, Context::Help];
        }
        if self.confirm.is_some() {
            return vec![Context::Anywhere, Context::Confirm];
        }
        let mut live = vec![Context::Anywhere];
        if board.gate.is_some() {
            live.push(Context::FleetGate);
        }
        live.push(Context::Fleet);
        live
    }
}

/// What a confirmation asks, as the footer shows it.
pub fn confirm_question(board: &Board, act: Act) -> String {
    let next = board
        .gate
        .and_then(|k| board.waves.get(k + 1))
        .map(|w| w.name.clone())
        .unwrap_or_default();
    let failed = board
        .gate
        .and_then(|k| board.waves[k].evidence.as_ref())
        .map_or(0, |e| e.failed.len());
    match act {
        Act::Go if failed > 0 => {
            format!("go on to wave {next} although {failed} database(s) of this wave failed? (y)")
        }
        Act::Go => format!("start wave {next}? (y)"),
        Act::NoGo => "halt the fleet here (resumable with --resume)? (y)".into(),
        Act::Leave if board.gate.is_some() => {
            "leave: the fleet halts at this gate (resumable with --resume)? (y)".into()
        }
        Act::Leave => {
            "leave: the running databases are interrupted (resumable with --resume)? (y)".into()
        }
        _ => String::new(),
    }
}

/// The fleet screen's keys. Pure: the loop performs what it returns.
pub fn fleet_key(board: &Board, view: &mut FleetView, key: KeyEvent) -> FleetAction {
    if key.kind != KeyEventKind::Press {
        return FleetAction::None;
    }
    let Some(k) = Key::of(&key) else {
        return FleetAction::None;
    };
    if k == Key::Ctrl('c') {
        return FleetAction::Interrupt;
    }
    if let Some(drill) = view.drill.as_mut() {
        // The database's own screen: its keys, read-only; leaving it comes back here.
        watch_key(&drill.ui, &mut drill.view, &mut drill.watch, key);
        if drill.view.quit {
            view.drill = None;
        }
        return FleetAction::None;
    }
    view.notice = None;
    let found = bindings::resolve(&view.contexts(board), k);
    if let Some(act) = view.confirm.take() {
        return match found.map(|b| b.act) {
            Some(Act::Yes) => match act {
                Act::Go => FleetAction::Gate { go: true },
                Act::NoGo => FleetAction::Gate { go: false },
                Act::Leave => FleetAction::Leave,
                _ => FleetAction::None,
            },
            _ => {
                view.notice = Some("not confirmed: nothing was done".into());
                FleetAction::None
            }
        };
    }
    if view.help {
        match found.map(|b| b.act) {
            Some(Act::ScrollHelp(by)) => {
                view.help_scroll = view.help_scroll.saturating_add_signed(by);
            }
            _ => {
                view.help = false;
                view.help_scroll = 0;
            }
        }
        return FleetAction::None;
    }
    let Some(binding) = found else {
        return FleetAction::None;
    };
    let rows = view.rows(board);
    let at = view.cursor(board, &rows);
    match binding.act {
        Act::Up => view.select(board, &rows, at.saturating_sub(1)),
        Act::Down => view.select(board, &rows, (at + 1).min(rows.len().saturating_sub(1))),
        Act::PageUp => view.select(board, &rows, at.saturating_sub(view.page.max(PAGE))),
        Act::PageDown => view.select(
            board,
            &rows,
            (at + view.page.max(PAGE)).min(rows.len().saturating_sub(1)),
        ),
        Act::Top => view.select(board, &rows, 0),
        Act::Select => match rows.get(at).map(|&i| &board.databases[i]) {
            Some(db) if db.journal.is_some() => return FleetAction::Drill(db.name.clone()),
            Some(db) => {
                view.notice = Some(format!("{} has not started: nothing to show yet", db.name));
            }
            None => {}
        },
        Act::FleetFilter => {
            view.filter = view.filter.next();
            view.selected = None;
        }
        Act::FleetLabel => {
            let labels = board.labels();
            view.label = match &view.label {
                None => labels.first().cloned(),
                Some(l) => labels
                    .iter()
                    .position(|x| x == l)
                    .and_then(|i| labels.get(i + 1).cloned()),
            };
            view.selected = None;
        }
        Act::FleetSort => view.sort = view.sort.next(),
        Act::Help => view.help = true,
        Act::Go | Act::NoGo if board.gate.is_some() => view.confirm = Some(binding.act),
        Act::Leave if board.outcome.is_some() => return FleetAction::Leave,
        Act::Leave => view.confirm = Some(Act::Leave),
        Act::Interrupt => return FleetAction::Interrupt,
        _ => {}
    }
    FleetAction::None
}

#[cfg(test)]
mod tests;
