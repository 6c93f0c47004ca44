//! One log line per engine event (like the headless printer, without the timestamp, which
//! the log panel adds), with a level for its colour.

use super::fmt;
use super::state::Level;
use crate::events::{Decision, Event};
use crate::runbook::Severity;

fn first_line(s: &str, max: usize) -> String {
    s.lines().next().unwrap_or("").chars().take(max).collect()
}

/// The text and level of an event's log line.
pub fn describe(event: &Event) -> (String, Level) {
    match event {
        Event::RunStarted {
            run_id,
            title,
            target,
            operator,
            server_version,
            resumed,
            ..
        } => (
            format!(
                "{} run {run_id} of \"{title}\" on {target} (PostgreSQL {server_version}) by {operator}",
                if *resumed { "resuming" } else { "starting" }
            ),
            Level::Info,
        ),
        Event::PhaseStarted { phase } => (format!("phase {phase}"), Level::Info),
        Event::PhaseBudgetExceeded { phase, budget_ms } => (
            format!("phase {phase} is over its {} budget", fmt::ms(*budget_ms)),
            Level::Warn,
        ),
        Event::PhaseFinished { phase, duration_ms } => (
            format!("phase {phase} finished in {}", fmt::ms(*duration_ms)),
            Level::Info,
        ),
        Event::StepSkipped { step, reason } => (format!("  skip {step}: {reason}"), Level::Detail),
        Event::StepStarted {
            step,
            attempt,
            in_transaction,
        } => (
            format!(
                "  start {step}{}{}",
                if *attempt > 1 {
                    format!(" (attempt {attempt})")
                } else {
                    String::new()
                },
                if *in_transaction == Some(false) {
                    " [no transaction]"
                } else {
                    ""
                }
            ),
            Level::Info,
        ),
        Event::StatementStarted { step, index, sql } => (
            format!("    {step} #{index}: {}", first_line(sql, 200)),
            Level::Detail,
        ),
        Event::StatementFinished {
            step,
            index,
            rows,
            duration_ms,
        } => (
            format!(
                "    {step} #{index} done in {} ({rows} rows)",
                fmt::ms(*duration_ms)
            ),
            Level::Detail,
        ),
        Event::Notice {
            step,
            severity,
            message,
        } => (
            format!("    {step} {severity}: {}", first_line(message, 300)),
            if severity.eq_ignore_ascii_case("WARNING") {
                Level::Warn
            } else {
                Level::Detail
            },
        ),
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
                        b.pid,
                        b.application_name,
                        b.state,
                        b.xact_age_s,
                        first_line(&b.query, 120)
                    )
                })
                .collect();
            (
                format!(
                    "    {step} waits for a lock ({} so far), held by {}",
                    fmt::ms(*waited_ms),
                    who.join("; ")
                ),
                Level::Warn,
            )
        }
        Event::Retry {
            step,
            attempt,
            delay_ms,
            reason,
        } => (
            format!(
                "    {step}: {reason}; retry {attempt} in {}",
                fmt::ms(*delay_ms)
            ),
            Level::Warn,
        ),
        Event::StepFinished {
            step,
            duration_ms,
            rows,
        } => (
            format!("  done {step} in {} ({rows} rows)", fmt::ms(*duration_ms)),
            Level::Good,
        ),
        Event::StepFailed { step, error } => (format!("  FAILED {step}: {error}"), Level::Error),
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
            (
                format!(
                    "    {step} exit {}: {}",
                    exit_code.map_or("-".into(), |c| c.to_string()),
                    tail.lines().last().unwrap_or("")
                ),
                if *exit_code == Some(0) {
                    Level::Detail
                } else {
                    Level::Warn
                },
            )
        }
        Event::CheckResult {
            step,
            passed,
            actual,
            expected,
            severity,
            ..
        } => (
            format!(
                "  check {step}: {} (got {actual}, expected {expected}){}",
                if *passed { "PASS" } else { "FAIL" },
                if !passed && *severity == Severity::Warning {
                    " [warning]"
                } else {
                    ""
                }
            ),
            match (passed, severity) {
                (true, _) => Level::Good,
                (false, Severity::Warning) => Level::Warn,
                (false, Severity::Critical) => Level::Error,
            },
        ),
        Event::ProbeSample { step, value, alert } => (
            format!(
                "  probe {step} = {}{}",
                value.as_ref().map_or("NULL".into(), |v| v.to_string()),
                if *alert { " ALERT" } else { "" }
            ),
            if *alert { Level::Warn } else { Level::Detail },
        ),
        Event::Alert {
            step,
            value,
            threshold,
        } => (
            format!("  ALERT {step}: {value} (threshold {threshold})"),
            Level::Error,
        ),
        Event::ManualWaiting { step, prompt } => {
            (format!("  manual {step}: {prompt}"), Level::Gate)
        }
        Event::ManualAcknowledged { step, operator } => {
            (format!("  acknowledged {step} by {operator}"), Level::Good)
        }
        Event::CheckpointReached {
            step,
            prompt,
            failed_critical,
            ..
        } => (
            format!(
                "GATE {step}: {prompt}{}",
                if failed_critical.is_empty() {
                    String::new()
                } else {
                    format!(" (FAILED critical checks: {})", failed_critical.join(", "))
                }
            ),
            Level::Gate,
        ),
        Event::DecisionRejected { step, reason } => (
            format!("  decision at {step} rejected: {reason}"),
            Level::Warn,
        ),
        Event::ServerActivity { step, sessions } => {
            if sessions.is_empty() {
                (
                    format!("  server at {step}: no long transactions or lock waits"),
                    Level::Info,
                )
            } else {
                let pids: Vec<String> = sessions.iter().map(|s| s.pid.to_string()).collect();
                (
                    format!(
                        "  server at {step}: long transactions or lock waits in pid {}",
                        pids.join(", ")
                    ),
                    Level::Warn,
                )
            }
        }
        Event::DecisionRecorded {
            step,
            decision,
            operator,
            comment,
            restored,
            overrode_failed_checks,
            ..
        } => (
            format!(
                "DECISION {step}: {}{}{}{}{}",
                match decision {
                    Decision::Go => "GO",
                    Decision::Abort => "NO-GO (abort)",
                    Decision::Rollback => "NO-GO (roll back)",
                },
                if operator.is_empty() {
                    String::new()
                } else {
                    format!(" by {operator}")
                },
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
                },
                comment
                    .as_ref()
                    .filter(|_| !restored)
                    .map(|c| format!(" — \"{c}\""))
                    .unwrap_or_default()
            ),
            if *decision == Decision::Go {
                Level::Gate
            } else {
                Level::Error
            },
        ),
        Event::UncertainStep {
            step,
            still_running,
        } => (
            format!(
                "  UNCERTAIN {step}: it was interrupted between its statements{}",
                still_running_text(still_running)
            ),
            Level::Error,
        ),
        Event::LockLost { reason } => (
            format!("LOCK LOST: {reason}; nothing starts or commits until it is held again"),
            Level::Error,
        ),
        Event::LockRegained { pid } => (
            format!("lock held again (pid {pid}); applied steps read again from the database"),
            Level::Warn,
        ),
        Event::Reconnected { session, reason } => (
            format!("reconnected the {session} session: {reason}"),
            Level::Warn,
        ),
        Event::AwaitingFailureDecision { step } => (
            format!("  {step} failed: retry, roll back or abort?"),
            Level::Gate,
        ),
        Event::RollbackStarted { steps } => (
            format!(
                "ROLLBACK of {}",
                if steps.is_empty() {
                    "nothing".into()
                } else {
                    steps.join(", ")
                }
            ),
            Level::Warn,
        ),
        Event::RollbackStep { step, ok, error } => (
            format!(
                "  rollback {step}: {}",
                if *ok {
                    "ok".to_owned()
                } else {
                    error.as_ref().map_or("failed".into(), |e| e.to_string())
                }
            ),
            if *ok { Level::Good } else { Level::Error },
        ),
        Event::InvalidIndexDropped { step, index, error } => match error {
            None => (
                format!(
                    "    {step}: dropped the INVALID index {index} its failed build left (DROP INDEX CONCURRENTLY)"
                ),
                Level::Warn,
            ),
            Some(e) => (
                format!(
                    "    {step}: the INVALID index {index} its failed build left could not be dropped: {e} — drop it (DROP INDEX CONCURRENTLY {index}) before a retry"
                ),
                Level::Error,
            ),
        },
        Event::RollbackLeftApplied { step, reason } => (
            format!("  rollback {step}: left applied ({reason})"),
            Level::Warn,
        ),
        Event::Cancelled { reason } => (format!("CANCELLED: {reason}"), Level::Error),
        Event::RunbookChanged { started_with, now } => (
            format!(
                "the runbook changed since this run started (checksum {} → {}); applied steps whose SQL changed are still refused",
                started_with.get(..12).unwrap_or(started_with),
                now.get(..12).unwrap_or(now)
            ),
            Level::Warn,
        ),
        Event::StatementCancelled { step, reason } => (
            format!(
                "{step}: running statement {reason}; the step fails, then retry, roll back or abort"
            ),
            Level::Warn,
        ),
        Event::RunFinished { outcome, message } => (
            format!(
                "run finished: {}{}",
                outcome.as_str(),
                message
                    .as_ref()
                    .map(|m| format!(" — {m}"))
                    .unwrap_or_default()
            ),
            match outcome {
                crate::events::Outcome::Succeeded => Level::Good,
                crate::events::Outcome::Halted => Level::Warn,
                _ => Level::Error,
            },
        ),
    }
}

/// The sessions an earlier runner left at work, for an uncertain step's line.
pub fn still_running_text(still_running: &[String]) -> String {
    if still_running.is_empty() {
        String::new()
    } else {
        format!(
            "; an earlier session is still at work: {}",
            still_running.join("; ")
        )
    }
}
