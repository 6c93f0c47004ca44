//! The timeline: phases planned against actual, and the diagram.

use super::super::doc::{Block, Section, Spans, bad, code, plain};
use super::super::model::{PhaseProgress, PlanReport, Report};
use super::super::text::{self as words, Clock, dur, signed_dur};
use super::summary::non_empty;

/// Late or over budget by a second or more is flagged; the rest is plain.
fn overrun(ms: Option<i64>) -> Spans {
    match ms {
        Some(ms) if words::notable_overrun(ms) => vec![bad(vec![plain(signed_dur(ms))])],
        Some(ms) => vec![plain(signed_dur(ms))],
        None => Vec::new(),
    }
}

/// An end time, flagged when the phase did not finish.
fn end_time(at: String, finished: bool) -> Spans {
    if finished {
        vec![plain(at)]
    } else {
        vec![
            plain(format!("{at} ")),
            bad(vec![plain("(did not finish)")]),
        ]
    }
}

fn saturating(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

pub(super) fn section(r: &Report, clock: Clock) -> Section {
    let blocks = if let Some(plan) = &r.plan {
        let mut blocks = planned(r, plan, clock);
        blocks.push(Block::Timeline);
        blocks
    } else if r.phases.is_empty() {
        return super::empty("timeline", "Timeline", "No phase started.");
    } else {
        let several = r.segments.len() > 1;
        let mut headers = vec!["Phase"];
        if several {
            headers.push("Attempt");
        }
        headers.extend(["Start", "End", "Duration", "Budget", "Overrun"]);
        let rows = r
            .phases
            .iter()
            .map(|p| {
                let mut cells = vec![vec![code(&p.phase)]];
                if several {
                    cells.push(vec![plain(p.segment.to_string())]);
                }
                cells.push(vec![plain(clock.time(p.started_at))]);
                cells.push(match p.finished_at {
                    Some(t) => end_time(clock.time(t), true),
                    None => end_time(clock.time(p.ended_at), false),
                });
                cells.push(vec![plain(dur(p.duration_ms))]);
                cells.push(non_empty(p.budget_ms.map(dur).unwrap_or_default()));
                cells.push(
                    p.overrun_ms
                        .map(|o| vec![bad(vec![plain(signed_dur(saturating(o)))])])
                        .unwrap_or_default(),
                );
                cells
            })
            .collect();
        vec![
            Block::Table { headers, rows },
            Block::Note(vec![plain(format!(
                "Times are actual ({}). The journal records a phase's budget only when the phase overruns it, so a budget is shown only for phases that went over.",
                clock.zone_name()
            ))]),
            Block::Timeline,
        ]
    };
    Section {
        id: "timeline",
        title: "Timeline",
        blocks,
    }
}

/// One row per planned phase, planned next to actual; phase runs the plan does not name after.
fn planned(r: &Report, plan: &PlanReport, clock: Clock) -> Vec<Block> {
    let several = r.segments.len() > 1;
    let mut headers = vec!["Phase"];
    if several {
        headers.push("Attempts");
    }
    headers.extend([
        "Planned start",
        "Planned end",
        "Actual start",
        "Actual end",
        "vs planned end",
        "Budget",
        "Duration",
        "vs budget",
    ]);
    let mut rows: Vec<Vec<Spans>> = Vec::new();
    for p in &plan.phases {
        let mut cells = vec![vec![code(&p.phase)]];
        if several {
            cells.push(vec![plain(words::segment_list(&p.segments))]);
        }
        cells.push(vec![plain(clock.time(p.planned_start))]);
        cells.push(vec![plain(clock.time(p.planned_end))]);
        match (p.actual_start, p.actual_end) {
            (Some(start), Some(end)) => {
                cells.push(vec![plain(clock.time(start))]);
                cells.push(end_time(
                    clock.time(end),
                    p.progress != PhaseProgress::Unfinished,
                ));
            }
            _ => {
                cells.push(vec![super::super::doc::Span::Muted(vec![plain(
                    "not started",
                )])]);
                cells.push(Vec::new());
            }
        }
        cells.push(overrun(p.end_overrun_ms));
        cells.push(vec![plain(dur(p.budget_ms))]);
        cells.push(non_empty(p.duration_ms.map(dur).unwrap_or_default()));
        cells.push(overrun(p.budget_overrun_ms));
        rows.push(cells);
    }
    for p in r
        .phases
        .iter()
        .filter(|p| r.planned_phase(&p.phase).is_none())
    {
        let mut cells = vec![vec![code(&p.phase), plain(" (not in the plan)")]];
        if several {
            cells.push(vec![plain(p.segment.to_string())]);
        }
        cells.extend([
            Vec::new(),
            Vec::new(),
            vec![plain(clock.time(p.started_at))],
        ]);
        cells.push(match p.finished_at {
            Some(t) => end_time(clock.time(t), true),
            None => end_time(clock.time(p.ended_at), false),
        });
        cells.push(Vec::new());
        cells.push(non_empty(p.budget_ms.map(dur).unwrap_or_default()));
        cells.push(vec![plain(dur(p.duration_ms))]);
        cells.push(
            p.overrun_ms
                .map(|o| overrun(Some(saturating(o))))
                .unwrap_or_default(),
        );
        rows.push(cells);
    }
    vec![
        Block::Table { headers, rows },
        Block::Note(vec![plain(words::plan_note(r, plan, clock))]),
    ]
}
