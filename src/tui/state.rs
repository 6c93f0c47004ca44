//! What the screen shows: the runbook and plan (static), the run record's facts (taken as
//! each journal entry changes them) and the narration's log lines. Pure: `apply` never does
//! I/O, so a journal replay or a test can build any screen without a terminal or a database.

use crate::events::{Blocker, Decision, Outcome, SqlFailure};
use crate::journal::Entry;
use crate::plan::{EdgeKind, Plan};
use crate::runbook::{Runbook, Scalar, Severity, SqlOrigin, StepKind};
use chrono::{DateTime, Offset, Utc};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Log lines kept in memory (the journal keeps everything).
pub const LOG_CAPACITY: usize = 100_000;
/// Samples kept per probe.
pub const PROBE_CAPACITY: usize = crate::record::RECENT_SAMPLES;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    /// A checkpoint or manual step waiting for the operator.
    Waiting,
    Done,
    Failed,
    Skipped,
    /// Interrupted between statements by an earlier crash; the operator must say what happened.
    Uncertain,
    RolledBack,
    RollbackFailed,
    /// A checkpoint answered no-go.
    NoGo,
    /// Was running when the run stopped (cancel, pause, lost connection).
    Interrupted,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Waiting => "waiting for the operator",
            StepStatus::Done => "done",
            StepStatus::Failed => "FAILED",
            StepStatus::Skipped => "skipped",
            StepStatus::Uncertain => "UNCERTAIN",
            StepStatus::RolledBack => "rolled back",
            StepStatus::RollbackFailed => "ROLLBACK FAILED",
            StepStatus::NoGo => "no-go",
            StepStatus::Interrupted => "interrupted",
        }
    }

    /// One-cell glyph for lists and grids.
    pub fn glyph(self) -> &'static str {
        match self {
            StepStatus::Pending => "·",
            StepStatus::Running => "▶",
            StepStatus::Waiting => "…",
            StepStatus::Done => "✓",
            StepStatus::Failed => "✗",
            StepStatus::Skipped => "↷",
            StepStatus::Uncertain => "?",
            StepStatus::RolledBack => "↶",
            StepStatus::RollbackFailed => "✗",
            StepStatus::NoGo => "■",
            StepStatus::Interrupted => "‖",
        }
    }

    /// Finished one way or another: no more expected work.
    pub fn is_settled(self) -> bool {
        !matches!(
            self,
            StepStatus::Pending | StepStatus::Running | StepStatus::Waiting | StepStatus::Uncertain
        )
    }
}

/// A check's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckOutcome {
    pub passed: bool,
    pub actual: String,
    pub expected: String,
    pub severity: Severity,
    pub duration_ms: u64,
}

