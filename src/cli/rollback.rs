//! `cutover rollback RUNBOOK`: the morning after a window whose change has to go. Every
//! migration of the runbook still applied on the database is undone by its rollback SQL,
//! newest first, as a run of its own (journaled, tracked, under the runbook's lock, like any
//! run). What would be undone is shown first, and nothing happens without a confirmation.

use super::exit;
use super::headless::{self, OnFailure, Policy};
use super::run::{os_user, spawn_signal_handler, target_for};
use crate::engine::{self, RunOptions};
use crate::runbook::{Runbook, StepKind};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// The runbook whose applied migrations to undo.
    pub runbook: PathBuf,
    /// postgres:// URL or key=value conninfo (overrides the runbook and PG* variables).
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Who rolls back (default: the OS user); journaled with the run.
    #[arg(long)]
    pub operator: Option<String>,
    /// Go on without asking (scripts). Otherwise the runbook's name is asked for on the
    /// terminal, and without a terminal nothing happens.
    #[arg(long)]
    pub yes: bool,
    /// Print events as JSON Lines.
    #[arg(long)]
    pub json: bool,
}

/// What the rollback does with one applied migration.
#[derive(Debug, PartialEq, Eq)]
pub enum Undo {
    /// Its rollback SQL runs.
    Runs,
    /// Nothing can undo it here; why.
    LeftApplied(String),
}

/// The applied migrations (in the order they finished), newest first, each with what the
/// rollback does with it — exactly what the engine's undo does.
pub fn undo_plan(runbook: &Runbook, applied: &[String]) -> Vec<(String, Undo)> {
    applied
        .iter()
        .rev()
        .map(|id| {
            let step = runbook
                .phases
                .iter()
                .flat_map(|p| &p.steps)
                .find(|s| &s.id == id);
            let undo = match step.map(|s| &s.kind) {
                Some(StepKind::Migrate(m)) => match crate::plan::left_applied_by_rollback(m) {
                    None => Undo::Runs,
                    Some(why) => Undo::LeftApplied(why),
                },
                Some(_) => Undo::LeftApplied("not a migration".into()),
                None => Undo::LeftApplied("no longer in the runbook".into()),
            };
            (id.clone(), undo)
        })
        .collect()
}

pub fn rollback(args: RollbackArgs) -> u8 {
    let (runbook, plan) = match super::inspect::load_clean(&args.runbook) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let target = match target_for(args.database_url.as_deref(), Some(&runbook), "") {
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
        let (applied, unfinished) = match applied_here(&target, &runbook.name).await {
            Ok(found) => found,
            Err(message) => {
                eprintln!("cutover: {message}");
                return exit::USAGE;
            }
        };
        let undo = undo_plan(&runbook, &applied);
        let to_run = undo.iter().filter(|(_, u)| *u == Undo::Runs).count();
        if to_run == 0 {
            eprintln!(
                "cutover: nothing of `{}` to roll back on {}{}",
                runbook.name,
                target.redacted(),
                if undo.is_empty() {
                    " (no migration of it is applied there)".to_owned()
                } else {
                    format!(
                        ": {} applied migration(s), none with rollback SQL to run",
                        undo.len()
                    )
                }
            );
            for (id, how) in &undo {
                if let Undo::LeftApplied(why) = how {
                    eprintln!("  {id}: left applied ({why})");
                }
            }
            return exit::OK;
        }
        eprintln!(
            "cutover: a rollback of `{}` on {} undoes, newest first:",
            runbook.name,
            target.redacted()
        );
        for (id, how) in &undo {
            match how {
                Undo::Runs => eprintln!("  {id}: its rollback SQL runs"),
                Undo::LeftApplied(why) => eprintln!("  {id}: left applied ({why})"),
            }
        }
        if let Some(run) = unfinished {
            eprintln!(
                "  note: run {run} did not finish; a step it left half-done is not undone here (`cutover status` shows it)"
            );
        }
        if !args.yes && !confirmed(&runbook.name) {
            return exit::USAGE;
        }
        let operator = args.operator.clone().unwrap_or_else(os_user);
        let run_id = engine::new_run_id(&runbook.name);
        let journal = crate::journal::path_for_run(std::path::Path::new("runs"), &run_id);
        let options = RunOptions {
            target,
            operator: operator.clone(),
            journal: journal.clone(),
            run_id: Some(run_id),
            exclusive_journal: true,
            resume: false,
            new_run: true,
            allow_changed: false,
            monitor_cap: None,
            rehearsal: None,
        };
        let policy = Policy {
            approve: Vec::new(),
            approve_all: false,
            override_checks: Vec::new(),
            override_reason: None,
            operator,
            on_failure: OnFailure::Stop,
            uncertain: None,
            json: args.json,
            quiet: false,
        };
        let (event_tx, event_rx) = tokio::sync::mpsc::unbounded_channel();
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        spawn_signal_handler(command_tx.clone());
        let printer = tokio::spawn(headless::drive(event_rx, command_tx, policy));
        let result = engine::undo(&runbook, &plan, options, event_tx, command_rx).await;
        let _ = printer.await;
        match result {
            Ok(outcome) => {
                eprintln!("journal: {}", journal.display());
                headless::exit_code(outcome)
            }
            Err(e) => {
                eprintln!("cutover: {e}");
                if journal.exists() {
                    eprintln!("journal: {}", journal.display());
                }
                headless::error_exit_code(&e)
            }
        }
    })
}

