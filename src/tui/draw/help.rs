//! The help screen.

use super::*;

pub(super) fn draw_help(frame: &mut Frame, area: Rect) {
    let rows: [(&str, &str); 23] = [
        ("Tab / Shift-Tab", "next / previous panel"),
        (
            "z",
            "zoom: the focused panel fills the screen (z again: back)",
        ),
        (
            "1-6",
            "timeline, dependencies, verification, monitoring, log, step",
        ),
        ("↑↓ j k / PgUp PgDn", "move or scroll in the panel"),
        ("Home / End", "top / follow the run again"),
        ("Enter", "show the step under the cursor"),
        ("Esc", "follow the running step; hide a prompt"),
        ("d", "show the waiting prompt (or resume summary) again"),
        ("p", "pause after the current step (resumable)"),
        (
            "x then y",
            "cancel the running statement: its step fails, then r/b/a",
        ),
        ("A then y", "abort the run"),
        ("E then y", "end the monitoring phase early"),
        ("q then y", "quit: pause, then leave (resumable)"),
        ("Ctrl-C", "cancel and leave (resumable)"),
        ("", ""),
        ("At a gate", ""),
        ("space / Enter", "tick the question under the cursor"),
        ("g then y", "go (every question ticked)"),
        ("O then y", "go overriding failed critical checks"),
        ("n then a|b, y", "no-go: abort, or roll back"),
        ("c", "type a comment for the decision"),
        (
            "Failed step",
            "r retry · b roll back · a abort (each then y)",
        ),
        (
            "Manual step",
            "a then y acknowledges; c types a note first (journaled with it)",
        ),
    ];
    let lines: Vec<Line> = rows
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>20}  "), bold().fg(Color::Cyan)),
                Span::raw((*what).to_owned()),
            ])
        })
        .collect();
    let rect = centered(area, 84, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Keys — any key closes ")
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        rect,
    );
}
