//! The report as one self-contained HTML page: inline CSS, the timeline as inline SVG, no
//! scripts and no external resources, so it can be attached to a ticket or mailed as is.
//! Every piece of journal text goes through [`escape`].

use super::model::{
    CheckSeverity, DecisionKind, MUCH_LONGER_FACTOR, MUCH_LONGER_MIN_MS, PhaseProgress, PlanReport,
    Report, RunOutcome, Step, StepKind, StepStatus, Timestamp,
};
use super::text::{self, Clock, Tone, dur, num, signed_dur, skipped_word, times};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", escape(text))
}

fn strong(html: &str) -> String {
    format!("<strong>{html}</strong>")
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; } h3 { margin-bottom: .4em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .92em; }
th, td { border: 1px solid #d0d0d0; padding: .25em .55em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.kv th { width: 18em; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; background: #f5f5f5; padding: 0 .2em; border-radius: 3px; word-break: break-word; }
pre { background: #f5f5f5; padding: .6em; overflow-x: auto; }
.callout { border-left: 6px solid; padding: .6em 1em; margin: 1em 0; font-weight: 600; }
.callout.bad { border-color: #c0392b; background: #fdecea; }
.callout.warn { border-color: #e0a030; background: #fff6e0; }
.fail { color: #b0281a; font-weight: 700; }
.pass { color: #2e7d4f; }
.muted { color: #666; }
svg text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; fill: #1d1d1f; }
svg text.phase { font-weight: 700; }
svg text.tick { fill: #666; }
svg line.grid { stroke: #e2e2e2; }
svg line.hardend { stroke: #c0392b; stroke-dasharray: 4 3; } svg text.hardend { fill: #c0392b; }
svg rect.done { fill: #4c9a6a; } svg rect.bad { fill: #c0392b; } svg rect.open { fill: #e0a030; }
svg rect.phase { opacity: .45; }
svg rect.planned { fill: #dde4f0; stroke: #4a5f86; stroke-width: 1; stroke-dasharray: 4 2; }
";

/// Renders the whole report as an HTML document.
pub fn render(r: &Report) -> String {
    let clock = Clock::new(r);
    let title = r
        .summary
        .title
        .as_deref()
        .or(r.summary.runbook.as_deref())
        .unwrap_or("unknown runbook");
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>Post-migration report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    ));
    out.push_str(&format!(
        "<h1>Post-migration report: {}</h1>\n",
        escape(title)
    ));
    callouts(&mut out, r, clock);
    summary(&mut out, r, clock);
    decisions(&mut out, r, clock);
    timeline(&mut out, r, clock);
    steps(&mut out, r, clock);
    verification(&mut out, r, clock);
    monitoring(&mut out, r, clock);
    stops(&mut out, r, clock);
    environment(&mut out, r, clock);
    check_sql_appendix(&mut out, r);
    out.push_str("</body>\n</html>\n");
    out
}

fn table(out: &mut String, class: Option<&str>, headers: &[&str], rows: &[Vec<String>]) {
    match class {
        Some(c) => out.push_str(&format!("<table class=\"{c}\">\n")),
        None => out.push_str("<table>\n"),
    }
    if !headers.is_empty() {
        out.push_str("<tr>");
        for h in headers {
            out.push_str(&format!("<th>{}</th>", escape(h)));
        }
        out.push_str("</tr>\n");
    }
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            if cell.is_empty() {
                out.push_str("<td class=\"muted\">—</td>");
            } else {
                out.push_str(&format!("<td>{cell}</td>"));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// A key/value table: the keys are plain text, the values HTML.
fn kv(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let v = if v.is_empty() {
            "<span class=\"muted\">—</span>".to_owned()
        } else {
            v.clone()
        };
        out.push_str(&format!("<tr><th>{}</th><td>{v}</td></tr>\n", escape(k)));
    }
    out.push_str("</table>\n");
}

fn callouts(out: &mut String, r: &Report, clock: Clock) {
    match r.summary.outcome {
        RunOutcome::Succeeded => {}
        RunOutcome::Incomplete => out.push_str(&format!(
            "<div class=\"callout bad\">{}</div>\n",
            outcome_line(r)
        )),
        _ => out.push_str(&format!(
            "<div class=\"callout bad\">Outcome: {}</div>\n",
            outcome_line(r)
        )),
    }
    if let Some(cap) = r.rehearsal_cap() {
        out.push_str(&format!(
            "<div class=\"callout warn\">Rehearsal: each monitoring phase was capped at {} (<code>--monitor-for</code>); these are not a real window's times.</div>\n",
            escape(&crate::runbook::duration::format(cap))
        ));
    }
    for (cp, d) in r.overrides() {
        let checks: Vec<String> = d.overrode_failed_checks.iter().map(|c| code(c)).collect();
        out.push_str(&format!(
            "<div class=\"callout warn\">⚠ OVERRIDE: {} said go at {} ({}) although critical checks had failed: {}.{}</div>\n",
            escape(&d.operator),
            code(&cp.step),
            clock.time(d.at),
            checks.join(", "),
            d.comment
                .as_ref()
                .map(|c| format!(" Their reason: “{}”", escape(c)))
                .unwrap_or_default()
        ));
    }
}

fn outcome_line(r: &Report) -> String {
    r.outcome_line_with(&code, &escape)
}

fn summary(out: &mut String, r: &Report, clock: Clock) {
    let s = &r.summary;
    let w = &s.window;
    let c = &s.counts;
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
    let runbook = match (&s.runbook, &s.title) {
        (Some(name), Some(title)) => format!("{} — {}", code(name), escape(title)),
        (Some(name), None) => code(name),
        _ => String::new(),
    };
    let mut operator = s.operator.as_deref().map(escape).unwrap_or_default();
    for seg in r.segments.iter().skip(1) {
        operator.push_str(&format!(
            "; resumed by {} at {}",
            escape(&seg.operator),
            clock.time(seg.started_at)
        ));
    }
    let outcome = if s.outcome == RunOutcome::Succeeded {
        strong(&outcome_line(r))
    } else {
        format!("<span class=\"fail\">{}</span>", outcome_line(r))
    };
    let mut end = w.ended_at.map(|t| clock.full(t)).unwrap_or_default();
    if let Some(m) = w.margin_ms {
        if m >= 0 {
            end.push_str(&format!(" — {} before the hard end", dur(m.unsigned_abs())));
        } else {
            end.push_str(&format!(
                " — <span class=\"fail\">{} past the hard end</span>",
                dur(m.unsigned_abs())
            ));
        }
    }
    if let Some(f) = w.finish_margin_ms {
        let sep = if w.margin_ms.is_some() { ";" } else { " —" };
        if f >= 0 {
            end.push_str(&format!(
                "{sep} {} ahead of the planned finish",
                dur(f.unsigned_abs())
            ));
        } else {
            end.push_str(&format!(
                "{sep} <span class=\"fail\">{} behind the planned finish</span>",
                dur(f.unsigned_abs())
            ));
        }
    }
    if s.outcome == RunOutcome::Incomplete && w.ended_at.is_some() {
        end.push_str(" (the last journaled event: the run did not finish)");
    }
    let mut start = w.started_at.map(|t| clock.full(t)).unwrap_or_default();
    if let Some(d) = w.start_delay_ms {
        start.push_str(&text::start_delay(d));
    }
    let mut duration = w.duration_ms.map(dur).unwrap_or_default();
    if let (Some(active), true) = (w.active_ms, r.segments.len() > 1) {
        duration.push_str(&format!(
            " (active {}, {} interruption(s))",
            dur(active),
            r.interruptions.len()
        ));
    }
    let mut steps = format!(
        "{} migration(s) applied, {} command(s) and manual step(s) done, {} failed, {} rolled back, {} skipped",
        c.steps_applied, c.steps_done, c.steps_failed, c.steps_rolled_back, c.steps_skipped
    );
    if c.steps_interrupted > 0 {
        steps.push_str(&format!(
            ", <span class=\"fail\">{} interrupted</span>",
            c.steps_interrupted
        ));
    }
    let mut checks = format!("{} passed, {} failed", c.checks_passed, c.checks_failed);
    if c.checks_failed > 0 {
        checks.push_str(&format!(
            " ({} critical, {} warning)",
            c.checks_failed_critical, c.checks_failed_warning
        ));
    }
    let mut rows: Vec<(&str, String)> = vec![
        ("Runbook", runbook),
        ("Run", s.run_id.as_deref().map(code).unwrap_or_default()),
        ("Target", s.target.as_deref().map(code).unwrap_or_default()),
        ("Operator", operator),
        ("Outcome", outcome),
    ];
    if let Some(start) = w.planned_start {
        rows.push(("Window, planned start", clock.full(start)));
    }
    rows.push((
        "Window, planned end (hard end)",
        w.planned_end.map(|t| clock.full(t)).unwrap_or_default(),
    ));
    if let Some(finish) = w.planned_finish {
        rows.push((
            "Planned finish (the last phase's planned end)",
            clock.full(finish),
        ));
    }
    rows.extend([
        ("Actual start", start),
        ("Actual end", end),
        ("Total duration", duration),
        ("Steps", steps),
    ]);
    if r.plan.is_some() {
        let slow: Vec<String> = r
            .much_longer_steps()
            .map(|p| {
                format!(
                    "{} ({}, expected {})",
                    code(&p.step),
                    p.actual_ms.map(dur).unwrap_or_default(),
                    dur(p.expected_ms)
                )
            })
            .collect();
        rows.push((
            "Steps much longer than expected",
            if slow.is_empty() {
                "none".into()
            } else {
                format!(
                    "<span class=\"fail\">{}</span>: {}",
                    slow.len(),
                    slow.join(", ")
                )
            },
        ));
    }
    rows.extend([
        ("Checks", checks),
        ("Alerts", c.alerts.to_string()),
        (
            "Overrides of failed critical checks",
            if c.overrides > 0 {
                format!("<span class=\"fail\">{}</span>", c.overrides)
            } else {
                "0".into()
            },
        ),
        (
            "Lock waits / lock-timeout retries",
            format!("{} / {}", c.lock_waits, c.lock_retries),
        ),
        (
            "Interruptions",
            if r.interruptions.is_empty() {
                "none".into()
            } else {
                r.interruptions.len().to_string()
            },
        ),
    ]);
    kv(out, &rows);
    if !r.interruptions.is_empty() {
        out.push_str("<h3>Interruptions</h3>\n");
        let rows: Vec<Vec<String>> = r
            .interruptions
            .iter()
            .map(|i| {
                let how = match (i.outcome, &i.message) {
                    (RunOutcome::Incomplete, _) => "no run_finished (crash or kill)".to_owned(),
                    (o, Some(m)) => format!("{}: {}", o.as_str(), escape(m)),
                    (o, None) => o.as_str().to_owned(),
                };
                vec![
                    i.after_segment.to_string(),
                    clock.time(i.at),
                    how,
                    code(&i.last_event),
                    i.step.as_deref().map(code).unwrap_or_default(),
                    clock.time(i.resumed_at),
                    escape(&i.resumed_by),
                    dur(i.gap_ms),
                ]
            })
            .collect();
        table(
            out,
            None,
            &[
                "After attempt",
                "Stopped",
                "How",
                "Last event",
                "In step",
                "Resumed",
                "By",
                "Gap",
            ],
            &rows,
        );
    }
    out.push_str("</section>\n");
}

fn decisions(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"decisions\">\n<h2>Decisions</h2>\n");
    if r.gates().next().is_none() {
        out.push_str("<p>No checkpoint was reached.</p>\n</section>\n");
        return;
    }
    for cp in r.gates() {
        let verdict = cp
            .decision
            .as_ref()
            .map_or("no decision", |d| text::decision_word(d.decision));
        let attempt = if r.segments.len() > 1 {
            format!(" (attempt {})", cp.segment)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<h3>{} — {}{attempt}</h3>\n<ul>\n",
            code(&cp.step),
            escape(verdict)
        ));
        if let Some(at) = cp.reached_at {
            let mut reached = format!("<li><strong>Reached:</strong> {}", clock.time(at));
            if let Some(p) = cp.projected_end {
                reached.push_str(&format!("; projected end then {}", clock.time(p)));
            }
            if let Some(h) = cp.hard_end {
                reached.push_str(&format!(" (hard end {})", clock.time(h)));
            }
            out.push_str(&reached);
            out.push_str("</li>\n");
        }
        if let Some(p) = &cp.prompt {
            out.push_str(&format!(
                "<li><strong>Prompt:</strong> {}</li>\n",
                escape(p)
            ));
        }
        if !cp.failed_critical.is_empty() {
            let checks: Vec<String> = cp.failed_critical.iter().map(|c| code(c)).collect();
            out.push_str(&format!(
                "<li class=\"fail\">Failed critical checks at the gate: {}</li>\n",
                checks.join(", ")
            ));
        }
        for rej in &cp.rejections {
            out.push_str(&format!(
                "<li><strong>Rejected</strong> at {}: {}</li>\n",
                clock.time(rej.at),
                escape(&rej.reason)
            ));
        }
        match &cp.decision {
            None => out.push_str(
                "<li><strong>Decision:</strong> none — the run stopped here without an answer</li>\n",
            ),
            Some(d) if d.restored => out.push_str(&format!(
                "<li><strong>Decision:</strong> {} at {} — restored: given earlier in this run and standing</li>\n",
                d.decision.as_str(),
                clock.time(d.at)
            )),
            Some(d) => {
                let decision = if d.decision == DecisionKind::Go {
                    d.decision.as_str().to_owned()
                } else {
                    format!("<span class=\"fail\">{}</span>", d.decision.as_str())
                };
                out.push_str(&format!(
                    "<li><strong>Decision:</strong> {decision} by {} at {}{}</li>\n",
                    escape(&d.operator),
                    clock.time(d.at),
                    d.waited_ms
                        .map(|w| format!(" (after {})", dur(w)))
                        .unwrap_or_default()
                ));
            }
        }
        if let Some(d) = &cp.decision {
            if let Some(c) = &d.comment {
                out.push_str(&format!(
                    "<li><strong>Comment:</strong> {}</li>\n",
                    escape(c)
                ));
            }
            if !d.overrode_failed_checks.is_empty() {
                let checks: Vec<String> =
                    d.overrode_failed_checks.iter().map(|c| code(c)).collect();
                out.push_str(&format!(
                    "<li class=\"fail\">⚠ OVERRIDE: went ahead despite failed critical checks {}</li>\n",
                    checks.join(", ")
                ));
            }
        }
        let answers = cp.decision.as_ref().map(|d| d.answers.as_slice());
        let questions: Vec<(&str, Option<bool>)> = if cp.questions.is_empty() {
            answers
                .unwrap_or_default()
                .iter()
                .map(|a| (a.question.as_str(), Some(a.confirmed)))
                .collect()
        } else {
            cp.questions
                .iter()
                .map(|q| {
                    (
                        q.as_str(),
                        answers
                            .unwrap_or_default()
                            .iter()
                            .find(|a| &a.question == q)
                            .map(|a| a.confirmed),
                    )
                })
                .collect()
        };
        if !questions.is_empty() {
            out.push_str("<li><strong>Questions:</strong><ul>\n");
            for (q, a) in questions {
                let mark = match a {
                    Some(true) => "☑",
                    Some(false) => "☐ (answered no)",
                    None => "☐ (not answered)",
                };
                out.push_str(&format!("<li>{mark} {}</li>\n", escape(q)));
            }
            out.push_str("</ul></li>\n");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn timeline(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
    if let Some(plan) = &r.plan {
        planned_timeline(out, r, plan, clock);
        out.push_str(&svg(r));
        out.push_str("</section>\n");
        return;
    }
    if r.phases.is_empty() {
        out.push_str("<p>No phase started.</p>\n</section>\n");
        return;
    }
    let several = r.segments.len() > 1;
    let mut headers = vec!["Phase"];
    if several {
        headers.push("Attempt");
    }
    headers.extend(["Start", "End", "Duration", "Budget", "Overrun"]);
    let rows: Vec<Vec<String>> = r
        .phases
        .iter()
        .map(|p| {
            let mut cells = vec![code(&p.phase)];
            if several {
                cells.push(p.segment.to_string());
            }
            cells.push(clock.time(p.started_at));
            cells.push(match p.finished_at {
                Some(t) => clock.time(t),
                None => format!(
                    "{} <span class=\"fail\">(did not finish)</span>",
                    clock.time(p.ended_at)
                ),
            });
            cells.push(dur(p.duration_ms));
            cells.push(p.budget_ms.map(dur).unwrap_or_default());
            cells.push(
                p.overrun_ms
                    .map(|o| {
                        format!(
                            "<span class=\"fail\">{}</span>",
                            signed_dur(i64::try_from(o).unwrap_or(i64::MAX))
                        )
                    })
                    .unwrap_or_default(),
            );
            cells
        })
        .collect();
    table(out, None, &headers, &rows);
    out.push_str(&format!("<p class=\"muted\">Times are actual ({}). The journal records a phase's budget only when the phase overruns it, so a budget is shown only for phases that went over.</p>\n", clock.zone_name()));
    out.push_str(&svg(r));
    out.push_str("</section>\n");
}

/// Late or over budget (by a second or more) is red: `+4.3s`; the rest is plain.
fn overrun(ms: Option<i64>) -> String {
    match ms {
        Some(ms) if text::notable_overrun(ms) => {
            format!("<span class=\"fail\">{}</span>", signed_dur(ms))
        }
        Some(ms) => signed_dur(ms),
        None => String::new(),
    }
}

/// One row per planned phase, planned next to actual; phase runs the plan does not name after.
fn planned_timeline(out: &mut String, r: &Report, plan: &PlanReport, clock: Clock) {
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
    let mut rows: Vec<Vec<String>> = Vec::new();
    for p in &plan.phases {
        let mut cells = vec![code(&p.phase)];
        if several {
            cells.push(text::segment_list(&p.segments));
        }
        cells.push(clock.time(p.planned_start));
        cells.push(clock.time(p.planned_end));
        match (p.actual_start, p.actual_end) {
            (Some(start), Some(end)) => {
                cells.push(clock.time(start));
                cells.push(if p.progress == PhaseProgress::Unfinished {
                    format!(
                        "{} <span class=\"fail\">(did not finish)</span>",
                        clock.time(end)
                    )
                } else {
                    clock.time(end)
                });
            }
            _ => {
                cells.push("<span class=\"muted\">not started</span>".into());
                cells.push(String::new());
            }
        }
        cells.push(overrun(p.end_overrun_ms));
        cells.push(dur(p.budget_ms));
        cells.push(p.duration_ms.map(dur).unwrap_or_default());
        cells.push(overrun(p.budget_overrun_ms));
        rows.push(cells);
    }
    for p in r
        .phases
        .iter()
        .filter(|p| r.planned_phase(&p.phase).is_none())
    {
        let mut cells = vec![format!("{} (not in the plan)", code(&p.phase))];
        if several {
            cells.push(p.segment.to_string());
        }
        cells.extend([String::new(), String::new(), clock.time(p.started_at)]);
        cells.push(match p.finished_at {
            Some(t) => clock.time(t),
            None => format!(
                "{} <span class=\"fail\">(did not finish)</span>",
                clock.time(p.ended_at)
            ),
        });
        cells.push(String::new());
        cells.push(p.budget_ms.map(dur).unwrap_or_default());
        cells.push(dur(p.duration_ms));
        cells.push(
            p.overrun_ms
                .map(|o| overrun(Some(i64::try_from(o).unwrap_or(i64::MAX))))
                .unwrap_or_default(),
        );
        rows.push(cells);
    }
    table(out, None, &headers, &rows);
    out.push_str(&format!(
        "<p class=\"muted\">{}</p>\n",
        escape(&text::plan_note(r, plan, clock))
    ));
}

const WIDTH: f64 = 980.0;
const LABEL: f64 = 300.0;
const PLOT: f64 = WIDTH - LABEL - 24.0;
const ROW: f64 = 20.0;
const TOP: f64 = 28.0;

/// The timeline as an inline SVG gantt chart: one row per phase and per step, actual times.
pub fn svg(r: &Report) -> String {
    let sections = text::timeline(r);
    let Some(t0) = sections
        .iter()
        .flat_map(|s| s.lanes.iter().map(|l| l.start))
        .min()
    else {
        return String::new();
    };
    let mut t1 = sections
        .iter()
        .flat_map(|s| s.lanes.iter().map(|l| l.end))
        .max()
        .unwrap_or(t0);
    // Show the hard end too when it is not far past the last bar.
    if let Some(end) = r.summary.window.planned_end
        && end > t1
        && (end - t1) * 2 <= (t1 - t0)
    {
        t1 = end;
    }
    let span_ms = ((t1 - t0).num_milliseconds()).max(1000) as f64;
    let x = |t: Timestamp| LABEL + ((t - t0).num_milliseconds() as f64 / span_ms) * PLOT;
    let rows: usize = sections.iter().map(|s| s.lanes.len()).sum();
    let height = TOP + rows as f64 * ROW + (sections.len() as f64) * 6.0 + 10.0;
    let planned = r.plan.is_some();
    let clock = Clock::new(r);
    let (aria, what) = if planned {
        (
            "Timeline of phases and steps, planned against actual",
            format!("planned against actual times, {}", clock.zone_name()),
        )
    } else {
        (
            "Timeline of phases and steps",
            format!("actual times, {}", clock.zone_name()),
        )
    };
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"{aria}\" width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\">\n"
    );
    out.push_str(&format!(
        "<title>Timeline of phases and steps ({what})</title>\n"
    ));
    if planned {
        out.push_str(&format!(
            "<rect class=\"planned\" x=\"8\" y=\"{:.1}\" width=\"14\" height=\"10\" rx=\"2\"/><text x=\"26\" y=\"{:.1}\">planned</text>\n<rect class=\"done\" x=\"90\" y=\"{:.1}\" width=\"14\" height=\"10\" rx=\"2\"/><text x=\"108\" y=\"{:.1}\">actual</text>\n",
            TOP - 20.0,
            TOP - 11.0,
            TOP - 20.0,
            TOP - 11.0
        ));
    }

    // Time axis: a "nice" tick interval giving at most about eight ticks.
    let steps_s: [i64; 16] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200,
    ];
    let span_s = (span_ms / 1000.0).ceil() as i64;
    let tick = steps_s
        .iter()
        .copied()
        .find(|s| span_s / s <= 8)
        .unwrap_or(86_400);
    let fmt = if tick < 60 { "%H:%M:%S" } else { "%H:%M" };
    let mut t = (t0.timestamp() + tick - 1).div_euclid(tick) * tick;
    while t <= t1.timestamp() {
        if let Some(ts) = chrono::DateTime::from_timestamp(t, 0) {
            let px = x(ts);
            out.push_str(&format!(
                "<line class=\"grid\" x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\"/>\n",
                TOP - 6.0,
                height - 6.0
            ));
            out.push_str(&format!(
                "<text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
                TOP - 10.0,
                ts.with_timezone(&clock.zone()).format(fmt)
            ));
        }
        t += tick;
    }
    if let Some(end) = r.summary.window.planned_end
        && end >= t0
        && end <= t1
    {
        let px = x(end);
        out.push_str(&format!(
            "<line class=\"hardend\" x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\"><title>hard end {}</title></line>\n",
            TOP - 6.0,
            height - 6.0,
            escape(&clock.full(end))
        ));
        out.push_str(&format!(
            "<text class=\"hardend\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">hard end</text>\n",
            px - 3.0,
            height - 9.0
        ));
    }

    let mut y = TOP;
    for section in &sections {
        y += 6.0;
        for lane in &section.lanes {
            let class = match lane.tone {
                Tone::Done => "done",
                Tone::Bad => "bad",
                Tone::Open => "open",
                Tone::Planned => "planned",
            };
            let phase = if lane.is_phase { " phase" } else { "" };
            // A planned box is drawn in full, not faded like an actual phase bar.
            let bar_phase = if lane.tone == Tone::Planned {
                ""
            } else {
                phase
            };
            let label: String = if lane.label.chars().count() > 42 {
                let mut l: String = lane.label.chars().take(41).collect();
                l.push('…');
                l
            } else {
                lane.label.clone()
            };
            let indent = if lane.is_phase { 0.0 } else { 12.0 };
            out.push_str(&format!(
                "<text class=\"lbl{phase}\" x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
                8.0 + indent,
                y + ROW * 0.68,
                escape(&label)
            ));
            let x0 = x(lane.start);
            let w = (x(lane.end) - x0).max(2.0);
            let (bar_y, bar_h) = if lane.is_phase {
                (y + 2.0, ROW - 4.0)
            } else {
                (y + 4.0, ROW - 8.0)
            };
            out.push_str(&format!(
                "<rect class=\"{class}{bar_phase}\" x=\"{x0:.1}\" y=\"{bar_y:.1}\" width=\"{w:.1}\" height=\"{bar_h:.1}\" rx=\"2\"><title>{} — {} to {}</title></rect>\n",
                escape(&lane.detail),
                lane.start.format("%H:%M:%S"),
                lane.end.format("%H:%M:%S")
            ));
            y += ROW;
        }
    }
    out.push_str("</svg>\n");
    out
}

fn shown_in_steps(s: &Step) -> bool {
    matches!(
        s.kind,
        StepKind::Migrate | StepKind::Command | StepKind::Manual | StepKind::Unknown
    )
}

fn steps(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"steps\">\n<h2>Steps</h2>\n");
    let shown: Vec<&Step> = r.steps.iter().filter(|s| shown_in_steps(s)).collect();
    if shown.is_empty() {
        out.push_str("<p>No migration, command or manual step ran.</p>\n</section>\n");
        return;
    }
    let planned = r.plan.is_some();
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|s| {
            let status = match s.status {
                StepStatus::Failed
                | StepStatus::Interrupted
                | StepStatus::RollbackFailed
                | StepStatus::NoGo => format!(
                    "<span class=\"fail\">{}</span>",
                    text::status_word(s.status)
                ),
                other => text::status_word(other).to_owned(),
            };
            let mut cells = vec![
                code(&s.id),
                s.kind.as_str().to_owned(),
                s.phase.as_deref().map(code).unwrap_or_default(),
                status,
                s.started_at.map(|t| clock.time(t)).unwrap_or_default(),
                s.duration_ms.map(dur).unwrap_or_default(),
            ];
            if planned {
                let p = r.planned_step(&s.id);
                cells.push(p.map(|p| dur(p.expected_ms)).unwrap_or_default());
                cells.push(
                    p.and_then(|p| {
                        let actual = p.actual_ms?;
                        Some(if p.much_longer {
                            format!(
                                "<span class=\"fail\">{} ({} expected)</span>",
                                dur(actual),
                                times(actual, p.expected_ms)
                            )
                        } else {
                            dur(actual)
                        })
                    })
                    .unwrap_or_default(),
                );
            }
            cells.extend([
                if s.attempts > 0 {
                    s.attempts.to_string()
                } else {
                    String::new()
                },
                if s.retries.is_empty() {
                    String::new()
                } else {
                    s.retries.len().to_string()
                },
                s.rows.map(|n| n.to_string()).unwrap_or_default(),
                if s.attempts > 0 {
                    text::transaction(s.in_transaction, s.kind).to_owned()
                } else {
                    String::new()
                },
            ]);
            cells
        })
        .collect();
    let mut headers = vec!["Step", "Kind", "Phase", "Status", "Started", "Duration"];
    if planned {
        headers.extend(["Expected", "Elapsed"]);
    }
    headers.extend(["Attempts", "Lock retries", "Rows", "Transaction"]);
    table(out, None, &headers, &rows);
    if planned {
        out.push_str(&format!(
            "<p class=\"muted\">Expected: the runbook's expected duration, as planned. Elapsed: wall time from the step's start to its end, every attempt, lock wait and retry included; red when at least {MUCH_LONGER_FACTOR}× the expected time and {} over it.</p>\n",
            dur(MUCH_LONGER_MIN_MS)
        ));
    }
    for s in &shown {
        step_details(out, s, clock);
    }
    out.push_str("</section>\n");
}

fn step_details(out: &mut String, s: &Step, clock: Clock) {
    let has = !s.notices.is_empty()
        || !s.lock_waits.is_empty()
        || !s.invalid_indexes.is_empty()
        || !s.retries.is_empty()
        || !s.errors.is_empty()
        || s.command.is_some()
        || s.skip_news().is_some()
        || s.uncertain
        || s.acknowledged_by.is_some();
    if !has {
        return;
    }
    out.push_str(&format!("<h3>{}</h3>\n<ul>\n", code(&s.id)));
    if let Some(p) = &s.prompt {
        out.push_str(&format!("<li>Prompt: {}</li>\n", escape(p)));
    }
    if let Some(who) = &s.acknowledged_by {
        out.push_str(&format!(
            "<li>Acknowledged by {}{}</li>\n",
            escape(who),
            s.finished_at
                .map(|t| format!(" at {}", clock.time(t)))
                .unwrap_or_default()
        ));
    }
    if let Some(note) = &s.note {
        out.push_str(&format!(
            "<li>Their note: “{}”</li>
",
            escape(note)
        ));
    }
    if let Some(reason) = s.skip_news() {
        out.push_str(&format!(
            "<li>{}: {}</li>\n",
            skipped_word(s),
            escape(reason)
        ));
    }
    if s.uncertain {
        out.push_str("<li class=\"fail\">Uncertain: a crash interrupted it between its statements; the operator resolved it on resume</li>\n");
    }
    for w in &s.lock_waits {
        for b in &w.blockers {
            out.push_str(&format!(
                "<li><strong>Lock wait</strong> at {} ({} into the statement): blocked by pid {} ({}, {}, transaction open {}s): {}</li>\n",
                clock.time(w.at),
                dur(w.waited_ms),
                b.pid,
                code(&b.application_name),
                escape(&b.state),
                num(b.xact_age_s),
                code(&b.query)
            ));
        }
    }
    for i in &s.invalid_indexes {
        let what = match &i.error {
            None => {
                "dropped (<code>DROP INDEX CONCURRENTLY</code>) before the next attempt".to_owned()
            }
            Some(e) => format!(
                "<span class=\"fail\">could not be dropped</span>: {} — still there",
                escape(&text::error_head(e))
            ),
        };
        out.push_str(&format!(
            "<li><strong>INVALID index</strong> {} left by a failed concurrent build, at {}: {what}</li>\n",
            code(&i.index),
            clock.time(i.at)
        ));
    }
    for retry in &s.retries {
        out.push_str(&format!(
            "<li>Retry at {}: attempt {} after {} — {}</li>\n",
            clock.time(retry.at),
            retry.attempt,
            dur(retry.delay_ms),
            escape(&retry.reason)
        ));
    }
    for n in &s.notices {
        out.push_str(&format!(
            "<li>{} at {}: {}</li>\n",
            escape(&n.severity),
            clock.time(n.at),
            escape(&n.message)
        ));
    }
    for e in &s.errors {
        out.push_str(&format!(
            "<li><span class=\"fail\">Error</span> (attempt {}) at {}: {}<ul>\n",
            e.attempt,
            clock.time(e.at),
            escape(&text::error_head(&e.error))
        ));
        if let Some(d) = &e.error.detail {
            out.push_str(&format!("<li>Detail: {}</li>\n", escape(d)));
        }
        if let Some(h) = &e.error.hint {
            out.push_str(&format!("<li>Hint: {}</li>\n", escape(h)));
        }
        if let Some(at) = text::error_location(&e.error) {
            out.push_str(&format!("<li>At: {}</li>\n", code(&at)));
        }
        out.push_str("</ul></li>\n");
    }
    if let Some(c) = &s.command {
        out.push_str(&format!(
            "<li>Exit status: {}</li>\n",
            c.exit_code
                .map_or("none (killed or timed out)".to_owned(), |x| x.to_string())
        ));
        if !c.stdout_tail.trim().is_empty() {
            out.push_str(&format!(
                "<li>Output (tail):<pre>{}</pre></li>\n",
                escape(c.stdout_tail.trim_end())
            ));
        }
        if !c.stderr_tail.trim().is_empty() {
            out.push_str(&format!(
                "<li>Errors (tail):<pre>{}</pre></li>\n",
                escape(c.stderr_tail.trim_end())
            ));
        }
    }
    out.push_str("</ul>\n");
}

fn verification(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"verification\">\n<h2>Verification</h2>\n");
    if r.checks.is_empty() {
        out.push_str("<p>No check ran.</p>\n</section>\n");
        return;
    }
    let several = r.segments.len() > 1;
    let mut headers = vec!["Check"];
    if several {
        headers.push("Attempt");
    }
    headers.extend(["Expected", "Actual", "Result", "Severity", "At", "Took"]);
    let rows: Vec<Vec<String>> = r
        .checks_in_runbook_order()
        .into_iter()
        .map(|(c, title)| {
            let mut cells = vec![match title {
                Some(t) => format!("{} — {}", code(&c.step), escape(t)),
                None => code(&c.step),
            }];
            if several {
                cells.push(c.segment.to_string());
            }
            cells.push(code(&c.expected));
            cells.push(code(&c.actual));
            cells.push(match (c.passed, c.severity) {
                (true, _) => "<span class=\"pass\">pass</span>".to_owned(),
                (false, CheckSeverity::Critical) => "<span class=\"fail\">FAIL</span>".to_owned(),
                (false, CheckSeverity::Warning) => {
                    "<span class=\"fail\">FAIL</span> (warning)".to_owned()
                }
            });
            cells.push(c.severity.as_str().to_owned());
            cells.push(clock.time(c.at));
            cells.push(dur(c.duration_ms));
            cells
        })
        .collect();
    table(out, None, &headers, &rows);
    let kept: Vec<(&str, &str)> = r.checks_kept().collect();
    if !kept.is_empty() {
        out.push_str("<ul>\n");
        for (step, why) in kept {
            out.push_str(&format!(
                "<li>{} kept, not run again: {}</li>\n",
                code(step),
                escape(why)
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// Each check's SQL, for a reader checking what "passed" meant.
fn check_sql_appendix(out: &mut String, r: &Report) {
    let sql = r.check_sql();
    if sql.is_empty() {
        return;
    }
    out.push_str("<section id=\"check-sql\">\n<h2>Appendix: the checks' SQL</h2>\n");
    for (step, text) in sql {
        out.push_str(&format!(
            "<h3>{}</h3>\n<pre><code>{}</code></pre>\n",
            code(step),
            escape(text.trim_end())
        ));
    }
    out.push_str("</section>\n");
}

fn monitoring(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"monitoring\">\n<h2>Monitoring</h2>\n");
    if r.probes.is_empty() {
        out.push_str("<p>No probe was sampled.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .probes
            .iter()
            .map(|p| {
                vec![
                    code(&p.step),
                    if p.null_samples > 0 {
                        format!("{} ({} without a value)", p.samples, p.null_samples)
                    } else {
                        p.samples.to_string()
                    },
                    p.min.map(num).unwrap_or_default(),
                    p.mean.map(num).unwrap_or_default(),
                    p.max.map(num).unwrap_or_default(),
                    p.last.as_deref().map(code).unwrap_or_default(),
                    if p.alerts > 0 {
                        format!("<span class=\"fail\">{}</span>", p.alerts)
                    } else {
                        "0".to_owned()
                    },
                    clock.time(p.first_at),
                    clock.time(p.last_at),
                ]
            })
            .collect();
        table(
            out,
            None,
            &[
                "Probe", "Samples", "Min", "Mean", "Max", "Last", "Alerts", "From", "To",
            ],
            &rows,
        );
    }
    if !r.alerts.is_empty() {
        out.push_str("<h3>Alerts</h3>\n");
        let rows: Vec<Vec<String>> = r
            .alerts
            .iter()
            .map(|a| {
                vec![
                    clock.time(a.at),
                    code(&a.step),
                    code(&a.value),
                    code(&a.threshold),
                ]
            })
            .collect();
        table(out, None, &["At", "Probe", "Value", "Threshold"], &rows);
    }
    out.push_str("</section>\n");
}

fn stops(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"stops\">\n<h2>Rollbacks, aborts and cancellations</h2>\n");
    if r.rollbacks.is_empty() && r.aborts.is_empty() && r.cancellations.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    for rb in &r.rollbacks {
        let why = match (&rb.checkpoint, &rb.failed_step) {
            (Some(cp), _) => format!(" after the no-go at {}", code(cp)),
            (None, Some(step)) => format!(" after {} failed", code(step)),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "<h3>Rollback at {}{why}</h3>\n",
            clock.time(rb.started_at)
        ));
        if rb.planned.is_empty() {
            out.push_str("<p>Nothing to undo: no migration of this run was applied.</p>\n");
        } else {
            let planned: Vec<String> = rb.planned.iter().map(|s| code(s)).collect();
            out.push_str(&format!(
                "<p>Planned, in order: {}.</p>\n",
                planned.join(", ")
            ));
            let mut rows: Vec<Vec<String>> = rb
                .results
                .iter()
                .map(|res| {
                    let error = res
                        .error
                        .as_ref()
                        .map(|e| {
                            let mut t = escape(&text::error_head(e));
                            if let Some(d) = &e.detail {
                                t.push_str(&format!("; detail: {}", escape(d)));
                            }
                            if let Some(h) = &e.hint {
                                t.push_str(&format!("; hint: {}", escape(h)));
                            }
                            if let Some(at) = text::error_location(e) {
                                t.push_str(&format!(" at {}", code(&at)));
                            }
                            t
                        })
                        .unwrap_or_default();
                    vec![
                        code(&res.step),
                        clock.time(res.at),
                        match (&res.left_applied, res.ok) {
                            (_, true) => "undone".to_owned(),
                            (Some(_), false) => {
                                "<span class=\"fail\">left applied</span>".to_owned()
                            }
                            (None, false) => "<span class=\"fail\">FAILED</span>".to_owned(),
                        },
                        res.left_applied.as_deref().map_or(error, escape),
                    ]
                })
                .collect();
            for p in &rb.planned {
                if !rb.results.iter().any(|res| &res.step == p) {
                    rows.push(vec![
                        code(p),
                        String::new(),
                        "<span class=\"fail\">not attempted</span>".to_owned(),
                        String::new(),
                    ]);
                }
            }
            table(out, None, &["Step", "At", "Result", "Error"], &rows);
        }
        if rb.complete {
            out.push_str("<p>Every planned step was undone.</p>\n");
        } else {
            out.push_str(&format!(
                "<p class=\"fail\">{}</p>\n",
                escape(&text::rollback_gap(rb))
            ));
        }
    }
    if !r.aborts.is_empty() {
        out.push_str("<h3>Aborts</h3>\n<ul>\n");
        for a in &r.aborts {
            out.push_str(&format!(
                "<li>{} — aborted{}{}</li>\n",
                clock.time(a.at),
                a.checkpoint
                    .as_ref()
                    .map(|cp| format!(" at the no-go of {}", code(cp)))
                    .unwrap_or_default(),
                a.message
                    .as_ref()
                    .map(|m| format!(": {}", escape(m)))
                    .unwrap_or_default()
            ));
        }
        out.push_str("</ul>\n");
    }
    if !r.cancellations.is_empty() {
        out.push_str("<h3>Cancellations</h3>\n<ul>\n");
        for c in &r.cancellations {
            out.push_str(&format!(
                "<li>{} — {}{}</li>\n",
                clock.time(c.at),
                escape(&c.reason),
                c.step
                    .as_ref()
                    .map(|s| format!(" (during {})", code(s)))
                    .unwrap_or_default()
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn environment(out: &mut String, r: &Report, clock: Clock) {
    out.push_str("<section id=\"environment\">\n<h2>Environment</h2>\n");
    let e = &r.environment;
    let j = &r.journal;
    let mut journal = j.file.as_deref().map(code).unwrap_or_default();
    if !journal.is_empty() {
        journal.push_str(", ");
    }
    journal.push_str(&format!("{} entries", j.entries));
    if let (Some(a), Some(b)) = (j.first_seq, j.last_seq) {
        journal.push_str(&format!(" (seq {a}–{b})"));
    }
    if !j.unreadable_lines.is_empty() {
        let lines: Vec<String> = j.unreadable_lines.iter().map(|n| n.to_string()).collect();
        journal.push_str(&format!("; unreadable line(s): {}", lines.join(", ")));
    }
    kv(
        out,
        &[
            (
                "PostgreSQL",
                e.server_version.as_deref().map(escape).unwrap_or_default(),
            ),
            (
                "cutover",
                e.cutover_version.as_deref().map(escape).unwrap_or_default(),
            ),
            (
                "Runbook checksum (SHA-256)",
                e.runbook_checksum.as_deref().map(code).unwrap_or_default(),
            ),
            ("Journal", journal),
        ],
    );
    if r.segments.len() > 1 {
        out.push_str("<h3>Attempts</h3>\n");
        let rows: Vec<Vec<String>> = r
            .segments
            .iter()
            .map(|s| {
                vec![
                    format!("{}{}", s.index, if s.resumed { " (resumed)" } else { "" }),
                    clock.time(s.started_at),
                    clock.time(s.ended_at),
                    escape(&s.operator),
                    s.outcome.as_str().to_owned(),
                    s.hard_end.map(|t| clock.time(t)).unwrap_or_default(),
                    escape(&s.server_version),
                    escape(&s.cutover_version),
                ]
            })
            .collect();
        table(
            out,
            None,
            &[
                "#",
                "Started",
                "Ended",
                "Operator",
                "Outcome",
                "Hard end",
                "PostgreSQL",
                "cutover",
            ],
            &rows,
        );
    }
    if !r.warnings.is_empty() {
        out.push_str("<h3>Journal warnings</h3>\n<ul>\n");
        for w in &r.warnings {
            out.push_str(&format!("<li>{}</li>\n", escape(w)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&format!(
        "<p class=\"muted\">Built from the journal alone (report schema version {}).</p>\n",
        r.schema_version
    ));
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
