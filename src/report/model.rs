//! Journal entries → [`Report`]: a pure fold over the events, no I/O and no database.
//!
//! The structs here *are* the JSON schema (`docs/report-schema.md`, `schema_version` 1):
//! renaming or retyping a field is a schema change. They mirror the engine's events but do
//! not reuse its types, so an engine refactor cannot silently change the report's shape.

use crate::events::{Blocker, Decision, Event, Outcome, PlannedWindow, SqlFailure};
use crate::journal::Entry;
use crate::runbook::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

pub type Timestamp = DateTime<Utc>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub journal: JournalInfo,
    pub summary: Summary,
    pub environment: Environment,
    /// One per `run_started`: a resumed run has several.
    pub segments: Vec<Segment>,
    /// The gaps between segments: why the run stopped and when it was resumed.
    pub interruptions: Vec<Interruption>,
    pub checkpoints: Vec<Checkpoint>,
    /// The plan journaled at run start, each phase and step next to what happened. Absent
    /// (omitted from the JSON) for journals written before the engine journaled its plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanReport>,
    /// Each time a phase ran (a resumed run starts its phases again), in journal order.
    pub phases: Vec<Phase>,
    /// Every step the journal mentions, in order of first appearance.
    pub steps: Vec<Step>,
    /// Every check result, in journal order (a check runs again when a run is resumed).
    pub checks: Vec<CheckResult>,
    pub probes: Vec<Probe>,
    pub alerts: Vec<Alert>,
    pub rollbacks: Vec<Rollback>,
    pub aborts: Vec<Abort>,
    pub cancellations: Vec<Cancellation>,
    /// Anything odd about the journal itself (unreadable lines, sequence gaps, ...).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JournalInfo {
    /// The journal as named on the command line; `null` when built from entries alone.
    pub file: Option<String>,
    pub entries: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// 1-based line numbers that could not be read.
    pub unreadable_lines: Vec<usize>,
    /// The last line is unreadable: a write cut short by a crash or power loss.
    pub torn_tail: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Succeeded,
    Failed,
    Halted,
    RolledBack,
    Aborted,
    Interrupted,
    /// No `run_finished`: the process was killed or crashed (or is still running).
    Incomplete,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::Halted => "halted",
            RunOutcome::RolledBack => "rolled_back",
            RunOutcome::Aborted => "aborted",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::Incomplete => "incomplete",
        }
    }
}

impl From<Outcome> for RunOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Succeeded => RunOutcome::Succeeded,
            Outcome::Failed => RunOutcome::Failed,
            Outcome::Halted => RunOutcome::Halted,
            Outcome::RolledBack => RunOutcome::RolledBack,
            Outcome::Aborted => RunOutcome::Aborted,
            Outcome::Interrupted => RunOutcome::Interrupted,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub run_id: Option<String>,
    pub runbook: Option<String>,
    pub title: Option<String>,
    /// As journaled: already redacted (no password).
    pub target: Option<String>,
    /// Who started the run (each segment names its own operator).
    pub operator: Option<String>,
    /// The outcome of the last segment; `incomplete` without a `run_finished`.
    pub outcome: RunOutcome,
    pub message: Option<String>,
    /// Where the journal stops when the outcome is `incomplete`.
    pub stopped_at: Option<StoppedAt>,
    pub window: Window,
    pub counts: Counts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoppedAt {
    /// The `event` name of the last readable entry.
    pub event: String,
    pub seq: u64,
    pub at: Timestamp,
    /// The step that was running (or waiting) then, if any.
    pub step: Option<String>,
    pub phase: Option<String>,
    /// The unreadable line after it, when the tail is torn.
    pub torn_line: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// The hard end journaled when the run first started (`run_started.hard_end`).
    pub planned_end: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    /// The timestamp of the last readable entry.
    pub ended_at: Option<Timestamp>,
    /// Wall clock from start to end, interruptions included.
    pub duration_ms: Option<u64>,
    /// The sum of the segments' durations (interruptions excluded).
    pub active_ms: Option<u64>,
    /// `planned_end - ended_at`: positive is time to spare, negative an overrun.
    pub margin_ms: Option<i64>,
    /// With a journaled plan only (omitted otherwise): the plan's window start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_start: Option<Timestamp>,
    /// With a plan: when the last planned phase is due to end (at or before the hard end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_finish: Option<Timestamp>,
    /// With a plan: `started_at - planned_start`; positive is a late start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_delay_ms: Option<i64>,
    /// With a plan: `planned_finish - ended_at`: positive is ahead of the plan, negative
    /// behind it; absent when the run did not finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_margin_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Migrations applied and still in the database (not rolled back; a failed rollback leaves
    /// its migration applied): what `cutover status` counts as applied.
    pub steps_applied: u32,
    /// Commands run and manual steps acknowledged (not migrations, so not in `steps_applied`).
    pub steps_done: u32,
    pub steps_failed: u32,
    pub steps_rolled_back: u32,
    /// Skipped because an earlier run had already done them.
    pub steps_skipped: u32,
    /// Started but never finished (crash, kill, cancel).
    pub steps_interrupted: u32,
    /// By each check's latest result.
    pub checks_passed: u32,
    pub checks_failed: u32,
    pub checks_failed_critical: u32,
    pub checks_failed_warning: u32,
    pub alerts: u32,
    /// Go decisions that overrode failed critical checks.
    pub overrides: u32,
    pub interruptions: u32,
    pub lock_waits: u32,
    pub lock_retries: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub server_version: Option<String>,
    pub cutover_version: Option<String>,
    pub runbook_checksum: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// 1-based.
    pub index: u32,
    pub run_id: String,
    pub resumed: bool,
    pub operator: String,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    /// This segment's `hard_end` (a resumed run computes its own).
    pub hard_end: Option<Timestamp>,
    pub server_version: String,
    pub cutover_version: String,
    pub runbook_checksum: String,
    pub outcome: RunOutcome,
    pub message: Option<String>,
    pub last_event: String,
    /// The step running or waiting when the segment ended, if any.
    pub stopped_in_step: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    pub after_segment: u32,
    pub at: Timestamp,
    /// How the segment ended; `incomplete` is a crash or kill.
    pub outcome: RunOutcome,
    pub message: Option<String>,
    pub last_event: String,
    pub step: Option<String>,
    pub resumed_at: Timestamp,
    pub resumed_by: String,
    pub gap_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Go,
    Abort,
    Rollback,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Go => "go",
            DecisionKind::Abort => "abort",
            DecisionKind::Rollback => "rollback",
        }
    }
}

