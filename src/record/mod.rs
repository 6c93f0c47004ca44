//! The run record: one fold of journal entries into what happened to each step — its
//! status, attempts, rows and timings — and to the run's decisions and rollbacks. The report
//! and the operator's screen read these facts from here, so they cannot disagree on them;
//! what each adds is its own (the report's spans and sections, the screen's live prompts).

use crate::events::{Blocker, Decision, Event, Outcome, ServerSession, SqlFailure};
use crate::journal::Entry;
use crate::runbook::{Expectation, Severity};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

mod run;
use run::OpenSpan;
pub use run::{
    Abort, Anomaly, Attempt, Cancel, CheckRun, Gate, GateDecision, PhaseRun, ProbeStats,
    RECENT_SAMPLES, RollbackRun, RunError, Span, SpanResult, Stop, StopKind, Undo,
};

mod attempts;
mod steps;
mod story;

/// Where a step stands, as far as the journal tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not started in this journal.
    Pending,
    /// Started and not yet finished, failed or skipped (at the end of a journal: interrupted).
    Running,
    /// Waiting for a person (a manual step, a checkpoint).
    Waiting,
    /// Finished: a migration applied, a command run, a check run (see `Status::CheckFailed`),
    /// a manual step acknowledged.
    Done,
    /// A check whose latest result failed.
    CheckFailed,
    Failed,
    /// Done before (an earlier run, or earlier in this one).
    Skipped,
    /// Interrupted between its statements by a crash; the operator must say what happened.
    Uncertain,
    /// A checkpoint passed with a go.
    Go,
    /// A checkpoint answered no-go.
    NoGo,
    RolledBack,
    /// Its rollback failed: it is still applied.
    RollbackFailed,
    /// A rollback ran nothing for it (no rollback SQL, only comments, irreversible): still
    /// applied.
    LeftApplied,
    /// Running or waiting when the run stopped (or where the journal ends).
    Interrupted,
}

/// What a step is, as far as its events tell (a journal does not name kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Migrate,
    Check,
    Probe,
    Command,
    Manual,
    Checkpoint,
    Backfill,
}

/// One step, as the journal tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub id: String,
    /// `None`: only skipped in this journal.
    pub kind: Option<Kind>,
    pub status: Status,
    /// `step_started` events: lock-timeout retries and the operator's retries each count.
    pub attempts: u32,
    /// The engine's number of the latest attempt.
    pub attempt: u32,
    pub first_started_at: Option<DateTime<Utc>>,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The engine's measure of the latest attempt (a failed one: until its failure).
    pub duration_ms: Option<u64>,
    /// Rows of the attempt that finished (what is in the database), not of earlier attempts.
    pub rows: Option<u64>,
    /// Statements of the latest attempt that finished.
    pub statements: u32,
    /// From `step_started`; `None` for steps without SQL.
    pub in_transaction: Option<bool>,
    pub skip_reason: Option<String>,
    /// Why a rollback left it applied.
    pub left_applied: Option<String>,
    /// The latest attempt is a check whose result carried its own duration.
    measured: bool,
    /// Every failure, with the attempt it ended.
    pub errors: Vec<Failure>,
    pub notices: Vec<Notice>,
    /// Lock-timeout retries the engine scheduled.
    pub retries: Vec<Retry>,
    /// Each time it was seen waiting for a lock, and on whom.
    pub lock_waits: Vec<LockWait>,
    /// A check's latest result.
    pub check: Option<CheckOutcome>,
    /// A command's latest output.
    pub command: Option<CommandOutput>,
    /// Why its rollback failed.
    pub rollback_error: Option<SqlFailure>,
    /// INVALID indexes its failed concurrent builds left, and whether each was dropped.
    pub invalid_indexes: Vec<InvalidIndex>,
    /// The statement running, or last started, in the latest attempt (its rollback's too):
    /// 1-based index and text.
    pub statement: Option<(usize, String)>,
    /// The highest statement index finished in the latest attempt (its rollback's too).
    pub statements_done: usize,
    /// Rows of the latest attempt's statements so far.
    pub rows_so_far: u64,
    /// Waiting for a lock right now: since when, and on whom.
    pub waiting_for_lock: Option<(DateTime<Utc>, Vec<Blocker>)>,
    /// When the engine skipped it as done before.
    pub skipped_at: Option<DateTime<Utc>>,
    /// A checkpoint's decision (the latest).
    pub decision: Option<Decision>,
    /// Who decided at the checkpoint, or acknowledged the manual step (a decision restated
    /// on resume keeps who gave it).
    pub decided_by: Option<String>,
    /// Its running statement was cancelled on request (the operator's `x`): its failure is
    /// SQLSTATE 57014 from that cancel, not from the SQL.
    pub statement_cancelled: bool,
    /// A probe's samples.
    pub probe: Option<ProbeStats>,
    /// The phase running when the journal first mentioned it.
    pub phase: Option<String>,
    /// What a manual step or a checkpoint asked.
    pub prompt: Option<String>,
    /// A crash left it half-done at some point.
    pub uncertain: bool,
    /// What the operator noted when acknowledging a manual step.
    pub note: Option<String>,
    /// Its preconditions as last asked, by index.
    pub preconditions: Vec<PreconditionOutcome>,
    /// A backfill's progress.
    pub backfill: Option<BackfillProgress>,
    /// The latest word on its index build, and when.
    pub index_build: Option<(DateTime<Utc>, crate::events::IndexProgress)>,
}

