//! Small pieces every screen element and the watcher's overlays share.

use super::*;

/// A `width` × `height` box in the middle of `area` (shrunk to fit).
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// A key and what it does, as the footer and the prompts write it.
pub(crate) fn key_hint(spans: &mut Vec<Span<'static>>, key: &str, what: &str) {
    spans.push(Span::styled(
        key.to_owned(),
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ));
    spans.push(Span::raw(format!(" {what}  ")));
}
