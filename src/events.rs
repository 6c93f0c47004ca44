//! What the engine reports and what it accepts. Both sides are plain data: the journal
//! stores events as they are, and any front end (headless, TUI, tests) drives the engine
//! only through commands.

use crate::runbook::{Expectation, Scalar, Severity};
use serde::{Deserialize, Serialize};

/// What a rehearsal on a copy measured, set against this run (`cutover run --against`): the
/// schema now against the one the rehearsal started from, and the rehearsal's step times and
/// check results for the report to compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RehearsalRef {
    /// The rehearsal record's file.
    pub record: String,
    /// The rehearsal's own run id.
    pub run_id: String,
    /// The schema's fingerprint as this run starts, and the one the rehearsal started from.
    pub fingerprint: String,
    pub rehearsed_fingerprint: String,
    /// What differs, one line an object (`added column public.t.c`); empty: as rehearsed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<String>,
    /// Who went ahead despite the drift (`--accept-drift`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_accepted_by: Option<String>,
    /// Each step's time on the rehearsal (ms), when it ran there.
    #[serde(default)]
    pub steps: Vec<(String, Option<u64>)>,
    /// Each check's result on the rehearsal: passed, and the value it read.
    #[serde(default)]
    pub checks: Vec<(String, bool, String)>,
    /// Steps whose expected time here is their rehearsal time scaled by the size of their
    /// tables here against on the copy: (step, factor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scaled: Vec<(String, f64)>,
}

/// A session that blocks one of ours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Blocker {
    pub pid: i32,
    pub application_name: String,
    pub state: String,
    pub query: String,
    /// How long its transaction has been open, in seconds.
    pub xact_age_s: f64,
}

/// What a rollback chosen now would do (see [`Event::RollbackOutlook`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RollbackPlan {
    pub undoes: Vec<String>,
    pub left_applied: Vec<KeptApplied>,
    pub expected_ms: Option<u64>,
    pub fits: Option<bool>,
}

/// A migration a rollback leaves applied, and why (no rollback SQL, irreversible, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptApplied {
    pub step: String,
    pub reason: String,
}

/// Another session on the server worth a look before a go: in a long transaction, waiting for a
/// lock, or holding one that others wait for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSession {
    pub pid: i32,
    pub application_name: String,
    pub user: String,
    pub state: String,
    /// When its transaction began, if it is in one.
    pub xact_start: Option<chrono::DateTime<chrono::Utc>>,
    pub query: String,
    /// Sessions it waits for.
    pub waits_for: Vec<i32>,
    /// How many sessions wait for it.
    pub blocking: i64,
}

impl ServerSession {
    /// One line: who, what it does, how long its transaction is open, its lock relations,
    /// and its query.
    pub fn summary(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        format!("{}: {}", self.headline(now), self.query_line())
    }

    /// The query on one line.
    pub fn query_line(&self) -> String {
        self.query.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Who, what it does, how long its transaction is open, its lock relations.
    pub fn headline(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        let mut parts = vec![format!(
            "pid {} {}{}",
            self.pid,
            if self.application_name.is_empty() {
                "(no application_name)"
            } else {
                &self.application_name
            },
            if self.user.is_empty() {
                String::new()
            } else {
                format!(" as {}", self.user)
            }
        )];
        if !self.state.is_empty() {
            parts.push(self.state.clone());
        }
        if let Some(start) = self.xact_start {
            let secs = (now - start).num_seconds().max(0);
            parts.push(format!(
                "transaction open {}",
                crate::runbook::duration::format(std::time::Duration::from_secs(secs as u64))
            ));
        }
        if self.blocking > 0 {
            parts.push(format!("blocks {}", self.blocking));
        }
        if !self.waits_for.is_empty() {
            let pids: Vec<String> = self.waits_for.iter().map(i32::to_string).collect();
            parts.push(format!("waits for pid {}", pids.join(", ")));
        }
        parts.join(", ")
    }
}

/// A server error as a DBA needs it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlFailure {
    pub sqlstate: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based statement index within the step.
    pub statement: Option<usize>,
    /// Where the error points: file (or the runbook for inline SQL) and 1-based line/column.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for SqlFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(code) = &self.sqlstate {
            write!(f, "[{code}] ")?;
        }
        f.write_str(&self.message)?;
        if let (Some(file), Some(line)) = (&self.file, self.line) {
            write!(f, " at {file}:{line}:{}", self.column.unwrap_or(1))?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    /// Stopped at a checkpoint or manual step nobody decided (headless); resumable.
    Halted,
    RolledBack,
    Aborted,
    /// Ctrl-C / SIGTERM / lost connection; resumable.
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Halted => "halted",
            Outcome::RolledBack => "rolled_back",
            Outcome::Aborted => "aborted",
            Outcome::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Go,
    /// No-go: stop and leave the database as it is.
    Abort,
    /// No-go: undo this run's migrations in reverse order.
    Rollback,
}