/// Where a backfill stands, and how fast it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct BackfillProgress {
    pub total_estimate: Option<u64>,
    pub rows_done: u64,
    pub batches: u32,
    pub last_key: i64,
    /// The size the next batch takes.
    pub batch_size: u32,
    /// When the latest start walked off, and the rows done then: the rate is this attempt's.
    pub walk_started: DateTime<Utc>,
    pub rows_at_start: u64,
    pub last_batch_at: Option<DateTime<Utc>>,
    /// Waiting for the server's health now: since when, and why.
    pub throttled: Option<(DateTime<Utc>, String)>,
    /// Time spent waiting, in all, and each wait's start and reason.
    pub throttled_ms: u64,
    pub throttles: Vec<(DateTime<Utc>, String)>,
    /// Held by the operator now.
    pub held: bool,
    /// The replica-lag mark it runs with now, when it has one.
    pub max_replica_lag_ms: Option<u64>,
    /// The operator's changes: when, who, what.
    pub adjustments: Vec<(DateTime<Utc>, String, String)>,
}

impl BackfillProgress {
    /// Rows a second over this attempt's batches.
    pub fn rate(&self) -> Option<f64> {
        let secs = (self.last_batch_at? - self.walk_started).num_milliseconds() as f64 / 1000.0;
        let rows = self.rows_done.saturating_sub(self.rows_at_start) as f64;
        (secs > 0.0 && rows > 0.0).then(|| rows / secs)
    }

    /// How long the rest will take at this rate.
    pub fn eta(&self) -> Option<std::time::Duration> {
        let left = self.total_estimate?.saturating_sub(self.rows_done) as f64;
        std::time::Duration::try_from_secs_f64(left / self.rate()?).ok()
    }

    /// Done, as a fraction of the estimate (capped: an estimate can be low).
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total_estimate.filter(|&t| t > 0)? as f64;
        Some((self.rows_done as f64 / total).min(1.0))
    }
}

