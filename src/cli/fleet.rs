//! `cutover fleet`: one runbook over many databases, a canary first, then waves with a
//! concurrency cap and a gate between waves carrying the wave's evidence. Each database is
//! an ordinary run (its own journal, tracking rows and lock); the fleet journal,
//! `runs/<fleet>.fleet.jsonl`, records the waves, each database's result and the decisions.

use super::exit;
use super::headless::{self, OnFailure, Policy};
use super::run::{os_user, parse_duration};
use crate::connect::Target as DbTarget;
use crate::engine::{self, RunOptions};
use crate::events::Outcome;
use crate::fleet::board::{Board, Update};
use crate::fleet::{self, FleetEvent, GateAnswer, OnError, Target, TargetResult, Targets, Wave};
use crate::plan::Plan;
use crate::runbook::Runbook;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

#[derive(clap::Args, Debug)]
pub struct FleetArgs {
    /// The fleet file: the runbook, the databases and the waves.
    pub fleet: PathBuf,
    /// Without the fleet screen: one line per database, the evidence at each gate.
    #[arg(long)]
    pub headless: bool,
    /// Pass a wave's gate when every database of it succeeded; a failure still stops the
    /// fleet there (exit 3, resumable).
    #[arg(long, requires = "headless")]
    pub approve_waves: bool,
    /// Pass the gate after this wave when every database of it succeeded (repeatable; the
    /// other gates halt the fleet, resumable).
    #[arg(long = "approve-wave", value_name = "WAVE", requires = "headless")]
    pub approve_wave: Vec<String>,
    /// Go on with the fleet's unfinished run: databases that finished are not run again,
    /// interrupted ones are resumed.
    #[arg(long)]
    pub resume: bool,
    /// The databases, from this file instead of the fleet file's own: a YAML list of
    /// `url:` (with `name:` and `labels:` if wanted), as the fleet file's `targets:`.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Who runs the fleet (default: the OS user).
    #[arg(long)]
    pub operator: Option<String>,
    /// Cap each monitoring phase of every database's run (rehearsals, CI), e.g. 30s.
    #[arg(long, value_parser = parse_duration)]
    pub monitor_for: Option<Duration>,
}

/// The fleet journal: one JSON line per event, each fsynced before the next step.
struct FleetJournal {
    file: std::fs::File,
}

impl FleetJournal {
    fn open(path: &Path) -> std::io::Result<FleetJournal> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(FleetJournal { file })
    }

    fn write(&mut self, event: &FleetEvent) -> std::io::Result<()> {
        let entry = serde_json::json!({
            "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "entry": event,
        });
        writeln!(self.file, "{entry}")?;
        self.file.sync_data()
    }
}

/// Where the fleet's events go: the fleet journal (each fsynced before the fleet goes on),
/// the screen when there is one, and lines on stdout when there is none.
struct Sink {
    journal: Mutex<FleetJournal>,
    path: PathBuf,
    screen: Option<UnboundedSender<Update>>,
    /// The first write the fleet journal refused (a full disk, say): from then on nothing
    /// new starts and no decision is acted on, since neither could be recorded.
    lost: Mutex<Option<String>>,
}

impl Sink {
    fn new(journal: FleetJournal, path: PathBuf, screen: Option<UnboundedSender<Update>>) -> Sink {
        Sink {
            journal: Mutex::new(journal),
            path,
            screen,
            lost: Mutex::new(None),
        }
    }

    /// Journals `event` and shows it.
    fn record(&self, event: FleetEvent) -> std::io::Result<()> {
        let written = self
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write(&event);
        if let Err(e) = &written {
            let mut lost = self.lost.lock().unwrap_or_else(|e| e.into_inner());
            if lost.is_none() {
                *lost = Some(format!(
                    "the fleet journal {} cannot be written: {e}",
                    self.path.display()
                ));
            }
        }
        if let Some(screen) = &self.screen {
            let _ = screen.send(Update::Fleet(event));
        }
        written
    }

    /// Why the fleet journal stopped taking events, once it has.
    fn lost(&self) -> Option<String> {
        self.lost.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A line for the operator, headless only (the screen shows the events instead).
    fn say(&self, line: &str) {
        if self.screen.is_none() {
            say!("{line}");
        }
    }

    /// One entry of `target`'s run, for the screen.
    fn entry(&self, target: String, entry: Box<crate::journal::Entry>) {
        if let Some(screen) = &self.screen {
            let _ = screen.send(Update::Entry { target, entry });
        }
    }
}

/// Who answers a wave's gate.
enum Gates {
    /// Headless: `--approve-waves` (or `--approve-wave` naming it) passes a clean wave;
    /// anything else halts there.
    Policy {
        approve_waves: bool,
        approve: Vec<String>,
    },
    /// The fleet screen's operator.
    Operator(UnboundedReceiver<GateAnswer>),
}

/// The fleet journal's events since its latest start (a torn last line is skipped).
pub fn replay(path: &Path) -> Vec<FleetEvent> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let events: Vec<FleetEvent> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| serde_json::from_value(v.get("entry")?.clone()).ok())
        .collect();
    let start = events
        .iter()
        .rposition(|e| matches!(e, FleetEvent::FleetStarted { resumed: false, .. }))
        .unwrap_or(0);
    events[start..].to_vec()
}

