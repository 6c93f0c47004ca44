//! Formatting shared by the renderers: durations, times, numbers, and the timeline layout
//! that both the Mermaid gantt and the HTML's SVG draw.

use super::model::{
    DecisionKind, PhaseProgress, PlanReport, PlannedPhase, Report, Rollback, SpanResult, SqlError,
    Step, StepKind, StepStatus, Timestamp,
};
use crate::runbook::duration;
use chrono::{NaiveDate, Offset};
use std::time::Duration;

/// A readable duration: `250ms`, `2.9s`, `1m4s`, `1h2m`. Below a minute it keeps a tenth of a
/// second; from a minute on it rounds to seconds and uses the runbook spelling.
pub fn dur(ms: u64) -> String {
    if ms < 1000 {
        duration::format(Duration::from_millis(ms))
    } else if ms < 60_000 {
        let tenths = ms.saturating_add(50) / 100;
        if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
    } else {
        // Saturating: a journal is user input, and a duration can be anything.
        let secs = ms.saturating_add(500) / 1000;
        duration::format(Duration::from_secs(secs))
    }
}

/// A signed duration with an explicit sign: `+4s`, `-1m2s`.
pub fn signed_dur(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    format!("{sign}{}", dur(ms.unsigned_abs()))
}

/// How many times the expected duration something took: `2.5×` (one decimal).
pub fn times(actual_ms: u64, expected_ms: u64) -> String {
    if expected_ms == 0 {
        return String::new();
    }
    let tenths =
        (u128::from(actual_ms) * 10 + u128::from(expected_ms) / 2) / u128::from(expected_ms);
    if tenths % 10 == 0 {
        format!("{}×", tenths / 10)
    } else {
        format!("{}.{}×", tenths / 10, tenths % 10)
    }
}

/// A number as a DBA reads it: integers plainly, otherwise up to three decimals.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Times in the runbook's window zone (UTC without one), relative to the day the run
/// started: `22:01:07`, or with the date on other days.
#[derive(Clone, Copy)]
pub struct Clock {
    day: Option<NaiveDate>,
    zone: chrono::FixedOffset,
}

impl Clock {
    pub fn new(report: &Report) -> Clock {
        let zone = report
            .plan
            .as_ref()
            .and_then(|p| p.zone.as_deref())
            .and_then(|z| z.parse::<chrono::FixedOffset>().ok())
            .unwrap_or(chrono::Utc.fix());
        Clock {
            day: report
                .summary
                .window
                .started_at
                .map(|t| t.with_timezone(&zone).date_naive()),
            zone,
        }
    }

    pub fn time(self, ts: Timestamp) -> String {
        let ts = ts.with_timezone(&self.zone);
        if Some(ts.date_naive()) == self.day {
            ts.format("%H:%M:%S").to_string()
        } else {
            ts.format("%Y-%m-%d %H:%M:%S").to_string()
        }
    }

    /// The date, the time and the zone.
    pub fn full(self, ts: Timestamp) -> String {
        format!(
            "{} {}",
            ts.with_timezone(&self.zone).format("%Y-%m-%d %H:%M:%S"),
            self.zone_name()
        )
    }

    pub fn zone(self) -> chrono::FixedOffset {
        self.zone
    }

    /// `UTC`, or the window zone's offset.
    pub fn zone_name(self) -> String {
        if self.zone.local_minus_utc() == 0 {
            "UTC".to_owned()
        } else {
            format!("UTC{}", self.zone)
        }
    }
}

/// An overrun worth highlighting: a second or more. Less is clock noise (a monitoring phase
/// runs its whole budget and the engine's few milliseconds on top).
pub fn notable_overrun(ms: i64) -> bool {
    ms >= 1000
}

/// ` — 15s after the planned start` and the like, for the actual start.
pub fn start_delay(ms: i64) -> String {
    if ms.abs() < 1000 {
        " — at the planned start".to_owned()
    } else if ms > 0 {
        format!(" — {} after the planned start", dur(ms.unsigned_abs()))
    } else {
        format!(" — {} before the planned start", dur(ms.unsigned_abs()))
    }
}

/// `1, 2`: the attempts a phase ran in.
pub fn segment_list(segments: &[u32]) -> String {
    segments
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plain-text note under the planned-against-actual phase table.
pub fn plan_note(report: &Report, plan: &PlanReport, clock: Clock) -> String {
    let mut note = format!(
        "Planned times are from the plan journaled when the run started (window start {}, budget {}); actual times are from the journal's events ({}). vs planned end: actual end − planned end; vs budget: duration − budget; + is late or over (highlighted from 1s), − early or under.",
        clock.time(plan.window_start),
        dur(plan.window_budget_ms),
        clock.zone_name()
    );
    if report.segments.len() > 1 {
        note.push_str(" A phase run again after a resume counts from its first start to its last end, and its duration sums its attempts.");
    }
    if plan.segment > 1 {
        note.push_str(&format!(
            " Attempt {} journaled the plan (earlier attempts did not).",
            plan.segment
        ));
    }
    note
}

pub fn transaction(in_transaction: Option<bool>, kind: StepKind) -> &'static str {
    match (in_transaction, kind) {
        (Some(true), _) => "in transaction",
        (Some(false), _) => "no transaction",
        (None, StepKind::Command) => "n/a (command)",
        (None, _) => "—",
    }
}

