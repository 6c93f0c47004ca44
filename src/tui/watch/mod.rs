//! `cutover watch`: a read-only view of a running window for people other than the operator.
//!
//! The events come from the tracking schema (`cutover.events`, written by the run's mirror)
//! instead of the engine: a feed task follows the latest run of the runbook there — reading
//! `seq > last seen` in order whenever `NOTIFY cutover_events` arrives, and every 2 s anyway —
//! and reconnects with backoff when its connection is lost. The screen is the operator's:
//! the same `UiState` reducer, `draw` and `ViewState`, with a watcher's status bar and
//! read-only prompt boxes drawn over it.
//!
//! There is no way to decide from here: nothing in this module holds a channel to an engine,
//! decision keys only say so, and the session is `default_transaction_read_only`.

use super::app::{PANICKED, Signals};
use super::bindings::{self, Act, Context, Key};
use super::draw::{WATCH_HELP, centered, context_hints, draw, draw_help_screen, hints_line};
use super::fmt;
use super::keys::{ViewState, close_help, navigate};
use super::state::{Prompt, UiState};
use crate::connect::Target;
use crate::events::Event;
use crate::journal::Entry;
use crate::plan::Plan;
use crate::runbook::Runbook;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_postgres::Client;

mod feed;
mod screen;

pub use feed::{entries_of, feed};
pub use screen::draw_watch;

/// How often the watcher looks for new events without a notification.
pub const POLL: Duration = Duration::from_secs(2);
/// Rows read per query while catching up.
const PAGE: i64 = 1_000;

/// The header's operator until the run says who it is.
const NO_OPERATOR: &str = "—";

/// What the decision keys say.
pub const READ_ONLY: &str = "read-only: decisions are made by the operator";

/// The watcher's connection, as shown on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    Connecting {
        attempt: u32,
    },
    /// Following; `notified`: woken by `NOTIFY` (else only polling: `LISTEN` is refused on
    /// a hot standby, for one).
    Live {
        notified: bool,
    },
    Lost {
        error: String,
        retry_in: Duration,
    },
}

/// What the feed task tells the screen.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedMsg {
    Link(Link),
    /// Connected, but nothing to follow yet (the reason, for the screen).
    NoRun(String),
    /// Follow this run from its first event (a newer run replaces the one shown).
    Run(String),
    Entries(Vec<Entry>),
    /// Rows whose event this version cannot read (a newer cutover wrote them).
    Unreadable(u64),
}

/// The watcher's own state beside `UiState`. Pure: `apply` folds feed messages in.
#[derive(Clone, Debug)]
pub struct Watch {
    pub runbook: String,
    pub checksum: String,
    pub target: String,
    pub link: Link,
    pub run: Option<String>,
    pub no_run: Option<String>,
    pub last_seq: u64,
    /// Events missing from the mirror (holes in `seq`); the journal file has them.
    pub missing: u64,
    pub unreadable: u64,
    /// The latest decision or acknowledgement, for the status bar.
    pub last_decision: Option<String>,
    /// The run was started from a runbook that differs from the file loaded here.
    pub checksum_differs: bool,
    /// `UiState::prompt_seq` of a prompt box the viewer hid with Esc.
    pub hidden_prompt: Option<u64>,
    /// What the engine was waiting on when the run halted there (headless, no approval):
    /// still waiting for a decision, which comes when the operator resumes.
    pub halted: Option<Prompt>,
    /// Times the connection came back after it was lost.
    pub reconnects: u32,
    lost: bool,
    pub help: bool,
}

impl Watch {
    pub fn new(runbook: &Runbook, target: &str) -> Watch {
        Watch {
            runbook: runbook.name.clone(),
            checksum: runbook.checksum.clone(),
            target: target.to_owned(),
            link: Link::Connecting { attempt: 1 },
            run: None,
            no_run: None,
            last_seq: 0,
            missing: 0,
            unreadable: 0,
            last_decision: None,
            checksum_differs: false,
            hidden_prompt: None,
            halted: None,
            reconnects: 0,
            lost: false,
            help: false,
        }
    }