pub fn journal_path(fleet: &str) -> PathBuf {
    Path::new("runs").join(format!("{fleet}.fleet.jsonl"))
}

pub fn fleet(args: FleetArgs) -> u8 {
    let loaded = crate::runbook::load_fleet_with(&args.fleet, args.targets.as_deref());
    let Some(fleet) = loaded.fleet else {
        for d in &loaded.diagnostics {
            eprintln!("{}", crate::diag::render(d, &loaded.sources, false));
        }
        return exit::FAILED;
    };
    let (runbook, plan) = match super::inspect::load_clean(&fleet.runbook) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let runtime = match super::runtime(super::Threads::Pool) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let operator = args.operator.clone().unwrap_or_else(os_user);
    runtime.block_on(start(fleet, runbook, plan, args, operator))
}

/// Finds the targets and the journal's state, then drives the fleet headless or under the
/// fleet screen.
async fn start(
    fleet: fleet::Fleet,
    runbook: Runbook,
    plan: Plan,
    args: FleetArgs,
    operator: String,
) -> u8 {
    let targets = match targets(&fleet, &runbook).await {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => {
            eprintln!("cutover: fleet {}: no database to run on", fleet.name);
            return exit::USAGE;
        }
        Err(message) => {
            eprintln!("cutover: fleet {}: {message}", fleet.name);
            return exit::USAGE;
        }
    };
    if let Some(unknown) = args
        .approve_wave
        .iter()
        .find(|name| !fleet.waves.iter().any(|w| &w.name == *name))
    {
        let names: Vec<&str> = fleet.waves.iter().map(|w| w.name.as_str()).collect();
        eprintln!(
            "cutover: fleet {}: --approve-wave {unknown}: no such wave (its waves: {})",
            fleet.name,
            names.join(", ")
        );
        return exit::USAGE;
    }
    let (taken, left) = fleet::assign(&targets, &fleet.waves);
    if !left.is_empty() {
        let names: Vec<&str> = left.iter().map(|&i| targets[i].name.as_str()).collect();
        eprintln!(
            "cutover: fleet {}: {} database(s) in no wave, not run: {}",
            fleet.name,
            names.len(),
            names.join(", ")
        );
    }
    let path = journal_path(&fleet.name);
    let before = if args.resume {
        replay(&path)
    } else {
        Vec::new()
    };
    if !args.resume
        && !matches!(
            replay(&path).last(),
            Some(FleetEvent::FleetFinished { .. }) | None
        )
    {
        eprintln!(
            "cutover: fleet {} has an unfinished run ({}): go on with --resume",
            fleet.name,
            path.display()
        );
        return exit::USAGE;
    }
    let journal = match FleetJournal::open(&path) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("cutover: fleet journal {}: {e}", path.display());
            return exit::USAGE;
        }
    };
    let (screen_tx, screen_rx) = match args.headless {
        true => (None, None),
        false => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        }
    };
    let sink = Sink::new(journal, path.clone(), screen_tx);
    // On record before anything runs (and before the screen opens, so a journal that
    // cannot be written is said on the normal terminal).
    let started = FleetEvent::FleetStarted {
        fleet: fleet.name.clone(),
        runbook: runbook.name.clone(),
        checksum: runbook.checksum.clone(),
        operator: operator.clone(),
        targets: targets.len() - left.len(),
        waves: fleet
            .waves
            .iter()
            .zip(&taken)
            .map(|(w, t)| {
                let names = t.iter().map(|&i| targets[i].name.clone()).collect();
                (w.name.clone(), names)
            })
            .collect(),
        resumed: args.resume && !before.is_empty(),
    };
    if let Err(e) = sink.record(started) {
        eprintln!(
            "cutover: fleet journal {}: {e} — nothing was run",
            path.display()
        );
        return exit::USAGE;
    }
    let (stop_tx, stop_rx) = watch::channel(None);
    let plan_for_screen = (!args.headless).then(|| (runbook.clone(), plan.clone()));
    let shared = Arc::new(Shared {
        runbook,
        plan,
        fleet: fleet.name.clone(),
        operator: operator.clone(),
        monitor_cap: args.monitor_for,
        stop: stop_rx,
    });
    let (Some((runbook, plan)), Some(screen_rx)) = (plan_for_screen, screen_rx) else {
        // Headless: Ctrl-C, SIGTERM and SIGHUP interrupt every running database, resumable.
        spawn_stop_on_signal(stop_tx);
        let gates = Gates::Policy {
            approve_waves: args.approve_waves,
            approve: args.approve_wave.clone(),
        };
        let code = drive(
            &fleet, &shared, &targets, &taken, &left, before, &args, gates, &sink,
        )
        .await;
        if let Some(lost) = sink.lost() {
            eprintln!("cutover: {lost}");
        }
        return code;
    };
    let mut board = Board::new(&fleet, &runbook.name, &plan, &targets, &taken);
    for event in &before {
        board.apply(event);
    }
    let (gates_tx, gates_rx) = tokio::sync::mpsc::unbounded_channel();
    let link = crate::tui::fleet::app::DriverLink {
        updates: screen_rx,
        gates: gates_tx,
        stop: stop_tx,
        operator,
    };
    let driver = {
        let (fleet, shared, targets, taken, left) = (
            fleet.clone(),
            Arc::clone(&shared),
            targets.clone(),
            taken.clone(),
            left.clone(),
        );
        // The task owns the sink: once it ends, the screen's updates end (the screen's cue
        // that the fleet is over).
        tokio::spawn(async move {
            let gates = Gates::Operator(gates_rx);
            let code = drive(
                &fleet, &shared, &targets, &taken, &left, before, &args, gates, &sink,
            )
            .await;
            (code, sink.lost())
        })
    };
    let shown = crate::tui::fleet::run_fleet_tui(&runbook, &plan, board, link).await;
    let (code, lost) = match driver.await {
        Ok(ended) => ended,
        Err(e) => {
            eprintln!("cutover: the fleet driver stopped: {e}");
            (exit::USAGE, None)
        }
    };
    if let Err(e) = shown {
        eprintln!("cutover: the fleet screen: {e}");
    }
    // Back on the normal screen: how the fleet ended, and where its journal is.
    if let Some(lost) = lost {
        eprintln!(
            "cutover: fleet {}: {lost} — stopped, nothing new started; go on with --resume once it can be written",
            fleet.name
        );
    } else if let Some(FleetEvent::FleetFinished { outcome, message }) = replay(&path).last() {
        say!(
            "fleet {}: {}{}; journal: {}",
            fleet.name,
            outcome.as_str(),
            message
                .as_ref()
                .map(|m| format!(" — {m}"))
                .unwrap_or_default(),
            path.display()
        );
    }
    code
}

