//! The watcher's screen: the operator's, with a status bar and read-only boxes over it (the prompt, waiting for a run, a lost connection, help).

use super::*;

pub(super) fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub(super) fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub(super) fn boxed(
    frame: &mut Frame,
    area: Rect,
    title: String,
    border: Style,
    lines: Vec<Line<'static>>,
) {
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 4)
        .chain(std::iter::once(title.chars().count() as u16 + 4))
        .max()
        .unwrap_or(40)
        .clamp(40, 100);
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title).border_style(border)),
        rect,
    );
}

/// The read-only box for what the engine waits on.
pub(super) fn draw_prompt(frame: &mut Frame, area: Rect, ui: &UiState, watch: &Watch) {
    let Some((prompt, halted)) = watch.shown_prompt(ui) else {
        return;
    };
    let operator = if halted {
        "a decision (the run halted here)".to_owned()
    } else if ui.header.operator.is_empty() || ui.header.operator == NO_OPERATOR {
        "the operator".to_owned()
    } else {
        format!("the operator ({})", ui.header.operator)
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let title = match prompt {
        Prompt::Gate {
            step,
            prompt: text,
            questions,
            failed_critical,
            rejected,
            ..
        } => {
            lines.push(Line::styled(text.clone(), bold()));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Checklist the operator confirms:", dim()));
            for q in questions {
                lines.push(Line::raw(format!("  • {q}")));
            }
            if !failed_critical.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "  ✗ failed critical checks: {} (a go needs an override)",
                        failed_critical.join(", ")
                    ),
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ));
            }
            if let Some(reason) = rejected {
                lines.push(Line::styled(
                    format!("  last attempt rejected: {reason}"),
                    Style::new().fg(AMBER),
                ));
            }
            if halted {
                format!(" ◆ GATE {step} — waiting for {operator} ")
            } else {
                format!(" ◆ GATE {step} — waiting for {operator}'s decision ")
            }
        }
        Prompt::Manual { step, prompt: text } => {
            lines.push(Line::raw(text.clone()));
            format!(" ✎ MANUAL STEP {step} — waiting for {operator} ")
        }
        Prompt::Failure { step } => {
            if let Some(e) = ui.step(step).and_then(|s| s.error.as_ref()) {
                lines.push(Line::styled(e.to_string(), Style::new().fg(Color::Red)));
            }
            lines.push(Line::raw(
                "The operator chooses: retry, roll back or abort.".to_owned(),
            ));
            format!(" ✗ STEP {step} FAILED — waiting for {operator} ")
        }
        Prompt::Uncertain { step } => {
            lines.push(Line::raw(
                "Interrupted mid-way by an earlier crash: the operator says whether it was applied."
                    .to_owned(),
            ));
            format!(" ? UNCERTAIN STEP {step} — waiting for {operator} ")
        }
    };
    if halted {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "The run is halted, resumable: the operator decides when resuming it (cutover run --resume).",
            Style::new().fg(AMBER),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(format!("{READ_ONLY}  "), dim()),
        Span::styled(
            bindings::key(Context::Watch, Act::Hide),
            bold().fg(Color::Cyan),
        ),
        Span::styled(" hide", dim()),
    ]));
    boxed(frame, area, title, Style::new().fg(AMBER), lines);
}

pub(super) fn draw_waiting(frame: &mut Frame, area: Rect, watch: &Watch) {
    let why = watch
        .no_run
        .clone()
        .unwrap_or_else(|| "connecting to the database".to_owned());
    let lines = vec![
        Line::styled(why, bold()),
        Line::raw(""),
        Line::styled(
            format!(
                "The view starts as soon as a run of `{}` begins on {}.",
                watch.runbook, watch.target
            ),
            dim(),
        ),
    ];
    boxed(
        frame,
        area,
        format!(" Waiting for a run of {} ", watch.runbook),
        Style::new().fg(Color::Cyan),
        lines,
    );
}

