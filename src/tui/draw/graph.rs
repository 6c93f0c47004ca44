//! The dependency graph: each step with what it waits for.

use super::*;

pub(super) fn dep_parts(state: &UiState, s: &StepUi) -> Vec<String> {
    let explicit: Vec<&str> = s
        .deps
        .iter()
        .filter(|(_, barrier)| !barrier)
        .map(|(d, _)| state.steps[*d].id.as_str())
        .collect();
    let barriers: Vec<&str> = s
        .deps
        .iter()
        .filter(|(_, barrier)| *barrier)
        .map(|(d, _)| state.steps[*d].id.as_str())
        .collect();
    let mut parts: Vec<String> = explicit.iter().map(|d| (*d).to_owned()).collect();
    match barriers.len() {
        0 => {}
        1 | 2 => parts.extend(barriers.iter().map(|b| format!("◆{b}"))),
        n => parts.push(format!("all {n} above")),
    }
    parts
}

/// ` ← a, b` in `width` cells: the parents that fit, then `+N` for the others — a diamond's
/// second parent is never cut off unseen.
pub(super) fn dep_text(parts: &[String], width: usize) -> String {
    if parts.is_empty() {
        return String::new();
    }
    let full = format!(" ← {}", parts.join(", "));
    if full.chars().count() <= width {
        return full;
    }
    for shown in (1..parts.len()).rev() {
        let text = format!(" ← {} +{}", parts[..shown].join(", "), parts.len() - shown);
        if text.chars().count() <= width {
            return text;
        }
    }
    let more = if parts.len() > 1 {
        format!(" +{}", parts.len() - 1)
    } else {
        String::new()
    };
    let room = width.saturating_sub(3 + more.chars().count());
    format!(" ← {}{more}", fmt::fit(&parts[0], room))
}

pub(super) fn draw_graph(
    frame: &mut Frame,
    area: Rect,
    state: &UiState,
    view: &ViewState,
    focused: bool,
) {
    let rows = &state.graph_rows;
    let inner_h = area.height.saturating_sub(2) as usize;
    let focus = view.focus_step(state);
    let focus_row = focus.map_or(0, |i| state.graph_row_of[i]);
    let first = focus_row
        .saturating_sub(inner_h / 2)
        .min(rows.len().saturating_sub(inner_h));
    let last = (first + inner_h).min(rows.len());
    let block = panel_block(
        Panel::Graph,
        if rows.len() > inner_h {
            format!("{}-{} of {}", first + 1, last, rows.len())
        } else {
            String::new()
        },
        focused,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines = Vec::with_capacity(inner_h);
    for row in &rows[first..last] {
        match *row {
            GraphRow::Phase(p) => {
                let ph = &state.phases[p];
                let layers = ph
                    .order
                    .iter()
                    .map(|&i| state.steps[i].depth + 1)
                    .max()
                    .unwrap_or(0);
                let settled = ph
                    .order
                    .iter()
                    .filter(|&&i| state.steps[i].status.is_settled())
                    .count();
                lines.push(Line::from(vec![
                    Span::styled(
                        fmt::fit(&format!("▌{} ", ph.id), width),
                        bold().fg(if Some(p) == state.current_phase {
                            Color::Cyan
                        } else {
                            Color::White
                        }),
                    ),
                    Span::styled(
                        format!(
                            "{}, {layers} layer{}, {settled}/{}",
                            ph.kind,
                            if layers == 1 { "" } else { "s" },
                            ph.order.len()
                        ),
                        dim(),
                    ),
                ]));
            }
            GraphRow::Step(i) => {
                let s = &state.steps[i];
                let indent = 1 + 2 * s.depth.min(8);
                let (glyph, mut style) = step_mark(s);
                if Some(i) == view.cursor {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                let kind_mark = match s.kind {
                    "checkpoint" => "◆",
                    "manual" => "✎",
                    _ => "",
                };
                let head = format!("{}{glyph} {kind_mark}{}", " ".repeat(indent), s.id);
                let head_len = head.chars().count();
                let mut spans = vec![Span::styled(fmt::fit(&head, width), style)];
                if head_len < width {
                    let deps = dep_text(&dep_parts(state, s), width - head_len);
                    if !deps.is_empty() {
                        spans.push(Span::styled(fmt::fit(&deps, width - head_len), dim()));
                    }
                }
                lines.push(Line::from(spans));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