/// `[55P03] message` plus where it points, on one line (detail and hint are shown apart).
pub fn error_head(e: &SqlError) -> String {
    let mut out = String::new();
    if let Some(code) = &e.sqlstate {
        out.push_str(&format!("[{code}] "));
    }
    out.push_str(&e.message);
    out
}

/// `file:line:column (statement n)`, when known.
pub fn error_location(e: &SqlError) -> Option<String> {
    let place = match (&e.file, e.line) {
        (Some(file), Some(line)) => Some(format!("{file}:{line}:{}", e.column.unwrap_or(1))),
        (Some(file), None) => Some(file.clone()),
        _ => None,
    };
    match (place, e.statement) {
        (Some(p), Some(n)) => Some(format!("{p} (statement {n})")),
        (Some(p), None) => Some(p),
        (None, Some(n)) => Some(format!("statement {n}")),
        (None, None) => None,
    }
}

pub fn status_word(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Applied => "applied",
        StepStatus::Done => "done",
        StepStatus::Passed => "passed",
        StepStatus::CheckFailed => "CHECK FAILED",
        StepStatus::Failed => "FAILED",
        StepStatus::Go => "go",
        StepStatus::NoGo => "NO-GO",
        StepStatus::Undecided => "undecided",
        StepStatus::RolledBack => "rolled back",
        StepStatus::RollbackFailed => "ROLLBACK FAILED",
        StepStatus::Skipped => "skipped",
        StepStatus::Interrupted => "INTERRUPTED",
    }
}

/// A step skipped after this journal saw it run was skipped when the run was resumed.
pub fn skipped_word(step: &Step) -> &'static str {
    if step.status == StepStatus::Skipped {
        "Skipped"
    } else {
        "Skipped when resumed"
    }
}

/// What an incomplete rollback left behind, in one sentence.
pub fn rollback_gap(rb: &Rollback) -> String {
    let failed = rb.results.iter().filter(|r| !r.ok).count();
    let missing = rb
        .planned
        .iter()
        .filter(|p| !rb.results.iter().any(|r| &r.step == *p))
        .count();
    format!(
        "Not every planned step was undone ({failed} failed or left applied, {missing} not attempted): check the database."
    )
}

/// The decision in the words the operator's screen and the headless output use.
pub fn decision_word(d: DecisionKind) -> &'static str {
    use crate::events::Decision;
    crate::narration::decision_word(match d {
        DecisionKind::Go => Decision::Go,
        DecisionKind::Abort => Decision::Abort,
        DecisionKind::Rollback => Decision::Rollback,
    })
}

/// How a bar is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Done,
    /// Failed, no-go, alert, over budget: Mermaid `crit`.
    Bad,
    /// Still running when the journal (or its segment) ended: Mermaid `active`.
    Open,
    /// A phase's planned time box (only with a journaled plan): Mermaid's default bar.
    Planned,
}

pub struct Lane {
    pub label: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub tone: Tone,
    pub is_phase: bool,
    /// A short description for tooltips.
    pub detail: String,
}

pub struct Section {
    pub title: String,
    pub lanes: Vec<Lane>,
}

/// The planned time box of a phase as a lane.
fn planned_lane(p: &PlannedPhase) -> Lane {
    let mut detail = format!("phase {} planned: {} budget", p.phase, dur(p.budget_ms));
    if p.progress == PhaseProgress::NotStarted {
        detail.push_str(", not started");
    }
    Lane {
        label: format!("{} (planned)", p.phase),
        start: p.planned_start,
        end: p.planned_end,
        tone: Tone::Planned,
        is_phase: true,
        detail,
    }
}

