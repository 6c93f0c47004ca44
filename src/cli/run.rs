//! `cutover run`: load, plan, connect, and drive the engine (the TUI, or headless).

use super::exit;
use super::headless::{self, OnFailure, Policy, Uncertain};
use crate::engine::{self, RunOptions};
use crate::events::Command;
use crate::runbook::env;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    pub runbook: PathBuf,
    /// Run without the TUI, printing one line per event.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: print events as JSON Lines.
    #[arg(long)]
    pub json: bool,
    /// postgres:// URL or key=value conninfo (overrides the runbook and PG* variables).
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Who is running the window (default: the OS user).
    #[arg(long)]
    pub operator: Option<String>,
    /// Pass this checkpoint or acknowledge this manual step (repeatable).
    #[arg(long, value_name = "STEP_ID")]
    pub approve: Vec<String>,
    /// Pass every checkpoint and manual step (rehearsals, CI). Never passes a checkpoint whose
    /// critical checks failed: that needs --override-failed-checks.
    #[arg(long)]
    pub approve_all: bool,
    /// Give the go at this checkpoint even though critical checks failed before it; journaled
    /// as an override (repeatable; the checkpoint must also be approved).
    #[arg(long, value_name = "CHECKPOINT_ID", requires = "override_reason")]
    pub override_failed_checks: Vec<String>,
    /// Why the go stands although critical checks failed: required with
    /// --override-failed-checks, journaled with the override and shown in the report.
    #[arg(long, value_name = "WHY", requires = "override_failed_checks")]
    pub override_reason: Option<String>,
    /// Continue the interrupted run of this runbook.
    #[arg(long)]
    pub resume: bool,
    /// Start a new run although the last one did not finish.
    #[arg(long, conflicts_with = "resume")]
    pub new_run: bool,
    /// Accept applied migrations whose SQL has changed since.
    #[arg(long)]
    pub allow_changed: bool,
    /// Journal file (default: a new run's own file runs/<run id>.jsonl; with --resume the file
    /// the interrupted run recorded in the database).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// With --headless: what to do when a step fails.
    #[arg(long, value_enum, default_value_t = OnFailure::Stop)]
    pub on_failure: OnFailure,
    /// With --headless: how to treat a step a crash left half-done.
    #[arg(long, value_enum)]
    pub uncertain: Option<Uncertain>,
    /// The zone times are shown in: utc, local, or an offset like +02:00 (default: the
    /// runbook's window zone, from window.start; else UTC).
    #[arg(long, value_name = "ZONE", value_parser = crate::runbook::parse_zone)]
    pub tz: Option<chrono::FixedOffset>,
    /// Cap each monitoring phase at this duration (rehearsals), e.g. 30s.
    #[arg(long, value_parser = parse_duration)]
    pub monitor_for: Option<Duration>,
    /// Set this run against a rehearsal record (from `cutover rehearse`): each step's expected
    /// duration is its time there, and the schema is compared with the one the rehearsal
    /// started from (a difference refuses the run unless --accept-drift); both journaled.
    #[arg(long, value_name = "REHEARSAL", conflicts_with = "resume")]
    pub against: Option<PathBuf>,
    /// Go on although the schema differs from the rehearsal's start (journaled, with who).
    #[arg(long)]
    pub accept_drift: bool,
    /// Do not set the run against a rehearsal (the TUI otherwise uses the latest rehearsal
    /// of this runbook from the last 7 days found in runs/).
    #[arg(long, conflicts_with = "against")]
    pub no_against: bool,
    /// Set this run against the newest rehearsal of this runbook as it is now that was
    /// published to the target database (`cutover rehearse --publish`), from any machine.
    #[arg(long, conflicts_with_all = ["against", "no_against", "resume"])]
    pub against_published: bool,
}

