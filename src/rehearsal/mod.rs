//! The rehearsal record: what a rehearsal on a throwaway copy found, kept next to its
//! journal (`runs/<run id>.rehearsal.json`) for the production run to be set against — per
//! step how long it took and how many rows, each check's result, and the schema before and
//! after with what changed.
//!
//! Pure: built from the run's report and two catalog snapshots.

mod round_trip;

pub use round_trip::round_trip;

use crate::catalog::{Change, Object, Snapshot};
use crate::report::Report;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Below this much data in a step's tables on the copy, its time there is mostly fixed cost
/// (planning, locks, round trips), not data: scaling it by size would wildly overstate it.
pub const MIN_SCALED_BYTES: u64 = 1 << 20;

/// Bumped when a field changes meaning; readers refuse a newer one.
pub const RECORD_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rehearsal {
    pub version: u32,
    pub runbook: String,
    /// The runbook's checksum when rehearsed: a production run matches it to this record.
    pub checksum: Option<String>,
    /// The database copied (`user@host:port/db`, never a password).
    pub source: String,
    /// How it was copied: `template` (`CREATE DATABASE … TEMPLATE`), `dump` (`pg_dump |
    /// pg_restore`) or `dump (schema only)`.
    pub method: String,
    /// The copy's database name (dropped after the rehearsal unless kept).
    pub copy: String,
    /// The server the copy was restored on (`--into`), when not the source's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub kept: bool,
    pub run_id: String,
    pub journal: String,
    pub outcome: String,
    /// Each monitoring phase was capped at this (ms): not a real window's monitoring time.
    pub monitor_cap_ms: u64,
    /// Wall time of the run on the copy.
    pub duration_ms: Option<u64>,
    pub steps: Vec<RehearsedStep>,
    pub checks: Vec<RehearsedCheck>,
    pub schema_before: Schema,
    pub schema_after: Schema,
    /// What the window changed in the schema.
    pub changes: Vec<Change>,
    /// Each migration applied, rolled back and applied again on a second copy.
    pub round_trips: Vec<Trip>,
    /// The size on disk of each table the steps touch, on the copy before the run: a
    /// production run scales each step's time by its tables' sizes there against these.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub table_bytes: BTreeMap<String, u64>,
}

/// One migration's up → down → up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    pub id: String,
    #[serde(flatten)]
    pub verdict: RoundTrip,
    /// The relation locks its up took (`AccessExclusiveLock on public.customers`), read in
    /// the trial's transaction; none for a migration run outside one (`CONCURRENTLY`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<String>,
    /// How long its down (the rollback SQL) took, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "round_trip", rename_all = "snake_case")]
pub enum RoundTrip {
    /// The down brought the schema back to what it was, and the up again to what it became.
    RoundTrips,
    /// The objects that differ: after the down from before the up, after the second up from
    /// after the first.
    Differs {
        after_down: Vec<Change>,
        after_up_again: Vec<Change>,
        /// The second up failed (on what the down left behind).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        up_again_error: Option<String>,
    },
    /// Nothing undoes it (no rollback SQL, or declared irreversible): applied once.
    NoRollback { reason: String },
    /// The source had it applied already (its tracking schema says so): not tried.
    AlreadyApplied,
    /// A stage (`up`, `down`, `up again`) failed with this error.
    Failed { stage: String, error: String },
}

impl Trip {
    /// One line for the terminal.
    pub fn describe(&self) -> String {
        let verdict = self.verdict_line();
        if self.locks.is_empty() {
            verdict
        } else {
            format!("{verdict} (locks: {})", self.locks.join(", "))
        }
    }

    fn verdict_line(&self) -> String {
        match &self.verdict {
            RoundTrip::RoundTrips => format!(
                "{}: up → down → up round-trips{}",
                self.id,
                self.down_ms
                    .map(|ms| format!(" (down in {})", crate::narration::ms(ms)))
                    .unwrap_or_default()
            ),
            RoundTrip::Differs {
                after_down,
                after_up_again,
                up_again_error,
            } => {
                let mut parts = Vec::new();
                if !after_down.is_empty() {
                    let what: Vec<String> = after_down.iter().map(Change::describe).collect();
                    parts.push(format!("the down leaves {}", what.join("; ")));
                }
                if !after_up_again.is_empty() {
                    let what: Vec<String> = after_up_again.iter().map(Change::describe).collect();
                    parts.push(format!("the second up differs: {}", what.join("; ")));
                }
                if let Some(e) = up_again_error {
                    parts.push(format!("the second up then failed: {e}"));
                }
                format!("{}: DOES NOT ROUND-TRIP — {}", self.id, parts.join("; "))
            }
            RoundTrip::NoRollback { reason } => {
                format!("{}: not undone ({reason}), applied once", self.id)
            }
            RoundTrip::AlreadyApplied => {
                format!("{}: already applied on the source, not tried", self.id)
            }
            RoundTrip::Failed { stage, error } => {
                format!("{}: the {stage} FAILED: {error}", self.id)
            }
        }
    }

