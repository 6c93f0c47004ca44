//! Before a run set against a rehearsal starts: the schema differs from the one the
//! rehearsal started from. Nothing runs until the operator goes on (two keys) or leaves.

use super::*;

pub(super) fn draw_drift(frame: &mut Frame, area: Rect, drift: &[String]) {
    let width = area.width.saturating_sub(4).min(110);
    let inner_w = usize::from(width.saturating_sub(2)).max(1);
    let mut lines = vec![
        Line::styled(
            format!(
                "The schema differs from the one the rehearsal started from, in {} object(s):",
                drift.len()
            ),
            bold(),
        ),
        Line::raw(""),
    ];
    lines.extend(
        drift
            .iter()
            .map(|d| Line::styled(format!("  {d}"), Style::new().fg(AMBER))),
    );
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "What ran on the rehearsal may not be what runs here. Nothing has run yet.",
        dim(),
    ));
    lines.push(Line::raw(""));
    lines.push(prompt_keys(Context::Drift, |_| true, |_, what| what));
    let needed: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = (u16::try_from(needed).unwrap_or(u16::MAX).saturating_add(2)).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let border = Style::new().fg(AMBER);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(Line::styled(
                    " ⚠ SCHEMA DRIFT SINCE THE REHEARSAL ",
                    border.add_modifier(Modifier::BOLD),
                ))
                .border_style(border),
        ),
        rect,
    );
}
