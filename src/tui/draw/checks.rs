//! The verification grid: each check's result as it comes.

use super::*;

pub(super) fn check_cell(s: &StepUi) -> (&'static str, Style) {
    match (&s.check, s.status) {
        (Some(c), _) if c.passed => ("✓", Style::new().fg(Color::Green)),
        // Its own state: it passed on the rehearsal, so what differs is production itself.
        (Some(c), _) if c.regressed_since_rehearsal() => (
            "≠",
            Style::new()
                .fg(Color::White)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
        ),
        (Some(c), _) if c.is_warning() => {
            ("!", Style::new().fg(AMBER).add_modifier(Modifier::BOLD))
        }
        (Some(_), _) => (
            "✗",
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ),
        (None, StepStatus::Running) => ("▶", Style::new().fg(Color::Cyan)),
        (None, StepStatus::Skipped) => ("↷", dim()),
        (None, _) => ("·", Style::new().fg(Color::Gray)),
    }
}

pub(super) fn draw_checks(
    frame: &mut Frame,
    area: Rect,
    state: &UiState,
    view: &ViewState,
    focused: bool,
) {
    let (pass, fail, warn, pending) = state.check_counts();
    let total = state.checks.len();
    let mut summary = format!("{pass}/{total} PASS");
    if fail > 0 {
        summary.push_str(&format!(" · {fail} FAIL"));
    }
    if warn > 0 {
        summary.push_str(&format!(" · {warn} WARN"));
    }
    if pending > 0 && pending < total {
        summary.push_str(&format!(" · {pending} to run"));
    }
    let block = panel_block(Panel::Checks, summary, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if total == 0 {
        frame.render_widget(
            Paragraph::new(Line::styled("no checks in this runbook", dim())),
            inner,
        );
        return;
    }
    // The grid, then the selected cell's verdict right under it, then the other failures'
    // got/expected (seen without selecting them).
    let width = inner.width as usize;
    let cursor = view.check_cursor.min(total - 1);
    // A run set against a rehearsal shows the rehearsal's verdict under the selected one.
    let rehearsed = state.steps[state.checks[cursor]]
        .check
        .as_ref()
        .is_some_and(|c| c.rehearsed.is_some());
    let detail_h = (4 + u16::from(rehearsed)).min(inner.height.saturating_sub(1));
    let failed = state
        .checks
        .iter()
        .enumerate()
        .filter(|&(k, &i)| k != cursor && state.steps[i].check.as_ref().is_some_and(|c| !c.passed))
        .count();
    // Rows kept for the other failures' got/expected (the selected one is in its verdict).
    let reserve = failed.min(2) as u16;
    let room = inner.height.saturating_sub(detail_h + reserve).max(1) as usize;
    let longest = state
        .checks
        .iter()
        .map(|&i| state.steps[i].id.chars().count() + 3)
        .max()
        .unwrap_or(8);
    let mut cell_w = longest.clamp(8, 22).min(width);
    // Narrower cells (names cut, full on select) rather than checks out of sight.
    while total.div_ceil((width / cell_w).max(1)) > room && cell_w > 6 {
        cell_w -= 1;
    }
    let cols = (width / cell_w).max(1);
    let cell_w = width / cols;
    let rows_total = total.div_ceil(cols);
    let grid_h = u16::try_from(rows_total)
        .unwrap_or(u16::MAX)
        .min(u16::try_from(room).unwrap_or(u16::MAX))
        .max(1);
    let [grid, detail, _] = Layout::vertical([
        Constraint::Length(grid_h),
        Constraint::Length(detail_h),
        Constraint::Min(0),
    ])
    .areas(inner);
    let visible_rows = grid.height as usize;
    let cursor_row = cursor / cols;
    let first_row = cursor_row
        .saturating_sub(visible_rows.saturating_sub(1))
        .min(rows_total.saturating_sub(visible_rows));
    let mut lines = Vec::with_capacity(visible_rows);
    for r in first_row..(first_row + visible_rows).min(rows_total) {
        let mut spans = Vec::new();
        for c in 0..cols {
            let k = r * cols + c;
            let Some(&i) = state.checks.get(k) else {
                break;
            };
            let s = &state.steps[i];
            let (glyph, mut style) = check_cell(s);
            if k == cursor {
                style = style.add_modifier(Modifier::REVERSED | Modifier::UNDERLINED);
            }
            let text = format!("{glyph} {}", fmt::fit(&s.id, cell_w.saturating_sub(3)));
            spans.push(Span::styled(text.clone(), style));
            spans.push(Span::raw(
                " ".repeat(cell_w.saturating_sub(text.chars().count())),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), grid);

    let s = &state.steps[state.checks[cursor]];
    let mut info = vec![
        Line::styled("─".repeat(inner.width as usize), dim()),
        Line::from(vec![
            Span::styled(s.id.clone(), bold()),
            Span::raw(format!(
                " ({}{})",
                match s.severity {
                    Some(Severity::Warning) => "warning",
                    _ => "critical",
                },
                s.title
                    .as_ref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default()
            )),
        ]),
    ];
    match &s.check {
        Some(c) => {
            let (verdict, style) = if c.passed {
                ("PASS", Style::new().fg(Color::Green))
            } else if c.is_warning() {
                ("WARN", Style::new().fg(AMBER).add_modifier(Modifier::BOLD))
            } else {
                (
                    "FAIL",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                )
            };
            info.push(Line::from(vec![
                Span::styled(format!("{verdict} "), style),
                Span::raw(format!("got {} · expected {}", c.actual, c.expected)),
            ]));
            if let Some((passed, actual)) = &c.rehearsed {
                info.push(Line::styled(
                    format!(
                        "{} on the rehearsal (got {actual}){}",
                        if *passed { "passed" } else { "failed" },
                        if c.regressed_since_rehearsal() {
                            ": production differs from the copy"
                        } else {
                            ""
                        }
                    ),
                    if c.regressed_since_rehearsal() {
                        Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
                    } else {
                        dim()
                    },
                ));
            }
            info.push(Line::styled(
                format!("took {}", fmt::ms(c.duration_ms)),
                dim(),
            ));
        }
        None => {
            info.push(Line::raw(format!(
                "expected {} · {}",
                s.expectation.as_deref().unwrap_or("?"),
                s.status.label()
            )));
        }
    }
    frame.render_widget(Paragraph::new(info), detail);
    // What failed, with what it got, in the rows left.
    let rest = Rect {
        y: detail.y + detail.height,
        height: (inner.y + inner.height).saturating_sub(detail.y + detail.height),
        ..inner
    };
    let failures: Vec<Line> = state
        .checks
        .iter()
        .filter(|&&i| i != state.checks[cursor])
        .filter_map(|&i| {
            let s = &state.steps[i];
            let c = s.check.as_ref().filter(|c| !c.passed)?;
            let (glyph, style) = check_cell(s);
            Some(Line::from(vec![
                Span::styled(glyph, style),
                Span::raw(fmt::fit(
                    &format!(" {}: got {}, expected {}", s.id, c.actual, c.expected),
                    width.saturating_sub(1),
                )),
            ]))
        })
        .take(rest.height as usize)
        .collect();
    if rest.height > 0 && !failures.is_empty() {
        frame.render_widget(Paragraph::new(failures), rest);
    }
}
