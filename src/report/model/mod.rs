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

mod from_record;
mod plan;
mod queries;

pub use from_record::build;
use from_record::*;
use plan::*;

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
    /// The rehearsal the run was set against (`cutover run --against`), step by step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<RehearsalComparison>,
}

/// The run set against its rehearsal on a copy: the schema then and now, each step's time
/// there and here, and the checks whose result changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RehearsalComparison {
    /// The rehearsal record's file and the rehearsal's run id.
    pub record: String,
    pub run_id: String,
    pub fingerprint: String,
    pub rehearsed_fingerprint: String,
    /// Objects that differ from the schema the rehearsal started from.
    pub drift: Vec<String>,
    pub drift_accepted_by: Option<String>,
    /// Each step that ran in either, in the rehearsal's order then this run's.
    pub steps: Vec<RehearsedStepTime>,
    /// Checks whose result here differs from the rehearsal's.
    pub checks_changed: Vec<CheckChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RehearsedStepTime {
    pub step: String,
    pub rehearsal_ms: Option<u64>,
    pub production_ms: Option<u64>,
    /// Production minus rehearsal, when both ran.
    pub difference_ms: Option<i64>,
    /// How much more data its tables held here than on the copy (bytes here ÷ there), when
    /// its expected time was scaled by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_factor: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckChange {
    pub step: String,
    pub rehearsal_passed: bool,
    pub rehearsal_actual: String,
    pub passed: bool,
    pub actual: String,
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
    /// The run's pace at the gate: actual ÷ expected time of the machine's work so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace: Option<f64>,
    /// What the forecast advised at the gate: `go`, `tight` or `no_go`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<crate::plan::forecast::Advice>,
    /// What a rollback would have done had the answer been one (`undoes b, a (newest
    /// first) …; leaves applied c (no rollback SQL)`), as said at the gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_outlook: Option<String>,
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
    Backfill,
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
            StepKind::Backfill => "backfill",
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
    /// Its preconditions (`require:`) as last asked (absent when it has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preconditions: Vec<PreconditionResult>,
    /// A backfill's rows, batches and waits (absent for other steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<BackfillReport>,
}

/// What a backfill did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackfillReport {
    pub rows: u64,
    pub batches: u32,
    /// The total estimated up front.
    pub total_estimate: Option<u64>,
    /// The last key done (its cursor).
    pub last_key: i64,
    /// Time it waited for the server's health, in all, and each wait's start and reason.
    pub throttled_ms: u64,
    pub throttles: Vec<Throttled>,
    /// The operator's changes while it ran (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<BackfillAdjustment>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackfillAdjustment {
    pub at: Timestamp,
    pub operator: String,
    /// `hold`, `release`, `batch size 2000`, `max replica lag 10s`.
    pub change: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throttled {
    pub at: Timestamp,
    pub reason: String,
}

/// A precondition's answer before its step ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreconditionResult {
    /// 1-based, in the runbook's order.
    pub index: usize,
    pub at: Timestamp,
    pub passed: bool,
    pub actual: String,
    pub expected: String,
    /// `halt`, `skip` or `warn`: what its failure did.
    pub on_fail: crate::runbook::OnFail,
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