/// What happened, in order. Each is journaled (and fsynced) before any front end sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        run_id: String,
        runbook: String,
        title: String,
        checksum: String,
        operator: String,
        target: String,
        server_version: String,
        cutover_version: String,
        resumed: bool,
        /// Planned window end, RFC 3339.
        hard_end: String,
        /// The plan the run follows, for planned-against-actual (absent in older journals).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<PlannedWindow>,
    },
    /// The run is set against a rehearsal (`--against`), and how the schema compares.
    RehearsalCompared {
        rehearsal: RehearsalRef,
    },
    /// A resumed run's runbook differs from the one the run started with. Applied steps whose
    /// SQL changed are still refused (checksums per step); this says the rest changed too.
    RunbookChanged {
        started_with: String,
        now: String,
    },
    PhaseStarted {
        phase: String,
    },
    PhaseBudgetExceeded {
        phase: String,
        budget_ms: u64,
    },
    PhaseFinished {
        phase: String,
        duration_ms: u64,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    StepStarted {
        step: String,
        attempt: u32,
        in_transaction: Option<bool>,
    },
    StatementStarted {
        step: String,
        index: usize,
        sql: String,
    },
    Notice {
        step: String,
        severity: String,
        message: String,
    },
    StatementFinished {
        step: String,
        index: usize,
        rows: u64,
        duration_ms: u64,
    },
    /// A statement of `step` waits for a lock: when the sessions it waits for change, and
    /// again every 30 s of a long wait.
    LockWait {
        step: String,
        blockers: Vec<Blocker>,
        /// How long the statement has been running (waiting included), when seen.
        #[serde(default)]
        waited_ms: u64,
    },
    Retry {
        step: String,
        attempt: u32,
        delay_ms: u64,
        reason: String,
    },
    StepFinished {
        step: String,
        duration_ms: u64,
        rows: u64,
    },
    StepFailed {
        step: String,
        error: SqlFailure,
    },
    CommandOutput {
        step: String,
        exit_code: Option<i32>,
        stdout_tail: String,
        stderr_tail: String,
    },
    /// A backfill starts walking its table, or goes on from its cursor (`rows_done` > 0).
    BackfillStarted {
        step: String,
        /// The last key done before this start (the walk goes on above it).
        from_key: i64,
        rows_done: u64,
        batches: u32,
        /// The rows it will go through in all, as estimated up front.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_estimate: Option<u64>,
        batch_size: u32,
    },
    /// One batch committed: its rows and the cursor in one transaction.
    BackfillBatch {
        step: String,
        /// 1-based, counting the backfill's batches across runs.
        batch: u32,
        /// Keys above `from_key`, up to and including `to_key`.
        from_key: i64,
        to_key: i64,
        rows: u64,
        duration_ms: u64,
        rows_done: u64,
        /// The size the next batch takes (adapted toward the target batch time).
        next_batch_size: u32,
    },
    /// The backfill waits between batches for the server's health: why.
    BackfillThrottled {
        step: String,
        reason: String,
    },
    /// It goes on after waiting this long.
    BackfillResumed {
        step: String,
        waited_ms: u64,
    },
    /// An index build moved on (`pg_stat_progress_create_index`), said every few seconds
    /// while it changes.
    IndexBuildProgress {
        step: String,
        progress: IndexProgress,
    },
    /// The operator changed the running backfill: what, and the settings it now runs with.
    BackfillAdjusted {
        step: String,
        operator: String,
        change: BackfillChange,
        batch_size: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_replica_lag_ms: Option<u64>,
        held: bool,
    },
    /// A step's precondition (`require:`), asked before the step ran.
    PreconditionChecked {
        step: String,
        /// 1-based, in the order the runbook lists them.
        index: usize,
        passed: bool,
        actual: String,
        expected: Expectation,
        /// What a failure does: `halt` the run, `skip` the step, or `warn` and go on.
        on_fail: crate::runbook::OnFail,
        duration_ms: u64,
    },
    CheckResult {
        step: String,
        passed: bool,
        actual: String,
        expected: Expectation,
        severity: Severity,
        duration_ms: u64,
    },
    ProbeSample {
        step: String,
        value: Option<Scalar>,
        alert: bool,
    },
    Alert {
        step: String,
        value: String,
        threshold: String,
    },
    ManualWaiting {
        step: String,
        prompt: String,
    },
    ManualAcknowledged {
        step: String,
        operator: String,
        /// What the operator noted with it (e.g. the backup's file name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    CheckpointReached {
        step: String,
        prompt: String,
        questions: Vec<String>,
        /// Critical checks that failed since the previous checkpoint: a go needs an override.
        failed_critical: Vec<String>,
        /// Projected window end from the remaining planned work at the run's pace, RFC 3339.
        projected_end: String,
        hard_end: String,
        /// The run's pace then: actual ÷ expected time of the machine's work so far (see
        /// `plan::forecast`), once enough of it was done to judge by.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pace: Option<f64>,
        /// What the forecast advised: `go`, `tight` or `no_go` (the decision stays a person's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        advice: Option<crate::plan::forecast::Advice>,
    },
    DecisionRejected {
        step: String,
        reason: String,
    },
    /// At a checkpoint (and again whenever it changes while the gate waits): other sessions in
    /// long transactions or lock waits. Empty means none.
    ServerActivity {
        step: String,
        sessions: Vec<ServerSession>,
    },
    DecisionRecorded {
        step: String,
        decision: Decision,
        operator: String,
        comment: Option<String>,
        answers: Vec<(String, bool)>,
        overrode_failed_checks: Vec<String>,
        /// Given in an earlier, interrupted attempt of this run and standing.
        restored: bool,
    },
    UncertainStep {
        step: String,
        /// Sessions of an earlier runner of this runbook still at work (e.g. a `CREATE INDEX
        /// CONCURRENTLY` the server goes on building after cutover was killed), one line each.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        still_running: Vec<String>,
    },
    /// The connection holding the runbook lock was lost: nothing starts or commits until the
    /// lock is held again; if it cannot be taken again the run ends interrupted.
    LockLost {
        reason: String,
    },
    /// The runbook lock is held again (backend `pid`); what another runner applied meanwhile
    /// was read again before going on.
    LockRegained {
        pid: i32,
    },
    /// A session of the run was lost and opened again before going on (`session`: `working`
    /// or `monitor`).
    Reconnected {
        session: String,
        reason: String,
    },
    AwaitingFailureDecision {
        step: String,
    },
    /// What a rollback would do if chosen now, said before each question that offers one (a
    /// checkpoint's no-go, a failed step): the migrations it undoes, newest first, and those
    /// it leaves applied, with why.
    RollbackOutlook {
        undoes: Vec<String>,
        left_applied: Vec<KeptApplied>,
        /// How long undoing them is expected to take (their rehearsed downs, scaled like the
        /// steps), when the run is set against a rehearsal that timed every one of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_ms: Option<u64>,
        /// With `expected_ms`: whether, started now, it ends before the window's hard end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fits: Option<bool>,
    },
    RollbackStarted {
        steps: Vec<String>,
    },
    RollbackStep {
        step: String,
        ok: bool,
        error: Option<SqlFailure>,
    },
    /// Nothing was run to undo `step`, so it stays applied (and so in tracking): no rollback
    /// SQL, rollback SQL of comments only, or declared `irreversible`. `reason` says which.
    RollbackLeftApplied {
        step: String,
        reason: String,
    },
    /// A concurrent index build of `step` failed or was cancelled and left `index` INVALID.
    /// It was dropped (`DROP INDEX CONCURRENTLY`) so the next attempt starts clean, or, with
    /// `error`, could not be and is still there.
    InvalidIndexDropped {
        step: String,
        index: String,
        error: Option<SqlFailure>,
    },
    Cancelled {
        reason: String,
    },
    /// Only the running statement of `step` was cancelled (the operator's `x`): the step fails
    /// with SQLSTATE 57014 and the run waits for the failure choice.
    StatementCancelled {
        step: String,
        reason: String,
    },
    RunFinished {
        outcome: Outcome,
        message: Option<String>,
    },
}