impl CheckOutcome {
    /// A failed warning-level check.
    pub fn is_warning(&self) -> bool {
        !self.passed && self.severity == Severity::Warning
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LockWaitUi {
    pub since: DateTime<Utc>,
    pub blockers: Vec<Blocker>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CommandOutputUi {
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

/// What the runbook and the plan say about a step (static), and what happened to it so far.
#[derive(Clone, Debug)]
pub struct StepUi {
    pub id: String,
    pub title: Option<String>,
    pub kind: &'static str,
    pub phase: usize,
    /// Steps this one waits for (indices), with whether the edge is a checkpoint barrier.
    pub deps: Vec<(usize, bool)>,
    /// Longest-path depth within its phase (layer in the dependency view).
    pub depth: usize,
    pub expected: Duration,
    pub planned_start: Duration,
    pub planned_end: Duration,
    pub in_transaction: Option<bool>,
    pub no_transaction_reason: Option<String>,
    pub breaking: bool,
    pub on_critical_path: bool,
    /// `auto`/`always`/`never` for migrations.
    pub transaction_mode: Option<&'static str>,
    /// Named timeouts and limits, in display form (`lock_timeout 2s`).
    pub limits: Vec<(String, String)>,
    pub sql: Option<String>,
    /// Where the SQL lives: a file, or the runbook for inline SQL (with its first line).
    pub sql_origin: Option<(String, usize)>,
    /// 1-based inclusive line ranges of each statement within `sql`.
    pub statement_lines: Vec<(usize, usize)>,
    pub rollback_sql: Option<String>,
    pub expectation: Option<String>,
    pub severity: Option<Severity>,
    pub prompt: Option<String>,
    pub questions: Vec<String>,
    pub program: Option<String>,
    pub alert_threshold: Option<String>,

    pub status: StepStatus,
    pub first_started: Option<DateTime<Utc>>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    /// How many times the step was started (attempts across retries and operator retries).
    pub starts: u32,
    /// The engine's attempt number of the latest start.
    pub attempt: u32,
    /// Lock-timeout retries scheduled by the engine.
    pub retries: u32,
    pub last_retry: Option<String>,
    /// 1-based index of the statement running (or last started).
    pub statement: Option<usize>,
    pub statement_sql: Option<String>,
    pub statements_done: usize,
    pub rows: u64,
    pub lock_wait: Option<LockWaitUi>,
    pub lock_waits: u32,
    pub notices: Vec<String>,
    pub error: Option<SqlFailure>,
    pub check: Option<CheckOutcome>,
    pub command_output: Option<CommandOutputUi>,
    pub skip_reason: Option<String>,
    pub decision: Option<Decision>,
    pub decided_by: Option<String>,
    pub rollback_error: Option<SqlFailure>,
    /// A rollback ran nothing for it, so it is still applied: why.
    pub left_applied: Option<String>,
    /// Its running statement was cancelled on request (the operator's `x`): the failure is
    /// SQLSTATE 57014 from that cancel, not from the SQL.
    pub statement_cancelled: bool,
}

#[derive(Clone, Debug)]
pub struct PhaseUi {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub planned_start: Duration,
    pub planned_end: Duration,
    pub budget: Duration,
    pub parallel: usize,
    /// Step indices in execution order.
    pub order: Vec<usize>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub over_budget: bool,
}

#[derive(Clone, Debug)]
pub struct ProbeUi {
    pub step: usize,
    pub samples: VecDeque<Option<f64>>,
    pub latest: Option<String>,
    pub alert_now: bool,
    pub alerts: u32,
    pub threshold: Option<String>,
    /// A numeric bound to scale the sparkline against, when the alert is numeric.
    pub threshold_value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlertUi {
    pub ts: DateTime<Utc>,
    pub step: String,
    pub value: String,
    pub threshold: String,
}

pub use crate::narration::Level;

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub ts: DateTime<Utc>,
    pub text: String,
    pub level: Level,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErrorUi {
    pub ts: DateTime<Utc>,
    pub step: String,
    pub error: SqlFailure,
}

/// What the engine is waiting for the operator to answer: the run record's.
pub use crate::record::Waiting as Prompt;

#[derive(Clone, Debug, Default)]
pub struct Header {
    pub title: String,
    pub runbook: String,
    pub run_id: Option<String>,
    /// As the engine reports it: already redacted.
    pub target: Option<String>,
    pub server_version: Option<String>,
    pub operator: String,
    pub cutover_version: Option<String>,
    pub resumed: bool,
    pub window_start: Option<DateTime<Utc>>,
    pub hard_end: Option<DateTime<Utc>>,
}

/// The overall state in one word, for the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overall {
    /// The plan is loaded; the engine is connecting.
    Connecting,
    Running,
    WaitingGate,
    WaitingManual,
    WaitingFailure,
    WaitingUncertain,
    Monitoring,
    RollingBack,
    Finished(Outcome),
}

impl Overall {
    pub fn label(&self) -> &'static str {
        match self {
            Overall::Connecting => "CONNECTING",
            Overall::Running => "RUNNING",
            Overall::WaitingGate => "GATE: DECISION NEEDED",
            Overall::WaitingManual => "MANUAL STEP WAITING",
            Overall::WaitingFailure => "STEP FAILED: DECISION NEEDED",
            Overall::WaitingUncertain => "UNCERTAIN STEP",
            Overall::Monitoring => "MONITORING",
            Overall::RollingBack => "ROLLING BACK",
            Overall::Finished(Outcome::Succeeded) => "SUCCEEDED",
            Overall::Finished(Outcome::Failed) => "FAILED",
            Overall::Finished(Outcome::Halted) => "HALTED (resumable)",
            Overall::Finished(Outcome::RolledBack) => "ROLLED BACK",
            Overall::Finished(Outcome::Aborted) => "ABORTED",
            Overall::Finished(Outcome::Interrupted) => "INTERRUPTED (resumable)",
        }
    }
}

/// One row of the dependency view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphRow {
    Phase(usize),
    Step(usize),
}

/// An operator decision, as journaled: a gate's go/no-go or a manual step's acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionUi {
    pub ts: DateTime<Utc>,
    pub step: String,
    /// `None`: a manual step acknowledged.
    pub decision: Option<Decision>,
    pub operator: String,
    pub comment: Option<String>,
    /// Failed critical checks a go overrode.
    pub overrode: Vec<String>,
}

/// What the run was doing when it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// A step was running (a statement, a command, a check).
    Running {
        /// The 1-based statement running, of how many.
        statement: Option<(usize, usize)>,
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
pub struct StopPoint {
    pub step: String,
    pub kind: StopKind,
}

/// What a replayed journal says about the run being resumed: the resume summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    pub journal: Option<String>,
    pub run_id: Option<String>,
    /// Attempts of the run so far (one per `run_started`).
    pub attempts: u32,
    pub events: usize,
    /// Journal lines that could not be read (a torn last write).
    pub unreadable: usize,
    pub first_ts: Option<DateTime<Utc>>,
    pub last_ts: Option<DateTime<Utc>>,
    /// The journal ends without `run_finished`: the process died (crash, kill, power loss).
    pub unfinished: bool,
    pub outcome: Option<(Outcome, Option<String>)>,
    pub stop: Option<StopPoint>,
    /// Step indices, in execution order. Checkpoints are listed as decisions instead.
    pub done: Vec<usize>,
    pub skipped: Vec<usize>,
    pub failed: Vec<usize>,
    pub rolled_back: Vec<usize>,
    /// Steps not done yet (pending, interrupted, failed, waiting), probes excluded.
    pub to_run: usize,
    /// The first step in execution order that is not done.
    pub next: Option<usize>,
    pub decisions: Vec<DecisionUi>,
}

pub use crate::record::last_run;

#[derive(Clone, Debug)]
pub struct UiState {
    pub header: Header,
    pub phases: Vec<PhaseUi>,
    pub steps: Vec<StepUi>,
    index: HashMap<String, usize>,
    /// Position of each step in the engine's execution order.
    pub exec_pos: Vec<usize>,
    pub graph_rows: Vec<GraphRow>,
    /// Row in `graph_rows` of each step.
    pub graph_row_of: Vec<usize>,
    /// Check steps in execution order (the verification grid).
    pub checks: Vec<usize>,
    pub probes: Vec<ProbeUi>,
    probe_of: HashMap<usize, usize>,
    pub alerts: Vec<AlertUi>,
    pub log: VecDeque<LogLine>,
    /// The run record: a step's attempts, rows and times come from it, as in the report.
    pub record: crate::record::RunRecord,
    pub errors: Vec<ErrorUi>,
    pub prompt: Option<Prompt>,
    /// Bumped each time a new prompt opens, so a view can reset its modal state.
    pub prompt_seq: u64,
    /// Bumped on each rejected decision.
    pub rejected_seq: u64,
    pub outcome: Option<(Outcome, Option<String>)>,
    pub current_phase: Option<usize>,
    /// The step most recently started or waiting.
    pub current_step: Option<usize>,
    pub rolling_back: bool,
    pub rollback_steps: Vec<String>,
    pub cancelled: Option<String>,
    /// Critical checks that failed since the last gate (as the engine counts them).
    pub failed_critical: Vec<String>,
    /// The server's long transactions and lock waits, as last seen at the open gate
    /// (`None`: not looked at yet).
    pub server_sessions: Option<Vec<crate::events::ServerSession>>,
    pub window_budget: Duration,
    /// The zone times are shown in: the runbook's window zone (its `window.start`), else UTC.
    pub zone: chrono::FixedOffset,
    /// The plan the projection of the window's end is computed on (shared by clones).
    plan: std::sync::Arc<Plan>,
    pub planned_end: Duration,
    pub started: bool,
    pub last_ts: Option<DateTime<Utc>>,
    /// Bumped on every applied entry.
    pub version: u64,
    /// Every go/no-go and acknowledgement, in order (restored ones are not repeated).
    pub decisions: Vec<DecisionUi>,
    /// `run_started` events seen: the attempts of this run.
    pub attempts: u32,
    /// Where the run stopped, once it has (not after a success).
    pub stopped_at: Option<StopPoint>,
    /// Set by [`UiState::finish_replay`]: the journal's story before this process resumes.
    pub restored: Option<Restored>,
}

fn fmt_limit(d: Duration) -> String {
    crate::runbook::duration::format(d)
}

/// Inclusive 1-based line ranges of each statement.
fn statement_lines(sql: &str) -> Vec<(usize, usize)> {
    crate::plan::sql::split_statements(sql)
        .iter()
        .map(|s| {
            let (first, _) = crate::plan::sql::line_col(sql, s.range.start);
            let (last, _) = crate::plan::sql::line_col(sql, s.range.end.saturating_sub(1));
            (first, last.max(first))
        })
        .collect()
}

fn numeric(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Int(i) => Some(*i as f64),
        Scalar::Float(x) => Some(*x),
        Scalar::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Scalar::Null | Scalar::Text(_) => None,
    }
}

