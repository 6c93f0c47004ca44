//! One sentence per journaled event, and its level: what the headless output, the TUI log
//! and the watcher say about it. Every front end tells a run in these words, so the operator's
//! screen, a CI log and a colleague's watcher never word the same moment two ways — and a new
//! event is told by adding it here, once.

use crate::events::{Decision, Event, Outcome};
use crate::journal::Entry;
use crate::plan::forecast::Advice;
use crate::runbook::{OnFail, Severity};

/// How much a line matters (a screen gives each its colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Detail,
    Good,
    Warn,
    Error,
    /// Something waits for a person.
    Gate,
}

/// What is said about one journal entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Told {
    /// The sentence (steps' lines are indented under their phase, statements' under their
    /// step).
    pub text: String,
    pub level: Level,
    /// Lines that belong under the sentence (each session at a gate), already indented.
    pub more: Vec<String>,
}

impl Told {
    fn new(text: String, level: Level) -> Told {
        Told {
            text,
            level,
            more: Vec::new(),
        }
    }
}

/// A duration as people read it: `850ms`, `4.2s`, `42s`, `3m07s`, `1h05m`.
pub fn ms(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 10_000 {
        format!("{}.{}s", ms / 1_000, (ms % 1_000) / 100)
    } else if ms < 60_000 {
        format!("{}s", ms / 1_000)
    } else if ms < 3_600_000 {
        let s = ms / 1_000;
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        let m = ms / 60_000;
        format!("{}h{:02}m", m / 60, m % 60)
    }
}

/// A decision in the words every front end uses.
pub fn decision_word(decision: Decision) -> &'static str {
    match decision {
        Decision::Go => "GO",
        Decision::Abort => "NO-GO (abort)",
        Decision::Rollback => "NO-GO (roll back)",
    }
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

