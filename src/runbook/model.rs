//! The runbook as the planner and the engine see it: validated, typed, every item located.

use super::yaml::{Loc, ScalarMap};
use chrono::{DateTime, FixedOffset};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Runbook {
    /// Identifier used in the tracking schema and journal names.
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub window: Window,
    pub database: Option<DatabaseConfig>,
    pub defaults: Defaults,
    pub phases: Vec<Phase>,
    /// The runbook file as given on the command line.
    pub path: PathBuf,
    /// SHA-256 of the runbook file and every SQL file it reads, in hex.
    pub checksum: String,
}

#[derive(Clone, Debug)]
pub struct Window {
    /// Planned start; `None` means the window starts when the run starts.
    pub start: Option<DateTime<FixedOffset>>,
    /// The zone times are shown in: `start`'s offset, or the operator's `--tz`; `None`: UTC.
    pub zone: Option<FixedOffset>,
    pub budget: Duration,
    /// Where `window.budget`'s value is written: what a window-level diagnostic (the
    /// phases not fitting in the window) is about.
    pub loc: Loc,
}

/// A zone as the operator writes it: `utc`, `local` (this machine's offset now), or an offset
/// like `+02:00`.
pub fn parse_zone(text: &str) -> Result<FixedOffset, String> {
    use chrono::Offset;
    match text.trim().to_ascii_lowercase().as_str() {
        "utc" | "z" => Ok(chrono::Utc.fix()),
        "local" => Ok(*chrono::Local::now().offset()),
        other => other.parse::<FixedOffset>().map_err(|_| {
            format!("`{text}` is not a zone: write utc, local, or an offset like +02:00")
        }),
    }
}

/// Where to connect. The URL is kept as written (with `${VAR}` unresolved) so that a
/// secret taken from the environment never sits in the runbook model.
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    pub url_template: String,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Defaults {
    pub lock_timeout: Duration,
    /// The lock wait of a `CONCURRENTLY` statement (an index build waits for every older
    /// transaction on the server, which does not block the application).
    pub concurrent_lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub lock_retries: u32,
    pub retry_backoff: Duration,
    pub transaction: TxMode,
    pub check_timeout: Duration,
    pub command_timeout: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            lock_timeout: Duration::from_secs(5),
            concurrent_lock_timeout: Duration::from_secs(10 * 60),
            statement_timeout: Duration::from_secs(15 * 60),
            lock_retries: 5,
            retry_backoff: Duration::from_millis(500),
            transaction: TxMode::Auto,
            check_timeout: Duration::from_secs(60),
            command_timeout: Duration::from_secs(10 * 60),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxMode {
    /// In a transaction unless the SQL contains a statement that cannot run in one.
    Auto,
    Always,
    Never,
}

impl TxMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TxMode::Auto => "auto",
            TxMode::Always => "always",
            TxMode::Never => "never",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseKind {
    Preparation,
    Migration,
    Verification,
    Monitoring,
}

impl PhaseKind {
    pub const ALL: [&'static str; 4] = ["preparation", "migration", "verification", "monitoring"];

    pub fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Preparation => "preparation",
            PhaseKind::Migration => "migration",
            PhaseKind::Verification => "verification",
            PhaseKind::Monitoring => "monitoring",
        }
    }
}

/// A planned start inside the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseStart {
    /// Wall-clock time of day in the window's time zone ("08:30").
    TimeOfDay { hour: u32, minute: u32 },
    /// Offset from the window start ("+1h30m").
    Offset(Duration),
}

#[derive(Clone, Debug)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub kind: PhaseKind,
    pub budget: Duration,
    pub start: Option<(PhaseStart, Loc)>,
    /// How many independent steps may run at once.
    pub parallel: usize,
    pub steps: Vec<Step>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub id: String,
    pub title: Option<String>,
    pub kind: StepKind,
    pub depends_on: Vec<Dependency>,
    pub expected_duration: Option<Duration>,
    /// Queries that must give their expected answer before the step runs (`require:`), in
    /// order; migrations, checks and commands only.
    pub require: Vec<Precondition>,
    /// Where the step's id is written (`- migrate: <id>`).
    pub loc: Loc,
}

