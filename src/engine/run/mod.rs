//! The executor loop: phases in order, steps in plan order, gates that wait for a person.
//! Over 800 lines: the run's setup, the engine's state and its phase loop share one file;
//! each kind of work (a step, checks, a migration, a gate, a rollback, lanes, probes, the
//! lock and lost sessions, a half-done step) lives in a file beside it.

use super::lock::{LockState, Refusal, RunbookLock};
use super::sqlexec::{self, pg_ms};
use crate::connect::Target;
use crate::events::{
    Command, Decision, Event, Outcome, PlannedPhase, PlannedStep, PlannedWindow, SqlFailure,
};
use crate::journal::{Entry, Journal};
use crate::plan::forecast::{PhaseProgress, StepProgress};
use crate::plan::{Plan, sql};
use crate::runbook::{Check, Migrate, Runbook, Severity, SqlSource, Step, StepKind, TxMode};
use crate::tracking::{self, StepRecord, StepStatus};
use crate::verdict::{self, checksum};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio_postgres::Client;

mod backfill;
mod checks;
mod gate;
mod held;
mod lanes;
mod migrate;
mod probes;
mod require;
mod rollback;
mod step;
mod uncertain;

use checks::*;
use probes::*;

/// How a run is started.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub target: Target,
    pub operator: String,
    pub journal: PathBuf,
    /// The id of a new run (its journal is named after it, see [`new_run_id`]); `None`: the
    /// engine picks one. A resumed run keeps its own.
    pub run_id: Option<String>,
    /// The journal is a new run's own file: created here, never appended to an existing one.
    pub exclusive_journal: bool,
    /// Continue the interrupted run instead of refusing.
    pub resume: bool,
    /// Start a new run even if the last one was interrupted (applied steps are still skipped).
    pub new_run: bool,
    /// Accept applied migrations whose SQL changed since (checksum mismatch).
    pub allow_changed: bool,
    /// Cap monitoring phases (rehearsals, CI).
    pub monitor_cap: Option<Duration>,
    /// The rehearsal this run is set against (`--against`): journaled as it starts.
    pub rehearsal: Option<crate::events::RehearsalRef>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot connect to {target}: {message}")]
    Connect { target: String, message: String },
    #[error("{0}")]
    Refused(String),
    #[error("journal: {0}")]
    Journal(#[from] std::io::Error),
    #[error("database: {0}")]
    Database(String),
}

/// Events go to the journal first, then to the front end (and the watch mirror). The journal
/// group-commits on its own thread: the engine waits for the disk only where it must —
/// before acting on a person's decision, before a step's COMMIT, and at the end.
///
/// Clones share the journal: the lanes of a parallel phase emit into the same one.
#[derive(Clone)]
struct Emitter {
    journal: Arc<Mutex<crate::journal::Background>>,
    /// Copies events to `cutover.events` for `cutover watch`.
    mirror: Option<super::mirror::Mirror>,
    /// How long each step this run finished took: the pace a gate's forecast goes by.
    timed: Arc<Mutex<HashMap<String, Duration>>>,
}

