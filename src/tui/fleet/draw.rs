//! The fleet screen: a header (counts, the forecast of the waves left), the waves, the grid
//! of databases × phases, a wave's gate as a modal, and the footer's keys. Pure: a function
//! of the board, the view and the injected clock.

use super::{FleetView, confirm_question};
use crate::fleet::board::{Board, Cell, DbState, WaveState};
use crate::tui::bindings::{self, Act, Context};
use crate::tui::draw::{
    FLEET_HELP, centered, context_hints, draw_help_screen, hints_line, key_hint,
};
use crate::tui::fmt;
use crate::tui::watch::draw_watch;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn cell_style(cell: Cell) -> Style {
    match cell {
        Cell::Pending => dim(),
        Cell::Running => Style::new().fg(Color::Yellow),
        Cell::Waiting => Style::new().fg(Color::Cyan),
        Cell::Done => Style::new().fg(Color::Green),
        Cell::Failed => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Cell::RolledBack => Style::new().fg(Color::Magenta),
        Cell::Interrupted => Style::new().fg(Color::Yellow).add_modifier(Modifier::DIM),
    }
}

fn state_style(state: DbState) -> Style {
    match state {
        DbState::Failed => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        DbState::RolledBack => Style::new().fg(Color::Magenta),
        DbState::Running => Style::new().fg(Color::Yellow),
        DbState::Queued | DbState::NotStarted => dim(),
        DbState::Succeeded | DbState::DoneBefore => Style::new().fg(Color::Green),
    }
}

/// The whole fleet screen, or the opened database's own.
pub fn draw_fleet(frame: &mut Frame, board: &Board, view: &mut FleetView, now: DateTime<Utc>) {
    if let Some(drill) = &view.drill {
        draw_watch(frame, &drill.ui, &drill.view, &drill.watch);
        return;
    }
    let area = frame.area();
    if area.height < 6 || area.width < 30 {
        frame.render_widget(
            Paragraph::new("cutover fleet: the terminal is too small"),
            area,
        );
        return;
    }
    let header = Rect { height: 1, ..area };
    let waves = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    let footer = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    let body = Rect {
        y: area.y + 2,
        height: area.height - 3,
        ..area
    };
    frame.render_widget(Paragraph::new(header_line(board, now, view.zone)), header);
    frame.render_widget(Paragraph::new(waves_line(board)), waves);
    draw_grid(frame, body, board, view);
    if view.help {
        draw_help_screen(
            frame,
            body,
            "Fleet — keys",
            FLEET_HELP,
            Some(
                "each database's own checkpoints are answered as with --approve-all; one whose critical checks failed halts",
            ),
            view.help_scroll,
        );
    } else if let Some(k) = board.gate {
        draw_gate(frame, body, board, k);
    }
    frame.render_widget(
        Paragraph::new(footer_line(board, view, footer.width)),
        footer,
    );
}

fn header_line(board: &Board, now: DateTime<Utc>, zone: chrono::FixedOffset) -> Line<'static> {
    let counts = board.counts();
    let n = |s: DbState| counts.get(&s).copied().unwrap_or(0);
    let mut spans = vec![
        Span::styled(format!(" fleet {} ", board.fleet), bold()),
        Span::styled(format!("· {} · ", board.runbook), dim()),
        Span::raw(format!("{} databases: ", board.databases.len())),
        Span::styled(
            format!("✓ {}", n(DbState::Succeeded) + n(DbState::DoneBefore)),
            Style::new().fg(Color::Green),
        ),
        Span::raw("  "),
        Span::styled(
            format!("✗ {}", n(DbState::Failed)),
            state_style(DbState::Failed),
        ),
        Span::raw("  "),
        Span::styled(
            format!("▶ {}", n(DbState::Running)),
            state_style(DbState::Running),
        ),
        Span::raw("  "),
        Span::styled(
            format!("· {}", n(DbState::Queued) + n(DbState::NotStarted)),
            dim(),
        ),
    ];
    match (&board.outcome, board.forecast()) {
        (Some((outcome, _)), _) => spans.push(Span::styled(
            format!("  │ fleet {}", outcome.as_str()),
            if *outcome == crate::events::Outcome::Succeeded {
                Style::new().fg(Color::Green)
            } else {
                state_style(DbState::Failed)
            },
        )),
        (None, Some((databases, waves, left))) => spans.push(Span::raw(format!(
            "  │ left: {databases} database(s) in {waves} wave(s), ≈{} at the pace so far (ends ~{})",
            fmt::dur(left),
            fmt::clock(
                now + chrono::Duration::from_std(left).unwrap_or_default(),
                zone
            )
        ))),
        (None, None) => {}
    }
    Line::from(spans)
}

fn waves_line(board: &Board) -> Line<'static> {
    let mut spans = vec![Span::styled(" waves ", dim())];
    for (k, w) in board.waves.iter().enumerate() {
        if k > 0 {
            spans.push(Span::styled(" │ ", dim()));
        }
        let done = w
            .databases
            .iter()
            .filter(|&&i| !matches!(board.databases[i].state, DbState::Queued | DbState::Running))
            .count();
        let (what, style) = match w.state {
            WaveState::Waiting => ("waiting".to_owned(), dim()),
            WaveState::Running => (
                format!("running {done}/{}", w.databases.len()),
                Style::new().fg(Color::Yellow),
            ),
            WaveState::AtGate => (
                "at its gate".to_owned(),
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
            WaveState::Passed => ("passed".to_owned(), Style::new().fg(Color::Green)),
            WaveState::Halted => ("halted".to_owned(), state_style(DbState::Failed)),
            WaveState::Finished => ("finished".to_owned(), Style::new().fg(Color::Green)),
        };
        spans.push(Span::raw(format!("{} ", w.name)));
        spans.push(Span::styled(what, style));
    }
    Line::from(spans)
}

