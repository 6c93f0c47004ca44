//! The report as Markdown (GitHub-flavoured), with the timeline as a Mermaid `gantt` block.
//!
//! Every piece of journal text is escaped: free text with backslashes, identifiers and SQL
//! in code spans, and pipes inside table cells.

use super::model::{
    CheckSeverity, DecisionKind, MUCH_LONGER_FACTOR, MUCH_LONGER_MIN_MS, PhaseProgress, PlanReport,
    Report, RunOutcome, Step, StepKind, StepStatus,
};
use super::text::{self, Clock, Tone, dur, num, signed_dur, times};
use std::fmt::Write;

/// Renders the whole report.
pub fn render(r: &Report) -> String {
    let clock = Clock::new(r);
    let mut out = String::new();
    let title = r
        .summary
        .title
        .as_deref()
        .or(r.summary.runbook.as_deref())
        .unwrap_or("unknown runbook");
    line(
        &mut out,
        &format!("# Post-migration report: {}", esc(title)),
    );
    out.push('\n');
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
    out
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// Free text: Markdown punctuation and HTML are escaped, line breaks become spaces.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Intraword underscores (`rolled_back`) never emphasise; only edges need it.
            '_' => {
                let inner = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                if !(inner(i.checked_sub(1)) && inner(Some(i + 1))) {
                    out.push('\\');
                }
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span that survives any backticks and pipes inside it.
pub fn code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in flat.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || flat.starts_with(' ') || flat.ends_with(' ') {
        format!("{fence} {flat} {fence}")
    } else {
        format!("{fence}{flat}{fence}")
    }
}

/// A fenced block for multi-line text (command output).
fn fenced(out: &mut String, indent: &str, content: &str) {
    let mut longest = 2;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    line(out, &format!("{indent}{fence}text"));
    for l in content.trim_end_matches('\n').lines() {
        line(out, &format!("{indent}{l}"));
    }
    line(out, &format!("{indent}{fence}"));
}

/// A table row; pipes inside cells are escaped (GFM honours `\|` even inside code spans).
fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for c in cells {
        out.push(' ');
        if c.is_empty() {
            out.push('—');
        } else {
            out.push_str(&c.replace('|', "\\|"));
        }
        out.push_str(" |");
    }
    out.push('\n');
}

fn header(out: &mut String, cells: &[&str]) {
    out.push('|');
    for c in cells {
        out.push_str(&format!(" {c} |"));
    }
    out.push('\n');
    out.push('|');
    for _ in cells {
        out.push_str("---|");
    }
    out.push('\n');
}

fn callouts(out: &mut String, r: &Report, clock: Clock) {
    let mut any = false;
    match r.summary.outcome {
        RunOutcome::Incomplete => {
            line(out, &format!("> **{}**", outcome_line(r)));
            any = true;
        }
        RunOutcome::Succeeded => {}
        _ => {
            line(out, &format!("> **Outcome: {}**", outcome_line(r)));
            any = true;
        }
    }
    if let Some(cap) = r.rehearsal_cap() {
        line(
            out,
            &format!(
                "> **Rehearsal: each monitoring phase was capped at {} (`--monitor-for`); these are not a real window's times.**",
                crate::runbook::duration::format(cap)
            ),
        );
        any = true;
    }
    for (cp, d) in r.overrides() {
        if any {
            line(out, ">");
        }
        let checks: Vec<String> = d.overrode_failed_checks.iter().map(|c| code(c)).collect();
        line(
            out,
            &format!(
                "> **⚠ OVERRIDE: {} said go at {} ({}) although critical checks had failed: {}.**",
                esc(&d.operator),
                code(&cp.step),
                clock.time(d.at),
                checks.join(", ")
            ),
        );
        if let Some(c) = &d.comment {
            line(out, &format!("> Their reason: “{}”", esc(c)));
        }
        any = true;
    }
    if any {
        out.push('\n');
    }
}

fn outcome_line(r: &Report) -> String {
    r.outcome_line_with(&code, &esc)
}

