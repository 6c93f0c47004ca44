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

use super::app::{InputThread, PANICKED, PanicHook, Signals, TerminalGuard};
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
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_postgres::Client;

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

/// Delay before reconnect attempt `n` (1-based): 500 ms doubling to 8 s.
fn backoff(n: u32) -> Duration {
    Duration::from_millis(500u64 << n.saturating_sub(1).min(4))
}

/// Turns rows of `cutover.events` into entries; rows this version cannot read are counted.
pub fn entries_of(
    rows: Vec<(i64, chrono::DateTime<chrono::Utc>, serde_json::Value)>,
) -> (Vec<Entry>, u64) {
    let mut entries = Vec::with_capacity(rows.len());
    let mut unreadable = 0;
    for (seq, ts, event) in rows {
        match (u64::try_from(seq), serde_json::from_value::<Event>(event)) {
            (Ok(seq), Ok(event)) => entries.push(Entry { ts, seq, event }),
            _ => unreadable += 1,
        }
    }
    (entries, unreadable)
}

/// What the feed keeps across reconnects.
struct Follow {
    run: Option<String>,
    last: u64,
    no_run: Option<String>,
}

/// Follows the latest run of `runbook` until the screen goes away; reconnects forever.
pub async fn feed(target: Target, runbook: String, tx: UnboundedSender<FeedMsg>) {
    let secret = target.secret();
    let mut follow = Follow {
        run: None,
        last: 0,
        no_run: None,
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if tx
            .send(FeedMsg::Link(Link::Connecting { attempt }))
            .is_err()
        {
            return;
        }
        let error = match session(&target, &runbook, &mut follow, &tx, &mut attempt).await {
            Ok(()) => return,
            Err(e) => crate::secret::mask(&e, secret.as_deref()),
        };
        let retry_in = backoff(attempt);
        if tx
            .send(FeedMsg::Link(Link::Lost { error, retry_in }))
            .is_err()
        {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(retry_in) => {}
            _ = tx.closed() => return,
        }
    }
}

/// One connection's worth of following. `Ok` when the screen has gone, `Err` when the
/// connection failed or was lost.
async fn session(
    target: &Target,
    runbook: &str,
    follow: &mut Follow,
    tx: &UnboundedSender<FeedMsg>,
    attempt: &mut u32,
) -> Result<(), String> {
    let (client, _notices, mut notifications) = crate::connect::open_listening(target).await?;
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(|e| e.to_string())?;
    // A standby refuses LISTEN ("cannot execute LISTEN during recovery"): poll only there.
    let notified = client
        .batch_execute(&format!("LISTEN {}", crate::tracking::EVENTS_CHANNEL))
        .await
        .is_ok();
    *attempt = 0;
    if tx.send(FeedMsg::Link(Link::Live { notified })).is_err() {
        return Ok(());
    }
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        catch_up(&client, runbook, follow, tx)
            .await
            .map_err(|e| e.to_string())?;
        tokio::select! {
            n = notifications.recv() => {
                if n.is_none() {
                    return Err("the connection was closed".into());
                }
                // Take every notification already here: one catch-up reads them all.
                while notifications.try_recv().is_ok() {}
            }
            _ = poll.tick() => {}
            _ = tx.closed() => return Ok(()),
        }
        if client.is_closed() {
            return Err("the connection was closed".into());
        }
    }
}

/// Switches to a newer run if there is one, then reads every event after the last seen.
async fn catch_up(
    client: &Client,
    runbook: &str,
    follow: &mut Follow,
    tx: &UnboundedSender<FeedMsg>,
) -> Result<(), tokio_postgres::Error> {
    let latest = match crate::tracking::followed_run(client, runbook).await? {
        Ok(latest) => latest,
        Err(why) => {
            if follow.no_run.as_ref() != Some(&why) {
                follow.no_run = Some(why.clone());
                let _ = tx.send(FeedMsg::NoRun(why));
            }
            return Ok(());
        }
    };
    follow.no_run = None;
    if follow.run.as_ref() != Some(&latest) {
        follow.run = Some(latest.clone());
        follow.last = 0;
        let _ = tx.send(FeedMsg::Run(latest.clone()));
    }
    loop {
        let after = i64::try_from(follow.last).unwrap_or(i64::MAX);
        let rows = crate::tracking::events_after(client, &latest, after, PAGE).await?;
        let n = rows.len();
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(());
        };
        let (entries, unreadable) = entries_of(rows);
        follow.last = u64::try_from(last).unwrap_or(follow.last);
        if unreadable > 0 {
            let _ = tx.send(FeedMsg::Unreadable(unreadable));
        }
        if !entries.is_empty() {
            let _ = tx.send(FeedMsg::Entries(entries));
        }
        if (n as i64) < PAGE {
            return Ok(());
        }
    }
}

