//! What the screen shows: the runbook and plan (static), the run record's facts (taken as
//! each journal entry changes them) and the narration's log lines. Pure: `apply` never does
//! I/O, so a journal replay or a test can build any screen without a terminal or a database.

use crate::events::{Blocker, Decision, Outcome, SqlFailure};
use crate::journal::Entry;
use crate::plan::{EdgeKind, Plan};
use crate::runbook::{Runbook, Scalar, Severity, SqlOrigin, StepKind};
use chrono::{DateTime, Offset, Utc};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

mod follow;
mod laid_out;

/// Log lines kept in memory (the journal keeps everything).
pub const LOG_CAPACITY: usize = 100_000;
/// Samples kept per probe.
pub const PROBE_CAPACITY: usize = crate::record::RECENT_SAMPLES;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    /// A checkpoint or manual step waiting for the operator.
    Waiting,
    Done,
    Failed,
    Skipped,
    /// Interrupted between statements by an earlier crash; the operator must say what happened.
    Uncertain,
    RolledBack,
    RollbackFailed,
    /// A checkpoint answered no-go.
    NoGo,
    /// Was running when the run stopped (cancel, pause, lost connection).
    Interrupted,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Waiting => "waiting for the operator",
            StepStatus::Done => "done",
            StepStatus::Failed => "FAILED",
            StepStatus::Skipped => "skipped",
            StepStatus::Uncertain => "UNCERTAIN",
            StepStatus::RolledBack => "rolled back",
            StepStatus::RollbackFailed => "ROLLBACK FAILED",
            StepStatus::NoGo => "no-go",
            StepStatus::Interrupted => "interrupted",
        }
    }

    /// One-cell glyph for lists and grids.
    pub fn glyph(self) -> &'static str {
        match self {
            StepStatus::Pending => "·",
            StepStatus::Running => "▶",
            StepStatus::Waiting => "…",
            StepStatus::Done => "✓",
            StepStatus::Failed => "✗",
            StepStatus::Skipped => "↷",
            StepStatus::Uncertain => "?",
            StepStatus::RolledBack => "↶",
            StepStatus::RollbackFailed => "✗",
            StepStatus::NoGo => "■",
            StepStatus::Interrupted => "‖",
        }
    }

    /// Finished one way or another: no more expected work.
    pub fn is_settled(self) -> bool {
        !matches!(
            self,
            StepStatus::Pending | StepStatus::Running | StepStatus::Waiting | StepStatus::Uncertain
        )
    }
}

/// A check's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckOutcome {
    pub passed: bool,
    pub actual: String,
    pub expected: String,
    pub severity: Severity,
    pub duration_ms: u64,
    /// The rehearsal's verdict and value for this check, when the run is set against one.
    pub rehearsed: Option<(bool, String)>,
}

impl CheckOutcome {
    /// Passed on the rehearsal, fails here: the data or the server differ from the copy's.
    pub fn regressed_since_rehearsal(&self) -> bool {
        !self.passed && self.rehearsed.as_ref().is_some_and(|(passed, _)| *passed)
    }