fn summary(out: &mut String, r: &Report, clock: Clock) {
    let s = &r.summary;
    let w = &s.window;
    let c = &s.counts;
    line(out, "## Summary");
    out.push('\n');
    header(out, &["", ""]);
    let runbook = match (&s.runbook, &s.title) {
        (Some(name), Some(title)) => format!("{} — {}", code(name), esc(title)),
        (Some(name), None) => code(name),
        _ => String::new(),
    };
    row(out, &["Runbook".into(), runbook]);
    row(
        out,
        &[
            "Run".into(),
            s.run_id.as_deref().map(code).unwrap_or_default(),
        ],
    );
    row(
        out,
        &[
            "Target".into(),
            s.target.as_deref().map(code).unwrap_or_default(),
        ],
    );
    let mut operator = s.operator.as_deref().map(esc).unwrap_or_default();
    for seg in r.segments.iter().skip(1) {
        operator.push_str(&format!(
            "; resumed by {} at {}",
            esc(&seg.operator),
            clock.time(seg.started_at)
        ));
    }
    row(out, &["Operator".into(), operator]);
    let outcome = format!("**{}**", outcome_line(r));
    row(out, &["Outcome".into(), outcome]);
    if let Some(start) = w.planned_start {
        row(out, &["Window, planned start".into(), clock.full(start)]);
    }
    row(
        out,
        &[
            "Window, planned end (hard end)".into(),
            w.planned_end.map(|t| clock.full(t)).unwrap_or_default(),
        ],
    );
    if let Some(finish) = w.planned_finish {
        row(
            out,
            &[
                "Planned finish (the last phase's planned end)".into(),
                clock.full(finish),
            ],
        );
    }
    let mut start = w.started_at.map(|t| clock.full(t)).unwrap_or_default();
    if let Some(d) = w.start_delay_ms {
        start.push_str(&text::start_delay(d));
    }
    row(out, &["Actual start".into(), start]);
    let mut end = w.ended_at.map(|t| clock.full(t)).unwrap_or_default();
    if let Some(m) = w.margin_ms {
        if m >= 0 {
            end.push_str(&format!(" — {} before the hard end", dur(m.unsigned_abs())));
        } else {
            end.push_str(&format!(
                " — **{} past the hard end**",
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
                "{sep} **{} behind the planned finish**",
                dur(f.unsigned_abs())
            ));
        }
    }
    if s.outcome == RunOutcome::Incomplete && w.ended_at.is_some() {
        end.push_str(" (the last journaled event: the run did not finish)");
    }
    row(out, &["Actual end".into(), end]);
    let mut duration = w.duration_ms.map(dur).unwrap_or_default();
    if let (Some(active), true) = (w.active_ms, r.segments.len() > 1) {
        duration.push_str(&format!(
            " (active {}, {} interruption(s))",
            dur(active),
            r.interruptions.len()
        ));
    }
    row(out, &["Total duration".into(), duration]);
    let mut steps = format!(
        "{} migration(s) applied, {} command(s) and manual step(s) done, {} failed, {} rolled back, {} skipped",
        c.steps_applied, c.steps_done, c.steps_failed, c.steps_rolled_back, c.steps_skipped
    );
    if c.steps_interrupted > 0 {
        steps.push_str(&format!(", **{} interrupted**", c.steps_interrupted));
    }
    row(out, &["Steps".into(), steps]);
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
        row(
            out,
            &[
                "Steps much longer than expected".into(),
                if slow.is_empty() {
                    "none".into()
                } else {
                    format!("**{}**: {}", slow.len(), slow.join(", "))
                },
            ],
        );
    }
    let mut checks = format!("{} passed, {} failed", c.checks_passed, c.checks_failed);
    if c.checks_failed > 0 {
        checks.push_str(&format!(
            " ({} critical, {} warning)",
            c.checks_failed_critical, c.checks_failed_warning
        ));
    }
    row(out, &["Checks".into(), checks]);
    row(out, &["Alerts".into(), c.alerts.to_string()]);
    row(
        out,
        &[
            "Overrides of failed critical checks".into(),
            if c.overrides > 0 {
                format!("**{}**", c.overrides)
            } else {
                "0".into()
            },
        ],
    );
    row(
        out,
        &[
            "Lock waits / lock-timeout retries".into(),
            format!("{} / {}", c.lock_waits, c.lock_retries),
        ],
    );
    row(
        out,
        &[
            "Interruptions".into(),
            if r.interruptions.is_empty() {
                "none".into()
            } else {
                r.interruptions.len().to_string()
            },
        ],
    );
    out.push('\n');
    if !r.interruptions.is_empty() {
        line(out, "### Interruptions");
        out.push('\n');
        header(
            out,
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
        );
        for i in &r.interruptions {
            let how = match (i.outcome, &i.message) {
                (RunOutcome::Incomplete, _) => "no run_finished (crash or kill)".to_owned(),
                (o, Some(m)) => format!("{}: {}", o.as_str(), esc(m)),
                (o, None) => o.as_str().to_owned(),
            };
            row(
                out,
                &[
                    i.after_segment.to_string(),
                    clock.time(i.at),
                    how,
                    code(&i.last_event),
                    i.step.as_deref().map(code).unwrap_or_default(),
                    clock.time(i.resumed_at),
                    esc(&i.resumed_by),
                    dur(i.gap_ms),
                ],
            );
        }
        out.push('\n');
    }
}