impl Emitter {
    fn new(
        journal: Journal,
        front_end: UnboundedSender<Entry>,
        mirror: Option<super::mirror::Mirror>,
    ) -> Result<Emitter, EngineError> {
        let copy = mirror.clone();
        let journal = journal.into_background(move |entry| {
            if let Some(mirror) = &copy {
                mirror.send(&entry);
            }
            // A front end that went away must not stop the run: the journal has it.
            let _ = front_end.send(entry);
        })?;
        Ok(Emitter {
            journal: Arc::new(Mutex::new(journal)),
            mirror,
            timed: Arc::default(),
        })
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, crate::journal::Background> {
        // A panic while holding it cannot leave the journal half-written: lines are whole.
        self.journal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn emit(&mut self, event: Event) -> Result<(), EngineError> {
        if let Event::StepFinished {
            step, duration_ms, ..
        }
        | Event::CheckResult {
            step, duration_ms, ..
        } = &event
        {
            self.timed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(step.clone(), Duration::from_millis(*duration_ms));
        }
        self.journal().append(&event)?;
        Ok(())
    }

    /// How long `step` took in this run, if it finished here.
    fn took(&self, step: &str) -> Option<Duration> {
        self.timed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(step)
            .copied()
    }

    /// Emits, then waits until the event (and everything before it) is on disk.
    async fn emit_durable(&mut self, event: Event) -> Result<(), EngineError> {
        self.emit(event)?;
        self.durable()?.wait().await?;
        Ok(())
    }

    /// A promise that everything emitted so far is on disk.
    fn durable(&self) -> Result<crate::journal::Durable, EngineError> {
        Ok(self.journal().durable()?)
    }

    /// Flushes the journal, then gives the mirror a moment to catch up.
    async fn close(&mut self) -> Result<(), EngineError> {
        let shutdown = self.journal().shutdown();
        let flushed = shutdown.wait().await;
        if let Some(mirror) = self.mirror.take() {
            mirror.close(Duration::from_secs(2)).await;
        }
        Ok(flushed?)
    }
}

/// Connects and forwards the server's notices to a channel.
async fn connect(
    target: &Target,
) -> Result<(Client, UnboundedReceiver<(String, String)>), EngineError> {
    let (client, notices) =
        crate::connect::open(target)
            .await
            .map_err(|message| EngineError::Connect {
                target: target.redacted(),
                message,
            })?;
    // A role named `cutover` would find the tracking schema first through "$user" in the
    // search path (unqualified CREATE TABLE would land there, checks would read it).
    client
        .batch_execute(&format!(
            "SELECT set_config('search_path', regexp_replace(current_setting('search_path'), '\"\\$user\",?\\s*', '', 'g'), false) WHERE current_user = 'cutover'; {}",
            super::lock::SESSION_SETTINGS
        ))
        .await
        .map_err(|e| {
            EngineError::Database(crate::secret::mask(&e.to_string(), target.secret().as_deref()))
        })?;
    Ok((client, notices))
}

/// The plan in the journal's terms (offsets from the window start, in milliseconds).
fn planned_window(
    runbook: &Runbook,
    plan: &Plan,
    window_start: chrono::DateTime<chrono::Utc>,
    monitor_cap: Option<Duration>,
) -> PlannedWindow {
    let listed: Vec<&Step> = runbook.phases.iter().flat_map(|p| &p.steps).collect();
    PlannedWindow {
        window_start: window_start.to_rfc3339(),
        window_budget_ms: ms(plan.window_budget),
        monitor_cap_ms: monitor_cap.map(ms),
        zone: None,
        phases: plan
            .phases
            .iter()
            .map(|p| PlannedPhase {
                phase: p.id.clone(),
                kind: p.kind.to_owned(),
                start_ms: ms(p.planned_start),
                end_ms: ms(p.planned_end),
                budget_ms: ms(p.budget),
                steps: p
                    .order
                    .iter()
                    .filter_map(|&i| plan.steps.get(i).map(|s| (i, s)))
                    .map(|(i, s)| {
                        let step = listed.get(i).copied();
                        PlannedStep {
                            step: s.id.clone(),
                            kind: s.kind.to_owned(),
                            start_ms: ms(s.planned_start),
                            end_ms: ms(s.planned_end),
                            expected_ms: ms(s.expected),
                            title: step.and_then(|st| st.title.clone()),
                            sql: step.and_then(|st| match &st.kind {
                                StepKind::Check(c) => Some(c.sql.text.clone()),
                                _ => None,
                            }),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// How often a waiting gate looks at the server's long transactions and lock waits again.
const GATE_SERVER_LOOK: Duration = Duration::from_secs(5);

/// A lock wait whose blockers stay the same is told again this often, with how long it waits.
const LOCK_WAIT_RETELL: Duration = Duration::from_secs(30);
/// How often a moving index build is said.
const INDEX_PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Whether a migration runs in one transaction on this server. The plan decides for every
/// server; with `transaction: auto`, statements that only old servers refuse in a transaction
/// (e.g. `ALTER TYPE ... ADD VALUE` before PostgreSQL 12) move it outside on those servers.
fn runs_in_transaction(
    planned: Option<bool>,
    mode: TxMode,
    statements: &[sql::Statement],
    server_version_num: u32,
) -> bool {
    planned.unwrap_or(true)
        && !(mode == TxMode::Auto
            && statements
                .iter()
                .any(|s| sql::needs_no_transaction_on(server_version_num, s)))
}

/// What opens a transactional migration's transaction, with its timeouts, and — when the
/// server has PL/pgSQL — a notice marking where the step's own notices begin (see
/// [`STEP_MARK`]). Step ids are letters, digits, `_`, `-` and `.`: safe inside the quotes.
fn transaction_setup(m: &Migrate, step: &str, marks_steps: bool) -> String {
    let mark = if marks_steps {
        format!("; DO $cutover$BEGIN RAISE NOTICE '{STEP_MARK}{step}'; END$cutover$")
    } else {
        String::new()
    };
    format!(
        "BEGIN; SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = '{}'{mark}",
        pg_ms(m.lock_timeout),
        pg_ms(m.statement_timeout)
    )
}

/// The notice a migration's setup raises first. The next migration is sent while this one
/// commits, so its notices may reach the channel before this one's last answer is read: the
/// mark in the stream, not the moment of reading, says whose notices follow.
const STEP_MARK: &str = "cutover: the notices that follow are step ";

/// A run's id: the runbook, when it started (to the millisecond) and a random tag, so two
/// runs never share an id (nor the journal named after it).
pub fn new_run_id(runbook: &str) -> String {
    format!(
        "{runbook}-{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        jitter(0x1_0000)
    )
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Journals the notices the server sent so far, with the password masked: each under the
/// step `step` names, which a [`STEP_MARK`] in the stream moves on to the next step.
fn drain_notices(
    notices: &mut UnboundedReceiver<(String, String)>,
    out: &mut Emitter,
    secret: Option<&str>,
    step: &mut String,
) -> Result<(), EngineError> {
    while let Ok((severity, message)) = notices.try_recv() {
        if let Some(next) = message.strip_prefix(STEP_MARK) {
            next.clone_into(step);
            continue;
        }
        let message = crate::secret::mask(&message, secret);
        out.emit(Event::Notice {
            step: step.clone(),
            severity,
            message,
        })?;
    }
    Ok(())
}

/// An engine's two sessions — the working one its steps run on, and the monitor that
/// watches it and writes tracking rows outside its transaction — with the tracking row
/// prepared on each. The main engine and every lane of a parallel phase have their own.
struct Sessions {
    client: Arc<Client>,
    notices: UnboundedReceiver<(String, String)>,
    monitor: Client,
    upsert_step: tokio_postgres::Statement,
    monitor_upsert: tokio_postgres::Statement,
    backend_pid: i32,
    monitor_pid: i32,
    /// The server has PL/pgSQL, so a migration's setup can mark its notices (`STEP_MARK`).
    marks_steps: bool,
}

impl Sessions {
    /// Prepares what an engine needs on two open connections (the tracking schema exists).
    async fn ready(
        (client, notices): (Client, UnboundedReceiver<(String, String)>),
        monitor: Client,
        secret: Option<&str>,
    ) -> Result<Sessions, EngineError> {
        let db = |e: tokio_postgres::Error| {
            EngineError::Database(crate::secret::mask(&e.to_string(), secret))
        };
        let (upsert_step, monitor_upsert, backend, monitored) = tokio::try_join!(
            client.prepare(tracking::UPSERT_STEP),
            monitor.prepare(tracking::UPSERT_STEP),
            client.query_one(
                "SELECT pg_backend_pid(), EXISTS (SELECT FROM pg_language WHERE lanname = 'plpgsql')",
                &[]
            ),
            monitor.query_one("SELECT pg_backend_pid()", &[])
        )
        .map_err(db)?;
        Ok(Sessions {
            client: Arc::new(client),
            notices,
            monitor,
            upsert_step,
            monitor_upsert,
            backend_pid: backend.get(0),
            monitor_pid: monitored.get(0),
            marks_steps: backend.get(1),
        })
    }
}

/// What every engine of a run shares: the runbook and plan, the journal, the run's identity
/// and lock, and what the database said at the start.
struct Shared<'a> {
    runbook: &'a Runbook,
    plan: &'a Plan,
    steps: Vec<&'a Step>,
    opts: RunOptions,
    out: Emitter,
    run_id: String,
    records: HashMap<String, StepRecord>,
    server_version_num: u32,
    own_pids: Vec<i32>,
    window_start: chrono::DateTime<chrono::Utc>,
    secret: Option<String>,
    lock: Arc<RunbookLock>,
}

/// The words a skip is journaled with, for actions that skip the step.
fn skip_reason(action: &verdict::StepAction) -> Option<String> {
    match action {
        verdict::StepAction::Skip(reason) => Some((*reason).to_owned()),
        verdict::StepAction::Restore { gate } => Some(format!(
            "checked before the go at `{gate}` in an earlier attempt of this run: that result stands, not run again"
        )),
        verdict::StepAction::Run | verdict::StepAction::AskUncertain => None,
    }
}

/// Why the step loop stopped early.
enum Stop {
    Finished(Outcome, Option<String>),
}

enum StepResult {
    Done,
    Failed(SqlFailure),
    /// Cancelled by the operator or a signal; the run stops, resumable.
    Interrupted(String),
    /// The server refused the COMMIT because the runbook lock is no longer held: nothing of
    /// the step was committed.
    LockLost(String),
    /// Another runner applied the step first (the `cutover.applied` key refused this one):
    /// this attempt rolled back.
    AppliedElsewhere(String),
}

/// How long the engine waits for the heartbeat to notice a loss the server reported, and to
/// settle whether the lock can be taken again.
const LOCK_SETTLE: Duration = Duration::from_secs(15);

struct Engine<'a> {
    runbook: &'a Runbook,
    plan: &'a Plan,
    steps: Vec<&'a Step>,
    opts: RunOptions,
    out: Emitter,
    commands: UnboundedReceiver<Command>,
    client: Arc<Client>,
    notices: UnboundedReceiver<(String, String)>,
    /// The step the server's notices are journaled under now (see [`drain_notices`]).
    notices_for: String,
    /// Migrations mark where their notices begin (the server has PL/pgSQL).
    marks_steps: bool,
    monitor: Client,
    /// `server_version_num` of the target (e.g. 150018).
    server_version_num: u32,
    /// Our own sessions (working, monitor, lock), left out of what a gate shows.
    own_pids: Vec<i32>,
    /// `tracking::UPSERT_STEP`, prepared once on `client` (one round trip per use).
    upsert_step: tokio_postgres::Statement,
    /// The same, prepared on the monitor session (for rows written outside the step's own
    /// transaction): one round trip per row instead of a parse and an execute.
    monitor_upsert: tokio_postgres::Statement,
    backend_pid: i32,
    run_id: String,
    records: HashMap<String, StepRecord>,
    /// Migrations applied in this run, in the order they were applied (for rollback).
    applied: Vec<usize>,
    failed_critical: Vec<String>,
    decisions: HashMap<String, Decision>,
    /// Who gave each decision restored on resume, and when.
    decided_by: HashMap<String, (String, chrono::DateTime<chrono::Utc>)>,
    pause_requested: bool,
    /// Set when a Cancel arrived while a statement ran.
    cancelled: Option<String>,
    /// An Abort arrived while a statement ran: it was cancelled and the run ends aborted.
    abort_requested: bool,
    /// How often to look for sessions blocking the running statement.
    lock_poll: Duration,
    end_phase: bool,
    /// When the phase running now started (the gate's projection counts its sampling left).
    phase_started: Instant,
    /// The running phase's probes: they sample while a manual step of the phase waits too.
    phase_probes: Option<ProbeRunner>,
    /// Read-only sessions the checks run on, opened once and kept.
    check_sessions: Vec<Arc<Client>>,
    /// The checkpoint each check is evidence for (see `verdict::consuming_gates`).
    check_gates: HashMap<usize, String>,
    /// Check sessions still connecting (opened in the background when the run starts, so a
    /// verification phase rarely waits for them): each with its backend pid.
    check_sessions_coming: tokio::task::JoinSet<Result<(Client, i32), EngineError>>,
    window_start: chrono::DateTime<chrono::Utc>,
    secret: Option<String>,
    /// The runbook lock, shared with the lanes: nothing starts or commits without it.
    lock: Arc<RunbookLock>,
    /// The loss of the lock has been journaled (and not yet a regain).
    lock_loss_journaled: bool,
    /// Indexes this run's concurrent builds started (step, index, table): an INVALID one of
    /// these is a failed attempt's leftover, dropped before the next attempt.
    own_builds: Vec<(String, String, String)>,
    /// The step after the one running, when it may be sent ahead (see [`Ahead`]).
    up_next: Option<usize>,
    /// The next migration, sent while the one before it committed.
    ahead: Option<Ahead>,
    /// Steps of a one-at-a-time phase send their COMMIT behind their statements (see
    /// `migrate_in_transaction`); lanes of a parallel phase read their answers first.
    chain_commits: bool,
    /// Row counts of steps committed before their answers were read: their tracking rows
    /// get them when the run of such steps ends (`complete_rows`).
    rows_unrecorded: Vec<(String, i64)>,
    /// Changes to the running backfill that arrived while it was busy (see backfill.rs).
    backfill_changes: Vec<(String, crate::events::BackfillChange)>,
}

/// A transactional migration sent to the server behind the COMMIT of the one before it, so
/// the server goes from one to the next without waiting for a round trip. Nothing of it is
/// journaled or kept until that COMMIT succeeded and the step is started as usual: it is then
/// read as its own statements' answers. Anything else — a failed COMMIT, a pause, a lost lock,
/// a verdict that changed — rolls it back (see [`sqlexec::Pipeline::abandon`]).
struct Ahead {
    step: usize,
    /// Its statements, as split when it was sent.
    statements: Vec<sql::Statement>,
    pipeline: sqlexec::Pipeline,
}

/// What ends a migration's transaction, sent (see [`Engine::send_closing`]): its tracking row,
/// its COMMIT, and the next migration sent behind them.
struct Closing {
    record: sqlexec::Sent<Result<u64, tokio_postgres::Error>>,
    commit: sqlexec::Sent<Result<(), tokio_postgres::Error>>,
    next: Option<Ahead>,
}

impl Closing {
    /// After a statement failed: waits for the COMMIT (which rolled the transaction back)
    /// and undoes what went behind it.
    async fn abandon(self, target: &Target) {
        let _ = self.record.answer().await;
        let _ = self.commit.answer().await;
        if let Some(ahead) = self.next {
            ahead.pipeline.abandon(target).await;
        }
    }
}

/// The three sessions a run starts with, opened together: the working one its steps run on,
/// the monitor, and the one that holds the runbook lock. Opening them writes nothing, so a
/// front end may open them while the runbook is still being planned (see
/// [`run_connected`]).
pub struct Connections {
    working: (Client, UnboundedReceiver<(String, String)>),
    monitor: Client,
    lock: Client,
    /// The first check session, still connecting in the background.
    check_sessions_coming: tokio::task::JoinSet<Result<(Client, i32), EngineError>>,
}

/// Opens a run's three sessions at once. A runbook `with_checks` also gets its first check
/// session connecting in the background now, so its verification phase rarely waits for it.
pub async fn connect_all(target: &Target, with_checks: bool) -> Result<Connections, EngineError> {
    let mut check_sessions_coming = tokio::task::JoinSet::new();
    if with_checks {
        check_sessions_coming.spawn(open_check_session(target.clone()));
    }
    let (working, (monitor, _monitor_notices), (lock, _lock_notices)) =
        tokio::try_join!(connect(target), connect(target), connect(target))?;
    Ok(Connections {
        working,
        monitor,
        lock,
        check_sessions_coming,
    })
}

/// Whether a runbook has checks (its run opens a check session from the start).
pub fn has_checks(runbook: &Runbook) -> bool {
    runbook
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .any(|s| matches!(s.kind, StepKind::Check(_)) || !s.require.is_empty())
}

/// Runs the runbook to the end, a gate nobody passes, a failure, or a cancellation.
/// Events are journaled and sent on `events`; decisions arrive on `commands`.
pub async fn run(
    runbook: &Runbook,
    plan: &Plan,
    opts: RunOptions,
    events: UnboundedSender<Entry>,
    commands: UnboundedReceiver<Command>,
) -> Result<Outcome, EngineError> {
    let connections = connect_all(&opts.target, has_checks(runbook)).await?;
    run_connected(runbook, plan, opts, connections, events, commands).await
}

/// Undoes what the runbook applied on this database: every applied migration's rollback, in
/// reverse order of application, as a run of its own (journaled, tracked, under the lock),
/// which ends rolled back — or failed at the first rollback that fails. A fleet's
/// `on_error: rollback-wave` uses it on the wave's databases that had succeeded.
pub async fn undo(
    runbook: &Runbook,
    plan: &Plan,
    opts: RunOptions,
    events: UnboundedSender<Entry>,
    commands: UnboundedReceiver<Command>,
) -> Result<Outcome, EngineError> {
    let connections = connect_all(&opts.target, false).await?;
    start(
        runbook,
        plan,
        opts,
        connections,
        events,
        commands,
        Work::Undo,
    )
    .await
}

/// What a run does once it is set up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    /// The window: its phases and steps.
    Window,
    /// Only the rollback of everything applied (see [`undo`]).
    Undo,
}

/// [`run`] on sessions already open (from [`connect_all`] on the same target).
pub async fn run_connected(
    runbook: &Runbook,
    plan: &Plan,
    opts: RunOptions,
    connections: Connections,
    events: UnboundedSender<Entry>,
    commands: UnboundedReceiver<Command>,
) -> Result<Outcome, EngineError> {
    start(
        runbook,
        plan,
        opts,
        connections,
        events,
        commands,
        Work::Window,
    )
    .await
}

async fn start(
    runbook: &Runbook,
    plan: &Plan,
    opts: RunOptions,
    connections: Connections,
    events: UnboundedSender<Entry>,
    commands: UnboundedReceiver<Command>,
    work: Work,
) -> Result<Outcome, EngineError> {
    let secret = opts.target.secret();
    let Connections {
        working: (client, notices),
        monitor,
        lock: lock_conn,
        check_sessions_coming,
    } = connections;
    let db = |e: tokio_postgres::Error| {
        EngineError::Database(crate::secret::mask(&e.to_string(), secret.as_deref()))
    };

    tracking::ensure_schema(&client).await.map_err(db)?;
    // One runner per runbook per database: a session lock on an idle connection, never waited
    // for, watched by a heartbeat (see engine/lock.rs).
    let lock = match RunbookLock::take(&opts.target, &runbook.name, lock_conn, &monitor).await {
        Ok(lock) => Arc::new(lock),
        Err(Refusal::Held(holder)) => {
            return Err(EngineError::Refused(format!(
                "another cutover is already running `{}` on this database ({})",
                runbook.name,
                holder.unwrap_or_else(|| "holder not visible to this user".into())
            )));
        }
        Err(Refusal::Failed(message)) => return Err(EngineError::Database(message)),
    };

    let fresh_id = || {
        opts.run_id
            .clone()
            .unwrap_or_else(|| new_run_id(&runbook.name))
    };
    let latest = tracking::latest_run(&client, &runbook.name)
        .await
        .map_err(db)?;
    let (run_id, resumed) = match verdict::run_choice(
        &runbook.name,
        latest.as_ref().map(|(id, outcome)| (id.as_str(), *outcome)),
        opts.resume,
        opts.new_run,
    ) {
        verdict::RunChoice::Resume(id) => (id, true),
        verdict::RunChoice::Begin => (fresh_id(), false),
        verdict::RunChoice::Refuse(why) => return Err(EngineError::Refused(why)),
    };

    // In the order they finished: a rollback undoes them in reverse.
    let finished_order: Vec<StepRecord> = tracking::step_records(&client, &runbook.name)
        .await
        .map_err(db)?;
    let records: HashMap<String, StepRecord> = finished_order
        .iter()
        .map(|r| (r.step_id.clone(), r.clone()))
        .collect();
    let steps: Vec<&Step> = runbook.phases.iter().flat_map(|p| &p.steps).collect();

    // Applied migrations whose SQL changed stop the run before anything happens.
    if let Some(why) = verdict::changed_refusal(&steps, &records, opts.allow_changed) {
        return Err(EngineError::Refused(why));
    }

    let sessions = Sessions::ready((client, notices), monitor, secret.as_deref()).await?;
    let client = &sessions.client;
    let own_pids = vec![lock.pid()];
    let server_version_num: u32 = client
        .query_one("SHOW server_version_num", &[])
        .await
        .map_err(db)?
        .get::<_, String>(0)
        .parse()
        .unwrap_or(u32::MAX);
    let server_version: String = client
        .query_one("SHOW server_version", &[])
        .await
        .map_err(db)?
        .get(0);

    let journal = if opts.exclusive_journal && !resumed {
        Journal::create_new(&opts.journal, secret.clone())?
    } else {
        Journal::open(&opts.journal, secret.clone())?
    };
    // Recorded with the run, so a resume from another directory or host finds it.
    let journal_path = std::path::absolute(&opts.journal)
        .unwrap_or_else(|_| opts.journal.clone())
        .display()
        .to_string();
    let host = whoami::hostname().unwrap_or_default();
    let place = tracking::RunPlace {
        journal: &journal_path,
        host: &host,
        operator: &opts.operator,
    };
    let started_with = if resumed {
        tracking::reopen_run(client, &run_id, &place)
            .await
            .map_err(db)?
    } else {
        tracking::insert_run(client, &run_id, &runbook.name, &runbook.checksum, &place)
            .await
            .map_err(db)?;
        None
    };
    // Goes already given in this run stand.
    let mut decisions = HashMap::new();
    let mut decided_by = HashMap::new();
    for (step, operator, at) in tracking::goes_given(client, &run_id).await.map_err(db)? {
        decided_by.insert(step.clone(), (operator, at));
        decisions.insert(step, Decision::Go);
    }
    // A rollback undoes this run's migrations; an undo, every one still applied.
    let applied: Vec<usize> = finished_order
        .iter()
        .filter(|r| (work == Work::Undo || r.run_id == run_id) && r.status == StepStatus::Applied)
        .filter_map(|r| steps.iter().position(|s| s.id == r.step_id))
        .collect();

    // The hard end never moves on resume: the declared start, else when the run first started
    // — as the database recorded it, in every attempt, so a resumed attempt journals the same
    // plan as the first (the engine's own clock differs by the insert's round trip).
    let first_started = tracking::run_started_at(client, &run_id)
        .await
        .map_err(db)?;
    let window_start = runbook
        .window
        .start
        .map(|s| s.with_timezone(&chrono::Utc))
        .or(first_started)
        .unwrap_or_else(chrono::Utc::now);
    let out = Emitter::new(
        journal,
        events,
        Some(super::mirror::Mirror::start(
            opts.target.clone(),
            run_id.clone(),
        )),
    )?;
    let mut engine = Engine::new(
        Shared {
            runbook,
            plan,
            steps,
            opts,
            out,
            run_id: run_id.clone(),
            records,
            server_version_num,
            own_pids,
            window_start,
            secret,
            lock: Arc::clone(&lock),
        },
        sessions,
        commands,
    );
    engine.applied = applied;
    engine.decisions = decisions;
    engine.decided_by = decided_by;
    engine.check_sessions_coming = check_sessions_coming;
    let hard_end = (window_start
        + chrono::Duration::from_std(runbook.window.budget).unwrap_or_default())
    .to_rfc3339();
    engine.out.emit(Event::RunStarted {
        run_id: run_id.clone(),
        runbook: runbook.name.clone(),
        title: runbook.title.clone(),
        checksum: runbook.checksum.clone(),
        operator: engine.opts.operator.clone(),
        target: engine.opts.target.redacted(),
        server_version,
        cutover_version: env!("CARGO_PKG_VERSION").to_owned(),
        resumed,
        hard_end,
        plan: Some(PlannedWindow {
            zone: runbook.window.zone.map(|z| z.to_string()),
            ..planned_window(runbook, plan, window_start, engine.opts.monitor_cap)
        }),
    })?;
    if let Some(started_with) = started_with.filter(|c| *c != runbook.checksum) {
        engine.out.emit(Event::RunbookChanged {
            started_with,
            now: runbook.checksum.clone(),
        })?;
    }
    if let Some(rehearsal) = engine.opts.rehearsal.clone() {
        engine.out.emit(Event::RehearsalCompared { rehearsal })?;
    }
    let worked = match work {
        Work::Window => engine.phases().await,
        Work::Undo => engine.rollback().await,
    };
    let outcome = match worked {
        Ok(Stop::Finished(outcome, message)) => {
            engine.finish(outcome, message).await?;
            outcome
        }
        Err(e) => {
            let message = e.to_string();
            let _ = engine.finish(Outcome::Interrupted, Some(message)).await;
            let _ = engine.out.close().await;
            return Err(e);
        }
    };
    engine.out.close().await?;
    // Releases the lock (its connection closes) only once everything is journaled.
    drop(engine);
    drop(lock);
    Ok(outcome)
}

impl<'a> Engine<'a> {
    /// The one way an engine is made, for a run and for each lane of a parallel phase: the
    /// run-wide parts, its own sessions and command channel; everything else starts empty.
    fn new(
        shared: Shared<'a>,
        sessions: Sessions,
        commands: UnboundedReceiver<Command>,
    ) -> Engine<'a> {
        let Shared {
            runbook,
            plan,
            steps,
            opts,
            out,
            run_id,
            records,
            server_version_num,
            mut own_pids,
            window_start,
            secret,
            lock,
        } = shared;
        let order: Vec<usize> = plan.phases.iter().flat_map(|p| p.order.clone()).collect();
        let check_gates = verdict::consuming_gates(&order, &steps);
        for pid in [sessions.backend_pid, sessions.monitor_pid] {
            if !own_pids.contains(&pid) {
                own_pids.push(pid);
            }
        }
        Engine {
            runbook,
            plan,
            steps,
            opts,
            out,
            commands,
            client: sessions.client,
            notices: sessions.notices,
            notices_for: String::new(),
            marks_steps: sessions.marks_steps,
            monitor: sessions.monitor,
            server_version_num,
            own_pids,
            upsert_step: sessions.upsert_step,
            monitor_upsert: sessions.monitor_upsert,
            backend_pid: sessions.backend_pid,
            run_id,
            records,
            applied: Vec::new(),
            failed_critical: Vec::new(),
            decisions: HashMap::new(),
            decided_by: HashMap::new(),
            pause_requested: false,
            cancelled: None,
            abort_requested: false,
            lock_poll: Duration::from_millis(500),
            own_builds: Vec::new(),
            up_next: None,
            ahead: None,
            chain_commits: false,
            rows_unrecorded: Vec::new(),
            backfill_changes: Vec::new(),
            end_phase: false,
            phase_started: Instant::now(),
            phase_probes: None,
            check_sessions: Vec::new(),
            check_sessions_coming: tokio::task::JoinSet::new(),
            check_gates,
            window_start,
            secret,
            lock,
            lock_loss_journaled: false,
        }
    }

    /// What the verdict says to do with step `i` now.
    fn action(&self, i: usize) -> verdict::StepAction {
        let step = self.steps[i];
        let gate = self
            .check_gates
            .get(&i)
            .filter(|g| self.decisions.get(g.as_str()) == Some(&Decision::Go));
        verdict::step_action(
            step,
            self.record(&step.id),
            &self.run_id,
            gate.map(String::as_str),
        )
    }

    /// How a run cut short by a cancel or abort ends.
    fn stopped(&self, reason: String) -> Stop {
        let outcome = if self.abort_requested {
            Outcome::Aborted
        } else {
            Outcome::Interrupted
        };
        Stop::Finished(outcome, Some(reason))
    }

    /// A migration until it is applied or the operator stops: failures offer retry,
    /// rollback or abort.
    async fn run_migration(&mut self, i: usize, m: &Migrate) -> Result<Option<Stop>, EngineError> {
        let id = self.steps[i].id.clone();
        loop {
            if let Some(stop) = self.ensure_lock().await? {
                return Ok(Some(stop));
            }
            if self
                .record(&id)
                .is_some_and(|r| r.status == StepStatus::Applied)
            {
                // Applied by another runner while this one had lost the lock.
                self.out.emit(Event::StepSkipped {
                    step: id,
                    reason: "already applied (by another runner while the lock was lost)".into(),
                })?;
                return Ok(None);
            }
            match self.migrate(i, m).await? {
                StepResult::Done => {
                    self.applied.push(i);
                    return Ok(None);
                }
                StepResult::Interrupted(reason) => {
                    return Ok(Some(self.stopped(reason)));
                }
                StepResult::LockLost(reason) => {
                    if let Some(stop) = self.after_lock_refusal(&reason).await? {
                        return Ok(Some(stop));
                    }
                }
                StepResult::AppliedElsewhere(reason) => {
                    return Ok(Some(Stop::Finished(Outcome::Interrupted, Some(reason))));
                }
                StepResult::Failed(error) => {
                    let connection_lost = session_lost(&self.client, &error);
                    self.out.emit(Event::StepFailed {
                        step: id.clone(),
                        error,
                    })?;
                    match self.after_failure(&id, connection_lost).await? {
                        FailureChoice::Retry => continue,
                        FailureChoice::Stop(stop) => return Ok(Some(stop)),
                    }
                }
            }
        }
    }

    async fn finish(
        &mut self,
        outcome: Outcome,
        message: Option<String>,
    ) -> Result<(), EngineError> {
        // Only while holding the lock: a runner that lost it must not overwrite the outcome of
        // the run another runner has since taken over.
        let _ = tracking::finish_run(
            &self.monitor,
            &self.run_id,
            &self.runbook.name,
            outcome,
            self.lock.pid(),
        )
        .await;
        self.out
            .emit_durable(Event::RunFinished { outcome, message })
            .await
    }

    fn db_err(&self, e: &tokio_postgres::Error) -> EngineError {
        EngineError::Database(crate::secret::mask(&e.to_string(), self.secret.as_deref()))
    }

    /// Handles commands that arrived while working; returns a stop when one says so.
    /// Waits out a retry's backoff. A cancel or abort ends the wait (and the step) at once:
    /// returns its reason.
    async fn backoff(&mut self, delay: Duration) -> Result<Option<String>, EngineError> {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return Ok(None),
                command = self.commands.recv() => match command {
                    Some(Command::Cancel { reason }) => {
                        self.out.emit(Event::Cancelled { reason: reason.clone() })?;
                        return Ok(Some(reason));
                    }
                    Some(Command::Abort) => {
                        self.abort_requested = true;
                        let reason = "aborted by the operator".to_owned();
                        self.out.emit(Event::Cancelled { reason: reason.clone() })?;
                        return Ok(Some(reason));
                    }
                    Some(Command::Pause) => self.pause_requested = true,
                    Some(Command::EndPhase) => self.end_phase = true,
                    // A throttled backfill waits here; it takes the change when it looks again.
                    Some(Command::AdjustBackfill { operator, change }) => {
                        self.backfill_changes.push((operator, change));
                    }
                    Some(_) => {}
                    // The front end went away: nothing more can arrive.
                    None => {
                        (&mut sleep).await;
                        return Ok(None);
                    }
                },
            }
        }
    }

    fn poll_commands(&mut self) -> Option<Stop> {
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Pause => self.pause_requested = true,
                Command::EndPhase => self.end_phase = true,
                Command::Abort => {
                    return Some(Stop::Finished(
                        Outcome::Aborted,
                        Some("aborted by the operator".into()),
                    ));
                }
                Command::Cancel { reason } => {
                    return Some(Stop::Finished(Outcome::Interrupted, Some(reason)));
                }
                Command::AdjustBackfill { operator, change } => {
                    self.backfill_changes.push((operator, change));
                }
                _ => {}
            }
        }
        None
    }

    async fn phases(&mut self) -> Result<Stop, EngineError> {
        let stop = self.run_phases().await;
        // However the run stops, nothing sent ahead stays open behind it.
        self.abandon_ahead().await;
        self.complete_rows().await;
        stop
    }

    /// Gives the tracking rows of steps committed before their answers were read their row
    /// counts. Best effort: the journal has every count, and nothing decides on this one.
    async fn complete_rows(&mut self) {
        if self.rows_unrecorded.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.rows_unrecorded);
        let _ = tracking::complete_rows(&self.monitor, &self.runbook.name, &rows).await;
    }

    /// Rolls back the migration sent ahead, if any (see [`Ahead`]).
    async fn abandon_ahead(&mut self) {
        if let Some(ahead) = self.ahead.take() {
            ahead.pipeline.abandon(&self.opts.target).await;
        }
    }

    async fn run_phases(&mut self) -> Result<Stop, EngineError> {
        for (p, phase) in self.runbook.phases.iter().enumerate() {
            let phase_started = Instant::now();
            self.phase_started = phase_started;
            self.end_phase = false;
            self.out.emit(Event::PhaseStarted {
                phase: phase.id.clone(),
            })?;
            let mut over_budget_reported = false;
            let order = self.plan.phases[p].order.clone();
            let probes: Vec<usize> = order
                .iter()
                .copied()
                .filter(|&i| matches!(self.steps[i].kind, StepKind::Probe(_)))
                .collect();
            self.phase_probes =
                (!probes.is_empty()).then(|| ProbeRunner::new(&probes, phase_started));
            let mut k = 0;
            while k < order.len() {
                // What was sent ahead is for the step about to run; any other one is stale.
                if self.ahead.as_ref().is_some_and(|a| a.step != order[k]) {
                    self.abandon_ahead().await;
                }
                if self.ahead.is_none() {
                    self.complete_rows().await;
                }
                if let Some(stop) = self.poll_commands() {
                    if let Stop::Finished(Outcome::Interrupted, reason) = &stop {
                        self.out.emit(Event::Cancelled {
                            reason: reason.clone().unwrap_or_default(),
                        })?;
                    }
                    return Ok(stop);
                }
                // A cancel or abort that reached a statement too late to stop it still stops
                // the run before the next step.
                if let Some(reason) = self.cancelled.take() {
                    return Ok(self.stopped(reason));
                }
                if self.pause_requested {
                    return Ok(Stop::Finished(
                        Outcome::Halted,
                        Some("paused by the operator".into()),
                    ));
                }
                // Nothing starts without the runbook lock.
                if let Some(stop) = self.ensure_lock().await? {
                    return Ok(stop);
                }
                let i = order[k];
                // Consecutive migrations may run together, each in its own session, up to the
                // phase's `parallel` (the planner refused unordered ones on one table).
                let migrations: Vec<usize> = if phase.parallel > 1 {
                    order[k..]
                        .iter()
                        .copied()
                        .take_while(|&j| {
                            matches!(self.steps[j].kind, StepKind::Migrate(_))
                                && self.steps[j].require.is_empty()
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                // Applied or uncertain ones go the sequential way (skip, or ask).
                let fresh = migrations
                    .iter()
                    .all(|&j| self.action(j) == verdict::StepAction::Run);
                if migrations.len() > 1 && fresh {
                    if let Some(stop) = self.migrate_together(&migrations, phase.parallel).await? {
                        return Ok(stop);
                    }
                    if self.pause_requested {
                        // Paused inside: what did not start runs on resume.
                        continue;
                    }
                    k += migrations.len();
                    if !over_budget_reported && phase_started.elapsed() > phase.budget {
                        over_budget_reported = true;
                        self.out.emit(Event::PhaseBudgetExceeded {
                            phase: phase.id.clone(),
                            budget_ms: ms(phase.budget),
                        })?;
                    }
                    continue;
                }
                // Consecutive checks run as one series: one at a time, or up to the phase's
                // `parallel` at once when none of them depends on another in the series.
                if matches!(self.steps[i].kind, StepKind::Check(_))
                    && let Some(reason) = skip_reason(&self.action(i))
                {
                    self.out.emit(Event::StepSkipped {
                        step: self.steps[i].id.clone(),
                        reason,
                    })?;
                    k += 1;
                    continue;
                }
                let series = self.check_series(&order[k..], phase.parallel);
                if !series.is_empty() {
                    let (done, stop) = self.run_checks(&series, phase.parallel).await?;
                    k += done;
                    if let Some(stop) = stop {
                        if let Stop::Finished(Outcome::Interrupted, reason) = &stop {
                            self.out.emit(Event::Cancelled {
                                reason: reason.clone().unwrap_or_default(),
                            })?;
                        }
                        return Ok(stop);
                    }
                } else {
                    // One step at a time: the next one may be sent while this one commits.
                    self.up_next = if phase.parallel <= 1 {
                        order.get(k + 1).copied()
                    } else {
                        None
                    };
                    self.chain_commits = true;
                    let stop = self.step(i).await;
                    self.chain_commits = false;
                    self.up_next = None;
                    if let Some(stop) = stop? {
                        return Ok(stop);
                    }
                    k += 1;
                }
                if !over_budget_reported && phase_started.elapsed() > phase.budget {
                    over_budget_reported = true;
                    self.out.emit(Event::PhaseBudgetExceeded {
                        phase: phase.id.clone(),
                        budget_ms: ms(phase.budget),
                    })?;
                }
            }
            self.abandon_ahead().await;
            self.complete_rows().await;
            // Probes sample for the phase's budget, or until the operator ends the phase.
            if let Some(mut probe_state) = self.phase_probes.take() {
                let until = self
                    .opts
                    .monitor_cap
                    .map_or(phase.budget, |cap| cap.min(phase.budget));
                if let Some(stop) = self
                    .sample_probes(&mut probe_state, phase_started, until)
                    .await?
                {
                    return Ok(stop);
                }
            }
            // Sampling ends at the budget by design; only real overruns count.
            if !over_budget_reported
                && phase_started.elapsed() > phase.budget + Duration::from_secs(1)
            {
                self.out.emit(Event::PhaseBudgetExceeded {
                    phase: phase.id.clone(),
                    budget_ms: ms(phase.budget),
                })?;
            }
            self.out.emit(Event::PhaseFinished {
                phase: phase.id.clone(),
                duration_ms: ms(phase_started.elapsed()),
            })?;
        }
        Ok(Stop::Finished(Outcome::Succeeded, None))
    }

    fn record(&self, id: &str) -> Option<&StepRecord> {
        self.records.get(id)
    }

    async fn mark(
        &self,
        id: &str,
        kind: &str,
        sql: Option<&str>,
        status: StepStatus,
        attempts: i32,
        rows: i64,
    ) -> Result<(), EngineError> {
        let sum = sql.map(checksum);
        self.monitor
            .execute(
                &self.monitor_upsert,
                &[
                    &self.runbook.name,
                    &id,
                    &self.run_id,
                    &kind,
                    &sum,
                    &status.as_str(),
                    &attempts,
                    &rows,
                    &self.lock.pid(),
                ],
            )
            .await
            .map_err(|e| self.db_err(&e))?;
        Ok(())
    }
}

/// Whether a step failed because its session is gone: the connection closed, or the server
/// ended it (57P01 terminated by an administrator, 57P02/57P03 shutting down or restarting,
/// class 08 connection exceptions).
fn session_lost(client: &Client, failure: &SqlFailure) -> bool {
    client.is_closed()
        || failure
            .sqlstate
            .as_deref()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08"))
}

/// How a run ends when the operator (or the headless policy) stops after a failed step.
fn failed_stop(id: &str, connection_lost: bool) -> Stop {
    if connection_lost {
        Stop::Finished(
            Outcome::Interrupted,
            Some(format!(
                "step `{id}` failed: the connection to the server was lost; nothing of it was committed unless it ran outside a transaction — resume with --resume"
            )),
        )
    } else {
        Stop::Finished(Outcome::Failed, Some(format!("step `{id}` failed")))
    }
}

enum FailureChoice {
    Retry,
    Stop(Stop),
}

/// A cheap random number below `bound` for backoff jitter.
fn jitter(bound: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % bound.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_value_leaves_the_transaction_only_on_servers_that_need_it() {
        let statements = sql::split_statements("ALTER TYPE mood ADD VALUE 'meh'");
        // PostgreSQL 11 refuses it in a transaction block; 12 and later accept it.
        assert!(!runs_in_transaction(
            Some(true),
            TxMode::Auto,
            &statements,
            110_022
        ));
        assert!(runs_in_transaction(
            Some(true),
            TxMode::Auto,
            &statements,
            150_018
        ));
        // `always` is the author's word; `never` was planned outside already.
        assert!(runs_in_transaction(
            Some(true),
            TxMode::Always,
            &statements,
            110_022
        ));
        assert!(!runs_in_transaction(
            Some(false),
            TxMode::Never,
            &statements,
            150_018
        ));
        let plain = sql::split_statements("CREATE TABLE t (id int)");
        assert!(runs_in_transaction(
            Some(true),
            TxMode::Auto,
            &plain,
            110_022
        ));
    }
}
