//! The timeline: each step planned against actual, on one axis with the window's end.

use super::*;

/// The axis unit: a round step so that labels are at least `min_cols` apart.
pub(super) fn axis_step(total_ms: u64, cols: u64, min_cols: u64) -> u64 {
    const STEPS: [u64; 15] = [
        1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
        1_800_000, 3_600_000, 7_200_000, 14_400_000, 43_200_000,
    ];
    for s in STEPS {
        let labels = total_ms / s + 1;
        if labels == 0 || cols / labels.max(1) >= min_cols {
            return s;
        }
    }
    86_400_000
}

pub(super) fn axis_label(ms: u64) -> String {
    if ms == 0 {
        "0".into()
    } else if ms.is_multiple_of(3_600_000) {
        format!("+{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("+{}m", ms / 60_000)
    } else {
        format!("+{}s", ms / 1_000)
    }
}

pub(super) fn offset_ms(start: Option<DateTime<Utc>>, t: DateTime<Utc>) -> Option<u64> {
    start.map(|s| u64::try_from((t - s).num_milliseconds()).unwrap_or(0))
}

pub(super) fn draw_timeline(
    frame: &mut Frame,
    area: Rect,
    state: &UiState,
    view: &ViewState,
    focused: bool,
) {
    let done = state.phases.iter().filter(|p| p.finished.is_some()).count();
    let block = panel_block(
        Panel::Timeline,
        format!("{done}/{} phases", state.phases.len()),
        focused,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 20 || inner.height < 2 {
        return;
    }
    // A stopped run's open phases end where the run did, not at the wall clock.
    let now = if state.is_active() {
        view.now
    } else {
        state.last_ts.unwrap_or(view.now)
    };
    let ws = state.header.window_start;
    let now_ms = if state.started {
        offset_ms(ws, now)
    } else {
        None
    };
    let budget_ms = u64::try_from(state.window_budget.as_millis()).unwrap_or(u64::MAX);
    let planned_ms = u64::try_from(state.planned_end.as_millis()).unwrap_or(u64::MAX);
    let mut total = budget_ms.max(planned_ms).max(1);
    if let Some(n) = now_ms {
        total = total.max(n);
    }
    for p in &state.phases {
        if let (Some(f), Some(_)) = (p.finished, ws) {
            total = total.max(offset_ms(ws, f).unwrap_or(0));
        }
    }
    let label_w = state
        .phases
        .iter()
        .map(|p| p.id.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 16);
    let note_w = 16usize;
    let bar_w = (inner.width as usize)
        .saturating_sub(label_w + note_w + 3)
        .max(4);
    let col = |ms: u64| -> usize {
        ((ms as u128 * bar_w as u128) / total as u128).min(bar_w as u128 - 1) as usize
    };

    let focus_phase = view
        .cursor
        .map(|i| state.steps[i].phase)
        .or(state.current_phase)
        .unwrap_or(0);
    // Phase rows: all if they fit, else a window around the active one.
    let height = inner.height as usize;
    let phase_rows = state.phases.len().min(height.saturating_sub(1).max(1));
    let first_phase = focus_phase
        .saturating_sub(phase_rows / 2)
        .min(state.phases.len().saturating_sub(phase_rows));
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    for (p, ph) in state
        .phases
        .iter()
        .enumerate()
        .skip(first_phase)
        .take(phase_rows)
    {
        let mut cells: Vec<(char, Style)> = vec![(' ', Style::new()); bar_w];
        let ps = col(u64::try_from(ph.planned_start.as_millis()).unwrap_or(0));
        let pe = col(u64::try_from(ph.planned_end.as_millis()).unwrap_or(0));
        for c in cells.iter_mut().take(pe.max(ps + 1)).skip(ps) {
            *c = ('░', dim());
        }
        let planned_end_ms = u64::try_from(ph.planned_end.as_millis()).unwrap_or(0);
        if let Some(started) = ph.started {
            let s = offset_ms(ws, started).unwrap_or(0);
            let e = ph
                .finished
                .and_then(|f| offset_ms(ws, f))
                .or(now_ms)
                .unwrap_or(s)
                .max(s);
            let style = if ph.finished.is_some() {
                Style::new().fg(Color::Green)
            } else {
                Style::new().fg(Color::Cyan)
            };
            let (cs, ce) = (col(s), col(e).max(col(s)));
            for (x, cell) in cells.iter_mut().enumerate().take(ce + 1).skip(cs) {
                let at = (x as u128 * total as u128 / bar_w as u128) as u64;
                *cell = if at >= planned_end_ms.max(s) && (ph.over_budget || e > planned_end_ms) {
                    ('▓', Style::new().fg(Color::Red))
                } else {
                    ('█', style)
                };
            }
        }
        // The hard end of the window and the now-line.
        let hard = col(budget_ms);
        if hard < bar_w && budget_ms < total {
            cells[hard] = ('┃', Style::new().fg(Color::Red));
        }
        if let Some(n) = now_ms.filter(|_| state.is_active()) {
            cells[col(n)] = ('│', Style::new().fg(AMBER).add_modifier(Modifier::BOLD));
        }
        let mut spans = vec![Span::styled(
            format!("{} ", fmt::pad(&ph.id, label_w)),
            if Some(p) == state.current_phase && state.is_active() {
                bold().fg(Color::Cyan)
            } else {
                Style::new()
            },
        )];
        push_cells(&mut spans, &cells);
        let note = match (ph.started, ph.finished) {
            (_, Some(_)) => format!(
                "{}/{}{}",
                fmt::ms(ph.duration_ms.unwrap_or(0)),
                fmt::dur(ph.budget),
                if ph.over_budget { " OVER" } else { " ✓" }
            ),
            (Some(s), None) => format!(
                "{}/{}{}",
                fmt::dur(fmt::between(s, now)),
                fmt::dur(ph.budget),
                if ph.over_budget {
                    " OVER"
                } else if state.is_active() {
                    " ▶"
                } else {
                    " ‖"
                }
            ),
            (None, None) => format!("budget {}", fmt::dur(ph.budget)),
        };
        spans.push(Span::styled(
            format!(" {note}"),
            if ph.over_budget {
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
            } else {
                dim()
            },
        ));
        lines.push(Line::from(spans));
    }
    // The axis.
    if lines.len() < height {
        let step = axis_step(total, bar_w as u64, 7);
        let mut axis = vec![' '; bar_w];
        let mut t = 0;
        while t <= total {
            let c = col(t);
            let label = axis_label(t);
            if c + label.chars().count() <= bar_w {
                for (k, ch) in label.chars().enumerate() {
                    axis[c + k] = ch;
                }
            }
            t += step;
        }
        let mut text = " ".repeat(label_w + 1);
        text.extend(axis);
        lines.push(Line::styled(text, dim()));
    }
    // The active phase's steps: duration against expected.
    let rest = height.saturating_sub(lines.len() + 1);
    if rest > 0
        && let Some(ph) = state.phases.get(focus_phase)
    {
        let finished = ph
            .order
            .iter()
            .filter(|&&i| state.steps[i].status.is_settled())
            .count();
        lines.push(Line::styled(
            format!(
                "── {} ({}): {finished}/{} steps settled ──",
                ph.id,
                ph.kind,
                ph.order.len()
            ),
            dim(),
        ));
        let focus = view.focus_step(state);
        let at = focus
            .and_then(|f| ph.order.iter().position(|&i| i == f))
            .unwrap_or(0);
        let first = at
            .saturating_sub(rest / 2)
            .min(ph.order.len().saturating_sub(rest));
        let id_w = ph
            .order
            .iter()
            .map(|&i| state.steps[i].id.chars().count())
            .max()
            .unwrap_or(8)
            .clamp(8, 28);
        let sbar = (inner.width as usize)
            .saturating_sub(id_w + 2 + 18)
            .clamp(4, 40);
        for &i in ph.order.iter().skip(first).take(rest) {
            let s = &state.steps[i];
            let actual = step_elapsed(s, now);
            let (glyph, style) = step_mark(s);
            let mut spans = vec![
                Span::styled(format!("{glyph} "), style),
                Span::styled(
                    format!("{} ", fmt::pad(&s.id, id_w)),
                    if Some(i) == view.cursor {
                        Style::new().add_modifier(Modifier::REVERSED)
                    } else {
                        style
                    },
                ),
            ];
            push_cells(&mut spans, &duration_bar(s.expected, actual, sbar));
            spans.push(Span::styled(
                format!(
                    " {}",
                    match (actual, s.kind) {
                        (Some(_), "backfill")
                            if s.status == StepStatus::Running
                                && let Some(b) = state.backfill(i) =>
                        {
                            backfill_short(b)
                        }
                        (Some(a), _) => against_expected(a, s.expected),
                        (None, "checkpoint") if s.expected.is_zero() => "gate".to_owned(),
                        (None, "manual") if s.expected.is_zero() => "manual".to_owned(),
                        (None, "probe") => "samples the phase".to_owned(),
                        (None, _) => format!("exp {}", fmt::dur(s.expected)),
                    }
                ),
                if actual.is_some_and(|a| a > s.expected && !s.expected.is_zero()) {
                    Style::new().fg(Color::Red)
                } else {
                    dim()
                },
            ));
            lines.push(Line::from(spans));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// How long a step took, or has been running.
pub(super) fn step_elapsed(s: &StepUi, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(ms) = s.duration_ms {
        return Some(Duration::from_millis(ms));
    }
    match s.status {
        StepStatus::Running | StepStatus::Waiting => s.started.map(|t| fmt::between(t, now)),
        _ => match (s.started, s.finished) {
            (Some(a), Some(b)) => Some(fmt::between(a, b)),
            _ => None,
        },
    }
}

/// A bar of `width` cells: expected duration marked, actual filled, overrun red.
pub(super) fn duration_bar(
    expected: Duration,
    actual: Option<Duration>,
    width: usize,
) -> Vec<(char, Style)> {
    if expected.is_zero() {
        return vec![(' ', Style::new()); width];
    }
    let exp = expected.as_millis().max(1);
    let act = actual.map_or(0, |a| a.as_millis());
    let scale = (exp * 3 / 2).max(act).max(1);
    let to_col = |ms: u128| ((ms * width as u128) / scale).min(width as u128) as usize;
    let exp_col = to_col(exp).min(width.saturating_sub(1));
    let fill = to_col(act);
    let mut cells = vec![('·', dim()); width];
    for (x, c) in cells.iter_mut().enumerate() {
        if x < fill {
            *c = if x >= exp_col && !expected.is_zero() {
                ('▓', Style::new().fg(Color::Red))
            } else {
                ('█', Style::new().fg(Color::Green))
            };
        }
    }
    if fill <= exp_col && !expected.is_zero() {
        cells[exp_col] = ('┊', Style::new().fg(Color::Gray));
    }
    cells
}

/// Appends cells as spans, merging runs of the same style.
pub(super) fn push_cells(spans: &mut Vec<Span<'static>>, cells: &[(char, Style)]) {
    let mut run = String::new();
    let mut style = None;
    for &(ch, st) in cells {
        if style != Some(st) {
            if let Some(s) = style {
                spans.push(Span::styled(std::mem::take(&mut run), s));
            }
            style = Some(st);
        }
        run.push(ch);
    }
    if let Some(s) = style {
        spans.push(Span::styled(run, s));
    }
}