/// Where to connect: `--database-url`, else the runbook's `database.url`, else `PG*`.
pub(crate) fn target_for(
    database_url: Option<&str>,
    runbook: Option<&crate::runbook::Runbook>,
    purpose: &str,
) -> Result<crate::connect::Target, String> {
    let lookup = |name: &str| std::env::var(name).ok();
    let conn = match (database_url, runbook.and_then(|r| r.database.as_ref())) {
        (Some(url), _) => Some(url.to_owned()),
        (None, Some(db)) => Some(env::interpolate(&db.url_template, &lookup).map_err(|var| {
            format!("environment variable `{var}` (used by database.url) is not set")
        })?),
        (None, None) => None,
    };
    let app = match runbook {
        Some(rb) => format!("cutover:{}{purpose}", rb.name),
        None => format!("cutover{purpose}"),
    };
    crate::connect::resolve(conn.as_deref(), &app, &lookup).map_err(|e| e.to_string())
}

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::runbook::duration::parse(s)
        .map_err(|e| format!("{e}; {}", crate::runbook::duration::suggest(s)))
}

pub(super) fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The flags that answer for the operator, given to the TUI: refused, since there every gate
/// waits for the operator's own keypress (said, rather than silently ignored).
fn headless_only(args: &RunArgs) -> Option<&'static str> {
    if args.headless {
        return None;
    }
    [
        (!args.approve.is_empty(), "--approve"),
        (args.approve_all, "--approve-all"),
        (
            !args.override_failed_checks.is_empty(),
            "--override-failed-checks",
        ),
        (args.uncertain.is_some(), "--uncertain"),
        (args.json, "--json"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
}

pub fn run(args: RunArgs) -> u8 {
    if let Some(flag) = headless_only(&args) {
        eprintln!(
            "cutover: {flag} is for --headless runs: in the TUI nothing passes a checkpoint or a manual step without the operator's own keypress. Drop {flag}, or add --headless."
        );
        return exit::USAGE;
    }
    let mut loaded = match super::inspect::load_only(&args.runbook) {
        Ok(loaded) => loaded,
        Err(_) => return exit::USAGE,
    };
    let target = match target_for(args.database_url.as_deref(), loaded.runbook.as_ref(), "") {
        Ok(t) => t,
        Err(message) => {
            eprintln!("cutover: {message}");
            return exit::USAGE;
        }
    };
    // Headless, the engine, its connections and the printer share one thread: every round
    // trip to the server is then a wake-up within that thread, not a hand-over between
    // threads (measured: ~7,000 context switches for 200 small migrations → far fewer). The
    // TUI keeps a worker pool so drawing never waits behind the engine.
    let threads = if args.headless {
        super::Threads::One
    } else {
        super::Threads::Pool
    };
    let runtime = match super::runtime(threads) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    // The TUI sets a new run against the latest recent rehearsal of this very runbook by
    // itself (said, and journaled); headless runs only when asked.
    let chosen = match (&args.against, loaded.runbook.as_ref()) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(runbook)) if args.against_published => {
            match runtime.block_on(fetch_published(&target, runbook, None)) {
                Ok(Some(path)) => Some(path),
                Ok(None) => {
                    eprintln!(
                        "cutover: --against-published: no rehearsal of {} as it is now (checksum {}) is published to {} — rehearse it with --publish",
                        runbook.name,
                        runbook.checksum.get(..12).unwrap_or(&runbook.checksum),
                        target.redacted()
                    );
                    return exit::USAGE;
                }
                Err(message) => {
                    eprintln!("cutover: --against-published: {message}");
                    return exit::USAGE;
                }
            }
        }
        (None, Some(runbook)) if !args.headless && !args.resume && !args.no_against => {
            // A rehearsal here, else one published to the database (from another machine).
            let found = latest_rehearsal(Path::new("runs"), runbook).or_else(|| {
                runtime
                    .block_on(fetch_published(&target, runbook, Some(RECENT_REHEARSAL)))
                    .ok()
                    .flatten()
            });
            if let Some(path) = &found {
                eprintln!(
                    "cutover: setting this run against {} (a rehearsal of this runbook as it is); --against FILE for another, --no-against for none",
                    path.display()
                );
            }
            found
        }
        _ => None,
    };
    let rehearsed = match (&chosen, loaded.runbook.as_mut()) {
        (Some(path), Some(runbook)) => match against(path, runbook) {
            Ok(r) => Some((path.clone(), r)),
            Err(message) => {
                eprintln!("cutover: --against {}: {message}", path.display());
                return exit::USAGE;
            }
        },
        _ => None,
    };
    let operator = args.operator.clone().unwrap_or_else(os_user);
    let rehearsal = match &rehearsed {
        Some((path, record)) => match runtime.block_on(super::rehearse::read_schema(&target)) {
            Ok(now) => {
                let mut compared = record.against(path, &now);
                if !compared.drift.is_empty() {
                    eprintln!(
                        "cutover: the schema of {} differs from the one rehearsal {} started from, in {} object(s):",
                        target.redacted(),
                        compared.run_id,
                        compared.drift.len()
                    );
                    for d in &compared.drift {
                        eprintln!("  {d}");
                    }
                    if args.accept_drift {
                        compared.drift_accepted_by = Some(operator.clone());
                    } else if args.headless {
                        eprintln!(
                            "cutover: look at what changed since the rehearsal; go on with --accept-drift (journaled, with your name), or rehearse again"
                        );
                        return exit::USAGE;
                    }
                    // The TUI shows the drift first and starts nothing without a go.
                }
                Some(compared)
            }
            Err(message) => {
                eprintln!("cutover: --against: {message}");
                return exit::USAGE;
            }
        },
        None => None,
    };
    // Each step's rehearsed time, scaled by how much more (or less) data its tables hold here.
    let mut rehearsal = rehearsal;
    if let (Some((_, record)), Some(runbook), Some(compared)) =
        (&rehearsed, loaded.runbook.as_mut(), rehearsal.as_mut())
    {
        match runtime.block_on(super::rehearse::read_table_bytes(&target, &record.tables())) {
            Ok(here) => compared.scaled = scale_by_table_size(record, &here, runbook),
            Err(message) => eprintln!(
                "cutover: table sizes not read ({message}): each step is expected to take its rehearsal time"
            ),
        }
    }
    // Headless, the run's sessions open while its SQL is parsed and linted: opening them writes
    // nothing, and nothing is written before the plan is clean. (The TUI opens them itself.)
    let (planned, connected) = if args.headless {
        let path = args.runbook.clone();
        let with_checks = loaded.runbook.as_ref().is_some_and(engine::has_checks);
        let (planned, connected) = runtime.block_on(async {
            let planning =
                tokio::task::spawn_blocking(move || super::inspect::plan_clean(&path, loaded));
            tokio::join!(planning, engine::connect_all(&target, with_checks))
        });
        let planned = match planned {
            Ok(planned) => planned,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(exit::USAGE),
        };
        (planned, Some(connected))
    } else {
        (super::inspect::plan_clean(&args.runbook, loaded), None)
    };
    let (mut runbook, plan) = match planned {
        Ok(ok) => ok,
        Err(_) => return exit::USAGE,
    };
    if let Some(tz) = args.tz {
        runbook.window.zone = Some(tz);
    }
    let place = runtime.block_on(journal_place(
        &target,
        &runbook.name,
        args.journal.as_deref(),
        args.resume,
    ));
    let JournalPlace {
        path: journal,
        run_id,
        exclusive,
    } = match place {
        Ok(place) => place,
        Err(message) => {
            eprintln!("cutover: {message}");
            return exit::USAGE;
        }
    };
    let options = RunOptions {
        target,
        operator: operator.clone(),
        journal: journal.clone(),
        run_id,
        exclusive_journal: exclusive,
        resume: args.resume,
        new_run: args.new_run,
        allow_changed: args.allow_changed,
        monitor_cap: args.monitor_for,
        rehearsal,
    };
    // A mistyped id would otherwise just leave the run halted at the real gate.
    for (flag, ids, kinds) in [
        ("--approve", &args.approve, &["checkpoint", "manual"][..]),
        (
            "--override-failed-checks",
            &args.override_failed_checks,
            &["checkpoint"][..],
        ),
    ] {
        for id in ids {
            if !plan
                .steps
                .iter()
                .any(|s| &s.id == id && kinds.contains(&s.kind))
            {
                let candidates: Vec<&str> = plan
                    .steps
                    .iter()
                    .filter(|s| kinds.contains(&s.kind))
                    .map(|s| s.id.as_str())
                    .collect();
                let near = candidates
                    .iter()
                    .copied()
                    .filter(|c| strsim::levenshtein(c, id) <= 3)
                    .min_by_key(|c| strsim::levenshtein(c, id));
                eprintln!(
                    "cutover: {flag} {id}: no {} `{id}` in {}{}",
                    kinds.join(" or "),
                    args.runbook.display(),
                    match near {
                        Some(n) => format!("; did you mean `{n}`?"),
                        None => format!("; there are: {}", candidates.join(", ")),
                    }
                );
                return exit::USAGE;
            }
        }
    }
    let policy = Policy {
        approve: args.approve.clone(),
        approve_all: args.approve_all,
        override_checks: args.override_failed_checks.clone(),
        override_reason: args.override_reason.clone(),
        operator,
        on_failure: args.on_failure,
        uncertain: args.uncertain,
        json: args.json,
        quiet: false,
    };
    if !args.headless {
        return runtime.block_on(async move {
            let result = crate::tui::run_tui_full(&runbook, &plan, options).await;
            match result {
                Ok(outcome) => {
                    say(&format!(
                        "run {}; journal: {}",
                        outcome.as_str(),
                        journal.display()
                    ));
                    headless::exit_code(outcome)
                }
                Err(e) => {
                    say(&format!("cutover: {e}"));
                    if journal.exists() {
                        say(&format!("journal: {}", journal.display()));
                    }
                    match e {
                        crate::tui::TuiError::Engine(
                            engine::EngineError::Refused(_) | engine::EngineError::Connect { .. },
                        ) => exit::USAGE,
                        crate::tui::TuiError::Terminal(_) => {
                            say("cutover: no usable terminal; use `cutover run --headless`");
                            exit::USAGE
                        }
                        _ => headless::exit_code(crate::events::Outcome::Interrupted),
                    }
                }
            }
        });
    }
    runtime.block_on(async move {
        let (event_tx, event_rx) = tokio::sync::mpsc::unbounded_channel();
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        spawn_signal_handler(command_tx.clone());
        let printer = tokio::spawn(headless::drive(event_rx, command_tx, policy));
        let result = match connected {
            Some(Ok(connections)) => {
                engine::run_connected(&runbook, &plan, options, connections, event_tx, command_rx)
                    .await
            }
            Some(Err(e)) => {
                // The printer ends once no event can come.
                drop(event_tx);
                Err(e)
            }
            None => engine::run(&runbook, &plan, options, event_tx, command_rx).await,
        };
        let waiting = printer.await.ok().flatten();
        match result {
            Ok(outcome) => {
                eprintln!("journal: {}", journal.display());
                if let (crate::events::Outcome::Halted, Some((step, needs_override))) =
                    (outcome, waiting)
                {
                    eprintln!(
                        "continue with: cutover run {} --headless --resume --approve {step}{}",
                        args.runbook.display(),
                        if needs_override {
                            format!(" --override-failed-checks {step} --override-reason \"<why the go stands>\"")
                        } else {
                            String::new()
                        }
                    );
                }
                headless::exit_code(outcome)
            }
            Err(e) => {
                eprintln!("cutover: {e}");
                if journal.exists() {
                    eprintln!("journal: {}", journal.display());
                }
                headless::error_exit_code(&e)
            }
        }
    })
}