    /// A failed warning-level check.
    pub fn is_warning(&self) -> bool {
        !self.passed && self.severity == Severity::Warning
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LockWaitUi {
    pub since: DateTime<Utc>,
    pub blockers: Vec<Blocker>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CommandOutputUi {
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

/// What the runbook and the plan say about a step (static), and what happened to it so far.
#[derive(Clone, Debug)]
pub struct StepUi {
    pub id: String,
    pub title: Option<String>,
    pub kind: &'static str,
    pub phase: usize,
    /// Steps this one waits for (indices), with whether the edge is a checkpoint barrier.
    pub deps: Vec<(usize, bool)>,
    /// Longest-path depth within its phase (layer in the dependency view).
    pub depth: usize,
    pub expected: Duration,
    pub planned_start: Duration,
    pub planned_end: Duration,
    pub in_transaction: Option<bool>,
    pub no_transaction_reason: Option<String>,
    pub breaking: bool,
    pub on_critical_path: bool,
    /// `auto`/`always`/`never` for migrations.
    pub transaction_mode: Option<&'static str>,
    /// Named timeouts and limits, in display form (`lock_timeout 2s`).
    pub limits: Vec<(String, String)>,
    pub sql: Option<String>,
    /// Where the SQL lives: a file, or the runbook for inline SQL (with its first line).
    pub sql_origin: Option<(String, usize)>,
    /// 1-based inclusive line ranges of each statement within `sql`.
    pub statement_lines: Vec<(usize, usize)>,
    pub rollback_sql: Option<String>,
    pub expectation: Option<String>,
    pub severity: Option<Severity>,
    pub prompt: Option<String>,
    pub questions: Vec<String>,
    pub program: Option<String>,
    pub alert_threshold: Option<String>,
    /// Its preconditions, as planned (their results are in the run record).
    pub require: Vec<crate::plan::PlannedPrecondition>,

    pub status: StepStatus,
    pub first_started: Option<DateTime<Utc>>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    /// How many times the step was started (attempts across retries and operator retries).
    pub starts: u32,
    /// The engine's attempt number of the latest start.
    pub attempt: u32,
    /// Lock-timeout retries scheduled by the engine.
    pub retries: u32,
    pub last_retry: Option<String>,
    /// 1-based index of the statement running (or last started).
    pub statement: Option<usize>,
    pub statement_sql: Option<String>,
    pub statements_done: usize,
    pub rows: u64,
    pub lock_wait: Option<LockWaitUi>,
    pub lock_waits: u32,
    pub notices: Vec<String>,
    pub error: Option<SqlFailure>,
    pub check: Option<CheckOutcome>,
    pub command_output: Option<CommandOutputUi>,
    pub skip_reason: Option<String>,
    pub decision: Option<Decision>,
    pub decided_by: Option<String>,
    pub rollback_error: Option<SqlFailure>,
    /// A rollback ran nothing for it, so it is still applied: why.
    pub left_applied: Option<String>,
    /// Its running statement was cancelled on request (the operator's `x`): the failure is
    /// SQLSTATE 57014 from that cancel, not from the SQL.
    pub statement_cancelled: bool,
}

#[derive(Clone, Debug)]
pub struct PhaseUi {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub planned_start: Duration,
    pub planned_end: Duration,
    pub budget: Duration,
    pub parallel: usize,
    /// Step indices in execution order.
    pub order: Vec<usize>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub over_budget: bool,
}

#[derive(Clone, Debug)]
pub struct ProbeUi {
    pub step: usize,
    pub samples: VecDeque<Option<f64>>,
    pub latest: Option<String>,
    pub alert_now: bool,
    pub alerts: u32,
    pub threshold: Option<String>,
    /// A numeric bound to scale the sparkline against, when the alert is numeric.
    pub threshold_value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlertUi {
    pub ts: DateTime<Utc>,
    pub step: String,
    pub value: String,
    pub threshold: String,
}

pub use crate::narration::Level;

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub ts: DateTime<Utc>,
    pub text: String,
    pub level: Level,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErrorUi {
    pub ts: DateTime<Utc>,
    pub step: String,
    pub error: SqlFailure,
}

/// What the engine is waiting for the operator to answer: the run record's.
pub use crate::record::Waiting as Prompt;

#[derive(Clone, Debug, Default)]
pub struct Header {
    pub title: String,
    pub runbook: String,
    pub run_id: Option<String>,
    /// As the engine reports it: already redacted.
    pub target: Option<String>,
    pub server_version: Option<String>,
    pub operator: String,
    pub cutover_version: Option<String>,
    pub resumed: bool,
    pub window_start: Option<DateTime<Utc>>,
    pub hard_end: Option<DateTime<Utc>>,
}

/// The overall state in one word, for the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overall {
    /// The plan is loaded; the engine is connecting.
    Connecting,
    Running,
    WaitingGate,
    WaitingManual,
    WaitingFailure,
    WaitingUncertain,
    Monitoring,
    RollingBack,
    Finished(Outcome),
}

impl Overall {
    pub fn label(&self) -> &'static str {
        match self {
            Overall::Connecting => "CONNECTING",
            Overall::Running => "RUNNING",
            Overall::WaitingGate => "GATE: DECISION NEEDED",
            Overall::WaitingManual => "MANUAL STEP WAITING",
            Overall::WaitingFailure => "STEP FAILED: DECISION NEEDED",
            Overall::WaitingUncertain => "UNCERTAIN STEP",
            Overall::Monitoring => "MONITORING",
            Overall::RollingBack => "ROLLING BACK",
            Overall::Finished(Outcome::Succeeded) => "SUCCEEDED",
            Overall::Finished(Outcome::Failed) => "FAILED",
            Overall::Finished(Outcome::Halted) => "HALTED (resumable)",
            Overall::Finished(Outcome::RolledBack) => "ROLLED BACK",
            Overall::Finished(Outcome::Aborted) => "ABORTED",
            Overall::Finished(Outcome::Interrupted) => "INTERRUPTED (resumable)",
        }
    }
}

/// One row of the dependency view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphRow {
    Phase(usize),
    Step(usize),
}

/// An operator decision, as journaled: a gate's go/no-go or a manual step's acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionUi {
    pub ts: DateTime<Utc>,
    pub step: String,
    /// `None`: a manual step acknowledged.
    pub decision: Option<Decision>,
    pub operator: String,
    pub comment: Option<String>,
    /// Failed critical checks a go overrode.
    pub overrode: Vec<String>,
}

/// What the run was doing when it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// A step was running (a statement, a command, a check).
    Running {
        /// The 1-based statement running, of how many.
        statement: Option<(usize, usize)>,
        in_transaction: Option<bool>,
    },
    /// Waiting at a checkpoint for a decision.
    Gate,
    /// Waiting for a manual step's acknowledgement.
    Manual,
    /// A step had failed; retry, roll back or abort was not chosen.
    FailureDecision,
    /// A step left half-done by an earlier crash was not resolved.
    Uncertain,
    RollingBack,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopPoint {
    pub step: String,
    pub kind: StopKind,
}

/// What a replayed journal says about the run being resumed: the resume summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    pub journal: Option<String>,
    pub run_id: Option<String>,
    /// Attempts of the run so far (one per `run_started`).
    pub attempts: u32,
    pub events: usize,
    /// Journal lines that could not be read (a torn last write).
    pub unreadable: usize,
    pub first_ts: Option<DateTime<Utc>>,
    pub last_ts: Option<DateTime<Utc>>,
    /// The journal ends without `run_finished`: the process died (crash, kill, power loss).
    pub unfinished: bool,
    pub outcome: Option<(Outcome, Option<String>)>,
    pub stop: Option<StopPoint>,
    /// Step indices, in execution order. Checkpoints are listed as decisions instead.
    pub done: Vec<usize>,
    pub skipped: Vec<usize>,
    pub failed: Vec<usize>,
    pub rolled_back: Vec<usize>,
    /// Steps not done yet (pending, interrupted, failed, waiting), probes excluded.
    pub to_run: usize,
    /// The first step in execution order that is not done.
    pub next: Option<usize>,
    pub decisions: Vec<DecisionUi>,
}