impl UiState {
    pub fn new(runbook: &Runbook, plan: &Plan, operator: &str) -> UiState {
        let listed: Vec<&crate::runbook::Step> =
            runbook.phases.iter().flat_map(|p| &p.steps).collect();
        let mut index = HashMap::new();
        for (i, s) in plan.steps.iter().enumerate() {
            index.entry(s.id.clone()).or_insert(i);
        }
        let by_id: HashMap<&str, &crate::runbook::Step> =
            listed.iter().map(|s| (s.id.as_str(), *s)).collect();

        // Dependencies: the plan's in-phase edges plus explicit cross-phase ones.
        let mut deps: Vec<Vec<(usize, bool)>> = vec![Vec::new(); plan.steps.len()];
        for &(from, to, kind) in &plan.edges {
            if let Some(d) = deps.get_mut(to)
                && from < plan.steps.len()
                && !d.iter().any(|(f, _)| *f == from)
            {
                d.push((from, kind == EdgeKind::Barrier));
            }
        }
        for (to, step) in plan.steps.iter().enumerate() {
            for dep in &step.depends_on {
                if let Some(&from) = index.get(dep)
                    && plan.steps[from].phase != step.phase
                    && !deps[to].iter().any(|(f, _)| *f == from)
                {
                    deps[to].push((from, false));
                }
            }
        }

        let mut exec_pos = vec![usize::MAX; plan.steps.len()];
        for (pos, i) in plan.execution_order().enumerate() {
            if let Some(p) = exec_pos.get_mut(i) {
                *p = pos;
            }
        }
        // Steps the plan did not order (only with planning errors) go last, in listing order.
        let mut next = plan.steps.len();
        for p in exec_pos.iter_mut() {
            if *p == usize::MAX {
                *p = next;
                next += 1;
            }
        }

        // Longest-path depth within the phase: the layer `cutover graph` draws it in too.
        let depth = crate::plan::graph::depths(plan);

        let mut steps = Vec::with_capacity(plan.steps.len());
        for (i, sp) in plan.steps.iter().enumerate() {
            let rs = by_id.get(sp.id.as_str()).copied();
            let mut s = StepUi {
                id: sp.id.clone(),
                title: rs.and_then(|r| r.title.clone()),
                kind: sp.kind,
                phase: sp.phase,
                deps: deps[i].clone(),
                depth: depth[i],
                expected: sp.expected,
                planned_start: sp.planned_start,
                planned_end: sp.planned_end,
                in_transaction: sp.in_transaction,
                no_transaction_reason: sp.no_transaction_reason.clone(),
                breaking: sp.breaking,
                on_critical_path: sp.on_critical_path,
                transaction_mode: None,
                limits: Vec::new(),
                sql: None,
                sql_origin: None,
                statement_lines: Vec::new(),
                rollback_sql: None,
                expectation: None,
                severity: None,
                prompt: None,
                questions: Vec::new(),
                program: None,
                alert_threshold: None,
                status: StepStatus::Pending,
                first_started: None,
                started: None,
                finished: None,
                duration_ms: None,
                starts: 0,
                attempt: 0,
                retries: 0,
                last_retry: None,
                statement: None,
                statement_sql: None,
                statements_done: 0,
                rows: 0,
                lock_wait: None,
                lock_waits: 0,
                notices: Vec::new(),
                error: None,
                check: None,
                command_output: None,
                skip_reason: None,
                decision: None,
                decided_by: None,
                rollback_error: None,
                left_applied: None,
                statement_cancelled: false,
            };
            if let Some(rs) = rs {
                if let Some(src) = rs.kind.sql() {
                    s.sql = Some(src.text.clone());
                    s.sql_origin = Some(match &src.origin {
                        SqlOrigin::File { path, .. } => (path.display().to_string(), 1),
                        SqlOrigin::Inline { first_line, .. } => {
                            (runbook.path.display().to_string(), *first_line)
                        }
                    });
                }
                match &rs.kind {
                    StepKind::Migrate(m) => {
                        s.transaction_mode = Some(m.transaction.as_str());
                        s.limits = vec![
                            ("lock_timeout".into(), fmt_limit(m.lock_timeout)),
                            ("statement_timeout".into(), fmt_limit(m.statement_timeout)),
                            ("lock_retries".into(), m.lock_retries.to_string()),
                        ];
                        s.statement_lines = statement_lines(&m.sql.text);
                        s.rollback_sql = m.rollback.as_ref().map(|r| r.text.clone());
                    }
                    StepKind::Check(c) => {
                        s.expectation = Some(c.expect.to_string());
                        s.severity = Some(c.severity);
                        s.limits = vec![("timeout".into(), fmt_limit(c.timeout))];
                    }
                    StepKind::Probe(p) => {
                        s.limits = vec![("every".into(), fmt_limit(p.every))];
                        s.alert_threshold = p.alert.as_ref().map(|a| a.to_string());
                    }
                    StepKind::Manual { prompt } => s.prompt = Some(prompt.clone()),
                    StepKind::Command(c) => {
                        s.program = Some(c.program.join(" "));
                        s.limits = vec![("timeout".into(), fmt_limit(c.timeout))];
                    }
                    StepKind::Checkpoint(cp) => {
                        s.prompt = Some(cp.prompt.clone());
                        s.questions = cp.questions.clone();
                    }
                }
            }
            steps.push(s);
        }

        let phases: Vec<PhaseUi> = plan
            .phases
            .iter()
            .enumerate()
            .map(|(p, pp)| PhaseUi {
                id: pp.id.clone(),
                title: runbook
                    .phases
                    .get(p)
                    .map_or_else(|| pp.id.clone(), |r| r.title.clone()),
                kind: pp.kind,
                planned_start: pp.planned_start,
                planned_end: pp.planned_end,
                budget: pp.budget,
                parallel: pp.parallel,
                order: {
                    // Every step of the phase, in execution order (unordered ones last).
                    let mut o: Vec<usize> =
                        (0..steps.len()).filter(|&i| steps[i].phase == p).collect();
                    o.sort_by_key(|&i| exec_pos[i]);
                    o
                },
                started: None,
                finished: None,
                duration_ms: None,
                over_budget: false,
            })
            .collect();

        let mut graph_rows = Vec::with_capacity(steps.len() + phases.len());
        let mut graph_row_of = vec![0; steps.len()];
        for (p, phase) in phases.iter().enumerate() {
            graph_rows.push(GraphRow::Phase(p));
            let mut members = phase.order.clone();
            members.sort_by_key(|&i| (steps[i].depth, exec_pos[i]));
            for i in members {
                graph_row_of[i] = graph_rows.len();
                graph_rows.push(GraphRow::Step(i));
            }
        }

        let mut checks: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i].kind == "check")
            .collect();
        checks.sort_by_key(|&i| exec_pos[i]);

        let mut probes = Vec::new();
        let mut probe_of = HashMap::new();
        let mut probe_steps: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i].kind == "probe")
            .collect();
        probe_steps.sort_by_key(|&i| exec_pos[i]);
        for i in probe_steps {
            let threshold_value = by_id.get(steps[i].id.as_str()).and_then(|r| match &r.kind {
                StepKind::Probe(p) => match &p.alert {
                    Some(crate::runbook::Comparison::Compare { value, .. }) => numeric(value),
                    Some(crate::runbook::Comparison::Between { high, .. }) => Some(*high),
                    None => None,
                },
                _ => None,
            });
            probe_of.insert(i, probes.len());
            probes.push(ProbeUi {
                step: i,
                samples: VecDeque::new(),
                latest: None,
                alert_now: false,
                alerts: 0,
                threshold: steps[i].alert_threshold.clone(),
                threshold_value,
            });
        }

        let window_start = runbook.window.start.map(|s| s.with_timezone(&Utc));
        let hard_end = window_start.and_then(|s| {
            chrono::Duration::from_std(runbook.window.budget)
                .ok()
                .map(|b| s + b)
        });
        UiState {
            header: Header {
                title: runbook.title.clone(),
                runbook: runbook.name.clone(),
                operator: operator.to_owned(),
                window_start,
                hard_end,
                ..Header::default()
            },
            phases,
            steps,
            index,
            exec_pos,
            graph_rows,
            graph_row_of,
            checks,
            probes,
            probe_of,
            alerts: Vec::new(),
            log: VecDeque::new(),
            record: crate::record::RunRecord::new(),
            errors: Vec::new(),
            prompt: None,
            prompt_seq: 0,
            rejected_seq: 0,
            outcome: None,
            current_phase: None,
            current_step: None,
            rolling_back: false,
            rollback_steps: Vec::new(),
            cancelled: None,
            failed_critical: Vec::new(),
            server_sessions: None,
            window_budget: runbook.window.budget,
            zone: runbook.window.zone.unwrap_or(chrono::Utc.fix()),
            planned_end: plan.planned_end,
            plan: std::sync::Arc::new(plan.clone()),
            started: false,
            last_ts: None,
            version: 0,
            decisions: Vec::new(),
            attempts: 0,
            stopped_at: None,
            restored: None,
        }
    }

    /// The index of a step by id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn step(&self, id: &str) -> Option<&StepUi> {
        self.step_index(id).map(|i| &self.steps[i])
    }

    fn phase_index(&self, id: &str) -> Option<usize> {
        self.phases.iter().position(|p| p.id == id)
    }

    /// Whether the engine is still working (or about to start).
    pub fn is_active(&self) -> bool {
        self.outcome.is_none()
    }

    pub fn overall(&self) -> Overall {
        if let Some((outcome, _)) = &self.outcome {
            return Overall::Finished(*outcome);
        }
        if !self.started {
            return Overall::Connecting;
        }
        match &self.prompt {
            Some(Prompt::Gate { .. }) => return Overall::WaitingGate,
            Some(Prompt::Manual { .. }) => return Overall::WaitingManual,
            Some(Prompt::Failure { .. }) => return Overall::WaitingFailure,
            Some(Prompt::Uncertain { .. }) => return Overall::WaitingUncertain,
            None => {}
        }
        if self.rolling_back {
            return Overall::RollingBack;
        }
        if self
            .current_phase
            .and_then(|p| self.phases.get(p))
            .is_some_and(|p| p.kind == "monitoring" && p.finished.is_none())
            && self
                .current_step
                .is_none_or(|i| self.steps[i].status != StepStatus::Running)
        {
            return Overall::Monitoring;
        }
        Overall::Running
    }

    /// Whether the current phase is a monitoring phase still sampling.
    pub fn monitoring_active(&self) -> bool {
        self.is_active()
            && self
                .current_phase
                .and_then(|p| self.phases.get(p))
                .is_some_and(|p| p.kind == "monitoring" && p.finished.is_none())
    }

    /// Whether a statement (or command) is running now.
    pub fn statement_running(&self) -> bool {
        self.is_active()
            && self
                .steps
                .iter()
                .any(|s| s.status == StepStatus::Running && s.kind != "probe")
    }

    /// Expected work not done yet, as the engine projects it at a gate ([`Plan::remaining`]):
    /// pending steps in full, running ones for what is left, a sampling phase's window (capped
    /// in a rehearsal, as journaled).
    pub fn remaining_expected(&self, now: DateTime<Utc>) -> Duration {
        use crate::plan::forecast::{PhaseProgress, StepProgress};
        let since =
            |t: Option<DateTime<Utc>>| t.and_then(|t| (now - t).to_std().ok()).unwrap_or_default();
        let cap = self
            .record
            .attempts
            .last()
            .and_then(|a| a.plan.as_ref())
            .and_then(|p| p.monitor_cap_ms)
            .map(Duration::from_millis);
        self.plan.remaining(
            cap,
            |i| match self.steps.get(i).map(|s| (s.status, s.started)) {
                Some((StepStatus::Running, started)) => StepProgress::Running(since(started)),
                Some((
                    StepStatus::Pending
                    | StepStatus::Waiting
                    | StepStatus::Uncertain
                    | StepStatus::Interrupted,
                    _,
                ))
                | None => StepProgress::ToDo,
                Some(_) => StepProgress::Done,
            },
            |p| match self.phases.get(p) {
                Some(ph) if ph.finished.is_some() => PhaseProgress::Finished,
                Some(ph) if ph.started.is_some() => PhaseProgress::Running(since(ph.started)),
                _ => PhaseProgress::NotStarted,
            },
        )
    }

    /// When the window is projected to end, from the remaining expected work.
    pub fn projected_end(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let Some((_, _)) = &self.outcome {
            return self.last_ts;
        }
        let remaining = chrono::Duration::from_std(self.remaining_expected(now)).ok()?;
        if !self.started {
            // Not started yet: the plan's own end from the planned window start.
            let start = self.header.window_start?;
            return chrono::Duration::from_std(self.planned_end)
                .ok()
                .map(|d| start + d);
        }
        Some(now + remaining)
    }

    /// Checks summary: (passed, failed critical, failed warnings, pending).
    pub fn check_counts(&self) -> (usize, usize, usize, usize) {
        let mut counts = (0, 0, 0, 0);
        for &i in &self.checks {
            match &self.steps[i].check {
                Some(c) if c.passed => counts.0 += 1,
                Some(c) if c.is_warning() => counts.2 += 1,
                Some(_) => counts.1 += 1,
                None => counts.3 += 1,
            }
        }
        counts
    }

    fn log(&mut self, ts: DateTime<Utc>, text: String, level: Level) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { ts, text, level });
    }

    /// Where the run stood, in the screen's terms (a running statement, of how many).
    fn stop_of(&self, stop: &crate::record::Stop) -> StopPoint {
        use crate::record::StopKind as K;
        let kind = match &stop.kind {
            K::Running {
                statement,
                in_transaction,
            } => StopKind::Running {
                statement: statement.map(|n| {
                    let of = self.step(&stop.step).map_or(n, |s| s.statement_lines.len());
                    (n, of.max(n))
                }),
                in_transaction: *in_transaction,
            },
            K::Gate => StopKind::Gate,
            K::Manual => StopKind::Manual,
            K::FailureDecision => StopKind::FailureDecision,
            K::Uncertain => StopKind::Uncertain,
            K::RollingBack => StopKind::RollingBack,
        };
        StopPoint {
            step: stop.step.clone(),
            kind,
        }
    }

    /// Rebuilds the screen of an earlier attempt of the run from its journal (before
    /// `--resume` continues it): the last run's entries through [`UiState::apply`], then
    /// the summary in [`UiState::restored`]. A journal that stops without `run_finished`
    /// (the process died) is closed as interrupted, with its running steps settled.
    pub fn restore(&mut self, entries: &[Entry], journal: Option<&str>, unreadable: usize) {
        let entries = last_run(entries);
        for entry in entries {
            self.apply(entry);
        }
        let unfinished = self.started && self.outcome.is_none();
        if unfinished {
            self.record.journal_ended();
            self.take_steps();
            self.take_run();
            let message = "the journal ends before the run finished: cutover was killed or crashed, or the machine went down";
            if let Some(ts) = self.last_ts {
                self.log(ts, message.to_owned(), Level::Warn);
            }
            self.outcome = Some((Outcome::Interrupted, Some(message.to_owned())));
        }
        self.prompt = None;

        let mut order: Vec<usize> = (0..self.steps.len())
            .filter(|&i| self.steps[i].kind != "probe")
            .collect();
        order.sort_by_key(|&i| self.exec_pos[i]);
        let mut summary = Restored {
            journal: journal.map(str::to_owned),
            run_id: self.header.run_id.clone(),
            attempts: self.attempts,
            events: entries.len(),
            unreadable,
            first_ts: entries.first().map(|e| e.ts),
            last_ts: self.last_ts,
            unfinished,
            outcome: self.outcome.clone(),
            stop: self.stopped_at.clone(),
            done: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            rolled_back: Vec::new(),
            to_run: 0,
            next: None,
            decisions: self.decisions.clone(),
        };
        for i in order {
            let s = &self.steps[i];
            match s.status {
                StepStatus::Done if s.kind != "checkpoint" => summary.done.push(i),
                StepStatus::Skipped => summary.skipped.push(i),
                StepStatus::Failed | StepStatus::RollbackFailed => summary.failed.push(i),
                StepStatus::RolledBack => summary.rolled_back.push(i),
                _ => {}
            }
            if !matches!(s.status, StepStatus::Done | StepStatus::Skipped) {
                summary.to_run += 1;
                summary.next.get_or_insert(i);
            }
        }
        self.restored = Some(summary);
    }

    /// The operator chose to continue a restored run: the engine starts again, so the
    /// screen is "connecting" until its `run_started` (the replayed steps stay as they were).
    pub fn continue_resumed(&mut self) {
        self.outcome = None;
        self.started = false;
        self.cancelled = None;
        self.prompt = None;
        self.rolling_back = false;
        self.stopped_at = None;
        // The engine runs the checks again and counts failed critical ones afresh.
        self.failed_critical.clear();
    }

    /// Folds one journal entry into the state: the run record takes it, the log tells it,
    /// and the screen takes what changed from the record.
    pub fn apply(&mut self, entry: &Entry) {
        let attempts = self.record.attempts.len();
        self.record.apply(entry);
        self.version += 1;
        self.last_ts = Some(entry.ts);
        if self.record.attempts.len() != attempts {
            self.take_attempt(entry.ts);
        }
        self.log_entry(entry);
        self.take_steps();
        self.take_decisions();
        self.take_run();
    }

    /// A new attempt of the run started: the header is its.
    fn take_attempt(&mut self, ts: DateTime<Utc>) {
        let n = self.record.attempts.len();
        let Some(a) = self.record.attempts.last() else {
            return;
        };
        let resumed = a.resumed;
        let h = &mut self.header;
        h.run_id = Some(a.run_id.clone());
        h.title = a.title.clone();
        h.runbook = a.runbook.clone();
        h.operator = a.operator.clone();
        h.target = Some(a.target.clone());
        h.server_version = Some(a.server_version.clone());
        h.cutover_version = Some(a.cutover_version.clone());
        h.resumed = resumed;
        if let Some(end) = a.hard_end {
            h.hard_end = Some(end);
            h.window_start = chrono::Duration::from_std(self.window_budget)
                .ok()
                .map(|b| end - b);
        }
        self.started = true;
        self.attempts = u32::try_from(n).unwrap_or(u32::MAX);
        if resumed && !self.log.is_empty() {
            // What follows is this attempt; what precedes it, the earlier ones.
            let run_id = self.header.run_id.clone().unwrap_or_default();
            self.log(
                ts,
                format!("──── continuing run {run_id} (attempt {n}) ────"),
                Level::Gate,
            );
        }
    }

    /// The entry's sentence in the log; a decision restated on resume names the one that
    /// stands.
    fn log_entry(&mut self, entry: &Entry) {
        let told = crate::narration::tell(entry);
        let text = match &self.record.restated {
            Some(earlier) => format!(
                "DECISION {}: {} by {} at {} (given earlier in this run; it stands)",
                earlier.step,
                decision_word(earlier.decision),
                earlier.operator,
                super::fmt::clock(earlier.at, self.zone)
            ),
            None => told.text,
        };
        if !text.is_empty() {
            self.log(entry.ts, text, told.level);
        }
        for line in told.more {
            self.log(entry.ts, line, Level::Detail);
        }
    }

    /// The run as the record has it: its phases, the step it is at, what the engine waits
    /// for, failures, failed critical checks, the gate's server evidence, alerts, a rollback
    /// under way, a cancel, where it stopped and how it ended.
    fn take_run(&mut self) {
        self.take_phases();
        let r = &self.record;
        self.current_step = r.current.as_ref().and_then(|c| self.index.get(c).copied());
        if self.errors.len() != r.errors.len() {
            self.errors = r
                .errors
                .iter()
                .map(|e| ErrorUi {
                    ts: e.at,
                    step: e.step.clone(),
                    error: e.error.clone(),
                })
                .collect();
        }
        if self.failed_critical != r.failed_critical {
            self.failed_critical = r.failed_critical.clone();
        }
        if self.server_sessions != r.server_sessions {
            self.server_sessions = r.server_sessions.clone();
        }
        if r.alerts.len() != self.alerts.len() {
            self.alerts = r
                .alerts
                .iter()
                .map(|a| AlertUi {
                    ts: a.at,
                    step: a.step.clone(),
                    value: a.value.clone(),
                    threshold: a.threshold.clone(),
                })
                .collect();
        }
        self.rolling_back = r.rollback.is_some();
        let steps = r.rollback.as_deref().unwrap_or_default();
        if self.rollback_steps != steps {
            self.rollback_steps = steps.to_vec();
        }
        if self.outcome != r.outcome {
            self.outcome = r.outcome.clone();
        }
        if self.prompt != r.waiting {
            self.prompt = r.waiting.clone();
        }
        if self.cancelled != r.cancel {
            self.cancelled = r.cancel.clone();
        }
        self.prompt_seq = r.waiting_seq;
        self.rejected_seq = r.rejected_seq;
        let stopped = r.stopped_at.as_ref().map(|s| self.stop_of(s));
        if self.stopped_at != stopped {
            self.stopped_at = stopped;
        }
    }

    /// Each phase's times: a phase finished in an earlier attempt of the run is only walked
    /// through again on resume, and keeps its own timing.
    fn take_phases(&mut self) {
        for ph in &mut self.phases {
            ph.started = None;
            ph.finished = None;
            ph.duration_ms = None;
            ph.over_budget = false;
        }
        for run in &self.record.phases {
            let Some(p) = self.phase_index(&run.phase) else {
                continue;
            };
            let ph = &mut self.phases[p];
            ph.over_budget |= run.budget_exceeded_at.is_some();
            if ph.finished.is_none() {
                ph.started = Some(run.started_at);
                ph.finished = run.finished_at;
                ph.duration_ms = run.finished_at.map(|_| run.duration_ms);
            }
        }
        self.current_phase = self
            .record
            .phases
            .last()
            .and_then(|run| self.phase_index(&run.phase));
    }

    /// The decisions and acknowledgements, as the run record has them (one announced again
    /// on resume is not a second decision).
    fn take_decisions(&mut self) {
        let given = self.record.decisions.iter().filter(|d| !d.restored);
        if given.clone().count() == self.decisions.len() {
            return;
        }
        self.decisions = given
            .map(|d| DecisionUi {
                ts: d.at,
                step: d.step.clone(),
                decision: d.decision,
                operator: d.operator.clone(),
                comment: d.comment.clone(),
                overrode: d.overrode_failed_checks.clone(),
            })
            .collect();
    }

    /// The steps the entry changed, as the run record has them, so the screen and the
    /// report agree. Runs on every event: it copies only what can have changed.
    fn take_steps(&mut self) {
        for r in self.record.touched() {
            let Some(&i) = self.index.get(&r.id) else {
                continue;
            };
            take_step(&mut self.steps[i], r);
            if let (Some(stats), Some(&p)) = (&r.probe, self.probe_of.get(&i)) {
                let probe = &mut self.probes[p];
                probe.samples.clone_from(&stats.recent);
                probe.latest = (stats.samples > 0)
                    .then(|| stats.last.clone().unwrap_or_else(|| "NULL".to_owned()));
                probe.alert_now = stats.alert_now;
                probe.alerts = stats.alerts;
            }
        }
    }
}