/// How recent a rehearsal the TUI picks by itself.
const RECENT_REHEARSAL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The newest rehearsal record in `dir` of `runbook` as it is now (same name and checksum),
/// written in the last [`RECENT_REHEARSAL`].
fn latest_rehearsal(dir: &Path, runbook: &crate::runbook::Runbook) -> Option<PathBuf> {
    let now = std::time::SystemTime::now();
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".rehearsal.json"))
        .filter_map(|p| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            let age = now.duration_since(modified).unwrap_or_default();
            (age <= RECENT_REHEARSAL).then_some((modified, p))
        })
        .filter(|(_, p)| {
            crate::rehearsal::load(p).is_ok_and(|r| {
                r.runbook == runbook.name
                    && r.checksum.as_deref() == Some(runbook.checksum.as_str())
            })
        })
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, p)| p)
}

/// The newest rehearsal of `runbook` as it is (same checksum) published to `target`, at most
/// `within` old, copied to `runs/<its run id>.rehearsal.json` (read in a read-only session).
async fn fetch_published(
    target: &crate::connect::Target,
    runbook: &crate::runbook::Runbook,
    within: Option<Duration>,
) -> Result<Option<PathBuf>, String> {
    let (client, _notices) = crate::connect::open(target)
        .await
        .map_err(|m| format!("cannot connect to {}: {m}", target.redacted()))?;
    let masked = |e: tokio_postgres::Error| super::copy::masked(target, &e);
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(masked)?;
    let since = within
        .and_then(|w| chrono::Duration::from_std(w).ok())
        .map(|w| chrono::Utc::now() - w);
    let Some((run_id, record)) =
        crate::tracking::published_rehearsal(&client, &runbook.name, &runbook.checksum, since)
            .await
            .map_err(masked)?
    else {
        return Ok(None);
    };
    let safe: String = run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = Path::new("runs").join(format!("{safe}.rehearsal.json"));
    if !path.exists() {
        std::fs::create_dir_all("runs").map_err(|e| format!("runs/: {e}"))?;
        let text = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
        std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!(
        "cutover: rehearsal {run_id} was published to {}; copied to {}",
        target.redacted(),
        path.display()
    );
    Ok(Some(path))
}

/// Reads the rehearsal record `path` for `runbook`, refusing one of another runbook or of
/// another version of it, and takes each step's rehearsed time as its expected duration.
fn against(
    path: &std::path::Path,
    runbook: &mut crate::runbook::Runbook,
) -> Result<crate::rehearsal::Rehearsal, String> {
    let record = crate::rehearsal::load(path)?;
    if record.runbook != runbook.name {
        return Err(format!(
            "this is a rehearsal of `{}`, not of `{}`",
            record.runbook, runbook.name
        ));
    }
    if record.checksum.as_deref() != Some(runbook.checksum.as_str()) {
        return Err(format!(
            "the runbook changed since it was rehearsed (checksum {} → {}): rehearse it again",
            record
                .checksum
                .as_deref()
                .map_or("unknown", |c| c.get(..12).unwrap_or(c)),
            runbook.checksum.get(..12).unwrap_or(&runbook.checksum)
        ));
    }
    let durations = record.durations();
    let downs = record.rollback_durations();
    for step in runbook.phases.iter_mut().flat_map(|p| p.steps.iter_mut()) {
        if let Some((_, d)) = durations.iter().find(|(id, _)| *id == step.id) {
            step.expected_duration = Some(*d);
        }
        if let crate::runbook::StepKind::Migrate(m) = &mut step.kind
            && let Some((_, d)) = downs.iter().find(|(id, _)| *id == step.id)
        {
            m.rollback_expected = Some(*d);
        }
    }
    Ok(record)
}

/// Sets each rehearsed step's expected time to its rehearsal time scaled by the size of its
/// tables here against on the copy; says which changed noticeably, and returns the factors.
fn scale_by_table_size(
    record: &crate::rehearsal::Rehearsal,
    here: &std::collections::BTreeMap<String, u64>,
    runbook: &mut crate::runbook::Runbook,
) -> Vec<(String, f64)> {
    let scaled = record.scaled_durations(here);
    let mut factors = Vec::new();
    for s in &scaled {
        let Some(factor) = s.factor else { continue };
        if let Some(step) = runbook
            .phases
            .iter_mut()
            .flat_map(|p| p.steps.iter_mut())
            .find(|step| step.id == s.id)
        {
            step.expected_duration = Some(s.expected);
            // Its rollback works on the same tables: scaled alike.
            if let crate::runbook::StepKind::Migrate(m) = &mut step.kind {
                m.rollback_expected = m
                    .rollback_expected
                    .and_then(|d| Duration::try_from_secs_f64(d.as_secs_f64() * factor).ok());
            }
        }
        factors.push((s.id.clone(), factor));
        if !(0.9..=1.1).contains(&factor) {
            eprintln!(
                "cutover: {} is expected to take {} here: {} on the rehearsal, its tables {factor:.1}× the size",
                s.id,
                crate::narration::ms(u64::try_from(s.expected.as_millis()).unwrap_or(u64::MAX)),
                crate::narration::ms(u64::try_from(s.rehearsed.as_millis()).unwrap_or(u64::MAX)),
            );
        }
    }
    factors
}

/// Where a run's journal is.
struct JournalPlace {
    path: PathBuf,
    /// The id a new run takes (its journal is named after it).
    run_id: Option<String>,
    /// A new run's own file: created, never appended to.
    exclusive: bool,
}

/// The journal for this run: `--journal` if given; on `--resume`, the file the interrupted
/// run recorded in the database (from whatever directory or host it is resumed); otherwise a
/// new file named after the new run's id. A resume whose journal is not here is refused
/// rather than quietly starting a second one.
async fn journal_place(
    target: &crate::connect::Target,
    runbook: &str,
    explicit: Option<&std::path::Path>,
    resume: bool,
) -> Result<JournalPlace, String> {
    let runs_dir = PathBuf::from("runs");
    let new_id = engine::new_run_id(runbook);
    if let Some(path) = explicit {
        return Ok(JournalPlace {
            path: path.to_path_buf(),
            run_id: Some(new_id),
            exclusive: false,
        });
    }
    let fresh = || JournalPlace {
        path: crate::journal::path_for_run(&runs_dir, &new_id),
        run_id: Some(new_id.clone()),
        exclusive: true,
    };
    if !resume {
        return Ok(fresh());
    }
    let (client, _notices) = crate::connect::open(target)
        .await
        .map_err(|message| format!("cannot connect to {}: {message}", target.redacted()))?;
    let latest = crate::tracking::latest_recorded_run(&client, runbook)
        .await
        .map_err(|e| crate::secret::mask(&e.to_string(), target.secret().as_deref()))?;
    // Nothing to resume: the engine starts the run (nothing recorded) or says why not.
    let Some(run) = latest.filter(|r| crate::tracking::is_resumable(r.outcome)) else {
        return Ok(fresh());
    };
    let recorded = run.journal.as_ref().map(PathBuf::from);
    let candidates = [
        recorded.clone(),
        Some(crate::journal::path_for_run(&runs_dir, &run.id)),
        // Runs started before journals were recorded with the run.
        recorded
            .is_none()
            .then(|| crate::journal::latest(&runs_dir, runbook))
            .flatten(),
    ];
    if let Some(path) = candidates.into_iter().flatten().find(|p| p.is_file()) {
        return Ok(JournalPlace {
            path,
            run_id: None,
            exclusive: false,
        });
    }
    Err(match recorded {
        Some(path) => format!(
            "the journal of run {} is {}{}, which is not here; pass --journal with its path (or a new file to go on journaling there)",
            run.id,
            run.journal_host
                .filter(|h| !h.is_empty())
                .map(|h| format!("{h}:"))
                .unwrap_or_default(),
            path.display()
        ),
        None => format!(
            "cannot find the journal of run {} (no runs/{}.jsonl here); pass --journal with its path (or a new file to go on journaling there)",
            run.id, run.id
        ),
    })
}

/// A line on stderr that never panics: after the TUI, stderr may be a terminal that has
/// gone away (where `eprintln!` would panic), and the run's result is in the journal anyway.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Ctrl-C, SIGTERM and SIGHUP cancel the running statement and stop cleanly, resumable.
pub(super) fn spawn_signal_handler(commands: tokio::sync::mpsc::UnboundedSender<Command>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hup)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                return;
            };
            let reason = tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupted (Ctrl-C)",
                _ = term.recv() => "terminated (SIGTERM)",
                _ = hup.recv() => "hung up (SIGHUP)",
            };
            let _ = commands.send(Command::Cancel {
                reason: reason.into(),
            });
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = commands.send(Command::Cancel {
                    reason: "interrupted (Ctrl-C)".into(),
                });
            }
        }
    });
}