impl From<Decision> for DecisionKind {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Go => DecisionKind::Go,
            Decision::Abort => DecisionKind::Abort,
            Decision::Rollback => DecisionKind::Rollback,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub step: String,
    pub segment: u32,
    /// `null` for a decision restored from an earlier segment without reaching the gate.
    pub reached_at: Option<Timestamp>,
    pub prompt: Option<String>,
    pub questions: Vec<String>,
    /// Critical checks that had failed when the gate was reached.
    pub failed_critical: Vec<String>,
    pub projected_end: Option<Timestamp>,
    pub hard_end: Option<Timestamp>,
    pub rejections: Vec<Rejection>,
    /// Other sessions in long transactions or lock waits while the gate waited (the last
    /// look before the decision), one line each; absent when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_sessions: Vec<String>,
    /// `null`: nobody decided (the run halted or stopped at the gate).
    pub decision: Option<DecisionRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub decision: DecisionKind,
    pub operator: String,
    pub at: Timestamp,
    pub comment: Option<String>,
    pub answers: Vec<Answer>,
    /// Failed critical checks this go overrode: always worth a second look.
    pub overrode_failed_checks: Vec<String>,
    /// Given in an earlier segment of this run and standing.
    pub restored: bool,
    /// From reaching the gate to the decision.
    pub waited_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    pub confirmed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub phase: String,
    pub segment: u32,
    pub started_at: Timestamp,
    /// `null` when the phase never finished (stop, rollback, crash).
    pub finished_at: Option<Timestamp>,
    /// `finished_at`, or the last event of the phase when it never finished.
    pub ended_at: Timestamp,
    /// As journaled by `phase_finished`, else `ended_at - started_at`.
    pub duration_ms: u64,
    /// Known only when the phase overran it (`phase_budget_exceeded`).
    pub budget_ms: Option<u64>,
    pub budget_exceeded_at: Option<Timestamp>,
    pub overrun_ms: Option<u64>,
    /// What ran in this phase, with actual times.
    pub spans: Vec<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Migrate,
    Check,
    Probe,
    Command,
    Manual,
    Checkpoint,
    /// Only skipped in this journal: its kind is not recorded.
    Unknown,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Migrate => "migrate",
            StepKind::Check => "check",
            StepKind::Probe => "probe",
            StepKind::Command => "command",
            StepKind::Manual => "manual",
            StepKind::Checkpoint => "checkpoint",
            StepKind::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanResult {
    Done,
    Failed,
    /// A checkpoint decided abort or rollback.
    NoGo,
    /// A probe that raised an alert.
    Alert,
    /// Still running or waiting when its segment ended.
    Interrupted,
}

/// One stretch of a step's activity within a phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub step: String,
    pub kind: StepKind,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub result: SpanResult,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// A migration that finished.
    Applied,
    /// A command, manual step or probe that finished.
    Done,
    /// A check whose latest result passed.
    Passed,
    /// A check whose latest result failed.
    CheckFailed,
    Failed,
    /// A checkpoint passed with a go.
    Go,
    /// A checkpoint decided abort or rollback.
    NoGo,
    /// A checkpoint or manual step nobody answered.
    Undecided,
    RolledBack,
    RollbackFailed,
    /// Done before this journal (an earlier run).
    Skipped,
    /// Started and never finished.
    Interrupted,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Applied => "applied",
            StepStatus::Done => "done",
            StepStatus::Passed => "passed",
            StepStatus::CheckFailed => "check_failed",
            StepStatus::Failed => "failed",
            StepStatus::Go => "go",
            StepStatus::NoGo => "no_go",
            StepStatus::Undecided => "undecided",
            StepStatus::RolledBack => "rolled_back",
            StepStatus::RollbackFailed => "rollback_failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    /// The phase it first ran in.
    pub phase: Option<String>,
    pub status: StepStatus,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The engine's measure of the last attempt (for gates and manual steps: the wait).
    pub duration_ms: Option<u64>,
    /// `step_started` events: lock-timeout retries and operator retries each count.
    pub attempts: u32,
    /// From `step_started`; `null` for commands (no transaction applies).
    pub in_transaction: Option<bool>,
    pub rows: Option<u64>,
    pub statements: u32,
    pub retries: Vec<Retry>,
    pub lock_waits: Vec<LockWait>,
    /// INVALID indexes failed concurrent builds left (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_indexes: Vec<InvalidIndex>,
    pub notices: Vec<Notice>,
    pub errors: Vec<StepError>,
    pub command: Option<CommandOutput>,
    pub skip_reason: Option<String>,
    /// Interrupted between its statements by a crash; the operator resolved it.
    pub uncertain: bool,
    pub acknowledged_by: Option<String>,
    pub prompt: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Retry {
    pub at: Timestamp,
    /// The attempt about to start.
    pub attempt: u32,
    pub delay_ms: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockWait {
    pub at: Timestamp,
    /// How long the statement had been running (waiting included) when seen.
    #[serde(default)]
    pub waited_ms: u64,
    pub blockers: Vec<BlockerInfo>,
}

/// An INVALID index a failed concurrent build of the step left, and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvalidIndex {
    pub at: Timestamp,
    pub index: String,
    /// Dropped (`DROP INDEX CONCURRENTLY`) before the next attempt; otherwise still there.
    pub dropped: bool,
    pub error: Option<SqlError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockerInfo {
    pub pid: i32,
    pub application_name: String,
    pub state: String,
    pub query: String,
    pub xact_age_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub at: Timestamp,
    pub severity: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepError {
    pub at: Timestamp,
    pub attempt: u32,
    pub error: SqlError,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlError {
    pub sqlstate: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based statement index within the step.
    pub statement: Option<usize>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl From<&SqlFailure> for SqlError {
    fn from(f: &SqlFailure) -> Self {
        SqlError {
            sqlstate: f.sqlstate.clone(),
            message: f.message.clone(),
            detail: f.detail.clone(),
            hint: f.hint.clone(),
            statement: f.statement,
            file: f.file.clone(),
            line: f.line,
            column: f.column,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandOutput {
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSeverity {
    Critical,
    Warning,
}

impl CheckSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckSeverity::Critical => "critical",
            CheckSeverity::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub step: String,
    pub segment: u32,
    pub at: Timestamp,
    pub passed: bool,
    /// The expectation as the runbook reads (`>= 3`, `2 rows`, `no rows`, `between 50 and 500`).
    pub expected: String,
    pub actual: String,
    pub severity: CheckSeverity,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub step: String,
    pub samples: u32,
    /// Samples that were numbers; min/mean/max are over these.
    pub numeric_samples: u32,
    /// Samples with no value (no row, NULL, or a failed query).
    pub null_samples: u32,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
    pub last: Option<String>,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    pub alerts: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub step: String,
    pub at: Timestamp,
    pub value: String,
    pub threshold: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rollback {
    pub segment: u32,
    pub started_at: Timestamp,
    /// The checkpoint whose no-go asked for it, if any.
    pub checkpoint: Option<String>,
    /// The failed step it followed, if any.
    pub failed_step: Option<String>,
    /// The migrations to undo, in the order they were to be undone.
    pub planned: Vec<String>,
    pub results: Vec<RollbackResult>,
    /// Every planned step was undone.
    pub complete: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollbackResult {
    pub step: String,
    pub at: Timestamp,
    pub ok: bool,
    pub error: Option<SqlError>,
    /// Nothing was run to undo the step, so it is still applied: why (no rollback SQL, only
    /// comments, declared irreversible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_applied: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Abort {
    pub segment: u32,
    pub at: Timestamp,
    /// The checkpoint whose no-go aborted, if any.
    pub checkpoint: Option<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cancellation {
    pub segment: u32,
    pub at: Timestamp,
    pub reason: String,
    /// The step running when it was cancelled, if any.
    pub step: Option<String>,
}

/// A step that took at least this many times its expected duration...
pub const MUCH_LONGER_FACTOR: u64 = 2;
/// ...and at least this much longer is flagged (sub-second noise is not).
pub const MUCH_LONGER_MIN_MS: u64 = 1000;

/// The plan the run followed (`run_started.plan`, the first one in the journal: a resumed
/// attempt journals the plan again, but the window it is measured against never moves).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    /// The segment whose `run_started` journaled it.
    pub segment: u32,
    pub window_start: Timestamp,
    pub window_budget_ms: u64,
    /// In plan order.
    pub phases: Vec<PlannedPhase>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseProgress {
    /// No `phase_started` for it: the run stopped before.
    NotStarted,
    /// Its last run finished (`phase_finished`).
    Finished,
    /// Its last run never finished (stop, rollback, crash).
    Unfinished,
}

impl PhaseProgress {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseProgress::NotStarted => "not_started",
            PhaseProgress::Finished => "finished",
            PhaseProgress::Unfinished => "unfinished",
        }
    }
}

/// A planned phase (absolute times) and what it actually took, over all its runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedPhase {
    pub phase: String,
    /// As planned: `preparation`, `migration`, `verification`, `monitoring`.
    pub kind: String,
    pub planned_start: Timestamp,
    pub planned_end: Timestamp,
    pub budget_ms: u64,
    pub progress: PhaseProgress,
    /// The segments it ran in.
    pub segments: Vec<u32>,
    /// Its first start and its last end (`null` when it never started).
    pub actual_start: Option<Timestamp>,
    pub actual_end: Option<Timestamp>,
    /// The sum of its runs' durations.
    pub duration_ms: Option<u64>,
    /// `actual_start - planned_start`: positive is late.
    pub start_delay_ms: Option<i64>,
    /// `actual_end - planned_end`: positive is an overrun past the planned end. For a phase
    /// that never finished, only an overrun it had already run into (else `null`).
    pub end_overrun_ms: Option<i64>,
    /// `duration_ms - budget_ms`: positive is over budget; unfinished: as above.
    pub budget_overrun_ms: Option<i64>,
    /// In planned execution order.
    pub steps: Vec<PlannedStep>,
}

/// A planned step and how long it actually took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub step: String,
    pub kind: String,
    pub planned_start: Timestamp,
    pub planned_end: Timestamp,
    pub expected_ms: u64,
    /// Its first span's start and its last span's end (`null` if it never ran here).
    pub actual_start: Option<Timestamp>,
    pub actual_end: Option<Timestamp>,
    /// The wall time of its spans: every attempt, lock waits and retries included.
    pub actual_ms: Option<u64>,
    /// `actual_ms - expected_ms`; for a step whose last span was interrupted, only a
    /// positive one (else `null`).
    pub over_expected_ms: Option<i64>,
    /// At least [`MUCH_LONGER_FACTOR`] times the expected duration and
    /// [`MUCH_LONGER_MIN_MS`] over it; never for a step expected to take no time.
    pub much_longer: bool,
}

impl Report {
    /// The one-line verdict shared by every format, e.g. `succeeded` or
    /// `INCOMPLETE — the journal ends at statement_started (…), during step x`.
    pub fn outcome_line(&self) -> String {
        self.outcome_line_with(&|t| t.to_owned(), &|t| t.to_owned())
    }

    /// [`Report::outcome_line`] with identifiers (event, step and phase names) and free text
    /// (the run's message) each passed through a renderer's own quoting.
    pub fn outcome_line_with(
        &self,
        ident: &dyn Fn(&str) -> String,
        text: &dyn Fn(&str) -> String,
    ) -> String {
        let s = &self.summary;
        match (&s.outcome, &s.stopped_at) {
            (RunOutcome::Incomplete, Some(stop)) => {
                let mut line = format!(
                    "INCOMPLETE — the journal ends at {} ({})",
                    ident(&stop.event),
                    stop.at.format("%Y-%m-%d %H:%M:%S UTC")
                );
                match (&stop.step, &stop.phase) {
                    (Some(step), _) => line.push_str(&format!(", during step {}", ident(step))),
                    (None, Some(phase)) => {
                        line.push_str(&format!(", between steps of phase {}", ident(phase)))
                    }
                    (None, None) => line.push_str(", outside any phase"),
                }
                if let Some(n) = stop.torn_line {
                    line.push_str(&format!(
                        "; line {n} is torn (a write cut short): a crash or kill"
                    ));
                } else {
                    line.push_str(&format!(
                        "; there is no {}: a crash or kill",
                        ident("run_finished")
                    ));
                }
                line
            }
            (RunOutcome::Incomplete, None) => match self.journal.unreadable_lines.as_slice() {
                [] => "INCOMPLETE — the journal holds no readable event: nothing was recorded (the file is empty: a run killed before its first journal write, or one that has not written yet)".to_owned(),
                [line] => format!(
                    "INCOMPLETE — the journal holds no readable event: nothing was recorded (line {line} is torn: a run killed before its first journal write was complete)"
                ),
                lines => format!(
                    "INCOMPLETE — the journal holds no readable event: nothing was recorded ({} unreadable lines)",
                    lines.len()
                ),
            },
            (outcome, _) => match &s.message {
                Some(m) => format!("{} — {}", outcome.as_str(), text(m)),
                None => outcome.as_str().to_owned(),
            },
        }
    }

    /// Go decisions that overrode failed critical checks.
    pub fn overrides(&self) -> impl Iterator<Item = (&Checkpoint, &DecisionRecord)> {
        self.checkpoints.iter().filter_map(|c| {
            c.decision
                .as_ref()
                .filter(|d| !d.overrode_failed_checks.is_empty())
                .map(|d| (c, d))
        })
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// A step as planned, when the journal holds a plan that names it.
    pub fn planned_step(&self, id: &str) -> Option<&PlannedStep> {
        self.plan
            .as_ref()?
            .phases
            .iter()
            .flat_map(|p| &p.steps)
            .find(|s| s.step == id)
    }

    /// A phase as planned, when the journal holds a plan that names it.
    pub fn planned_phase(&self, id: &str) -> Option<&PlannedPhase> {
        self.plan.as_ref()?.phases.iter().find(|p| p.phase == id)
    }

    /// Planned steps that took much longer than expected, in plan order.
    pub fn much_longer_steps(&self) -> impl Iterator<Item = &PlannedStep> {
        self.plan
            .iter()
            .flat_map(|p| &p.phases)
            .flat_map(|p| &p.steps)
            .filter(|s| s.much_longer)
    }
}

/// A step's state from the run record, in the report's words (`None`: not started, the
/// report's own default stands).
fn report_status(status: crate::record::Status, kind: StepKind) -> Option<StepStatus> {
    use crate::record::Status;
    Some(match status {
        Status::Pending => return None,
        Status::Running | Status::Uncertain => StepStatus::Interrupted,
        Status::Waiting => StepStatus::Undecided,
        Status::Interrupted if matches!(kind, StepKind::Checkpoint | StepKind::Manual) => {
            StepStatus::Undecided
        }
        Status::Interrupted => StepStatus::Interrupted,
        Status::Done => match kind {
            StepKind::Migrate | StepKind::Unknown => StepStatus::Applied,
            StepKind::Check => StepStatus::Passed,
            StepKind::Checkpoint => StepStatus::Go,
            StepKind::Command | StepKind::Manual | StepKind::Probe => StepStatus::Done,
        },
        Status::LeftApplied => StepStatus::Applied,
        Status::CheckFailed => StepStatus::CheckFailed,
        Status::Failed => StepStatus::Failed,
        Status::Skipped => StepStatus::Skipped,
        Status::Go => StepStatus::Go,
        Status::NoGo => StepStatus::NoGo,
        Status::RolledBack => StepStatus::RolledBack,
        Status::RollbackFailed => StepStatus::RollbackFailed,
    })
}

/// Builds the report from a journal's readable entries and the line numbers it could not read.
pub fn build(entries: &[Entry], unreadable: &[usize]) -> Report {
    let mut b = Builder::default();
    b.warn_unreadable(entries, unreadable);
    for entry in entries {
        b.entry(entry);
    }
    b.finish(entries, unreadable)
}

/// The serde tag of an event (`run_started`, `statement_finished`, ...).
pub fn event_name(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn parse_ts(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn ms_between(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from((to - from).num_milliseconds()).unwrap_or(0)
}

/// The last unreadable line comes after every readable one (blank lines are not counted by
/// the replay, so line numbers can only run ahead of the count).
fn torn_tail(entries: usize, unreadable: &[usize]) -> bool {
    unreadable
        .last()
        .is_some_and(|&line| line >= entries + unreadable.len())
}

#[derive(Default)]
struct ProbeAcc {
    samples: u32,
    numeric: u32,
    nulls: u32,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
    last: Option<String>,
    first_at: Option<Timestamp>,
    last_at: Option<Timestamp>,
    alerts: u32,
}

/// An open span: where it lives (phase index, span index).
#[derive(Clone, Copy)]
struct OpenSpan {
    phase: usize,
    span: usize,
    opened: u64,
}

#[derive(Default)]
struct Builder {
    /// The run record the report's step facts come from.
    record: crate::record::RunRecord,
    warnings: Vec<String>,
    summary_set: bool,
    run_id: Option<String>,
    runbook: Option<String>,
    title: Option<String>,
    target: Option<String>,
    operator: Option<String>,
    environment: Environment,
    segments: Vec<Segment>,
    segment_open: bool,
    checkpoints: Vec<Checkpoint>,
    phases: Vec<Phase>,
    current_phase: Option<usize>,
    steps: Vec<Step>,
    index: BTreeMap<String, usize>,
    open: BTreeMap<String, OpenSpan>,
    opened_counter: u64,
    checks: Vec<CheckResult>,
    probe_order: Vec<String>,
    probes: BTreeMap<String, ProbeAcc>,
    alerts: Vec<Alert>,
    rollbacks: Vec<Rollback>,
    in_rollback: Option<usize>,
    aborts: Vec<Abort>,
    cancellations: Vec<Cancellation>,
    last_decision: Option<(String, DecisionKind)>,
    last_failed_step: Option<String>,
    last_seq: Option<u64>,
    last_ts: Option<Timestamp>,
    warned_outside: bool,
    /// Checks whose `check_result` closed their current attempt: the engine may journal a
    /// parallel batch's `step_finished` together when the batch ends, so a check's own
    /// `duration_ms` is its measure, not the time until its `step_finished`.
    check_measured: std::collections::BTreeSet<String>,
    /// The reference plan: the first one journaled, with its segment and seq.
    plan: Option<(u32, u64, PlannedWindow)>,
}

impl Builder {
    fn segment_no(&self) -> u32 {
        u32::try_from(self.segments.len()).unwrap_or(u32::MAX)
    }

    fn warn_unreadable(&mut self, entries: &[Entry], unreadable: &[usize]) {
        let torn = torn_tail(entries.len(), unreadable);
        for (i, &line) in unreadable.iter().enumerate() {
            if torn && i + 1 == unreadable.len() {
                self.warnings.push(format!(
                    "line {line} is torn (cut short mid-write: a crash, kill or power loss); it was left out"
                ));
            } else {
                self.warnings.push(format!(
                    "line {line} is not a readable journal entry (a write torn before a resume?); it was left out"
                ));
            }
        }
    }

    /// The rollback a `rollback_step` belongs to (one is opened, with a warning, for a journal
    /// that lost its `rollback_started`).
    fn rollback_in_progress(&mut self, segment: u32, ts: Timestamp, seq: u64) -> usize {
        if let Some(r) = self.in_rollback {
            return r;
        }
        self.warnings
            .push(format!("seq {seq}: rollback_step without rollback_started"));
        self.rollbacks.push(Rollback {
            segment,
            started_at: ts,
            checkpoint: None,
            failed_step: None,
            planned: Vec::new(),
            results: Vec::new(),
            complete: false,
        });
        self.in_rollback = Some(self.rollbacks.len() - 1);
        self.rollbacks.len() - 1
    }

    fn step_mut(&mut self, id: &str) -> &mut Step {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                let phase = self.current_phase.map(|p| self.phases[p].phase.clone());
                self.steps.push(Step {
                    id: id.to_owned(),
                    kind: StepKind::Unknown,
                    phase,
                    status: StepStatus::Skipped,
                    started_at: None,
                    finished_at: None,
                    duration_ms: None,
                    attempts: 0,
                    in_transaction: None,
                    rows: None,
                    statements: 0,
                    retries: Vec::new(),
                    lock_waits: Vec::new(),
                    invalid_indexes: Vec::new(),
                    notices: Vec::new(),
                    errors: Vec::new(),
                    command: None,
                    skip_reason: None,
                    uncertain: false,
                    acknowledged_by: None,
                    prompt: None,
                });
                let i = self.steps.len() - 1;
                self.index.insert(id.to_owned(), i);
                i
            }
        };
        &mut self.steps[i]
    }

    /// Records what kind a step is; more specific evidence wins over `migrate` (a check's
    /// `step_started` looks like a migration's until its `check_result`).
    fn kind(&mut self, id: &str, kind: StepKind) {
        let step = self.step_mut(id);
        if step.kind == StepKind::Unknown || (step.kind == StepKind::Migrate && kind != step.kind) {
            step.kind = kind;
        }
    }

    fn open_span(&mut self, id: &str, ts: Timestamp) {
        if self.open.contains_key(id) {
            return;
        }
        let Some(p) = self.current_phase else {
            return;
        };
        self.phases[p].spans.push(Span {
            step: id.to_owned(),
            kind: StepKind::Unknown,
            started_at: ts,
            ended_at: ts,
            result: SpanResult::Interrupted,
        });
        self.opened_counter += 1;
        let span = self.phases[p].spans.len() - 1;
        self.open.insert(
            id.to_owned(),
            OpenSpan {
                phase: p,
                span,
                opened: self.opened_counter,
            },
        );
        let step = self.step_mut(id);
        if step.started_at.is_none() {
            step.started_at = Some(ts);
        }
    }

    fn close_span(&mut self, id: &str, ts: Timestamp, result: SpanResult) -> Option<Timestamp> {
        let open = self.open.remove(id)?;
        let span = &mut self.phases[open.phase].spans[open.span];
        span.ended_at = ts;
        span.result = result;
        Some(span.started_at)
    }

    /// The step most recently opened and still running or waiting.
    fn running_step(&self) -> Option<String> {
        self.open
            .iter()
            .max_by_key(|(_, o)| o.opened)
            .map(|(id, _)| id.clone())
    }

    /// Ends the current segment at `ts` (its last event): open spans are interrupted, the
    /// open phase ends.
    fn close_segment(&mut self, ts: Timestamp) {
        if !self.segment_open {
            return;
        }
        let stopped = self.running_step();
        let open: Vec<String> = self.open.keys().cloned().collect();
        for id in open {
            self.close_span(&id, ts, SpanResult::Interrupted);
        }
        if let Some(p) = self.current_phase.take() {
            let phase = &mut self.phases[p];
            phase.ended_at = ts;
            phase.duration_ms = ms_between(phase.started_at, ts);
        }
        self.in_rollback = None;
        if let Some(seg) = self.segments.last_mut() {
            seg.ended_at = ts;
            seg.stopped_in_step = stopped;
        }
        self.segment_open = false;
    }

    fn entry(&mut self, entry: &Entry) {
        // A step's status, attempts, rows and times: the run record's, as on the screen.
        self.record.apply(entry);
        if let Some(prev) = self.last_seq
            && entry.seq != prev + 1
        {
            self.warnings.push(format!(
                "seq jumps from {prev} to {}: the journal may be missing events",
                entry.seq
            ));
        }
        self.last_seq = Some(entry.seq);
        let ts = entry.ts;
        let segment = self.segment_no();
        if !self.segment_open
            && !self.warned_outside
            && !matches!(entry.event, Event::RunStarted { .. })
        {
            self.warned_outside = true;
            self.warnings.push(if segment == 0 {
                format!(
                    "seq {}: events before any run_started: the start of the journal is missing",
                    entry.seq
                )
            } else {
                format!(
                    "seq {}: events after run_finished without a new run_started",
                    entry.seq
                )
            });
        }
        match &entry.event {
            Event::RunStarted {
                run_id,
                runbook,
                title,
                checksum,
                operator,
                target,
                server_version,
                cutover_version,
                resumed,
                hard_end,
                plan,
            } => {
                // A previous attempt that ended without run_finished: a crash or kill.
                if let Some(last) = self.last_ts {
                    self.close_segment(last);
                }
                self.warned_outside = false;
                if self.summary_set {
                    if self.run_id.as_deref() != Some(run_id.as_str()) {
                        self.warnings.push(format!(
                            "seq {}: a different run ({run_id}) starts in this journal; the report treats it as part of {}",
                            entry.seq,
                            self.run_id.as_deref().unwrap_or("?")
                        ));
                    } else if !resumed {
                        self.warnings.push(format!(
                            "seq {}: run_started again without resumed",
                            entry.seq
                        ));
                    }
                    if self.environment.runbook_checksum.as_deref() != Some(checksum.as_str()) {
                        self.warnings.push(format!(
                            "the runbook changed between attempts: checksum {} at seq {}",
                            checksum, entry.seq
                        ));
                    }
                    if self.environment.server_version.as_deref() != Some(server_version.as_str()) {
                        self.warnings.push(format!(
                            "the server version changed between attempts: {} at seq {}",
                            server_version, entry.seq
                        ));
                    }
                } else {
                    self.summary_set = true;
                    self.run_id = Some(run_id.clone());
                    self.runbook = Some(runbook.clone());
                    self.title = Some(title.clone());
                    self.target = Some(target.clone());
                    self.operator = Some(operator.clone());
                    self.environment = Environment {
                        server_version: Some(server_version.clone()),
                        cutover_version: Some(cutover_version.clone()),
                        runbook_checksum: Some(checksum.clone()),
                    };
                    if *resumed {
                        self.warnings.push(
                            "the journal starts with a resumed run: earlier attempts are in another journal".to_owned(),
                        );
                    }
                }
                let planned = parse_ts(hard_end);
                if planned.is_none() {
                    self.warnings.push(format!(
                        "seq {}: hard_end `{hard_end}` is not RFC 3339",
                        entry.seq
                    ));
                }
                self.segments.push(Segment {
                    index: segment + 1,
                    run_id: run_id.clone(),
                    resumed: *resumed,
                    operator: operator.clone(),
                    started_at: ts,
                    ended_at: ts,
                    hard_end: planned,
                    server_version: server_version.clone(),
                    cutover_version: cutover_version.clone(),
                    runbook_checksum: checksum.clone(),
                    outcome: RunOutcome::Incomplete,
                    message: None,
                    last_event: "run_started".to_owned(),
                    stopped_in_step: None,
                });
                self.segment_open = true;
                self.last_decision = None;
                self.last_failed_step = None;
                match (&self.plan, plan) {
                    (None, Some(plan)) => self.plan = Some((segment + 1, entry.seq, plan.clone())),
                    (Some((first, _, reference)), Some(plan)) if reference != plan => {
                        self.warnings.push(format!(
                            "seq {}: this attempt journals a different plan; the report compares against the plan of attempt {first}",
                            entry.seq
                        ));
                    }
                    _ => {}
                }
            }
            Event::PhaseStarted { phase } => {
                if let Some(p) = self.current_phase.take() {
                    let prev = &mut self.phases[p];
                    prev.ended_at = ts;
                    prev.duration_ms = ms_between(prev.started_at, ts);
                }
                self.phases.push(Phase {
                    phase: phase.clone(),
                    segment,
                    started_at: ts,
                    finished_at: None,
                    ended_at: ts,
                    duration_ms: 0,
                    budget_ms: None,
                    budget_exceeded_at: None,
                    overrun_ms: None,
                    spans: Vec::new(),
                });
                self.current_phase = Some(self.phases.len() - 1);
            }
            Event::PhaseBudgetExceeded { phase, budget_ms } => {
                if let Some(p) = self.phases.iter_mut().rev().find(|p| &p.phase == phase) {
                    p.budget_ms = Some(*budget_ms);
                    p.budget_exceeded_at.get_or_insert(ts);
                }
            }
            Event::PhaseFinished { phase, duration_ms } => {
                if let Some(p) = self.phases.iter().rposition(|p| &p.phase == phase) {
                    let open: Vec<String> = self
                        .open
                        .iter()
                        .filter(|(_, o)| o.phase == p)
                        .map(|(id, _)| id.clone())
                        .collect();
                    for id in open {
                        self.close_span(&id, ts, SpanResult::Interrupted);
                    }
                    let ph = &mut self.phases[p];
                    ph.finished_at = Some(ts);
                    ph.ended_at = ts;
                    ph.duration_ms = *duration_ms;
                    if self.current_phase == Some(p) {
                        self.current_phase = None;
                    }
                }
            }
            Event::StepSkipped { step, reason } => {
                self.step_mut(step).skip_reason = Some(reason.clone());
            }
            Event::StepStarted {
                step,
                attempt: _,
                in_transaction,
            } => {
                self.kind(
                    step,
                    if in_transaction.is_some() {
                        StepKind::Migrate
                    } else {
                        StepKind::Command
                    },
                );
                self.check_measured.remove(step);
                self.open_span(step, ts);
                let s = self.step_mut(step);
                s.in_transaction = *in_transaction;
            }
            Event::StatementStarted { step, .. } => {
                if self.in_rollback.is_none() {
                    self.step_mut(step);
                }
            }
            Event::StatementFinished { step, .. } => {
                if self.in_rollback.is_none() {
                    self.step_mut(step).statements += 1;
                }
            }
            // The details are the run record's; the step takes its place in the report here.
            Event::Notice { step, .. }
            | Event::LockWait { step, .. }
            | Event::InvalidIndexDropped { step, .. }
            | Event::Retry { step, .. } => {
                self.step_mut(step);
            }
            Event::StepFinished { step, .. } => {
                let failed_check = self
                    .record
                    .step(step)
                    .is_some_and(|r| r.status == crate::record::Status::CheckFailed);
                let result = if failed_check {
                    SpanResult::Failed
                } else {
                    SpanResult::Done
                };
                self.close_span(step, ts, result);
                self.check_measured.remove(step);
            }
            Event::StepFailed { step, .. } => {
                self.close_span(step, ts, SpanResult::Failed);
                self.step_mut(step);
            }
            Event::CommandOutput { step, .. } => self.kind(step, StepKind::Command),
            Event::CheckResult {
                step,
                passed,
                actual,
                expected,
                severity,
                duration_ms,
            } => {
                self.kind(step, StepKind::Check);
                // With its `step_started` journaled, the check ran from there for its own
                // `duration_ms` (never past this event): its span, finish and duration end
                // there, whenever the engine gets round to journaling `step_finished`.
                let measured = self.open.get(step).map(|o| {
                    let span = &self.phases[o.phase].spans[o.span];
                    offset(span.started_at, *duration_ms)
                        .unwrap_or(ts)
                        .min(ts)
                        .max(span.started_at)
                });
                let result = if *passed {
                    SpanResult::Done
                } else {
                    SpanResult::Failed
                };
                match measured {
                    Some(end) => {
                        self.close_span(step, end, result);
                        self.check_measured.insert(step.clone());
                        let s = self.step_mut(step);
                        s.finished_at = Some(end);
                        s.duration_ms = Some(*duration_ms);
                    }
                    None => self.open_span(step, ts),
                }
                self.checks.push(CheckResult {
                    step: step.clone(),
                    segment,
                    at: ts,
                    passed: *passed,
                    expected: expected.to_string(),
                    actual: actual.clone(),
                    severity: match severity {
                        Severity::Critical => CheckSeverity::Critical,
                        Severity::Warning => CheckSeverity::Warning,
                    },
                    duration_ms: *duration_ms,
                });
            }
            Event::ProbeSample { step, value, alert } => {
                self.kind(step, StepKind::Probe);
                if !self.probes.contains_key(step) {
                    self.probe_order.push(step.clone());
                }
                let acc = self.probes.entry(step.clone()).or_default();
                acc.samples += 1;
                acc.first_at.get_or_insert(ts);
                acc.last_at = Some(ts);
                let numeric = match value {
                    Some(crate::runbook::Scalar::Int(i)) => Some(*i as f64),
                    Some(crate::runbook::Scalar::Float(x)) if x.is_finite() => Some(*x),
                    _ => None,
                };
                acc.last = match value {
                    None | Some(crate::runbook::Scalar::Null) => {
                        acc.nulls += 1;
                        None
                    }
                    Some(v) => Some(v.to_string()),
                };
                if let Some(x) = numeric {
                    acc.numeric += 1;
                    acc.sum += x;
                    acc.min = Some(acc.min.map_or(x, |m| m.min(x)));
                    acc.max = Some(acc.max.map_or(x, |m| m.max(x)));
                }
                if let Some(p) = self.current_phase {
                    let spans = &mut self.phases[p].spans;
                    match spans.iter_mut().rev().find(|s| &s.step == step) {
                        Some(span) => span.ended_at = ts,
                        None => spans.push(Span {
                            step: step.clone(),
                            kind: StepKind::Probe,
                            started_at: ts,
                            ended_at: ts,
                            result: SpanResult::Done,
                        }),
                    }
                    if *alert && let Some(span) = spans.iter_mut().rev().find(|s| &s.step == step) {
                        span.result = SpanResult::Alert;
                    }
                }
                let s = self.step_mut(step);
                s.status = StepStatus::Done;
                s.started_at.get_or_insert(ts);
                s.finished_at = Some(ts);
            }
            Event::Alert {
                step,
                value,
                threshold,
            } => {
                self.probes.entry(step.clone()).or_default().alerts += 1;
                self.alerts.push(Alert {
                    step: step.clone(),
                    at: ts,
                    value: value.clone(),
                    threshold: threshold.clone(),
                });
            }
            Event::ManualWaiting { step, prompt } => {
                self.kind(step, StepKind::Manual);
                self.open_span(step, ts);
                self.step_mut(step).prompt = Some(prompt.clone());
            }
            Event::ManualAcknowledged { step, operator } => {
                self.kind(step, StepKind::Manual);
                self.close_span(step, ts, SpanResult::Done);
                self.step_mut(step).acknowledged_by = Some(operator.clone());
            }
            Event::CheckpointReached {
                step,
                prompt,
                questions,
                failed_critical,
                projected_end,
                hard_end,
            } => {
                self.kind(step, StepKind::Checkpoint);
                self.open_span(step, ts);
                self.step_mut(step).prompt = Some(prompt.clone());
                self.checkpoints.push(Checkpoint {
                    step: step.clone(),
                    segment,
                    reached_at: Some(ts),
                    prompt: Some(prompt.clone()),
                    questions: questions.clone(),
                    failed_critical: failed_critical.clone(),
                    projected_end: parse_ts(projected_end),
                    hard_end: parse_ts(hard_end),
                    rejections: Vec::new(),
                    server_sessions: Vec::new(),
                    decision: None,
                });
            }
            Event::ServerActivity { step, sessions } => {
                self.kind(step, StepKind::Checkpoint);
                let cp = self.pending_checkpoint(step, segment);
                self.checkpoints[cp].server_sessions =
                    sessions.iter().map(|s| s.summary(ts)).collect();
            }
            Event::DecisionRejected { step, reason } => {
                self.kind(step, StepKind::Checkpoint);
                let cp = self.pending_checkpoint(step, segment);
                self.checkpoints[cp].rejections.push(Rejection {
                    at: ts,
                    reason: reason.clone(),
                });
            }
            Event::DecisionRecorded {
                step,
                decision,
                operator,
                comment,
                answers,
                overrode_failed_checks,
                restored,
            } => {
                self.kind(step, StepKind::Checkpoint);
                let kind = DecisionKind::from(*decision);
                let cp = self.pending_checkpoint(step, segment);
                let waited_ms = self.checkpoints[cp].reached_at.map(|t| ms_between(t, ts));
                self.checkpoints[cp].decision = Some(DecisionRecord {
                    decision: kind,
                    operator: operator.clone(),
                    at: ts,
                    comment: comment.clone(),
                    answers: answers
                        .iter()
                        .map(|(q, yes)| Answer {
                            question: q.clone(),
                            confirmed: *yes,
                        })
                        .collect(),
                    overrode_failed_checks: overrode_failed_checks.clone(),
                    restored: *restored,
                    waited_ms,
                });
                let result = if kind == DecisionKind::Go {
                    SpanResult::Done
                } else {
                    SpanResult::NoGo
                };
                self.close_span(step, ts, result);

                self.last_decision = Some((step.clone(), kind));
            }
            Event::UncertainStep { step, .. } => {
                self.kind(step, StepKind::Migrate);
                self.step_mut(step).uncertain = true;
            }
            Event::AwaitingFailureDecision { step } => {
                self.last_failed_step = Some(step.clone());
            }
            Event::RollbackStarted { steps } => {
                let checkpoint = match &self.last_decision {
                    Some((cp, DecisionKind::Rollback)) => Some(cp.clone()),
                    _ => None,
                };
                let failed_step = if checkpoint.is_none() {
                    self.last_failed_step.clone()
                } else {
                    None
                };
                self.rollbacks.push(Rollback {
                    segment,
                    started_at: ts,
                    checkpoint,
                    failed_step,
                    planned: steps.clone(),
                    results: Vec::new(),
                    complete: steps.is_empty(),
                });
                self.in_rollback = Some(self.rollbacks.len() - 1);
            }
            Event::RollbackStep { step, ok, error } => {
                self.kind(step, StepKind::Migrate);
                let r = self.rollback_in_progress(segment, ts, entry.seq);
                // Journals before `rollback_left_applied` said "left applied" as a failure.
                let left_applied = (!*ok)
                    .then_some(error.as_ref())
                    .flatten()
                    .filter(|e| e.message == "no rollback SQL declared; left applied")
                    .map(|_| "no rollback SQL".to_owned());
                self.rollbacks[r].results.push(RollbackResult {
                    step: step.clone(),
                    at: ts,
                    ok: *ok,
                    error: if left_applied.is_some() {
                        None
                    } else {
                        error.as_ref().map(SqlError::from)
                    },
                    left_applied: left_applied.clone(),
                });
            }
            Event::RollbackLeftApplied { step, reason } => {
                self.kind(step, StepKind::Migrate);
                let r = self.rollback_in_progress(segment, ts, entry.seq);
                self.rollbacks[r].results.push(RollbackResult {
                    step: step.clone(),
                    at: ts,
                    ok: false,
                    error: None,
                    left_applied: Some(reason.clone()),
                });
            }
            // What the run did to keep its exactly-once promise, said where a reader looks.
            Event::LockLost { reason } => {
                self.warnings.push(format!(
                    "the runbook lock was lost at {}: {reason}",
                    ts.to_rfc3339()
                ));
            }
            Event::LockRegained { pid } => {
                self.warnings.push(format!(
                    "the runbook lock was held again at {} (pid {pid}); applied steps were read again from the database",
                    ts.to_rfc3339()
                ));
            }
            Event::Reconnected { session, reason } => {
                self.warnings.push(format!(
                    "the {session} session was reconnected at {}: {reason}",
                    ts.to_rfc3339()
                ));
            }
            Event::RunbookChanged { started_with, now } => {
                self.warnings.push(format!(
                    "the runbook changed between attempts of this run (checksum {started_with} at the start, {now} from {})",
                    ts.to_rfc3339()
                ));
            }
            Event::StatementCancelled { step, reason } => {
                self.cancellations.push(Cancellation {
                    segment,
                    at: ts,
                    reason: format!(
                        "running statement {reason}; the run went on to the failure choice"
                    ),
                    step: Some(step.clone()),
                });
            }
            Event::Cancelled { reason } => {
                let step = self.running_step();
                self.cancellations.push(Cancellation {
                    segment,
                    at: ts,
                    reason: reason.clone(),
                    step,
                });
            }
            Event::RunFinished { outcome, message } => {
                let outcome = RunOutcome::from(*outcome);
                if outcome == RunOutcome::Aborted {
                    let checkpoint = match &self.last_decision {
                        Some((cp, DecisionKind::Abort)) => Some(cp.clone()),
                        _ => None,
                    };
                    self.aborts.push(Abort {
                        segment,
                        at: ts,
                        checkpoint,
                        message: message.clone(),
                    });
                }
                if let Some(seg) = self.segments.last_mut()
                    && self.segment_open
                {
                    seg.outcome = outcome;
                    seg.message = message.clone();
                    seg.last_event = "run_finished".to_owned();
                }
                self.close_segment(ts);
            }
        }
        self.last_ts = Some(ts);
        if let Some(seg) = self.segments.last_mut()
            && self.segment_open
        {
            seg.ended_at = ts;
            seg.last_event = event_name(&entry.event);
        }
        if let Some(p) = self.current_phase {
            self.phases[p].ended_at = ts;
            self.phases[p].duration_ms = ms_between(self.phases[p].started_at, ts);
        }
    }

    /// The checkpoint entry a decision belongs to: the latest undecided one of this step in
    /// this segment, else a new (restored) one.
    fn pending_checkpoint(&mut self, step: &str, segment: u32) -> usize {
        if let Some(i) = self
            .checkpoints
            .iter()
            .rposition(|c| c.step == step && c.segment == segment && c.decision.is_none())
        {
            return i;
        }
        self.checkpoints.push(Checkpoint {
            step: step.to_owned(),
            segment,
            reached_at: None,
            prompt: None,
            questions: Vec::new(),
            failed_critical: Vec::new(),
            projected_end: None,
            hard_end: None,
            rejections: Vec::new(),
            server_sessions: Vec::new(),
            decision: None,
        });
        self.checkpoints.len() - 1
    }

    fn finish(mut self, entries: &[Entry], unreadable: &[usize]) -> Report {
        let last = entries.last();
        let torn_tail = torn_tail(entries.len(), unreadable);
        // The journal's last segment without run_finished: close it where the journal ends.
        let stopped_step = self.running_step();
        let stopped_phase = self.current_phase.map(|p| self.phases[p].phase.clone());
        if let Some(last) = last {
            self.close_segment(last.ts);
        }
        // A step's attempts, rows, statements and times are the run record's, as on the
        // operator's screen.
        self.record.journal_ended();
        for s in &mut self.steps {
            if let Some(r) = self.record.step(&s.id) {
                if s.kind != StepKind::Probe
                    && let Some(status) = report_status(r.status, s.kind)
                {
                    s.status = status;
                }
                s.attempts = r.attempts;
                s.statements = r.statements;
                s.notices = r
                    .notices
                    .iter()
                    .map(|n| Notice {
                        at: n.at,
                        severity: n.severity.clone(),
                        message: n.message.clone(),
                    })
                    .collect();
                s.errors = r
                    .errors
                    .iter()
                    .map(|e| StepError {
                        at: e.at,
                        attempt: e.attempt,
                        error: (&e.error).into(),
                    })
                    .collect();
                s.retries = r
                    .retries
                    .iter()
                    .map(|x| Retry {
                        at: x.at,
                        attempt: x.attempt,
                        delay_ms: x.delay_ms,
                        reason: x.reason.clone(),
                    })
                    .collect();
                s.lock_waits = r
                    .lock_waits
                    .iter()
                    .map(|w| LockWait {
                        at: w.at,
                        waited_ms: w.waited_ms,
                        blockers: w.blockers.iter().map(blocker).collect(),
                    })
                    .collect();
                s.invalid_indexes = r
                    .invalid_indexes
                    .iter()
                    .map(|i| InvalidIndex {
                        at: i.at,
                        index: i.index.clone(),
                        dropped: i.error.is_none(),
                        error: i.error.as_ref().map(SqlError::from),
                    })
                    .collect();
                s.command = r.command.as_ref().map(|c| CommandOutput {
                    exit_code: c.exit_code,
                    stdout_tail: c.stdout_tail.clone(),
                    stderr_tail: c.stderr_tail.clone(),
                });
                s.started_at = r.first_started_at.or(s.started_at);
                // A probe's stretch is from its first sample to its last.
                if r.finished_at.is_some() && s.kind != StepKind::Probe {
                    s.finished_at = r.finished_at;
                    s.duration_ms = r.duration_ms;
                }
                if s.kind == StepKind::Migrate {
                    s.rows = r.rows;
                }
            }
        }
        for phase in &mut self.phases {
            phase.overrun_ms = phase
                .budget_ms
                .map(|budget| phase.duration_ms.saturating_sub(budget));
            for span in &mut phase.spans {
                if let Some(&i) = self.index.get(&span.step) {
                    span.kind = self.steps[i].kind;
                }
            }
        }

        let outcome = self
            .segments
            .last()
            .map_or(RunOutcome::Incomplete, |s| s.outcome);
        let stopped_at = match (outcome, last) {
            (RunOutcome::Incomplete, Some(last)) => Some(StoppedAt {
                event: event_name(&last.event),
                seq: last.seq,
                at: last.ts,
                step: stopped_step,
                phase: stopped_phase,
                torn_line: if torn_tail {
                    unreadable.last().copied()
                } else {
                    None
                },
            }),
            _ => None,
        };

        let interruptions: Vec<Interruption> = self
            .segments
            .windows(2)
            .map(|w| Interruption {
                after_segment: w[0].index,
                at: w[0].ended_at,
                outcome: w[0].outcome,
                message: w[0].message.clone(),
                last_event: w[0].last_event.clone(),
                step: w[0].stopped_in_step.clone(),
                resumed_at: w[1].started_at,
                resumed_by: w[1].operator.clone(),
                gap_ms: ms_between(w[0].ended_at, w[1].started_at),
            })
            .collect();

        let probes: Vec<Probe> = self
            .probe_order
            .iter()
            .filter_map(|id| {
                let acc = self.probes.get(id)?;
                Some(Probe {
                    step: id.clone(),
                    samples: acc.samples,
                    numeric_samples: acc.numeric,
                    null_samples: acc.nulls,
                    min: acc.min,
                    mean: (acc.numeric > 0).then(|| acc.sum / f64::from(acc.numeric)),
                    max: acc.max,
                    last: acc.last.clone(),
                    first_at: acc.first_at?,
                    last_at: acc.last_at?,
                    alerts: acc.alerts,
                })
            })
            .collect();

        for rollback in &mut self.rollbacks {
            rollback.complete = rollback
                .planned
                .iter()
                .all(|p| rollback.results.iter().any(|r| &r.step == p && r.ok));
        }

        let started_at = self
            .segments
            .first()
            .map(|s| s.started_at)
            .or(entries.first().map(|e| e.ts));
        let ended_at = last.map(|e| e.ts);
        let planned_end = self.segments.first().and_then(|s| s.hard_end);
        let plan = self.plan.take().and_then(|(segment, seq, plan)| {
            match plan_report(&plan, segment, &self.phases) {
                Ok(p) => Some(p),
                Err(why) => {
                    self.warnings
                        .push(format!("seq {seq}: the journaled plan is left out: {why}"));
                    None
                }
            }
        });
        let planned_start = plan.as_ref().map(|p| p.window_start);
        let planned_finish = plan.as_ref().map(|p| {
            p.phases
                .iter()
                .map(|ph| ph.planned_end)
                .max()
                .unwrap_or(p.window_start)
        });
        let window = Window {
            planned_end,
            started_at,
            ended_at,
            duration_ms: started_at.zip(ended_at).map(|(a, b)| ms_between(a, b)),
            active_ms: (!self.segments.is_empty()).then(|| {
                self.segments
                    .iter()
                    .map(|s| ms_between(s.started_at, s.ended_at))
                    .sum()
            }),
            // A run that did not finish has no end to compare.
            margin_ms: planned_end
                .zip(ended_at)
                .filter(|_| outcome != RunOutcome::Incomplete)
                .map(|(p, e)| (p - e).num_milliseconds()),
            planned_start,
            planned_finish,
            start_delay_ms: started_at
                .zip(planned_start)
                .map(|(a, p)| (a - p).num_milliseconds()),
            finish_margin_ms: planned_finish
                .zip(ended_at)
                .filter(|_| outcome != RunOutcome::Incomplete)
                .map(|(p, e)| (p - e).num_milliseconds()),
        };

        let mut counts = Counts::default();
        for s in &self.steps {
            match s.status {
                // A migration whose rollback failed is still in the database, as `status`
                // counts it.
                StepStatus::Applied | StepStatus::RollbackFailed => counts.steps_applied += 1,
                StepStatus::Done if matches!(s.kind, StepKind::Command | StepKind::Manual) => {
                    counts.steps_done += 1
                }
                StepStatus::Failed => counts.steps_failed += 1,
                StepStatus::RolledBack => counts.steps_rolled_back += 1,
                StepStatus::Skipped => counts.steps_skipped += 1,
                StepStatus::Interrupted => counts.steps_interrupted += 1,
                _ => {}
            }
            counts.lock_waits += u32::try_from(s.lock_waits.len()).unwrap_or(u32::MAX);
            counts.lock_retries += u32::try_from(s.retries.len()).unwrap_or(u32::MAX);
        }
        let mut latest: BTreeMap<&str, &CheckResult> = BTreeMap::new();
        for c in &self.checks {
            latest.insert(&c.step, c);
        }
        for c in latest.values() {
            if c.passed {
                counts.checks_passed += 1;
            } else {
                counts.checks_failed += 1;
                match c.severity {
                    CheckSeverity::Critical => counts.checks_failed_critical += 1,
                    CheckSeverity::Warning => counts.checks_failed_warning += 1,
                }
            }
        }
        counts.alerts = u32::try_from(self.alerts.len()).unwrap_or(u32::MAX);
        counts.overrides = u32::try_from(
            self.checkpoints
                .iter()
                .filter(|c| {
                    c.decision
                        .as_ref()
                        .is_some_and(|d| !d.overrode_failed_checks.is_empty())
                })
                .count(),
        )
        .unwrap_or(u32::MAX);
        counts.interruptions = u32::try_from(interruptions.len()).unwrap_or(u32::MAX);

        Report {
            schema_version: SCHEMA_VERSION,
            journal: JournalInfo {
                file: None,
                entries: entries.len(),
                first_seq: entries.first().map(|e| e.seq),
                last_seq: last.map(|e| e.seq),
                unreadable_lines: unreadable.to_vec(),
                torn_tail,
            },
            summary: Summary {
                run_id: self.run_id,
                runbook: self.runbook,
                title: self.title,
                target: self.target,
                operator: self.operator,
                outcome,
                message: self.segments.last().and_then(|s| s.message.clone()),
                stopped_at,
                window,
                counts,
            },
            environment: self.environment,
            segments: self.segments,
            interruptions,
            checkpoints: self.checkpoints,
            plan,
            phases: self.phases,
            steps: self.steps,
            checks: self.checks,
            probes,
            alerts: self.alerts,
            rollbacks: self.rollbacks,
            aborts: self.aborts,
            cancellations: self.cancellations,
            warnings: self.warnings,
        }
    }
}

/// `start + ms`, when it is a representable time.
fn offset(start: Timestamp, ms: u64) -> Option<Timestamp> {
    let ms = i64::try_from(ms).ok()?;
    start.checked_add_signed(chrono::Duration::try_milliseconds(ms)?)
}

/// The journaled plan in absolute times, each phase and step next to its actual runs.
fn plan_report(plan: &PlannedWindow, segment: u32, phases: &[Phase]) -> Result<PlanReport, String> {
    let window_start = parse_ts(&plan.window_start)
        .ok_or_else(|| format!("window_start `{}` is not RFC 3339", plan.window_start))?;
    let at =
        |ms: u64| offset(window_start, ms).ok_or_else(|| format!("offset {ms} ms is out of range"));
    let mut planned = Vec::with_capacity(plan.phases.len());
    for p in &plan.phases {
        let planned_start = at(p.start_ms)?;
        let planned_end = at(p.end_ms.max(p.start_ms))?;
        let runs: Vec<&Phase> = phases.iter().filter(|r| r.phase == p.phase).collect();
        let mut segments: Vec<u32> = runs.iter().map(|r| r.segment).collect();
        segments.dedup();
        let actual_start = runs.first().map(|r| r.started_at);
        let actual_end = runs.last().map(|r| r.ended_at);
        let duration_ms = (!runs.is_empty()).then(|| {
            runs.iter()
                .fold(0u64, |sum, r| sum.saturating_add(r.duration_ms))
        });
        let progress = match runs.last() {
            None => PhaseProgress::NotStarted,
            Some(r) if r.finished_at.is_some() => PhaseProgress::Finished,
            Some(_) => PhaseProgress::Unfinished,
        };
        let mut steps = Vec::with_capacity(p.steps.len());
        for s in &p.steps {
            let spans: Vec<&Span> = phases
                .iter()
                .flat_map(|r| &r.spans)
                .filter(|span| span.step == s.step)
                .collect();
            let actual_ms: Option<u64> = (!spans.is_empty()).then(|| {
                spans.iter().fold(0u64, |sum, span| {
                    sum.saturating_add(ms_between(span.started_at, span.ended_at))
                })
            });
            let much_longer = actual_ms.is_some_and(|a| {
                s.expected_ms > 0
                    && a >= s.expected_ms.saturating_mul(MUCH_LONGER_FACTOR)
                    && a >= s.expected_ms.saturating_add(MUCH_LONGER_MIN_MS)
            });
            // A step that never finished has no end to compare: only an overrun it had
            // already run into counts.
            let unfinished = spans
                .last()
                .is_some_and(|span| span.result == SpanResult::Interrupted);
            let over_expected_ms = actual_ms
                .map(|a| signed_ms(a) - signed_ms(s.expected_ms))
                .filter(|&o| !unfinished || o > 0);
            steps.push(PlannedStep {
                step: s.step.clone(),
                kind: s.kind.clone(),
                planned_start: at(s.start_ms)?,
                planned_end: at(s.end_ms.max(s.start_ms))?,
                expected_ms: s.expected_ms,
                actual_start: spans.iter().map(|span| span.started_at).min(),
                actual_end: spans.iter().map(|span| span.ended_at).max(),
                actual_ms,
                over_expected_ms,
                much_longer,
            });
        }
        // Likewise for a phase that never finished.
        let unfinished = progress == PhaseProgress::Unfinished;
        let end_overrun_ms = actual_end
            .map(|e| (e - planned_end).num_milliseconds())
            .filter(|&o| !unfinished || o > 0);
        let budget_overrun_ms = duration_ms
            .map(|d| signed_ms(d) - signed_ms(p.budget_ms))
            .filter(|&o| !unfinished || o > 0);
        planned.push(PlannedPhase {
            phase: p.phase.clone(),
            kind: p.kind.clone(),
            planned_start,
            planned_end,
            budget_ms: p.budget_ms,
            progress,
            segments,
            actual_start,
            actual_end,
            duration_ms,
            start_delay_ms: actual_start.map(|a| (a - planned_start).num_milliseconds()),
            end_overrun_ms,
            budget_overrun_ms,
            steps,
        });
    }
    Ok(PlanReport {
        segment,
        window_start,
        window_budget_ms: plan.window_budget_ms,
        phases: planned,
    })
}

fn signed_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn blocker(b: &Blocker) -> BlockerInfo {
    BlockerInfo {
        pid: b.pid,
        application_name: b.application_name.clone(),
        state: b.state.clone(),
        query: b.query.clone(),
        xact_age_s: b.xact_age_s,
    }
}
