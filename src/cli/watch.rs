//! `cutover watch RUNBOOK`: follow a running window from elsewhere, read-only.

use super::exit;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    pub runbook: PathBuf,
    /// postgres:// URL or key=value conninfo (overrides the runbook and PG* variables). A role
    /// with USAGE on schema cutover and SELECT on its tables is enough.
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The zone times are shown in: utc, local, or an offset like +02:00 (default: the
    /// runbook's window zone, from window.start; else UTC).
    #[arg(long, value_name = "ZONE", value_parser = crate::runbook::parse_zone)]
    pub tz: Option<chrono::FixedOffset>,
}

/// Exit codes: 0 when the viewer leaves; 2 for usage, runbook or connection-setting errors
/// and when there is no terminal. A database that cannot be reached is shown on screen and
/// retried, not an exit.
pub fn watch(args: WatchArgs) -> u8 {
    let (mut runbook, plan) = match super::inspect::load_clean(&args.runbook) {
        Ok(ok) => ok,
        Err(_) => return exit::USAGE,
    };
    if let Some(tz) = args.tz {
        runbook.window.zone = Some(tz);
    }
    let target =
        match super::run::target_for(args.database_url.as_deref(), Some(&runbook), ":watch") {
            Ok(t) => t,
            Err(m) => {
                eprintln!("cutover: {m}");
                return exit::USAGE;
            }
        };
    let runtime = match super::runtime(super::Threads::Pool) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(crate::tui::watch::run_watch(&runbook, &plan, target)) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("cutover: terminal: {e}");
            eprintln!("cutover: `cutover watch` needs a terminal");
            exit::USAGE
        }
    }
}