/// A precondition's latest answer.
#[derive(Clone, Debug, PartialEq)]
pub struct PreconditionOutcome {
    pub at: DateTime<Utc>,
    /// 1-based.
    pub index: usize,
    pub passed: bool,
    pub actual: String,
    pub expected: Expectation,
    pub on_fail: crate::runbook::OnFail,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub attempt: u32,
    pub error: SqlFailure,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub at: DateTime<Utc>,
    pub severity: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    pub at: DateTime<Utc>,
    /// The attempt about to start.
    pub attempt: u32,
    pub delay_ms: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LockWait {
    pub at: DateTime<Utc>,
    pub waited_ms: u64,
    pub blockers: Vec<Blocker>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckOutcome {
    pub passed: bool,
    pub actual: String,
    pub expected: Expectation,
    pub severity: Severity,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CommandOutput {
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InvalidIndex {
    pub at: DateTime<Utc>,
    pub index: String,
    /// Why it could not be dropped (it is still there); `None`: dropped.
    pub error: Option<SqlFailure>,
}

impl StepRecord {
    fn new(id: &str) -> StepRecord {
        StepRecord {
            id: id.to_owned(),
            kind: None,
            status: Status::Pending,
            attempts: 0,
            attempt: 0,
            first_started_at: None,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            rows: None,
            statements: 0,
            in_transaction: None,
            skip_reason: None,
            left_applied: None,
            measured: false,
            errors: Vec::new(),
            notices: Vec::new(),
            retries: Vec::new(),
            lock_waits: Vec::new(),
            check: None,
            command: None,
            rollback_error: None,
            invalid_indexes: Vec::new(),
            statement: None,
            statements_done: 0,
            rows_so_far: 0,
            waiting_for_lock: None,
            skipped_at: None,
            decision: None,
            decided_by: None,
            statement_cancelled: false,
            probe: None,
            phase: None,
            prompt: None,
            uncertain: false,
            note: None,
            preconditions: Vec::new(),
            backfill: None,
            index_build: None,
        }
    }

    /// Finished at `ts`: measured from the latest attempt's start.
    fn finish_at(&mut self, ts: DateTime<Utc>) {
        self.finished_at = Some(ts);
        self.duration_ms = self
            .started_at
            .and_then(|t| u64::try_from((ts - t).num_milliseconds()).ok());
    }

    pub fn is_probe(&self) -> bool {
        self.kind == Some(Kind::Probe)
    }

    /// More specific evidence wins over `Migrate` (a check's `step_started` looks like a
    /// migration's until its `check_result`).
    fn seen_as(&mut self, kind: Kind) {
        if self.kind.is_none_or(|k| k == Kind::Migrate) {
            self.kind = Some(kind);
        }
    }
}

/// What the engine waits for a person to answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Waiting {
    Gate {
        step: String,
        prompt: String,
        questions: Vec<String>,
        failed_critical: Vec<String>,
        projected_end: Option<DateTime<Utc>>,
        hard_end: Option<DateTime<Utc>>,
        /// Why the last decision offered was refused (a question not confirmed, ...).
        rejected: Option<String>,
    },
    Manual {
        step: String,
        prompt: String,
    },
    /// A step failed: retry, roll back or abort?
    Failure {
        step: String,
    },
    /// A step a crash left half-done: applied, or run again?
    Uncertain {
        step: String,
    },
}

impl Waiting {
    pub fn step(&self) -> &str {
        match self {
            Waiting::Gate { step, .. }
            | Waiting::Manual { step, .. }
            | Waiting::Failure { step }
            | Waiting::Uncertain { step } => step,
        }
    }
}

/// `start + ms`, when it is a representable time.
fn offset(start: DateTime<Utc>, ms: u64) -> Option<DateTime<Utc>> {
    let ms = i64::try_from(ms).ok()?;
    start.checked_add_signed(chrono::Duration::try_milliseconds(ms)?)
}

fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    u64::try_from((to - from).num_milliseconds()).unwrap_or(0)
}

/// The entries of the journal's last run (from its first attempt): a journal may hold
/// earlier runs too (`--journal` reused with `--new-run`).
pub fn last_run(entries: &[Entry]) -> &[Entry] {
    let last_id = entries.iter().rev().find_map(|e| match &e.event {
        Event::RunStarted { run_id, .. } => Some(run_id),
        _ => None,
    });
    let Some(last_id) = last_id else {
        return entries;
    };
    let first = entries
        .iter()
        .position(|e| matches!(&e.event, Event::RunStarted { run_id, .. } if run_id == last_id))
        .unwrap_or(0);
    &entries[first..]
}

/// An RFC 3339 time as the journal writes it (`None` if it does not parse).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A probe's sample that crossed its threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRecord {
    pub at: DateTime<Utc>,
    pub step: String,
    pub value: String,
    pub threshold: String,
}

/// A decision at a checkpoint, or a manual step's acknowledgement (`decision: None`).
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionRecord {
    pub at: DateTime<Utc>,
    pub step: String,
    pub decision: Option<Decision>,
    pub operator: String,
    pub comment: Option<String>,
    pub overrode_failed_checks: Vec<String>,
    /// Given in an earlier, interrupted attempt of this run, and standing.
    pub restored: bool,
}

/// The fold of a journal, entry by entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunRecord {
    /// Every step the journal mentions, in order of first mention.
    pub steps: Vec<StepRecord>,
    pub decisions: Vec<DecisionRecord>,
    /// What the engine waits for a person to answer, if anything.
    pub waiting: Option<Waiting>,
    /// Counts the questions asked: a new one (even the same gate again) has a new number.
    pub waiting_seq: u64,
    /// Counts refused decisions.
    pub rejected_seq: u64,
    /// What the engine was waiting for when the run halted there (no one to answer): still
    /// the question, answered when the run is resumed.
    pub halted_at: Option<Waiting>,
    /// The runbook checksum the latest run started with.
    pub checksum: Option<String>,
    /// Critical checks that failed since the last gate, as the engine counts them (a go
    /// needs an override while there are any).
    pub failed_critical: Vec<String>,
    /// Other sessions in long transactions or lock waits at the open gate (`None`: not looked
    /// at yet).
    pub server_sessions: Option<Vec<ServerSession>>,
    pub alerts: Vec<AlertRecord>,
    /// A rollback under way: the steps it undoes, in order.
    pub rollback: Option<Vec<String>>,
    /// What a rollback would do if chosen at the open question (a no-go, a failed step).
    pub rollback_outlook: Option<crate::events::RollbackPlan>,
    /// How the latest run ended, once it has.
    pub outcome: Option<(Outcome, Option<String>)>,
    /// One per `run_started`: a resumed run has several.
    pub attempts: Vec<Attempt>,
    /// Each time a phase ran, in journal order.
    pub phases: Vec<PhaseRun>,
    /// The step most recently started, waiting for a person, or rolled back.
    pub current: Option<String>,
    /// Every failure of a step or of its rollback, in order.
    pub errors: Vec<RunError>,
    /// A cancel of the run asked for (the operator, Ctrl-C, SIGTERM), until the run ends,
    /// or until it turns out to have stopped only a statement (the run goes on to the
    /// failure choice).
    pub cancel: Option<String>,
    /// Where the run stopped, once it has (not after a success).
    pub stopped_at: Option<Stop>,
    /// A decision the engine announced again on resume: the earlier one, which stands (set
    /// by the entry that restated it only).
    pub restated: Option<DecisionRecord>,
    index: HashMap<String, usize>,
    /// Between `rollback_started` and the run's end: statements are the rollback's.
    rolling_back: bool,
    /// The phase running now (index into `phases`).
    current_phase: Option<usize>,
    /// Where the run stood when a cancel closed a question, in case the run now stops.
    stop_candidate: Option<Stop>,
    /// The step whose statement a cancel reached, until it fails or the run ends.
    cancel_reached: Option<String>,
    /// Every checkpoint reached, with its answer.
    pub gates: Vec<Gate>,
    /// Every check result, in order (a check runs again when a run is resumed).
    pub checks: Vec<CheckRun>,
    pub rollbacks: Vec<RollbackRun>,
    pub aborts: Vec<Abort>,
    pub cancels: Vec<Cancel>,
    /// What is odd about the journal, and what the run did to stay exactly-once.
    pub anomalies: Vec<Anomaly>,
    /// The rehearsal the run was set against (`--against`), the latest attempt's.
    pub rehearsal: Option<crate::events::RehearsalRef>,
    /// The steps the latest entry changed.
    touched: Vec<usize>,
    /// Spans running or waiting, by step.
    open: BTreeMap<String, OpenSpan>,
    opened: u64,
    /// The rollback the next `rollback_step` belongs to.
    in_rollback: Option<usize>,
    /// The latest decision of this attempt (a rollback or an abort names its checkpoint).
    last_decision: Option<(String, Decision)>,
    /// The latest step the engine asked about after it failed (a rollback follows it).
    last_failed_step: Option<String>,
    last_seq: Option<u64>,
    last_ts: Option<DateTime<Utc>>,
    /// Entries outside any attempt were noted (once per stretch).
    warned_outside: bool,
}

