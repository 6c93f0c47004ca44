//! The plan journaled at the start of the run, set against what happened: planned phases and steps with their actual times.

use super::*;

/// The journaled plan in absolute times, each phase and step next to its actual runs.
pub(super) fn plan_report(
    plan: &PlannedWindow,
    segment: u32,
    phases: &[Phase],
) -> Result<PlanReport, String> {
    let window_start = parse_ts(&plan.window_start)
        .ok_or_else(|| format!("window_start `{}` is not RFC 3339", plan.window_start))?;
    let at =
        |ms: u64| offset(window_start, ms).ok_or_else(|| format!("offset {ms} ms is out of range"));
    let mut planned = Vec::with_capacity(plan.phases.len());
    for p in &plan.phases {
        let planned_start = at(p.start_ms)?;
        let planned_end = at(p.end_ms.max(p.start_ms))?;
        let runs: Vec<&Phase> = phases.iter().filter(|r| r.phase == p.phase).collect();
        let mut segments: Vec<u32> = runs.iter().map(|r| r.segment).collect();
        segments.dedup();
        let actual_start = runs.first().map(|r| r.started_at);
        let actual_end = runs.last().map(|r| r.ended_at);
        let duration_ms = (!runs.is_empty()).then(|| {
            runs.iter()
                .fold(0u64, |sum, r| sum.saturating_add(r.duration_ms))
        });
        let progress = match runs.last() {
            None => PhaseProgress::NotStarted,
            Some(r) if r.finished_at.is_some() => PhaseProgress::Finished,
            Some(_) => PhaseProgress::Unfinished,
        };
        let mut steps = Vec::with_capacity(p.steps.len());
        for s in &p.steps {
            let spans: Vec<&Span> = phases
                .iter()
                .flat_map(|r| &r.spans)
                .filter(|span| span.step == s.step)
                .collect();
            let actual_ms: Option<u64> = (!spans.is_empty()).then(|| {
                spans.iter().fold(0u64, |sum, span| {
                    sum.saturating_add(ms_between(span.started_at, span.ended_at))
                })
            });
            let much_longer = actual_ms.is_some_and(|a| {
                s.expected_ms > 0
                    && a >= s.expected_ms.saturating_mul(MUCH_LONGER_FACTOR)
                    && a >= s.expected_ms.saturating_add(MUCH_LONGER_MIN_MS)
            });
            // A step that never finished has no end to compare: only an overrun it had
            // already run into counts.
            let unfinished = spans
                .last()
                .is_some_and(|span| span.result == SpanResult::Interrupted);
            let over_expected_ms = actual_ms
                .map(|a| signed_ms(a) - signed_ms(s.expected_ms))
                .filter(|&o| !unfinished || o > 0);
            steps.push(PlannedStep {
                step: s.step.clone(),
                kind: s.kind.clone(),
                planned_start: at(s.start_ms)?,
                planned_end: at(s.end_ms.max(s.start_ms))?,
                expected_ms: s.expected_ms,
                actual_start: spans.iter().map(|span| span.started_at).min(),
                actual_end: spans.iter().map(|span| span.ended_at).max(),
                actual_ms,
                over_expected_ms,
                much_longer,
                title: s.title.clone(),
                sql: s.sql.clone(),
            });
        }
        // Likewise for a phase that never finished.
        let unfinished = progress == PhaseProgress::Unfinished;
        let end_overrun_ms = actual_end
            .map(|e| (e - planned_end).num_milliseconds())
            .filter(|&o| !unfinished || o > 0);
        let budget_overrun_ms = duration_ms
            .map(|d| signed_ms(d) - signed_ms(p.budget_ms))
            .filter(|&o| !unfinished || o > 0);
        planned.push(PlannedPhase {
            phase: p.phase.clone(),
            kind: p.kind.clone(),
            planned_start,
            planned_end,
            budget_ms: p.budget_ms,
            progress,
            segments,
            actual_start,
            actual_end,
            duration_ms,
            start_delay_ms: actual_start.map(|a| (a - planned_start).num_milliseconds()),
            end_overrun_ms,
            budget_overrun_ms,
            steps,
        });
    }
    Ok(PlanReport {
        segment,
        window_start,
        window_budget_ms: plan.window_budget_ms,
        phases: planned,
        monitor_cap_ms: plan.monitor_cap_ms,
        zone: plan.zone.clone(),
    })
}
