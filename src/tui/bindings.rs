//! Every key binding of `run` and `watch`, as data: dispatch, the footer's hints, the
//! prompts' key lines and both help screens are read from [`BINDINGS`], so a key letter is
//! written once, here.
//!
//! A binding belongs to a [`Context`] (what the screen is showing); the keys module works
//! out which contexts are live, in priority order, and the first binding of those that has
//! the key wins.

use super::keys::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key as bindings name it: a printable character (case matters: `A` is Shift-a), a
/// Ctrl chord, or a named key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    /// The key a terminal event is, if it is one bindings can name (Alt chords are not).
    pub fn of(event: &KeyEvent) -> Option<Key> {
        if event.modifiers.contains(KeyModifiers::ALT) {
            return None;
        }
        match event.code {
            KeyCode::Char(c) if event.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(Key::Ctrl(c.to_ascii_lowercase()))
            }
            KeyCode::Char(c) => Some(Key::Char(c)),
            code => Some(Key::Code(code)),
        }
    }

    /// How the help screen writes the key.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Code(code) => match code {
                KeyCode::Enter => "Enter".into(),
                KeyCode::Esc => "Esc".into(),
                KeyCode::Tab => "Tab".into(),
                KeyCode::BackTab => "Shift-Tab".into(),
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::Home => "Home".into(),
                KeyCode::End => "End".into(),
                KeyCode::Backspace => "Backspace".into(),
                other => format!("{other:?}"),
            },
        }
    }

    /// How the footer writes the key (one column where there is a symbol for it).
    pub fn short_label(self) -> String {
        match self {
            Key::Code(KeyCode::Enter) => "⏎".into(),
            other => other.label(),
        }
    }
}

/// What the screen is showing, as far as keys go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// Keys that work over everything, even the help screen.
    Anywhere,
    /// The help screen: these scroll it, any other key closes it.
    Help,
    /// Looking around: panels, cursor, scrolling, the step detail. Nothing changes the run.
    Nav,
    /// The operator's run-wide keys.
    Run,
    /// A gate's checklist is open.
    Gate,
    /// No-go chosen at a gate: abort or roll back?
    NoGo,
    /// A failed step waits for a decision.
    Failure,
    /// A manual step waits to be acknowledged.
    Manual,
    /// A step interrupted between statements waits to be resolved.
    Uncertain,
    /// A decision was sent and the engine has not answered yet.
    Sent,
    /// Typing a comment for the decision.
    Comment,
    /// An action waits for its confirming key.
    Confirm,
    /// `--resume`: the summary of the restored run, before anything runs.
    Resume,
    /// `--resume` with the summary hidden to look around.
    ResumeHidden,
    /// `cutover watch`: someone else's run, read-only.
    Watch,
    /// Before a run set against a rehearsal starts: the schema differs from the rehearsal's.
    Drift,
    /// `cutover fleet`: the grid of databases.
    Fleet,
    /// `cutover fleet`: a wave's gate waits for the operator.
    FleetGate,
}

/// What a binding does; the keys module performs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    // Looking around.
    Help,
    /// Scrolls the help screen by this many lines.
    ScrollHelp(i16),
    Zoom,
    NextPanel,
    PrevPanel,
    /// The panel of the digit pressed.
    PanelByNumber,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Follow,
    Select,
    Reset,
    // The run.
    ShowPrompt,
    Pause,
    CancelStatement,
    Abort,
    EndPhase,
    Quit,
    Interrupt,
    /// The running backfill: hold it / let it go on; its batch size ×2 or ÷2; its
    /// replica-lag mark ×2 or ÷2.
    BackfillHold,
    BackfillBigger,
    BackfillSmaller,
    BackfillLagUp,
    BackfillLagDown,
    // A prompt.
    Hide,
    QuestionUp,
    QuestionDown,
    Tick,
    Go,
    GoOverride,
    NoGo,
    Comment,
    /// Asks for the confirming key of this answer.
    Decide(Action),
    // Typing a comment.
    CommentDone,
    Erase,
    // Confirming.
    Yes,
    // Resuming.
    Continue,
    LookAround,
    ShowSummary,
    Leave,
    /// A run-wide key before the run is continued: says nothing runs yet.
    NotYet,
    /// Go on although the schema drifted since the rehearsal (then the confirming key).
    AcceptDrift,
    // The fleet.
    /// Shows the next state only (all, failed, running, waiting, done).
    FleetFilter,
    /// Shows the next label only (then all again).
    FleetLabel,
    /// Sorts by the next order (progress, the fleet's, name).
    FleetSort,
}

