//! `cutover status RUNBOOK` and `cutover history`: where is this database now?

use super::exit;
use crate::runbook::StepKind;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The runbook (with --fleet: the fleet file).
    pub runbook: PathBuf,
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The path is a fleet file: one line per database of the fleet.
    #[arg(long)]
    pub fleet: bool,
    /// With --fleet: the databases from this file (as `cutover fleet --targets`).
    #[arg(long, value_name = "FILE", requires = "fleet")]
    pub targets: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// Only runs of this runbook name.
    #[arg(long)]
    pub runbook: Option<String>,
    #[arg(long, env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The runs of this fleet (its name), from its fleet journal in runs/.
    #[arg(long, value_name = "FLEET")]
    pub fleet: Option<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// `status`: nothing pending and nothing needing attention is `exit::OK` (0); a failed,
/// uncertain or changed migration (or a status this version does not know) is
/// `exit::FAILED` (1), pending steps too or not; pending steps and nothing else are this (3).
pub const PENDING: u8 = 3;

use crate::tracking::{StepRow as Row, StepStatus};

/// How `status` sorts a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A migration applied with the SQL the runbook has now.
    Applied,
    /// A command run or a manual step acknowledged.
    Done,
    /// A checkpoint decided (go, abort or rollback).
    Decided,
    /// Still to do: a migration not applied (or rolled back), a command, manual step or
    /// checkpoint never completed on this database.
    Pending,
    Failed,
    Uncertain,
    Changed,
    /// A status this version does not know: worth a look.
    Unknown,
    /// Checks (recorded, but run again every time): nothing to resume, never pending.
    Check,
    /// Probes: never recorded, sampled in every run.
    Probe,
}

/// What one step is on this database: its class and the words shown for it.
fn classify(kind: &StepKind, row: Option<&Row>) -> (Class, String) {
    match (kind, row) {
        (StepKind::Probe(_), _) => (Class::Probe, "not tracked (runs every time)".into()),
        (StepKind::Check(_), None) => (Class::Check, "not run yet (runs every time)".into()),
        (StepKind::Check(_), Some(r)) => (
            Class::Check,
            format!("{} last time (runs every time)", r.status_text),
        ),
        (StepKind::Migrate(m), Some(r)) => match r.status {
            StepStatus::Applied => {
                let sum = format!("{:x}", Sha256::digest(m.sql.text.as_bytes()));
                if r.sql_checksum.as_deref() == Some(sum.as_str()) {
                    (Class::Applied, "applied".into())
                } else {
                    (Class::Changed, "CHANGED since applied".into())
                }
            }
            StepStatus::Started => (
                Class::Uncertain,
                "UNCERTAIN (interrupted between statements)".into(),
            ),
            StepStatus::Failed => (Class::Failed, "failed".into()),
            StepStatus::RolledBack => (Class::Pending, "rolled back (pending)".into()),
            _ => (
                Class::Unknown,
                format!("{} (unknown status)", r.status_text),
            ),
        },
        (StepKind::Backfill(_), Some(r)) => match r.status {
            StepStatus::Applied => (Class::Applied, "applied".into()),
            // Each batch committed with its cursor: a run goes on from there.
            StepStatus::Started => (
                Class::Pending,
                "in progress (a run goes on from its cursor)".into(),
            ),
            StepStatus::Failed => (Class::Failed, "failed".into()),
            _ => (
                Class::Unknown,
                format!("{} (unknown status)", r.status_text),
            ),
        },
        (StepKind::Checkpoint(_), Some(r)) if r.status == StepStatus::Decided => {
            let decision = r.decision.as_deref().unwrap_or("decided");
            let mut words = match r.approver.as_deref() {
                Some(who) => format!("{decision} (by {who})"),
                None => decision.to_owned(),
            };
            if !r.overrode.is_empty() {
                words.push_str(&format!(
                    " OVERRIDING failed critical checks {}",
                    r.overrode.join(", ")
                ));
                if let Some(why) = &r.reason {
                    words.push_str(&format!(": “{why}”"));
                }
            }
            (Class::Decided, words)
        }
        (StepKind::Command(_) | StepKind::Manual { .. }, Some(r))
            if r.status == StepStatus::Done =>
        {
            (Class::Done, "done".into())
        }
        (_, Some(r)) => (
            Class::Unknown,
            format!("{} (unknown status)", r.status_text),
        ),
        (_, None) => (Class::Pending, "pending".into()),
    }
}