/// Ctrl-C, SIGTERM or SIGHUP: every running database is interrupted (resumable).
fn spawn_stop_on_signal(stop: watch::Sender<Option<String>>) {
    tokio::spawn(async move {
        let mut signals = crate::tui::app::Signals::new();
        let reason = signals.recv().await;
        let _ = stop.send(Some(reason.to_owned()));
    });
}

/// The targets, listed or found by the query.
pub(super) async fn targets(
    fleet: &fleet::Fleet,
    runbook: &Runbook,
) -> Result<Vec<Target>, String> {
    let lookup = |name: &str| std::env::var(name).ok();
    match &fleet.targets {
        Targets::Listed(list) => list
            .iter()
            .map(|t| {
                let url = crate::runbook::env::interpolate(&t.url, &lookup).map_err(|var| {
                    format!("target {}: environment variable `{var}` is not set", t.name)
                })?;
                Ok(Target { url, ..t.clone() })
            })
            .collect(),
        Targets::Query { server, sql } => {
            let url = crate::runbook::env::interpolate(server, &lookup)
                .map_err(|var| format!("targets_from: environment variable `{var}` is not set"))?;
            let server = crate::connect::resolve(
                Some(&url),
                &format!("cutover:{}:fleet", runbook.name),
                &lookup,
            )
            .map_err(|e| e.to_string())?;
            let (client, _notices) = crate::connect::open(&server)
                .await
                .map_err(|m| format!("cannot connect to {}: {m}", server.redacted()))?;
            let rows = client
                .query(sql.as_str(), &[])
                .await
                .map_err(|e| format!("targets_from: {}", super::copy::masked(&server, &e)))?;
            Ok(rows
                .iter()
                .filter_map(|r| r.try_get::<_, String>(0).ok())
                .map(|db| Target {
                    url: fleet::with_dbname(&url, &db),
                    name: db,
                    labels: Default::default(),
                })
                .collect())
        }
    }
}

