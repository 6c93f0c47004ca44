//! The log: the run's narration, newest last.

use super::*;

pub(super) fn draw_log(
    frame: &mut Frame,
    area: Rect,
    state: &UiState,
    view: &ViewState,
    focused: bool,
) {
    let h = area.height.saturating_sub(2) as usize;
    let total = state.log.len();
    let scroll = view.log_scroll.min(total.saturating_sub(1));
    let end = total - scroll.min(total);
    let start = end.saturating_sub(h);
    let extra = if scroll > 0 {
        format!("{total} lines · ↑{scroll} (End: follow)")
    } else {
        format!("{total} lines")
    };
    let block = panel_block(Panel::Log, extra, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines: Vec<Line> = state
        .log
        .range(start..end)
        .map(|l| {
            Line::from(vec![
                Span::styled(format!("{} ", fmt::clock(l.ts, state.zone)), dim()),
                Span::styled(
                    fmt::fit(&l.text, width.saturating_sub(9)),
                    level_style(l.level),
                ),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
