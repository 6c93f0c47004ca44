//! The prompt over the panels: a gate, a failed step, a confirmation.

use super::*;

pub(super) fn stage_line(
    stage: &Stage,
    m_message: Option<&str>,
    comment: &str,
) -> Vec<Line<'static>> {
    let hot = Style::new()
        .fg(Color::Black)
        .bg(AMBER)
        .add_modifier(Modifier::BOLD);
    let mut out = Vec::new();
    match stage {
        Stage::Confirm(action) => {
            let style = if matches!(
                action,
                Action::Go {
                    override_checks: true
                }
            ) {
                Style::new()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD)
            } else {
                hot
            };
            out.push(Line::from(vec![
                Span::styled(format!(" {} ", action.question()), style),
                Span::raw("  "),
                Span::styled(
                    bindings::key(Context::Confirm, Act::Yes),
                    bold().fg(Color::Cyan),
                ),
                Span::raw(" yes · any other key cancels"),
            ]));
        }
        Stage::NoGo => {
            let mut spans = vec![Span::styled(" NO-GO: ", hot), Span::raw(" ")];
            for b in bindings::of(Context::NoGo) {
                spans.push(Span::styled(b.key_label(), bold().fg(Color::Cyan)));
                spans.push(Span::raw(format!(" {} · ", b.prompt.unwrap_or(b.help))));
            }
            spans.push(Span::raw("other key cancels"));
            out.push(Line::from(spans));
        }
        Stage::Comment => out.push(Line::from(vec![
            Span::styled(" comment: ", hot),
            Span::raw(format!(" {comment}")),
            Span::styled("█", Style::new().fg(Color::Cyan)),
            Span::styled(
                format!(
                    "  ({}: done)",
                    bindings::key(Context::Comment, Act::CommentDone)
                ),
                dim(),
            ),
        ])),
        Stage::Sent => out.push(Line::styled(
            " sent; waiting for the engine to record it…",
            Style::new().fg(Color::Cyan),
        )),
        Stage::Browse => {}
    }
    if let Some(msg) = m_message
        && *stage != Stage::Sent
    {
        out.push(Line::styled(
            format!(" » {msg}"),
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        ));
    }
    out
}

/// The key line of a prompt: its context's bindings that have a prompt label and apply now;
/// `label` may reword one for the moment (e.g. a go before every question is ticked).
pub(super) fn prompt_keys(
    context: Context,
    applies: impl Fn(&Binding) -> bool,
    label: impl Fn(&Binding, &'static str) -> &'static str,
) -> Line<'static> {
    let mut spans = Vec::new();
    for b in bindings::of(context).filter(|b| applies(b)) {
        if let Some(what) = b.prompt {
            key_hint(&mut spans, &b.key_label(), label(b, what));
        }
    }
    Line::from(spans)
}

/// What a rollback chosen now would undo and leave applied, as the engine said it.
fn rollback_outlook_line(state: &UiState) -> Option<Line<'static>> {
    let text = crate::narration::rollback_outlook(state.record.rollback_outlook.as_ref()?);
    Some(Line::styled(
        format!(" {}", text.trim_start()),
        Style::new().fg(AMBER),
    ))
}

fn modal_width(area: Rect) -> u16 {
    area.width.saturating_sub(4).min(100)
}

/// Columns inside the modal's border.
fn modal_inner_width(area: Rect) -> usize {
    modal_width(area).saturating_sub(2).max(1) as usize
}