fn decisions(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Decisions");
    out.push('\n');
    if r.gates().next().is_none() {
        line(out, "No checkpoint was reached.");
        out.push('\n');
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
        line(out, &format!("### {} — {verdict}{attempt}", code(&cp.step)));
        out.push('\n');
        if let Some(at) = cp.reached_at {
            let mut reached = format!("- **Reached:** {}", clock.time(at));
            if let Some(p) = cp.projected_end {
                reached.push_str(&format!("; projected end then {}", clock.time(p)));
            }
            if let Some(h) = cp.hard_end {
                reached.push_str(&format!(" (hard end {})", clock.time(h)));
            }
            line(out, &reached);
        }
        if let Some(p) = &cp.prompt {
            line(out, &format!("- **Prompt:** {}", esc(p)));
        }
        if !cp.failed_critical.is_empty() {
            let checks: Vec<String> = cp.failed_critical.iter().map(|c| code(c)).collect();
            line(
                out,
                &format!(
                    "- **Failed critical checks at the gate:** {}",
                    checks.join(", ")
                ),
            );
        }
        if !cp.server_sessions.is_empty() {
            line(
                out,
                "- **Server at the gate** (long transactions, lock waits):",
            );
            for s in &cp.server_sessions {
                line(out, &format!("  - {}", esc(s)));
            }
        }
        for rej in &cp.rejections {
            line(
                out,
                &format!(
                    "- **Rejected** at {}: {}",
                    clock.time(rej.at),
                    esc(&rej.reason)
                ),
            );
        }
        match &cp.decision {
            None => line(
                out,
                "- **Decision:** none — the run stopped here without an answer",
            ),
            Some(d) if d.restored => {
                line(
                    out,
                    &format!(
                        "- **Decision:** {} at {} — restored: given earlier in this run and standing",
                        d.decision.as_str(),
                        clock.time(d.at)
                    ),
                );
            }
            Some(d) => {
                let waited = d
                    .waited_ms
                    .map(|w| format!(" (after {})", dur(w)))
                    .unwrap_or_default();
                let decision = if d.decision == DecisionKind::Go {
                    d.decision.as_str().to_owned()
                } else {
                    format!("**{}**", d.decision.as_str())
                };
                line(
                    out,
                    &format!(
                        "- **Decision:** {decision} by {} at {}{waited}",
                        esc(&d.operator),
                        clock.time(d.at)
                    ),
                );
            }
        }
        if let Some(d) = &cp.decision {
            if let Some(c) = &d.comment {
                line(out, &format!("- **Comment:** {}", esc(c)));
            }
            if !d.overrode_failed_checks.is_empty() {
                let checks: Vec<String> =
                    d.overrode_failed_checks.iter().map(|c| code(c)).collect();
                line(
                    out,
                    &format!(
                        "- **⚠ OVERRIDE: went ahead despite failed critical checks {}**",
                        checks.join(", ")
                    ),
                );
            }
            let questions: Vec<(&str, Option<bool>)> = if cp.questions.is_empty() {
                d.answers
                    .iter()
                    .map(|a| (a.question.as_str(), Some(a.confirmed)))
                    .collect()
            } else {
                cp.questions
                    .iter()
                    .map(|q| {
                        (
                            q.as_str(),
                            d.answers
                                .iter()
                                .find(|a| &a.question == q)
                                .map(|a| a.confirmed),
                        )
                    })
                    .collect()
            };
            if !questions.is_empty() {
                line(out, "- **Questions:**");
                for (q, answer) in questions {
                    let mark = match answer {
                        Some(true) => "[x]",
                        Some(false) => "[ ] (answered no)",
                        None => "[ ] (not answered)",
                    };
                    line(out, &format!("  - {mark} {}", esc(q)));
                }
            }
        } else if !cp.questions.is_empty() {
            line(out, "- **Questions:**");
            for q in &cp.questions {
                line(out, &format!("  - [ ] {}", esc(q)));
            }
        }
        out.push('\n');
    }
}

