//! What the run record keeps of the run as a whole: its attempts, the phases as they ran,
//! where it stopped, its failures, each probe's samples. Plain facts; the fold that fills
//! them is the module's.

use crate::events::{Decision, Outcome, PlannedWindow, ServerSession, SqlFailure};
use crate::runbook::{Expectation, Scalar, Severity};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// Recent samples kept per probe (its sparkline); the aggregates count every sample.
pub const RECENT_SAMPLES: usize = 512;

/// One attempt of the run: a `run_started` and what followed it, to its `run_finished` or
/// the journal's end.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub run_id: String,
    pub runbook: String,
    pub title: String,
    pub checksum: String,
    pub operator: String,
    /// As the engine reports it: already redacted.
    pub target: String,
    pub server_version: String,
    pub cutover_version: String,
    pub resumed: bool,
    /// As journaled, and parsed (`None` if it is not RFC 3339).
    pub hard_end_text: String,
    pub hard_end: Option<DateTime<Utc>>,
    pub plan: Option<PlannedWindow>,
    /// The `run_started` entry's sequence number.
    pub seq: u64,
    pub started_at: DateTime<Utc>,
    /// Its latest entry.
    pub ended_at: DateTime<Utc>,
    /// How it ended; `None`: no `run_finished` (killed, crashed, or still running).
    pub finished: Option<(Outcome, Option<String>)>,
    /// The `event` name of its latest entry.
    pub last_event: &'static str,
    /// The step running or waiting when it ended, if any.
    pub stopped_in_step: Option<String>,
    /// Ended: by `run_finished`, by the next `run_started`, or by the journal's end.
    pub(super) closed: bool,
}

/// One run of a phase (a resumed run starts its phases again).
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseRun {
    pub phase: String,
    /// The attempt it ran in, 1-based.
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    /// `None` when it never finished (a stop, a rollback, a crash).
    pub finished_at: Option<DateTime<Utc>>,
    /// `finished_at`, or its latest entry when it never finished.
    pub ended_at: DateTime<Utc>,
    /// As journaled by `phase_finished`, else `ended_at - started_at`.
    pub duration_ms: u64,
    /// Known only when the phase overran it.
    pub budget_ms: Option<u64>,
    pub budget_exceeded_at: Option<DateTime<Utc>>,
    /// What ran in it, with actual times.
    pub spans: Vec<Span>,
}

/// How a step's stretch of activity in a phase ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanResult {
    Done,
    Failed,
    /// A checkpoint decided abort or rollback.
    NoGo,
    /// A probe that raised an alert.
    Alert,
    /// Still running or waiting when its attempt or phase ended.
    Interrupted,
}

/// One stretch of a step's activity within a phase run.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub step: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub result: SpanResult,
}

/// An open span: where it lives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct OpenSpan {
    pub phase: usize,
    pub span: usize,
    /// Opening order: the latest opened is the step the run is at.
    pub opened: u64,
}

/// A checkpoint reached (or a decision restated without reaching it), and its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub step: String,
    pub attempt: u32,
    /// `None` for a decision restated from an earlier attempt without reaching the gate.
    pub reached_at: Option<DateTime<Utc>>,
    pub prompt: Option<String>,
    pub questions: Vec<String>,
    /// Critical checks that had failed when the gate was reached.
    pub failed_critical: Vec<String>,
    pub projected_end: Option<DateTime<Utc>>,
    pub hard_end: Option<DateTime<Utc>>,
    /// The run's pace at the gate and what the forecast advised (journals before either was
    /// journaled have neither).
    pub pace: Option<f64>,
    pub advice: Option<crate::plan::forecast::Advice>,
    /// What a rollback would have done had the answer been one, as said at the gate.
    pub rollback_outlook: Option<crate::events::RollbackPlan>,
    /// Decisions refused, and why.
    pub rejections: Vec<(DateTime<Utc>, String)>,
    /// Other sessions in long transactions or lock waits, as last looked at while it waited.
    pub server_sessions: Option<(DateTime<Utc>, Vec<ServerSession>)>,
    /// `None`: nobody decided (the run halted or stopped at the gate).
    pub decision: Option<GateDecision>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GateDecision {
    pub decision: Decision,
    pub operator: String,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
    /// Each checklist question, and whether it was confirmed.
    pub answers: Vec<(String, bool)>,
    pub overrode_failed_checks: Vec<String>,
    /// Given in an earlier attempt of this run, and standing.
    pub restored: bool,
    /// From reaching the gate to the decision.
    pub waited_ms: Option<u64>,
}

/// One result of a check (a check runs again when a run is resumed).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRun {
    pub step: String,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub passed: bool,
    pub expected: Expectation,
    pub actual: String,
    pub severity: Severity,
    pub duration_ms: u64,
}