/// The summary line and the exit code of `status`.
fn summary(classes: &[Class]) -> (String, u8) {
    let n = |c: Class| classes.iter().filter(|&&x| x == c).count();
    let mut parts = vec![
        format!("{} applied", n(Class::Applied)),
        format!("{} done", n(Class::Done)),
        format!("{} decided", n(Class::Decided)),
        format!("{} pending", n(Class::Pending)),
        format!("{} failed", n(Class::Failed)),
        format!("{} uncertain", n(Class::Uncertain)),
        format!("{} changed", n(Class::Changed)),
    ];
    if n(Class::Unknown) > 0 {
        parts.push(format!("{} unknown", n(Class::Unknown)));
    }
    let mut line = parts.join(", ");
    let every_run: Vec<String> = [(Class::Check, "check"), (Class::Probe, "probe")]
        .into_iter()
        .filter(|&(c, _)| n(c) > 0)
        .map(|(c, what)| format!("{} {what}(s)", n(c)))
        .collect();
    if !every_run.is_empty() {
        line.push_str(&format!(
            "; {} run every time, never pending",
            every_run.join(" and ")
        ));
    }
    let attention = n(Class::Failed) + n(Class::Uncertain) + n(Class::Changed) + n(Class::Unknown);
    let code = if attention > 0 {
        line.push_str(&format!(" — NEEDS ATTENTION: {attention} step(s)"));
        exit::FAILED
    } else if n(Class::Pending) > 0 {
        PENDING
    } else {
        exit::OK
    };
    (line, code)
}

/// What the database says about each step of a runbook.
pub fn status(args: StatusArgs) -> u8 {
    if args.fleet {
        return fleet_status(&args.runbook, args.targets.as_deref());
    }
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
            let Some(rows) = crate::tracking::step_rows(&client, &runbook.name)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok((HashMap::new(), None));
            };
            let live = live_run(&client, &runbook.name).await;
            Ok((
                rows.into_iter()
                    .map(|r| (r.step_id.clone(), r))
                    .collect::<HashMap<String, Row>>(),
                live,
            ))
        })
    });
    let (by_id, live) = match result {
        Ok(r) => r,
        Err(m) => {
            eprintln!("cutover: {}: {m}", target.redacted());
            return exit::USAGE;
        }
    };
    say!("{} on {}", runbook.name, target.redacted());
    if let Some(live) = live {
        say!("{live}");
    }
    let mut classes = Vec::new();
    for phase in &runbook.phases {
        say!("{}", phase.id);
        for step in &phase.steps {
            let (class, state) = classify(&step.kind, by_id.get(step.id.as_str()));
            classes.push(class);
            say!("  {:<11} {:<40} {state}", step.kind.key(), step.id);
        }
    }
    let (line, code) = summary(&classes);
    say!("{line}");
    code
}

/// `status --fleet`: each database of the fleet in one line — the same classes and summary
/// as `status` — then the fleet's: the worst of them decides the exit code.
fn fleet_status(path: &std::path::Path, targets: Option<&std::path::Path>) -> u8 {
    let loaded = crate::runbook::load_fleet_with(path, targets);
    let Some(fleet) = loaded.fleet else {
        for d in &loaded.diagnostics {
            eprintln!("{}", crate::diag::render(d, &loaded.sources, false));
        }
        return exit::USAGE;
    };
    let (runbook, _plan) = match super::inspect::load_clean(&fleet.runbook) {
        Ok(ok) => ok,
        Err(_) => return exit::USAGE,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(m) => {
            eprintln!("cutover: {m}");
            return exit::USAGE;
        }
    };
    let targets = match rt.block_on(super::fleet::targets(&fleet, &runbook)) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("cutover: fleet {}: {m}", fleet.name);
            return exit::USAGE;
        }
    };
    say!(
        "fleet {}: {} on {} database(s)",
        fleet.name,
        runbook.name,
        targets.len()
    );
    let lookup = |name: &str| std::env::var(name).ok();
    let (mut ok, mut pending, mut attention, mut unreachable) = (0, 0, 0, 0);
    for t in &targets {
        let rows = crate::connect::resolve(
            Some(&t.url),
            &format!("cutover:{}:status", runbook.name),
            &lookup,
        )
        .map_err(|e| e.to_string())
        .and_then(|target| {
            rt.block_on(async {
                let (client, _) = crate::connect::open(&target).await?;
                crate::tracking::step_rows(&client, &runbook.name)
                    .await
                    .map_err(|e| crate::secret::mask(&e.to_string(), target.secret().as_deref()))
            })
        });
        let by_id: HashMap<String, Row> = match rows {
            Ok(rows) => rows
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.step_id.clone(), r))
                .collect(),
            Err(m) => {
                unreachable += 1;
                say!("  {:<30} UNREACHABLE: {m}", t.name);
                continue;
            }
        };
        let classes: Vec<Class> = runbook
            .phases
            .iter()
            .flat_map(|p| &p.steps)
            .map(|s| classify(&s.kind, by_id.get(s.id.as_str())).0)
            .collect();
        let (line, code) = summary(&classes);
        match code {
            exit::OK => ok += 1,
            PENDING => pending += 1,
            _ => attention += 1,
        }
        say!("  {:<30} {line}", t.name);
    }
    say!(
        "{ok} database(s) done, {pending} pending, {attention} needing attention{}",
        if unreachable > 0 {
            format!(", {unreachable} unreachable")
        } else {
            String::new()
        }
    );
    if attention + unreachable > 0 {
        exit::FAILED
    } else if pending > 0 {
        PENDING
    } else {
        exit::OK
    }
}