// ---------------------------------------------------------------------------------------
// The screen.

const AMBER: Color = Color::Yellow;

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn boxed(frame: &mut Frame, area: Rect, title: String, border: Style, lines: Vec<Line<'static>>) {
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 4)
        .chain(std::iter::once(title.chars().count() as u16 + 4))
        .max()
        .unwrap_or(40)
        .clamp(40, 100);
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title).border_style(border)),
        rect,
    );
}

/// The read-only box for what the engine waits on.
fn draw_prompt(frame: &mut Frame, area: Rect, ui: &UiState, watch: &Watch) {
    let Some((prompt, halted)) = watch.shown_prompt(ui) else {
        return;
    };
    let operator = if halted {
        "a decision (the run halted here)".to_owned()
    } else if ui.header.operator.is_empty() || ui.header.operator == NO_OPERATOR {
        "the operator".to_owned()
    } else {
        format!("the operator ({})", ui.header.operator)
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let title = match prompt {
        Prompt::Gate {
            step,
            prompt: text,
            questions,
            failed_critical,
            rejected,
            ..
        } => {
            lines.push(Line::styled(text.clone(), bold()));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Checklist the operator confirms:", dim()));
            for q in questions {
                lines.push(Line::raw(format!("  • {q}")));
            }
            if !failed_critical.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "  ✗ failed critical checks: {} (a go needs an override)",
                        failed_critical.join(", ")
                    ),
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ));
            }
            if let Some(reason) = rejected {
                lines.push(Line::styled(
                    format!("  last attempt rejected: {reason}"),
                    Style::new().fg(AMBER),
                ));
            }
            if halted {
                format!(" ◆ GATE {step} — waiting for {operator} ")
            } else {
                format!(" ◆ GATE {step} — waiting for {operator}'s decision ")
            }
        }
        Prompt::Manual { step, prompt: text } => {
            lines.push(Line::raw(text.clone()));
            format!(" ✎ MANUAL STEP {step} — waiting for {operator} ")
        }
        Prompt::Failure { step } => {
            if let Some(e) = ui.step(step).and_then(|s| s.error.as_ref()) {
                lines.push(Line::styled(e.to_string(), Style::new().fg(Color::Red)));
            }
            lines.push(Line::raw(
                "The operator chooses: retry, roll back or abort.".to_owned(),
            ));
            format!(" ✗ STEP {step} FAILED — waiting for {operator} ")
        }
        Prompt::Uncertain { step } => {
            lines.push(Line::raw(
                "Interrupted mid-way by an earlier crash: the operator says whether it was applied."
                    .to_owned(),
            ));
            format!(" ? UNCERTAIN STEP {step} — waiting for {operator} ")
        }
    };
    if halted {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "The run is halted, resumable: the operator decides when resuming it (cutover run --resume).",
            Style::new().fg(AMBER),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(format!("{READ_ONLY}  "), dim()),
        Span::styled(
            bindings::key(Context::Watch, Act::Hide),
            bold().fg(Color::Cyan),
        ),
        Span::styled(" hide", dim()),
    ]));
    boxed(frame, area, title, Style::new().fg(AMBER), lines);
}

fn draw_waiting(frame: &mut Frame, area: Rect, watch: &Watch) {
    let why = watch
        .no_run
        .clone()
        .unwrap_or_else(|| "connecting to the database".to_owned());
    let lines = vec![
        Line::styled(why, bold()),
        Line::raw(""),
        Line::styled(
            format!(
                "The view starts as soon as a run of `{}` begins on {}.",
                watch.runbook, watch.target
            ),
            dim(),
        ),
    ];
    boxed(
        frame,
        area,
        format!(" Waiting for a run of {} ", watch.runbook),
        Style::new().fg(Color::Cyan),
        lines,
    );
}

fn draw_lost(frame: &mut Frame, area: Rect, error: &str, retry_in: Duration) {
    let lines = vec![
        Line::styled(error.to_owned(), Style::new().fg(Color::Red)),
        Line::styled(
            format!(
                "Reconnecting in {} — the run itself is not affected.",
                fmt::dur(retry_in)
            ),
            dim(),
        ),
    ];
    let top = Rect {
        height: area.height.min(6),
        ..area
    };
    boxed(
        frame,
        top,
        " CONNECTION LOST — reconnecting ".to_owned(),
        Style::new().fg(Color::Red),
        lines,
    );
}

