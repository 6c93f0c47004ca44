//! The command line: parsing arguments and dispatching to the commands.

/// Prints a line to stdout; a closed pipe (`cutover plan | head`) is not an error worth a panic.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Like `say!` without the newline.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

mod copy;
mod fleet;
pub mod headless;
mod inspect;
mod rehearse;
mod report;
mod rollback;
mod run;
mod status;
mod watch;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Drive a PostgreSQL maintenance window from a YAML runbook.
#[derive(Parser, Debug)]
#[command(name = "cutover", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate a runbook: every error and warning, with file, line and column.
    Check {
        runbook: PathBuf,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Show the ordered plan: planned times, transaction modes, tables, critical path, slack.
    Plan {
        runbook: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// The zone times are shown in: utc, local, or an offset like +02:00 (default: the
        /// window's, from window.start).
        #[arg(long, value_name = "ZONE", value_parser = crate::runbook::parse_zone)]
        tz: Option<chrono::FixedOffset>,
    },
    /// Run the window against PostgreSQL (with --headless: no TUI, for rehearsals and CI).
    Run(run::RunArgs),
    /// Rehearse the whole window on a throwaway copy of the database (CREATE DATABASE …
    /// TEMPLATE), every gate approved and monitoring capped, then drop the copy; writes a
    /// rehearsal record beside the journal. The source is only read.
    Rehearse(rehearse::RehearseArgs),
    /// Follow a running window from another machine, read-only (same screen, no decisions).
    Watch(watch::WatchArgs),
    /// Which steps of a runbook this database has applied, pending, uncertain or changed.
    Status(status::StatusArgs),
    /// The cutover runs recorded in a database.
    History(status::HistoryArgs),
    /// Print the dependency graph.
    Graph {
        runbook: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
    /// Turn a journal into the post-migration report (Markdown, JSON or HTML).
    Report(report::ReportArgs),
    /// Run one runbook over a fleet of databases: a canary, then waves with a concurrency
    /// cap and a gate between waves carrying the wave's evidence.
    Fleet(fleet::FleetArgs),
    /// Undo, on one database, every migration of the runbook still applied — newest first,
    /// by its rollback SQL — as a journaled run of its own, after a confirmation.
    Rollback(rollback::RollbackArgs),
}

/// Exit codes, documented in the README.
pub mod exit {
    pub const OK: u8 = 0;
    /// `check`: errors found (or warnings with --deny-warnings); `run`: a step failed.
    pub const FAILED: u8 = 1;
    /// Usage or configuration error (clap uses 2 for bad arguments as well).
    pub const USAGE: u8 = 2;
}

/// How a command's async work runs: on the calling thread (one engine, one printer: every
/// round trip a wake-up within it), or on a pool of two (a screen that must never wait
/// behind the engine, many databases at once).
#[derive(Clone, Copy)]
enum Threads {
    One,
    Pool,
}

/// The async runtime, or — said on stderr — the usage exit code when it cannot start.
fn runtime(threads: Threads) -> Result<tokio::runtime::Runtime, u8> {
    let built = match threads {
        Threads::One => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Threads::Pool => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    };
    built.map_err(|e| {
        eprintln!("cutover: cannot start the async runtime: {e}");
        exit::USAGE
    })
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check {
            runbook,
            deny_warnings,
            format,
        } => inspect::check(&runbook, deny_warnings, format),
        Command::Plan {
            runbook,
            format,
            tz,
        } => inspect::plan(&runbook, format, tz),
        Command::Graph { runbook, format } => inspect::graph(&runbook, format),
        Command::Run(args) => run::run(args),
        Command::Rehearse(args) => rehearse::rehearse(args),
        Command::Watch(args) => watch::watch(args),
        Command::Status(args) => status::status(args),
        Command::History(args) => status::history(args),
        Command::Report(args) => report::run(args),
        Command::Fleet(args) => fleet::fleet(args),
        Command::Rollback(args) => rollback::rollback(args),
    };
    ExitCode::from(code)
}