impl RunRecord {
    pub fn new() -> RunRecord {
        RunRecord::default()
    }

    /// The record of a whole journal.
    pub fn of(entries: &[Entry]) -> RunRecord {
        let mut record = RunRecord::new();
        for entry in entries {
            record.apply(entry);
        }
        record
    }

    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.index.get(id).map(|&i| &self.steps[i])
    }

    /// What the whole run stands at: failed critical checks, the gate's server evidence,
    /// alerts, a rollback under way, the outcome.
    fn follow_run(&mut self, entry: &Entry) {
        match &entry.event {
            Event::RunStarted { .. } => {
                // The engine runs the checks again and counts failed critical ones afresh.
                self.failed_critical.clear();
                self.server_sessions = None;
                self.rollback = None;
                self.outcome = None;
            }
            Event::CheckResult {
                step,
                passed: false,
                severity: Severity::Critical,
                ..
            } if !self.failed_critical.contains(step) => self.failed_critical.push(step.clone()),
            Event::CheckpointReached {
                failed_critical, ..
            } => {
                self.failed_critical = failed_critical.clone();
                self.server_sessions = None;
                // This question's own outlook follows it.
                self.rollback_outlook = None;
            }
            Event::AwaitingFailureDecision { .. } => self.rollback_outlook = None,
            Event::ServerActivity { step, sessions } if matches!(&self.waiting, Some(Waiting::Gate { step: s, .. }) if s == step) =>
            {
                self.server_sessions = Some(sessions.clone());
            }
            Event::DecisionRecorded {
                decision: Decision::Go,
                ..
            } => self.failed_critical.clear(),
            Event::Alert {
                step,
                value,
                threshold,
            } => self.alerts.push(AlertRecord {
                at: entry.ts,
                step: step.clone(),
                value: value.clone(),
                threshold: threshold.clone(),
            }),
            Event::RollbackOutlook {
                undoes,
                left_applied,
                expected_ms,
                fits,
            } => {
                self.rollback_outlook = Some(crate::events::RollbackPlan {
                    undoes: undoes.clone(),
                    left_applied: left_applied.clone(),
                    expected_ms: *expected_ms,
                    fits: *fits,
                })
            }
            Event::RollbackStarted { steps } => {
                self.rollback = Some(steps.clone());
                self.rollback_outlook = None;
            }
            Event::RunFinished { outcome, message } => {
                self.outcome = Some((*outcome, message.clone()));
                self.rollback = None;
            }
            _ => {}
        }
    }

    /// Where the journal ends without the run's end (killed, crashed): where the run stood,
    /// and what was running or waiting was interrupted.
    pub fn journal_ended(&mut self) {
        self.touched.clear();
        if self.attempts.last().is_some_and(|a| !a.closed) {
            self.stopped_at = self.stop_point();
        }
        if let Some(last) = self.last_ts {
            self.close_attempt(last);
        }
        self.settle_open_steps();
        self.rollback = None;
        self.waiting = None;
    }

    /// The steps the latest [`RunRecord::apply`] changed.
    pub fn touched(&self) -> impl Iterator<Item = &StepRecord> {
        self.touched.iter().map(|&i| &self.steps[i])
    }

    /// Folds one entry in.
    pub fn apply(&mut self, entry: &Entry) {
        self.touched.clear();
        self.restated = None;
        self.check_sequence(entry);
        self.note_where_it_stood(&entry.event);
        self.follow_questions(&entry.event);
        self.follow_run(entry);
        self.follow_attempts(entry);
        self.follow_steps(entry);
        self.follow_story(entry);
        self.reach(entry);
    }
}

#[cfg(test)]
mod tests;