    /// Folds one feed message into the watcher and the screen state. A new run starts the
    /// screen over from the plan.
    pub fn apply(
        &mut self,
        msg: FeedMsg,
        ui: &mut UiState,
        view: &mut ViewState,
        runbook: &Runbook,
        plan: &Plan,
    ) {
        match msg {
            FeedMsg::Link(link) => {
                match link {
                    Link::Lost { .. } => self.lost = true,
                    Link::Live { .. } if self.lost => {
                        self.lost = false;
                        self.reconnects += 1;
                    }
                    _ => {}
                }
                self.link = link;
            }
            FeedMsg::NoRun(why) => self.no_run = Some(why),
            FeedMsg::Run(id) => {
                *ui = UiState::new(runbook, plan, NO_OPERATOR);
                *view = ViewState::new(view.now);
                view.watching = true;
                self.run = Some(id);
                self.no_run = None;
                self.last_seq = 0;
                self.missing = 0;
                self.unreadable = 0;
                self.last_decision = None;
                self.checksum_differs = false;
                self.hidden_prompt = None;
                self.halted = None;
            }
            FeedMsg::Entries(entries) => {
                for entry in entries {
                    self.entry(&entry, ui);
                }
            }
            FeedMsg::Unreadable(n) => self.unreadable += n,
        }
    }

    fn entry(&mut self, entry: &Entry, ui: &mut UiState) {
        if entry.seq <= self.last_seq {
            return;
        }
        self.missing += entry.seq - self.last_seq - 1;
        self.last_seq = entry.seq;
        ui.apply(entry);
        // What the watcher adds to the operator's screen, from the same run record.
        let record = &ui.record;
        self.checksum_differs = record
            .checksum
            .as_ref()
            .is_some_and(|c| *c != self.checksum);
        self.halted = record.halted_at.clone();
        self.last_decision = record.decisions.last().map(|d| {
            format!(
                "{} at {}",
                crate::narration::decision(d),
                fmt::clock(d.at, ui.zone)
            )
        });
    }

    /// What the engine waits on — live, or where the run halted (`true`) — unless the
    /// viewer hid its box.
    pub fn shown_prompt<'a>(&'a self, ui: &'a UiState) -> Option<(&'a Prompt, bool)> {
        let shown = match (&ui.prompt, &self.halted) {
            (Some(p), _) => (p, false),
            (None, Some(p)) => (p, true),
            (None, None) => return None,
        };
        (self.hidden_prompt != Some(ui.prompt_seq)).then_some(shown)
    }

    /// Whether the read-only box for the engine's prompt is on screen.
    pub fn prompt_visible(&self, ui: &UiState) -> bool {
        self.shown_prompt(ui).is_some()
    }
}

/// Keeps the operator's decision modal out of the watcher's view (its keys would decide).
fn prepare_view(ui: &UiState, view: &mut ViewState) {
    view.sync(ui);
    if let Some(m) = &mut view.modal {
        m.hidden = true;
    }
}