/// The planned schedule, journaled at run start so a report needs nothing but the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedWindow {
    /// When the window started (the declared start, else the first start of this run), RFC 3339.
    pub window_start: String,
    pub window_budget_ms: u64,
    pub phases: Vec<PlannedPhase>,
    /// A rehearsal's `--monitor-for`: each monitoring phase capped at this (absent in a real
    /// window), so a capped rehearsal is never read as a real one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_cap_ms: Option<u64>,
    /// The runbook's window zone (`window.start`'s offset, e.g. `+01:00`), which the report
    /// shows times in; absent: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedPhase {
    pub phase: String,
    pub kind: String,
    /// Offsets from the window start.
    pub start_ms: u64,
    pub end_ms: u64,
    pub budget_ms: u64,
    pub steps: Vec<PlannedStep>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub step: String,
    pub kind: String,
    /// Offsets from the window start.
    pub start_ms: u64,
    pub end_ms: u64,
    pub expected_ms: u64,
    /// The runbook's title for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A check's SQL, for the report's appendix (the runbook's own text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

/// What a front end may ask of the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Decide {
        step: String,
        decision: Decision,
        operator: String,
        comment: Option<String>,
        answers: Vec<(String, bool)>,
        /// Required to go past failed critical checks; journaled as an override.
        override_failed_checks: bool,
    },
    Acknowledge {
        step: String,
        operator: String,
        /// A note the operator typed with it (e.g. the backup's file name), journaled.
        note: Option<String>,
    },
    /// For a step left half-done by a crash: was it applied (`true`) or should it be retried?
    ResolveUncertain {
        step: String,
        applied: bool,
    },
    /// After a failed step.
    Retry,
    Rollback,
    Abort,
    /// Finish after the current step; the run stays resumable.
    Pause,
    /// End the current monitoring phase early.
    EndPhase,
    /// Cancel the running statement (server cancel request) and stop, resumable. Signals,
    /// Ctrl-C and a lost terminal send this.
    Cancel {
        reason: String,
    },
    /// Cancel only the running statement: its step fails with SQLSTATE 57014 and the usual
    /// failure choice follows (retry, roll back, abort). The operator's `x`.
    CancelStatement,
    /// Changes the backfill running now, from its next batch; journaled with who.
    AdjustBackfill {
        operator: String,
        change: BackfillChange,
    },
}

