//! The rehearsal record: what a rehearsal on a throwaway copy found, kept next to its
//! journal (`runs/<run id>.rehearsal.json`) for the production run to be set against — per
//! step how long it took and how many rows, each check's result, and the schema before and
//! after with what changed.
//!
//! Pure: built from the run's report and two catalog snapshots.

use crate::catalog::{Change, Object, Snapshot};
use crate::report::Report;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// How it was copied: `template` (`CREATE DATABASE … TEMPLATE`).
    pub method: String,
    /// The copy's database name (dropped after the rehearsal unless kept).
    pub copy: String,
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RehearsedStep {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub duration_ms: Option<u64>,
    pub rows: Option<u64>,
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
    pub kept: bool,
    pub monitor_cap_ms: u64,
}

impl Rehearsal {
    pub fn new(
        report: &Report,
        copy: Copy,
        journal: &Path,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Rehearsal {
        Rehearsal {
            version: RECORD_VERSION,
            runbook: report.summary.runbook.clone().unwrap_or_default(),
            checksum: report.environment.runbook_checksum.clone(),
            source: copy.source,
            method: copy.method.to_owned(),
            copy: copy.name,
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
        }
    }
}

/// The record's file, beside the run's journal.
pub fn path_for(journal: &Path) -> PathBuf {
    journal.with_extension("rehearsal.json")
}