    /// Whether this migration's rollback is shown to be wrong (or failed).
    pub fn is_bad(&self) -> bool {
        matches!(
            self.verdict,
            RoundTrip::Differs { .. } | RoundTrip::Failed { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RehearsedStep {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub duration_ms: Option<u64>,
    pub rows: Option<u64>,
    /// The tables its SQL reads or writes (the planner's names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RehearsedCheck {
    pub id: String,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub fingerprint: String,
    pub objects: Vec<Object>,
}

impl From<&Snapshot> for Schema {
    fn from(s: &Snapshot) -> Schema {
        Schema {
            fingerprint: s.fingerprint(),
            objects: s.objects.clone(),
        }
    }
}

/// Where the copy came from and what happened to it.
pub struct Copy {
    pub source: String,
    pub method: &'static str,
    pub name: String,
    /// `--into`'s server, redacted; `None`: the source's own.
    pub server: Option<String>,
    pub kept: bool,
    pub monitor_cap_ms: u64,
}

impl Rehearsal {
    pub fn new(
        report: &Report,
        copy: Copy,
        journal: &Path,
        (before, after): (&Snapshot, &Snapshot),
        round_trips: Vec<Trip>,
        (plan, table_bytes): (&crate::plan::Plan, BTreeMap<String, u64>),
    ) -> Rehearsal {
        let tables = |id: &str| -> Vec<String> {
            plan.steps
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.reads.union(&s.writes).cloned().collect())
                .unwrap_or_default()
        };
        Rehearsal {
            version: RECORD_VERSION,
            runbook: report.summary.runbook.clone().unwrap_or_default(),
            checksum: report.environment.runbook_checksum.clone(),
            source: copy.source,
            method: copy.method.to_owned(),
            copy: copy.name,
            server: copy.server,
            kept: copy.kept,
            run_id: report.summary.run_id.clone().unwrap_or_default(),
            journal: journal.display().to_string(),
            outcome: report.summary.outcome.as_str().to_owned(),
            monitor_cap_ms: copy.monitor_cap_ms,
            duration_ms: report.summary.window.duration_ms,
            steps: report
                .steps
                .iter()
                .map(|s| RehearsedStep {
                    id: s.id.clone(),
                    kind: s.kind.as_str().to_owned(),
                    status: s.status.as_str().to_owned(),
                    duration_ms: s.duration_ms,
                    rows: s.rows,
                    tables: tables(&s.id),
                })
                .collect(),
            checks: report
                .checks
                .iter()
                .map(|c| RehearsedCheck {
                    id: c.step.clone(),
                    passed: c.passed,
                    expected: c.expected.clone(),
                    actual: c.actual.clone(),
                })
                .collect(),
            schema_before: before.into(),
            schema_after: after.into(),
            changes: before.diff(after),
            round_trips,
            table_bytes,
        }
    }
}

/// Reads a rehearsal record, refusing one this version cannot read.
pub fn load(path: &Path) -> Result<Rehearsal, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("not a rehearsal record ({e})"))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(v) if v > u64::from(RECORD_VERSION) => {
            return Err(format!(
                "written by a newer cutover (record version {v}; this one reads {RECORD_VERSION})"
            ));
        }
        None => return Err("not a rehearsal record (no version)".into()),
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| format!("not a rehearsal record ({e})"))
}

impl Rehearsal {
    /// This rehearsal set against the schema `now`: what drifted since its start, and what it
    /// measured, to journal with the run.
    pub fn against(&self, record: &Path, now: &Snapshot) -> crate::events::RehearsalRef {
        let rehearsed = Snapshot::new(self.schema_before.objects.clone());
        crate::events::RehearsalRef {
            record: record.display().to_string(),
            run_id: self.run_id.clone(),
            fingerprint: now.fingerprint(),
            rehearsed_fingerprint: rehearsed.fingerprint(),
            drift: rehearsed.diff(now).iter().map(Change::describe).collect(),
            drift_accepted_by: None,
            steps: self
                .steps
                .iter()
                .map(|s| (s.id.clone(), s.duration_ms))
                .collect(),
            checks: self
                .checks
                .iter()
                .map(|c| (c.id.clone(), c.passed, c.actual.clone()))
                .collect(),
            scaled: Vec::new(),
        }
    }