pub use crate::record::last_run;

#[derive(Clone, Debug)]
pub struct UiState {
    pub header: Header,
    pub phases: Vec<PhaseUi>,
    pub steps: Vec<StepUi>,
    index: HashMap<String, usize>,
    /// Position of each step in the engine's execution order.
    pub exec_pos: Vec<usize>,
    pub graph_rows: Vec<GraphRow>,
    /// Row in `graph_rows` of each step.
    pub graph_row_of: Vec<usize>,
    /// Check steps in execution order (the verification grid).
    pub checks: Vec<usize>,
    pub probes: Vec<ProbeUi>,
    probe_of: HashMap<usize, usize>,
    pub alerts: Vec<AlertUi>,
    pub log: VecDeque<LogLine>,
    /// The run record: a step's attempts, rows and times come from it, as in the report.
    pub record: crate::record::RunRecord,
    pub errors: Vec<ErrorUi>,
    pub prompt: Option<Prompt>,
    /// Bumped each time a new prompt opens, so a view can reset its modal state.
    pub prompt_seq: u64,
    /// Bumped on each rejected decision.
    pub rejected_seq: u64,
    pub outcome: Option<(Outcome, Option<String>)>,
    pub current_phase: Option<usize>,
    /// The step most recently started or waiting.
    pub current_step: Option<usize>,
    pub rolling_back: bool,
    pub rollback_steps: Vec<String>,
    pub cancelled: Option<String>,
    /// Critical checks that failed since the last gate (as the engine counts them).
    pub failed_critical: Vec<String>,
    /// The server's long transactions and lock waits, as last seen at the open gate
    /// (`None`: not looked at yet).
    pub server_sessions: Option<Vec<crate::events::ServerSession>>,
    pub window_budget: Duration,
    /// The zone times are shown in: the runbook's window zone (its `window.start`), else UTC.
    pub zone: chrono::FixedOffset,
    /// The plan the projection of the window's end is computed on (shared by clones).
    plan: std::sync::Arc<Plan>,
    pub planned_end: Duration,
    pub started: bool,
    pub last_ts: Option<DateTime<Utc>>,
    /// Bumped on every applied entry.
    pub version: u64,
    /// Every go/no-go and acknowledgement, in order (restored ones are not repeated).
    pub decisions: Vec<DecisionUi>,
    /// `run_started` events seen: the attempts of this run.
    pub attempts: u32,
    /// Where the run stopped, once it has (not after a success).
    pub stopped_at: Option<StopPoint>,
    /// Set by [`UiState::finish_replay`]: the journal's story before this process resumes.
    pub restored: Option<Restored>,
}