/// The watcher's keys: its own (leave, the prompt box), then looking around as the operator
/// does (with the decision modal kept hidden). Any other key only shows [`READ_ONLY`].
/// Nothing is ever sent anywhere: looking around has no command to return.
pub fn watch_key(ui: &UiState, view: &mut ViewState, watch: &mut Watch, key: KeyEvent) {
    if key.kind != KeyEventKind::Press {
        return;
    }
    let Some(key) = Key::of(&key) else {
        return;
    };
    let live: &[Context] = if watch.help {
        &[Context::Anywhere, Context::Help]
    } else {
        &[Context::Anywhere, Context::Watch, Context::Nav]
    };
    let found = bindings::resolve(live, key);
    if watch.help && found.is_none() {
        watch.help = false;
        close_help(view);
        return;
    }
    let Some(binding) = found else {
        if matches!(
            key,
            Key::Char(_) | Key::Code(KeyCode::Backspace | KeyCode::Delete)
        ) {
            view.notice = Some(READ_ONLY.into());
        }
        return;
    };
    match binding.act {
        Act::Interrupt | Act::Leave => view.quit = true,
        Act::Help => watch.help = true,
        Act::Hide if watch.prompt_visible(ui) => watch.hidden_prompt = Some(ui.prompt_seq),
        // Esc with no prompt box: it only resets the view (cursor, selection, log scroll).
        Act::Hide => {
            prepare_view(ui, view);
            navigate(ui, view, Act::Reset, key);
        }
        Act::ShowPrompt if ui.prompt.is_some() || watch.halted.is_some() => {
            watch.hidden_prompt = None;
        }
        Act::ShowPrompt => view.notice = Some(READ_ONLY.into()),
        act => {
            prepare_view(ui, view);
            view.notice = None;
            navigate(ui, view, act, key);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The feed: the database side.

/// What the feed keeps across reconnects.
struct Follow {
    run: Option<String>,
    last: u64,
    no_run: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The screen.

const AMBER: Color = Color::Yellow;

/// Watches the latest run of `runbook` until the viewer leaves. The terminal is restored
/// before this returns; the only error is a terminal that cannot be used.
pub async fn run_watch(runbook: &Runbook, plan: &Plan, target: Target) -> std::io::Result<()> {
    let mut ui = UiState::new(runbook, plan, NO_OPERATOR);
    let mut view = ViewState::new(chrono::Utc::now());
    view.watching = true;
    let mut watch = Watch::new(runbook, &target.redacted());

    let (mut guard, hook, mut terminal, mut input, mut input_thread) =
        crate::tui::app::take_screen()?;
    let (feed_tx, mut feed_rx): (UnboundedSender<FeedMsg>, UnboundedReceiver<FeedMsg>) =
        unbounded_channel();
    let feed_task = tokio::spawn(feed(target, runbook.name.clone(), feed_tx));

    let mut signals = Signals::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut screen_ok = true;
    let mut feed_open = true;
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            screen_ok = false;
        }
        if dirty && screen_ok {
            view.now = chrono::Utc::now();
            prepare_view(&ui, &mut view);
            if terminal
                .draw(|frame| draw_watch(frame, &ui, &view, &watch))
                .is_err()
            {
                // Nobody can see anything any more: leave.
                screen_ok = false;
                view.quit = true;
            }
            dirty = false;
        }
        if view.quit {
            break;
        }
        tokio::select! {
            msg = feed_rx.recv(), if feed_open => match msg {
                Some(msg) => {
                    watch.apply(msg, &mut ui, &mut view, runbook, plan);
                    while let Ok(more) = feed_rx.try_recv() {
                        watch.apply(more, &mut ui, &mut view, runbook, plan);
                    }
                    dirty = true;
                }
                None => {
                    feed_open = false;
                    watch.link = Link::Lost {
                        error: "the watcher's feed stopped".into(),
                        retry_in: Duration::ZERO,
                    };
                    dirty = true;
                }
            },
            ev = input.recv() => match ev {
                Some(TermEvent::Key(key)) => {
                    watch_key(&ui, &mut view, &mut watch, key);
                    dirty = true;
                }
                Some(TermEvent::Resize(_, _)) => dirty = true,
                Some(_) => {}
                // The terminal is gone: nothing to show any more.
                None => view.quit = true,
            },
            _ = signals.recv() => view.quit = true,
            _ = tick.tick() => dirty = true,
        }
    }

    feed_task.abort();
    input_thread.stop();
    let _ = terminal.show_cursor();
    drop(terminal);
    guard.leave();
    hook.uninstall();
    Ok(())
}

#[cfg(test)]
mod tests;
