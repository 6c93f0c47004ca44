//! Journal entries → [`Report`]: the run record's facts ([`crate::record`]) in the report's
//! shape; no I/O and no database.
//!
//! The structs here *are* the JSON schema (`docs/report-schema.md`, `schema_version` 1):
//! renaming or retyping a field is a schema change. They mirror the engine's events but do
//! not reuse its types, so an engine refactor cannot silently change the report's shape.

use super::doc::{self, Spans, code, plain, text};
use crate::events::{Blocker, Decision, Outcome, PlannedWindow, SqlFailure};
use crate::journal::Entry;
use crate::record::{Anomaly, Kind, RunRecord};
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

impl Report {
    /// Checks not run again on resume because a go rested on their earlier result, with why.
    pub fn checks_kept(&self) -> impl Iterator<Item = (&str, &str)> {
        self.steps
            .iter()
            .filter(|s| s.kind == StepKind::Check)
            .filter_map(|s| s.skip_news().map(|why| (s.id.as_str(), why)))
    }
}

impl Step {
    /// Why the engine skipped it, when that is news: done before this journal began, or a
    /// check kept from an earlier attempt because a go rested on its result (a check is never
    /// skipped otherwise). A step this journal shows done in an earlier attempt is skipped on
    /// resume as a matter of course.
    pub fn skip_news(&self) -> Option<&str> {
        self.skip_reason
            .as_deref()
            .filter(|_| self.status == StepStatus::Skipped || self.kind == StepKind::Check)
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
    /// What the operator noted when acknowledging (e.g. the backup's file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// A rehearsal: each monitoring phase was capped at this (`--monitor-for`), so the
    /// times are not a real window's. Absent for a real run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_cap_ms: Option<u64>,
    /// The runbook's window zone the report's times are shown in (`+01:00`); absent: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
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
    /// The runbook's title for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A check's SQL (the report's appendix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

impl Report {
    /// The one-line verdict shared by every format, e.g. `succeeded` or
    /// `INCOMPLETE — the journal ends at statement_started (…), during step x`.
    pub fn outcome_line(&self) -> String {
        doc::flatten(&self.outcome_spans())
    }

    /// [`Report::outcome_line`] with identifiers (event, step and phase names) as code and
    /// the run's message as journal text, for the renderers to quote.
    pub fn outcome_spans(&self) -> Spans {
        let s = &self.summary;
        match (&s.outcome, &s.stopped_at) {
            (RunOutcome::Incomplete, Some(stop)) => {
                let mut line = vec![
                    plain("INCOMPLETE — the journal ends at "),
                    code(&stop.event),
                    plain(format!(" ({})", stop.at.format("%Y-%m-%d %H:%M:%S UTC"))),
                ];
                match (&stop.step, &stop.phase) {
                    (Some(step), _) => line.extend([plain(", during step "), code(step)]),
                    (None, Some(phase)) => {
                        line.extend([plain(", between steps of phase "), code(phase)]);
                    }
                    (None, None) => line.push(plain(", outside any phase")),
                }
                if let Some(n) = stop.torn_line {
                    line.push(plain(format!(
                        "; line {n} is torn (a write cut short): a crash or kill"
                    )));
                } else {
                    line.extend([
                        plain("; there is no "),
                        code("run_finished"),
                        plain(": a crash or kill"),
                    ]);
                }
                line
            }
            (RunOutcome::Incomplete, None) => vec![plain(match self.journal.unreadable_lines.as_slice() {
                [] => "INCOMPLETE — the journal holds no readable event: nothing was recorded (the file is empty: a run killed before its first journal write, or one that has not written yet)".to_owned(),
                [line] => format!(
                    "INCOMPLETE — the journal holds no readable event: nothing was recorded (line {line} is torn: a run killed before its first journal write was complete)"
                ),
                lines => format!(
                    "INCOMPLETE — the journal holds no readable event: nothing was recorded ({} unreadable lines)",
                    lines.len()
                ),
            })],
            (outcome, _) => match &s.message {
                Some(m) => vec![plain(format!("{} — ", outcome.as_str())), text(m)],
                None => vec![plain(outcome.as_str())],
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
    /// The checkpoints worth a section: a decision the engine only restated on resume (given
    /// in an earlier attempt, which has its own section) is not repeated.
    pub fn gates(&self) -> impl Iterator<Item = &Checkpoint> {
        self.checkpoints.iter().filter(|cp| {
            !(cp.reached_at.is_none() && cp.decision.as_ref().is_some_and(|d| d.restored))
        })
    }

    /// The check results in the runbook's order (by the journaled plan; journal order without
    /// one), each attempt's after the earlier's, with the check's title.
    pub fn checks_in_runbook_order(&self) -> Vec<(&CheckResult, Option<&str>)> {
        // Each step's place in the plan, and its title, looked up once per check.
        let mut planned: std::collections::HashMap<&str, (usize, Option<&str>)> =
            std::collections::HashMap::new();
        for (n, s) in self
            .plan
            .iter()
            .flat_map(|p| &p.phases)
            .flat_map(|ph| &ph.steps)
            .enumerate()
        {
            planned
                .entry(s.step.as_str())
                .or_insert((n, s.title.as_deref()));
        }
        let mut checks: Vec<(usize, usize, &CheckResult, Option<&str>)> = self
            .checks
            .iter()
            .enumerate()
            .map(|(n, c)| {
                let (place, title) = planned
                    .get(c.step.as_str())
                    .copied()
                    .unwrap_or((usize::MAX, None));
                (place, n, c, title)
            })
            .collect();
        checks.sort_by_key(|&(place, n, c, _)| (place, c.segment, n));
        checks
            .into_iter()
            .map(|(_, _, c, title)| (c, title))
            .collect()
    }

    /// The checks' SQL, in the runbook's order (from the journaled plan).
    pub fn check_sql(&self) -> Vec<(&str, &str)> {
        self.plan
            .iter()
            .flat_map(|p| &p.phases)
            .flat_map(|ph| &ph.steps)
            .filter_map(|s| s.sql.as_deref().map(|sql| (s.step.as_str(), sql)))
            .collect()
    }

    /// A rehearsal's monitoring cap, when the run was one.
    pub fn rehearsal_cap(&self) -> Option<std::time::Duration> {
        self.plan
            .as_ref()
            .and_then(|p| p.monitor_cap_ms)
            .map(std::time::Duration::from_millis)
    }

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

/// Builds the report from a journal's readable entries and the line numbers it could not read:
/// the run record's fold of them, in the report's shape.
pub fn build(entries: &[Entry], unreadable: &[usize]) -> Report {
    let record = RunRecord::of(entries);
    from_record(record, entries, unreadable)
}

/// The warnings about lines that could not be read.
fn unreadable_warnings(entries: usize, unreadable: &[usize]) -> Vec<String> {
    let torn = torn_tail(entries, unreadable);
    unreadable
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if torn && i + 1 == unreadable.len() {
                format!(
                    "line {line} is torn (cut short mid-write: a crash, kill or power loss); it was left out"
                )
            } else {
                format!(
                    "line {line} is not a readable journal entry (a write torn before a resume?); it was left out"
                )
            }
        })
        .collect()
}

/// What is odd about the journal, or what the run did to stay exactly-once, said where a
/// reader looks.
fn anomaly_text(a: &Anomaly) -> String {
    match a {
        Anomaly::SeqGap { from, to } => {
            format!("seq jumps from {from} to {to}: the journal may be missing events")
        }
        Anomaly::OutsideRun {
            seq,
            before_any: true,
        } => {
            format!("seq {seq}: events before any run_started: the start of the journal is missing")
        }
        Anomaly::OutsideRun {
            seq,
            before_any: false,
        } => format!("seq {seq}: events after run_finished without a new run_started"),
        Anomaly::OtherRun { seq, run_id, first } => format!(
            "seq {seq}: a different run ({run_id}) starts in this journal; the report treats it as part of {first}"
        ),
        Anomaly::StartedAgainWithoutResumed { seq } => {
            format!("seq {seq}: run_started again without resumed")
        }
        Anomaly::ChecksumChanged { seq, checksum } => {
            format!("the runbook changed between attempts: checksum {checksum} at seq {seq}")
        }
        Anomaly::ServerVersionChanged { seq, version } => {
            format!("the server version changed between attempts: {version} at seq {seq}")
        }
        Anomaly::StartsResumed => {
            "the journal starts with a resumed run: earlier attempts are in another journal"
                .to_owned()
        }
        Anomaly::HardEndNotTime { seq, text } => {
            format!("seq {seq}: hard_end `{text}` is not RFC 3339")
        }
        Anomaly::PlanDiffers { seq, first_attempt } => format!(
            "seq {seq}: this attempt journals a different plan; the report compares against the plan of attempt {first_attempt}"
        ),
        Anomaly::RollbackStepWithoutStart { seq } => {
            format!("seq {seq}: rollback_step without rollback_started")
        }
        Anomaly::LockLost { at, reason } => {
            format!("the runbook lock was lost at {}: {reason}", at.to_rfc3339())
        }
        Anomaly::LockRegained { at, pid } => format!(
            "the runbook lock was held again at {} (pid {pid}); applied steps were read again from the database",
            at.to_rfc3339()
        ),
        Anomaly::Reconnected {
            at,
            session,
            reason,
        } => format!(
            "the {session} session was reconnected at {}: {reason}",
            at.to_rfc3339()
        ),
        Anomaly::RunbookChanged {
            at,
            started_with,
            now,
        } => format!(
            "the runbook changed between attempts of this run (checksum {started_with} at the start, {now} from {})",
            at.to_rfc3339()
        ),
    }
}

fn step_kind(kind: Option<Kind>) -> StepKind {
    match kind {
        Some(Kind::Migrate) => StepKind::Migrate,
        Some(Kind::Check) => StepKind::Check,
        Some(Kind::Probe) => StepKind::Probe,
        Some(Kind::Command) => StepKind::Command,
        Some(Kind::Manual) => StepKind::Manual,
        Some(Kind::Checkpoint) => StepKind::Checkpoint,
        None => StepKind::Unknown,
    }
}

fn span_result(result: crate::record::SpanResult) -> SpanResult {
    use crate::record::SpanResult as R;
    match result {
        R::Done => SpanResult::Done,
        R::Failed => SpanResult::Failed,
        R::NoGo => SpanResult::NoGo,
        R::Alert => SpanResult::Alert,
        R::Interrupted => SpanResult::Interrupted,
    }
}

/// A step as the run record has it, in the report's words.
fn step_of(r: &crate::record::StepRecord) -> Step {
    let kind = step_kind(r.kind);
    let probe = r.probe.as_ref().filter(|_| kind == StepKind::Probe);
    let (finished_at, duration_ms) = match probe {
        // A probe's stretch is from its first sample to its last.
        Some(p) => (p.last_at, None),
        None => (r.finished_at, r.finished_at.and(r.duration_ms)),
    };
    Step {
        id: r.id.clone(),
        kind,
        phase: r.phase.clone(),
        status: if kind == StepKind::Probe {
            StepStatus::Done
        } else {
            report_status(r.status, kind).unwrap_or(StepStatus::Skipped)
        },
        started_at: r.first_started_at,
        finished_at,
        duration_ms,
        attempts: r.attempts,
        in_transaction: r.in_transaction,
        rows: if kind == StepKind::Migrate {
            r.rows
        } else {
            None
        },
        statements: r.statements,
        retries: r
            .retries
            .iter()
            .map(|x| Retry {
                at: x.at,
                attempt: x.attempt,
                delay_ms: x.delay_ms,
                reason: x.reason.clone(),
            })
            .collect(),
        lock_waits: r
            .lock_waits
            .iter()
            .map(|w| LockWait {
                at: w.at,
                waited_ms: w.waited_ms,
                blockers: w.blockers.iter().map(blocker).collect(),
            })
            .collect(),
        invalid_indexes: r
            .invalid_indexes
            .iter()
            .map(|i| InvalidIndex {
                at: i.at,
                index: i.index.clone(),
                dropped: i.error.is_none(),
                error: i.error.as_ref().map(SqlError::from),
            })
            .collect(),
        notices: r
            .notices
            .iter()
            .map(|n| Notice {
                at: n.at,
                severity: n.severity.clone(),
                message: n.message.clone(),
            })
            .collect(),
        errors: r
            .errors
            .iter()
            .map(|e| StepError {
                at: e.at,
                attempt: e.attempt,
                error: (&e.error).into(),
            })
            .collect(),
        command: r.command.as_ref().map(|c| CommandOutput {
            exit_code: c.exit_code,
            stdout_tail: c.stdout_tail.clone(),
            stderr_tail: c.stderr_tail.clone(),
        }),
        skip_reason: r.skip_reason.clone(),
        uncertain: r.uncertain,
        acknowledged_by: r.decided_by.clone().filter(|_| kind == StepKind::Manual),
        note: r.note.clone(),
        prompt: r.prompt.clone(),
    }
}

fn segment_of(index: u32, a: &crate::record::Attempt) -> Segment {
    let (outcome, message) = match &a.finished {
        Some((outcome, message)) => (RunOutcome::from(*outcome), message.clone()),
        None => (RunOutcome::Incomplete, None),
    };
    Segment {
        index,
        run_id: a.run_id.clone(),
        resumed: a.resumed,
        operator: a.operator.clone(),
        started_at: a.started_at,
        ended_at: a.ended_at,
        hard_end: a.hard_end,
        server_version: a.server_version.clone(),
        cutover_version: a.cutover_version.clone(),
        runbook_checksum: a.checksum.clone(),
        outcome,
        message,
        last_event: a.last_event.to_owned(),
        stopped_in_step: a.stopped_in_step.clone(),
    }
}

fn checkpoint_of(g: &crate::record::Gate) -> Checkpoint {
    Checkpoint {
        step: g.step.clone(),
        segment: g.attempt,
        reached_at: g.reached_at,
        prompt: g.prompt.clone(),
        questions: g.questions.clone(),
        failed_critical: g.failed_critical.clone(),
        projected_end: g.projected_end,
        hard_end: g.hard_end,
        rejections: g
            .rejections
            .iter()
            .map(|(at, reason)| Rejection {
                at: *at,
                reason: reason.clone(),
            })
            .collect(),
        server_sessions: g
            .server_sessions
            .as_ref()
            .map(|(at, sessions)| sessions.iter().map(|s| s.summary(*at)).collect())
            .unwrap_or_default(),
        decision: g.decision.as_ref().map(|d| DecisionRecord {
            decision: DecisionKind::from(d.decision),
            operator: d.operator.clone(),
            at: d.at,
            comment: d.comment.clone(),
            answers: d
                .answers
                .iter()
                .map(|(q, yes)| Answer {
                    question: q.clone(),
                    confirmed: *yes,
                })
                .collect(),
            overrode_failed_checks: d.overrode_failed_checks.clone(),
            restored: d.restored,
            waited_ms: d.waited_ms,
        }),
    }
}

fn rollback_of(r: &crate::record::RollbackRun) -> Rollback {
    Rollback {
        segment: r.attempt,
        started_at: r.started_at,
        checkpoint: r.checkpoint.clone(),
        failed_step: r.failed_step.clone(),
        planned: r.planned.clone(),
        results: r
            .results
            .iter()
            .map(|u| RollbackResult {
                step: u.step.clone(),
                at: u.at,
                ok: u.ok,
                error: u.error.as_ref().map(SqlError::from),
                left_applied: u.left_applied.clone(),
            })
            .collect(),
        complete: r.complete(),
    }
}

fn probe_of(id: &str, p: &crate::record::ProbeStats) -> Option<Probe> {
    Some(Probe {
        step: id.to_owned(),
        samples: p.samples,
        numeric_samples: p.numeric,
        null_samples: p.nulls,
        min: p.min,
        mean: (p.numeric > 0).then(|| p.sum / f64::from(p.numeric)),
        max: p.max,
        last: p.last.clone(),
        first_at: p.first_at?,
        last_at: p.last_at?,
        alerts: p.alerts,
    })
}

/// The report of a journal's run record.
fn from_record(mut record: RunRecord, entries: &[Entry], unreadable: &[usize]) -> Report {
    let last = entries.last();
    let torn_tail = torn_tail(entries.len(), unreadable);
    // Where a journal without `run_finished` stops, before its end closes what was open.
    let stopped_step = record.open_step().map(str::to_owned);
    let stopped_phase = record.current_phase().map(|p| p.phase.clone());
    record.journal_ended();
    let record = record;

    let mut warnings = unreadable_warnings(entries.len(), unreadable);
    warnings.extend(record.anomalies.iter().map(anomaly_text));
    let segments: Vec<Segment> = record
        .attempts
        .iter()
        .zip(1..)
        .map(|(a, n)| segment_of(n, a))
        .collect();
    let steps: Vec<Step> = record.steps.iter().map(step_of).collect();
    let kind_of = |id: &str| {
        record
            .step(id)
            .map_or(StepKind::Unknown, |s| step_kind(s.kind))
    };
    let phases: Vec<Phase> = record
        .phases
        .iter()
        .map(|p| Phase {
            phase: p.phase.clone(),
            segment: p.attempt,
            started_at: p.started_at,
            finished_at: p.finished_at,
            ended_at: p.ended_at,
            duration_ms: p.duration_ms,
            budget_ms: p.budget_ms,
            budget_exceeded_at: p.budget_exceeded_at,
            overrun_ms: p.budget_ms.map(|b| p.duration_ms.saturating_sub(b)),
            spans: p
                .spans
                .iter()
                .map(|s| Span {
                    step: s.step.clone(),
                    kind: kind_of(&s.step),
                    started_at: s.started_at,
                    ended_at: s.ended_at,
                    result: span_result(s.result),
                })
                .collect(),
        })
        .collect();
    let checkpoints: Vec<Checkpoint> = record.gates.iter().map(checkpoint_of).collect();
    let checks: Vec<CheckResult> = record
        .checks
        .iter()
        .map(|c| CheckResult {
            step: c.step.clone(),
            segment: c.attempt,
            at: c.at,
            passed: c.passed,
            expected: c.expected.to_string(),
            actual: c.actual.clone(),
            severity: match c.severity {
                Severity::Critical => CheckSeverity::Critical,
                Severity::Warning => CheckSeverity::Warning,
            },
            duration_ms: c.duration_ms,
        })
        .collect();
    let probes: Vec<Probe> = record
        .steps
        .iter()
        .filter_map(|s| probe_of(&s.id, s.probe.as_ref()?))
        .collect();
    let alerts: Vec<Alert> = record
        .alerts
        .iter()
        .map(|a| Alert {
            step: a.step.clone(),
            at: a.at,
            value: a.value.clone(),
            threshold: a.threshold.clone(),
        })
        .collect();
    let rollbacks: Vec<Rollback> = record.rollbacks.iter().map(rollback_of).collect();
    let aborts: Vec<Abort> = record
        .aborts
        .iter()
        .map(|a| Abort {
            segment: a.attempt,
            at: a.at,
            checkpoint: a.checkpoint.clone(),
            message: a.message.clone(),
        })
        .collect();
    let cancellations: Vec<Cancellation> = record
        .cancels
        .iter()
        .map(|c| Cancellation {
            segment: c.attempt,
            at: c.at,
            reason: if c.statement_only {
                format!(
                    "running statement {}; the run went on to the failure choice",
                    c.reason
                )
            } else {
                c.reason.clone()
            },
            step: c.step.clone(),
        })
        .collect();
    let first = record.attempts.first();

    let outcome = segments
        .last()
        .map_or(RunOutcome::Incomplete, |s| s.outcome);
    let stopped_at = match (outcome, last) {
        (RunOutcome::Incomplete, Some(last)) => Some(StoppedAt {
            event: last.event.name().to_owned(),
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

    let interruptions: Vec<Interruption> = segments
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

    let started_at = segments
        .first()
        .map(|s| s.started_at)
        .or(entries.first().map(|e| e.ts));
    let ended_at = last.map(|e| e.ts);
    let planned_end = segments.first().and_then(|s| s.hard_end);
    // The reference plan: the first one journaled (a resumed attempt journals it again).
    let reference = record
        .attempts
        .iter()
        .zip(1..)
        .find_map(|(a, n)| a.plan.as_ref().map(|p| (n, a.seq, p)));
    let plan =
        reference.and_then(
            |(segment, seq, plan)| match plan_report(plan, segment, &phases) {
                Ok(p) => Some(p),
                Err(why) => {
                    warnings.push(format!("seq {seq}: the journaled plan is left out: {why}"));
                    None
                }
            },
        );
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
        active_ms: (!segments.is_empty()).then(|| {
            segments
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
    for s in &steps {
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
    for c in &checks {
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
    counts.alerts = u32::try_from(alerts.len()).unwrap_or(u32::MAX);
    counts.overrides = u32::try_from(
        checkpoints
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
            run_id: first.map(|a| a.run_id.clone()),
            runbook: first.map(|a| a.runbook.clone()),
            title: first.map(|a| a.title.clone()),
            target: first.map(|a| a.target.clone()),
            operator: first.map(|a| a.operator.clone()),
            outcome,
            message: segments.last().and_then(|s| s.message.clone()),
            stopped_at,
            window,
            counts,
        },
        environment: Environment {
            server_version: first.map(|a| a.server_version.clone()),
            cutover_version: first.map(|a| a.cutover_version.clone()),
            runbook_checksum: first.map(|a| a.checksum.clone()),
        },
        segments,
        interruptions,
        checkpoints,
        plan,
        phases,
        steps,
        checks,
        probes,
        alerts,
        rollbacks,
        aborts,
        cancellations,
        warnings,
    }
}

fn parse_ts(text: &str) -> Option<Timestamp> {
    crate::record::parse_time(text)
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
                title: s.title.clone(),
                sql: s.sql.clone(),
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
        monitor_cap_ms: plan.monitor_cap_ms,
        zone: plan.zone.clone(),
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