/// A read-only query the database must answer as expected before a step runs (Liquibase's
/// preconditions, Atlas's pre-migration checks): `require: [{ sql: …, expect: …, on_fail: … }]`.
#[derive(Clone, Debug)]
pub struct Precondition {
    pub sql: SqlSource,
    pub expect: Expectation,
    pub on_fail: OnFail,
    pub timeout: Duration,
}

/// What a precondition that does not hold does to its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFail {
    /// The run stops before the step (halted: fix, then `--resume`).
    Halt,
    /// The step is skipped (not marked applied: a later run asks again); the run goes on.
    Skip,
    /// Said, journaled, and the step runs anyway.
    Warn,
}

impl OnFail {
    pub fn as_str(self) -> &'static str {
        match self {
            OnFail::Halt => "halt",
            OnFail::Skip => "skip",
            OnFail::Warn => "warn",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub id: String,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    Migrate(Migrate),
    Check(Check),
    Probe(Probe),
    Manual { prompt: String },
    Command(Command),
    Checkpoint(Checkpoint),
    Backfill(Backfill),
}

impl StepKind {
    pub const KEYS: [&'static str; 7] = [
        "migrate",
        "check",
        "probe",
        "manual",
        "command",
        "checkpoint",
        "backfill",
    ];

    pub fn key(&self) -> &'static str {
        match self {
            StepKind::Migrate(_) => "migrate",
            StepKind::Check(_) => "check",
            StepKind::Probe(_) => "probe",
            StepKind::Manual { .. } => "manual",
            StepKind::Command(_) => "command",
            StepKind::Checkpoint(_) => "checkpoint",
            StepKind::Backfill(_) => "backfill",
        }
    }

    /// The SQL this step runs, if any.
    pub fn sql(&self) -> Option<&SqlSource> {
        match self {
            StepKind::Migrate(m) => Some(&m.sql),
            StepKind::Check(c) => Some(&c.sql),
            StepKind::Probe(p) => Some(&p.sql),
            StepKind::Backfill(b) => Some(&b.sql),
            StepKind::Manual { .. } | StepKind::Command(_) | StepKind::Checkpoint(_) => None,
        }
    }
}

/// SQL text and where it came from, so errors inside it point at the right file and line.
#[derive(Clone, Debug)]
pub struct SqlSource {
    pub text: String,
    pub origin: SqlOrigin,
}

