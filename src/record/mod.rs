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

    /// The run stopped: what was running or waiting was interrupted; a probe's sampling ended.
    fn settle_open_steps(&mut self) {
        for (i, s) in self.steps.iter_mut().enumerate() {
            if matches!(s.status, Status::Running | Status::Waiting) {
                s.status = if s.is_probe() {
                    Status::Done
                } else {
                    Status::Interrupted
                };
                self.touched.push(i);
            }
        }
    }

    /// The run succeeded: its probes' sampling ended.
    fn settle_probes(&mut self) {
        for (i, s) in self.steps.iter_mut().enumerate() {
            if s.status == Status::Running && s.is_probe() {
                s.status = Status::Done;
                self.touched.push(i);
            }
        }
    }

    /// The steps the latest [`RunRecord::apply`] changed.
    pub fn touched(&self) -> impl Iterator<Item = &StepRecord> {
        self.touched.iter().map(|&i| &self.steps[i])
    }

    /// What the run was doing: the open question, else the current step or another one
    /// running or waiting, else a rollback's step.
    fn stop_point(&self) -> Option<Stop> {
        if let Some(w) = &self.waiting {
            let kind = match w {
                Waiting::Gate { .. } => StopKind::Gate,
                Waiting::Manual { .. } => StopKind::Manual,
                Waiting::Failure { .. } => StopKind::FailureDecision,
                Waiting::Uncertain { .. } => StopKind::Uncertain,
            };
            return Some(Stop {
                step: w.step().to_owned(),
                kind,
            });
        }
        let current = self.current.as_ref().and_then(|c| self.step(c));
        let open = current.into_iter().chain(self.steps.iter()).find_map(|s| {
            let kind = match s.status {
                Status::Waiting if s.kind == Some(Kind::Checkpoint) => StopKind::Gate,
                Status::Waiting => StopKind::Manual,
                Status::Uncertain => StopKind::Uncertain,
                Status::Running if !s.is_probe() => StopKind::Running {
                    statement: s.statement.as_ref().map(|(n, _)| *n),
                    in_transaction: s.in_transaction,
                },
                _ => return None,
            };
            Some(Stop {
                step: s.id.clone(),
                kind,
            })
        });
        open.or_else(|| {
            self.rollback.as_ref()?;
            self.current.clone().map(|step| Stop {
                step,
                kind: StopKind::RollingBack,
            })
        })
    }

    fn step_mut(&mut self, id: &str) -> &mut StepRecord {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                let mut step = StepRecord::new(id);
                step.phase = self.current_phase.map(|p| self.phases[p].phase.clone());
                self.steps.push(step);
                self.index.insert(id.to_owned(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        };
        if !self.touched.contains(&i) {
            self.touched.push(i);
        }
        &mut self.steps[i]
    }

    /// Where the run stood, taken before the entry changes it: a cancel closes the open
    /// question, and the run's end settles what was running.
    fn note_where_it_stood(&mut self, event: &Event) {
        match event {
            Event::Cancelled { reason } => {
                if self.waiting.is_some() {
                    self.stop_candidate = self.stop_point();
                }
                self.cancel_reached = self.current.clone().filter(|c| {
                    self.step(c)
                        .is_some_and(|s| s.status == Status::Running && !s.is_probe())
                });
                self.cancel = Some(reason.clone());
            }
            Event::RunFinished { outcome, .. } => {
                if *outcome != Outcome::Succeeded {
                    self.stopped_at = self.stop_point().or_else(|| self.stop_candidate.take());
                }
                self.stop_candidate = None;
                self.cancel_reached = None;
            }
            _ => {}
        }
    }

    /// The run's attempts and its phases as they ran.
    fn follow_attempts(&mut self, entry: &Entry) {
        let ts = entry.ts;
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
                // An earlier attempt without `run_finished` (killed, crashed) ended at its
                // last entry.
                if let Some(last) = self.last_ts {
                    self.close_attempt(last);
                }
                self.warned_outside = false;
                let seq = entry.seq;
                match self.attempts.first() {
                    Some(first) => {
                        let mut odd = Vec::new();
                        if &first.run_id != run_id {
                            odd.push(Anomaly::OtherRun {
                                seq,
                                run_id: run_id.clone(),
                                first: first.run_id.clone(),
                            });
                        } else if !resumed {
                            odd.push(Anomaly::StartedAgainWithoutResumed { seq });
                        }
                        if &first.checksum != checksum {
                            odd.push(Anomaly::ChecksumChanged {
                                seq,
                                checksum: checksum.clone(),
                            });
                        }
                        if &first.server_version != server_version {
                            odd.push(Anomaly::ServerVersionChanged {
                                seq,
                                version: server_version.clone(),
                            });
                        }
                        self.anomalies.extend(odd);
                    }
                    None if *resumed => self.anomalies.push(Anomaly::StartsResumed),
                    None => {}
                }
                if parse_time(hard_end).is_none() {
                    self.anomalies.push(Anomaly::HardEndNotTime {
                        seq,
                        text: hard_end.clone(),
                    });
                }
                let reference = self
                    .attempts
                    .iter()
                    .zip(1..)
                    .find_map(|(a, n)| a.plan.as_ref().map(|p| (n, p)));
                if let (Some((first_attempt, reference)), Some(plan)) = (reference, plan)
                    && reference != plan
                {
                    self.anomalies
                        .push(Anomaly::PlanDiffers { seq, first_attempt });
                }
                self.attempts.push(Attempt {
                    run_id: run_id.clone(),
                    runbook: runbook.clone(),
                    title: title.clone(),
                    checksum: checksum.clone(),
                    operator: operator.clone(),
                    target: target.clone(),
                    server_version: server_version.clone(),
                    cutover_version: cutover_version.clone(),
                    resumed: *resumed,
                    hard_end_text: hard_end.clone(),
                    hard_end: parse_time(hard_end),
                    plan: plan.clone(),
                    seq: entry.seq,
                    started_at: ts,
                    ended_at: ts,
                    finished: None,
                    last_event: "run_started",
                    stopped_in_step: None,
                    closed: false,
                });
                self.last_decision = None;
                self.last_failed_step = None;
                self.rolling_back = false;
                self.cancel = None;
                self.stopped_at = None;
                self.stop_candidate = None;
                self.cancel_reached = None;
            }
            Event::PhaseStarted { phase } => {
                if let Some(p) = self.current_phase.take() {
                    let prev = &mut self.phases[p];
                    prev.ended_at = ts;
                    prev.duration_ms = ms_between(prev.started_at, ts);
                }
                self.phases.push(PhaseRun {
                    phase: phase.clone(),
                    attempt: u32::try_from(self.attempts.len()).unwrap_or(u32::MAX),
                    started_at: ts,
                    finished_at: None,
                    ended_at: ts,
                    duration_ms: 0,
                    budget_ms: None,
                    budget_exceeded_at: None,
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
                    let run = &mut self.phases[p];
                    run.finished_at = Some(ts);
                    run.ended_at = ts;
                    run.duration_ms = *duration_ms;
                    if self.current_phase == Some(p) {
                        self.current_phase = None;
                    }
                    // Its probes stop sampling with it.
                    for (i, s) in self.steps.iter_mut().enumerate() {
                        if s.status == Status::Running
                            && s.probe.as_ref().is_some_and(|pr| pr.phase == Some(p))
                        {
                            s.status = Status::Done;
                            s.finished_at = Some(ts);
                            self.touched.push(i);
                        }
                    }
                }
            }
            Event::RunFinished { outcome, message } => {
                if *outcome == Outcome::Aborted {
                    let checkpoint = match &self.last_decision {
                        Some((cp, Decision::Abort)) => Some(cp.clone()),
                        _ => None,
                    };
                    self.aborts.push(Abort {
                        attempt: self.attempt_no(),
                        at: ts,
                        checkpoint,
                        message: message.clone(),
                    });
                }
                if let Some(a) = self.attempts.last_mut().filter(|a| !a.closed) {
                    a.finished = Some((*outcome, message.clone()));
                    a.last_event = "run_finished";
                }
                self.close_attempt(ts);
            }
            _ => {}
        }
    }

    /// After each entry: the open attempt and phase reach it.
    fn reach(&mut self, entry: &Entry) {
        self.last_ts = Some(entry.ts);
        if let Some(a) = self.attempts.last_mut().filter(|a| !a.closed) {
            a.ended_at = entry.ts;
            a.last_event = entry.event.name();
        }
        if let Some(p) = self.current_phase {
            let run = &mut self.phases[p];
            run.ended_at = entry.ts;
            run.duration_ms = ms_between(run.started_at, entry.ts);
        }
    }

    /// Before each entry: what is odd about where it stands in the journal.
    fn check_sequence(&mut self, entry: &Entry) {
        if let Some(prev) = self.last_seq
            && entry.seq != prev + 1
        {
            self.anomalies.push(Anomaly::SeqGap {
                from: prev,
                to: entry.seq,
            });
        }
        self.last_seq = Some(entry.seq);
        let open = self.attempts.last().is_some_and(|a| !a.closed);
        if !open && !self.warned_outside && !matches!(entry.event, Event::RunStarted { .. }) {
            self.warned_outside = true;
            self.anomalies.push(Anomaly::OutsideRun {
                seq: entry.seq,
                before_any: self.attempts.is_empty(),
            });
        }
    }

    /// What happened at the gates, in rollbacks, aborts and cancels, and what the run did
    /// to stay exactly-once.
    fn follow_story(&mut self, entry: &Entry) {
        let ts = entry.ts;
        let attempt = self.attempt_no();
        match &entry.event {
            Event::CheckpointReached {
                step,
                prompt,
                questions,
                failed_critical,
                projected_end,
                hard_end,
            } => self.gates.push(Gate {
                step: step.clone(),
                attempt,
                reached_at: Some(ts),
                prompt: Some(prompt.clone()),
                questions: questions.clone(),
                failed_critical: failed_critical.clone(),
                projected_end: parse_time(projected_end),
                hard_end: parse_time(hard_end),
                rejections: Vec::new(),
                server_sessions: None,
                decision: None,
            }),
            Event::ServerActivity { step, sessions } => {
                let g = self.pending_gate(step);
                self.gates[g].server_sessions = Some((ts, sessions.clone()));
            }
            Event::DecisionRejected { step, reason } => {
                let g = self.pending_gate(step);
                self.gates[g].rejections.push((ts, reason.clone()));
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
                let g = self.pending_gate(step);
                let gate = &mut self.gates[g];
                gate.decision = Some(GateDecision {
                    decision: *decision,
                    operator: operator.clone(),
                    at: ts,
                    comment: comment.clone(),
                    answers: answers.clone(),
                    overrode_failed_checks: overrode_failed_checks.clone(),
                    restored: *restored,
                    waited_ms: gate.reached_at.map(|t| ms_between(t, ts)),
                });
                self.last_decision = Some((step.clone(), *decision));
            }
            Event::AwaitingFailureDecision { step } => {
                self.last_failed_step = Some(step.clone());
            }
            Event::RollbackStarted { steps } => {
                let checkpoint = match &self.last_decision {
                    Some((cp, Decision::Rollback)) => Some(cp.clone()),
                    _ => None,
                };
                let failed_step = if checkpoint.is_none() {
                    self.last_failed_step.clone()
                } else {
                    None
                };
                self.rollbacks.push(RollbackRun {
                    attempt,
                    started_at: ts,
                    checkpoint,
                    failed_step,
                    planned: steps.clone(),
                    results: Vec::new(),
                });
                self.in_rollback = Some(self.rollbacks.len() - 1);
            }
            Event::RollbackStep { step, ok, error } => {
                // Journals before `rollback_left_applied` said "left applied" as a failure.
                let left_applied = (!*ok)
                    .then_some(error.as_ref())
                    .flatten()
                    .filter(|e| e.message == "no rollback SQL declared; left applied")
                    .map(|_| "no rollback SQL".to_owned());
                let r = self.rollback_in_progress(entry);
                self.rollbacks[r].results.push(Undo {
                    step: step.clone(),
                    at: ts,
                    ok: *ok,
                    error: if left_applied.is_some() {
                        None
                    } else {
                        error.clone()
                    },
                    left_applied,
                });
            }
            Event::RollbackLeftApplied { step, reason } => {
                let r = self.rollback_in_progress(entry);
                self.rollbacks[r].results.push(Undo {
                    step: step.clone(),
                    at: ts,
                    ok: false,
                    error: None,
                    left_applied: Some(reason.clone()),
                });
            }
            Event::LockLost { reason } => self.anomalies.push(Anomaly::LockLost {
                at: ts,
                reason: reason.clone(),
            }),
            Event::LockRegained { pid } => self
                .anomalies
                .push(Anomaly::LockRegained { at: ts, pid: *pid }),
            Event::Reconnected { session, reason } => self.anomalies.push(Anomaly::Reconnected {
                at: ts,
                session: session.clone(),
                reason: reason.clone(),
            }),
            Event::RunbookChanged { started_with, now } => {
                self.anomalies.push(Anomaly::RunbookChanged {
                    at: ts,
                    started_with: started_with.clone(),
                    now: now.clone(),
                })
            }
            Event::StatementCancelled { step, reason } => self.cancels.push(Cancel {
                attempt,
                at: ts,
                reason: reason.clone(),
                step: Some(step.clone()),
                statement_only: true,
            }),
            Event::Cancelled { reason } => {
                let step = self.open_step().map(str::to_owned);
                self.cancels.push(Cancel {
                    attempt,
                    at: ts,
                    reason: reason.clone(),
                    step,
                    statement_only: false,
                });
            }
            _ => {}
        }
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

    /// A manual step or a checkpoint now waits for a person.
    fn wait_for_person(&mut self, step: &str, prompt: &str, kind: Kind, ts: DateTime<Utc>) {
        self.current = Some(step.to_owned());
        self.stop_candidate = None;
        self.open_span(step, ts);
        let s = self.step_mut(step);
        s.seen_as(kind);
        s.prompt = Some(prompt.to_owned());
        s.status = Status::Waiting;
        s.first_started_at.get_or_insert(ts);
        s.started_at = Some(ts);
    }

    /// What happened to each step.
    fn follow_steps(&mut self, entry: &Entry) {
        let ts = entry.ts;
        match &entry.event {
            Event::StepSkipped { step, reason } => {
                let s = self.step_mut(step);
                s.skip_reason = Some(reason.clone());
                s.skipped_at = Some(ts);
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
                self.current = Some(step.clone());
                self.stop_candidate = None;
                self.cancel_reached = None;
                let s = self.step_mut(step);
                s.seen_as(if in_transaction.is_some() {
                    Kind::Migrate
                } else {
                    Kind::Command
                });
                s.statement_cancelled = false;
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
                self.open_span(step, ts);
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
                let result = if s.status == Status::CheckFailed {
                    SpanResult::Failed
                } else {
                    SpanResult::Done
                };
                self.close_span(step, ts, result);
            }
            Event::StepFailed { step, error } => {
                // A cancel that reached this step's statement and did not stop the run: the
                // operator's `x` (the engine then offers retry, roll back or abort).
                let cancelled = error.sqlstate.as_deref() == Some("57014")
                    && self.cancel_reached.as_ref() == Some(step);
                self.cancel_reached = None;
                if cancelled {
                    self.cancel = None;
                }
                self.errors.push(RunError {
                    at: ts,
                    step: step.clone(),
                    error: error.clone(),
                });
                let s = self.step_mut(step);
                s.statement_cancelled = cancelled;
                s.waiting_for_lock = None;
                s.errors.push(Failure {
                    at: ts,
                    attempt: s.attempts,
                    error: error.clone(),
                });
                s.status = Status::Failed;
                s.finish_at(ts);
                self.close_span(step, ts, SpanResult::Failed);
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
                s.seen_as(Kind::Check);
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
                // Its span ends where the check did, whenever the engine gets round to
                // journaling `step_finished` (a parallel batch's are journaled together).
                let measured = self.open.get(step).map(|o| {
                    let start = self.phases[o.phase].spans[o.span].started_at;
                    offset(start, *duration_ms).unwrap_or(ts).min(ts).max(start)
                });
                let result = if *passed {
                    SpanResult::Done
                } else {
                    SpanResult::Failed
                };
                match measured {
                    Some(end) => self.close_span(step, end, result),
                    None => self.open_span(step, ts),
                }
                self.checks.push(CheckRun {
                    step: step.clone(),
                    attempt: self.attempt_no(),
                    at: ts,
                    passed: *passed,
                    expected: expected.clone(),
                    actual: actual.clone(),
                    severity: *severity,
                    duration_ms: *duration_ms,
                });
            }
            Event::ManualWaiting { step, prompt } => {
                self.wait_for_person(step, prompt, Kind::Manual, ts)
            }
            Event::ManualAcknowledged {
                step,
                operator,
                note,
            } => {
                self.close_span(step, ts, SpanResult::Done);
                let s = self.step_mut(step);
                s.seen_as(Kind::Manual);
                s.decided_by = Some(operator.clone());
                s.note.clone_from(note);
                s.status = Status::Done;
                s.finish_at(ts);
                self.decisions.push(DecisionRecord {
                    at: ts,
                    step: step.clone(),
                    decision: None,
                    operator: operator.clone(),
                    comment: note.clone(),
                    overrode_failed_checks: Vec::new(),
                    restored: false,
                });
            }
            Event::CheckpointReached { step, prompt, .. } => {
                self.wait_for_person(step, prompt, Kind::Checkpoint, ts)
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
                if *restored {
                    self.restated = self
                        .decisions
                        .iter()
                        .rev()
                        .find(|d| &d.step == step && !d.restored)
                        .cloned();
                }
                let s = self.step_mut(step);
                s.seen_as(Kind::Checkpoint);
                // Restated on resume: the decision given earlier (who, when) stands.
                if !(*restored && s.decision.is_some()) {
                    s.decided_by = Some(operator.clone()).filter(|o| !o.is_empty());
                }
                s.decision = Some(*decision);
                s.status = if *decision == Decision::Go {
                    Status::Go
                } else {
                    Status::NoGo
                };
                // A decision restored on resume stands with the time it was given.
                if !(*restored && s.finished_at.is_some()) {
                    s.finish_at(ts);
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
                let result = if *decision == Decision::Go {
                    SpanResult::Done
                } else {
                    SpanResult::NoGo
                };
                self.close_span(step, ts, result);
            }
            Event::ServerActivity { step, .. } | Event::DecisionRejected { step, .. } => {
                self.step_mut(step).seen_as(Kind::Checkpoint);
            }
            Event::UncertainStep { step, .. } => {
                self.current = Some(step.clone());
                self.stop_candidate = None;
                let s = self.step_mut(step);
                s.seen_as(Kind::Migrate);
                s.status = Status::Uncertain;
                s.uncertain = true;
            }
            Event::AwaitingFailureDecision { .. } => self.stop_candidate = None,
            Event::StatementCancelled { step, .. } => {
                // Not a run cancel: the step's 57014 failure and the failure choice follow.
                self.cancel_reached = Some(step.clone());
            }
            Event::ProbeSample { step, value, alert } => {
                let phase = self.current_phase;
                let s = self.step_mut(step);
                s.seen_as(Kind::Probe);
                if s.status == Status::Pending {
                    s.status = Status::Running;
                    s.first_started_at.get_or_insert(ts);
                    s.started_at = Some(ts);
                }
                s.probe.get_or_insert_with(ProbeStats::default).sample(
                    ts,
                    value.as_ref(),
                    *alert,
                    phase,
                );
                // Its stretch in the phase runs from its first sample to its latest.
                if let Some(p) = phase {
                    let spans = &mut self.phases[p].spans;
                    match spans.iter_mut().rev().find(|s| &s.step == step) {
                        Some(span) => span.ended_at = ts,
                        None => spans.push(Span {
                            step: step.clone(),
                            started_at: ts,
                            ended_at: ts,
                            result: SpanResult::Done,
                        }),
                    }
                    if *alert && let Some(span) = spans.iter_mut().rev().find(|s| &s.step == step) {
                        span.result = SpanResult::Alert;
                    }
                }
            }
            Event::Alert { step, .. } => {
                let s = self.step_mut(step);
                s.seen_as(Kind::Probe);
                s.probe.get_or_insert_with(ProbeStats::default).alerts += 1;
            }
            Event::RollbackStarted { .. } => self.rolling_back = true,
            Event::RollbackStep { step, ok, error } => {
                // Journals before `rollback_left_applied` said "left applied" as a failure.
                let left = error
                    .as_ref()
                    .filter(|e| !ok && e.message == "no rollback SQL declared; left applied");
                self.current = Some(step.clone());
                if let Some(error) = error.as_ref().filter(|_| left.is_none()) {
                    self.errors.push(RunError {
                        at: ts,
                        step: step.clone(),
                        error: error.clone(),
                    });
                }
                let s = self.step_mut(step);
                s.seen_as(Kind::Migrate);
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
                self.current = Some(step.clone());
                let s = self.step_mut(step);
                s.seen_as(Kind::Migrate);
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
                let s = self.step_mut(step);
                s.seen_as(Kind::Command);
                s.command = Some(CommandOutput {
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
            Event::RunFinished { outcome, .. } => {
                if *outcome == Outcome::Succeeded {
                    self.settle_probes();
                } else {
                    self.settle_open_steps();
                }
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

    #[test]
    fn a_cancel_that_closes_a_gate_leaves_the_run_stopped_at_the_gate() {
        let r = RunRecord::of(&[
            at(1, 0, started("m", 1)),
            at(
                2,
                1,
                Event::StepFinished {
                    step: "m".into(),
                    duration_ms: 5,
                    rows: 0,
                },
            ),
            at(
                3,
                2,
                Event::CheckpointReached {
                    step: "go".into(),
                    prompt: "Go?".into(),
                    questions: vec![],
                    failed_critical: vec![],
                    projected_end: String::new(),
                    hard_end: String::new(),
                },
            ),
            at(
                4,
                3,
                Event::Cancelled {
                    reason: "SIGTERM".into(),
                },
            ),
            at(
                5,
                4,
                Event::RunFinished {
                    outcome: Outcome::Interrupted,
                    message: None,
                },
            ),
        ]);
        assert_eq!(
            r.stopped_at,
            Some(Stop {
                step: "go".into(),
                kind: StopKind::Gate
            })
        );
        assert_eq!(r.cancel.as_deref(), Some("SIGTERM"));
        assert_eq!(r.current.as_deref(), Some("go"));
    }

    #[test]
    fn a_cancelled_statement_fails_its_step_and_is_not_a_run_cancel() {
        let mut r = RunRecord::of(&[
            at(1, 0, started("m", 1)),
            at(
                2,
                1,
                Event::StatementStarted {
                    step: "m".into(),
                    index: 2,
                    sql: "UPDATE t SET x = 1".into(),
                },
            ),
            at(
                3,
                2,
                Event::StatementCancelled {
                    step: "m".into(),
                    reason: "cancelled by the operator".into(),
                },
            ),
        ]);
        r.apply(&at(
            4,
            3,
            Event::StepFailed {
                step: "m".into(),
                error: SqlFailure {
                    sqlstate: Some("57014".into()),
                    ..Default::default()
                },
            },
        ));
        let m = r.step("m").unwrap();
        assert!(m.statement_cancelled);
        assert_eq!(r.cancel, None);
        assert_eq!(r.errors.len(), 1);
        // The same failure without a cancel that reached it is the SQL's own.
        let mut other = RunRecord::of(&[at(1, 0, started("m", 1))]);
        other.apply(&at(
            2,
            1,
            Event::StepFailed {
                step: "m".into(),
                error: SqlFailure {
                    sqlstate: Some("57014".into()),
                    ..Default::default()
                },
            },
        ));
        assert!(!other.step("m").unwrap().statement_cancelled);
    }

    #[test]
    fn a_run_that_stops_mid_statement_says_which_and_ends_its_probes_sampling() {
        let sample = |secs, value| {
            at(
                secs as u64,
                secs,
                Event::ProbeSample {
                    step: "lag".into(),
                    value: Some(crate::runbook::Scalar::Int(value)),
                    alert: value > 5,
                },
            )
        };
        let mut r = RunRecord::of(&[
            at(
                0,
                0,
                Event::PhaseStarted {
                    phase: "watch".into(),
                },
            ),
            sample(1, 3),
            sample(2, 9),
            at(
                3,
                3,
                Event::PhaseFinished {
                    phase: "watch".into(),
                    duration_ms: 3000,
                },
            ),
        ]);
        let lag = r.step("lag").unwrap();
        assert_eq!(lag.status, Status::Done, "its phase ended");
        let stats = lag.probe.as_ref().unwrap();
        assert_eq!(
            (stats.samples, stats.min, stats.max),
            (2, Some(3.0), Some(9.0))
        );
        assert!(stats.alert_now);
        assert_eq!(r.phases[0].duration_ms, 3000);
        r.apply(&at(
            4,
            4,
            Event::PhaseStarted {
                phase: "migrate".into(),
            },
        ));
        r.apply(&at(5, 5, started("m", 1)));
        r.apply(&at(
            6,
            6,
            Event::StatementStarted {
                step: "m".into(),
                index: 2,
                sql: "ALTER TABLE t ADD c int".into(),
            },
        ));
        r.apply(&at(
            7,
            8,
            Event::RunFinished {
                outcome: Outcome::Failed,
                message: None,
            },
        ));
        assert_eq!(
            r.stopped_at.as_ref().map(|s| &s.kind),
            Some(&StopKind::Running {
                statement: Some(2),
                in_transaction: Some(true)
            })
        );
        assert_eq!(r.step("m").unwrap().status, Status::Interrupted);
        let migrate = &r.phases[1];
        assert_eq!((migrate.finished_at, migrate.duration_ms), (None, 4000));
    }
}
