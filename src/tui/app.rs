//! The event loop: the engine on its own task, terminal input on a blocking thread, and a
//! screen that is redrawn only when something changed (plus a 1 s clock tick).
//!
//! The engine is never blocked by the screen: it sends on an unbounded channel and the loop
//! drains everything pending before drawing once. The terminal is restored on every exit
//! path: normal return, error, signal, and panic (through a chained panic hook).
//!
//! With `--resume` the journal is replayed into the screen first and the engine is started
//! only when the operator continues (Enter on the summary). A terminal that goes away
//! without a SIGHUP (see [`TerminalWatch`]) stops the run like a hang-up does.

use super::bindings::{self, Act, Context, Key};
use super::draw::draw;
use super::keys::{ResumeView, ViewState, handle_key};
use super::state::UiState;
use crate::engine::{self, EngineError, RunOptions};
use crate::events::{Command, Outcome};
use crate::journal::Entry;
use crate::plan::Plan;
use crate::runbook::Runbook;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Stdout;
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Why the TUI could not give an outcome.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// The engine refused or failed (connection, another runner, journal, database).
    #[error("{0}")]
    Engine(EngineError),
    #[error("the engine stopped unexpectedly: {0}")]
    Task(String),
    /// The operator left before the engine had started the run; nothing ran.
    #[error("left before the run started; nothing was run")]
    LeftBeforeStart,
    /// `--resume`: the operator left the restored run without continuing it.
    #[error("left without continuing the run; nothing was run and it stays resumable (--resume)")]
    LeftBeforeResume,
    /// The operator forced the TUI closed while the engine was still stopping.
    #[error(
        "left while the engine was still stopping; the journal has everything so far — check it, then continue with `--resume`"
    )]
    Abandoned,
}

/// Set by the panic hook: stop drawing, the terminal has been restored.
pub(crate) static PANICKED: AtomicBool = AtomicBool::new(false);

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Raw mode and the alternate screen for as long as it lives.
pub(crate) struct TerminalGuard {
    active: bool,
}