/// How far an index build is (`pg_stat_progress_create_index`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexProgress {
    /// E.g. `building index: scanning table`, `waiting for old snapshots`.
    pub phase: String,
    pub blocks_done: u64,
    pub blocks_total: u64,
    pub tuples_done: u64,
    pub tuples_total: u64,
    /// Transactions it waits for, in a waiting phase.
    #[serde(default)]
    pub lockers_done: u64,
    #[serde(default)]
    pub lockers_total: u64,
}

impl IndexProgress {
    /// `building index: scanning table — blocks 1,200 of 5,000 (24%)`.
    pub fn describe(&self) -> String {
        let part = |what: &str, done: u64, total: u64| {
            (total > 0).then(|| {
                format!(
                    "{what} {done} of {total} ({}%)",
                    done.saturating_mul(100) / total
                )
            })
        };
        let figures: Vec<String> = [
            part("blocks", self.blocks_done, self.blocks_total),
            part("tuples", self.tuples_done, self.tuples_total),
            part(
                "transactions waited for",
                self.lockers_done,
                self.lockers_total,
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        if figures.is_empty() {
            self.phase.clone()
        } else {
            format!("{} — {}", self.phase, figures.join(", "))
        }
    }
}

/// What the operator changes in a running backfill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum BackfillChange {
    /// Wait after the batch running, until released.
    Hold,
    Release,
    /// Rows in the next batch (kept within the step's bounds; adapting goes on from it).
    BatchSize {
        rows: u32,
    },
    /// Replicas may lag this much (ms) before it waits; it goes on below half of it.
    MaxReplicaLag {
        ms: u64,
    },
}

impl BackfillChange {
    /// In a few words: `hold`, `batch size 2000`, `max replica lag 10s`.
    pub fn describe(&self) -> String {
        match self {
            BackfillChange::Hold => "hold".into(),
            BackfillChange::Release => "release".into(),
            BackfillChange::BatchSize { rows } => format!("batch size {rows}"),
            BackfillChange::MaxReplicaLag { ms } => {
                format!("max replica lag {}", crate::narration::ms(*ms))
            }
        }
    }
}

impl Event {
    /// The event's name in the journal (its `event` tag).
    pub fn name(&self) -> &'static str {
        match self {
            Event::RunStarted { .. } => "run_started",
            Event::RunbookChanged { .. } => "runbook_changed",
            Event::RehearsalCompared { .. } => "rehearsal_compared",
            Event::PhaseStarted { .. } => "phase_started",
            Event::PhaseBudgetExceeded { .. } => "phase_budget_exceeded",
            Event::PhaseFinished { .. } => "phase_finished",
            Event::StepSkipped { .. } => "step_skipped",
            Event::StepStarted { .. } => "step_started",
            Event::StatementStarted { .. } => "statement_started",
            Event::Notice { .. } => "notice",
            Event::StatementFinished { .. } => "statement_finished",
            Event::LockWait { .. } => "lock_wait",
            Event::Retry { .. } => "retry",
            Event::StepFinished { .. } => "step_finished",
            Event::StepFailed { .. } => "step_failed",
            Event::CommandOutput { .. } => "command_output",
            Event::CheckResult { .. } => "check_result",
            Event::PreconditionChecked { .. } => "precondition_checked",
            Event::BackfillStarted { .. } => "backfill_started",
            Event::BackfillBatch { .. } => "backfill_batch",
            Event::BackfillThrottled { .. } => "backfill_throttled",
            Event::BackfillResumed { .. } => "backfill_resumed",
            Event::BackfillAdjusted { .. } => "backfill_adjusted",
            Event::IndexBuildProgress { .. } => "index_build_progress",
            Event::ProbeSample { .. } => "probe_sample",
            Event::Alert { .. } => "alert",
            Event::ManualWaiting { .. } => "manual_waiting",
            Event::ManualAcknowledged { .. } => "manual_acknowledged",
            Event::CheckpointReached { .. } => "checkpoint_reached",
            Event::DecisionRejected { .. } => "decision_rejected",
            Event::ServerActivity { .. } => "server_activity",
            Event::DecisionRecorded { .. } => "decision_recorded",
            Event::UncertainStep { .. } => "uncertain_step",
            Event::LockLost { .. } => "lock_lost",
            Event::LockRegained { .. } => "lock_regained",
            Event::Reconnected { .. } => "reconnected",
            Event::AwaitingFailureDecision { .. } => "awaiting_failure_decision",
            Event::RollbackOutlook { .. } => "rollback_outlook",
            Event::RollbackStarted { .. } => "rollback_started",
            Event::RollbackStep { .. } => "rollback_step",
            Event::RollbackLeftApplied { .. } => "rollback_left_applied",
            Event::InvalidIndexDropped { .. } => "invalid_index_dropped",
            Event::Cancelled { .. } => "cancelled",
            Event::StatementCancelled { .. } => "statement_cancelled",
            Event::RunFinished { .. } => "run_finished",
        }
    }