impl UiState {
    /// The index of a step by id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn step(&self, id: &str) -> Option<&StepUi> {
        self.step_index(id).map(|i| &self.steps[i])
    }

    fn phase_index(&self, id: &str) -> Option<usize> {
        self.phases.iter().position(|p| p.id == id)
    }

    /// Whether the engine is still working (or about to start).
    pub fn is_active(&self) -> bool {
        self.outcome.is_none()
    }

    pub fn overall(&self) -> Overall {
        if let Some((outcome, _)) = &self.outcome {
            return Overall::Finished(*outcome);
        }
        if !self.started {
            return Overall::Connecting;
        }
        match &self.prompt {
            Some(Prompt::Gate { .. }) => return Overall::WaitingGate,
            Some(Prompt::Manual { .. }) => return Overall::WaitingManual,
            Some(Prompt::Failure { .. }) => return Overall::WaitingFailure,
            Some(Prompt::Uncertain { .. }) => return Overall::WaitingUncertain,
            None => {}
        }
        if self.rolling_back {
            return Overall::RollingBack;
        }
        if self
            .current_phase
            .and_then(|p| self.phases.get(p))
            .is_some_and(|p| p.kind == "monitoring" && p.finished.is_none())
            && self
                .current_step
                .is_none_or(|i| self.steps[i].status != StepStatus::Running)
        {
            return Overall::Monitoring;
        }
        Overall::Running
    }

    /// Whether the current phase is a monitoring phase still sampling.
    pub fn monitoring_active(&self) -> bool {
        self.is_active()
            && self
                .current_phase
                .and_then(|p| self.phases.get(p))
                .is_some_and(|p| p.kind == "monitoring" && p.finished.is_none())
    }

    /// The backfill running now, and its progress.
    pub fn running_backfill(&self) -> Option<(usize, &crate::record::BackfillProgress)> {
        if !self.is_active() {
            return None;
        }
        self.steps.iter().enumerate().find_map(|(i, s)| {
            (s.kind == "backfill" && s.status == StepStatus::Running)
                .then(|| self.backfill(i))
                .flatten()
                .map(|b| (i, b))
        })
    }

    /// Step `i`'s backfill progress, if it is a backfill that started.
    pub fn backfill(&self, i: usize) -> Option<&crate::record::BackfillProgress> {
        self.record
            .step(&self.steps.get(i)?.id)
            .and_then(|r| r.backfill.as_ref())
    }

    /// Whether a statement (or command) is running now.
    pub fn statement_running(&self) -> bool {
        self.is_active()
            && self
                .steps
                .iter()
                .any(|s| s.status == StepStatus::Running && s.kind != "probe")
    }

    /// Expected work not done yet at the run's pace, as the engine projects it at a gate
    /// ([`Plan::outlook`]): pending steps in full, running ones for what is left, a sampling
    /// phase's window (capped in a rehearsal, as journaled).
    pub fn outlook(&self, now: DateTime<Utc>) -> crate::plan::forecast::Outlook {
        use crate::plan::forecast::{PhaseProgress, StepProgress};
        let since =
            |t: Option<DateTime<Utc>>| t.and_then(|t| (now - t).to_std().ok()).unwrap_or_default();
        let cap = self
            .record
            .attempts
            .last()
            .and_then(|a| a.plan.as_ref())
            .and_then(|p| p.monitor_cap_ms)
            .map(Duration::from_millis);
        self.plan.outlook(
            cap,
            |i| match self
                .steps
                .get(i)
                .map(|s| (s.status, s.started, s.duration_ms))
            {
                // A backfill knows what is left better than its expected duration does.
                Some((StepStatus::Running, _, _))
                    if let Some(eta) = self.backfill(i).and_then(|b| b.eta()) =>
                {
                    StepProgress::Left(eta)
                }
                Some((StepStatus::Running, started, _)) => StepProgress::Running(since(started)),
                Some((
                    StepStatus::Pending
                    | StepStatus::Waiting
                    | StepStatus::Uncertain
                    | StepStatus::Interrupted,
                    _,
                    _,
                ))
                | None => StepProgress::ToDo,
                Some((_, _, took)) => StepProgress::Done(took.map(Duration::from_millis)),
            },
            |p| match self.phases.get(p) {
                Some(ph) if ph.finished.is_some() => PhaseProgress::Finished,
                Some(ph) if ph.started.is_some() => PhaseProgress::Running(since(ph.started)),
                _ => PhaseProgress::NotStarted,
            },
        )
    }

    /// When the window is projected to end, from the remaining expected work.
    pub fn projected_end(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let Some((_, _)) = &self.outcome {
            return self.last_ts;
        }
        if !self.started {
            // Not started yet: the plan's own end from the planned window start.
            let start = self.header.window_start?;
            return chrono::Duration::from_std(self.planned_end)
                .ok()
                .map(|d| start + d);
        }
        self.forecast(now).map(|f| f.end).or_else(|| {
            let remaining = chrono::Duration::from_std(self.outlook(now).remaining).ok()?;
            Some(now + remaining)
        })
    }

    /// The live forecast of a run under way against its hard end (the one a gate journals).
    pub fn forecast(&self, now: DateTime<Utc>) -> Option<crate::plan::forecast::Forecast> {
        if !self.started || !self.is_active() {
            return None;
        }
        Some(crate::plan::forecast::Forecast::new(
            now,
            self.outlook(now),
            self.header.hard_end?,
            self.window_budget,
        ))
    }

    /// Checks summary: (passed, failed critical, failed warnings, pending).
    pub fn check_counts(&self) -> (usize, usize, usize, usize) {
        let mut counts = (0, 0, 0, 0);
        for &i in &self.checks {
            match &self.steps[i].check {
                Some(c) if c.passed => counts.0 += 1,
                Some(c) if c.is_warning() => counts.2 += 1,
                Some(_) => counts.1 += 1,
                None => counts.3 += 1,
            }
        }
        counts
    }
}

/// A decision in one word.
pub fn decision_word(decision: Option<Decision>) -> &'static str {
    decision.map_or("acknowledged", crate::narration::decision_word)
}
