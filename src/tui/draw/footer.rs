//! The footer: the keys that work now, the least important giving way on a narrow screen.

use super::*;

pub(super) fn key_hint(spans: &mut Vec<Span<'static>>, key: &str, what: &str) {
    spans.push(Span::styled(
        key.to_owned(),
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ));
    spans.push(Span::raw(format!(" {what}  ")));
}

/// A key in the footer: `rank` 0 is always shown; the higher, the sooner it gives way
/// (first to its short label, then altogether).
pub(super) struct Hint {
    key: &'static str,
    long: &'static str,
    short: &'static str,
    rank: u8,
}

pub(super) fn hint(key: &'static str, long: &'static str, short: &'static str, rank: u8) -> Hint {
    Hint {
        key,
        long,
        short,
        rank,
    }
}

/// The hints that fit after `prefix`, in their order, the least important giving way.
pub(super) fn hints_line(
    mut spans: Vec<Span<'static>>,
    hints: &[Hint],
    width: usize,
) -> Line<'static> {
    let prefix: usize = spans.iter().map(Span::width).sum();
    let hint_w = |h: &Hint, short: bool| {
        Span::raw(h.key).width() + 1 + (if short { h.short } else { h.long }).chars().count()
    };
    let total = |shown: &[bool], short: &[bool]| -> usize {
        let n = shown.iter().filter(|s| **s).count();
        prefix
            + hints
                .iter()
                .enumerate()
                .filter(|(i, _)| shown[*i])
                .map(|(i, h)| hint_w(h, short[i]))
                .sum::<usize>()
            + 2 * n.saturating_sub(1)
    };
    let mut shown = vec![true; hints.len()];
    let mut short = vec![false; hints.len()];
    // Giving way, most expendable first: a hint's short label, then the hint itself,
    // before anything more important shortens; among equals, the later one first.
    let mut gives: Vec<(u16, usize, bool)> = Vec::new();
    for (i, h) in hints.iter().enumerate() {
        if h.short != h.long {
            gives.push((u16::from(h.rank) * 2 + 1, i, false));
        }
        if h.rank > 0 {
            gives.push((u16::from(h.rank) * 2, i, true));
        }
    }
    gives.sort_by_key(|&(key, i, _)| (std::cmp::Reverse(key), std::cmp::Reverse(i)));
    for (_, i, drop) in gives {
        if total(&shown, &short) <= width {
            break;
        }
        if drop {
            shown[i] = false;
        } else {
            short[i] = true;
        }
    }
    for (i, h) in hints.iter().enumerate() {
        if shown[i] {
            key_hint(&mut spans, h.key, if short[i] { h.short } else { h.long });
        }
    }
    if let Some(last) = spans.last_mut()
        && let Some(t) = last.content.strip_suffix("  ")
    {
        last.content = t.to_owned().into();
    }
    Line::from(spans)
}

/// A notice cut to leave room for `reserve` columns.
pub(super) fn notice_spans(notice: &str, width: usize, reserve: usize) -> Vec<Span<'static>> {
    let room = width.saturating_sub(reserve + 4).max(12);
    vec![
        Span::styled(
            format!(" {} ", fmt::fit(notice, room)),
            Style::new().fg(AMBER),
        ),
        Span::styled("│ ", dim()),
    ]
}