    /// Each step's time on the rehearsal, where it ran to the end there: the production run's
    /// expected durations.
    pub fn durations(&self) -> Vec<(String, Duration)> {
        self.steps
            .iter()
            .filter(|s| matches!(s.status.as_str(), "applied" | "done" | "passed"))
            .filter_map(|s| {
                s.duration_ms
                    .map(|ms| (s.id.clone(), Duration::from_millis(ms.max(1))))
            })
            .collect()
    }

    /// Each migration's rehearsed rollback time: how long its down took in the up → down →
    /// up trial.
    pub fn rollback_durations(&self) -> Vec<(String, Duration)> {
        self.round_trips
            .iter()
            .filter_map(|t| {
                t.down_ms
                    .map(|ms| (t.id.clone(), Duration::from_millis(ms.max(1))))
            })
            .collect()
    }
}

/// A step's expected time in production: its rehearsal time, scaled by how much bigger (or
/// smaller) its tables are here.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaled {
    pub id: String,
    pub rehearsed: Duration,
    pub expected: Duration,
    /// Bytes here ÷ bytes on the copy, over the step's tables; `None`: not scaled (no tables,
    /// too little data on the copy to scale from, or sizes unknown).
    pub factor: Option<f64>,
}

impl Rehearsal {
    /// Each rehearsed step's expected time here, given the sizes of its tables here.
    pub fn scaled_durations(&self, here: &BTreeMap<String, u64>) -> Vec<Scaled> {
        self.durations()
            .into_iter()
            .map(|(id, rehearsed)| {
                let tables = self
                    .steps
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.tables.as_slice())
                    .unwrap_or_default();
                let (mut there, mut now) = (0u64, 0u64);
                for t in tables {
                    if let (Some(a), Some(b)) = (self.table_bytes.get(t), here.get(t)) {
                        there += a;
                        now += b;
                    }
                }
                let factor = (there >= MIN_SCALED_BYTES).then(|| now as f64 / there as f64);
                let expected = match factor {
                    Some(f) if f.is_finite() && f > 0.0 => {
                        rehearsed.mul_f64(f).max(Duration::from_millis(1))
                    }
                    _ => rehearsed,
                };
                Scaled {
                    id,
                    rehearsed,
                    expected,
                    factor,
                }
            })
            .collect()
    }

    /// Every table a rehearsed step touches.
    pub fn tables(&self) -> Vec<String> {
        let mut all: Vec<String> = self.steps.iter().flat_map(|s| s.tables.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The record's file, beside the run's journal.
pub fn path_for(journal: &Path) -> PathBuf {
    journal.with_extension("rehearsal.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rehearsed(copy_bytes: u64) -> Rehearsal {
        serde_json::from_value(serde_json::json!({
            "version": 1, "runbook": "r", "checksum": null, "source": "s", "method": "template",
            "copy": "c", "kept": false, "run_id": "r-1", "journal": "j", "outcome": "succeeded",
            "monitor_cap_ms": 0, "duration_ms": 10,
            "steps": [
                {"id": "index", "kind": "migrate", "status": "applied", "duration_ms": 200,
                 "rows": 0, "tables": ["events"]},
                {"id": "create", "kind": "migrate", "status": "applied", "duration_ms": 20,
                 "rows": 0, "tables": ["other"]}
            ],
            "checks": [],
            "schema_before": {"fingerprint": "a", "objects": []},
            "schema_after": {"fingerprint": "b", "objects": []},
            "changes": [], "round_trips": [],
            "table_bytes": {"events": copy_bytes}
        }))
        .expect("a record")
    }

    #[test]
    fn a_step_is_scaled_by_its_tables_when_the_copy_held_real_data() {
        let here = BTreeMap::from([("events".to_owned(), 3 * (8 << 20))]);
        let scaled = rehearsed(8 << 20).scaled_durations(&here);
        assert_eq!(scaled[0].factor, Some(3.0));
        assert_eq!(scaled[0].expected, Duration::from_millis(600));
        // A table the copy did not have: its rehearsal time stands.
        assert_eq!(scaled[1].factor, None);
        assert_eq!(scaled[1].expected, Duration::from_millis(20));
    }

    #[test]
    fn an_almost_empty_copy_is_not_scaled_from() {
        // 16 kB on the copy (a schema-only rehearsal): 200 ms there was fixed cost, not data.
        let here = BTreeMap::from([("events".to_owned(), 10 << 30)]);
        let scaled = rehearsed(16 << 10).scaled_durations(&here);
        assert_eq!(scaled[0].factor, None);
        assert_eq!(scaled[0].expected, Duration::from_millis(200));
    }
}
