//! The fleet screen's model: every database of a fleet and where its run stands, phase by
//! phase, folded from the fleet's events and each database's own journal entries (through
//! the one run record while it runs, kept as step statuses once it ended). Pure: a replayed
//! fleet journal or a test builds any board without a terminal or a database.

use super::{FleetEvent, OnError, Target, TargetResult, WaveEvidence};
use crate::events::Outcome;
use crate::journal::Entry;
use crate::plan::Plan;
use crate::record::{RunRecord, Status};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// Where a database stands in the fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DbState {
    /// Its run failed, stopped or could not start: first, it needs someone.
    Failed,
    /// Undone with its wave (`on_error: rollback-wave`): to run again.
    RolledBack,
    Running,
    /// Its wave has not reached it yet.
    Queued,
    /// Its wave was halted before it started.
    NotStarted,
    Succeeded,
    /// Finished in an earlier run of the fleet: not run again.
    DoneBefore,
}

impl DbState {
    pub fn label(self) -> &'static str {
        match self {
            DbState::Failed => "failed",
            DbState::RolledBack => "rolled back",
            DbState::Running => "running",
            DbState::Queued => "queued",
            DbState::NotStarted => "not started",
            DbState::Succeeded => "succeeded",
            DbState::DoneBefore => "done before",
        }
    }
}

/// What the state filter shows, in the order `f` steps through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StateFilter {
    #[default]
    All,
    Failed,
    Running,
    Waiting,
    Done,
}

impl StateFilter {
    pub fn next(self) -> StateFilter {
        match self {
            StateFilter::All => StateFilter::Failed,
            StateFilter::Failed => StateFilter::Running,
            StateFilter::Running => StateFilter::Waiting,
            StateFilter::Waiting => StateFilter::Done,
            StateFilter::Done => StateFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StateFilter::All => "all",
            StateFilter::Failed => "failed",
            StateFilter::Running => "running",
            StateFilter::Waiting => "waiting",
            StateFilter::Done => "done",
        }
    }

    fn admits(self, state: DbState) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Failed => matches!(state, DbState::Failed | DbState::RolledBack),
            StateFilter::Running => state == DbState::Running,
            StateFilter::Waiting => matches!(state, DbState::Queued | DbState::NotStarted),
            StateFilter::Done => matches!(state, DbState::Succeeded | DbState::DoneBefore),
        }
    }
}

/// The order of the rows, `s` steps through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Failed first, then running (furthest first), queued, done.
    #[default]
    Progress,
    /// The fleet's own order (waves, then listing).
    Fleet,
    Name,
}

impl SortBy {
    pub fn next(self) -> SortBy {
        match self {
            SortBy::Progress => SortBy::Fleet,
            SortBy::Fleet => SortBy::Name,
            SortBy::Name => SortBy::Progress,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortBy::Progress => "progress",
            SortBy::Fleet => "fleet order",
            SortBy::Name => "name",
        }
    }
}

/// One phase of one database, as a grid cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Pending,
    Running,
    /// A step waits for a person (in a fleet, answered by its policy).
    Waiting,
    Done,
    Failed,
    /// A no-go or a rollback undid it.
    RolledBack,
    /// Stopped while running (cancel, lost connection): resumable.
    Interrupted,
}

impl Cell {
    /// The cell of a phase whose steps stand at `statuses`.
    fn of(statuses: &[Status]) -> Cell {
        use Status as S;
        let any = |f: &dyn Fn(S) -> bool| statuses.iter().any(|&s| f(s));
        if any(&|s| matches!(s, S::Failed | S::CheckFailed | S::RollbackFailed)) {
            Cell::Failed
        } else if any(&|s| matches!(s, S::NoGo | S::RolledBack | S::LeftApplied)) {
            Cell::RolledBack
        } else if any(&|s| matches!(s, S::Interrupted | S::Uncertain)) {
            Cell::Interrupted
        } else if any(&|s| s == S::Waiting) {
            Cell::Waiting
        } else if statuses.iter().all(|&s| s == S::Pending) {
            Cell::Pending
        } else if statuses.iter().all(|&s| settled(s)) {
            Cell::Done
        } else {
            Cell::Running
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Cell::Pending => "·",
            Cell::Running => "▶",
            Cell::Waiting => "…",
            Cell::Done => "✓",
            Cell::Failed => "✗",
            Cell::RolledBack => "↶",
            Cell::Interrupted => "‖",
        }
    }
}

