//! `cutover rehearse`: the whole window against a throwaway copy of the database, then the
//! copy is thrown away. The source is only read (its schema, in a read-only session); the
//! copy is made with `CREATE DATABASE … TEMPLATE` from another database of the same server,
//! the run is the headless engine with every gate approved and monitoring capped, and what
//! it found is kept as a rehearsal record beside the journal.

use super::exit;
use super::headless::{self, OnFailure, Policy};
use super::run::{os_user, parse_duration, spawn_signal_handler, target_for};
use crate::catalog::{self, Snapshot};
use crate::connect::{self, Target};
use crate::engine::{self, RunOptions};
use crate::events::Outcome;
use crate::rehearsal::{self, Copy, Rehearsal};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

#[derive(clap::Args, Debug)]
pub struct RehearseArgs {
    pub runbook: PathBuf,
    /// The database to copy: postgres:// URL or key=value conninfo (overrides the runbook and
    /// PG* variables). It is only read.
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Who is rehearsing (default: the OS user).
    #[arg(long)]
    pub operator: Option<String>,
    /// Cap each monitoring phase at this duration.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub monitor_for: Duration,
    /// What to do when a step fails on the copy.
    #[arg(long, value_enum, default_value_t = OnFailure::Stop)]
    pub on_failure: OnFailure,
    /// Keep the copy afterwards (its name is printed) instead of dropping it.
    #[arg(long)]
    pub keep: bool,
    /// Print events as JSON Lines.
    #[arg(long)]
    pub json: bool,
    /// Skip the up → down → up test of each migration (on a second copy).
    #[arg(long)]
    pub no_round_trip: bool,
}

/// Why a rehearsal could not start; said with what to do instead.
struct Refusal(String);

/// `target` with another database name.
fn on_database(target: &Target, name: &str) -> Target {
    let mut other = target.clone();
    other.config.dbname(name);
    other
}

/// A database name for the copy: `cutover_rehearsal_<runbook>_<UTC time>`, within
/// PostgreSQL's 63 bytes and lower-case (no quoting surprises).
fn copy_name(runbook: &str) -> String {
    let slug: String = runbook
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(20)
        .collect();
    format!(
        "cutover_rehearsal_{slug}_{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S%3f")
    )
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn masked(target: &Target, e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    crate::secret::mask(&text, target.secret().as_deref())
}

/// A session on another database of the source's server, to create and drop the copy
/// from (`CREATE DATABASE … TEMPLATE` wants no session on the source, ours included).
async fn maintenance(source: &Target) -> Result<Client, Refusal> {
    let mut last = String::new();
    for db in ["postgres", "template1"] {
        if db == source.dbname() {
            continue;
        }
        match connect::open(&on_database(source, db)).await {
            Ok((client, _notices)) => return Ok(client),
            Err(message) => last = message,
        }
    }
    Err(Refusal(format!(
        "cannot open a session on another database of {} to make the copy from: {last}",
        source.redacted()
    )))
}

/// Copies the source with `CREATE DATABASE … TEMPLATE`, or says why it cannot.
async fn make_copy(admin: &Client, source: &Target, copy: &str) -> Result<(), Refusal> {
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_ident(copy),
        quote_ident(&source.dbname())
    );
    let Err(e) = admin.batch_execute(&sql).await else {
        return Ok(());
    };
    let why = match e.code() {
        Some(&SqlState::OBJECT_IN_USE) => {
            let others: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[&source.dbname()],
                )
                .await
                .map(|r| r.get(0))
                .unwrap_or(-1);
            format!(
                "{} other session(s) are connected to {}, and CREATE DATABASE … TEMPLATE copies only a database nobody is connected to. Rehearse when they are gone, or from a copy (dump and restore into a scratch cluster is not built yet)",
                others.max(1),
                source.dbname()
            )
        }
        Some(&SqlState::INSUFFICIENT_PRIVILEGE) => format!(
            "{} may not create databases (CREATEDB is needed to make the copy): {}",
            source.config.get_user().unwrap_or("this role"),
            masked(source, &e)
        ),
        _ => format!("the copy could not be made: {}", masked(source, &e)),
    };
    Err(Refusal(why))
}

