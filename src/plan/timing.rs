//! Planned times from the window start and the budgets; the critical path. Pure.

use super::{EdgeKind, PhasePlan, StepPlan};
use crate::diag::Diagnostic;
use crate::runbook::{PhaseStart, Runbook, duration};
use chrono::{Duration as ChronoDuration, TimeZone};
use std::time::Duration;

pub(crate) struct Timing {
    pub planned_end: Duration,
    pub slack_ms: i64,
    pub critical_path: Vec<String>,
    pub critical_path_duration: Duration,
}

/// Offset from the window start of a phase's declared start.
fn declared_offset(runbook: &Runbook, start: PhaseStart) -> Option<Duration> {
    match start {
        PhaseStart::Offset(d) => Some(d),
        PhaseStart::TimeOfDay { hour, minute } => {
            let window = runbook.window.start?;
            let day = window.date_naive().and_hms_opt(hour, minute, 0)?;
            let mut at = window.timezone().from_local_datetime(&day).single()?;
            // "02:00" in a window that starts at 23:00 means the next day.
            if at < window {
                at += ChronoDuration::days(1);
            }
            (at - window).to_std().ok()
        }
    }
}

pub(crate) fn schedule(
    runbook: &Runbook,
    phases: &mut [PhasePlan],
    steps: &mut [StepPlan],
    edges: &[(usize, usize, EdgeKind)],
    diags: &mut Vec<Diagnostic>,
) -> Timing {
    let file = runbook.path.as_path();
    let mut cursor = Duration::ZERO;
    // Earliest finish of each step, and which step it waited for (for the critical path).
    let mut finish = vec![Duration::ZERO; steps.len()];
    let mut waited_for: Vec<Option<usize>> = vec![None; steps.len()];
    let mut previous_phase_last: Option<usize> = None;
    for (p, phase) in runbook.phases.iter().enumerate() {
        let mut start = cursor;
        if let Some((declared, loc)) = phase.start
            && let Some(offset) = declared_offset(runbook, declared)
        {
            if offset < cursor && p > 0 {
                diags.push(
                        Diagnostic::warning(
                            "phase-overlap",
                            file,
                            Some(loc),
                            format!(
                                "phase `{}` is planned to start at +{}, before phase `{}` is planned to end (+{})",
                                phase.id,
                                duration::format(offset),
                                runbook.phases[p - 1].id,
                                duration::format(cursor)
                            ),
                        )
                        .with_help("move the start later, or shorten the earlier phases' budgets"),
                    );
            }
            start = start.max(offset);
        }
        phases[p].planned_start = start;
        phases[p].planned_end = start + phase.budget;
        cursor = phases[p].planned_end;

        // List-schedule the phase's steps on `parallel` workers in execution order.
        let mut workers = vec![start; phase.parallel.max(1)];
        let phase_ready = previous_phase_last.map_or(Duration::ZERO, |i| finish[i]);
        let mut last: Option<usize> = None;
        for &i in &phases[p].order {
            let mut ready = start;
            let mut logical_ready = phase_ready;
            let mut pred = previous_phase_last;
            for &(from, to, _) in edges {
                if to == i {
                    ready = ready.max(steps[from].planned_end);
                    if finish[from] >= logical_ready {
                        logical_ready = finish[from];
                        pred = Some(from);
                    }
                }
            }
            let (w, free) = workers
                .iter()
                .copied()
                .enumerate()
                .min_by_key(|(_, t)| *t)
                .unwrap_or((0, start));
            let begin = ready.max(free);
            steps[i].planned_start = begin;
            steps[i].planned_end = begin + steps[i].expected;
            if let Some(slot) = workers.get_mut(w) {
                *slot = steps[i].planned_end;
            }
            finish[i] = logical_ready + steps[i].expected;
            waited_for[i] = pred;
            if last.is_none_or(|l| finish[i] >= finish[l]) {
                last = Some(i);
            }
        }
        if let Some(l) = last {
            previous_phase_last = Some(l);
        }
        let work_end = phases[p]
            .order
            .iter()
            .map(|&i| steps[i].planned_end)
            .max()
            .unwrap_or(start);
        if work_end > phases[p].planned_end {
            diags.push(
                Diagnostic::warning(
                    "phase-over-budget",
                    file,
                    Some(phase.loc),
                    format!(
                        "phase `{}` expects {} of work in a {} budget",
                        phase.id,
                        duration::format(work_end - start),
                        duration::format(phase.budget)
                    ),
                )
                .with_help("raise the phase budget or split the work"),
            );
        }
    }
    let planned_end = cursor;
    let budget = runbook.window.budget;
    if planned_end > budget {
        diags.push(
            Diagnostic::warning(
                "over-window",
                file,
                Some(runbook.window.loc),
                format!(
                    "the phases' budgets add up to {}, past the window's {} by {}",
                    duration::format(planned_end),
                    duration::format(budget),
                    duration::format(planned_end - budget)
                ),
            )
            .with_help("raise `window.budget` or shorten phase budgets"),
        );
    }
    let mut critical_path = Vec::new();
    let mut at = previous_phase_last;
    let critical_path_duration = at.map_or(Duration::ZERO, |i| finish[i]);
    while let Some(i) = at {
        steps[i].on_critical_path = true;
        critical_path.push(steps[i].id.clone());
        at = waited_for[i];
    }
    critical_path.reverse();
    let slack_ms = i64::try_from(budget.as_millis()).unwrap_or(i64::MAX)
        - i64::try_from(planned_end.as_millis()).unwrap_or(i64::MAX);
    Timing {
        planned_end,
        slack_ms,
        critical_path,
        critical_path_duration,
    }
}
