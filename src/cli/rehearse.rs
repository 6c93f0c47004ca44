//! `cutover rehearse`: the whole window against a throwaway copy of the database, then the
//! copy is thrown away. The source is only read (its schema, in a read-only session); the
//! copy is made with `CREATE DATABASE … TEMPLATE` from another database of the same server,
//! the run is the headless engine with every gate approved and monitoring capped, and what
//! it found is kept as a rehearsal record beside the journal.

use super::copy::{self, CopyError, masked, on_database};
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
    /// How to copy: `template` (CREATE DATABASE … TEMPLATE: fast, needs nobody connected to
    /// the source), `dump` (pg_dump | pg_restore: works while the source is in use), or
    /// `auto`: template, else dump when the source is in use.
    #[arg(long, value_enum, default_value_t = CopyHow::Auto)]
    pub copy: CopyHow,
    /// Copy the schema only, no data (by pg_dump | pg_restore).
    #[arg(long)]
    pub schema_only: bool,
    /// Restore the copy on another server (a scratch cluster, a staging host): a URL or
    /// conninfo of any database there; the copy is made with pg_dump | pg_restore and
    /// dropped there afterwards. Default: the source's own server.
    #[arg(long, value_name = "URL")]
    pub into: Option<String>,
    /// Also store the rehearsal record in the source database's tracking schema
    /// (`cutover.rehearsals`; the one write to the source), where a production run on any
    /// machine finds it.
    #[arg(long)]
    pub publish: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CopyHow {
    Auto,
    Template,
    Dump,
}

/// Makes the copy the way asked (falling back to a dump when the source is in use and the
/// way is `auto`); says how it was made.
async fn make_copy(
    admin: &Client,
    (source, into): (&Target, Option<&Target>),
    name: &str,
    how: CopyHow,
    schema_only: bool,
) -> Result<&'static str, Refusal> {
    let home = into.unwrap_or(source);
    if into.is_some() && how == CopyHow::Template {
        return Err(Refusal(format!(
            "CREATE DATABASE … TEMPLATE copies within one server, and --into restores on {}: drop --copy template (the copy is then made with pg_dump | pg_restore)",
            home.redacted()
        )));
    }
    if how != CopyHow::Dump && !schema_only && into.is_none() {
        match copy::by_template(admin, source, &source.dbname(), name).await {
            Ok(()) => return Ok("template"),
            Err(CopyError::Refused(why)) => return Err(Refusal(why)),
            Err(CopyError::Busy(n)) if how == CopyHow::Template => {
                return Err(Refusal(format!(
                    "{n} other session(s) are connected to {}, and CREATE DATABASE … TEMPLATE copies only a database nobody is connected to. Rehearse when they are gone, or copy with --copy dump",
                    source.dbname()
                )));
            }
            Err(CopyError::Busy(n)) => eprintln!(
                "{n} session(s) are connected to {}: copying with pg_dump | pg_restore instead of TEMPLATE",
                source.dbname()
            ),
        }
    }
    match copy::by_template(admin, home, "template0", name).await {
        Ok(()) => {}
        Err(CopyError::Refused(why)) => return Err(Refusal(why)),
        Err(CopyError::Busy(_)) => {
            return Err(Refusal(
                "template0 is in use: cannot create an empty database".into(),
            ));
        }
    }
    match copy::by_dump(source, &on_database(home, name), schema_only).await {
        Ok(_) => Ok(if schema_only {
            "dump (schema only)"
        } else {
            "dump"
        }),
        Err(why) => {
            let _ = copy::drop(admin, name).await;
            Err(Refusal(why))
        }
    }
}

/// Why a rehearsal could not start; said with what to do instead.
struct Refusal(String);

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