fn settled(s: Status) -> bool {
    !matches!(
        s,
        Status::Pending | Status::Running | Status::Waiting | Status::Uncertain
    )
}

/// One database of the fleet.
#[derive(Clone, Debug)]
pub struct DbRow {
    pub name: String,
    /// Index into [`Board::waves`].
    pub wave: usize,
    pub labels: BTreeMap<String, String>,
    pub state: DbState,
    /// Its run's journal, once it started (the drill-in reads it).
    pub journal: Option<PathBuf>,
    pub result: Option<TargetResult>,
    /// The run record while it runs.
    live: Option<RunRecord>,
    /// Each plan step's status (by plan step index).
    statuses: Vec<Status>,
}

impl DbRow {
    /// Steps settled, of all.
    pub fn progress(&self) -> (usize, usize) {
        let done = match self.state {
            DbState::Succeeded | DbState::DoneBefore => self.statuses.len(),
            _ => self.statuses.iter().filter(|&&s| settled(s)).count(),
        };
        (done, self.statuses.len())
    }

    fn fraction(&self) -> f64 {
        let (done, all) = self.progress();
        if all == 0 {
            0.0
        } else {
            done as f64 / all as f64
        }
    }
}

/// Where a wave stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveState {
    Waiting,
    Running,
    /// Its databases are done; its gate waits for the operator.
    AtGate,
    Passed,
    Halted,
    /// The last wave: no gate after it.
    Finished,
}

#[derive(Clone, Debug)]
pub struct WaveRow {
    pub name: String,
    pub concurrency: usize,
    pub on_error: OnError,
    /// Indexes into [`Board::databases`].
    pub databases: Vec<usize>,
    pub state: WaveState,
    pub evidence: Option<WaveEvidence>,
}

/// What the fleet driver tells the screen: its own events (as journaled) and each running
/// database's journal entries.
#[derive(Clone, Debug)]
pub enum Update {
    Fleet(FleetEvent),
    Entry { target: String, entry: Box<Entry> },
}

/// The fleet screen's model.
#[derive(Clone, Debug)]
pub struct Board {
    pub fleet: String,
    pub runbook: String,
    /// Phase ids, in plan order (the grid's columns).
    pub phases: Vec<String>,
    /// Each plan step's phase.
    step_phase: Vec<usize>,
    step_index: HashMap<String, usize>,
    pub waves: Vec<WaveRow>,
    pub databases: Vec<DbRow>,
    by_name: HashMap<String, usize>,
    /// The wave whose gate waits for the operator's go or halt.
    pub gate: Option<usize>,
    pub outcome: Option<(Outcome, Option<String>)>,
}