/// `history --fleet NAME`: every run of the fleet in its journal, with how it ended.
fn fleet_history(name: &str) -> u8 {
    let path = super::fleet::journal_path(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("cutover: no fleet journal {} here", path.display());
        return exit::USAGE;
    };
    let mut runs = 0;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let ts = v
            .get("ts")
            .and_then(|t| t.as_str())
            .unwrap_or("?")
            .to_owned();
        let Some(Ok(event)) = v
            .get("entry")
            .map(|e| serde_json::from_value::<crate::fleet::FleetEvent>(e.clone()))
        else {
            continue;
        };
        match event {
            crate::fleet::FleetEvent::FleetStarted {
                operator,
                targets,
                waves,
                resumed,
                ..
            } => {
                runs += 1;
                say!(
                    "{ts} {} by {operator}: {targets} database(s) in {} wave(s)",
                    if resumed { "resumed" } else { "started" },
                    waves.len()
                );
            }
            crate::fleet::FleetEvent::WaveGate { wave, evidence } => say!(
                "{ts}   gate after {wave}: {} passed, {} failed",
                evidence.passed,
                evidence.failed.len()
            ),
            crate::fleet::FleetEvent::FleetFinished { outcome, message } => say!(
                "{ts}   {}{}",
                outcome.as_str(),
                message.map(|m| format!(": {m}")).unwrap_or_default()
            ),
            _ => {}
        }
    }
    if runs == 0 {
        say!("no run of fleet {name} in {}", path.display());
    }
    exit::OK
}

/// A run of this runbook that has not finished: live (a runner holds the runbook's lock, and
/// who) and what it waits for, or left unfinished with no runner.
async fn live_run(client: &tokio_postgres::Client, runbook: &str) -> Option<String> {
    let crate::tracking::UnfinishedRun {
        id,
        operator,
        started,
    } = crate::tracking::unfinished_run(client, runbook)
        .await
        .ok()??;
    let holder = crate::tracking::lock_holder(client, runbook)
        .await
        .ok()
        .flatten();
    let Some(holder) = holder else {
        return Some(format!(
            "UNFINISHED: run {id} (started {started} by {operator}) did not finish and no runner holds the lock: resume it with `cutover run --resume`"
        ));
    };
    // What it is doing, from the events it mirrors.
    let last = crate::tracking::last_event(client, &id)
        .await
        .ok()
        .flatten();
    let doing = match last.as_ref().map(|(e, s)| (e.as_str(), s.as_str())) {
        Some(("checkpoint_reached" | "decision_rejected" | "server_activity", step)) => {
            format!("waiting at gate `{step}` for a decision")
        }
        Some(("manual_waiting", step)) => format!("waiting for manual step `{step}`"),
        Some(("awaiting_failure_decision", step)) => {
            format!("waiting: step `{step}` failed, retry, roll back or abort?")
        }
        Some((event, "")) => format!("running (last event: {event})"),
        Some((event, step)) => format!("running `{step}` (last event: {event})"),
        None => "running".to_owned(),
    };
    Some(format!(
        "LIVE: run {id} (started {started} by {operator}) is {doing}; the runner holding the lock: {holder}"
    ))
}

/// The runs recorded in a database.
pub fn history(args: HistoryArgs) -> u8 {
    if let Some(name) = &args.fleet {
        return fleet_history(name);
    }
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
            let runs = crate::tracking::run_history(&client, args.runbook.as_deref())
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            Ok(runs
                .iter()
                .map(|r| {
                    format!(
                        "{:<44} {:<20} {:<10} {} → {:<9} {:<12} {} applied",
                        r.id, r.runbook, r.operators, r.started, r.finished, r.outcome, r.applied
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
            say!(
                "{:<44} {:<20} {:<10} {:<25}   {:<9} {:<12} applied",
                "run",
                "runbook",
                "operators",
                "started",
                "finished",
                "outcome"
            );
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