pub(super) fn draw_lost(frame: &mut Frame, area: Rect, error: &str, retry_in: Duration) {
    let lines = vec![
        Line::styled(error.to_owned(), Style::new().fg(Color::Red)),
        Line::styled(
            format!(
                "Reconnecting in {} — the run itself is not affected.",
                fmt::dur(retry_in)
            ),
            dim(),
        ),
    ];
    let top = Rect {
        height: area.height.min(6),
        ..area
    };
    boxed(
        frame,
        top,
        " CONNECTION LOST — reconnecting ".to_owned(),
        Style::new().fg(Color::Red),
        lines,
    );
}

/// The watcher's status bar, over the operator's footer.
pub(super) fn draw_status(frame: &mut Frame, area: Rect, watch: &Watch, view: &ViewState) {
    let mut spans: Vec<Span<'static>> = vec![Span::styled(
        " WATCHING · read-only ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )];
    spans.push(Span::raw(" "));
    match &watch.link {
        Link::Live { notified } => {
            let mut notes = Vec::new();
            if !notified {
                notes.push(format!("polling every {}", fmt::dur(POLL)));
            }
            if watch.reconnects > 0 {
                notes.push(format!("reconnected {}×", watch.reconnects));
            }
            spans.push(Span::styled(
                if notes.is_empty() {
                    "● live ".to_owned()
                } else {
                    format!("● live ({}) ", notes.join(", "))
                },
                Style::new().fg(Color::Green),
            ));
        }
        Link::Connecting { attempt } if *attempt <= 1 => {
            spans.push(Span::styled("connecting… ", Style::new().fg(AMBER)));
        }
        Link::Connecting { attempt } => spans.push(Span::styled(
            format!("reconnecting (attempt {attempt})… "),
            Style::new().fg(AMBER),
        )),
        Link::Lost { retry_in, .. } => spans.push(Span::styled(
            format!("CONNECTION LOST, retry in {} ", fmt::dur(*retry_in)),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        )),
    }
    spans.push(Span::styled("│ ", dim()));
    if let Some(notice) = &view.notice {
        spans.push(Span::styled(format!("{notice} "), Style::new().fg(AMBER)));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.run.is_none() {
        spans.push(Span::styled(
            format!("waiting for a run of {} ", watch.runbook),
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    if let Some(decision) = &watch.last_decision {
        spans.push(Span::styled(format!("{decision} "), bold()));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.missing > 0 {
        spans.push(Span::styled(
            format!(
                "{} event(s) missing here (the journal has them) ",
                watch.missing
            ),
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.unreadable > 0 {
        spans.push(Span::styled(
            format!(
                "{} event(s) from a newer cutover not shown ",
                watch.unreadable
            ),
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    if watch.checksum_differs {
        spans.push(Span::styled(
            "the run's runbook differs from this file ",
            Style::new().fg(AMBER),
        ));
        spans.push(Span::styled("│ ", dim()));
    }
    let hints: Vec<_> = context_hints(Context::Watch, |_| true)
        .chain(context_hints(Context::Nav, |_| true))
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(hints_line(spans, &hints, area.width as usize)),
        area,
    );
}

/// The whole watcher screen: the operator's screen, then the watcher's overlays.
pub fn draw_watch(frame: &mut Frame, ui: &UiState, view: &ViewState, watch: &Watch) {
    draw(frame, ui, view);
    let area = frame.area();
    if area.width < 20 || area.height < 6 {
        return;
    }
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
    if watch.run.is_none() {
        draw_waiting(frame, body, watch);
    } else if watch.prompt_visible(ui) {
        draw_prompt(frame, body, ui, watch);
    }
    if let Link::Lost { error, retry_in } = &watch.link {
        draw_lost(frame, body, error, *retry_in);
    }
    if watch.help {
        draw_help_screen(
            frame,
            body,
            "Watching — keys",
            WATCH_HELP,
            Some(READ_ONLY),
            view.help_scroll,
        );
    }
    draw_status(frame, footer, watch, view);
}