impl TerminalGuard {
    pub(crate) fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let guard = TerminalGuard { active: true };
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            crossterm::cursor::Hide
        )?;
        Ok(guard)
    }

    pub(crate) fn leave(&mut self) {
        if self.active {
            self.active = false;
            restore_terminal();
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.leave();
    }
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Restores the terminal before the previous hook prints the panic; undone by `uninstall`.
pub(crate) struct PanicHook {
    previous: Arc<Hook>,
}

impl PanicHook {
    pub(crate) fn install() -> PanicHook {
        PANICKED.store(false, Ordering::SeqCst);
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let chained = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore_terminal();
            chained(info);
        }));
        PanicHook { previous }
    }

    pub(crate) fn uninstall(self) {
        let _ = std::panic::take_hook();
        let previous = self.previous;
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Whether the terminal this process was started on has gone away (a closed window, a
/// killed tmux server, a dropped ssh session): the standard streams that were terminals
/// when the TUI started are no longer. A hung-up tty fails `tcgetattr` (EIO), which is
/// what `is_terminal` asks. A hang-up does not always come with a SIGHUP: only the
/// session leader gets one, and a shell in between need not pass it on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TerminalWatch {
    stdin: bool,
    stdout: bool,
}

impl TerminalWatch {
    pub(crate) fn new() -> TerminalWatch {
        use std::io::IsTerminal;
        TerminalWatch {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
        }
    }

    pub(crate) fn lost(&self) -> bool {
        use std::io::IsTerminal;
        (self.stdin && !std::io::stdin().is_terminal())
            || (self.stdout && !std::io::stdout().is_terminal())
    }
}

/// How often the watchdog looks at the terminal.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// How long the reader waits for a key before it looks at its stop flag again: a screen hands
/// the keyboard to the next one within this, and an idle TUI wakes this often (4×/s).
const INPUT_SLICE: Duration = Duration::from_millis(250);

type SharedSender = Arc<std::sync::Mutex<Option<UnboundedSender<TermEvent>>>>;

fn close_input(sender: &SharedSender) {
    let mut slot = sender.lock().unwrap_or_else(|e| e.into_inner());
    slot.take();
}

/// Reads terminal events on a plain thread (crossterm's async `EventStream` needs its
/// `event-stream` feature) and forwards them. Polls in short slices so it can stop.
///
/// The receiver sees the channel close (`None`) when the terminal is gone or unreadable.
/// A watchdog thread makes sure of that on its own: on a hung-up terminal crossterm's
/// reader spins inside `poll` (each `read` returns 0 bytes, which it neither reports nor
/// leaves the loop on), so the reading thread may never come back to notice.
/// The terminal as a viewer takes it (the watcher, the fleet screen): the guard that gives
/// it back, the panic hook, the terminal, and the keys with the thread that reads them.
/// Whatever fails on the way gives the terminal back first.
pub(crate) type Screen = (
    TerminalGuard,
    PanicHook,
    ratatui::Terminal<ratatui::backend::CrosstermBackend<std::io::Stdout>>,
    tokio::sync::mpsc::UnboundedReceiver<TermEvent>,
    InputThread,
);

pub(crate) fn take_screen() -> std::io::Result<Screen> {
    let mut guard = TerminalGuard::enter()?;
    let hook = PanicHook::install();
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let terminal = match ratatui::Terminal::new(backend) {
        Ok(t) => t,
        Err(e) => {
            guard.leave();
            hook.uninstall();
            return Err(e);
        }
    };
    let (input_tx, input) = tokio::sync::mpsc::unbounded_channel();
    match InputThread::spawn(input_tx) {
        Ok(thread) => Ok((guard, hook, terminal, input, thread)),
        Err(e) => {
            guard.leave();
            hook.uninstall();
            Err(e)
        }
    }
}

pub(crate) struct InputThread {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
    watchdog: Option<std::thread::JoinHandle<()>>,
}

impl InputThread {
    pub(crate) fn spawn(tx: UnboundedSender<TermEvent>) -> std::io::Result<InputThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let terminal = TerminalWatch::new();
        let sender: SharedSender = Arc::new(std::sync::Mutex::new(Some(tx)));

        let flag = Arc::clone(&stop);
        let slot = Arc::clone(&sender);
        let watchdog = std::thread::Builder::new()
            .name("cutover-tty-watch".into())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    if terminal.lost() {
                        close_input(&slot);
                        return;
                    }
                    std::thread::sleep(WATCH_EVERY);
                }
            })?;

        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("cutover-input".into())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    if terminal.lost() {
                        break;
                    }
                    match crossterm::event::poll(INPUT_SLICE) {
                        Ok(true) => match crossterm::event::read() {
                            Ok(event) => {
                                let slot = sender.lock().unwrap_or_else(|e| e.into_inner());
                                match slot.as_ref() {
                                    Some(tx) if tx.send(event).is_ok() => {}
                                    _ => break,
                                }
                            }
                            Err(_) => break,
                        },
                        Ok(false) => {}
                        Err(_) => break,
                    }
                }
                close_input(&sender);
            });
        let handle = match handle {
            Ok(h) => h,
            Err(e) => {
                stop.store(true, Ordering::SeqCst);
                let _ = watchdog.join();
                return Err(e);
            }
        };
        Ok(InputThread {
            stop,
            handle: Some(handle),
            watchdog: Some(watchdog),
        })
    }

    /// Stops both threads. Never blocks for long: a reader stuck in crossterm on a dead
    /// terminal is left behind (it ends with the process).
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(w) = self.watchdog.take() {
            let _ = w.join();
        }
        if let Some(h) = self.handle.take() {
            // The reader notices the flag within one poll slice when it is healthy.
            let deadline = std::time::Instant::now() + 2 * INPUT_SLICE;
            while !h.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGTERM, SIGHUP and SIGINT (a Ctrl-C typed in raw mode arrives as a key instead).
pub(crate) struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub(crate) fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                hup: signal(SignalKind::hangup()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    pub(crate) async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn one(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        if s.recv().await.is_none() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            let Signals { term, hup, int } = self;
            tokio::select! {
                _ = one(term) => "terminated (SIGTERM)",
                _ = one(hup) => "hung up (SIGHUP)",
                _ = one(int) => "interrupted (SIGINT)",
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            "interrupted (Ctrl-C)"
        }
    }
}

/// Runs the window with the operator TUI. The terminal is restored before this returns.
/// Errors are rendered for a terminal; see [`run_tui_full`] for the typed error.
pub async fn run_tui(
    runbook: &Runbook,
    plan: &Plan,
    options: RunOptions,
) -> Result<Outcome, String> {
    run_tui_full(runbook, plan, options)
        .await
        .map_err(|e| e.to_string())
}

/// The engine, not started yet: `--resume` first shows the restored run and starts it only
/// when the operator says so.
struct Launch {
    runbook: Runbook,
    plan: Plan,
    options: RunOptions,
    events: UnboundedSender<Entry>,
    commands: UnboundedReceiver<Command>,
}

type EngineTask = tokio::task::JoinHandle<Result<Outcome, EngineError>>;

impl Launch {
    fn spawn(self) -> EngineTask {
        tokio::spawn(async move {
            engine::run(
                &self.runbook,
                &self.plan,
                self.options,
                self.events,
                self.commands,
            )
            .await
        })
    }
}

/// `--resume`: replays the journal into the screen and holds the engine back until the
/// operator has seen where the run stopped.
fn restore_from_journal(state: &mut UiState, view: &mut ViewState, path: &std::path::Path) {
    let shown = path.display().to_string();
    match crate::journal::replay(path) {
        Ok(replay) => state.restore(&replay.entries, Some(&shown), replay.unreadable.len()),
        Err(e) => {
            state.restore(&[], Some(&shown), 0);
            view.notice = Some(format!("cannot read the journal: {e}"));
        }
    }
    view.resume = Some(ResumeView::default());
}

/// Like [`run_tui`], with the engine's own error kept (to choose an exit code).
pub async fn run_tui_full(
    runbook: &Runbook,
    plan: &Plan,
    options: RunOptions,
) -> Result<Outcome, TuiError> {
    let operator = options.operator.clone();
    let mut state = UiState::new(runbook, plan, &operator);
    let mut view = ViewState::new(chrono::Utc::now());
    if options.resume && options.journal.exists() {
        restore_from_journal(&mut state, &mut view, &options.journal);
    }
    // Set against a rehearsal whose schema drifted: shown first, nothing runs until a go.
    if let Some(r) = options
        .rehearsal
        .as_ref()
        .filter(|r| !r.drift.is_empty() && r.drift_accepted_by.is_none())
    {
        view.drift = Some(r.drift.clone());
    }

    // The terminal first: if there is none, nothing is started.
    let mut guard = TerminalGuard::enter()?;
    let hook = PanicHook::install();
    // A fixed viewport, resized on the terminal's resize events: ratatui would otherwise ask
    // the terminal for its size (opening /dev/tty) before every frame, once a second at a gate.
    let backend = CrosstermBackend::new(std::io::stdout());
    let opened = ratatui::backend::Backend::size(&backend).and_then(|size| {
        Terminal::with_options(
            backend,
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(
                    0,
                    0,
                    size.width,
                    size.height,
                )),
            },
        )
    });
    let mut terminal = match opened {
        Ok(t) => t,
        Err(e) => {
            guard.leave();
            hook.uninstall();
            return Err(TuiError::Terminal(e));
        }
    };
    let (input_tx, input_rx) = unbounded_channel();
    let mut input = match InputThread::spawn(input_tx) {
        Ok(i) => i,
        Err(e) => {
            guard.leave();
            hook.uninstall();
            return Err(TuiError::Terminal(e));
        }
    };

    let (event_tx, event_rx) = unbounded_channel::<Entry>();
    let (command_tx, command_rx) = unbounded_channel::<Command>();
    let launch = Launch {
        runbook: runbook.clone(),
        plan: plan.clone(),
        options,
        events: event_tx,
        commands: command_rx,
    };

    let result = event_loop(
        &mut terminal,
        &mut state,
        &mut view,
        &operator,
        launch,
        event_rx,
        input_rx,
        command_tx,
    )
    .await;

    input.stop();
    if terminal.show_cursor().is_ok() {
        drop(terminal);
    } else {
        // The terminal is gone: ratatui's Drop would try again and report the failure with
        // `eprintln!`, which panics when stderr is that dead terminal too.
        std::mem::forget(terminal);
    }
    guard.leave();
    hook.uninstall();
    result
}

