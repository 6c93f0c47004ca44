//! `cutover status RUNBOOK` and `cutover history`: where is this database now?

use super::exit;
use crate::engine::tracking;
use crate::runbook::StepKind;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    pub runbook: PathBuf,
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// Only runs of this runbook name.
    #[arg(long)]
    pub runbook: Option<String>,
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// What the database says about each step of a runbook.
pub fn status(args: StatusArgs) -> u8 {
    let (runbook, _plan) = match super::inspect::load_clean(&args.runbook) {
        Ok(ok) => ok,
        Err(_) => return exit::USAGE,
    };
    let target =
        match super::run::target_for(args.database_url.as_deref(), Some(&runbook), ":status") {
            Ok(t) => t,
            Err(m) => {
                eprintln!("cutover: {m}");
                return exit::USAGE;
            }
        };
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let (client, _) = crate::connect::open(&target).await?;
            let exists: bool = client
                .query_one("SELECT to_regclass('cutover.steps') IS NOT NULL", &[])
                .await
                .map_err(|e| e.to_string())?
                .get(0);
            if !exists {
                return Ok(Vec::new());
            }
            tracking::step_records(&client, &runbook.name)
                .await
                .map_err(|e| e.to_string())
        })
    });
    let records = match result {
        Ok(r) => r,
        Err(m) => {
            eprintln!("cutover: {}: {m}", target.redacted());
            return exit::USAGE;
        }
    };
    let by_id: HashMap<&str, &tracking::StepRecord> =
        records.iter().map(|r| (r.step_id.as_str(), r)).collect();
    say!("{} on {}", runbook.name, target.redacted());
    let mut pending = 0;
    for phase in &runbook.phases {
        say!("{}", phase.id);
        for step in &phase.steps {
            let record = by_id.get(step.id.as_str());
            let state = match (&step.kind, record) {
                (StepKind::Migrate(m), Some(r)) if r.status == "applied" => {
                    let sum = format!("{:x}", Sha256::digest(m.sql.text.as_bytes()));
                    if r.sql_checksum.as_deref() == Some(sum.as_str()) {
                        "applied".to_owned()
                    } else {
                        "CHANGED since applied".to_owned()
                    }
                }
                (StepKind::Migrate(_), Some(r)) if r.status == "started" => {
                    "UNCERTAIN (interrupted between statements)".to_owned()
                }
                (_, Some(r)) => r.status.clone(),
                (_, None) => {
                    pending += 1;
                    "pending".to_owned()
                }
            };
            say!("  {:<11} {:<40} {state}", step.kind.key(), step.id);
        }
    }
    say!("{pending} step(s) pending");
    exit::OK
}

/// The runs recorded in a database.
pub fn history(args: HistoryArgs) -> u8 {
    let target = match super::run::target_for(args.database_url.as_deref(), None, ":history") {
        Ok(t) => t,
        Err(m) => {
            eprintln!("cutover: {m}");
            return exit::USAGE;
        }
    };
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let (client, _) = crate::connect::open(&target).await?;
            let exists: bool = client
                .query_one("SELECT to_regclass('cutover.runs') IS NOT NULL", &[])
                .await
                .map_err(|e| e.to_string())?
                .get(0);
            if !exists {
                return Ok(Vec::new());
            }
            let rows = client
                .query(
                    "SELECT r.id, r.runbook, r.operator, to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                            coalesce(to_char(r.finished_at, 'HH24:MI:SS'), '-'), coalesce(r.outcome, 'unfinished'),
                            (SELECT count(*) FROM cutover.steps s WHERE s.run_id = r.id AND s.status = 'applied')
                       FROM cutover.runs r WHERE $1::text IS NULL OR r.runbook = $1 ORDER BY r.started_at",
                    &[&args.runbook],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows
                .iter()
                .map(|r| {
                    let applied: i64 = r.get(6);
                    format!(
                        "{:<44} {:<20} {:<10} {} → {:<9} {:<12} {applied} applied",
                        r.get::<_, String>(0),
                        r.get::<_, String>(1),
                        r.get::<_, String>(2),
                        r.get::<_, String>(3),
                        r.get::<_, String>(4),
                        r.get::<_, String>(5)
                    )
                })
                .collect::<Vec<_>>())
        })
    });
    match result {
        Ok(lines) if lines.is_empty() => {
            say!("no cutover runs recorded on {}", target.redacted());
            exit::OK
        }
        Ok(lines) => {
            for line in lines {
                say!("{line}");
            }
            exit::OK
        }
        Err(m) => {
            eprintln!("cutover: {}: {m}", target.redacted());
            exit::USAGE
        }
    }
}