/// The size of each of `tables` in `target`, read in a read-only session closed before this
/// returns.
pub(super) async fn read_table_bytes(
    target: &Target,
    tables: &[String],
) -> Result<std::collections::BTreeMap<String, u64>, String> {
    let (client, _notices) = connect::open(target)
        .await
        .map_err(|m| format!("cannot connect to {}: {m}", target.redacted()))?;
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(|e| masked(target, &e))?;
    catalog::table_bytes(&client, tables)
        .await
        .map_err(|e| masked(target, &e))
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
    let runtime = match super::runtime(super::Threads::One) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let before = match read_schema(&source).await {
            Ok(s) => s,
            Err(why) => {
                eprintln!("cutover: rehearsal refused: {why}");
                return exit::USAGE;
            }
        };
        // The server the copy lives on: the source's own, or the one --into names.
        let home = match &args.into {
            Some(url) => match target_for(Some(url), Some(&runbook), ":rehearse") {
                Ok(t) => t,
                Err(message) => {
                    eprintln!("cutover: --into: {message}");
                    return exit::USAGE;
                }
            },
            None => source.clone(),
        };
        // On the source's server, a session beside the source (TEMPLATE wants none on it);
        // on another server, the database --into names (a session on template1 would hold
        // up everyone's CREATE DATABASE there).
        let admin = match &args.into {
            Some(_) => connect::open(&home).await.map(|(c, _)| c).map_err(|m| {
                Refusal(format!("cannot connect to {}: {m}", home.redacted()))
            }),
            None => maintenance(&source).await,
        };
        let admin = match admin {
            Ok(c) => c,
            Err(Refusal(why)) => {
                eprintln!("cutover: rehearsal refused: {why}");
                return exit::USAGE;
            }
        };
        let copy = copy_name(&runbook.name);
        let method = match make_copy(
            &admin,
            (&source, args.into.as_ref().map(|_| &home)),
            &copy,
            args.copy,
            args.schema_only,
        )
        .await
        {
            Ok(method) => method,
            Err(Refusal(why)) => {
                eprintln!("cutover: rehearsal refused: {why}");
                return exit::USAGE;
            }
        };
        // The up → down → up's own copy, made from the first before anything connects to it.
        let second = if args.no_round_trip {
            None
        } else {
            let name = format!("{copy}_rt");
            match copy::by_template(&admin, &home, &copy, &name).await {
                Ok(()) => Some(name),
                Err(CopyError::Refused(why)) => {
                    eprintln!("cutover: up → down → up not tried: {why}");
                    None
                }
                Err(CopyError::Busy(n)) => {
                    eprintln!("cutover: up → down → up not tried: {n} session(s) on {copy}");
                    None
                }
            }
        };
        eprintln!(
            "rehearsing {} on {copy}, a copy of {} ({}{}); the source is not written to",
            runbook.name,
            source.redacted(),
            match method {
                "template" => "CREATE DATABASE … TEMPLATE",
                "dump" => "pg_dump | pg_restore",
                _ => "pg_dump | pg_restore, schema only",
            },
            if args.into.is_some() {
                format!(", restored on {}", home.redacted())
            } else {
                String::new()
            }
        );
        let target = on_database(&home, &copy);
        // How much data each step meets on the copy: production scales its times by it.
        let tables: Vec<String> = plan
            .steps
            .iter()
            .flat_map(|s| s.reads.iter().chain(&s.writes).cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let table_bytes = match connect::open(&target).await {
            Ok((client, _notices)) => catalog::table_bytes(&client, &tables)
                .await
                .unwrap_or_default(),
            Err(_) => Default::default(),
        };
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
            quiet: false,
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
        let trips = match &second {
            Some(second) => round_trips(&admin, &home, second, &runbook, &plan).await,
            None => Vec::new(),
        };
        let dropped = if args.keep {
            false
        } else {
            match copy::drop(&admin, &copy).await {
                Ok(()) => true,
                Err(e) => {
                    eprintln!(
                        "cutover: the copy {copy} could not be dropped: {} — drop it by hand",
                        masked(&home, &e)
                    );
                    false
                }
            }
        };
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                eprintln!("cutover: {e}");
                return headless::error_exit_code(&e);
            }
        };
        let bad = trips.iter().filter(|t| t.is_bad()).count();
        match record(
            &journal,
            &source,
            (&copy, method, !dropped, args.into.as_ref().map(|_| home.redacted())),
            &args,
            (&before, after.as_ref()),
            trips,
            (&plan, table_bytes),
        ) {
            Ok(path) => {
                if args.publish {
                    publish(&source, &path).await;
                }
                eprintln!(
                "rehearsal {}; journal: {}; record: {}{}",
                outcome.as_str(),
                journal.display(),
                path.display(),
                if dropped {
                    "; the copy was dropped".to_owned()
                } else {
                    format!(
                        "; the copy is kept: {copy}{}",
                        args.into
                            .as_ref()
                            .map(|_| format!(" on {}", home.redacted()))
                            .unwrap_or_default()
                    )
                }
            );
            }
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

/// Stores the record written at `path` in the source's `cutover.rehearsals`; says so, or why
/// not (the rehearsal itself stands either way).
async fn publish(source: &Target, path: &Path) {
    let record = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()));
    let record = match record {
        Ok(r) => r,
        Err(why) => {
            eprintln!("cutover: the record was not published: {why}");
            return;
        }
    };
    let text = |key: &str| record.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let (run_id, runbook) = (
        text("run_id").unwrap_or_default(),
        text("runbook").unwrap_or_default(),
    );
    let published = match connect::open(source).await {
        Ok((client, _notices)) => crate::tracking::publish_rehearsal(
            &client,
            &run_id,
            &runbook,
            text("checksum").as_deref(),
            &record,
        )
        .await
        .map_err(|e| masked(source, &e)),
        Err(message) => Err(message),
    };
    match published {
        Ok(()) => eprintln!(
            "rehearsal record published to {} (cutover.rehearsals): a production run there finds it",
            source.redacted()
        ),
        Err(why) => eprintln!(
            "cutover: the record was not published to {}: {why}",
            source.redacted()
        ),
    }
}

/// The up → down → up of every migration, on the second copy (dropped afterwards).
async fn round_trips(
    admin: &Client,
    source: &Target,
    second: &str,
    runbook: &crate::runbook::Runbook,
    plan: &crate::plan::Plan,
) -> Vec<rehearsal::Trip> {
    let trips = match connect::open(&on_database(source, second)).await {
        Ok((client, _notices)) => rehearsal::round_trip(&client, runbook, plan).await,
        Err(message) => {
            eprintln!("cutover: up → down → up not tried: {message}");
            Vec::new()
        }
    };
    for trip in &trips {
        eprintln!("round trip: {}", trip.describe());
    }
    if let Err(e) = copy::drop(admin, second).await {
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
    (copy, method, kept, server): (&str, &'static str, bool, Option<String>),
    args: &RehearseArgs,
    (before, after): (&Snapshot, Option<&Snapshot>),
    trips: Vec<rehearsal::Trip>,
    sizes: (&crate::plan::Plan, std::collections::BTreeMap<String, u64>),
) -> Result<PathBuf, String> {
    let replayed = crate::journal::replay(journal).map_err(|e| e.to_string())?;
    let report = crate::report::build(&replayed.entries, &replayed.unreadable);
    let after = after.ok_or("the copy's schema could not be read after the run")?;
    let record = Rehearsal::new(
        &report,
        Copy {
            source: source.redacted(),
            method,
            name: copy.to_owned(),
            server,
            kept,
            monitor_cap_ms: u64::try_from(args.monitor_for.as_millis()).unwrap_or(u64::MAX),
        },
        journal,
        (before, after),
        trips,
        sizes,
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