/// A rollback: what it was to undo, and what each step's undo did.
#[derive(Clone, Debug, PartialEq)]
pub struct RollbackRun {
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    /// The checkpoint whose no-go asked for it, if any.
    pub checkpoint: Option<String>,
    /// The failed step it followed, if any.
    pub failed_step: Option<String>,
    /// The migrations to undo, in order.
    pub planned: Vec<String>,
    pub results: Vec<Undo>,
}

impl RollbackRun {
    /// Every planned step was undone.
    pub fn complete(&self) -> bool {
        self.planned
            .iter()
            .all(|p| self.results.iter().any(|r| &r.step == p && r.ok))
    }
}

/// One step's undo in a rollback.
#[derive(Clone, Debug, PartialEq)]
pub struct Undo {
    pub step: String,
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub error: Option<SqlFailure>,
    /// Nothing was run to undo it, so it is still applied: why.
    pub left_applied: Option<String>,
}

/// A run that ended aborted.
#[derive(Clone, Debug, PartialEq)]
pub struct Abort {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The checkpoint whose no-go aborted, if any.
    pub checkpoint: Option<String>,
    pub message: Option<String>,
}

/// A cancel: of the run, or only of a running statement (the run went on to the failure
/// choice).
#[derive(Clone, Debug, PartialEq)]
pub struct Cancel {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub reason: String,
    /// The step running then, if any.
    pub step: Option<String>,
    pub statement_only: bool,
}

/// Something odd about the journal itself, or what the run did to keep its exactly-once
/// promise: what a reader of the report must be told.
#[derive(Clone, Debug, PartialEq)]
pub enum Anomaly {
    SeqGap {
        from: u64,
        to: u64,
    },
    /// Entries where no attempt is open: before any `run_started`, or after `run_finished`.
    OutsideRun {
        seq: u64,
        before_any: bool,
    },
    /// A different run starts in the journal.
    OtherRun {
        seq: u64,
        run_id: String,
        first: String,
    },
    StartedAgainWithoutResumed {
        seq: u64,
    },
    ChecksumChanged {
        seq: u64,
        checksum: String,
    },
    ServerVersionChanged {
        seq: u64,
        version: String,
    },
    /// The journal starts with a resumed attempt: the earlier ones are elsewhere.
    StartsResumed,
    HardEndNotTime {
        seq: u64,
        text: String,
    },
    /// An attempt journals a plan other than the first one's.
    PlanDiffers {
        seq: u64,
        first_attempt: u32,
    },
    RollbackStepWithoutStart {
        seq: u64,
    },
    LockLost {
        at: DateTime<Utc>,
        reason: String,
    },
    LockRegained {
        at: DateTime<Utc>,
        pid: i32,
    },
    Reconnected {
        at: DateTime<Utc>,
        session: String,
        reason: String,
    },
    RunbookChanged {
        at: DateTime<Utc>,
        started_with: String,
        now: String,
    },
}

/// A step's failure, or its rollback's, in the order they happened.
#[derive(Clone, Debug, PartialEq)]
pub struct RunError {
    pub at: DateTime<Utc>,
    pub step: String,
    pub error: SqlFailure,
}

/// What the run was doing when it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// A step was running (a statement, a command, a check).
    Running {
        /// The 1-based statement running.
        statement: Option<usize>,
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
pub struct Stop {
    pub step: String,
    pub kind: StopKind,
}

/// A probe's samples: aggregates over all of them, and the latest few.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProbeStats {
    pub samples: u32,
    /// Samples with a numeric (finite) value.
    pub numeric: u32,
    pub nulls: u32,
    pub sum: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The latest value (`None`: NULL).
    pub last: Option<String>,
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    /// Samples over the threshold.
    pub alerts: u32,
    /// The latest sample is over the threshold.
    pub alert_now: bool,
    /// The latest samples as numbers (a boolean as 0 or 1; text or NULL as `None`).
    pub recent: VecDeque<Option<f64>>,
    /// The phase run of its latest sample (index into the record's phases).
    pub phase: Option<usize>,
}

