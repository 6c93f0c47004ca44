//! `cutover run --headless`: the engine with a line printer instead of a screen. Gates pass
//! only by `--approve ID` / `--approve-all`; otherwise the run halts there, resumable.

use crate::events::{Command, Decision, Event, Outcome};
use crate::journal::Entry;
use crate::runbook::duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnFailure {
    /// Stop; the run can be resumed (and the step retried) later.
    Stop,
    Rollback,
    Abort,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Uncertain {
    /// Treat a step interrupted mid-way as applied.
    Applied,
    /// Run it again (its SQL must be safe to rerun, e.g. IF NOT EXISTS).
    Retry,
}

pub struct Policy {
    pub approve: Vec<String>,
    pub approve_all: bool,
    /// Checkpoints whose go may pass failed critical checks (journaled as overrides).
    pub override_checks: Vec<String>,
    pub operator: String,
    pub on_failure: OnFailure,
    pub uncertain: Option<Uncertain>,
    pub json: bool,
}

/// One readable line for an event.
pub fn line(entry: &Entry) -> String {
    let ts = entry.ts.format("%H:%M:%S");
    let text = match &entry.event {
        Event::RunStarted {
            run_id,
            title,
            target,
            operator,
            server_version,
            resumed,
            ..
        } => format!(
            "{} run {run_id} of \"{title}\" on {target} (PostgreSQL {server_version}) by {operator}",
            if *resumed { "resuming" } else { "starting" }
        ),
        Event::PhaseStarted { phase } => format!("phase {phase}"),
        Event::PhaseBudgetExceeded { phase, budget_ms } => {
            format!(
                "phase {phase} is over its {} budget",
                duration::format(std::time::Duration::from_millis(*budget_ms))
            )
        }
        Event::PhaseFinished { phase, duration_ms } => {
            format!(
                "phase {phase} finished in {}",
                duration::format(std::time::Duration::from_millis(*duration_ms))
            )
        }
        Event::StepSkipped { step, reason } => format!("  skip {step}: {reason}"),
        Event::StepStarted {
            step,
            attempt,
            in_transaction,
        } => format!(
            "  start {step}{}{}",
            if *attempt > 1 {
                format!(" (attempt {attempt})")
            } else {
                String::new()
            },
            match in_transaction {
                Some(false) => " [no transaction]",
                _ => "",
            }
        ),
        Event::StatementStarted { step, index, sql } => {
            format!(
                "    {step} #{index}: {}",
                sql.lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(100)
                    .collect::<String>()
            )
        }
        Event::StatementFinished { .. } => return String::new(),
        Event::Notice {
            step,
            severity,
            message,
        } => format!("    {step} {severity}: {message}"),
        Event::LockWait {
            step,
            blockers,
            waited_ms,
        } => {
            let who: Vec<String> = blockers
                .iter()
                .map(|b| {
                    format!(
                        "pid {} ({}, {}, xact {:.0}s): {}",
                        b.pid, b.application_name, b.state, b.xact_age_s, b.query
                    )
                })
                .collect();
            format!(
                "    {step} waits for a lock ({}ms so far), held by {}",
                waited_ms,
                who.join("; ")
            )
        }
        Event::Retry {
            step,
            attempt,
            delay_ms,
            reason,
        } => {
            format!("    {step}: {reason}; retry {attempt} in {delay_ms}ms")
        }
        Event::StepFinished {
            step,
            duration_ms,
            rows,
        } => match rows {
            0 => format!("  done {step} in {duration_ms}ms"),
            1 => format!("  done {step} in {duration_ms}ms (1 row)"),
            n => format!("  done {step} in {duration_ms}ms ({n} rows)"),
        },
        Event::StepFailed { step, error } => format!("  FAILED {step}: {error}"),
        Event::CommandOutput {
            step,
            exit_code,
            stdout_tail,
            stderr_tail,
        } => {
            let tail = if stderr_tail.is_empty() {
                stdout_tail
            } else {
                stderr_tail
            };
            format!(
                "    {step} exit {}: {}",
                exit_code.map_or("-".into(), |c| c.to_string()),
                tail.lines().last().unwrap_or("")
            )
        }
        Event::CheckResult {
            step,
            passed,
            actual,
            expected,
            severity,
            ..
        } => format!(
            "  check {step}: {} (got {actual}, expected {expected}){}",
            if *passed { "PASS" } else { "FAIL" },
            if !passed && *severity == crate::runbook::Severity::Warning {
                " [warning]"
            } else {
                ""
            }
        ),
        Event::ProbeSample { step, value, alert } => format!(
            "  probe {step} = {}{}",
            value.as_ref().map_or("NULL".into(), |v| v.to_string()),
            if *alert { " ALERT" } else { "" }
        ),
        Event::Alert {
            step,
            value,
            threshold,
        } => format!("  ALERT {step}: {value} (threshold {threshold})"),
        Event::ManualWaiting { step, prompt } => format!("  manual {step}: {prompt}"),
        Event::ManualAcknowledged { step, operator } => {
            format!("  acknowledged {step} by {operator}")
        }
        Event::CheckpointReached {
            step,
            prompt,
            failed_critical,
            projected_end,
            hard_end,
            ..
        } => format!(
            "GATE {step}: {prompt} (projected end {}, hard end {}{})",
            clock(projected_end),
            clock(hard_end),
            if failed_critical.is_empty() {
                String::new()
            } else {
                format!(", FAILED critical checks: {}", failed_critical.join(", "))
            }
        ),
        Event::DecisionRejected { step, reason } => {
            format!("  decision at {step} rejected: {reason}")
        }
        Event::ServerActivity { step, sessions } => {
            if sessions.is_empty() {
                format!("  server at {step}: no long transactions or lock waits")
            } else {
                let lines: Vec<String> = sessions
                    .iter()
                    .map(|s| format!("    {}", s.summary(entry.ts)))
                    .collect();
                format!(
                    "  server at {step}: {} session(s) in long transactions or lock waits\n{}",
                    sessions.len(),
                    lines.join("\n")
                )
            }
        }
        Event::DecisionRecorded {
            step,
            decision,
            operator,
            restored,
            overrode_failed_checks,
            ..
        } => format!(
            "DECISION {step}: {decision:?} by {operator}{}{}",
            if *restored {
                " (given earlier in this run)"
            } else {
                ""
            },
            if overrode_failed_checks.is_empty() {
                String::new()
            } else {
                format!(
                    " OVERRIDING failed checks {}",
                    overrode_failed_checks.join(", ")
                )
            }
        ),
        Event::UncertainStep {
            step,
            still_running,
        } => format!(
            "  UNCERTAIN {step}: it was interrupted between its statements{}",
            crate::tui::log::still_running_text(still_running)
        ),
        Event::LockLost { reason } => {
            format!("LOCK LOST: {reason}; nothing starts or commits until it is held again")
        }
        Event::LockRegained { pid } => {
            format!("lock held again (pid {pid}); applied steps read again from the database")
        }
        Event::Reconnected { session, reason } => {
            format!("reconnected the {session} session: {reason}")
        }
        Event::AwaitingFailureDecision { step } => format!("  {step} failed: deciding"),
        Event::RollbackStarted { steps } => format!(
            "ROLLBACK of {}",
            if steps.is_empty() {
                "nothing".into()
            } else {
                steps.join(", ")
            }
        ),
        Event::RollbackStep { step, ok, error } => format!(
            "  rollback {step}: {}",
            if *ok {
                "ok".to_owned()
            } else {
                error.as_ref().map_or("failed".into(), |e| e.to_string())
            }
        ),
        Event::InvalidIndexDropped { step, index, error } => match error {
            None => format!(
                "    {step}: dropped the INVALID index {index} its failed build left (DROP INDEX CONCURRENTLY)"
            ),
            Some(e) => format!(
                "    {step}: the INVALID index {index} its failed build left could not be dropped: {e} — drop it (DROP INDEX CONCURRENTLY {index}) before a retry"
            ),
        },
        Event::RollbackLeftApplied { step, reason } => {
            format!("  rollback {step}: left applied ({reason})")
        }
        Event::Cancelled { reason } => format!("CANCELLED: {reason}"),
        Event::RunbookChanged { started_with, now } => format!(
            "WARNING: the runbook changed since this run started (checksum {} -> {}); applied steps whose SQL changed are still refused",
            short(started_with),
            short(now)
        ),
        Event::StatementCancelled { step, reason } => {
            format!("{step}: running statement {reason} (the step fails)")
        }
        Event::RunFinished { outcome, message } => format!(
            "run finished: {}{}",
            outcome.as_str(),
            message
                .as_ref()
                .map(|m| format!(" — {m}"))
                .unwrap_or_default()
        ),
    };
    format!("{ts} {text}")
}

/// Prints events and answers the engine's questions by the policy.
/// Returns where the run was left waiting for a person, if it was: the step, and whether its
/// go needs an override of failed critical checks.
pub async fn drive(
    mut events: UnboundedReceiver<Entry>,
    commands: UnboundedSender<Command>,
    policy: Policy,
) -> Option<(String, bool)> {
    let mut waiting: Option<(String, bool)> = None;
    while let Some(entry) = events.recv().await {
        if policy.json {
            say!("{}", serde_json::to_string(&entry).unwrap_or_default());
        } else {
            let text = line(&entry);
            if !text.is_empty() {
                say!("{text}");
            }
        }
        let reply = match &entry.event {
            Event::CheckpointReached {
                step,
                questions,
                failed_critical,
                ..
            } => {
                let overriding = policy.override_checks.contains(step);
                if (policy.approve_all || policy.approve.contains(step))
                    && (failed_critical.is_empty() || overriding)
                {
                    Some(Command::Decide {
                        step: step.clone(),
                        decision: Decision::Go,
                        operator: policy.operator.clone(),
                        comment: Some("approved on the command line (headless)".into()),
                        answers: questions.iter().map(|q| (q.clone(), true)).collect(),
                        // Only where asked for by name: it is journaled as an override.
                        override_failed_checks: overriding && !failed_critical.is_empty(),
                    })
                } else {
                    if !failed_critical.is_empty()
                        && (policy.approve_all || policy.approve.contains(step))
                    {
                        eprintln!(
                            "critical checks failed before `{step}` ({}): approving is not enough; pass --override-failed-checks {step} to give the go anyway",
                            failed_critical.join(", ")
                        );
                    }
                    waiting = Some((step.clone(), !failed_critical.is_empty()));
                    Some(Command::Pause)
                }
            }
            Event::DecisionRejected { .. } => Some(Command::Pause),
            Event::ManualWaiting { step, .. } => {
                if policy.approve_all || policy.approve.contains(step) {
                    Some(Command::Acknowledge {
                        step: step.clone(),
                        operator: policy.operator.clone(),
                    })
                } else {
                    waiting = Some((step.clone(), false));
                    Some(Command::Pause)
                }
            }
            Event::AwaitingFailureDecision { .. } => Some(match policy.on_failure {
                OnFailure::Stop => Command::Pause,
                OnFailure::Rollback => Command::Rollback,
                OnFailure::Abort => Command::Abort,
            }),
            Event::UncertainStep { step, .. } => Some(match policy.uncertain {
                Some(u) => Command::ResolveUncertain {
                    step: step.clone(),
                    applied: u == Uncertain::Applied,
                },
                None => {
                    eprintln!(
                        "step `{step}` was interrupted between its statements; rerun with --uncertain applied|retry after checking the database"
                    );
                    Command::Pause
                }
            }),
            _ => None,
        };
        if let Some(command) = reply {
            let _ = commands.send(command);
        }
    }
    waiting
}

/// The exit code for an outcome (documented in the README).
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Succeeded => 0,
        Outcome::Failed => 1,
        Outcome::Halted => 3,
        Outcome::RolledBack => 4,
        Outcome::Aborted => 5,
        Outcome::Interrupted => 6,
    }
}

/// The first 12 characters of a checksum.
fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// `HH:MM:SS UTC` of an RFC 3339 time (as written if it does not parse).
fn clock(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_owned(),
        |t| {
            t.with_timezone(&chrono::Utc)
                .format("%H:%M:%S UTC")
                .to_string()
        },
    )
}