/// The runbook's applied migrations on the database (in the order they finished), and the
/// latest run if it did not finish. Reads only.
async fn applied_here(
    target: &crate::connect::Target,
    runbook: &str,
) -> Result<(Vec<String>, Option<String>), String> {
    let (client, _notices) = crate::connect::open(target)
        .await
        .map_err(|m| format!("cannot connect to {}: {m}", target.redacted()))?;
    let masked = |e: tokio_postgres::Error| super::copy::masked(target, &e);
    let applied = crate::tracking::applied_in_order(&client, runbook)
        .await
        .map_err(masked)?
        .unwrap_or_default();
    let unfinished = crate::tracking::latest_recorded_run(&client, runbook)
        .await
        .map_err(masked)?
        .filter(|r| crate::tracking::is_resumable(r.outcome))
        .map(|r| r.id);
    Ok((applied, unfinished))
}

/// Asks on the terminal for the runbook's name; without a terminal, says to pass --yes.
fn confirmed(name: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "cutover: nothing was rolled back: confirm on a terminal, or pass --yes (scripts)"
        );
        return false;
    }
    eprint!("type the runbook's name ({name}) to roll back, anything else to leave: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() || answer.trim() != name {
        eprintln!("cutover: nothing was rolled back");
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = r#"name: shop
window:
  budget: 30m
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: create-items
        sql: CREATE TABLE items (id int)
        rollback: DROP TABLE items
      - migrate: seed
        sql: INSERT INTO items VALUES (1)
      - migrate: add-note
        sql: ALTER TABLE items ADD COLUMN note text
        rollback: ALTER TABLE items DROP COLUMN note
"#;

    #[test]
    fn the_undo_plan_is_newest_first_and_says_what_stays() {
        let loaded = crate::runbook::load_text(std::path::Path::new("rb.yaml"), RUNBOOK, &|_| None);
        let runbook = loaded.runbook.expect("the test runbook loads");
        let applied: Vec<String> = ["create-items", "seed", "add-note", "gone"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            undo_plan(&runbook, &applied),
            vec![
                (
                    "gone".to_owned(),
                    Undo::LeftApplied("no longer in the runbook".into())
                ),
                ("add-note".to_owned(), Undo::Runs),
                (
                    "seed".to_owned(),
                    Undo::LeftApplied("no rollback SQL".into())
                ),
                ("create-items".to_owned(), Undo::Runs),
            ]
        );
    }
}