#[allow(clippy::too_many_arguments)]
async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    state: &mut UiState,
    view: &mut ViewState,
    operator: &str,
    launch: Launch,
    mut events: UnboundedReceiver<Entry>,
    mut input: UnboundedReceiver<TermEvent>,
    commands: UnboundedSender<Command>,
) -> Result<Outcome, TuiError> {
    let mut signals = Signals::new();
    let watch = TerminalWatch::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut screen_ok = true;
    let mut events_open = true;
    let mut input_open = true;
    let mut launch = Some(launch);
    let mut engine_task: Option<EngineTask> = None;
    let mut engine_done: Option<Result<Outcome, TuiError>> = None;
    // Stop requests (signals, Ctrl-C): a second one leaves without waiting.
    let mut stop_requests = 0u32;

    loop {
        // The engine starts at once, or (resuming) when the operator continues the run.
        if engine_task.is_none()
            && view.resume.is_none()
            && view.drift.is_none()
            && !view.quit
            && !view.leave_when_stopped
            && let Some(mut launch) = launch.take()
        {
            if view.drift_accepted
                && let Some(r) = launch.options.rehearsal.as_mut()
            {
                r.drift_accepted_by = Some(launch.options.operator.clone());
            }
            if state.restored.is_some() {
                state.continue_resumed();
            }
            engine_task = Some(launch.spawn());
            dirty = true;
        }
        if dirty && screen_ok && !PANICKED.load(Ordering::SeqCst) {
            view.now = chrono::Utc::now();
            view.sync(state);
            if let Err(e) = terminal.draw(|frame| draw(frame, state, view)) {
                // Nobody can see or answer anything any more: stop the run, resumable, and
                // keep driving the engine until it has stopped cleanly.
                screen_ok = false;
                if engine_task.is_some() && state.is_active() {
                    let reason = if watch.lost() {
                        "the terminal was closed".to_owned()
                    } else {
                        format!("the terminal failed: {e}")
                    };
                    let _ = commands.send(Command::Cancel { reason });
                }
                view.leave_when_stopped = true;
            }
            dirty = false;
        }
        if PANICKED.load(Ordering::SeqCst) {
            screen_ok = false;
        }
        if engine_done.is_some() {
            if view.quit || view.leave_when_stopped || !screen_ok || !state.started {
                return engine_done
                    .take()
                    .unwrap_or_else(|| Err(TuiError::Task("no result".into())));
            }
        } else if let Some(task) = engine_task.as_mut() {
            if !state.started && (view.quit || view.leave_when_stopped) {
                // Still connecting: nothing has run yet.
                task.abort();
                return Err(TuiError::LeftBeforeStart);
            }
            if view.quit
                && let Some((outcome, _)) = state.outcome
            {
                // The run has finished; the engine task ends right after its last event.
                return match tokio::time::timeout(Duration::from_secs(10), task).await {
                    Ok(Ok(Ok(o))) => Ok(o),
                    Ok(Ok(Err(e))) => Err(TuiError::Engine(e)),
                    Ok(Err(e)) => Err(TuiError::Task(e.to_string())),
                    Err(_) => Ok(outcome),
                };
            }
            if stop_requests > 1 {
                return Err(TuiError::Abandoned);
            }
        } else if view.quit || view.leave_when_stopped {
            // The operator (or a signal, or a lost terminal) left before the engine started:
            // at the resume summary (the run stays resumable) or at the drift screen.
            return Err(if state.restored.is_some() {
                TuiError::LeftBeforeResume
            } else {
                TuiError::LeftBeforeStart
            });
        }

        let running = engine_task.is_some() && engine_done.is_none();
        tokio::select! {
            entry = events.recv(), if events_open => match entry {
                Some(entry) => {
                    state.apply(&entry);
                    while let Ok(more) = events.try_recv() {
                        state.apply(&more);
                    }
                    dirty = true;
                }
                None => events_open = false,
            },
            ev = input.recv(), if input_open => match ev {
                Some(TermEvent::Key(key)) => {
                    let was_cancel = key.kind == crossterm::event::KeyEventKind::Press
                        && Key::of(&key)
                            .and_then(|k| bindings::resolve(&[Context::Anywhere], k))
                            .is_some_and(|b| b.act == Act::Interrupt);
                    if let Some(command) = handle_key(state, view, key, operator) {
                        let _ = commands.send(command);
                    }
                    if was_cancel && running && state.is_active() {
                        stop_requests += 1;
                    }
                    dirty = true;
                }
                Some(TermEvent::Paste(text)) => {
                    view.paste(&text);
                    dirty = true;
                }
                Some(TermEvent::Resize(width, height)) => {
                    let _ = terminal.resize(ratatui::layout::Rect::new(0, 0, width, height));
                    dirty = true;
                }
                Some(_) => {}
                // The terminal is gone (hang-up, closed window, killed tmux server: not
                // always with a SIGHUP) or unreadable. Nobody can see or answer anything:
                // stop the run, resumable, and leave once the engine has stopped.
                None => {
                    input_open = false;
                    if watch.lost() {
                        screen_ok = false;
                    }
                    view.leave_when_stopped = true;
                    // Not an operator's stop request: a SIGHUP that comes with the hang-up
                    // must not count as a second one and leave before the engine stopped.
                    if running && state.is_active() {
                        let _ = commands.send(Command::Cancel {
                            reason: "the terminal was closed".into(),
                        });
                    }
                    dirty = true;
                }
            },
            joined = async {
                match engine_task.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            }, if running => {
                // Whatever the engine said last is on the channel already.
                while let Ok(more) = events.try_recv() {
                    state.apply(&more);
                }
                engine_done = Some(match joined {
                    Ok(Ok(outcome)) => Ok(outcome),
                    Ok(Err(e)) => Err(TuiError::Engine(e)),
                    Err(e) => Err(TuiError::Task(e.to_string())),
                });
                if !state.started || PANICKED.load(Ordering::SeqCst) {
                    // Refused or failed before the run began (or a panic): say it on the
                    // normal screen instead.
                    view.quit = true;
                }
                dirty = true;
            },
            reason = signals.recv() => {
                if running {
                    let _ = commands.send(Command::Cancel { reason: reason.to_owned() });
                    view.notice = Some(format!("{reason}: cancelling; leaving when the engine stops"));
                    stop_requests += 1;
                }
                view.leave_when_stopped = true;
                dirty = true;
            },
            _ = tick.tick() => dirty = true,
        }
    }
}