impl ProbeStats {
    pub(super) fn sample(
        &mut self,
        at: DateTime<Utc>,
        value: Option<&Scalar>,
        alert: bool,
        phase: Option<usize>,
    ) {
        self.samples += 1;
        self.first_at.get_or_insert(at);
        self.last_at = Some(at);
        self.alert_now = alert;
        self.phase = phase;
        let numeric = match value {
            Some(Scalar::Int(i)) => Some(*i as f64),
            Some(Scalar::Float(x)) if x.is_finite() => Some(*x),
            _ => None,
        };
        if let Some(x) = numeric {
            self.numeric += 1;
            self.sum += x;
            self.min = Some(self.min.map_or(x, |m| m.min(x)));
            self.max = Some(self.max.map_or(x, |m| m.max(x)));
        }
        self.last = match value {
            None | Some(Scalar::Null) => {
                self.nulls += 1;
                None
            }
            Some(v) => Some(v.to_string()),
        };
        if self.recent.len() >= RECENT_SAMPLES {
            self.recent.pop_front();
        }
        self.recent.push_back(match value {
            Some(Scalar::Int(i)) => Some(*i as f64),
            Some(Scalar::Float(x)) => Some(*x),
            Some(Scalar::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
            Some(Scalar::Null | Scalar::Text(_)) | None => None,
        });
    }
}

/// The record's bookkeeping of attempts, spans, gates and rollbacks (the fold itself is the
/// module's).
impl super::RunRecord {
    /// The attempt running now, 1-based (0 before any).
    pub(super) fn attempt_no(&self) -> u32 {
        u32::try_from(self.attempts.len()).unwrap_or(u32::MAX)
    }

    /// The step the run is at: the latest opened of those running or waiting.
    pub fn open_step(&self) -> Option<&str> {
        self.open
            .iter()
            .max_by_key(|(_, o)| o.opened)
            .map(|(id, _)| id.as_str())
    }

    /// The phase running now.
    pub fn current_phase(&self) -> Option<&PhaseRun> {
        self.current_phase.map(|p| &self.phases[p])
    }

    pub(super) fn open_span(&mut self, step: &str, at: DateTime<Utc>) {
        if self.open.contains_key(step) {
            return;
        }
        let Some(p) = self.current_phase else {
            return;
        };
        self.phases[p].spans.push(Span {
            step: step.to_owned(),
            started_at: at,
            ended_at: at,
            result: SpanResult::Interrupted,
        });
        self.opened += 1;
        let span = self.phases[p].spans.len() - 1;
        self.open.insert(
            step.to_owned(),
            OpenSpan {
                phase: p,
                span,
                opened: self.opened,
            },
        );
        if let Some(&i) = self.index.get(step) {
            self.steps[i].first_started_at.get_or_insert(at);
        }
    }

    pub(super) fn close_span(&mut self, step: &str, at: DateTime<Utc>, result: SpanResult) {
        if let Some(open) = self.open.remove(step) {
            let span = &mut self.phases[open.phase].spans[open.span];
            span.ended_at = at;
            span.result = result;
        }
    }

    /// The open attempt ends at `at` (its latest entry): its open spans are interrupted, its
    /// phase ends.
    pub(super) fn close_attempt(&mut self, at: DateTime<Utc>) {
        if self.attempts.last().is_none_or(|a| a.closed) {
            return;
        }
        let stopped = self.open_step().map(str::to_owned);
        let open: Vec<String> = self.open.keys().cloned().collect();
        for id in open {
            self.close_span(&id, at, SpanResult::Interrupted);
        }
        if let Some(p) = self.current_phase.take() {
            let run = &mut self.phases[p];
            run.ended_at = at;
            run.duration_ms = super::ms_between(run.started_at, at);
        }
        self.in_rollback = None;
        if let Some(a) = self.attempts.last_mut() {
            a.ended_at = at;
            a.stopped_in_step = stopped;
            a.closed = true;
        }
    }

    /// The gate a decision belongs to: the latest undecided one of this step in this
    /// attempt, else a new one (a decision restated without reaching the gate).
    pub(super) fn pending_gate(&mut self, step: &str) -> usize {
        let attempt = self.attempt_no();
        if let Some(i) = self
            .gates
            .iter()
            .rposition(|g| g.step == step && g.attempt == attempt && g.decision.is_none())
        {
            return i;
        }
        self.gates.push(Gate {
            step: step.to_owned(),
            attempt,
            reached_at: None,
            prompt: None,
            questions: Vec::new(),
            failed_critical: Vec::new(),
            projected_end: None,
            hard_end: None,
            pace: None,
            advice: None,
            rollback_outlook: None,
            rejections: Vec::new(),
            server_sessions: None,
            decision: None,
        });
        self.gates.len() - 1
    }

    /// The rollback a step's undo belongs to (one is opened, and noted, for a journal that
    /// lost its `rollback_started`).
    pub(super) fn rollback_in_progress(&mut self, entry: &crate::journal::Entry) -> usize {
        if let Some(r) = self.in_rollback {
            return r;
        }
        self.anomalies
            .push(Anomaly::RollbackStepWithoutStart { seq: entry.seq });
        self.rollbacks.push(RollbackRun {
            attempt: self.attempt_no(),
            started_at: entry.ts,
            checkpoint: None,
            failed_step: None,
            planned: Vec::new(),
            results: Vec::new(),
        });
        self.in_rollback = Some(self.rollbacks.len() - 1);
        self.rollbacks.len() - 1
    }
}