    /// Calls `f` on every value of this event that carries text from outside cutover — the
    /// target as displayed, what the server says (errors, notices, other sessions, a check's
    /// result, a probe's text), what a command printed, error text from the network — and on
    /// nothing else: never on the runbook's names, ids, keys, numbers or timestamps.
    ///
    /// The match names every variant and every field, so a new event must say which of its
    /// values can carry outside text before it compiles.
    pub fn outside_text_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        match self {
            Event::RunStarted {
                run_id: _,
                runbook: _,
                title: _,
                checksum: _,
                operator: _,
                target,
                server_version,
                cutover_version: _,
                resumed: _,
                hard_end: _,
                plan: _,
            } => {
                f(target);
                f(server_version);
            }
            Event::RehearsalCompared { rehearsal } => {
                // Object definitions and the checks' values come from the servers.
                rehearsal.drift.iter_mut().for_each(&mut *f);
                rehearsal
                    .checks
                    .iter_mut()
                    .for_each(|(_, _, actual)| f(actual));
            }
            Event::Notice {
                step: _,
                severity: _,
                message,
            } => f(message),
            Event::LockWait {
                step: _,
                blockers,
                waited_ms: _,
            } => {
                for b in blockers {
                    f(&mut b.application_name);
                    f(&mut b.state);
                    f(&mut b.query);
                }
            }
            Event::Retry {
                step: _,
                attempt: _,
                delay_ms: _,
                reason,
            } => f(reason),
            Event::StepFailed { step: _, error } => error.outside_text_mut(f),
            Event::CommandOutput {
                step: _,
                exit_code: _,
                stdout_tail,
                stderr_tail,
            } => {
                f(stdout_tail);
                f(stderr_tail);
            }
            Event::CheckResult {
                step: _,
                passed: _,
                actual,
                expected: _,
                severity: _,
                duration_ms: _,
            } => f(actual),
            Event::PreconditionChecked {
                step: _,
                index: _,
                passed: _,
                actual,
                expected: _,
                on_fail: _,
                duration_ms: _,
            } => f(actual),
            Event::BackfillThrottled { step: _, reason } => f(reason),
            Event::ProbeSample {
                step: _,
                value,
                alert: _,
            } => {
                if let Some(Scalar::Text(text)) = value {
                    f(text);
                }
            }
            Event::Alert {
                step: _,
                value,
                threshold: _,
            } => f(value),
            Event::ServerActivity { step: _, sessions } => {
                for s in sessions {
                    f(&mut s.application_name);
                    f(&mut s.user);
                    f(&mut s.state);
                    f(&mut s.query);
                }
            }
            Event::UncertainStep {
                step: _,
                still_running,
            } => still_running.iter_mut().for_each(&mut *f),
            Event::LockLost { reason } => f(reason),
            Event::Reconnected { session: _, reason } => f(reason),
            Event::RollbackStep {
                step: _,
                ok: _,
                error,
            }
            | Event::InvalidIndexDropped {
                step: _,
                index: _,
                error,
            } => {
                if let Some(error) = error {
                    error.outside_text_mut(f);
                }
            }
            Event::Cancelled { reason } => f(reason),
            Event::StatementCancelled { step: _, reason } => f(reason),
            Event::RunFinished {
                outcome: _,
                message,
            } => {
                if let Some(message) = message {
                    f(message);
                }
            }
            // The runbook's own words, the operator's, and numbers: nothing from outside.
            Event::RunbookChanged { .. }
            | Event::PhaseStarted { .. }
            | Event::PhaseBudgetExceeded { .. }
            | Event::PhaseFinished { .. }
            | Event::StepSkipped { .. }
            | Event::StepStarted { .. }
            | Event::StatementStarted { .. }
            | Event::StatementFinished { .. }
            | Event::StepFinished { .. }
            | Event::ManualWaiting { .. }
            | Event::ManualAcknowledged { .. }
            | Event::CheckpointReached { .. }
            | Event::DecisionRejected { .. }
            | Event::DecisionRecorded { .. }
            | Event::LockRegained { .. }
            | Event::AwaitingFailureDecision { .. }
            | Event::RollbackOutlook { .. }
            | Event::RollbackStarted { .. }
            | Event::RollbackLeftApplied { .. }
            | Event::BackfillStarted { .. }
            | Event::BackfillBatch { .. }
            | Event::BackfillResumed { .. }
            | Event::BackfillAdjusted { .. }
            | Event::IndexBuildProgress { .. } => {}
        }
    }
}

impl SqlFailure {
    /// The server's words in a failure (not where it points in the runbook's files).
    pub fn outside_text_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        f(&mut self.message);
        if let Some(detail) = &mut self.detail {
            f(detail);
        }
        if let Some(hint) = &mut self.hint {
            f(hint);
        }
    }
}