/// Drops the copy, ending any session still on it.
async fn drop_copy(admin: &Client, copy: &str) -> Result<(), tokio_postgres::Error> {
    let name = quote_ident(copy);
    // WITH (FORCE) is PostgreSQL 13+; before that, end the sessions first.
    if admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .is_ok()
    {
        return Ok(());
    }
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&copy],
        )
        .await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
}

/// A database's schema, read in a read-only session that is closed before this returns.
pub(super) async fn read_schema(target: &Target) -> Result<Snapshot, String> {
    let (client, _notices) = connect::open(target)
        .await
        .map_err(|m| format!("cannot connect to {}: {m}", target.redacted()))?;
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(|e| masked(target, &e))?;
    catalog::snapshot(&client).await.map_err(|e| {
        format!(
            "cannot read the schema of {}: {}",
            target.redacted(),
            masked(target, &e)
        )
    })
}

pub fn rehearse(args: RehearseArgs) -> u8 {
    let (runbook, plan) = match super::inspect::load_clean(&args.runbook) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let source = match target_for(args.database_url.as_deref(), Some(&runbook), ":rehearse") {
        Ok(t) => t,
        Err(message) => {
            eprintln!("cutover: {message}");
            return exit::USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cutover: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async move {
        let before = match read_schema(&source).await {
            Ok(s) => s,
            Err(why) => {
                eprintln!("cutover: rehearsal refused: {why}");
                return exit::USAGE;
            }
        };
        let admin = match maintenance(&source).await {
            Ok(c) => c,
            Err(Refusal(why)) => {
                eprintln!("cutover: rehearsal refused: {why}");
                return exit::USAGE;
            }
        };
        let copy = copy_name(&runbook.name);
        if let Err(Refusal(why)) = make_copy(&admin, &source, &copy).await {
            eprintln!("cutover: rehearsal refused: {why}");
            return exit::USAGE;
        }
        eprintln!(
            "rehearsing {} on {copy}, a copy of {} (CREATE DATABASE … TEMPLATE); the source is not written to",
            runbook.name,
            source.redacted()
        );
        let target = on_database(&source, &copy);
        let run_id = engine::new_run_id(&runbook.name);
        let journal = crate::journal::path_for_run(Path::new("runs"), &run_id);
        let operator = args.operator.clone().unwrap_or_else(os_user);
        let options = RunOptions {
            target: target.clone(),
            operator: operator.clone(),
            journal: journal.clone(),
            run_id: Some(run_id),
            exclusive_journal: true,
            resume: false,
            // The copy carries the source's tracking schema: an unfinished run there is the
            // production's to resume, not the rehearsal's.
            new_run: true,
            allow_changed: false,
            monitor_cap: Some(args.monitor_for),
            rehearsal: None,
        };
        let policy = Policy {
            approve: Vec::new(),
            approve_all: true,
            override_checks: Vec::new(),
            override_reason: None,
            operator,
            on_failure: args.on_failure,
            uncertain: None,
            json: args.json,
        };
        let (event_tx, event_rx) = tokio::sync::mpsc::unbounded_channel();
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        spawn_signal_handler(command_tx.clone());
        let printer = tokio::spawn(headless::drive(event_rx, command_tx, policy));
        let result = engine::run(&runbook, &plan, options, event_tx, command_rx).await;
        let _ = printer.await;
        let after = match connect::open(&target).await {
            Ok((client, _notices)) => catalog::snapshot(&client).await.ok(),
            Err(_) => None,
        };
        let trips = if args.no_round_trip {
            Vec::new()
        } else {
            round_trips(&admin, &source, &copy, &runbook, &plan).await
        };
        let dropped = if args.keep {
            false
        } else {
            match drop_copy(&admin, &copy).await {
                Ok(()) => true,
                Err(e) => {
                    eprintln!(
                        "cutover: the copy {copy} could not be dropped: {} — drop it by hand",
                        masked(&source, &e)
                    );
                    false
                }
            }
        };
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                eprintln!("cutover: {e}");
                return match e {
                    engine::EngineError::Refused(_) | engine::EngineError::Connect { .. } => {
                        exit::USAGE
                    }
                    _ => headless::exit_code(Outcome::Interrupted),
                };
            }
        };
        let bad = trips.iter().filter(|t| t.is_bad()).count();
        match record(
            &journal,
            &source,
            &copy,
            !dropped,
            &args,
            (&before, after.as_ref()),
            trips,
        ) {
            Ok(path) => eprintln!(
                "rehearsal {}; journal: {}; record: {}{}",
                outcome.as_str(),
                journal.display(),
                path.display(),
                if dropped {
                    "; the copy was dropped".to_owned()
                } else {
                    format!("; the copy is kept: {copy}")
                }
            ),
            Err(message) => eprintln!("cutover: the rehearsal record could not be written: {message}"),
        }
        if bad > 0 && outcome == Outcome::Succeeded {
            eprintln!(
                "rehearsal: the window ran, but {bad} migration(s) do not round-trip (up → down → up): their rollback would not bring the schema back"
            );
            return exit::FAILED;
        }
        headless::exit_code(outcome)
    })
}

