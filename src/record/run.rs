//! What the run record keeps of the run as a whole: its attempts, the phases as they ran,
//! where it stopped, its failures, each probe's samples. Plain facts; the fold that fills
//! them is the module's.

use crate::events::{Outcome, PlannedWindow, SqlFailure};
use crate::runbook::Scalar;
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