pub(super) fn draw_footer(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let width = area.width as usize;
    let mut spans: Vec<Span<'static>> = Vec::new();
    if let Some(confirm) = view.confirm {
        spans.push(Span::styled(
            format!(" {} ", confirm.question()),
            Style::new()
                .fg(Color::Black)
                .bg(AMBER)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw("  "));
        key_hint(&mut spans, "y", "yes");
        spans.push(Span::raw("any other key: no"));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    // Room the notice leaves for the keys that are always shown.
    const MUST: usize = 18;
    if let Some(resume) = &view.resume {
        if let Some(notice) = &view.notice {
            spans.extend(notice_spans(notice, width, MUST));
        }
        let hints = if resume.hidden {
            spans.push(Span::styled(
                " not continued yet ",
                Style::new().fg(Color::Black).bg(AMBER),
            ));
            spans.push(Span::raw(" "));
            vec![
                hint("d", "resume summary", "summary", 0),
                hint("Tab/1-6", "panel", "panel", 3),
                hint("↑↓", "move", "move", 4),
                hint("⏎", "select", "select", 3),
                hint("?", "help", "help", 0),
                hint("q", "leave", "leave", 0),
            ]
        } else {
            vec![
                hint("⏎", "continue the run", "continue", 0),
                hint("Esc", "look around first", "look around", 1),
                hint("q", "leave (nothing runs)", "leave", 0),
                hint("?", "help", "help", 0),
            ]
        };
        frame.render_widget(Paragraph::new(hints_line(spans, &hints, width)), area);
        return;
    }
    let mut hints = Vec::new();
    let waiting = state.prompt.is_some() && !view.modal_visible(state) && view.modal.is_some();
    if let Some(notice) = &view.notice {
        spans.extend(notice_spans(
            notice,
            width,
            MUST + if waiting { 26 } else { 0 },
        ));
    }
    if waiting {
        spans.push(Span::styled(
            " waiting for you ",
            Style::new().fg(Color::Black).bg(AMBER),
        ));
        spans.push(Span::raw(" "));
        hints.push(hint("d", "decide", "decide", 0));
    }
    if state.is_active() {
        // What the open prompt asks for comes first; the modal lists it too, but a small
        // modal may not show its last line.
        if view.modal_visible(state)
            && let Some(prompt) = &state.prompt
        {
            match prompt {
                Prompt::Gate {
                    failed_critical, ..
                } => {
                    if failed_critical.is_empty() {
                        hints.push(hint("g", "go", "go", 1));
                    } else {
                        hints.push(hint("O", "go overriding", "override", 1));
                    }
                    hints.push(hint("n", "no-go", "no-go", 1));
                }
                Prompt::Failure { .. } => {
                    hints.push(hint("r", "retry", "retry", 1));
                    hints.push(hint("b", "roll back", "roll back", 1));
                    hints.push(hint("a", "abort", "abort", 1));
                }
                Prompt::Manual { .. } => {
                    hints.push(hint("a", "acknowledge", "ack", 1));
                    hints.push(hint("c", "note", "note", 2));
                }
                Prompt::Uncertain { .. } => {
                    hints.push(hint("m", "mark applied", "applied", 1));
                    hints.push(hint("r", "run again", "rerun", 1));
                }
            }
            hints.push(hint("Esc", "hide", "hide", 4));
        }
        hints.push(hint("?", "help", "help", 0));
        hints.push(hint("Tab/1-6", "panel", "panel", 5));
        hints.push(hint("↑↓", "move", "move", 6));
        hints.push(hint("⏎", "select", "select", 5));
        hints.push(hint("p", "pause", "pause", 2));
        hints.push(hint("x", "cancel stmt", "cancel", 3));
        if !matches!(
            (&state.prompt, view.modal_visible(state)),
            (Some(Prompt::Failure { .. }), true)
        ) {
            hints.push(hint("A", "abort", "abort", 2));
        }
        if state.monitoring_active() {
            hints.push(hint("E", "end monitoring", "end mon.", 1));
        }
        hints.push(hint("q", "quit", "quit", 0));
    } else {
        spans.push(Span::styled(
            " run finished ",
            Style::new().fg(Color::Black).bg(Color::Gray),
        ));
        spans.push(Span::raw(" "));
        hints.push(hint("q", "quit", "quit", 0));
        hints.push(hint("Tab/1-6", "panel", "panel", 2));
        hints.push(hint("↑↓", "move", "move", 3));
        hints.push(hint("⏎", "select", "select", 2));
        hints.push(hint("?", "help", "help", 0));
    }
    frame.render_widget(Paragraph::new(hints_line(spans, &hints, width)), area);
}