/// The up → down → up of every migration, on a second copy made from the source the same
/// way (dropped afterwards). A copy that cannot be made is said, and no trip is recorded.
async fn round_trips(
    admin: &Client,
    source: &Target,
    copy: &str,
    runbook: &crate::runbook::Runbook,
    plan: &crate::plan::Plan,
) -> Vec<rehearsal::Trip> {
    let second = format!("{copy}_rt");
    if let Err(Refusal(why)) = make_copy(admin, source, &second).await {
        eprintln!("cutover: up → down → up not tried: {why}");
        return Vec::new();
    }
    let trips = match connect::open(&on_database(source, &second)).await {
        Ok((client, _notices)) => rehearsal::round_trip(&client, runbook, plan).await,
        Err(message) => {
            eprintln!("cutover: up → down → up not tried: {message}");
            Vec::new()
        }
    };
    for trip in &trips {
        eprintln!("round trip: {}", trip.describe());
    }
    if let Err(e) = drop_copy(admin, &second).await {
        eprintln!(
            "cutover: the copy {second} could not be dropped: {} — drop it by hand",
            masked(source, &e)
        );
    }
    trips
}

/// Writes the rehearsal record beside the journal and says what the window changed.
fn record(
    journal: &Path,
    source: &Target,
    copy: &str,
    kept: bool,
    args: &RehearseArgs,
    (before, after): (&Snapshot, Option<&Snapshot>),
    trips: Vec<rehearsal::Trip>,
) -> Result<PathBuf, String> {
    let replayed = crate::journal::replay(journal).map_err(|e| e.to_string())?;
    let report = crate::report::build(&replayed.entries, &replayed.unreadable);
    let after = after.ok_or("the copy's schema could not be read after the run")?;
    let record = Rehearsal::new(
        &report,
        Copy {
            source: source.redacted(),
            method: "template",
            name: copy.to_owned(),
            kept,
            monitor_cap_ms: u64::try_from(args.monitor_for.as_millis()).unwrap_or(u64::MAX),
        },
        journal,
        before,
        after,
        trips,
    );
    for change in &record.changes {
        eprintln!("schema: {}", change.describe());
    }
    eprintln!(
        "schema fingerprint {} → {} ({} change(s))",
        short(&record.schema_before.fingerprint),
        short(&record.schema_after.fingerprint),
        record.changes.len()
    );
    let path = rehearsal::path_for(journal);
    let text = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}