/// One step's facts from the run record.
fn take_step(s: &mut StepUi, r: &crate::record::StepRecord) {
    use crate::record::Status;
    s.status = screen_status(r.status);
    s.starts = r.attempts;
    if r.first_started_at.is_some() {
        s.first_started = r.first_started_at;
    }
    // The details the report lists too.
    if s.notices.len() != r.notices.len() {
        s.notices = r
            .notices
            .iter()
            .map(|n| format!("{}: {}", n.severity, n.message))
            .collect();
    }
    s.error = r
        .errors
        .last()
        .filter(|e| e.attempt == r.attempts)
        .map(|e| e.error.clone());
    s.retries = u32::try_from(r.retries.len()).unwrap_or(u32::MAX);
    s.last_retry = r.retries.last().map(|x| {
        format!(
            "{}; attempt {} in {}",
            x.reason,
            x.attempt,
            super::fmt::ms(x.delay_ms)
        )
    });
    s.lock_waits = u32::try_from(r.lock_waits.len()).unwrap_or(u32::MAX);
    s.check = r.check.as_ref().map(|c| CheckOutcome {
        passed: c.passed,
        actual: c.actual.clone(),
        expected: c.expected.to_string(),
        severity: c.severity,
        duration_ms: c.duration_ms,
    });
    s.command_output = r.command.as_ref().map(|c| CommandOutputUi {
        exit_code: c.exit_code,
        stdout_tail: c.stdout_tail.clone(),
        stderr_tail: c.stderr_tail.clone(),
    });
    s.rollback_error.clone_from(&r.rollback_error);
    s.left_applied.clone_from(&r.left_applied);
    s.decision = r.decision;
    s.decided_by.clone_from(&r.decided_by);
    s.statement_cancelled = r.statement_cancelled;
    // The latest attempt, as it goes.
    s.attempt = r.attempt;
    if r.in_transaction.is_some() {
        s.in_transaction = r.in_transaction;
    }
    if r.started_at.is_some() {
        s.started = r.started_at;
    }
    let statement = r.statement.as_ref().map(|(n, _)| *n);
    if s.statement != statement || s.statement_sql.is_none() != statement.is_none() {
        s.statement = statement;
        s.statement_sql = r.statement.as_ref().map(|(_, sql)| sql.clone());
    }
    s.statements_done = r.statements_done;
    s.rows = r.rows_so_far;
    s.lock_wait = r
        .waiting_for_lock
        .as_ref()
        .map(|(since, blockers)| LockWaitUi {
            since: *since,
            blockers: blockers.clone(),
        });
    match r.status {
        Status::Running => {
            s.finished = None;
            s.duration_ms = None;
        }
        // Skipped as done before.
        Status::Skipped => {
            s.skip_reason.clone_from(&r.skip_reason);
            s.finished = r.skipped_at;
        }
        Status::Done | Status::Go | Status::NoGo | Status::CheckFailed | Status::Failed
            if r.finished_at.is_some() =>
        {
            s.finished = r.finished_at;
            s.duration_ms = r.duration_ms;
            if r.status == Status::Done
                && let Some(rows) = r.rows
            {
                s.rows = rows;
            }
        }
        _ => {}
    }
}

/// A step's state from the run record, in the screen's words.
fn screen_status(status: crate::record::Status) -> StepStatus {
    use crate::record::Status;
    match status {
        Status::Pending => StepStatus::Pending,
        Status::Running => StepStatus::Running,
        Status::Waiting => StepStatus::Waiting,
        // Still applied after a rollback that ran nothing: done, with the reason in the detail.
        Status::Done | Status::Go | Status::LeftApplied => StepStatus::Done,
        Status::CheckFailed | Status::Failed => StepStatus::Failed,
        Status::Skipped => StepStatus::Skipped,
        Status::Uncertain => StepStatus::Uncertain,
        Status::NoGo => StepStatus::NoGo,
        Status::RolledBack => StepStatus::RolledBack,
        Status::RollbackFailed => StepStatus::RollbackFailed,
        Status::Interrupted => StepStatus::Interrupted,
    }
}

/// A decision in one word.
pub fn decision_word(decision: Option<Decision>) -> &'static str {
    decision.map_or("acknowledged", crate::narration::decision_word)
}