pub(super) fn draw_modal(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let Some(prompt) = &state.prompt else {
        return;
    };
    let default = crate::tui::keys::ModalView {
        seq: state.prompt_seq,
        rejected_seq: state.rejected_seq,
        ticks: Vec::new(),
        focus: 0,
        comment: String::new(),
        stage: Stage::Browse,
        hidden: false,
        message: None,
    };
    let m = view.modal.as_ref().unwrap_or(&default);
    let now = view.now;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let (title, border) = match prompt {
        Prompt::Gate {
            step,
            prompt: text,
            questions,
            failed_critical,
            projected_end,
            hard_end,
            ..
        } => {
            lines.push(Line::styled(text.clone(), bold()));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "Confirm each ({} ticks, {}{} moves):",
                    bindings::key(Context::Gate, Act::Tick),
                    bindings::key(Context::Gate, Act::QuestionUp),
                    bindings::key(Context::Gate, Act::QuestionDown),
                ),
                dim(),
            ));
            for (k, q) in questions.iter().enumerate() {
                let ticked = m.ticks.get(k).copied().unwrap_or(false);
                let focus = k == m.focus && m.stage == Stage::Browse;
                let mut style = if ticked {
                    Style::new().fg(Color::Green)
                } else {
                    Style::new()
                };
                if focus {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                lines.push(Line::from(vec![
                    Span::raw(if focus { " ▸ " } else { "   " }),
                    Span::styled(format!("[{}] {q}", if ticked { "x" } else { " " }), style),
                ]));
            }
            lines.push(Line::raw(""));
            // Evidence.
            let (pass, fail, warn, pending) = state.check_counts();
            let mut checks = vec![Span::styled("  checks  ", dim())];
            checks.push(Span::styled(
                format!("{pass} passed"),
                Style::new().fg(Color::Green),
            ));
            if fail > 0 {
                checks.push(Span::styled(
                    format!(" · {fail} FAILED"),
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ));
            }
            if warn > 0 {
                checks.push(Span::styled(
                    format!(" · {warn} warning{}", if warn == 1 { "" } else { "s" }),
                    Style::new().fg(AMBER),
                ));
            }
            if pending > 0 {
                checks.push(Span::styled(format!(" · {pending} not run yet"), dim()));
            }
            lines.push(Line::from(checks));
            let failed: Vec<String> = state
                .checks
                .iter()
                .filter_map(|&i| {
                    let s = &state.steps[i];
                    s.check.as_ref().filter(|c| !c.passed).map(|c| {
                        format!(
                            "{} ({}, got {})",
                            s.id,
                            if c.is_warning() {
                                "warning"
                            } else {
                                "critical"
                            },
                            c.actual
                        )
                    })
                })
                .collect();
            if !failed.is_empty() {
                lines.push(Line::styled(
                    format!("  failed  {}", failed.join("; ")),
                    Style::new().fg(Color::Red),
                ));
            }
            lines.push(Line::from(vec![
                Span::styled("  alerts  ", dim()),
                Span::styled(
                    if state.alerts.is_empty() {
                        "none".to_owned()
                    } else {
                        let last = state.alerts.last().map_or(String::new(), |a| {
                            format!(
                                " (last: {} = {} at {})",
                                a.step,
                                a.value,
                                fmt::clock(a.ts, state.zone)
                            )
                        });
                        format!("{}{last}", state.alerts.len())
                    },
                    if state.alerts.is_empty() {
                        Style::new()
                    } else {
                        Style::new().fg(Color::Red)
                    },
                ),
            ]));
            if let Some(sessions) = &state.server_sessions {
                if sessions.is_empty() {
                    lines.push(Line::from(vec![
                        Span::styled("  server  ", dim()),
                        Span::raw("no long transactions or lock waits"),
                    ]));
                } else if area.height < 30 {
                    // A small screen keeps the keys in view: the pids only.
                    let pids: Vec<String> = sessions.iter().map(|s| s.pid.to_string()).collect();
                    lines.push(Line::from(vec![
                        Span::styled("  server  ", dim()),
                        Span::styled(
                            format!("long transactions or lock waits: pid {}", pids.join(", ")),
                            Style::new().fg(AMBER),
                        ),
                    ]));
                } else {
                    lines.push(Line::from(vec![
                        Span::styled("  server  ", dim()),
                        Span::styled(
                            format!(
                                "{} session{} in long transactions or lock waits:",
                                sessions.len(),
                                if sessions.len() == 1 { "" } else { "s" }
                            ),
                            Style::new().fg(AMBER),
                        ),
                    ]));
                    for s in sessions.iter().take(3) {
                        lines.push(Line::styled(
                            format!("    {}", s.headline(now)),
                            Style::new().fg(AMBER),
                        ));
                        lines.push(Line::styled(format!("      {}", s.query_line()), dim()));
                    }
                    if sessions.len() > 3 {
                        lines.push(Line::styled(
                            format!("    … and {} more", sessions.len() - 3),
                            dim(),
                        ));
                    }
                }
            }
            // The live forecast (the same as the header's); the engine's as a fallback.
            let window = match state.forecast(now) {
                Some(f) => {
                    let end = fmt::clock(f.end, state.zone);
                    let long = crate::narration::forecast(
                        &end,
                        &fmt::clock(f.hard_end, state.zone),
                        f.spare(),
                        f.pace,
                        f.advice(),
                    );
                    // One line: the short form where the sentence would wrap.
                    let room = modal_inner_width(area).saturating_sub(10);
                    let text = if long.chars().count() <= room {
                        long
                    } else {
                        crate::narration::forecast_short(&end, f.spare(), f.pace, f.advice())
                    };
                    Some((text, f.advice()))
                }
                None => projected_end.zip(*hard_end).map(|(p, h)| {
                    let f = crate::plan::forecast::Forecast {
                        end: p,
                        hard_end: h,
                        pace: None,
                        margin: chrono::Duration::from_std(state.window_budget / 10)
                            .unwrap_or_default(),
                    };
                    (
                        format!(
                            "projected end {} · hard end {}",
                            fmt::clock(p, state.zone),
                            fmt::clock(h, state.zone)
                        ),
                        f.advice(),
                    )
                }),
            };
            if let Some((text, advice)) = window {
                use crate::plan::forecast::Advice;
                let style = pace_style(match advice {
                    Advice::Go => Pace::Fine,
                    Advice::Tight => Pace::Tight,
                    Advice::NoGo => Pace::Over,
                });
                lines.push(Line::from(vec![
                    Span::styled("  window  ", dim()),
                    Span::styled(text, style),
                ]));
            }
            // What a no-go's rollback would cost, beside what going on would.
            if let Some(plan) = state.record.rollback_outlook.as_ref() {
                let style = if plan.fits == Some(false) {
                    pace_style(Pace::Over)
                } else {
                    Style::new()
                };
                lines.push(Line::from(vec![
                    Span::styled("  rollback ", dim()),
                    Span::styled(crate::narration::rollback_words(plan), style),
                ]));
            }
            if !failed_critical.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "  ✗ FAILED CRITICAL CHECKS: {} — a go needs an explicit override (O)",
                        failed_critical.join(", ")
                    ),
                    Style::new()
                        .fg(Color::White)
                        .bg(Color::Red)
                        .add_modifier(Modifier::BOLD),
                ));
            }
            lines.push(Line::from(vec![
                Span::styled("  comment ", dim()),
                Span::raw(if m.comment.is_empty() {
                    "(none)".to_owned()
                } else {
                    format!("\"{}\"", m.comment)
                }),
            ]));
            lines.push(Line::raw(""));
            let all = !m.ticks.is_empty() && m.ticks.iter().all(|t| *t) || questions.is_empty();
            lines.push(prompt_keys(
                Context::Gate,
                |b| hint_applies(b, state, view),
                |b, what| {
                    if b.act == Act::Go && !all {
                        "go (tick all first)"
                    } else {
                        what
                    }
                },
            ));
            (
                format!(" ◆ GATE {step} — decision needed "),
                Style::new().fg(AMBER),
            )
        }
        Prompt::Manual { step, prompt: text } => {
            if let Some(t) = state.step(step).and_then(|s| s.title.clone()) {
                lines.push(Line::styled(t, bold()));
            }
            lines.push(Line::raw(text.clone()));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "The run waits until you confirm it is done.",
                dim(),
            ));
            lines.push(Line::raw(""));
            lines.push(prompt_keys(
                Context::Manual,
                |b| hint_applies(b, state, view),
                |_, what| what,
            ));
            (format!(" ✎ MANUAL STEP {step} "), Style::new().fg(AMBER))
        }
        Prompt::Failure { step } => {
            let s = state.step(step);
            let cancelled = s.is_some_and(|s| s.statement_cancelled);
            lines.push(Line::styled(
                format!(
                    "{step} failed{}{}",
                    if cancelled {
                        format!(
                            ": you cancelled its running statement ({})",
                            bindings::key(Context::Run, Act::CancelStatement)
                        )
                    } else {
                        String::new()
                    },
                    s.filter(|s| s.attempt > 1 || s.starts > 1)
                        .map(|s| format!(" (attempt {}, started {}×)", s.attempt, s.starts))
                        .unwrap_or_default()
                ),
                bold(),
            ));
            if let Some(e) = s.and_then(|s| s.error.as_ref()) {
                error_lines(&mut lines, e);
            }
            if let Some(s) = s.filter(|s| s.kind == "migrate") {
                lines.push(Line::styled(
                    match s.in_transaction {
                        Some(false) => {
                            "It ran outside a transaction: statements that finished before stay applied."
                        }
                        _ => "It ran in one transaction: nothing of it was committed.",
                    },
                    dim(),
                ));
            }
            if cancelled {
                lines.push(Line::styled(
                    "The run waits for your choice; retry runs the whole step again.",
                    dim(),
                ));
            }
            lines.extend(rollback_outlook_line(state));
            lines.push(Line::raw(""));
            lines.push(prompt_keys(
                Context::Failure,
                |b| hint_applies(b, state, view),
                |_, what| what,
            ));
            (
                if cancelled {
                    format!(" ✗ STEP FAILED {step} — statement cancelled ")
                } else {
                    format!(" ✗ STEP FAILED {step} ")
                },
                Style::new().fg(Color::Red),
            )
        }
        Prompt::Uncertain { step } => {
            lines.push(Line::raw(format!(
                "{step} was interrupted between its statements (outside a transaction) in an earlier attempt of this run."
            )));
            lines.push(Line::raw(
                "Check the database: is it completely applied, or is it safe to run again?",
            ));
            lines.push(Line::raw(""));
            lines.push(prompt_keys(
                Context::Uncertain,
                |b| hint_applies(b, state, view),
                |_, what| what,
            ));
            (format!(" ? UNCERTAIN {step} "), Style::new().fg(Color::Red))
        }
    };
    lines.extend(stage_line(&m.stage, m.message.as_deref(), &m.comment));
    let width = modal_width(area);
    // Wrapped height estimate: each line takes ceil(len / inner width) rows.
    let inner_w = modal_inner_width(area);
    let needed: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = (needed as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Line::styled(title, border.add_modifier(Modifier::BOLD)))
        .border_style(border);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