fn timeline(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Timeline");
    out.push('\n');
    if let Some(plan) = &r.plan {
        planned_timeline(out, r, plan, clock);
        gantt_block(out, r);
        return;
    }
    if r.phases.is_empty() {
        line(out, "No phase started.");
        out.push('\n');
        return;
    }
    let several = r.segments.len() > 1;
    let mut cols = vec!["Phase"];
    if several {
        cols.push("Attempt");
    }
    cols.extend(["Start", "End", "Duration", "Budget", "Overrun"]);
    header(out, &cols);
    for p in &r.phases {
        let mut cells = vec![code(&p.phase)];
        if several {
            cells.push(p.segment.to_string());
        }
        let end = match p.finished_at {
            Some(t) => clock.time(t),
            None => format!("{} (did not finish)", clock.time(p.ended_at)),
        };
        cells.push(clock.time(p.started_at));
        cells.push(end);
        cells.push(dur(p.duration_ms));
        cells.push(p.budget_ms.map(dur).unwrap_or_default());
        cells.push(match p.overrun_ms {
            Some(o) => format!("**{}**", signed_dur(i64::try_from(o).unwrap_or(i64::MAX))),
            None => String::new(),
        });
        row(out, &cells);
    }
    out.push('\n');
    line(
        out,
        &format!(
            "Times are actual ({}). The journal records a phase's budget only when the phase overruns it, so a budget is shown only for phases that went over.",
            clock.zone_name()
        ),
    );
    out.push('\n');
    gantt_block(out, r);
}

fn gantt_block(out: &mut String, r: &Report) {
    if let Some(g) = gantt(r) {
        line(out, "```mermaid");
        out.push_str(&g);
        line(out, "```");
        out.push('\n');
    }
}

/// Late or over budget (by a second or more) is bold: `**+4.3s**`; the rest is plain.
fn overrun(ms: Option<i64>) -> String {
    match ms {
        Some(ms) if text::notable_overrun(ms) => format!("**{}**", signed_dur(ms)),
        Some(ms) => signed_dur(ms),
        None => String::new(),
    }
}

/// One row per planned phase, planned next to actual; phase runs the plan does not name after.
fn planned_timeline(out: &mut String, r: &Report, plan: &PlanReport, clock: Clock) {
    let several = r.segments.len() > 1;
    let mut cols = vec!["Phase"];
    if several {
        cols.push("Attempts");
    }
    cols.extend([
        "Planned start",
        "Planned end",
        "Actual start",
        "Actual end",
        "vs planned end",
        "Budget",
        "Duration",
        "vs budget",
    ]);
    header(out, &cols);
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
                    format!("{} (did not finish)", clock.time(end))
                } else {
                    clock.time(end)
                });
            }
            _ => {
                cells.push("not started".into());
                cells.push(String::new());
            }
        }
        cells.push(overrun(p.end_overrun_ms));
        cells.push(dur(p.budget_ms));
        cells.push(p.duration_ms.map(dur).unwrap_or_default());
        cells.push(overrun(p.budget_overrun_ms));
        row(out, &cells);
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
            None => format!("{} (did not finish)", clock.time(p.ended_at)),
        });
        cells.push(String::new());
        cells.push(p.budget_ms.map(dur).unwrap_or_default());
        cells.push(dur(p.duration_ms));
        cells.push(
            p.overrun_ms
                .map(|o| overrun(Some(i64::try_from(o).unwrap_or(i64::MAX))))
                .unwrap_or_default(),
        );
        row(out, &cells);
    }
    out.push('\n');
    line(out, &text::plan_note(r, plan, clock));
    out.push('\n');
}

