//! The summary: the run at a glance, and its interruptions.

use super::super::doc::{Block, Section, Spans, code, plain, strong, text};
use super::super::model::{Report, RunOutcome};
use super::super::text::{self, Clock, dur};
use super::bad_if;

pub(super) fn section(r: &Report, clock: Clock) -> Section {
    let s = &r.summary;
    let w = &s.window;
    let c = &s.counts;
    let runbook = match (&s.runbook, &s.title) {
        (Some(name), Some(title)) => vec![code(name), plain(" — "), text(title)],
        (Some(name), None) => vec![code(name)],
        _ => Vec::new(),
    };
    let mut operator: Spans = s.operator.iter().map(text).collect();
    for seg in r.segments.iter().skip(1) {
        operator.extend([
            plain("; resumed by "),
            text(&seg.operator),
            plain(format!(" at {}", clock.time(seg.started_at))),
        ]);
    }
    let outcome = if s.outcome == RunOutcome::Succeeded {
        vec![strong(r.outcome_spans())]
    } else {
        vec![super::super::doc::bad(r.outcome_spans())]
    };
    let mut rows: Vec<(&'static str, Spans)> = vec![
        ("Runbook", runbook),
        ("Run", s.run_id.iter().map(code).collect()),
        ("Target", s.target.iter().map(code).collect()),
        ("Operator", operator),
        ("Outcome", outcome),
    ];
    if let Some(start) = w.planned_start {
        rows.push(("Window, planned start", vec![plain(clock.full(start))]));
    }
    rows.push((
        "Window, planned end (hard end)",
        w.planned_end
            .map(|t| vec![plain(clock.full(t))])
            .unwrap_or_default(),
    ));
    if let Some(finish) = w.planned_finish {
        rows.push((
            "Planned finish (the last phase's planned end)",
            vec![plain(clock.full(finish))],
        ));
    }
    let mut start = w.started_at.map(|t| clock.full(t)).unwrap_or_default();
    if let Some(d) = w.start_delay_ms {
        start.push_str(&text::start_delay(d));
    }
    rows.push(("Actual start", non_empty(start)));
    let mut end: Spans = w
        .ended_at
        .map(|t| vec![plain(clock.full(t))])
        .unwrap_or_default();
    if let Some(m) = w.margin_ms {
        if m >= 0 {
            end.push(plain(format!(
                " — {} before the hard end",
                dur(m.unsigned_abs())
            )));
        } else {
            end.push(plain(" — "));
            end.extend(bad_if(
                true,
                vec![plain(format!(
                    "{} past the hard end",
                    dur(m.unsigned_abs())
                ))],
            ));
        }
    }
    if let Some(f) = w.finish_margin_ms {
        let sep = if w.margin_ms.is_some() { ";" } else { " —" };
        if f >= 0 {
            end.push(plain(format!(
                "{sep} {} ahead of the planned finish",
                dur(f.unsigned_abs())
            )));
        } else {
            end.push(plain(format!("{sep} ")));
            end.extend(bad_if(
                true,
                vec![plain(format!(
                    "{} behind the planned finish",
                    dur(f.unsigned_abs())
                ))],
            ));
        }
    }
    if s.outcome == RunOutcome::Incomplete && w.ended_at.is_some() {
        end.push(plain(" (the last journaled event: the run did not finish)"));
    }
    rows.push(("Actual end", end));
    let mut duration = w.duration_ms.map(dur).unwrap_or_default();
    if let (Some(active), true) = (w.active_ms, r.segments.len() > 1) {
        duration.push_str(&format!(
            " (active {}, {} interruption(s))",
            dur(active),
            r.interruptions.len()
        ));
    }
    rows.push(("Total duration", non_empty(duration)));
    let mut steps = vec![plain(format!(
        "{} migration(s) applied, {} command(s) and manual step(s) done, {} failed, {} rolled back, {} skipped",
        c.steps_applied, c.steps_done, c.steps_failed, c.steps_rolled_back, c.steps_skipped
    ))];
    if c.steps_interrupted > 0 {
        steps.push(plain(", "));
        steps.extend(bad_if(
            true,
            vec![plain(format!("{} interrupted", c.steps_interrupted))],
        ));
    }
    rows.push(("Steps", steps));
    if r.plan.is_some() {
        let slow: Vec<Spans> = r
            .much_longer_steps()
            .map(|p| {
                vec![
                    code(&p.step),
                    plain(format!(
                        " ({}, expected {})",
                        p.actual_ms.map(dur).unwrap_or_default(),
                        dur(p.expected_ms)
                    )),
                ]
            })
            .collect();
        let value = if slow.is_empty() {
            vec![plain("none")]
        } else {
            let mut v = bad_if(true, vec![plain(slow.len().to_string())]);
            v.push(plain(": "));
            for (i, s) in slow.into_iter().enumerate() {
                if i > 0 {
                    v.push(plain(", "));
                }
                v.extend(s);
            }
            v
        };
        rows.push(("Steps much longer than expected", value));
    }
    let mut checks = format!("{} passed, {} failed", c.checks_passed, c.checks_failed);
    if c.checks_failed > 0 {
        checks.push_str(&format!(
            " ({} critical, {} warning)",
            c.checks_failed_critical, c.checks_failed_warning
        ));
    }
    rows.push(("Checks", vec![plain(checks)]));
    rows.push(("Alerts", vec![plain(c.alerts.to_string())]));
    rows.push((
        "Overrides of failed critical checks",
        bad_if(c.overrides > 0, vec![plain(c.overrides.to_string())]),
    ));
    rows.push((
        "Lock waits / lock-timeout retries",
        vec![plain(format!("{} / {}", c.lock_waits, c.lock_retries))],
    ));
    rows.push((
        "Interruptions",
        vec![plain(if r.interruptions.is_empty() {
            "none".to_owned()
        } else {
            r.interruptions.len().to_string()
        })],
    ));
    let mut blocks = vec![Block::Pairs(rows)];
    if !r.interruptions.is_empty() {
        blocks.push(Block::Heading(vec![plain("Interruptions")]));
        blocks.push(Block::Table {
            headers: vec![
                "After attempt",
                "Stopped",
                "How",
                "Last event",
                "In step",
                "Resumed",
                "By",
                "Gap",
            ],
            rows: r
                .interruptions
                .iter()
                .map(|i| {
                    let how = match (i.outcome, &i.message) {
                        (RunOutcome::Incomplete, _) => {
                            vec![plain("no run_finished (crash or kill)")]
                        }
                        (o, Some(m)) => vec![plain(format!("{}: ", o.as_str())), text(m)],
                        (o, None) => vec![plain(o.as_str())],
                    };
                    vec![
                        vec![plain(i.after_segment.to_string())],
                        vec![plain(clock.time(i.at))],
                        how,
                        vec![code(&i.last_event)],
                        i.step.iter().map(code).collect(),
                        vec![plain(clock.time(i.resumed_at))],
                        vec![text(&i.resumed_by)],
                        vec![plain(dur(i.gap_ms))],
                    ]
                })
                .collect(),
        });
    }
    Section {
        id: "summary",
        title: "Summary",
        blocks,
    }
}

/// A value that may be missing: an empty cell rather than an empty span.
pub(super) fn non_empty(s: String) -> Spans {
    if s.is_empty() {
        Vec::new()
    } else {
        vec![plain(s)]
    }
}