/// A key in the footer: `rank` 0 is always shown; the higher, the sooner it gives way
/// (first to its short label, then altogether).
#[derive(Clone, Copy, Debug)]
pub struct Hint {
    /// The keys as the footer writes them, where the binding's first key would not do
    /// (`↑↓` for moving, `Tab/1-6` for the panels).
    pub keys: Option<&'static str>,
    pub long: &'static str,
    pub short: &'static str,
    pub rank: u8,
}

#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub act: Act,
    /// The keys as help and hints write them, where joining them would not do (`1-6`).
    pub shown: Option<&'static str>,
    /// The help screen's line; bindings of a context with the same text share a row.
    pub help: &'static str,
    /// Shown in the footer (when it applies: see the keys module's `hint_applies`).
    pub hint: Option<Hint>,
    /// Shown in the key line of the prompt the context belongs to.
    pub prompt: Option<&'static str>,
}

impl Binding {
    /// The keys as the help screen writes them.
    pub fn keys_label(&self) -> String {
        self.shown.map_or_else(
            || {
                self.keys
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            str::to_owned,
        )
    }

    /// The keys as the footer and the prompts write them: the first key only.
    pub fn key_label(&self) -> String {
        self.shown.map_or_else(
            || {
                self.keys
                    .first()
                    .map(|k| k.short_label())
                    .unwrap_or_default()
            },
            str::to_owned,
        )
    }
}

use Context as C;
use Key::{Char, Code, Ctrl};

const fn b(context: Context, keys: &'static [Key], act: Act, help: &'static str) -> Binding {
    Binding {
        context,
        keys,
        act,
        shown: None,
        help,
        hint: None,
        prompt: None,
    }
}

impl Binding {
    const fn shown(mut self, shown: &'static str) -> Binding {
        self.shown = Some(shown);
        self
    }
    const fn hint(mut self, long: &'static str, short: &'static str, rank: u8) -> Binding {
        self.hint = Some(Hint {
            keys: None,
            long,
            short,
            rank,
        });
        self
    }
    const fn hint_keys(mut self, keys: &'static str) -> Binding {
        if let Some(h) = &mut self.hint {
            h.keys = Some(keys);
        }
        self
    }
    const fn prompt(mut self, label: &'static str) -> Binding {
        self.prompt = Some(label);
        self
    }
}

/// The bindings, by context; within one, in the order the footer and prompts show them.
pub const BINDINGS: &[Binding] = &[
    b(
        C::Anywhere,
        &[Ctrl('c')],
        Act::Interrupt,
        "cancel and leave (resumable)",
    ),
    b(
        C::Help,
        &[Code(KeyCode::Up), Char('k')],
        Act::ScrollHelp(-1),
        "scroll this help",
    ),
    b(
        C::Help,
        &[Code(KeyCode::Down), Char('j')],
        Act::ScrollHelp(1),
        "scroll this help",
    ),
    b(
        C::Help,
        &[Code(KeyCode::PageUp)],
        Act::ScrollHelp(-10),
        "scroll this help",
    ),
    b(
        C::Help,
        &[Code(KeyCode::PageDown)],
        Act::ScrollHelp(10),
        "scroll this help",
    ),
    // Looking around (the operator, a resumed run's summary hidden, and the watcher).
    b(C::Nav, &[Char('?')], Act::Help, "this help").hint("help", "help", 0),
    b(
        C::Nav,
        &[Code(KeyCode::Tab)],
        Act::NextPanel,
        "next / previous panel",
    )
    .hint("panel", "panel", 5)
    .hint_keys("Tab/1-6"),
    b(
        C::Nav,
        &[Code(KeyCode::BackTab)],
        Act::PrevPanel,
        "next / previous panel",
    ),
    b(
        C::Nav,
        &[
            Char('1'),
            Char('2'),
            Char('3'),
            Char('4'),
            Char('5'),
            Char('6'),
        ],
        Act::PanelByNumber,
        "timeline, dependencies, verification, monitoring, log, step",
    )
    .shown("1-6"),
    b(
        C::Nav,
        &[Char('z')],
        Act::Zoom,
        "zoom: the focused panel fills the screen (again: back)",
    ),
    b(
        C::Nav,
        &[Code(KeyCode::Up), Char('k')],
        Act::Up,
        "move or scroll in the panel",
    )
    .hint("move", "move", 6)
    .hint_keys("↑↓"),
    b(
        C::Nav,
        &[Code(KeyCode::Down), Char('j')],
        Act::Down,
        "move or scroll in the panel",
    ),
    b(
        C::Nav,
        &[Code(KeyCode::PageUp)],
        Act::PageUp,
        "move or scroll in the panel",
    ),
    b(
        C::Nav,
        &[Code(KeyCode::PageDown)],
        Act::PageDown,
        "move or scroll in the panel",
    ),
    b(
        C::Nav,
        &[Code(KeyCode::Left)],
        Act::Left,
        "move along the verification grid",
    ),
    b(
        C::Nav,
        &[Code(KeyCode::Right)],
        Act::Right,
        "move along the verification grid",
    ),
    b(C::Nav, &[Code(KeyCode::Home)], Act::Top, "top of the panel"),
    b(
        C::Nav,
        &[Code(KeyCode::End)],
        Act::Follow,
        "follow the run again",
    ),
    b(
        C::Nav,
        &[Code(KeyCode::Enter)],
        Act::Select,
        "show the step under the cursor",
    )
    .hint("select", "select", 5),
    b(
        C::Nav,
        &[Code(KeyCode::Esc)],
        Act::Reset,
        "follow the running step",
    ),
    // The operator's run-wide keys.
    b(
        C::Run,
        &[Char('d')],
        Act::ShowPrompt,
        "show the waiting prompt again",
    )
    .hint("decide", "decide", 0),
    b(
        C::Run,
        &[Char('p')],
        Act::Pause,
        "pause after the current step (resumable)",
    )
    .hint("pause", "pause", 2),
    b(
        C::Run,
        &[Char('x')],
        Act::CancelStatement,
        "cancel the running statement: its step fails, then you decide",
    )
    .hint("cancel stmt", "cancel", 3),
    b(
        C::Run,
        &[Char('A')],
        Act::Abort,
        "abort the run, leaving the database as it is",
    )
    .hint("abort", "abort", 2),
    b(
        C::Run,
        &[Char('E')],
        Act::EndPhase,
        "end the monitoring phase early",
    )
    .hint("end monitoring", "end mon.", 1),
    b(
        C::Run,
        &[Char('q')],
        Act::Quit,
        "quit: pause, then leave (resumable)",
    )
    .hint("quit", "quit", 0),
    b(
        C::Run,
        &[Char('h')],
        Act::BackfillHold,
        "backfill: hold it after the batch running, or let it go on (journaled)",
    )
    .hint("hold backfill", "hold", 1),
    b(
        C::Run,
        &[Char('+')],
        Act::BackfillBigger,
        "backfill: batch size ×2 (+) or ÷2 (-)",
    )
    .hint("batch size", "batch", 2),
    b(
        C::Run,
        &[Char('-')],
        Act::BackfillSmaller,
        "backfill: batch size ×2 (+) or ÷2 (-)",
    ),
    b(
        C::Run,
        &[Char('>')],
        Act::BackfillLagUp,
        "backfill: replica-lag mark ×2 (>) or ÷2 (<)",
    )
    .hint("lag mark", "lag", 3),
    b(
        C::Run,
        &[Char('<')],
        Act::BackfillLagDown,
        "backfill: replica-lag mark ×2 (>) or ÷2 (<)",
    ),
    // A gate.
    b(
        C::Gate,
        &[Code(KeyCode::Up), Char('k')],
        Act::QuestionUp,
        "move between the questions",
    ),
    b(
        C::Gate,
        &[Code(KeyCode::Down), Char('j')],
        Act::QuestionDown,
        "move between the questions",
    ),
    b(
        C::Gate,
        &[Char(' '), Code(KeyCode::Enter)],
        Act::Tick,
        "tick the question under the cursor",
    )
    .shown("space/Enter"),
    b(C::Gate, &[Char('g')], Act::Go, "go (every question ticked)")
        .hint("go", "go", 1)
        .prompt("go"),
    b(
        C::Gate,
        &[Char('O')],
        Act::GoOverride,
        "go overriding failed critical checks (needs a comment)",
    )
    .hint("go overriding", "override", 1)
    .prompt("go overriding failed checks"),
    b(
        C::Gate,
        &[Char('n')],
        Act::NoGo,
        "no-go: then abort or roll back",
    )
    .hint("no-go", "no-go", 1)
    .prompt("no-go"),
    b(
        C::Gate,
        &[Char('c')],
        Act::Comment,
        "type a comment for the decision",
    )
    .prompt("comment"),
    b(C::Gate, &[Code(KeyCode::Esc)], Act::Hide, "hide the prompt")
        .hint("hide", "hide", 4)
        .prompt("hide"),
    b(
        C::NoGo,
        &[Char('a')],
        Act::Decide(Action::NoGoAbort),
        "abort here (leave the database as it is)",
    )
    .prompt("abort here (leave the database as it is)"),
    b(
        C::NoGo,
        &[Char('b')],
        Act::Decide(Action::NoGoRollback),
        "roll back this run's migrations",
    )
    .prompt("roll back this run's migrations"),
    // A failed step.
    b(
        C::Failure,
        &[Char('r')],
        Act::Decide(Action::Retry),
        "retry",
    )
    .hint("retry", "retry", 1)
    .prompt("retry"),
    b(
        C::Failure,
        &[Char('b')],
        Act::Decide(Action::Rollback),
        "roll back",
    )
    .hint("roll back", "roll back", 1)
    .prompt("roll back this run's migrations"),
    b(
        C::Failure,
        &[Char('a')],
        Act::Decide(Action::Abort),
        "abort",
    )
    .hint("abort", "abort", 1)
    .prompt("abort (leave as is)"),
    b(C::Failure, &[Code(KeyCode::Esc)], Act::Hide, "hide")
        .hint("hide", "hide", 4)
        .prompt("hide"),
    // A manual step.
    b(
        C::Manual,
        &[Char('a')],
        Act::Decide(Action::Acknowledge),
        "acknowledge",
    )
    .hint("acknowledge", "ack", 1)
    .prompt("acknowledge (done)"),
    b(
        C::Manual,
        &[Char('c')],
        Act::Comment,
        "a note first (journaled with it)",
    )
    .hint("note", "note", 2)
    .prompt("note it (journaled)"),
    b(C::Manual, &[Char('p')], Act::Pause, "pause here").prompt("pause here (resumable)"),
    b(C::Manual, &[Code(KeyCode::Esc)], Act::Hide, "hide")
        .hint("hide", "hide", 4)
        .prompt("hide"),
    // A step interrupted between statements by an earlier crash.
    b(
        C::Uncertain,
        &[Char('m')],
        Act::Decide(Action::MarkApplied),
        "mark applied",
    )
    .hint("mark applied", "applied", 1)
    .prompt("mark applied"),
    b(
        C::Uncertain,
        &[Char('r')],
        Act::Decide(Action::Rerun),
        "run it again",
    )
    .hint("run again", "rerun", 1)
    .prompt("run it again"),
    b(C::Uncertain, &[Char('A')], Act::Abort, "abort").prompt("abort"),
    b(C::Uncertain, &[Code(KeyCode::Esc)], Act::Hide, "hide")
        .hint("hide", "hide", 4)
        .prompt("hide"),
    b(
        C::Sent,
        &[Code(KeyCode::Esc)],
        Act::Hide,
        "hide the prompt while the engine records it",
    ),
    // Typing a comment.
    b(
        C::Comment,
        &[Code(KeyCode::Enter), Code(KeyCode::Esc)],
        Act::CommentDone,
        "done typing",
    )
    .shown("Enter")
    .prompt("done"),
    b(
        C::Comment,
        &[Code(KeyCode::Backspace)],
        Act::Erase,
        "erase a character",
    ),
    // Every action that changes the run, once more.
    b(
        C::Confirm,
        &[Char('y')],
        Act::Yes,
        "confirm (any other key cancels)",
    )
    .hint("yes", "yes", 0),
    // A resumed run, before anything runs.
    b(
        C::Resume,
        &[Code(KeyCode::Enter)],
        Act::Continue,
        "continue the run",
    )
    .hint("continue the run", "continue", 0)
    .prompt("continue the run"),
    b(
        C::Resume,
        &[Code(KeyCode::Esc)],
        Act::LookAround,
        "look around first (nothing runs)",
    )
    .hint("look around first", "look around", 1)
    .prompt("look around"),
    b(
        C::Resume,
        &[Char('q')],
        Act::Leave,
        "leave without running anything",
    )
    .hint("leave (nothing runs)", "leave", 0)
    .prompt("leave (nothing runs)"),
    b(C::Resume, &[Char('?')], Act::Help, "this help").hint("help", "help", 0),
    b(
        C::ResumeHidden,
        &[Char('d')],
        Act::ShowSummary,
        "show the resume summary again",
    )
    .hint("resume summary", "summary", 0),
    b(
        C::ResumeHidden,
        &[Char('q')],
        Act::Leave,
        "leave without running anything",
    )
    .hint("leave", "leave", 0),
    b(
        C::ResumeHidden,
        &[Char('p'), Char('x'), Char('A'), Char('E')],
        Act::NotYet,
        "nothing is running yet",
    ),
    // The drift check before a run set against a rehearsal.
    b(
        C::Drift,
        &[Char('g')],
        Act::AcceptDrift,
        "go on despite the drift (journaled with your name)",
    )
    .hint("go on despite the drift", "go on", 0)
    .prompt("go on despite the drift (then y)"),
    b(C::Drift, &[Char('q')], Act::Leave, "leave (nothing runs)")
        .hint("leave (nothing runs)", "leave", 0)
        .prompt("leave (nothing runs)"),
    b(C::Drift, &[Char('?')], Act::Help, "this help").hint("help", "help", 0),
    // The watcher.
    b(
        C::Watch,
        &[Char('q')],
        Act::Leave,
        "leave (the run is not affected)",
    )
    .hint("quit", "quit", 0),
    b(
        C::Watch,
        &[Code(KeyCode::Esc)],
        Act::Hide,
        "hide the prompt box; else follow the running step",
    ),
    b(
        C::Watch,
        &[Char('d')],
        Act::ShowPrompt,
        "show the prompt box again",
    ),
    // The fleet.
    b(C::Fleet, &[Code(KeyCode::Up), Char('k')], Act::Up, "the database above")
        .hint("move", "move", 3)
        .hint_keys("↑↓"),
    b(C::Fleet, &[Code(KeyCode::Down), Char('j')], Act::Down, "the database below"),
    b(C::Fleet, &[Code(KeyCode::PageUp)], Act::PageUp, "a page up"),
    b(C::Fleet, &[Code(KeyCode::PageDown)], Act::PageDown, "a page down"),
    b(C::Fleet, &[Code(KeyCode::Home)], Act::Top, "the first database"),
    b(
        C::Fleet,
        &[Code(KeyCode::Enter)],
        Act::Select,
        "open the database's own screen (timeline, graph, checks, log; q comes back)",
    )
    .hint("open", "open", 1),
    b(
        C::Fleet,
        &[Char('f')],
        Act::FleetFilter,
        "show only: all, failed, running, waiting, done",
    )
    .hint("filter", "filter", 2),
    b(
        C::Fleet,
        &[Char('l')],
        Act::FleetLabel,
        "show only one label (each in turn, then all)",
    )
    .hint("label", "label", 4),
    b(
        C::Fleet,
        &[Char('s')],
        Act::FleetSort,
        "sort by progress (failed first), the fleet's order, or name",
    )
    .hint("sort", "sort", 4),
    b(C::Fleet, &[Char('?')], Act::Help, "this help").hint("help", "help", 5),
    b(
        C::Fleet,
        &[Char('q')],
        Act::Leave,
        "leave (then y): at a gate the fleet halts there; while a wave runs, its databases are interrupted — resumable with --resume",
    )
    .hint("quit", "quit", 0),
    b(
        C::FleetGate,
        &[Char('g')],
        Act::Go,
        "go: start the next wave (then y; journaled with your name)",
    )
    .hint("go to the next wave", "go", 0),
    b(
        C::FleetGate,
        &[Char('n')],
        Act::NoGo,
        "no-go: halt the fleet here (then y; resumable with --resume)",
    )
    .hint("halt here", "halt", 0),
];

/// The bindings of one context, in table order.
pub fn of(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

/// The first binding of `contexts` (in priority order) that has `key`.
pub fn resolve(contexts: &[Context], key: Key) -> Option<&'static Binding> {
    contexts
        .iter()
        .find_map(|&c| of(c).find(|b| b.keys.contains(&key)))
}

/// The key of `act` in `context`, as a prompt or notice writes it (so sentences naming a
/// key do not write its letter again).
pub fn key(context: Context, act: Act) -> String {
    of(context)
        .find(|b| b.act == act)
        .map(|b| {
            b.shown.map_or_else(
                || b.keys.first().map(|k| k.label()).unwrap_or_default(),
                str::to_owned,
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_bindings_of_one_context_share_a_key() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context != b.context {
                    continue;
                }
                for k in a.keys {
                    assert!(
                        !b.keys.contains(k),
                        "{:?}: {k:?} is bound to both {:?} and {:?}",
                        a.context,
                        a.act,
                        b.act
                    );
                }
            }
        }
    }

    #[test]
    fn every_binding_has_keys_and_a_help_line() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty(), "{:?} has no key", b.act);
            assert!(!b.help.is_empty(), "{:?} has no help line", b.act);
        }
    }

    #[test]
    fn terminal_keys_map_to_bindings_keys() {
        use crossterm::event::KeyEvent;
        let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
        assert_eq!(Key::of(&plain(KeyCode::Char('A'))), Some(Char('A')));
        assert_eq!(
            Key::of(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Ctrl('c'))
        );
        assert_eq!(
            Key::of(&KeyEvent::new(KeyCode::Char('y'), KeyModifiers::ALT)),
            None
        );
        assert_eq!(
            Key::of(&KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Code(KeyCode::BackTab))
        );
        assert_eq!(key(C::Gate, Act::GoOverride), "O");
        assert_eq!(key(C::Resume, Act::Continue), "Enter");
        assert_eq!(key(C::Gate, Act::Tick), "space/Enter");
    }
}