/// Mermaid task names may not hold `:` (it ends the name), `#` or `;` (they start comments
/// and entities), nor start with a keyword; anything unusual becomes `_`.
pub fn mermaid_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_control() || ":#;%<>&`\"\\{}".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name.trim().to_owned();
    if name.is_empty() {
        name = "_".into();
    }
    let first = name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    const KEYWORDS: [&str; 14] = [
        "gantt",
        "title",
        "section",
        "dateformat",
        "axisformat",
        "tickinterval",
        "excludes",
        "includes",
        "todaymarker",
        "inclusiveenddates",
        "topaxis",
        "weekday",
        "click",
        "accdescr",
    ];
    if KEYWORDS.iter().any(|k| first.starts_with(k)) {
        name = format!("step {name}");
    }
    name
}

/// The phases and steps' actual times as a Mermaid gantt chart (without the fence); with a
/// journaled plan each phase also gets its planned bar (untagged, so drawn in the default
/// colour) right above its actual one.
pub fn gantt(r: &Report) -> Option<String> {
    let sections = text::timeline(r);
    if sections.is_empty() {
        return None;
    }
    let fmt = "%Y-%m-%dT%H:%M:%S";
    let mut g = String::new();
    line(&mut g, "gantt");
    if let Some(t) = r.summary.title.as_deref().or(r.summary.runbook.as_deref()) {
        line(&mut g, &format!("    title {}", mermaid_name(t)));
    }
    line(&mut g, "    dateFormat YYYY-MM-DDTHH:mm:ss");
    line(&mut g, "    axisFormat %H:%M");
    line(&mut g, "    todayMarker off");
    let mut id = 0;
    // Each actual phase bar ends where the next begins: rounding to whole seconds must not
    // draw two phases at once.
    let actual_phase = |lane: &text::Lane| lane.is_phase && lane.tone != Tone::Planned;
    let phase_starts: Vec<Option<i64>> = sections
        .iter()
        .map(|s| {
            s.lanes
                .iter()
                .find(|l| actual_phase(l))
                .map(|l| l.start.timestamp())
        })
        .collect();
    for (k, section) in sections.into_iter().enumerate() {
        line(
            &mut g,
            &format!("    section {}", mermaid_name(&section.title)),
        );
        let next_phase = phase_starts.iter().skip(k + 1).flatten().next().copied();
        for lane in section.lanes {
            id += 1;
            // Whole seconds: a sub-second step still gets a visible one-second bar.
            let start = lane.start.format(fmt).to_string();
            let start_s = lane.start.timestamp();
            let mut end_s = lane.end.timestamp();
            if lane.end.timestamp_subsec_millis() > 0 {
                end_s += 1;
            }
            let mut end_s = end_s.max(start_s + 1);
            let mut milestone = false;
            if actual_phase(&lane)
                && let Some(next) = next_phase
                && next < end_s
            {
                // Over within the second the next phase began: a point, not a bar.
                milestone = next <= start_s;
                end_s = next.max(start_s);
            }
            let end = if milestone {
                "0s".to_owned()
            } else {
                chrono::DateTime::from_timestamp(end_s, 0)
                    .unwrap_or(lane.end)
                    .format(fmt)
                    .to_string()
            };
            let tag = match (milestone, lane.tone) {
                (true, _) => "milestone, ",
                (_, Tone::Bad) => "crit, ",
                (_, Tone::Open) => "active, ",
                (_, Tone::Done) => "done, ",
                (_, Tone::Planned) => "",
            };
            line(
                &mut g,
                &format!(
                    "    {} :{tag}t{id}, {start}, {end}",
                    mermaid_name(&lane.label)
                ),
            );
        }
    }
    Some(g)
}

fn shown_in_steps(s: &Step) -> bool {
    matches!(
        s.kind,
        StepKind::Migrate | StepKind::Command | StepKind::Manual | StepKind::Unknown
    )
}

