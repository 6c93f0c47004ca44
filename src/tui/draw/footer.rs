//! The footer: the keys that work now, the least important giving way on a narrow screen.

use super::*;

/// A key in the footer, from its binding: `rank` 0 is always shown; the higher, the sooner
/// it gives way (first to its short label, then altogether).
pub(crate) struct Hint {
    key: String,
    long: &'static str,
    short: &'static str,
    rank: u8,
}

impl Hint {
    fn of(binding: &Binding) -> Option<Hint> {
        binding.hint.map(|h| Hint {
            key: h.keys.map_or_else(|| binding.key_label(), str::to_owned),
            long: h.long,
            short: h.short,
            rank: h.rank,
        })
    }
}

/// The footer hints of `context` that apply now, in table order.
pub(crate) fn context_hints(
    context: Context,
    applies: impl Fn(&Binding) -> bool,
) -> impl Iterator<Item = Hint> {
    bindings::of(context)
        .filter(move |b| applies(b))
        .filter_map(Hint::of)
}

/// The hints that fit after `prefix`, in their order, the least important giving way.
pub(crate) fn hints_line(
    mut spans: Vec<Span<'static>>,
    hints: &[Hint],
    width: usize,
) -> Line<'static> {
    let prefix: usize = spans.iter().map(Span::width).sum();
    let hint_w = |h: &Hint, short: bool| {
        Span::raw(h.key.as_str()).width()
            + 1
            + (if short { h.short } else { h.long }).chars().count()
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
            key_hint(&mut spans, &h.key, if short[i] { h.short } else { h.long });
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
        for hint in context_hints(Context::Confirm, |_| true) {
            key_hint(&mut spans, &hint.key, hint.long);
        }
        spans.push(Span::raw("any other key: no"));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    // Room the notice leaves for the keys that are always shown.
    const MUST: usize = 18;
    if view.drift.is_some() {
        if let Some(notice) = &view.notice {
            spans.extend(notice_spans(notice, width, MUST));
        }
        spans.push(Span::styled(
            " not started: schema drift ",
            Style::new().fg(Color::Black).bg(AMBER),
        ));
        spans.push(Span::raw(" "));
        let hints: Vec<Hint> = context_hints(Context::Drift, |_| true).collect();
        frame.render_widget(Paragraph::new(hints_line(spans, &hints, width)), area);
        return;
    }
    if let Some(resume) = &view.resume {
        if let Some(notice) = &view.notice {
            spans.extend(notice_spans(notice, width, MUST));
        }
        let hints: Vec<Hint> = if resume.hidden {
            spans.push(Span::styled(
                " not continued yet ",
                Style::new().fg(Color::Black).bg(AMBER),
            ));
            spans.push(Span::raw(" "));
            context_hints(Context::ResumeHidden, |_| true)
                .chain(context_hints(Context::Nav, |_| true))
                .collect()
        } else {
            context_hints(Context::Resume, |_| true).collect()
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
        hints.extend(context_hints(Context::Run, |b| b.act == Act::ShowPrompt));
    }
    if !state.is_active() {
        spans.push(Span::styled(
            " run finished ",
            Style::new().fg(Color::Black).bg(Color::Gray),
        ));
        spans.push(Span::raw(" "));
    }
    // What the open prompt asks for comes first; the modal lists it too, but a small modal
    // may not show its last line.
    if state.is_active()
        && view.modal_visible(state)
        && let Some(prompt) = &state.prompt
    {
        hints.extend(context_hints(prompt_context(prompt), |b| {
            hint_applies(b, state, view)
        }));
    }
    hints.extend(context_hints(Context::Nav, |_| true));
    hints.extend(context_hints(Context::Run, |b| {
        b.act != Act::ShowPrompt && hint_applies(b, state, view)
    }));
    frame.render_widget(Paragraph::new(hints_line(spans, &hints, width)), area);
}