impl Board {
    /// Every database of every wave, queued. `taken`: each wave's targets (see [`super::assign`]).
    pub fn new(
        fleet: &super::Fleet,
        runbook: &str,
        plan: &Plan,
        targets: &[Target],
        taken: &[Vec<usize>],
    ) -> Board {
        let mut databases = Vec::new();
        let mut waves = Vec::new();
        for (k, (wave, indexes)) in fleet.waves.iter().zip(taken).enumerate() {
            let mut mine = Vec::new();
            for &i in indexes {
                mine.push(databases.len());
                databases.push(DbRow {
                    name: targets[i].name.clone(),
                    wave: k,
                    labels: targets[i].labels.clone(),
                    state: DbState::Queued,
                    journal: None,
                    result: None,
                    live: None,
                    statuses: vec![Status::Pending; plan.steps.len()],
                });
            }
            waves.push(WaveRow {
                name: wave.name.clone(),
                concurrency: wave.concurrency,
                on_error: wave.on_error,
                databases: mine,
                state: WaveState::Waiting,
                evidence: None,
            });
        }
        let by_name = databases
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        Board {
            fleet: fleet.name.clone(),
            runbook: runbook.to_owned(),
            phases: plan.phases.iter().map(|p| p.id.clone()).collect(),
            step_phase: plan.steps.iter().map(|s| s.phase).collect(),
            step_index: plan
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.clone(), i))
                .collect(),
            waves,
            databases,
            by_name,
            gate: None,
            outcome: None,
        }
    }

    pub fn database(&self, name: &str) -> Option<&DbRow> {
        self.by_name.get(name).map(|&i| &self.databases[i])
    }

    fn wave_index(&self, name: &str) -> Option<usize> {
        self.waves.iter().position(|w| w.name == name)
    }

    pub fn update(&mut self, update: &Update) {
        match update {
            Update::Fleet(event) => self.apply(event),
            Update::Entry { target, entry } => self.apply_entry(target, entry),
        }
    }

    /// Takes one event of the fleet journal.
    pub fn apply(&mut self, event: &FleetEvent) {
        match event {
            FleetEvent::FleetStarted { .. } => {
                self.outcome = None;
                // Started before and never finished (the process was killed): no longer
                // running; its run resumes when its wave comes round again.
                for db in &mut self.databases {
                    if db.state == DbState::Running {
                        db.state = DbState::Queued;
                        db.live = None;
                    }
                }
            }
            FleetEvent::WaveStarted { wave } => {
                if let Some(k) = self.wave_index(wave) {
                    self.waves[k].state = WaveState::Running;
                }
            }
            FleetEvent::TargetStarted {
                target, journal, ..
            } => {
                if let Some(&i) = self.by_name.get(target) {
                    let db = &mut self.databases[i];
                    db.state = DbState::Running;
                    db.journal = Some(journal.clone());
                    db.result = None;
                    db.live = Some(RunRecord::new());
                    db.statuses.iter_mut().for_each(|s| *s = Status::Pending);
                }
            }
            FleetEvent::TargetFinished { result, .. } => {
                if let Some(&i) = self.by_name.get(&result.target) {
                    let db = &mut self.databases[i];
                    db.state = match (result.succeeded(), result.already_done) {
                        (true, true) => DbState::DoneBefore,
                        (true, false) => DbState::Succeeded,
                        (false, _) => DbState::Failed,
                    };
                    db.result = Some(result.clone());
                    db.live = None;
                }
            }
            FleetEvent::TargetRolledBack {
                target,
                outcome,
                message,
                ..
            } => {
                if let Some(&i) = self.by_name.get(target) {
                    let db = &mut self.databases[i];
                    db.state = if *outcome == Some(Outcome::RolledBack) {
                        DbState::RolledBack
                    } else {
                        DbState::Failed
                    };
                    db.result = Some(TargetResult {
                        target: target.clone(),
                        outcome: *outcome,
                        already_done: false,
                        duration_ms: 0,
                        run_id: None,
                        message: Some(match message {
                            Some(m) => format!("rolled back with its wave: {m}"),
                            None => "rolled back with its wave".into(),
                        }),
                        checks: Vec::new(),
                    });
                    db.live = None;
                }
            }
            FleetEvent::WaveGate { wave, evidence } => {
                if let Some(k) = self.wave_index(wave) {
                    let last = k + 1 == self.waves.len();
                    let w = &mut self.waves[k];
                    w.evidence = Some(evidence.clone());
                    w.state = if last {
                        WaveState::Finished
                    } else {
                        WaveState::AtGate
                    };
                    for &i in &w.databases {
                        if self.databases[i].state == DbState::Queued {
                            self.databases[i].state = DbState::NotStarted;
                        }
                    }
                    if !last {
                        self.gate = Some(k);
                    }
                }
            }
            FleetEvent::WaveDecision { wave, go, .. } => {
                if let Some(k) = self.wave_index(wave) {
                    self.waves[k].state = if *go {
                        WaveState::Passed
                    } else {
                        WaveState::Halted
                    };
                }
                self.gate = None;
            }
            FleetEvent::FleetFinished { outcome, message } => {
                self.outcome = Some((*outcome, message.clone()));
                if let Some(k) = self.gate.take() {
                    self.waves[k].state = WaveState::Halted;
                }
            }
        }
    }

    /// Takes one entry of a running database's own journal.
    pub fn apply_entry(&mut self, target: &str, entry: &Entry) {
        let Some(&i) = self.by_name.get(target) else {
            return;
        };
        let db = &mut self.databases[i];
        let Some(record) = db.live.as_mut() else {
            return;
        };
        record.apply(entry);
        for step in record.touched() {
            if let Some(&j) = self.step_index.get(&step.id) {
                db.statuses[j] = step.status;
            }
        }
    }

    /// Each phase's cell for database `i`.
    pub fn cells(&self, i: usize) -> Vec<Cell> {
        let db = &self.databases[i];
        (0..self.phases.len())
            .map(|p| {
                let statuses: Vec<Status> = db
                    .statuses
                    .iter()
                    .zip(&self.step_phase)
                    .filter(|&(_, &phase)| phase == p)
                    .map(|(&s, _)| s)
                    .collect();
                match db.state {
                    DbState::Succeeded | DbState::DoneBefore => Cell::Done,
                    _ => Cell::of(&statuses),
                }
            })
            .collect()
    }

    /// Every distinct `key=value` label, sorted (what `l` steps through).
    pub fn labels(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .databases
            .iter()
            .flat_map(|d| d.labels.iter().map(|(k, v)| format!("{k}={v}")))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The databases shown, in order: those the filters admit, sorted.
    pub fn rows(&self, state: StateFilter, label: Option<&str>, sort: SortBy) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..self.databases.len())
            .filter(|&i| state.admits(self.databases[i].state))
            .filter(|&i| {
                label.is_none_or(|l| {
                    self.databases[i]
                        .labels
                        .iter()
                        .any(|(k, v)| format!("{k}={v}") == l)
                })
            })
            .collect();
        match sort {
            SortBy::Fleet => {}
            SortBy::Name => {
                rows.sort_by(|&a, &b| self.databases[a].name.cmp(&self.databases[b].name))
            }
            SortBy::Progress => rows.sort_by(|&a, &b| {
                let (da, db) = (&self.databases[a], &self.databases[b]);
                da.state
                    .cmp(&db.state)
                    .then(db.fraction().total_cmp(&da.fraction()))
            }),
        }
        rows
    }

    /// How many databases stand in each state.
    pub fn counts(&self) -> BTreeMap<DbState, usize> {
        let mut counts = BTreeMap::new();
        for d in &self.databases {
            *counts.entry(d.state).or_insert(0) += 1;
        }
        counts
    }

    /// What is left at the pace so far: databases, waves not finished, and about how long
    /// (each wave's databases left in rounds of its concurrency, see [`super::forecast`]).
    pub fn forecast(&self) -> Option<(usize, usize, Duration)> {
        let so_far: Vec<TargetResult> = self
            .databases
            .iter()
            .filter_map(|d| d.result.clone())
            .collect();
        let remaining: Vec<(usize, usize)> = self
            .waves
            .iter()
            .filter(|w| matches!(w.state, WaveState::Waiting | WaveState::Running))
            .map(|w| {
                let left = w
                    .databases
                    .iter()
                    .filter(|&&i| {
                        matches!(self.databases[i].state, DbState::Queued | DbState::Running)
                    })
                    .count();
                (left, w.concurrency)
            })
            .filter(|&(left, _)| left > 0)
            .collect();
        let databases = remaining.iter().map(|(n, _)| n).sum();
        let left = super::forecast(&so_far, &remaining)?;
        Some((databases, remaining.len(), left))
    }
}

#[cfg(test)]
pub(crate) mod tests;