/// Runs the waves: each wave's databases, then its gate with the evidence, answered by
/// `gates`; everything journaled through `sink`.
#[allow(clippy::too_many_arguments)]
async fn drive(
    fleet: &fleet::Fleet,
    shared: &Arc<Shared>,
    targets: &[Target],
    taken: &[Vec<usize>],
    left: &[usize],
    before: Vec<FleetEvent>,
    args: &FleetArgs,
    mut gates: Gates,
    sink: &Sink,
) -> u8 {
    // Gates passed earlier stand; the canary's results are the yardstick.
    let passed: Vec<String> = before
        .iter()
        .filter_map(|e| match e {
            FleetEvent::WaveDecision { wave, go: true, .. } => Some(wave.clone()),
            _ => None,
        })
        .collect();
    let mut earlier: Vec<(String, TargetResult)> = before
        .iter()
        .filter_map(|e| match e {
            FleetEvent::TargetFinished { wave, result } => Some((wave.clone(), result.clone())),
            _ => None,
        })
        .collect();
    sink.say(&format!(
        "fleet {}: {} on {} database(s) in {} wave(s){}",
        fleet.name,
        shared.runbook.name,
        targets.len() - left.len(),
        fleet.waves.len(),
        if args.resume { " (resumed)" } else { "" }
    ));
    sink.say(
        "each database's own checkpoints and manual steps are approved as with --approve-all; one whose critical checks failed still halts that database",
    );
    let mut canary: Vec<TargetResult> = Vec::new();
    let mut any_failed = false;
    for (k, (wave, indexes)) in fleet.waves.iter().zip(taken).enumerate() {
        let wave_targets: Vec<Target> = indexes.iter().map(|&i| targets[i].clone()).collect();
        if let Some(lost) = sink.lost() {
            return journal_lost(fleet, sink, &lost);
        }
        if passed.contains(&wave.name) {
            // Its gate was passed in an earlier run: the canary's results still count.
            if k == 0 {
                canary = earlier
                    .iter()
                    .filter(|(w, _)| *w == wave.name)
                    .map(|(_, r)| r.clone())
                    .collect();
            }
            sink.say(&format!("wave {}: passed its gate earlier", wave.name));
            continue;
        }
        let _ = sink.record(FleetEvent::WaveStarted {
            wave: wave.name.clone(),
        });
        sink.say(&format!(
            "wave {} ({} database(s), {} at once, on error {})",
            wave.name,
            wave_targets.len(),
            wave.concurrency,
            wave.on_error.as_str()
        ));
        let (results, not_started) = run_wave(shared, wave, &wave_targets, sink, args.resume).await;
        earlier.retain(|(w, _)| *w != wave.name);
        earlier.extend(results.iter().map(|r| (wave.name.clone(), r.clone())));
        if k == 0 {
            canary = results.clone();
        }
        if let Some(lost) = sink.lost() {
            return journal_lost(fleet, sink, &lost);
        }
        if let Some(reason) = shared.stop.borrow().clone() {
            // Interrupted: no gate; what ran is journaled, the rest waits for --resume.
            let why = format!(
                "{reason}: stopped in wave {} — go on with --resume (finished databases are not run again)",
                wave.name
            );
            let _ = sink.record(FleetEvent::FleetFinished {
                outcome: Outcome::Interrupted,
                message: Some(why.clone()),
            });
            sink.say(&format!("fleet {}: {why}", fleet.name));
            return headless::exit_code(Outcome::Interrupted);
        }
        let mut evidence = fleet::evidence(&canary, &results, not_started);
        if wave.on_error == OnError::RollbackWave && results.iter().any(|r| !r.succeeded()) {
            // Undo the wave: every database of it that had succeeded (this run or before).
            let done: Vec<Target> = results
                .iter()
                .filter(|r| r.succeeded())
                .filter_map(|r| wave_targets.iter().find(|t| t.name == r.target).cloned())
                .collect();
            sink.say(&format!(
                "wave {}: rolling back {} database(s) that had succeeded",
                wave.name,
                done.len()
            ));
            evidence.rolled_back = undo_wave(shared, wave, &done, sink).await;
            let undone = evidence
                .rolled_back
                .iter()
                .filter(|(_, how)| how == fleet::ROLLED_BACK)
                .count();
            let _ = sink.record(FleetEvent::WaveGate {
                wave: wave.name.clone(),
                evidence: evidence.clone(),
            });
            sink.say(&format!("gate after wave {}:", wave.name));
            for line in evidence.lines() {
                sink.say(&format!("  {line}"));
            }
            let why = format!(
                "wave {} rolled back after {} failure(s): {undone} of {} database(s) undone — set the failed ones right, then --resume (the wave runs again)",
                wave.name,
                evidence.failed.len(),
                done.len()
            );
            let _ = sink.record(FleetEvent::FleetFinished {
                outcome: Outcome::Halted,
                message: Some(why.clone()),
            });
            sink.say(&format!("fleet {}: {why}", fleet.name));
            return headless::exit_code(Outcome::Halted);
        }
        let remaining: Vec<(usize, usize)> = fleet.waves[k + 1..]
            .iter()
            .zip(&taken[k + 1..])
            .map(|(w, t)| (t.len(), w.concurrency))
            .collect();
        let so_far: Vec<TargetResult> = earlier.iter().map(|(_, r)| r.clone()).collect();
        if !remaining.is_empty()
            && let Some(left) = fleet::forecast(&so_far, &remaining)
        {
            evidence.left = Some((
                remaining.iter().map(|(n, _)| n).sum(),
                remaining.len(),
                fleet::millis(left),
            ));
        }
        any_failed |= !evidence.failed.is_empty();
        let _ = sink.record(FleetEvent::WaveGate {
            wave: wave.name.clone(),
            evidence: evidence.clone(),
        });
        sink.say(&format!("gate after wave {}:", wave.name));
        for line in evidence.lines() {
            sink.say(&format!("  {line}"));
        }
        if k + 1 == fleet.waves.len() {
            break;
        }
        if let Some(lost) = sink.lost() {
            // The gate's evidence is not on record: nobody is asked to decide on it.
            return journal_lost(fleet, sink, &lost);
        }
        let clean = evidence.failed.is_empty() && evidence.not_started == 0;
        let answer = match &mut gates {
            Gates::Policy {
                approve_waves,
                approve,
            } => {
                let named = approve.contains(&wave.name);
                ((*approve_waves || named) && clean).then(|| GateAnswer {
                    go: true,
                    reason: format!(
                        "{}: every database of the wave succeeded",
                        if named {
                            format!("--approve-wave {}", wave.name)
                        } else {
                            "--approve-waves".to_owned()
                        }
                    ),
                })
            }
            Gates::Operator(answers) => answers.recv().await,
        };
        match answer {
            Some(GateAnswer { go: true, reason }) => {
                sink.say(&format!("  GO ({reason})"));
                // A go that cannot be recorded is not acted on: the next turn stops.
                let _ = sink.record(FleetEvent::WaveDecision {
                    wave: wave.name.clone(),
                    go: true,
                    operator: shared.operator.clone(),
                    reason,
                });
                continue;
            }
            Some(GateAnswer { go: false, reason }) => {
                let _ = sink.record(FleetEvent::WaveDecision {
                    wave: wave.name.clone(),
                    go: false,
                    operator: shared.operator.clone(),
                    reason,
                });
            }
            None => {}
        }
        let why = if clean {
            format!(
                "halted at the gate after wave {}: go on with --resume{}",
                wave.name,
                if matches!(gates, Gates::Policy { .. }) {
                    " --approve-waves"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "halted at the gate after wave {}: {} database(s) failed — set them right, then --resume (they run again; the rest stay done)",
                wave.name,
                evidence.failed.len()
            )
        };
        let _ = sink.record(FleetEvent::FleetFinished {
            outcome: Outcome::Halted,
            message: Some(why.clone()),
        });
        sink.say(&format!("fleet {}: {why}", fleet.name));
        return headless::exit_code(Outcome::Halted);
    }
    let (outcome, message) = if any_failed {
        (
            Outcome::Failed,
            "finished, with failed databases (see the gates above)".to_owned(),
        )
    } else {
        (Outcome::Succeeded, "every database succeeded".to_owned())
    };
    let _ = sink.record(FleetEvent::FleetFinished {
        outcome,
        message: Some(message.clone()),
    });
    sink.say(&format!("fleet {}: {message}", fleet.name));
    if outcome == Outcome::Succeeded {
        exit::OK
    } else {
        exit::FAILED
    }
}

/// The fleet journal stopped taking events: nothing new starts (what is running has
/// finished, each database on its own journal); `--resume` goes on once it can be written.
fn journal_lost(fleet: &fleet::Fleet, sink: &Sink, lost: &str) -> u8 {
    let why = format!(
        "{lost} — stopped, nothing new started; go on with --resume once it can be written (finished databases are not run again)"
    );
    let _ = sink.record(FleetEvent::FleetFinished {
        outcome: Outcome::Interrupted,
        message: Some(why.clone()),
    });
    sink.say(&format!("fleet {}: {why}", fleet.name));
    headless::exit_code(Outcome::Interrupted)
}

/// What every database's run shares.
struct Shared {
    runbook: Runbook,
    plan: Plan,
    fleet: String,
    operator: String,
    monitor_cap: Option<Duration>,
    /// Set (with the reason) when the fleet is to stop: running databases are cancelled,
    /// resumable, and nothing new starts.
    stop: watch::Receiver<Option<String>>,
}

/// Runs `count` databases' work at most `cap` at once — the `k`th started by `start(k, tell)`
/// — passing what the running ones say on to `sink`, in order, and each result to
/// `finished` as it ends (its last words first). Nothing new starts once `stopping` or
/// `finished` says so. Returns how many were started.
async fn bounded<T, Fut>(
    sink: &Sink,
    count: usize,
    cap: usize,
    stopping: impl Fn() -> bool,
    mut start: impl FnMut(usize, UnboundedSender<FromRun>) -> Fut,
    mut finished: impl FnMut(Result<T, tokio::task::JoinError>) -> bool,
) -> usize
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    let (from_runs, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let (mut next, mut stop) = (0, false);
    loop {
        stop |= stopping();
        while !stop && next < count && running.len() < cap.max(1) {
            running.spawn(start(next, from_runs.clone()));
            next += 1;
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            Some(message) = messages.recv() => {
                forward(sink, message);
                continue;
            }
        };
        let Some(joined) = joined else {
            break;
        };
        while let Ok(message) = messages.try_recv() {
            forward(sink, message);
        }
        stop |= finished(joined);
    }
    next
}

/// Runs a wave's databases, at most `concurrency` at once; with `on_error: halt`, nothing
/// new starts after a failure. Returns the results and how many never started.
async fn run_wave(
    shared: &Arc<Shared>,
    wave: &Wave,
    targets: &[Target],
    sink: &Sink,
    resume: bool,
) -> (Vec<TargetResult>, usize) {
    let mut results = Vec::new();
    let started = bounded(
        sink,
        targets.len(),
        wave.concurrency,
        || shared.stop.borrow().is_some() || sink.lost().is_some(),
        |k, tell| {
            let (target, shared) = (targets[k].clone(), Arc::clone(shared));
            let (wave_name, on_error) = (wave.name.clone(), wave.on_error);
            async move { run_target(&shared, &wave_name, on_error, &target, resume, tell).await }
        },
        |joined| {
            let result = joined.unwrap_or_else(|e| TargetResult {
                target: "?".into(),
                outcome: None,
                already_done: false,
                duration_ms: 0,
                run_id: None,
                message: Some(format!("its task ended: {e}")),
                checks: Vec::new(),
            });
            sink.say(&format!("  {}", describe(&result)));
            let _ = sink.record(FleetEvent::TargetFinished {
                wave: wave.name.clone(),
                result: result.clone(),
            });
            let stop = !result.succeeded() && wave.on_error != OnError::Continue;
            results.push(result);
            stop
        },
    )
    .await;
    (results, targets.len() - started)
}

/// Rolls back `targets` (a wave's databases that had succeeded), at most the wave's
/// concurrency at once; each one's rollback journaled in the fleet journal as it ends.
/// Returns how each went.
async fn undo_wave(
    shared: &Arc<Shared>,
    wave: &Wave,
    targets: &[Target],
    sink: &Sink,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    bounded(
        sink,
        targets.len(),
        wave.concurrency,
        || false,
        |k, tell| {
            let (target, shared) = (targets[k].clone(), Arc::clone(shared));
            let wave_name = wave.name.clone();
            async move {
                let (outcome, message) = undo_target(&shared, &wave_name, &target, tell).await;
                (target.name, outcome, message)
            }
        },
        |joined| {
            let (target, outcome, message) =
                joined.unwrap_or_else(|e| ("?".into(), None, Some(format!("its task ended: {e}"))));
            let how = match (outcome, &message) {
                (Some(Outcome::RolledBack), None) => fleet::ROLLED_BACK.to_owned(),
                (Some(Outcome::RolledBack), Some(m)) => format!("rolled back, {m}"),
                (Some(o), m) => format!(
                    "{}{}",
                    o.as_str(),
                    m.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
                ),
                (None, m) => m.clone().unwrap_or_else(|| "did not run".into()),
            };
            sink.say(&format!("  {target}: {how}"));
            let _ = sink.record(FleetEvent::TargetRolledBack {
                wave: wave.name.clone(),
                target: target.clone(),
                outcome,
                message,
            });
            out.push((target, how));
            false
        },
    )
    .await;
    out
}

/// What a database's run tells the fleet while it runs.
enum FromRun {
    /// Its run starts, journaled there (a fleet event).
    Started(FleetEvent),
    Entry(String, Box<crate::journal::Entry>),
}

fn forward(sink: &Sink, message: FromRun) {
    match message {
        FromRun::Started(event) => {
            let _ = sink.record(event);
        }
        FromRun::Entry(target, entry) => sink.entry(target, entry),
    }
}

fn describe(r: &TargetResult) -> String {
    let what = match (&r.outcome, r.already_done) {
        (Some(Outcome::Succeeded), true) => "done already (not run again)".to_owned(),
        (Some(o), _) => o.as_str().to_owned(),
        (None, _) => "did not run".to_owned(),
    };
    let mut line = format!(
        "{}: {what}{}",
        r.target,
        if r.already_done {
            String::new()
        } else {
            format!(" in {}", crate::narration::ms(r.duration_ms))
        }
    );
    if let Some(m) = &r.message {
        line.push_str(&format!(" — {m}"));
    }
    line
}

/// One database's run: skipped when it finished before, resumed when it was interrupted,
/// else a new run with its own journal under `runs/<fleet>/`.
async fn run_target(
    shared: &Shared,
    wave: &str,
    on_error: OnError,
    target: &Target,
    resume: bool,
    tell: UnboundedSender<FromRun>,
) -> TargetResult {
    let started = Instant::now();
    let mut result = TargetResult {
        target: target.name.clone(),
        outcome: None,
        already_done: false,
        duration_ms: 0,
        run_id: None,
        message: None,
        checks: Vec::new(),
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let db = match crate::connect::resolve(
        Some(&target.url),
        &format!("cutover:{}", shared.runbook.name),
        &lookup,
    ) {
        Ok(t) => t,
        Err(e) => {
            result.message = Some(e.to_string());
            return result;
        }
    };
    let latest = latest_run(&db, &shared.runbook.name).await;
    let latest = match latest {
        Ok(l) => l,
        Err(message) => {
            result.message = Some(message);
            return result;
        }
    };
    if let Some(run) = &latest
        && run.outcome == Some(Outcome::Succeeded)
        && resume
    {
        result.outcome = Some(Outcome::Succeeded);
        result.already_done = true;
        result.run_id = Some(run.id.clone());
        return result;
    }
    let resuming = resume
        && latest
            .as_ref()
            .is_some_and(|r| crate::tracking::is_resumable(r.outcome));
    let dir = Path::new("runs").join(&shared.fleet);
    let (journal, run_id, exclusive) = match (&latest, resuming) {
        (Some(run), true) => match run.journal.as_ref().map(PathBuf::from) {
            Some(path) if path.is_file() => (path, None, false),
            _ => (crate::journal::path_for_run(&dir, &run.id), None, false),
        },
        _ => {
            let id = engine::new_run_id(&shared.runbook.name);
            (
                crate::journal::path_for_run(&dir, &format!("{}-{id}", target.name)),
                Some(id),
                true,
            )
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        result.message = Some(format!("{}: {e}", dir.display()));
        return result;
    }
    let options = RunOptions {
        target: db.clone(),
        operator: shared.operator.clone(),
        journal: journal.clone(),
        run_id,
        exclusive_journal: exclusive,
        resume: resuming,
        new_run: false,
        allow_changed: false,
        monitor_cap: shared.monitor_cap,
        rehearsal: None,
    };
    // In a wave that rolls back on error, a failed database undoes its own run at once.
    let on_failure = if on_error == OnError::RollbackWave {
        OnFailure::Rollback
    } else {
        OnFailure::Stop
    };
    let outcome = drive_run(shared, wave, &target.name, options, on_failure, false, tell).await;
    result.duration_ms = fleet::millis(started.elapsed());
    if let Ok(replayed) = crate::journal::replay(&journal) {
        let record = crate::record::RunRecord::of(&replayed.entries);
        result.run_id = record.attempts.last().map(|a| a.run_id.clone());
        result.checks = record
            .steps
            .iter()
            .filter_map(|s| {
                s.check
                    .as_ref()
                    .map(|c| (s.id.clone(), c.passed, c.actual.clone()))
            })
            .collect();
        if let Some((_, Some(message))) = &record.outcome
            && record
                .outcome
                .as_ref()
                .is_some_and(|(o, _)| *o != Outcome::Succeeded)
        {
            // The failure itself, where a step failed: SQLSTATE and the server's words.
            let failure = record.steps.iter().rev().find_map(|s| {
                s.errors.last().map(|f| {
                    format!(
                        "{}: {}{}",
                        s.id,
                        f.error
                            .sqlstate
                            .as_ref()
                            .map(|c| format!("[{c}] "))
                            .unwrap_or_default(),
                        f.error.message
                    )
                })
            });
            result.message = Some(failure.unwrap_or_else(|| message.clone()));
        }
    }
    match outcome {
        Ok(o) => result.outcome = Some(o),
        Err(e) => result.message = Some(e.to_string()),
    }
    result
}

/// One database's run (or undo) under the fleet: its start told (with its journal), every
/// entry passed on, its own questions answered by policy (checkpoints approved; a failure
/// stops, or rolls back), and a stop of the fleet turned into a cancel of the run.
async fn drive_run(
    shared: &Shared,
    wave: &str,
    target: &str,
    options: RunOptions,
    on_failure: OnFailure,
    undo: bool,
    tell: UnboundedSender<FromRun>,
) -> Result<Outcome, engine::EngineError> {
    let policy = Policy {
        approve: Vec::new(),
        approve_all: true,
        override_checks: Vec::new(),
        override_reason: None,
        operator: shared.operator.clone(),
        on_failure,
        uncertain: None,
        json: false,
        quiet: true,
    };
    let _ = tell.send(FromRun::Started(FleetEvent::TargetStarted {
        wave: wave.to_owned(),
        target: target.to_owned(),
        journal: options.journal.clone(),
    }));
    let (event_tx, mut event_rx) = tokio::sync::mpsc::unbounded_channel::<crate::journal::Entry>();
    let (policy_tx, policy_rx) = tokio::sync::mpsc::unbounded_channel();
    let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
    let name = target.to_owned();
    let tee = tokio::spawn(async move {
        while let Some(entry) = event_rx.recv().await {
            let _ = tell.send(FromRun::Entry(name.clone(), Box::new(entry.clone())));
            if policy_tx.send(entry).is_err() {
                break;
            }
        }
    });
    // A stop of the fleet cancels the run: the running statement, then the run, resumable.
    let mut stop = shared.stop.clone();
    let cancel = command_tx.clone();
    let stopper = tokio::spawn(async move {
        if let Ok(reason) = stop.wait_for(Option::is_some).await {
            let reason = reason.clone().unwrap_or_default();
            let _ = cancel.send(crate::events::Command::Cancel { reason });
        }
    });
    let driver = tokio::spawn(headless::drive(policy_rx, command_tx, policy));
    let (runbook, plan) = (&shared.runbook, &shared.plan);
    let outcome = if undo {
        engine::undo(runbook, plan, options, event_tx, command_rx).await
    } else {
        engine::run(runbook, plan, options, event_tx, command_rx).await
    };
    let _ = tee.await;
    let _ = driver.await;
    stopper.abort();
    outcome
}

/// Rolls back what the runbook applied on a database that had succeeded in a wave now
/// rolled back: an undo run with its own journal under `runs/<fleet>/`. Its outcome, and
/// what its journal says with it (what was left applied, or why it failed).
async fn undo_target(
    shared: &Shared,
    wave: &str,
    target: &Target,
    tell: UnboundedSender<FromRun>,
) -> (Option<Outcome>, Option<String>) {
    let lookup = |name: &str| std::env::var(name).ok();
    let db = match crate::connect::resolve(
        Some(&target.url),
        &format!("cutover:{}", shared.runbook.name),
        &lookup,
    ) {
        Ok(t) => t,
        Err(e) => return (None, Some(e.to_string())),
    };
    let dir = Path::new("runs").join(&shared.fleet);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return (None, Some(format!("{}: {e}", dir.display())));
    }
    let id = engine::new_run_id(&shared.runbook.name);
    let journal = crate::journal::path_for_run(&dir, &format!("{}-undo-{id}", target.name));
    let options = RunOptions {
        target: db,
        operator: shared.operator.clone(),
        journal: journal.clone(),
        run_id: Some(id),
        exclusive_journal: true,
        resume: false,
        new_run: true,
        allow_changed: false,
        monitor_cap: shared.monitor_cap,
        rehearsal: None,
    };
    let outcome = drive_run(
        shared,
        wave,
        &target.name,
        options,
        OnFailure::Stop,
        true,
        tell,
    )
    .await;
    let said = || {
        crate::journal::replay(&journal).ok().and_then(|r| {
            crate::record::RunRecord::of(&r.entries)
                .outcome
                .and_then(|(_, m)| m)
        })
    };
    match outcome {
        Ok(o) => (Some(o), said()),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// The latest run of `runbook` on `db` (none without a tracking schema).
async fn latest_run(
    db: &DbTarget,
    runbook: &str,
) -> Result<Option<crate::tracking::RecordedRun>, String> {
    let (client, _notices) = crate::connect::open(db)
        .await
        .map_err(|m| format!("cannot connect to {}: {m}", db.redacted()))?;
    crate::tracking::latest_recorded_run(&client, runbook)
        .await
        .map_err(|e| super::copy::masked(db, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::board::tests::RUNBOOK;

    /// The fleet journal stops taking events (`/dev/full` refuses every write, as a full
    /// disk does) once the fleet has started: no database is started after that, and the
    /// fleet ends interrupted, resumable, saying why.
    #[tokio::test]
    async fn a_fleet_journal_that_stops_taking_events_stops_the_fleet() {
        let loaded = crate::runbook::load_text(Path::new("rb.yaml"), RUNBOOK, &|_| None);
        let runbook = loaded.runbook.expect("the test runbook loads");
        let plan = crate::plan::plan(&runbook);
        let targets: Vec<Target> = ["a1", "a2", "a3"]
            .iter()
            .map(|name| Target {
                name: (*name).into(),
                url: format!("postgres://cutover@127.0.0.1:1/{name}"),
                labels: Default::default(),
            })
            .collect();
        let wave = |name: &str, size| Wave {
            name: name.into(),
            size,
            labels: Default::default(),
            concurrency: 2,
            on_error: OnError::Continue,
        };
        let fleet = fleet::Fleet {
            name: "tenants".into(),
            path: "fleet.yaml".into(),
            runbook: "rb.yaml".into(),
            targets: Targets::Listed(targets.clone()),
            waves: vec![wave("canary", Some(1)), wave("rest", None)],
        };
        let (taken, left) = fleet::assign(&targets, &fleet.waves);
        let (_stop, stop) = watch::channel(None);
        let shared = Arc::new(Shared {
            runbook,
            plan,
            fleet: fleet.name.clone(),
            operator: "ops".into(),
            monitor_cap: None,
            stop,
        });
        let args = FleetArgs {
            fleet: "fleet.yaml".into(),
            headless: true,
            approve_waves: true,
            approve_wave: Vec::new(),
            resume: false,
            targets: None,
            operator: None,
            monitor_for: None,
        };
        let full = Path::new("/dev/full");
        let journal = FleetJournal::open(full).expect("/dev/full opens");
        let (screen, mut shown) = tokio::sync::mpsc::unbounded_channel();
        let sink = Sink::new(journal, full.into(), Some(screen));
        let gates = Gates::Policy {
            approve_waves: true,
            approve: Vec::new(),
        };
        let code = drive(
            &fleet,
            &shared,
            &targets,
            &taken,
            &left,
            Vec::new(),
            &args,
            gates,
            &sink,
        )
        .await;
        drop(sink);
        let mut events = Vec::new();
        while let Some(update) = shown.recv().await {
            if let Update::Fleet(event) = update {
                events.push(event);
            }
        }
        assert_eq!(code, headless::exit_code(Outcome::Interrupted));
        assert!(
            !events.iter().any(|e| matches!(
                e,
                FleetEvent::TargetStarted { .. } | FleetEvent::TargetFinished { .. }
            )),
            "a database was started with no journal to record it: {events:?}"
        );
        match events.last() {
            Some(FleetEvent::FleetFinished {
                outcome: Outcome::Interrupted,
                message: Some(message),
            }) => {
                assert!(message.contains("/dev/full cannot be written"), "{message}");
                assert!(message.contains("--resume"), "{message}");
            }
            other => panic!("the fleet did not end interrupted: {other:?}"),
        }
    }
}