fn parse_time(rfc3339: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The forecast at a gate in words, the same on every screen: `at 1.4× the expected pace
/// you finish at 11:42:00, 18m00s before the hard end (12:00:00) — forecast: go`.
pub fn forecast(
    end: &str,
    hard_end: &str,
    spare: chrono::Duration,
    pace: Option<f64>,
    advice: Advice,
) -> String {
    let pace = match pace {
        Some(p) if (p - 1.0).abs() >= 0.05 => format!("at {p:.1}× the expected pace "),
        Some(_) => "at the expected pace ".to_owned(),
        None => "as planned ".to_owned(),
    };
    let spare_ms = spare.num_milliseconds();
    let spare = if spare_ms < 0 {
        format!(
            "{} AFTER the hard end ({hard_end})",
            ms(spare_ms.unsigned_abs())
        )
    } else {
        format!(
            "{} before the hard end ({hard_end})",
            ms(spare_ms.unsigned_abs())
        )
    };
    let advice = match advice {
        Advice::Go => "forecast: go",
        Advice::Tight => "forecast: tight, little room for a slow step or a rollback",
        Advice::NoGo => "forecast: NO-GO, the window would overrun",
    };
    format!("{pace}you finish at {end}, {spare} — {advice}")
}

/// The same in a few words, for a narrow screen: `end 11:42:00 at 1.4× · 18m00s to spare ·
/// forecast: go`.
pub fn forecast_short(
    end: &str,
    spare: chrono::Duration,
    pace: Option<f64>,
    advice: Advice,
) -> String {
    let pace = match pace {
        Some(p) if (p - 1.0).abs() >= 0.05 => format!(" at {p:.1}×"),
        _ => String::new(),
    };
    let spare_ms = spare.num_milliseconds();
    let spare = if spare_ms < 0 {
        format!("{} OVER", ms(spare_ms.unsigned_abs()))
    } else {
        format!("{} to spare", ms(spare_ms.unsigned_abs()))
    };
    let advice = match advice {
        Advice::Go => "go",
        Advice::Tight => "tight",
        Advice::NoGo => "NO-GO",
    };
    format!("end {end}{pace} · {spare} · forecast: {advice}")
}

/// What a rollback chosen now would do, in one sentence (the failure prompt and a no-go
/// show it too): `a rollback now undoes b, a (newest first) in about 1m20s as rehearsed;
/// leaves applied c (no rollback SQL)`.
pub fn rollback_outlook(plan: &crate::events::RollbackPlan) -> String {
    format!("  a rollback now {}", rollback_words(plan))
}

/// The same without its subject (`undoes b, a (newest first) …`), for the report's gates.
pub fn rollback_words(plan: &crate::events::RollbackPlan) -> String {
    let (undoes, left_applied) = (&plan.undoes, &plan.left_applied);
    let mut line = match undoes.as_slice() {
        [] => "undoes nothing".to_owned(),
        [one] => format!("undoes {one}"),
        many => format!("undoes {} (newest first)", many.join(", ")),
    };
    if let Some(expected) = plan.expected_ms.filter(|_| !undoes.is_empty()) {
        line.push_str(&format!(" in about {} as rehearsed", ms(expected)));
        if plan.fits == Some(false) {
            line.push_str(", ending AFTER the hard end");
        }
    }
    if !left_applied.is_empty() {
        let kept: Vec<String> = left_applied
            .iter()
            .map(|k| format!("{} ({})", k.step, k.reason))
            .collect();
        line.push_str(&format!("; leaves applied {}", kept.join(", ")));
    }
    line
}

fn first_line(s: &str, max: usize) -> String {
    s.lines().next().unwrap_or("").chars().take(max).collect()
}

/// The first 12 characters of a checksum.
fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

fn rows(n: u64) -> String {
    match n {
        0 => String::new(),
        1 => " (1 row)".to_owned(),
        n => format!(" ({n} rows)"),
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

fn decision_sentence(
    step: &str,
    decision: Decision,
    operator: &str,
    comment: Option<&str>,
    overrode_failed_checks: &[String],
    restored: bool,
) -> String {
    format!(
        "DECISION {step}: {}{}{}{}{}",
        decision_word(decision),
        if operator.is_empty() {
            String::new()
        } else {
            format!(" by {operator}")
        },
        if restored {
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
            .filter(|_| !restored)
            .map(|c| format!(" — \"{c}\""))
            .unwrap_or_default()
    )
}

fn acknowledged_sentence(step: &str, operator: &str, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("acknowledged {step} by {operator}: “{note}”"),
        None => format!("acknowledged {step} by {operator}"),
    }
}

/// A decision or acknowledgement of the run record, in the words its event is told in.
pub fn decision(d: &crate::record::DecisionRecord) -> String {
    match d.decision {
        Some(decision) => decision_sentence(
            &d.step,
            decision,
            &d.operator,
            d.comment.as_deref(),
            &d.overrode_failed_checks,
            d.restored,
        ),
        None => acknowledged_sentence(&d.step, &d.operator, d.comment.as_deref()),
    }
}

/// What is said about `entry`.
pub fn tell(entry: &Entry) -> Told {
    use Level::*;
    let told = |text: String, level: Level| Told::new(text, level);
    match &entry.event {
        Event::RunStarted {
            run_id,
            title,
            target,
            operator,
            server_version,
            resumed,
            ..
        } => told(
            format!(
                "{} run {run_id} of \"{title}\" on {target} (PostgreSQL {server_version}) by {operator}",
                if *resumed { "resuming" } else { "starting" }
            ),
            Info,
        ),
        Event::RunbookChanged { started_with, now } => told(
            format!(
                "WARNING: the runbook changed since this run started (checksum {} -> {}); applied steps whose SQL changed are still refused",
                short(started_with),
                short(now)
            ),
            Warn,
        ),
        Event::RehearsalCompared { rehearsal: r } if r.drift.is_empty() => told(
            format!(
                "set against rehearsal {} ({}): the schema is as rehearsed (fingerprint {})",
                r.run_id,
                r.record,
                short(&r.fingerprint)
            ),
            Info,
        ),
        Event::RehearsalCompared { rehearsal: r } => Told {
            text: format!(
                "WARNING: the schema differs from rehearsal {}'s start in {} object(s) (fingerprint {} -> {}){}",
                r.run_id,
                r.drift.len(),
                short(&r.rehearsed_fingerprint),
                short(&r.fingerprint),
                r.drift_accepted_by
                    .as_ref()
                    .map(|who| format!("; {who} accepted it (--accept-drift)"))
                    .unwrap_or_default()
            ),
            level: Warn,
            more: r.drift.iter().map(|d| format!("  drift: {d}")).collect(),
        },
        Event::PhaseStarted { phase } => told(format!("phase {phase}"), Info),
        Event::PhaseBudgetExceeded { phase, budget_ms } => told(
            format!("phase {phase} is over its {} budget", ms(*budget_ms)),
            Warn,
        ),
        Event::PhaseFinished { phase, duration_ms } => told(
            format!("phase {phase} finished in {}", ms(*duration_ms)),
            Info,
        ),
        Event::StepSkipped { step, reason } => told(format!("  skip {step}: {reason}"), Detail),
        Event::StepStarted {
            step,
            attempt,
            in_transaction,
        } => told(
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
            Info,
        ),
        Event::StatementStarted { step, index, sql } => told(
            format!("    {step} #{index}: {}", first_line(sql, 200)),
            Detail,
        ),
        Event::Notice {
            step,
            severity,
            message,
        } => told(
            format!("    {step} {severity}: {}", first_line(message, 300)),
            if severity.eq_ignore_ascii_case("WARNING") {
                Warn
            } else {
                Detail
            },
        ),
        Event::StatementFinished {
            step,
            index,
            rows: n,
            duration_ms,
        } => told(
            format!(
                "    {step} #{index} done in {}{}",
                ms(*duration_ms),
                rows(*n)
            ),
            Detail,
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
            told(
                format!(
                    "    {step} waits for a lock ({} so far), held by {}",
                    ms(*waited_ms),
                    who.join("; ")
                ),
                Warn,
            )
        }
        Event::Retry {
            step,
            attempt,
            delay_ms,
            reason,
        } => told(
            format!("    {step}: {reason}; retry {attempt} in {}", ms(*delay_ms)),
            Warn,
        ),
        Event::StepFinished {
            step,
            duration_ms,
            rows: n,
        } => told(
            format!("  done {step} in {}{}", ms(*duration_ms), rows(*n)),
            Good,
        ),
        Event::StepFailed { step, error } => told(format!("  FAILED {step}: {error}"), Error),
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
            told(
                format!(
                    "    {step} exit {}: {}",
                    exit_code.map_or("-".into(), |c| c.to_string()),
                    tail.lines().last().unwrap_or("")
                ),
                if *exit_code == Some(0) { Detail } else { Warn },
            )
        }
        Event::CheckResult {
            step,
            passed,
            actual,
            expected,
            severity,
            ..
        } => told(
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
                (true, _) => Good,
                (false, Severity::Warning) => Warn,
                (false, Severity::Critical) => Error,
            },
        ),
        Event::PreconditionChecked {
            step,
            index,
            passed: true,
            actual,
            ..
        } => told(
            format!("  precondition {index} of {step} holds (got {actual})"),
            Detail,
        ),
        Event::PreconditionChecked {
            step,
            index,
            actual,
            expected,
            on_fail,
            ..
        } => told(
            format!(
                "  precondition {index} of {step} FAILED (got {actual}, expected {expected}): {}",
                match on_fail {
                    OnFail::Halt => "the run halts before the step",
                    OnFail::Skip => "the step is skipped",
                    OnFail::Warn => "the step runs anyway (on_fail: warn)",
                }
            ),
            match on_fail {
                OnFail::Halt => Error,
                OnFail::Skip | OnFail::Warn => Warn,
            },
        ),
        Event::BackfillStarted {
            step,
            from_key,
            rows_done,
            batches,
            total_estimate,
            batch_size,
        } => told(
            format!(
                "  backfill {step}: {} above key {from_key}{}, batches of {batch_size}",
                if *rows_done > 0 {
                    format!("goes on ({rows_done} rows in {batches} batches done)")
                } else {
                    "starts".to_owned()
                },
                total_estimate.map_or(String::new(), |n| format!(", ~{n} rows in all"))
            ),
            Info,
        ),
        Event::BackfillBatch {
            step,
            batch,
            from_key,
            to_key,
            rows,
            duration_ms,
            rows_done,
            next_batch_size,
        } => told(
            format!(
                "  backfill {step}: batch {batch}, keys {}..={to_key}: {rows} rows in {} ({rows_done} done; next batch {next_batch_size})",
                from_key.saturating_add(1),
                ms(*duration_ms)
            ),
            Detail,
        ),
        Event::BackfillThrottled { step, reason } => {
            told(format!("  backfill {step} waits: {reason}"), Warn)
        }
        Event::BackfillAdjusted {
            step,
            operator,
            change,
            batch_size,
            max_replica_lag_ms,
            held,
        } => told(
            format!(
                "  backfill {step}: {operator} set {} (now batches of {batch_size}{}{})",
                change.describe(),
                max_replica_lag_ms
                    .map_or(String::new(), |l| format!(", max replica lag {}", ms(l))),
                if *held { ", held" } else { "" }
            ),
            Info,
        ),
        Event::IndexBuildProgress { step, progress } => told(
            format!("    index build of {step}: {}", progress.describe()),
            Detail,
        ),
        Event::BackfillResumed { step, waited_ms } => told(
            format!("  backfill {step} goes on after waiting {}", ms(*waited_ms)),
            Info,
        ),
        Event::ProbeSample { step, value, alert } => told(
            format!(
                "  probe {step} = {}{}",
                value.as_ref().map_or("NULL".into(), |v| v.to_string()),
                if *alert { " ALERT" } else { "" }
            ),
            if *alert { Warn } else { Detail },
        ),
        Event::Alert {
            step,
            value,
            threshold,
        } => told(
            format!("  ALERT {step}: {value} (threshold {threshold})"),
            Error,
        ),
        Event::ManualWaiting { step, prompt } => told(format!("  manual {step}: {prompt}"), Gate),
        Event::ManualAcknowledged {
            step,
            operator,
            note,
        } => told(
            format!(
                "  {}",
                acknowledged_sentence(step, operator, note.as_deref())
            ),
            Good,
        ),
        Event::CheckpointReached {
            step,
            prompt,
            failed_critical,
            projected_end,
            hard_end,
            pace,
            advice,
            ..
        } => {
            let failed = if failed_critical.is_empty() {
                String::new()
            } else {
                format!("FAILED critical checks: {}", failed_critical.join(", "))
            };
            let text = match (advice, parse_time(projected_end), parse_time(hard_end)) {
                (Some(advice), Some(end), Some(hard)) => {
                    let forecast = forecast(
                        &clock(projected_end),
                        &clock(hard_end),
                        hard - end,
                        *pace,
                        *advice,
                    );
                    let failed = if failed.is_empty() {
                        failed
                    } else {
                        format!("; {failed}")
                    };
                    format!("GATE {step}: {prompt} — {forecast}{failed}")
                }
                _ => format!(
                    "GATE {step}: {prompt} (projected end {}, hard end {}{})",
                    clock(projected_end),
                    clock(hard_end),
                    if failed.is_empty() {
                        failed
                    } else {
                        format!(", {failed}")
                    }
                ),
            };
            told(text, Gate)
        }
        Event::DecisionRejected { step, reason } => {
            told(format!("  decision at {step} rejected: {reason}"), Warn)
        }
        Event::ServerActivity { step, sessions } => {
            if sessions.is_empty() {
                told(
                    format!("  server at {step}: no long transactions or lock waits"),
                    Info,
                )
            } else {
                Told {
                    text: format!(
                        "  server at {step}: {} session(s) in long transactions or lock waits",
                        sessions.len()
                    ),
                    level: Warn,
                    more: sessions
                        .iter()
                        .map(|s| format!("    {}", s.summary(entry.ts)))
                        .collect(),
                }
            }
        }
        Event::DecisionRecorded {
            step,
            decision,
            operator,
            comment,
            restored,
            overrode_failed_checks,
            answers,
        } => Told {
            text: decision_sentence(
                step,
                *decision,
                operator,
                comment.as_deref(),
                overrode_failed_checks,
                *restored,
            ),
            level: if *decision == Decision::Go {
                Gate
            } else {
                Error
            },
            // The checklist as the operator answered it (what a watcher cannot see ticked).
            more: answers
                .iter()
                .map(|(question, yes)| format!("    [{}] {question}", if *yes { "x" } else { " " }))
                .collect(),
        },
        Event::UncertainStep {
            step,
            still_running,
        } => told(
            format!(
                "  UNCERTAIN {step}: it was interrupted between its statements{}",
                still_running_text(still_running)
            ),
            Error,
        ),
        Event::LockLost { reason } => told(
            format!("LOCK LOST: {reason}; nothing starts or commits until it is held again"),
            Error,
        ),
        Event::LockRegained { pid } => told(
            format!("lock held again (pid {pid}); applied steps read again from the database"),
            Warn,
        ),
        Event::Reconnected { session, reason } => {
            told(format!("reconnected the {session} session: {reason}"), Warn)
        }
        Event::AwaitingFailureDecision { step } => {
            told(format!("  {step} failed: retry, roll back or abort?"), Gate)
        }
        Event::RollbackOutlook {
            undoes,
            left_applied,
            expected_ms,
            fits,
        } => told(
            rollback_outlook(&crate::events::RollbackPlan {
                undoes: undoes.clone(),
                left_applied: left_applied.clone(),
                expected_ms: *expected_ms,
                fits: *fits,
            }),
            if *fits == Some(false) { Warn } else { Detail },
        ),
        Event::RollbackStarted { steps } => told(
            format!(
                "ROLLBACK of {}",
                if steps.is_empty() {
                    "nothing".into()
                } else {
                    steps.join(", ")
                }
            ),
            Warn,
        ),
        Event::RollbackStep { step, ok, error } => told(
            format!(
                "  rollback {step}: {}",
                if *ok {
                    "ok".to_owned()
                } else {
                    error.as_ref().map_or("failed".into(), |e| e.to_string())
                }
            ),
            if *ok { Good } else { Error },
        ),
        Event::RollbackLeftApplied { step, reason } => {
            told(format!("  rollback {step}: left applied ({reason})"), Warn)
        }
        Event::InvalidIndexDropped { step, index, error } => match error {
            None => told(
                format!(
                    "    {step}: dropped the INVALID index {index} its failed build left (DROP INDEX CONCURRENTLY)"
                ),
                Warn,
            ),
            Some(e) => told(
                format!(
                    "    {step}: the INVALID index {index} its failed build left could not be dropped: {e} — drop it (DROP INDEX CONCURRENTLY {index}) before a retry"
                ),
                Error,
            ),
        },
        Event::Cancelled { reason } => told(format!("CANCELLED: {reason}"), Error),
        Event::StatementCancelled { step, reason } => told(
            format!(
                "{step}: running statement {reason}; the step fails, then retry, roll back or abort"
            ),
            Warn,
        ),
        Event::RunFinished { outcome, message } => told(
            format!(
                "run finished: {}{}",
                outcome.as_str(),
                message
                    .as_ref()
                    .map(|m| format!(" — {m}"))
                    .unwrap_or_default()
            ),
            match outcome {
                Outcome::Succeeded => Good,
                Outcome::Halted => Warn,
                _ => Error,
            },
        ),
    }
}