fn steps(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Steps");
    out.push('\n');
    let shown: Vec<&Step> = r.steps.iter().filter(|s| shown_in_steps(s)).collect();
    if shown.is_empty() {
        line(out, "No migration, command or manual step ran.");
        out.push('\n');
        return;
    }
    let planned = r.plan.is_some();
    let mut cols = vec!["Step", "Kind", "Phase", "Status", "Started", "Duration"];
    if planned {
        cols.extend(["Expected", "Elapsed"]);
    }
    cols.extend(["Attempts", "Lock retries", "Rows", "Transaction"]);
    header(out, &cols);
    for s in &shown {
        let status = match s.status {
            StepStatus::Failed
            | StepStatus::Interrupted
            | StepStatus::RollbackFailed
            | StepStatus::NoGo => format!("**{}**", text::status_word(s.status)),
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
                            "**{} ({} expected)**",
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
        row(out, &cells);
    }
    out.push('\n');
    if planned {
        line(
            out,
            &format!(
                "Expected: the runbook's expected duration, as planned. Elapsed: wall time from the step's start to its end, every attempt, lock wait and retry included; **bold** when at least {MUCH_LONGER_FACTOR}× the expected time and {} over it.",
                dur(MUCH_LONGER_MIN_MS)
            ),
        );
        out.push('\n');
    }
    for s in &shown {
        step_details(out, s, clock);
    }
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
    line(out, &format!("### {}", code(&s.id)));
    out.push('\n');
    if let Some(p) = &s.prompt {
        line(out, &format!("- Prompt: {}", esc(p)));
    }
    if let Some(who) = &s.acknowledged_by {
        line(
            out,
            &format!(
                "- Acknowledged by {}{}",
                esc(who),
                s.finished_at
                    .map(|t| format!(" at {}", clock.time(t)))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(note) = &s.note {
        line(out, &format!("- Their note: “{}”", esc(note)));
    }
    if let Some(reason) = s.skip_news() {
        line(
            out,
            &format!("- {}: {}", text::skipped_word(s), esc(reason)),
        );
    }
    if s.uncertain {
        line(
            out,
            "- **Uncertain:** a crash interrupted it between its statements; the operator resolved it on resume",
        );
    }
    for w in &s.lock_waits {
        for b in &w.blockers {
            line(
                out,
                &format!(
                    "- **Lock wait** at {} ({} into the statement): blocked by pid {} ({}, {}, transaction open {}s): {}",
                    clock.time(w.at),
                    dur(w.waited_ms),
                    b.pid,
                    code(&b.application_name),
                    esc(&b.state),
                    num(b.xact_age_s),
                    code(&b.query)
                ),
            );
        }
    }
    for i in &s.invalid_indexes {
        let what = match &i.error {
            None => "dropped (`DROP INDEX CONCURRENTLY`) before the next attempt".to_owned(),
            Some(e) => format!(
                "**could not be dropped**: {} — still there",
                esc(&text::error_head(e))
            ),
        };
        line(
            out,
            &format!(
                "- **INVALID index** {} left by a failed concurrent build, at {}: {what}",
                code(&i.index),
                clock.time(i.at)
            ),
        );
    }
    for retry in &s.retries {
        line(
            out,
            &format!(
                "- Retry at {}: attempt {} after {} — {}",
                clock.time(retry.at),
                retry.attempt,
                dur(retry.delay_ms),
                esc(&retry.reason)
            ),
        );
    }
    for n in &s.notices {
        line(
            out,
            &format!(
                "- {} at {}: {}",
                esc(&n.severity),
                clock.time(n.at),
                esc(&n.message)
            ),
        );
    }
    for e in &s.errors {
        line(
            out,
            &format!(
                "- **Error** (attempt {}) at {}: {}",
                e.attempt,
                clock.time(e.at),
                esc(&text::error_head(&e.error))
            ),
        );
        if let Some(d) = &e.error.detail {
            line(out, &format!("  - Detail: {}", esc(d)));
        }
        if let Some(h) = &e.error.hint {
            line(out, &format!("  - Hint: {}", esc(h)));
        }
        if let Some(at) = text::error_location(&e.error) {
            line(out, &format!("  - At: {}", code(&at)));
        }
    }
    if let Some(c) = &s.command {
        line(
            out,
            &format!(
                "- Exit status: {}",
                c.exit_code
                    .map_or("none (killed or timed out)".to_owned(), |x| x.to_string())
            ),
        );
        if !c.stdout_tail.trim().is_empty() {
            line(out, "- Output (tail):");
            out.push('\n');
            fenced(out, "  ", &c.stdout_tail);
        }
        if !c.stderr_tail.trim().is_empty() {
            line(out, "- Errors (tail):");
            out.push('\n');
            fenced(out, "  ", &c.stderr_tail);
        }
    }
    out.push('\n');
}

fn verification(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Verification");
    out.push('\n');
    if r.checks.is_empty() {
        line(out, "No check ran.");
        out.push('\n');
        return;
    }
    let several = r.segments.len() > 1;
    let mut cols = vec!["Check"];
    if several {
        cols.push("Attempt");
    }
    cols.extend(["Expected", "Actual", "Result", "Severity", "At", "Took"]);
    header(out, &cols);
    for (c, title) in r.checks_in_runbook_order() {
        let mut cells = vec![match title {
            Some(t) => format!("{} — {}", code(&c.step), esc(t)),
            None => code(&c.step),
        }];
        if several {
            cells.push(c.segment.to_string());
        }
        cells.push(code(&c.expected));
        cells.push(code(&c.actual));
        cells.push(match (c.passed, c.severity) {
            (true, _) => "pass".to_owned(),
            (false, CheckSeverity::Critical) => "**FAIL**".to_owned(),
            (false, CheckSeverity::Warning) => "**FAIL** (warning)".to_owned(),
        });
        cells.push(c.severity.as_str().to_owned());
        cells.push(clock.time(c.at));
        cells.push(dur(c.duration_ms));
        row(out, &cells);
    }
    out.push('\n');
    let mut kept = r.checks_kept().peekable();
    if kept.peek().is_some() {
        for (step, why) in kept {
            line(
                out,
                &format!("- {} kept, not run again: {}", code(step), esc(why)),
            );
        }
        out.push('\n');
    }
}

/// Each check's SQL, for a reader checking what "passed" meant.
fn check_sql_appendix(out: &mut String, r: &Report) {
    let sql = r.check_sql();
    if sql.is_empty() {
        return;
    }
    line(out, "## Appendix: the checks' SQL");
    out.push('\n');
    for (step, text) in sql {
        line(out, &format!("### {}", code(step)));
        out.push('\n');
        let fence = if text.contains("```") { "~~~~" } else { "```" };
        line(out, &format!("{fence}sql"));
        line(out, text.trim_end());
        line(out, fence);
        out.push('\n');
    }
}

fn monitoring(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Monitoring");
    out.push('\n');
    if r.probes.is_empty() {
        line(out, "No probe was sampled.");
        out.push('\n');
    } else {
        header(
            out,
            &[
                "Probe", "Samples", "Min", "Mean", "Max", "Last", "Alerts", "From", "To",
            ],
        );
        for p in &r.probes {
            row(
                out,
                &[
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
                        format!("**{}**", p.alerts)
                    } else {
                        "0".to_owned()
                    },
                    clock.time(p.first_at),
                    clock.time(p.last_at),
                ],
            );
        }
        out.push('\n');
    }
    if !r.alerts.is_empty() {
        line(out, "### Alerts");
        out.push('\n');
        header(out, &["At", "Probe", "Value", "Threshold"]);
        for a in &r.alerts {
            row(
                out,
                &[
                    clock.time(a.at),
                    code(&a.step),
                    code(&a.value),
                    code(&a.threshold),
                ],
            );
        }
        out.push('\n');
    }
}

fn stops(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Rollbacks, aborts and cancellations");
    out.push('\n');
    if r.rollbacks.is_empty() && r.aborts.is_empty() && r.cancellations.is_empty() {
        line(out, "None.");
        out.push('\n');
        return;
    }
    for rb in &r.rollbacks {
        let why = match (&rb.checkpoint, &rb.failed_step) {
            (Some(cp), _) => format!(" after the no-go at {}", code(cp)),
            (None, Some(step)) => format!(" after {} failed", code(step)),
            (None, None) => String::new(),
        };
        line(
            out,
            &format!("### Rollback at {}{why}", clock.time(rb.started_at)),
        );
        out.push('\n');
        if rb.planned.is_empty() {
            line(
                out,
                "Nothing to undo: no migration of this run was applied.",
            );
        } else {
            let planned: Vec<String> = rb.planned.iter().map(|s| code(s)).collect();
            line(out, &format!("Planned, in order: {}.", planned.join(", ")));
            out.push('\n');
            header(out, &["Step", "At", "Result", "Error"]);
            for res in &rb.results {
                let error = res
                    .error
                    .as_ref()
                    .map(|e| {
                        let mut t = esc(&text::error_head(e));
                        if let Some(d) = &e.detail {
                            t.push_str(&format!("; detail: {}", esc(d)));
                        }
                        if let Some(h) = &e.hint {
                            t.push_str(&format!("; hint: {}", esc(h)));
                        }
                        if let Some(at) = text::error_location(e) {
                            t.push_str(&format!(" at {}", code(&at)));
                        }
                        t
                    })
                    .unwrap_or_default();
                row(
                    out,
                    &[
                        code(&res.step),
                        clock.time(res.at),
                        match (&res.left_applied, res.ok) {
                            (_, true) => "undone".to_owned(),
                            (Some(_), false) => "**left applied**".to_owned(),
                            (None, false) => "**FAILED**".to_owned(),
                        },
                        res.left_applied.as_deref().map_or(error, esc),
                    ],
                );
            }
            for p in &rb.planned {
                if !rb.results.iter().any(|res| &res.step == p) {
                    row(
                        out,
                        &[
                            code(p),
                            String::new(),
                            "**not attempted**".to_owned(),
                            String::new(),
                        ],
                    );
                }
            }
        }
        out.push('\n');
        if rb.complete {
            line(out, "Every planned step was undone.");
        } else {
            line(out, &format!("**{}**", text::rollback_gap(rb)));
        }
        out.push('\n');
    }
    if !r.aborts.is_empty() {
        line(out, "### Aborts");
        out.push('\n');
        for a in &r.aborts {
            let at = a
                .checkpoint
                .as_ref()
                .map(|cp| format!(" at the no-go of {}", code(cp)))
                .unwrap_or_default();
            line(
                out,
                &format!(
                    "- {} — aborted{at}{}",
                    clock.time(a.at),
                    a.message
                        .as_ref()
                        .map(|m| format!(": {}", esc(m)))
                        .unwrap_or_default()
                ),
            );
        }
        out.push('\n');
    }
    if !r.cancellations.is_empty() {
        line(out, "### Cancellations");
        out.push('\n');
        for c in &r.cancellations {
            line(
                out,
                &format!(
                    "- {} — {}{}",
                    clock.time(c.at),
                    esc(&c.reason),
                    c.step
                        .as_ref()
                        .map(|s| format!(" (during {})", code(s)))
                        .unwrap_or_default()
                ),
            );
        }
        out.push('\n');
    }
}

fn environment(out: &mut String, r: &Report, clock: Clock) {
    line(out, "## Environment");
    out.push('\n');
    let e = &r.environment;
    header(out, &["", ""]);
    row(
        out,
        &[
            "PostgreSQL".into(),
            e.server_version.as_deref().map(esc).unwrap_or_default(),
        ],
    );
    row(
        out,
        &[
            "cutover".into(),
            e.cutover_version.as_deref().map(esc).unwrap_or_default(),
        ],
    );
    row(
        out,
        &[
            "Runbook checksum (SHA-256)".into(),
            e.runbook_checksum.as_deref().map(code).unwrap_or_default(),
        ],
    );
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
    row(out, &["Journal".into(), journal]);
    out.push('\n');
    if r.segments.len() > 1 {
        line(out, "### Attempts");
        out.push('\n');
        header(
            out,
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
        );
        for s in &r.segments {
            row(
                out,
                &[
                    format!("{}{}", s.index, if s.resumed { " (resumed)" } else { "" }),
                    clock.time(s.started_at),
                    clock.time(s.ended_at),
                    esc(&s.operator),
                    s.outcome.as_str().to_owned(),
                    s.hard_end.map(|t| clock.time(t)).unwrap_or_default(),
                    esc(&s.server_version),
                    esc(&s.cutover_version),
                ],
            );
        }
        out.push('\n');
    }
    if !r.warnings.is_empty() {
        line(out, "### Journal warnings");
        out.push('\n');
        for w in &r.warnings {
            line(out, &format!("- {}", esc(w)));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "_Built from the journal alone (report schema version {})._",
        r.schema_version
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("x | y"), "`x | y`");
        assert_eq!(code("l1\nl2"), "`l1 l2`");
    }

    #[test]
    fn free_text_is_escaped() {
        assert_eq!(esc("<script>*x*_y_"), "\\<script\\>\\*x\\*\\_y\\_");
        assert_eq!(esc("rolled_back _x"), "rolled_back \\_x");
    }

    #[test]
    fn mermaid_names_lose_colons_hashes_and_keywords() {
        assert_eq!(mermaid_name("a:b#c;d"), "a_b_c_d");
        assert_eq!(mermaid_name("section x"), "step section x");
        assert_eq!(mermaid_name("001_add"), "001_add");
    }
}