/// Column widths: name, wave, state, progress, one per phase.
fn widths(board: &Board) -> (usize, usize, Vec<usize>) {
    let name = board
        .databases
        .iter()
        .map(|d| d.name.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 24);
    let wave = board
        .waves
        .iter()
        .map(|w| w.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 12);
    let phases = board
        .phases
        .iter()
        .map(|p| p.chars().count().clamp(3, 12))
        .collect();
    (name, wave, phases)
}

fn draw_grid(frame: &mut Frame, area: Rect, board: &Board, view: &mut FleetView) {
    let rows = view.rows(board);
    let title = format!(
        " databases: {} of {} · showing {}{} · sorted by {} ",
        rows.len(),
        board.databases.len(),
        view.filter.label(),
        view.label
            .as_ref()
            .map(|l| format!(" with {l}"))
            .unwrap_or_default(),
        view.sort.label()
    );
    let block = Block::new().borders(Borders::TOP).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let (name_w, wave_w, phase_w) = widths(board);
    let mut head = vec![Span::styled(
        format!(
            "  {} {} {} {:>5} ",
            fmt::pad("database", name_w),
            fmt::pad("wave", wave_w),
            fmt::pad("state", 11),
            "steps"
        ),
        bold(),
    )];
    for (p, w) in board.phases.iter().zip(&phase_w) {
        head.push(Span::styled(
            format!("{} ", fmt::pad(&fmt::fit(p, *w), *w)),
            bold(),
        ));
    }
    head.push(Span::styled(format!("{:>7}  result", "time"), bold()));
    let mut lines = vec![Line::from(head)];
    let room = usize::from(inner.height).saturating_sub(1);
    view.page = room;
    let at = view.cursor(board, &rows);
    let first = at.saturating_sub(room.saturating_sub(1));
    for (n, &i) in rows.iter().enumerate().skip(first).take(room) {
        let db = &board.databases[i];
        let selected = n == at;
        let (done, all) = db.progress();
        let mut spans = vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::raw(format!(
                "{} ",
                fmt::pad(&fmt::fit(&db.name, name_w), name_w)
            )),
            Span::styled(
                format!(
                    "{} ",
                    fmt::pad(&fmt::fit(&board.waves[db.wave].name, wave_w), wave_w)
                ),
                dim(),
            ),
            Span::styled(
                format!("{} ", fmt::pad(db.state.label(), 11)),
                state_style(db.state),
            ),
            Span::raw(format!("{:>5} ", format!("{done}/{all}"))),
        ];
        for (cell, w) in board.cells(i).into_iter().zip(&phase_w) {
            spans.push(Span::styled(
                format!("{} ", fmt::pad(cell.glyph(), *w)),
                cell_style(cell),
            ));
        }
        let time = db
            .result
            .as_ref()
            .filter(|r| !r.already_done && r.outcome.is_some() && r.duration_ms > 0)
            .map(|r| fmt::ms(r.duration_ms))
            .unwrap_or_default();
        spans.push(Span::raw(format!("{time:>7}  ")));
        if let Some(message) = db.result.as_ref().and_then(|r| r.message.as_ref()) {
            spans.push(Span::styled(message.clone(), state_style(db.state)));
        }
        let mut line = Line::from(spans);
        if selected {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    if rows.is_empty() {
        lines.push(Line::styled(
            "  no database shown: f and l change what is shown",
            dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_gate(frame: &mut Frame, area: Rect, board: &Board, k: usize) {
    let wave = &board.waves[k];
    let next = board
        .waves
        .get(k + 1)
        .map(|w| w.name.as_str())
        .unwrap_or("");
    let mut lines: Vec<Line> = wave
        .evidence
        .as_ref()
        .map(|e| e.lines().into_iter().map(Line::raw).collect())
        .unwrap_or_default();
    lines.push(Line::raw(""));
    let mut keys = Vec::new();
    key_hint(
        &mut keys,
        &bindings::key(Context::FleetGate, Act::Go),
        &format!("start wave {next}"),
    );
    key_hint(
        &mut keys,
        &bindings::key(Context::FleetGate, Act::NoGo),
        "halt the fleet here",
    );
    key_hint(
        &mut keys,
        &bindings::key(Context::Fleet, Act::Select),
        "look at a database",
    );
    lines.push(Line::from(keys));
    let width = area.width.min(90);
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    // Low on the screen, so the grid above stays readable.
    let rect = centered(area, width, height);
    let rect = Rect {
        y: area.y + area.height.saturating_sub(height),
        ..rect
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(format!(" gate after wave {} — go or no-go ", wave.name))
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        rect,
    );
}

fn footer_line(board: &Board, view: &FleetView, width: u16) -> Line<'static> {
    if let Some(act) = view.confirm {
        return Line::from(vec![
            Span::styled(confirm_question(board, act), bold()),
            Span::styled("  any other key cancels", dim()),
        ]);
    }
    let mut spans = Vec::new();
    if let Some(notice) = &view.notice {
        spans.push(Span::styled(
            format!("{notice} │ "),
            Style::new().fg(Color::Yellow),
        ));
    } else if let Some((_, Some(message))) = &board.outcome {
        spans.push(Span::styled(format!("{message} │ "), bold()));
    }
    let mut hints: Vec<_> = Vec::new();
    if board.gate.is_some() {
        hints.extend(context_hints(Context::FleetGate, |_| true));
    }
    hints.extend(context_hints(Context::Fleet, |_| true));
    hints_line(spans, &hints, usize::from(width))
}
