//! The resume screen: what the journal says happened, before the run goes on.

use super::*;

/// Step ids, comma-separated, cut to about `max` characters with how many were left out.
pub(super) fn id_list(state: &UiState, ids: &[usize], max: usize) -> String {
    let mut out = String::new();
    for (n, &i) in ids.iter().enumerate() {
        let id = state.steps.get(i).map_or("?", |s| s.id.as_str());
        let sep = if n == 0 { "" } else { ", " };
        let rest = ids.len() - n;
        if n > 0 && out.chars().count() + sep.len() + id.chars().count() + 14 > max {
            out.push_str(&format!(" … and {rest} more"));
            break;
        }
        out.push_str(sep);
        out.push_str(id);
    }
    out
}

pub(super) fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Succeeded => "SUCCEEDED",
        Outcome::Failed => "FAILED",
        Outcome::Halted => "HALTED",
        Outcome::RolledBack => "ROLLED BACK",
        Outcome::Aborted => "ABORTED",
        Outcome::Interrupted => "INTERRUPTED",
    }
}

/// `cutover run --resume`: what the journal says happened, over the replayed panels, until
/// the operator continues (Enter) or leaves (q).
pub(super) fn draw_resume(frame: &mut Frame, area: Rect, state: &UiState, r: &Restored) {
    let width = area.width.saturating_sub(4).min(110);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let label = |s: &str| Span::styled(format!("{s:<10}"), dim());
    let indent = || Span::raw(" ".repeat(10));
    let mut lines: Vec<Line<'static>> = Vec::new();

    // Where the journal is and how much of it there is.
    let mut journal = vec![label("journal")];
    let mut facts = Vec::new();
    if let Some(path) = &r.journal {
        facts.push(path.clone());
    }
    facts.push(format!("{} events", r.events));
    facts.push(format!(
        "{} attempt{}",
        r.attempts,
        if r.attempts == 1 { "" } else { "s" }
    ));
    if let (Some(a), Some(b)) = (r.first_ts, r.last_ts) {
        facts.push(format!(
            "{}–{} {}",
            fmt::clock(a, state.zone),
            fmt::clock(b, state.zone),
            fmt::zone_name(state.zone)
        ));
    }
    journal.push(Span::raw(facts.join(" · ")));
    lines.push(Line::from(journal));
    if r.unreadable > 0 {
        lines.push(Line::from(vec![
            indent(),
            Span::styled(
                format!(
                    "{} unreadable line{} (a torn last write) ignored",
                    r.unreadable,
                    if r.unreadable == 1 { "" } else { "s" }
                ),
                Style::new().fg(AMBER),
            ),
        ]));
    }
    lines.push(Line::raw(""));

    // How and where it stopped.
    let mut stopped = vec![label("stopped")];
    match &r.outcome {
        Some((outcome, message)) => {
            let style = match outcome {
                Outcome::Halted | Outcome::Interrupted => Style::new().fg(AMBER),
                Outcome::Succeeded => Style::new().fg(Color::Green),
                _ => Style::new().fg(Color::Red),
            }
            .add_modifier(Modifier::BOLD);
            let at = r
                .last_ts
                .map(|t| format!(" at {}", fmt::clock(t, state.zone)));
            if r.unfinished {
                stopped.push(Span::styled(
                    format!("NO FINISH IN THE JOURNAL{}", at.unwrap_or_default()),
                    style,
                ));
            } else {
                stopped.push(Span::styled(
                    format!("{}{}", outcome_label(*outcome), at.unwrap_or_default()),
                    style,
                ));
            }
            if let Some(m) = message {
                stopped.push(Span::raw(format!(" — {m}")));
            }
        }
        None => stopped.push(Span::raw("the journal has no run in it")),
    }
    lines.push(Line::from(stopped));
    let (where_, then): (String, Option<&str>) = match &r.stop {
        Some(stop) => match &stop.kind {
            StopKind::Running {
                statement,
                in_transaction,
            } => (
                format!(
                    "during {}{}",
                    stop.step,
                    statement
                        .map(|(n, of)| format!(" (statement {n} of {of})"))
                        .unwrap_or_default()
                ),
                Some(match in_transaction {
                    Some(true) => {
                        "its transaction was rolled back (nothing applied): it runs again"
                    }
                    Some(false) => "outside a transaction, may be half done: you will be asked",
                    None => "it runs again",
                }),
            ),
            StopKind::Gate => (
                format!("at gate {}: no decision was given", stop.step),
                Some("the gate asks again"),
            ),
            StopKind::Manual => (
                format!("at manual step {}: not acknowledged", stop.step),
                Some("it asks again"),
            ),
            StopKind::FailureDecision => (
                format!(
                    "after {} failed: no retry, roll back or abort was chosen",
                    stop.step
                ),
                Some("it runs again"),
            ),
            StopKind::Uncertain => (
                format!(
                    "at {}, left half done by an earlier crash (unresolved)",
                    stop.step
                ),
                Some("you will be asked again whether it was applied"),
            ),
            StopKind::RollingBack => (format!("rolling back ({})", stop.step), None),
        },
        None => (
            match r.next {
                Some(i) => format!(
                    "between steps; next: {}",
                    state.steps.get(i).map_or("?", |s| s.id.as_str())
                ),
                None => "with nothing left to run".to_owned(),
            },
            None,
        ),
    };
    lines.push(Line::from(vec![indent(), Span::styled(where_, bold())]));
    if let Some(then) = then {
        lines.push(Line::from(vec![indent(), Span::styled(then, dim())]));
    }
    if let Some((outcome, _)) = &r.outcome
        && matches!(
            outcome,
            Outcome::Succeeded | Outcome::RolledBack | Outcome::Aborted
        )
    {
        lines.push(Line::from(vec![
            indent(),
            Span::styled(
                format!(
                    "this run ended {}: the database will most likely refuse to resume it",
                    outcome.as_str()
                ),
                Style::new().fg(AMBER),
            ),
        ]));
    }
    lines.push(Line::raw(""));

    // What was done.
    let mut counts = vec![Span::styled(
        format!("{} done", r.done.len()),
        Style::new().fg(Color::Green),
    )];
    let mut more = |n: usize, what: &str, style: Style| {
        if n > 0 {
            counts.push(Span::raw(" · "));
            counts.push(Span::styled(format!("{n} {what}"), style));
        }
    };
    more(r.skipped.len(), "skipped", dim());
    more(r.failed.len(), "failed", Style::new().fg(Color::Red));
    more(
        r.rolled_back.len(),
        "rolled back",
        Style::new().fg(Color::Magenta),
    );
    counts.push(Span::raw(format!(" · {} to run", r.to_run)));
    let mut steps = vec![label("steps")];
    steps.extend(counts);
    lines.push(Line::from(steps));
    let list_w = inner_w.saturating_sub(10);
    if !r.done.is_empty() {
        lines.push(Line::from(vec![
            label("  done"),
            Span::raw(id_list(state, &r.done, list_w)),
        ]));
    }
    if !r.skipped.is_empty() {
        lines.push(Line::from(vec![
            label("  skipped"),
            Span::styled(id_list(state, &r.skipped, list_w), dim()),
        ]));
    }
    for &i in r.failed.iter().take(3) {
        let s = &state.steps[i];
        let why = match (&s.error, &s.check) {
            (Some(e), _) => e.to_string(),
            (None, Some(c)) => format!("got {}, expected {}", c.actual, c.expected),
            (None, None) => s.status.label().to_owned(),
        };
        lines.push(Line::from(vec![
            label("  failed"),
            Span::styled(
                fmt::fit(&format!("{}: {why}", s.id), list_w),
                Style::new().fg(Color::Red),
            ),
        ]));
    }
    if r.failed.len() > 3 {
        lines.push(Line::from(vec![
            indent(),
            Span::styled(format!("… and {} more failed", r.failed.len() - 3), dim()),
        ]));
    }
    if !r.rolled_back.is_empty() {
        lines.push(Line::from(vec![
            label("  undone"),
            Span::raw(id_list(state, &r.rolled_back, list_w)),
        ]));
    }
    lines.push(Line::raw(""));

    // The decisions already given: they stand.
    const SHOWN: usize = 6;
    if r.decisions.is_empty() {
        lines.push(Line::from(vec![
            label("decisions"),
            Span::styled("none given yet", dim()),
        ]));
    } else {
        lines.push(Line::from(vec![
            label("decisions"),
            Span::styled("given earlier in this run; they stand", dim()),
        ]));
        let skip = r.decisions.len().saturating_sub(SHOWN);
        if skip > 0 {
            lines.push(Line::from(vec![
                indent(),
                Span::styled(format!("… {skip} earlier"), dim()),
            ]));
        }
        for d in r.decisions.iter().skip(skip) {
            let style = match d.decision {
                Some(Decision::Go) => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
                Some(_) => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                None => Style::new().fg(Color::Green),
            };
            let mut row = vec![
                Span::raw("  "),
                Span::styled(format!("{:<13}", decision_word(d.decision)), style),
                Span::raw(format!(
                    "{} by {} at {}",
                    d.step,
                    if d.operator.is_empty() {
                        "?"
                    } else {
                        d.operator.as_str()
                    },
                    fmt::clock(d.ts, state.zone)
                )),
            ];
            if !d.overrode.is_empty() {
                row.push(Span::styled(
                    format!(" OVERRIDING {}", d.overrode.join(", ")),
                    Style::new().fg(Color::Red),
                ));
            }
            if let Some(c) = &d.comment {
                row.push(Span::styled(format!(" — \"{c}\""), dim()));
            }
            lines.push(Line::from(row));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Continuing reconnects and asks the database: applied steps are skipped, decisions given stand.",
        dim(),
    ));

    let needed: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = (needed as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = match &r.run_id {
        Some(id) => format!(" ↻ RESUMING RUN {id} "),
        None => " ↻ RESUMING ".to_owned(),
    };
    let keys = prompt_keys(Context::Resume, |_| true, |_, what| what);
    let border = Style::new().fg(Color::Cyan);
    let block = Block::bordered()
        .title(Line::styled(title, border.add_modifier(Modifier::BOLD)))
        .title_bottom(keys)
        .border_style(border);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