/// The phases (each with its steps' spans) and rollbacks as drawable sections. With a
/// journaled plan each phase's first section opens with its planned bar, and phases that
/// never started get a section with only that.
pub fn timeline(report: &Report) -> Vec<Section> {
    let several = report.segments.len() > 1;
    let plan = report.plan.as_ref();
    let mut drawn: Vec<&str> = Vec::new();
    let mut sections = Vec::new();
    for phase in &report.phases {
        let title = if several {
            format!("{} (attempt {})", phase.phase, phase.segment)
        } else {
            phase.phase.clone()
        };
        let planned = report
            .planned_phase(&phase.phase)
            .filter(|_| !drawn.contains(&phase.phase.as_str()));
        if planned.is_some() {
            drawn.push(&phase.phase);
        }
        let over = phase.overrun_ms.is_some_and(|o| o > 0) || phase.budget_exceeded_at.is_some();
        let tone = if phase.finished_at.is_none() {
            Tone::Open
        } else if over {
            Tone::Bad
        } else {
            Tone::Done
        };
        let mut detail = format!("phase {}: {}", phase.phase, dur(phase.duration_ms));
        if let Some(b) = phase.budget_ms {
            detail.push_str(&format!(", over its {} budget", dur(b)));
        }
        if phase.finished_at.is_none() {
            detail.push_str(", did not finish");
        }
        let word = if plan.is_some() { "actual" } else { "phase" };
        let mut lanes: Vec<Lane> = planned.map(planned_lane).into_iter().collect();
        lanes.push(Lane {
            label: if several {
                format!("{} ({word}, attempt {})", phase.phase, phase.segment)
            } else {
                format!("{} ({word})", phase.phase)
            },
            start: phase.started_at,
            end: phase.ended_at,
            tone,
            is_phase: true,
            detail,
        });
        for span in &phase.spans {
            let tone = match span.result {
                SpanResult::Done => Tone::Done,
                SpanResult::Failed | SpanResult::NoGo | SpanResult::Alert => Tone::Bad,
                SpanResult::Interrupted => Tone::Open,
            };
            let word = match span.result {
                SpanResult::Done => "done",
                SpanResult::Failed => "failed",
                SpanResult::NoGo => "no-go",
                SpanResult::Alert => "alert",
                SpanResult::Interrupted => "interrupted",
            };
            lanes.push(Lane {
                label: span.step.clone(),
                start: span.started_at,
                end: span.ended_at,
                tone,
                is_phase: false,
                detail: format!(
                    "{} {}: {word}, {}",
                    span.kind.as_str(),
                    span.step,
                    dur(
                        u64::try_from((span.ended_at - span.started_at).num_milliseconds())
                            .unwrap_or(0)
                    )
                ),
            });
        }
        sections.push(Section { title, lanes });
    }
    for p in plan.iter().flat_map(|p| &p.phases) {
        if p.progress == PhaseProgress::NotStarted && !drawn.contains(&p.phase.as_str()) {
            drawn.push(&p.phase);
            sections.push(Section {
                title: format!("{} (not started)", p.phase),
                lanes: vec![planned_lane(p)],
            });
        }
    }
    for (n, rollback) in report.rollbacks.iter().enumerate() {
        let end = rollback
            .results
            .last()
            .map_or(rollback.started_at, |r| r.at);
        let mut lanes = vec![Lane {
            label: "rollback".to_owned(),
            start: rollback.started_at,
            end,
            tone: if rollback.complete {
                Tone::Done
            } else {
                Tone::Bad
            },
            is_phase: true,
            detail: format!(
                "rollback of {} step(s){}",
                rollback.planned.len(),
                if rollback.complete {
                    ""
                } else {
                    ", not complete"
                }
            ),
        }];
        let mut from = rollback.started_at;
        for r in &rollback.results {
            lanes.push(Lane {
                label: format!("undo {}", r.step),
                start: from,
                end: r.at,
                tone: if r.ok { Tone::Done } else { Tone::Bad },
                is_phase: false,
                detail: format!(
                    "rollback of {}: {}",
                    r.step,
                    match (&r.left_applied, r.ok) {
                        (_, true) => "ok",
                        (Some(_), false) => "left applied",
                        (None, false) => "failed",
                    }
                ),
            });
            from = r.at;
        }
        sections.push(Section {
            title: if report.rollbacks.len() > 1 {
                format!("rollback {}", n + 1)
            } else {
                "rollback".to_owned()
            },
            lanes,
        });
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(dur(0), "0s");
        assert_eq!(dur(250), "250ms");
        assert_eq!(dur(2940), "2.9s");
        assert_eq!(dur(18_000), "18s");
        assert_eq!(dur(64_300), "1m4s");
        assert_eq!(dur(3_600_000), "1h");
        assert_eq!(signed_dur(-4000), "-4s");
        assert_eq!(signed_dur(29_000), "+29s");
        assert_eq!(times(52_120, 21_000), "2.5×");
        assert_eq!(times(4_000, 1_000), "4×");
        assert_eq!(times(1, 0), "");
        assert!(dur(u64::MAX).ends_with('s'));
        assert!(signed_dur(i64::MIN).starts_with('-'));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(14.125), "14.125");
        assert_eq!(num(1.0 / 3.0), "0.333");
        assert_eq!(num(-2.5), "-2.5");
    }
}
