//! `cutover status RUNBOOK` and `cutover history`: where is this database now?

use super::exit;
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

/// `status`: nothing pending and nothing needing attention is `exit::OK` (0); a failed,
/// uncertain or changed migration (or a status this version does not know) is
/// `exit::FAILED` (1), pending steps too or not; pending steps and nothing else are this (3).
pub const PENDING: u8 = 3;

/// One row of `cutover.steps`, with what `status` shows of it.
struct Row {
    status: String,
    sql_checksum: Option<String>,
    decision: Option<String>,
    approver: Option<String>,
    /// Failed critical checks the decision overrode, and its reason.
    overrode: Vec<String>,
    reason: Option<String>,
}

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
            format!("{} last time (runs every time)", r.status),
        ),
        (StepKind::Migrate(m), Some(r)) => match r.status.as_str() {
            "applied" => {
                let sum = format!("{:x}", Sha256::digest(m.sql.text.as_bytes()));
                if r.sql_checksum.as_deref() == Some(sum.as_str()) {
                    (Class::Applied, "applied".into())
                } else {
                    (Class::Changed, "CHANGED since applied".into())
                }
            }
            "started" => (
                Class::Uncertain,
                "UNCERTAIN (interrupted between statements)".into(),
            ),
            "failed" => (Class::Failed, "failed".into()),
            "rolled_back" => (Class::Pending, "rolled back (pending)".into()),
            other => (Class::Unknown, format!("{other} (unknown status)")),
        },
        (StepKind::Checkpoint(_), Some(r)) if r.status == "decided" => {
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
        (StepKind::Command(_) | StepKind::Manual { .. }, Some(r)) if r.status == "done" => {
            (Class::Done, "done".into())
        }
        (_, Some(r)) => (Class::Unknown, format!("{} (unknown status)", r.status)),
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
                return Ok((HashMap::new(), None));
            }
            let live = live_run(&client, &runbook.name).await;
            let rows = client
                .query(
                    "SELECT s.step_id, s.status, s.sql_checksum, s.decision, s.approver, d.overrides, d.comment
                     FROM cutover.steps s
                     LEFT JOIN LATERAL (
                       SELECT overrides, comment FROM cutover.decisions
                       WHERE run_id = s.run_id AND step_id = s.step_id
                       ORDER BY decided_at DESC LIMIT 1
                     ) d ON s.decision IS NOT NULL
                     WHERE s.runbook = $1",
                    &[&runbook.name],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows
                .iter()
                .map(|r| {
                    (
                        r.get::<_, String>(0),
                        Row {
                            status: r.get(1),
                            sql_checksum: r.get(2),
                            decision: r.get(3),
                            approver: r.get(4),
                            overrode: r
                                .get::<_, Option<serde_json::Value>>(5)
                                .and_then(|v| serde_json::from_value(v).ok())
                                .unwrap_or_default(),
                            reason: r.get(6),
                        },
                    )
                })
                .collect::<HashMap<String, Row>>())
            .map(|rows| (rows, live))
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

/// A run of this runbook that has not finished: live (a runner holds the runbook's lock, and
/// who) and what it waits for, or left unfinished with no runner.
async fn live_run(client: &tokio_postgres::Client, runbook: &str) -> Option<String> {
    let run = client
        .query_opt(
            "SELECT id, operator, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ')
               FROM cutover.runs WHERE runbook = $1 AND outcome IS NULL
              ORDER BY started_at DESC LIMIT 1",
            &[&runbook],
        )
        .await
        .ok()??;
    let (id, operator, started): (String, String, String) = (run.get(0), run.get(1), run.get(2));
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
    let last = client
        .query_opt(
            "SELECT event->>'event', coalesce(event->>'step', '') FROM cutover.events
              WHERE run_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&id],
        )
        .await
        .ok()
        .flatten()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)));
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
            // A tracking schema older than the operators column lists the first operator.
            let has_operators: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                      WHERE table_schema = 'cutover' AND table_name = 'runs' AND column_name = 'operators')",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?
                .get(0);
            let operators = if has_operators {
                "array_to_string(CASE WHEN cardinality(r.operators) > 0 THEN r.operators ELSE ARRAY[r.operator] END, ', ')"
            } else {
                "r.operator"
            };
            let rows = client
                .query(
                    &format!("SELECT r.id, r.runbook, {operators},
                            to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                            coalesce(to_char(r.finished_at, 'HH24:MI:SS'), '-'), coalesce(r.outcome, 'unfinished'),
                            (SELECT count(*) FROM cutover.steps s WHERE s.run_id = r.id AND s.status = 'applied')
                       FROM cutover.runs r WHERE $1::text IS NULL OR r.runbook = $1 ORDER BY r.started_at"),
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