/// The watcher's status bar, over the operator's footer.
fn draw_status(frame: &mut Frame, area: Rect, watch: &Watch, view: &ViewState) {
    let mut spans: Vec<Span<'static>> = vec![Span::styled(
        " WATCHING · read-only ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )];
    spans.push(Span::raw(" "));
    match &watch.link {
        Link::Live { notified } => {
            let mut notes = Vec::new();
            if !notified {
                notes.push(format!("polling every {}", fmt::dur(POLL)));
            }
            if watch.reconnects > 0 {
                notes.push(format!("reconnected {}×", watch.reconnects));
            }
            spans.push(Span::styled(
                if notes.is_empty() {
                    "● live ".to_owned()
                } else {
                    format!("● live ({}) ", notes.join(", "))
                },
                Style::new().fg(Color::Green),
            ));
        }
        Link::Connecting { attempt } if *attempt <= 1 => {
            spans.push(Span::styled("connecting… ", Style::new().fg(AMBER)));
        }
        Link::Connecting { attempt } => spans.push(Span::styled(
            format!("reconnecting (attempt {attempt})… "),
            Style::new().fg(AMBER),
        )),
        Link::Lost { retry_in, .. } => spans.push(Span::styled(
            format!("CONNECTION LOST, retry in {} ", fmt::dur(*retry_in)),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        )),
    }
    spans.push(Span::styled("│ ", dim()));
    if let Some(notice) = &view.notice {
        spans.push(Span::styled(format!("{notice} "), Style::new().fg(AMBER)));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.run.is_none() {
        spans.push(Span::styled(
            format!("waiting for a run of {} ", watch.runbook),
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    if let Some(decision) = &watch.last_decision {
        spans.push(Span::styled(format!("{decision} "), bold()));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.missing > 0 {
        spans.push(Span::styled(
            format!(
                "{} event(s) missing here (the journal has them) ",
                watch.missing
            ),
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.unreadable > 0 {
        spans.push(Span::styled(
            format!(
                "{} event(s) from a newer cutover not shown ",
                watch.unreadable
            ),
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.checksum_differs {
        spans.push(Span::styled(
            "the run's runbook differs from this file ",
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    let hints: Vec<_> = context_hints(Context::Watch, |_| true)
        .chain(context_hints(Context::Nav, |_| true))
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(hints_line(spans, &hints, area.width as usize)),
        area,
    );
}

/// The whole watcher screen: the operator's screen, then the watcher's overlays.
pub fn draw_watch(frame: &mut Frame, ui: &UiState, view: &ViewState, watch: &Watch) {
    draw(frame, ui, view);
    let area = frame.area();
    if area.width < 20 || area.height < 6 {
        return;
    }
    let footer = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    let body = Rect {
        y: area.y + 2,
        height: area.height - 3,
        ..area
    };
    if watch.run.is_none() {
        draw_waiting(frame, body, watch);
    } else if watch.prompt_visible(ui) {
        draw_prompt(frame, body, ui, watch);
    }
    if let Link::Lost { error, retry_in } = &watch.link {
        draw_lost(frame, body, error, *retry_in);
    }
    if watch.help {
        draw_help_screen(
            frame,
            body,
            "Watching — keys",
            WATCH_HELP,
            Some(READ_ONLY),
            view.help_scroll,
        );
    }
    draw_status(frame, footer, watch, view);
}

/// Watches the latest run of `runbook` until the viewer leaves. The terminal is restored
/// before this returns; the only error is a terminal that cannot be used.
pub async fn run_watch(runbook: &Runbook, plan: &Plan, target: Target) -> std::io::Result<()> {
    let mut ui = UiState::new(runbook, plan, NO_OPERATOR);
    let mut view = ViewState::new(chrono::Utc::now());
    view.watching = true;
    let mut watch = Watch::new(runbook, &target.redacted());

    let mut guard = TerminalGuard::enter()?;
    let hook = PanicHook::install();
    let mut terminal = match Terminal::new(CrosstermBackend::new(std::io::stdout())) {
        Ok(t) => t,
        Err(e) => {
            guard.leave();
            hook.uninstall();
            return Err(e);
        }
    };
    let (input_tx, mut input) = unbounded_channel();
    let mut input_thread = match InputThread::spawn(input_tx) {
        Ok(i) => i,
        Err(e) => {
            guard.leave();
            hook.uninstall();
            return Err(e);
        }
    };
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
mod tests {
    use super::*;
    use crate::events::Decision;
    use crossterm::event::KeyModifiers;

    fn fixture() -> (Runbook, Plan) {
        let text = "name: w\nwindow: { budget: 10m }\nphases:\n  - id: p\n    kind: preparation\n    budget: 5m\n    steps:\n      - check: c\n        sql: SELECT 1\n        expect: 1\n      - checkpoint: gate\n        prompt: Go?\n        questions: [Ready?]\n";
        let loaded =
            crate::runbook::load_text(std::path::Path::new("w.yaml"), text, &|_: &str| None);
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
            let mut terminal = Terminal::new(backend).unwrap();
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
}
