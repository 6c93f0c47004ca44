//! The run record: one fold of journal entries into what happened to each step — its
//! status, attempts, rows and timings — and to the run's decisions and rollbacks. The report
//! and the operator's screen read these facts from here, so they cannot disagree on them;
//! what each adds is its own (the report's spans and sections, the screen's live prompts).

use crate::events::{Blocker, Decision, Event, Outcome, ServerSession, SqlFailure};
use crate::journal::Entry;
use crate::runbook::{Expectation, Severity};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

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

/// One step, as the journal tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub id: String,
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
    /// How the latest run ended, once it has.
    pub outcome: Option<(Outcome, Option<String>)>,
    index: HashMap<String, usize>,
    /// Between `rollback_started` and the run's end: statements are the rollback's.
    rolling_back: bool,
    /// The step the latest entry changed.
    touched: Option<usize>,
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
            }
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
            Event::RollbackStarted { steps } => self.rollback = Some(steps.clone()),
            Event::RunFinished { outcome, message } => {
                self.outcome = Some((*outcome, message.clone()));
                self.rollback = None;
            }
            _ => {}
        }
    }

    /// What the engine asks, and when the question is answered or moot.
    fn follow_questions(&mut self, event: &Event) {
        let ask = |record: &mut RunRecord, waiting: Waiting| {
            record.waiting = Some(waiting);
            record.waiting_seq += 1;
        };
        match event {
            Event::ManualWaiting { step, prompt } => ask(
                self,
                Waiting::Manual {
                    step: step.clone(),
                    prompt: prompt.clone(),
                },
            ),
            Event::CheckpointReached {
                step,
                prompt,
                questions,
                failed_critical,
                projected_end,
                hard_end,
            } => ask(
                self,
                Waiting::Gate {
                    step: step.clone(),
                    prompt: prompt.clone(),
                    questions: questions.clone(),
                    failed_critical: failed_critical.clone(),
                    projected_end: parse_time(projected_end),
                    hard_end: parse_time(hard_end),
                    rejected: None,
                },
            ),
            Event::UncertainStep { step, .. } => {
                ask(self, Waiting::Uncertain { step: step.clone() })
            }
            Event::AwaitingFailureDecision { step } => {
                ask(self, Waiting::Failure { step: step.clone() })
            }
            Event::DecisionRejected { step, reason } => {
                if let Some(Waiting::Gate {
                    step: s, rejected, ..
                }) = &mut self.waiting
                    && s == step
                {
                    *rejected = Some(reason.clone());
                }
                self.rejected_seq += 1;
            }
            // Answered, or moot: the step goes on, is skipped, or the run ends or rolls back.
            Event::StepStarted { step, .. } | Event::StepSkipped { step, .. }
                if self.waiting.as_ref().is_some_and(|w| w.step() == step) =>
            {
                self.waiting = None;
            }
            Event::RunFinished { outcome, .. } => {
                let question = self.waiting.take();
                if *outcome == crate::events::Outcome::Halted {
                    self.halted_at = question;
                }
            }
            Event::RunStarted { checksum, .. } => {
                self.waiting = None;
                self.halted_at = None;
                self.checksum = Some(checksum.clone());
            }
            Event::ManualAcknowledged { .. }
            | Event::DecisionRecorded { .. }
            | Event::RollbackStarted { .. }
            | Event::Cancelled { .. } => self.waiting = None,
            _ => {}
        }
    }

    /// Where the journal ends without the run's end (killed, crashed): what was running or
    /// waiting was interrupted.
    pub fn journal_ended(&mut self) {
        self.interrupt_open_steps();
    }

    fn interrupt_open_steps(&mut self) {
        for s in &mut self.steps {
            if matches!(s.status, Status::Running | Status::Waiting) {
                s.status = Status::Interrupted;
            }
        }
    }

    /// The step the latest [`RunRecord::apply`] changed, if any.
    pub fn touched(&self) -> Option<&StepRecord> {
        self.touched.map(|i| &self.steps[i])
    }

    fn step_mut(&mut self, id: &str) -> &mut StepRecord {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.steps.push(StepRecord::new(id));
                self.index.insert(id.to_owned(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        };
        self.touched = Some(i);
        &mut self.steps[i]
    }

    /// Folds one entry in.
    pub fn apply(&mut self, entry: &Entry) {
        let ts = entry.ts;
        self.touched = None;
        self.follow_questions(&entry.event);
        self.follow_run(entry);
        match &entry.event {
            Event::RunStarted { .. } => self.rolling_back = false,
            Event::StepSkipped { step, reason } => {
                let s = self.step_mut(step);
                s.skip_reason = Some(reason.clone());
                // The engine skips only what is done already: a step this journal saw start
                // (earlier in this run, or an uncertain one the operator marked applied) was
                // completed then, and keeps its own timing.
                s.status = match s.status {
                    Status::Done | Status::Go => s.status,
                    _ if s.attempts > 0
                        || matches!(
                            s.status,
                            Status::Uncertain | Status::Waiting | Status::Interrupted
                        ) =>
                    {
                        Status::Done
                    }
                    _ => Status::Skipped,
                };
            }
            Event::StepStarted {
                step,
                attempt,
                in_transaction,
            } => {
                let s = self.step_mut(step);
                s.status = Status::Running;
                s.attempts += 1;
                s.attempt = *attempt;
                s.first_started_at.get_or_insert(ts);
                s.started_at = Some(ts);
                s.finished_at = None;
                s.duration_ms = None;
                s.statements = 0;
                s.measured = false;
                s.statement = None;
                s.statements_done = 0;
                s.rows_so_far = 0;
                s.waiting_for_lock = None;
                if in_transaction.is_some() {
                    s.in_transaction = *in_transaction;
                }
            }
            Event::StatementStarted { step, index, sql } => {
                let s = self.step_mut(step);
                s.statement = Some((*index, sql.clone()));
                s.waiting_for_lock = None;
            }
            Event::StatementFinished {
                step, index, rows, ..
            } => {
                let rolling_back = self.rolling_back;
                let s = self.step_mut(step);
                if !rolling_back {
                    s.statements += 1;
                }
                s.statements_done = s.statements_done.max(*index);
                s.rows_so_far += rows;
                s.waiting_for_lock = None;
            }
            Event::StepFinished {
                step,
                duration_ms,
                rows,
            } => {
                let s = self.step_mut(step);
                if s.status != Status::CheckFailed {
                    s.status = Status::Done;
                }
                // A check's own measure stands: parallel checks are journaled finished only
                // when the batch is.
                if !s.measured {
                    s.finished_at = Some(ts);
                    s.duration_ms = Some(*duration_ms);
                }
                s.rows = Some(*rows);
                s.waiting_for_lock = None;
            }
            Event::StepFailed { step, error } => {
                let s = self.step_mut(step);
                s.waiting_for_lock = None;
                s.errors.push(Failure {
                    at: ts,
                    attempt: s.attempts,
                    error: error.clone(),
                });
                s.status = Status::Failed;
                s.finished_at = Some(ts);
                s.duration_ms = s
                    .started_at
                    .and_then(|t| u64::try_from((ts - t).num_milliseconds()).ok());
            }
            Event::CheckResult {
                step,
                passed,
                actual,
                expected,
                severity,
                duration_ms,
            } => {
                let s = self.step_mut(step);
                s.check = Some(CheckOutcome {
                    passed: *passed,
                    actual: actual.clone(),
                    expected: expected.clone(),
                    severity: *severity,
                    duration_ms: *duration_ms,
                });
                s.status = if *passed {
                    Status::Done
                } else {
                    Status::CheckFailed
                };
                // It ran from its start for its own duration, never past this event.
                if let Some(start) = s.started_at {
                    let end = start
                        + chrono::Duration::milliseconds(
                            i64::try_from(*duration_ms).unwrap_or(i64::MAX / 2),
                        );
                    s.finished_at = Some(end.min(ts).max(start));
                    s.duration_ms = Some(*duration_ms);
                    s.measured = true;
                }
            }
            Event::ManualWaiting { step, .. } => {
                let s = self.step_mut(step);
                s.status = Status::Waiting;
                s.first_started_at.get_or_insert(ts);
                s.started_at = Some(ts);
            }
            Event::ManualAcknowledged { step, operator } => {
                let s = self.step_mut(step);
                s.status = Status::Done;
                s.finished_at = Some(ts);
                s.duration_ms = s
                    .started_at
                    .and_then(|t| u64::try_from((ts - t).num_milliseconds()).ok());
                self.decisions.push(DecisionRecord {
                    at: ts,
                    step: step.clone(),
                    decision: None,
                    operator: operator.clone(),
                    comment: None,
                    overrode_failed_checks: Vec::new(),
                    restored: false,
                });
            }
            Event::CheckpointReached { step, .. } => {
                let s = self.step_mut(step);
                s.status = Status::Waiting;
                s.first_started_at.get_or_insert(ts);
                s.started_at = Some(ts);
            }
            Event::DecisionRecorded {
                step,
                decision,
                operator,
                comment,
                overrode_failed_checks,
                restored,
                ..
            } => {
                let s = self.step_mut(step);
                s.status = if *decision == Decision::Go {
                    Status::Go
                } else {
                    Status::NoGo
                };
                // A decision restored on resume stands with the time it was given.
                if !(*restored && s.finished_at.is_some()) {
                    s.finished_at = Some(ts);
                    s.duration_ms = s
                        .started_at
                        .and_then(|t| u64::try_from((ts - t).num_milliseconds()).ok());
                }
                self.decisions.push(DecisionRecord {
                    at: ts,
                    step: step.clone(),
                    decision: Some(*decision),
                    operator: operator.clone(),
                    comment: comment.clone(),
                    overrode_failed_checks: overrode_failed_checks.clone(),
                    restored: *restored,
                });
            }
            Event::UncertainStep { step, .. } => self.step_mut(step).status = Status::Uncertain,
            Event::RollbackStarted { .. } => self.rolling_back = true,
            Event::RollbackStep { step, ok, error } => {
                // Journals before `rollback_left_applied` said "left applied" as a failure.
                let left = error
                    .as_ref()
                    .filter(|e| !ok && e.message == "no rollback SQL declared; left applied");
                let s = self.step_mut(step);
                if left.is_none() {
                    s.rollback_error = error.clone();
                }
                s.status = match (ok, left) {
                    (true, _) => Status::RolledBack,
                    (false, Some(_)) => {
                        s.left_applied = Some("no rollback SQL".to_owned());
                        Status::LeftApplied
                    }
                    (false, None) => Status::RollbackFailed,
                };
            }
            Event::RollbackLeftApplied { step, reason } => {
                let s = self.step_mut(step);
                s.status = Status::LeftApplied;
                s.left_applied = Some(reason.clone());
            }
            Event::Notice {
                step,
                severity,
                message,
            } => self.step_mut(step).notices.push(Notice {
                at: ts,
                severity: severity.clone(),
                message: message.clone(),
            }),
            Event::Retry {
                step,
                attempt,
                delay_ms,
                reason,
            } => {
                let s = self.step_mut(step);
                s.waiting_for_lock = None;
                s.retries.push(Retry {
                    at: ts,
                    attempt: *attempt,
                    delay_ms: *delay_ms,
                    reason: reason.clone(),
                });
            }
            Event::LockWait {
                step,
                blockers,
                waited_ms,
            } => {
                let s = self.step_mut(step);
                let since = s.waiting_for_lock.as_ref().map_or(ts, |(since, _)| *since);
                s.waiting_for_lock = Some((since, blockers.clone()));
                s.lock_waits.push(LockWait {
                    at: ts,
                    waited_ms: *waited_ms,
                    blockers: blockers.clone(),
                });
            }
            Event::CommandOutput {
                step,
                exit_code,
                stdout_tail,
                stderr_tail,
            } => {
                self.step_mut(step).command = Some(CommandOutput {
                    exit_code: *exit_code,
                    stdout_tail: stdout_tail.clone(),
                    stderr_tail: stderr_tail.clone(),
                })
            }
            Event::InvalidIndexDropped { step, index, error } => {
                self.step_mut(step).invalid_indexes.push(InvalidIndex {
                    at: ts,
                    index: index.clone(),
                    error: error.clone(),
                })
            }
            Event::RunFinished { outcome, .. } if *outcome != crate::events::Outcome::Succeeded => {
                self.interrupt_open_steps();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: u64, secs: i64, event: Event) -> Entry {
        Entry {
            ts: DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default(),
            seq,
            event,
        }
    }

    fn started(step: &str, attempt: u32) -> Event {
        Event::StepStarted {
            step: step.into(),
            attempt,
            in_transaction: Some(true),
        }
    }

    #[test]
    fn a_retry_counts_both_attempts_and_keeps_the_last_ones_rows_and_time() {
        let r = RunRecord::of(&[
            at(1, 0, started("m", 1)),
            at(
                2,
                1,
                Event::StatementFinished {
                    step: "m".into(),
                    index: 1,
                    rows: 500,
                    duration_ms: 900,
                },
            ),
            at(
                3,
                2,
                Event::StepFailed {
                    step: "m".into(),
                    error: Default::default(),
                },
            ),
            at(4, 10, started("m", 2)),
            at(
                5,
                11,
                Event::StatementFinished {
                    step: "m".into(),
                    index: 1,
                    rows: 3,
                    duration_ms: 40,
                },
            ),
            at(
                6,
                11,
                Event::StepFinished {
                    step: "m".into(),
                    duration_ms: 1000,
                    rows: 3,
                },
            ),
        ]);
        let m = r.step("m").unwrap();
        assert_eq!(m.status, Status::Done);
        assert_eq!(m.attempts, 2);
        assert_eq!(
            m.rows,
            Some(3),
            "the applied attempt's rows, not the largest"
        );
        assert_eq!(m.statements, 1);
        assert_eq!(m.duration_ms, Some(1000));
        assert_eq!(
            m.first_started_at,
            DateTime::from_timestamp(1_700_000_000, 0)
        );
    }

    #[test]
    fn a_failed_rollback_and_a_rollback_that_ran_nothing_leave_the_step_applied() {
        let r = RunRecord::of(&[
            at(1, 0, started("a", 1)),
            at(
                2,
                1,
                Event::StepFinished {
                    step: "a".into(),
                    duration_ms: 5,
                    rows: 0,
                },
            ),
            at(3, 2, started("b", 1)),
            at(
                4,
                3,
                Event::StepFinished {
                    step: "b".into(),
                    duration_ms: 5,
                    rows: 0,
                },
            ),
            at(
                5,
                4,
                Event::RollbackStarted {
                    steps: vec!["b".into(), "a".into()],
                },
            ),
            at(
                6,
                5,
                Event::StatementFinished {
                    step: "b".into(),
                    index: 1,
                    rows: 0,
                    duration_ms: 1,
                },
            ),
            at(
                7,
                5,
                Event::RollbackStep {
                    step: "b".into(),
                    ok: false,
                    error: None,
                },
            ),
            at(
                8,
                6,
                Event::RollbackLeftApplied {
                    step: "a".into(),
                    reason: "no rollback SQL".into(),
                },
            ),
        ]);
        let b = r.step("b").unwrap();
        assert_eq!(b.status, Status::RollbackFailed);
        assert_eq!(b.statements, 0, "rollback statements are not the step's");
        assert_eq!(r.step("a").map(|s| s.status), Some(Status::LeftApplied));
    }

    #[test]
    fn what_the_engine_waits_for_is_asked_refused_and_answered() {
        let gate = || Event::CheckpointReached {
            step: "go".into(),
            prompt: "Go?".into(),
            questions: vec!["Ready?".into()],
            failed_critical: vec![],
            projected_end: "2026-01-01T00:00:00Z".into(),
            hard_end: "not a time".into(),
        };
        let mut r = RunRecord::new();
        r.apply(&at(1, 0, gate()));
        assert_eq!(r.waiting_seq, 1);
        let Some(Waiting::Gate {
            projected_end,
            hard_end,
            ..
        }) = &r.waiting
        else {
            panic!("a gate: {:?}", r.waiting)
        };
        assert!(projected_end.is_some() && hard_end.is_none());
        r.apply(&at(
            2,
            1,
            Event::DecisionRejected {
                step: "go".into(),
                reason: "not every question is confirmed".into(),
            },
        ));
        assert_eq!(r.rejected_seq, 1);
        assert!(matches!(
            &r.waiting,
            Some(Waiting::Gate { rejected: Some(why), .. }) if why.contains("question")
        ));
        r.apply(&at(
            3,
            2,
            Event::DecisionRecorded {
                step: "go".into(),
                decision: Decision::Go,
                operator: "op".into(),
                comment: None,
                answers: vec![],
                overrode_failed_checks: vec![],
                restored: false,
            },
        ));
        assert_eq!(r.waiting, None);
        r.apply(&at(4, 3, gate()));
        assert_eq!(
            r.waiting_seq, 2,
            "the same gate asked again is a new question"
        );
        r.apply(&at(
            5,
            4,
            Event::RunFinished {
                outcome: crate::events::Outcome::Halted,
                message: None,
            },
        ));
        assert_eq!(r.waiting, None);
        assert_eq!(r.step("go").map(|s| s.status), Some(Status::Interrupted));
    }
}