impl SqlSource {
    /// Where `len` bytes at byte `offset` of the SQL text are written: in the SQL file,
    /// or, for SQL written in the runbook, at their line and column there, even when YAML
    /// rewrote the text (a folded `>` block or a multi-line plain scalar joins its lines,
    /// a block loses its indentation, quotes and escapes vanish).
    pub fn locate(&self, runbook_file: &Path, offset: usize, len: usize) -> (PathBuf, Loc) {
        match &self.origin {
            SqlOrigin::File { path, .. } => {
                let (line, column) = line_col(&self.text, offset);
                (
                    path.clone(),
                    Loc {
                        line,
                        column,
                        offset,
                        len,
                    },
                )
            }
            SqlOrigin::Inline { map, .. } => (
                runbook_file.to_path_buf(),
                map.locate(&self.text, offset, len),
            ),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

#[derive(Clone, Debug, PartialEq)]
pub enum SqlOrigin {
    /// Written in the runbook. `first_line`/`column` place the first character of the SQL
    /// in the runbook file (for display); `map` places every other one (see
    /// [`SqlSource::locate`]).
    Inline {
        loc: Loc,
        first_line: usize,
        column: usize,
        map: ScalarMap,
    },
    /// Read from a file; `path` is the resolved path, `loc` where the runbook names it.
    File { path: PathBuf, loc: Loc },
}

impl SqlOrigin {
    pub fn loc(&self) -> Loc {
        match self {
            SqlOrigin::Inline { loc, .. } | SqlOrigin::File { loc, .. } => *loc,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Migrate {
    pub sql: SqlSource,
    pub rollback: Option<SqlSource>,
    /// Declared on purpose: nothing undoes this migration (`irreversible: <reason>`). A no-go
    /// leaves it applied, as it does a migration without rollback SQL.
    pub irreversible: Option<String>,
    pub transaction: TxMode,
    pub transaction_loc: Option<Loc>,
    pub lock_timeout: Duration,
    /// `lock_timeout` for its `CONCURRENTLY` statements.
    pub concurrent_lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub lock_retries: u32,
    pub breaking: bool,
    /// How long its rollback SQL is expected to take: its rehearsed down (scaled by table
    /// size like the step), when the run is set against a rehearsal.
    pub rollback_expected: Option<Duration>,
}

/// Data moved in batches, each its own short transaction, walking a table by its integer key
/// (`backfill:`): the expand → backfill → contract middle, without one long UPDATE's locks,
/// replica lag and bloat.
#[derive(Clone, Debug)]
pub struct Backfill {
    /// The table walked (`orders` or `sales.orders`) and its integer key: unique and indexed,
    /// usually the primary key.
    pub table: String,
    pub key: String,
    /// One batch: `$1` is the last key done, `$2` the last key of this batch
    /// (`UPDATE orders SET … WHERE id > $1 AND id <= $2`).
    pub sql: SqlSource,
    /// Rows per batch to start with, and the bounds it adapts within toward `batch_time`.
    pub batch: u32,
    pub min_batch: u32,
    pub max_batch: u32,
    pub batch_time: Duration,
    /// How the total is estimated up front, for % done and ETA.
    pub estimate: Estimate,
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub throttle: Throttle,
}

/// How a backfill's total is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimate {
    /// `count(*)` of the table: exact, a full scan.
    Count,
    /// The planner's statistics (`pg_class.reltuples`): free, roughly right after ANALYZE.
    Stats,
}

/// When a backfill waits between batches: above a mark it pauses, and goes on only below a
/// lower one (hysteresis, so it does not flap at the mark).
#[derive(Clone, Debug, Default)]
pub struct Throttle {
    /// Replication lag of any replica (`pg_stat_replication.replay_lag`).
    pub max_replica_lag: Option<Duration>,
    pub resume_below_lag: Option<Duration>,
    /// A query of the operator's returning one number (e.g. lag read elsewhere).
    pub probe: Option<ThrottleProbe>,
    /// Wait while a vacuum (autovacuum or not) works on the table.
    pub vacuum: bool,
    /// More sessions than this seen waiting on a batch's locks: the next batch is halved, a
    /// second later.
    pub max_lock_waits: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct ThrottleProbe {
    pub sql: SqlSource,
    pub above: f64,
    pub resume_below: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure blocks the next checkpoint's go unless explicitly overridden.
    Critical,
    Warning,
}

#[derive(Clone, Debug)]
pub struct Check {
    pub sql: SqlSource,
    pub expect: Expectation,
    pub severity: Severity,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct Probe {
    pub sql: SqlSource,
    pub every: Duration,
    pub alert: Option<Comparison>,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub program: Vec<String>,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub prompt: String,
    pub questions: Vec<String>,
}

/// A scalar from a query result or a runbook, compared the way a DBA would expect:
/// numbers numerically, everything else as text.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Null => f.write_str("NULL"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(s) => f.write_str(s),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub const KEYS: [&'static str; 6] = ["eq", "ne", "lt", "le", "gt", "ge"];

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Compare { op: Op, value: Scalar },
    Between { low: f64, high: f64 },
}

/// What a check expects of its query's result.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// The first column of the single row satisfies the comparison.
    Value(Comparison),
    /// The query returns exactly this many rows.
    Rows(u64),
    /// The query returns no rows (`true`) or at least one (`false`).
    Empty(bool),
}
