//! Drawing: a pure function of the state, the view and the injected clock. Only what is
//! visible is built, so a frame costs the same with 20 steps or 2,000 and 10,000 log lines.

use super::fmt;
use super::keys::{Action, Panel, Stage, ViewState};
use super::state::{
    GraphRow, Level, Overall, Prompt, Restored, StepStatus, StepUi, StopKind, UiState,
    decision_word,
};
use crate::events::{Decision, Outcome};
use crate::runbook::Severity;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Sparkline, Tabs, Wrap};
use std::time::Duration;

const AMBER: Color = Color::Yellow;
const DIM: Color = Color::DarkGray;

fn status_style(status: StepStatus) -> Style {
    let fg = match status {
        StepStatus::Pending => Color::Gray,
        StepStatus::Running => Color::Cyan,
        StepStatus::Waiting => AMBER,
        StepStatus::Done => Color::Green,
        StepStatus::Failed | StepStatus::RollbackFailed | StepStatus::Uncertain => Color::Red,
        StepStatus::Skipped => DIM,
        StepStatus::RolledBack => Color::Magenta,
        StepStatus::NoGo => Color::Red,
        StepStatus::Interrupted => AMBER,
    };
    let style = Style::new().fg(fg);
    if matches!(
        status,
        StepStatus::Running | StepStatus::Waiting | StepStatus::Failed | StepStatus::Uncertain
    ) {
        style.add_modifier(Modifier::BOLD)
    } else {
        style
    }
}

/// A step's glyph and style; a failed warning-level check is a warning, not a failure.
fn step_mark(s: &StepUi) -> (&'static str, Style) {
    if s.check.as_ref().is_some_and(|c| c.is_warning()) {
        return ("!", Style::new().fg(AMBER).add_modifier(Modifier::BOLD));
    }
    (s.status.glyph(), status_style(s.status))
}

/// `1.0s/2.0s`, `3.0s/2.0s, 1.0s over` past it (said in words, not only in colour), or just the
/// elapsed time for steps without an expected duration.
fn against_expected(actual: Duration, expected: Duration) -> String {
    if expected.is_zero() {
        fmt::dur(actual)
    } else if actual > expected {
        format!(
            "{}/{}, {} over",
            fmt::dur(actual),
            fmt::dur(expected),
            fmt::dur(actual - expected)
        )
    } else {
        format!("{}/{}", fmt::dur(actual), fmt::dur(expected))
    }
}

fn level_style(level: Level) -> Style {
    match level {
        Level::Info => Style::new(),
        Level::Detail => Style::new().fg(Color::Gray),
        Level::Good => Style::new().fg(Color::Green),
        Level::Warn => Style::new().fg(AMBER),
        Level::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Level::Gate => Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
    }
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn dim() -> Style {
    Style::new().fg(DIM)
}

/// How the window is doing: spare time green, within 10% of the hard end amber, past it red.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pace {
    Unknown,
    Fine,
    Tight,
    Over,
}

fn pace(state: &UiState, now: DateTime<Utc>) -> Pace {
    let (Some(hard_end), Some(projected)) = (state.header.hard_end, state.projected_end(now))
    else {
        return Pace::Unknown;
    };
    if projected > hard_end || (state.is_active() && now > hard_end) {
        return Pace::Over;
    }
    let margin = chrono::Duration::from_std(state.window_budget / 10).unwrap_or_default();
    if projected > hard_end - margin {
        Pace::Tight
    } else {
        Pace::Fine
    }
}

fn pace_style(p: Pace) -> Style {
    match p {
        Pace::Unknown => Style::new(),
        Pace::Fine => Style::new().fg(Color::Green),
        Pace::Tight => Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        Pace::Over => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

fn overall_style(o: &Overall) -> Style {
    let s = match o {
        Overall::Connecting => Style::new().fg(Color::Gray),
        Overall::Running | Overall::Monitoring => Style::new().fg(Color::Black).bg(Color::Cyan),
        Overall::WaitingGate
        | Overall::WaitingManual
        | Overall::WaitingFailure
        | Overall::WaitingUncertain => Style::new().fg(Color::Black).bg(AMBER),
        Overall::RollingBack => Style::new().fg(Color::Black).bg(Color::Magenta),
        Overall::Finished(Outcome::Succeeded) => Style::new().fg(Color::Black).bg(Color::Green),
        Overall::Finished(Outcome::Halted | Outcome::Interrupted) => {
            Style::new().fg(Color::Black).bg(AMBER)
        }
        Overall::Finished(_) => Style::new().fg(Color::White).bg(Color::Red),
    };
    s.add_modifier(Modifier::BOLD)
}

/// The whole screen.
pub fn draw(frame: &mut Frame, state: &UiState, view: &ViewState) {
    let area = frame.area();
    if area.width < 20 || area.height < 6 {
        frame.render_widget(Paragraph::new("cutover: terminal too small"), area);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, state, view);
    if view.zoom {
        draw_panel(frame, body, view.panel, state, view);
    } else if area.width >= 120 && area.height >= 32 {
        draw_full(frame, body, state, view);
    } else {
        draw_compact(frame, body, state, view);
    }
    draw_footer(frame, footer, state, view);
    if view.modal_visible(state) || (state.prompt.is_some() && view.modal.is_none()) {
        draw_modal(frame, body, state, view);
    }
    if let (Some(resume), Some(restored)) = (&view.resume, &state.restored)
        && !resume.hidden
    {
        draw_resume(frame, body, state, restored);
    }
    if view.help {
        draw_help(frame, body);
    }
}

fn draw_full(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let graph_w = (area.width * 32 / 100).clamp(36, 64);
    let [graph, right] =
        Layout::horizontal([Constraint::Length(graph_w), Constraint::Min(1)]).areas(area);
    let timeline_h = (area.height * 28 / 100).clamp(8, 16);
    let log_h = (area.height * 27 / 100).clamp(6, 16);
    let [timeline, middle, log] = Layout::vertical([
        Constraint::Length(timeline_h),
        Constraint::Min(6),
        Constraint::Length(log_h),
    ])
    .areas(right);
    let [detail, side] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);
    // A panel with nothing to show gives its room to the other.
    let split = match (state.checks.is_empty(), state.probes.is_empty()) {
        (false, true) => [Constraint::Min(3), Constraint::Length(3)],
        (true, false) => [Constraint::Length(3), Constraint::Min(3)],
        _ => [Constraint::Percentage(50), Constraint::Percentage(50)],
    };
    let [checks, monitor] = Layout::vertical(split).areas(side);
    draw_panel(frame, graph, Panel::Graph, state, view);
    draw_panel(frame, timeline, Panel::Timeline, state, view);
    draw_panel(frame, detail, Panel::Detail, state, view);
    draw_panel(frame, checks, Panel::Checks, state, view);
    draw_panel(frame, monitor, Panel::Monitor, state, view);
    draw_panel(frame, log, Panel::Log, state, view);
}

fn draw_compact(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let titles: Vec<Line> = Panel::ALL
        .iter()
        .map(|p| Line::from(format!("{} {}", p.number(), p.title())))
        .collect();
    frame.render_widget(
        Tabs::new(titles)
            .select(view.panel.number() - 1)
            .highlight_style(Style::new().fg(Color::Black).bg(Color::Cyan))
            .divider("│")
            .padding("", ""),
        tabs,
    );
    draw_panel(frame, body, view.panel, state, view);
}

fn panel_block<'a>(panel: Panel, extra: String, focused: bool) -> Block<'a> {
    let mut title = vec![Span::styled(
        format!(" {} {} ", panel.number(), panel.title()),
        if focused {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            bold()
        },
    )];
    if !extra.is_empty() {
        title.push(Span::raw(format!(" {extra} ")));
    }
    Block::bordered()
        .title(Line::from(title))
        .border_style(if focused {
            Style::new().fg(Color::Cyan)
        } else {
            dim()
        })
}

fn draw_panel(frame: &mut Frame, area: Rect, panel: Panel, state: &UiState, view: &ViewState) {
    let focused = view.panel == panel;
    match panel {
        Panel::Timeline => draw_timeline(frame, area, state, view, focused),
        Panel::Graph => draw_graph(frame, area, state, view, focused),
        Panel::Checks => draw_checks(frame, area, state, view, focused),
        Panel::Monitor => draw_monitor(frame, area, state, view, focused),
        Panel::Log => draw_log(frame, area, state, view, focused),
        Panel::Detail => draw_detail(frame, area, state, view, focused),
    }
}

// ---------------------------------------------------------------------------------------
// Header and footer

/// One item of a header line, from its longest rendering to its shortest (an empty one
/// drops it).
struct Part {
    variants: Vec<Vec<Span<'static>>>,
    at: usize,
    /// No separator between this part and the next.
    glued: bool,
}

impl Part {
    fn new(variants: Vec<Vec<Span<'static>>>) -> Part {
        Part {
            variants,
            at: 0,
            glued: false,
        }
    }

    fn texts(texts: Vec<String>, style: Style) -> Part {
        Part::new(
            texts
                .into_iter()
                .map(|t| {
                    if t.is_empty() {
                        Vec::new()
                    } else {
                        vec![Span::styled(t, style)]
                    }
                })
                .collect(),
        )
    }

    fn glued(mut self) -> Part {
        self.glued = true;
        self
    }

    fn spans(&self) -> &[Span<'static>] {
        &self.variants[self.at]
    }

    fn width(&self) -> usize {
        self.spans().iter().map(Span::width).sum()
    }
}

/// How a header line gives way when it does not fit, in order.
#[derive(Clone, Copy)]
enum Give {
    /// The next shorter rendering of a part.
    Next(usize),
    /// Shorter renderings of a part while the line is too wide and they are at least
    /// this wide.
    Shrink(usize, usize),
}

const SEP: &str = " │ ";

fn line_width(parts: &[Part]) -> usize {
    let mut w = 0;
    let mut glued = true;
    for p in parts {
        let pw = p.width();
        if pw == 0 {
            continue;
        }
        if !glued {
            w += SEP.chars().count();
        }
        w += pw;
        glued = p.glued;
    }
    w
}

/// Gives way, step by step, until the line fits `width`; then joins it.
fn fit_line(mut parts: Vec<Part>, gives: &[Give], width: usize) -> Line<'static> {
    for give in gives {
        if line_width(&parts) <= width {
            break;
        }
        match *give {
            Give::Next(i) => {
                if parts[i].at + 1 < parts[i].variants.len() {
                    parts[i].at += 1;
                }
            }
            Give::Shrink(i, min) => {
                while line_width(&parts) > width
                    && parts[i].at + 1 < parts[i].variants.len()
                    && parts[i].variants[parts[i].at + 1]
                        .iter()
                        .map(Span::width)
                        .sum::<usize>()
                        >= min
                {
                    parts[i].at += 1;
                }
            }
        }
    }
    // What shrank to make room may grow back into room that later steps freed.
    for give in gives.iter().rev() {
        let (Give::Next(i) | Give::Shrink(i, _)) = *give;
        {
            while parts[i].at > 0 {
                parts[i].at -= 1;
                if line_width(&parts) > width {
                    parts[i].at += 1;
                    break;
                }
            }
        }
    }
    let mut spans = Vec::new();
    let mut glued = true;
    for p in &parts {
        if p.width() == 0 {
            continue;
        }
        if !glued {
            spans.push(Span::styled(SEP, dim()));
        }
        spans.extend(p.spans().iter().cloned());
        glued = p.glued;
    }
    Line::from(spans)
}

/// Two lines whatever the width: who and where (title, target, server, operator), then
/// when and how (clock, state, window). Each part has shorter renderings that a narrow
/// terminal falls back on, least important first, so at 80 columns every item stays.
fn draw_header(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let h = &state.header;
    let now = view.now;
    let width = area.width as usize;

    // First line: who and where.
    let badge = Part::new(vec![
        vec![
            Span::styled(" cutover ", Style::new().fg(Color::Black).bg(Color::Cyan)),
            Span::raw(" "),
        ],
        vec![Span::raw(" ")],
    ])
    .glued();
    let title = Part::texts(fmt::title_variants(&h.title, 8), bold());
    let target = Part::texts(
        h.target
            .as_deref()
            .map(fmt::target_variants)
            .unwrap_or_default()
            .into_iter()
            .chain([String::new()])
            .collect(),
        Style::new(),
    );
    let version = Part::texts(
        match &h.server_version {
            Some(v) => vec![
                format!("PostgreSQL {v}"),
                format!("PG {}", fmt::short_version(v)),
            ],
            None => vec![String::new()],
        },
        Style::new(),
    );
    let operator = Part::texts(
        vec![
            format!("operator {}", h.operator),
            format!("op {}", h.operator),
        ],
        Style::new(),
    );
    let run = Part::texts(
        match &h.run_id {
            Some(run) if h.resumed => vec![
                format!("run {run} (resumed)"),
                "resumed".to_owned(),
                String::new(),
            ],
            Some(run) => vec![format!("run {run}"), String::new()],
            None => vec![String::new()],
        },
        dim(),
    );
    const BADGE: usize = 0;
    const TITLE: usize = 1;
    const TARGET: usize = 2;
    const VERSION: usize = 3;
    const OPERATOR: usize = 4;
    const RUN: usize = 5;
    let top = fit_line(
        vec![badge, title, target, version, operator, run],
        &[
            Give::Shrink(RUN, 0),
            Give::Next(VERSION),
            Give::Next(TARGET),
            Give::Next(TITLE),
            Give::Next(TITLE),
            Give::Next(BADGE),
            Give::Next(OPERATOR),
            Give::Shrink(TITLE, 16),
            Give::Shrink(TARGET, 0),
            Give::Shrink(TITLE, 0),
        ],
        width,
    );

    // Second line: the clock, the state (it must survive a narrow terminal), the window.
    let overall = state.overall();
    let clock = Part::texts(
        vec![
            format!(
                " {} {}",
                fmt::clock(now, state.zone),
                fmt::zone_name(state.zone)
            ),
            format!(" {}", fmt::clock(now, state.zone)),
        ],
        bold(),
    );
    // A success that overrode failed critical checks says so in the same breath.
    let overrides = state
        .decisions
        .iter()
        .filter(|d| !d.overrode.is_empty())
        .count();
    let word = match (&overall, overrides) {
        // The watcher is connected; it is the run's first event that has not come.
        (Overall::Connecting, _) if view.watching => "WAITING FOR THE RUN'S EVENTS".to_owned(),
        (Overall::Finished(Outcome::Succeeded), 1) => {
            format!("{} with 1 override", overall.label())
        }
        (Overall::Finished(Outcome::Succeeded), n) if n > 1 => {
            format!("{} with {n} overrides", overall.label())
        }
        _ => overall.label().to_owned(),
    };
    let label = || Span::styled(format!(" {word} "), overall_style(&overall));
    let mut badge = vec![vec![label()]];
    if state.is_active() {
        let phase = state
            .current_phase
            .and_then(|p| state.phases.get(p))
            .map(|p| p.id.clone());
        let step = state
            .current_step
            .and_then(|i| state.steps.get(i))
            .map(|s| s.id.clone());
        let at = match (phase, step) {
            (Some(p), Some(s)) => Some(format!(" {p} › {s}")),
            (Some(p), None) => Some(format!(" {p}")),
            _ => None,
        };
        if let Some(at) = at {
            badge.insert(0, vec![label(), Span::raw(at)]);
        }
    }
    let badge = Part::new(badge);
    const CLOCK: usize = 0;
    const AT: usize = 1;
    const W1: usize = 2;
    const W2: usize = 3;
    const W3: usize = 4;
    let mut parts = vec![clock, badge];
    let mut gives: Vec<Give> = Vec::new();
    let p = pace(state, now);
    match (h.window_start, h.hard_end) {
        (Some(start), Some(end)) if !state.is_active() => {
            let ended = state.last_ts.unwrap_or(now);
            // The run's own duration, from its first start (not from the window's start).
            let began = state
                .record
                .attempts
                .first()
                .map_or(start, |a| a.started_at);
            let ran = fmt::signed(ended - began);
            let spare = end - ended;
            parts.push(Part::texts(
                vec![
                    format!("ran {ran}, ended {}", fmt::clock(ended, state.zone)),
                    format!("ran {ran}"),
                ],
                Style::new(),
            ));
            let (long, short) = if spare.num_milliseconds() < 0 {
                let over = fmt::signed(-spare);
                (
                    format!("hard end {} ({over} OVER)", fmt::clock(end, state.zone)),
                    format!("{over} OVER"),
                )
            } else {
                let spare = fmt::signed(spare);
                (
                    format!(
                        "hard end {} ({spare} to spare)",
                        fmt::clock(end, state.zone)
                    ),
                    format!("{spare} to spare"),
                )
            };
            parts.push(Part::texts(
                vec![long, short],
                pace_style(if spare.num_milliseconds() < 0 {
                    Pace::Over
                } else {
                    Pace::Fine
                }),
            ));
            let mut message = Vec::new();
            if let Some((_, Some(m))) = &state.outcome {
                message.push(m.clone());
                for w in (1..m.chars().count()).rev() {
                    message.push(fmt::fit(m, w));
                }
            }
            message.push(String::new());
            parts.push(Part::texts(message, Style::new()));
            gives.extend([
                Give::Next(CLOCK),
                Give::Shrink(W3, 16),
                Give::Next(W1),
                Give::Shrink(W3, 12),
                Give::Next(W2),
                Give::Shrink(W3, 0),
            ]);
        }
        (Some(start), Some(end)) if state.started => {
            let elapsed = fmt::signed(now - start);
            let left = end - now;
            let (left_text, left_short, left_style) = if left.num_milliseconds() >= 0 {
                let l = format!("{} left", fmt::signed(left));
                (l.clone(), l, pace_style(p))
            } else {
                let over = fmt::signed(-left);
                (
                    format!("{over} PAST THE HARD END"),
                    format!("{over} OVER"),
                    pace_style(Pace::Over),
                )
            };
            parts.push(Part::new(vec![
                vec![
                    Span::raw(format!("window +{elapsed} · ")),
                    Span::styled(left_text.clone(), left_style),
                ],
                vec![
                    Span::raw(format!("+{elapsed} · ")),
                    Span::styled(left_text, left_style),
                ],
                vec![
                    Span::raw(format!("+{elapsed} ")),
                    Span::styled(left_short, left_style),
                ],
            ]));
            let proj = match state.projected_end(now) {
                Some(proj) => {
                    let (pe, he) = (fmt::clock(proj, state.zone), fmt::clock(end, state.zone));
                    let styled =
                        |a: String, b: String| vec![Span::styled(a, pace_style(p)), Span::raw(b)];
                    Part::new(vec![
                        styled(format!("projected end {pe}"), format!(" / hard end {he}")),
                        styled(format!("end ~{pe}"), format!(" / hard end {he}")),
                        styled(format!("end ~{pe}"), format!(" / {he}")),
                        styled(format!("end ~{pe}"), String::new()),
                        Vec::new(),
                    ])
                }
                None => Part::new(vec![Vec::new()]),
            };
            parts.push(proj);
            gives.extend([
                Give::Next(AT),
                Give::Next(CLOCK),
                Give::Next(W1),
                Give::Next(W2),
                Give::Next(W2),
                Give::Next(W1),
                Give::Next(W2),
                Give::Next(W2),
            ]);
        }
        (Some(start), Some(end)) => {
            let (s, e) = (fmt::clock(start, state.zone), fmt::clock(end, state.zone));
            let (b, pl) = (fmt::dur(state.window_budget), fmt::dur(state.planned_end));
            parts.push(Part::texts(
                vec![
                    format!("window {s}–{e} (budget {b}, plan {pl})"),
                    format!("window {s}–{e} · plan {pl}"),
                    format!("{s}–{e} · plan {pl}"),
                    format!("{s}–{e}"),
                ],
                Style::new(),
            ));
            gives.extend([Give::Next(CLOCK), Give::Shrink(W1, 0)]);
        }
        _ => {
            let (b, pl) = (fmt::dur(state.window_budget), fmt::dur(state.planned_end));
            parts.push(Part::texts(
                vec![
                    format!("window starts with the run · budget {b} · plan {pl}"),
                    format!("window starts with the run · budget {b}"),
                    format!("budget {b} · plan {pl}"),
                    format!("budget {b}"),
                ],
                Style::new(),
            ));
            gives.extend([Give::Next(CLOCK), Give::Shrink(W1, 0)]);
        }
    }
    let bottom = fit_line(parts, &gives, width);
    frame.render_widget(Paragraph::new(vec![top, bottom]), area);
}

fn key_hint(spans: &mut Vec<Span<'static>>, key: &str, what: &str) {
    spans.push(Span::styled(
        key.to_owned(),
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ));
    spans.push(Span::raw(format!(" {what}  ")));
}

/// A key in the footer: `rank` 0 is always shown; the higher, the sooner it gives way
/// (first to its short label, then altogether).
struct Hint {
    key: &'static str,
    long: &'static str,
    short: &'static str,
    rank: u8,
}

fn hint(key: &'static str, long: &'static str, short: &'static str, rank: u8) -> Hint {
    Hint {
        key,
        long,
        short,
        rank,
    }
}

/// The hints that fit after `prefix`, in their order, the least important giving way.
fn hints_line(mut spans: Vec<Span<'static>>, hints: &[Hint], width: usize) -> Line<'static> {
    let prefix: usize = spans.iter().map(Span::width).sum();
    let hint_w = |h: &Hint, short: bool| {
        Span::raw(h.key).width() + 1 + (if short { h.short } else { h.long }).chars().count()
    };
    let total = |shown: &[bool], short: &[bool]| -> usize {
        let n = shown.iter().filter(|s| **s).count();
        prefix
            + hints
                .iter()
                .enumerate()
                .filter(|(i, _)| shown[*i])
                .map(|(i, h)| hint_w(h, short[i]))
                .sum::<usize>()
            + 2 * n.saturating_sub(1)
    };
    let mut shown = vec![true; hints.len()];
    let mut short = vec![false; hints.len()];
    // Giving way, most expendable first: a hint's short label, then the hint itself,
    // before anything more important shortens; among equals, the later one first.
    let mut gives: Vec<(u16, usize, bool)> = Vec::new();
    for (i, h) in hints.iter().enumerate() {
        if h.short != h.long {
            gives.push((u16::from(h.rank) * 2 + 1, i, false));
        }
        if h.rank > 0 {
            gives.push((u16::from(h.rank) * 2, i, true));
        }
    }
    gives.sort_by_key(|&(key, i, _)| (std::cmp::Reverse(key), std::cmp::Reverse(i)));
    for (_, i, drop) in gives {
        if total(&shown, &short) <= width {
            break;
        }
        if drop {
            shown[i] = false;
        } else {
            short[i] = true;
        }
    }
    for (i, h) in hints.iter().enumerate() {
        if shown[i] {
            key_hint(&mut spans, h.key, if short[i] { h.short } else { h.long });
        }
    }
    if let Some(last) = spans.last_mut()
        && let Some(t) = last.content.strip_suffix("  ")
    {
        last.content = t.to_owned().into();
    }
    Line::from(spans)
}

/// A notice cut to leave room for `reserve` columns.
fn notice_spans(notice: &str, width: usize, reserve: usize) -> Vec<Span<'static>> {
    let room = width.saturating_sub(reserve + 4).max(12);
    vec![
        Span::styled(
            format!(" {} ", fmt::fit(notice, room)),
            Style::new().fg(AMBER),
        ),
        Span::styled("│ ", dim()),
    ]
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let width = area.width as usize;
    let mut spans: Vec<Span<'static>> = Vec::new();
    if let Some(confirm) = view.confirm {
        spans.push(Span::styled(
            format!(" {} ", confirm.question()),
            Style::new()
                .fg(Color::Black)
                .bg(AMBER)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw("  "));
        key_hint(&mut spans, "y", "yes");
        spans.push(Span::raw("any other key: no"));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    // Room the notice leaves for the keys that are always shown.
    const MUST: usize = 18;
    if let Some(resume) = &view.resume {
        if let Some(notice) = &view.notice {
            spans.extend(notice_spans(notice, width, MUST));
        }
        let hints = if resume.hidden {
            spans.push(Span::styled(
                " not continued yet ",
                Style::new().fg(Color::Black).bg(AMBER),
            ));
            spans.push(Span::raw(" "));
            vec![
                hint("d", "resume summary", "summary", 0),
                hint("Tab/1-6", "panel", "panel", 3),
                hint("↑↓", "move", "move", 4),
                hint("⏎", "select", "select", 3),
                hint("?", "help", "help", 0),
                hint("q", "leave", "leave", 0),
            ]
        } else {
            vec![
                hint("⏎", "continue the run", "continue", 0),
                hint("Esc", "look around first", "look around", 1),
                hint("q", "leave (nothing runs)", "leave", 0),
                hint("?", "help", "help", 0),
            ]
        };
        frame.render_widget(Paragraph::new(hints_line(spans, &hints, width)), area);
        return;
    }
    let mut hints = Vec::new();
    let waiting = state.prompt.is_some() && !view.modal_visible(state) && view.modal.is_some();
    if let Some(notice) = &view.notice {
        spans.extend(notice_spans(
            notice,
            width,
            MUST + if waiting { 26 } else { 0 },
        ));
    }
    if waiting {
        spans.push(Span::styled(
            " waiting for you ",
            Style::new().fg(Color::Black).bg(AMBER),
        ));
        spans.push(Span::raw(" "));
        hints.push(hint("d", "decide", "decide", 0));
    }
    if state.is_active() {
        // What the open prompt asks for comes first; the modal lists it too, but a small
        // modal may not show its last line.
        if view.modal_visible(state)
            && let Some(prompt) = &state.prompt
        {
            match prompt {
                Prompt::Gate {
                    failed_critical, ..
                } => {
                    if failed_critical.is_empty() {
                        hints.push(hint("g", "go", "go", 1));
                    } else {
                        hints.push(hint("O", "go overriding", "override", 1));
                    }
                    hints.push(hint("n", "no-go", "no-go", 1));
                }
                Prompt::Failure { .. } => {
                    hints.push(hint("r", "retry", "retry", 1));
                    hints.push(hint("b", "roll back", "roll back", 1));
                    hints.push(hint("a", "abort", "abort", 1));
                }
                Prompt::Manual { .. } => {
                    hints.push(hint("a", "acknowledge", "ack", 1));
                    hints.push(hint("c", "note", "note", 2));
                }
                Prompt::Uncertain { .. } => {
                    hints.push(hint("m", "mark applied", "applied", 1));
                    hints.push(hint("r", "run again", "rerun", 1));
                }
            }
            hints.push(hint("Esc", "hide", "hide", 4));
        }
        hints.push(hint("?", "help", "help", 0));
        hints.push(hint("Tab/1-6", "panel", "panel", 5));
        hints.push(hint("↑↓", "move", "move", 6));
        hints.push(hint("⏎", "select", "select", 5));
        hints.push(hint("p", "pause", "pause", 2));
        hints.push(hint("x", "cancel stmt", "cancel", 3));
        if !matches!(
            (&state.prompt, view.modal_visible(state)),
            (Some(Prompt::Failure { .. }), true)
        ) {
            hints.push(hint("A", "abort", "abort", 2));
        }
        if state.monitoring_active() {
            hints.push(hint("E", "end monitoring", "end mon.", 1));
        }
        hints.push(hint("q", "quit", "quit", 0));
    } else {
        spans.push(Span::styled(
            " run finished ",
            Style::new().fg(Color::Black).bg(Color::Gray),
        ));
        spans.push(Span::raw(" "));
        hints.push(hint("q", "quit", "quit", 0));
        hints.push(hint("Tab/1-6", "panel", "panel", 2));
        hints.push(hint("↑↓", "move", "move", 3));
        hints.push(hint("⏎", "select", "select", 2));
        hints.push(hint("?", "help", "help", 0));
    }
    frame.render_widget(Paragraph::new(hints_line(spans, &hints, width)), area);
}

// ---------------------------------------------------------------------------------------
// Timeline

/// The axis unit: a round step so that labels are at least `min_cols` apart.
fn axis_step(total_ms: u64, cols: u64, min_cols: u64) -> u64 {
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

fn axis_label(ms: u64) -> String {
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

fn offset_ms(start: Option<DateTime<Utc>>, t: DateTime<Utc>) -> Option<u64> {
    start.map(|s| u64::try_from((t - s).num_milliseconds()).unwrap_or(0))
}

fn draw_timeline(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState, focused: bool) {
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
fn step_elapsed(s: &StepUi, now: DateTime<Utc>) -> Option<Duration> {
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
fn duration_bar(expected: Duration, actual: Option<Duration>, width: usize) -> Vec<(char, Style)> {
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
fn push_cells(spans: &mut Vec<Span<'static>>, cells: &[(char, Style)]) {
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

// ---------------------------------------------------------------------------------------
// Dependency graph

fn dep_parts(state: &UiState, s: &StepUi) -> Vec<String> {
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
fn dep_text(parts: &[String], width: usize) -> String {
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

fn draw_graph(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState, focused: bool) {
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

// ---------------------------------------------------------------------------------------
// Verification grid

fn check_cell(s: &StepUi) -> (&'static str, Style) {
    match (&s.check, s.status) {
        (Some(c), _) if c.passed => ("✓", Style::new().fg(Color::Green)),
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

fn draw_checks(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState, focused: bool) {
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
    let detail_h = 4u16.min(inner.height.saturating_sub(1));
    let width = inner.width as usize;
    let cursor = view.check_cursor.min(total - 1);
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

// ---------------------------------------------------------------------------------------
// Monitoring

fn draw_monitor(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState, focused: bool) {
    let phase_note = state
        .phases
        .iter()
        .find(|p| p.kind == "monitoring" && p.started.is_some() && p.finished.is_none())
        .and_then(|p| {
            p.started.map(|s| {
                format!(
                    "{} {}/{}",
                    p.id,
                    fmt::dur(fmt::between(s, view.now)),
                    fmt::dur(p.budget)
                )
            })
        })
        .unwrap_or_else(|| match state.alerts.len() {
            1 => "1 alert".to_owned(),
            n => format!("{n} alerts"),
        });
    let block = panel_block(Panel::Monitor, phase_note, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.probes.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no probes in this runbook", dim())),
            inner,
        );
        return;
    }
    let alerts_h: u16 = if state.alerts.is_empty() || inner.height < 8 {
        0
    } else {
        2
    };
    let [probes_area, alerts_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(alerts_h)]).areas(inner);
    let per = (probes_area.height as usize / state.probes.len()).clamp(2, 4);
    let fit_n = (probes_area.height as usize / per).max(1);
    let cursor = view.probe_cursor.min(state.probes.len() - 1);
    let first = cursor
        .saturating_sub(fit_n.saturating_sub(1))
        .min(state.probes.len().saturating_sub(fit_n));
    let mut y = probes_area.y;
    for (k, probe) in state.probes.iter().enumerate().skip(first).take(fit_n) {
        if y + 2 > probes_area.y + probes_area.height {
            break;
        }
        let s = &state.steps[probe.step];
        let mut title_style = bold();
        if k == cursor && focused {
            title_style = title_style.add_modifier(Modifier::REVERSED);
        }
        let mut spans = vec![
            Span::styled(s.id.clone(), title_style),
            Span::raw(format!(
                "  {}",
                probe.latest.as_deref().unwrap_or("no sample yet")
            )),
        ];
        if let Some(t) = &probe.threshold {
            spans.push(Span::styled(format!("  alert {t}"), dim()));
        }
        if probe.alerts > 0 {
            spans.push(Span::styled(
                format!(
                    "  {} alert{}",
                    probe.alerts,
                    if probe.alerts == 1 { "" } else { "s" }
                ),
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        }
        if probe.alert_now {
            spans.push(Span::styled(
                " ALERT",
                Style::new()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD),
            ));
        }
        frame.render_widget(
            Paragraph::new(Line::from(spans)),
            Rect::new(probes_area.x, y, probes_area.width, 1),
        );
        let spark_h = (per as u16 - 1).min(probes_area.y + probes_area.height - y - 1);
        let width = probes_area.width as usize;
        let skip = probe.samples.len().saturating_sub(width);
        let data: Vec<Option<u64>> = probe
            .samples
            .iter()
            .skip(skip)
            .map(|v| {
                v.map(|x| {
                    if x > 0.0 {
                        (x * 100.0).min(1e15) as u64
                    } else {
                        0
                    }
                })
            })
            .collect();
        let peak = data.iter().flatten().copied().max().unwrap_or(0);
        let threshold = probe
            .threshold_value
            .filter(|t| *t > 0.0)
            .map_or(0, |t| (t * 100.0).min(1e15) as u64);
        let mut spark = Sparkline::default()
            .data(data)
            .style(Style::new().fg(if probe.alert_now {
                Color::Red
            } else {
                Color::Cyan
            }))
            .absent_value_symbol("×")
            .absent_value_style(dim());
        if peak.max(threshold) > 0 {
            spark = spark.max(peak.max(threshold));
        }
        if spark_h > 0 {
            frame.render_widget(
                spark,
                Rect::new(probes_area.x, y + 1, probes_area.width, spark_h),
            );
        }
        y += per as u16;
    }
    if alerts_h > 0 {
        let lines: Vec<Line> = state
            .alerts
            .iter()
            .rev()
            .take(alerts_h as usize)
            .map(|a| {
                Line::styled(
                    format!(
                        "{} ALERT {}: {} (threshold {})",
                        fmt::clock(a.ts, state.zone),
                        a.step,
                        a.value,
                        a.threshold
                    ),
                    Style::new().fg(Color::Red),
                )
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), alerts_area);
    }
}

// ---------------------------------------------------------------------------------------
// Log

fn draw_log(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState, focused: bool) {
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

// ---------------------------------------------------------------------------------------
// Step detail

fn error_lines(lines: &mut Vec<Line<'static>>, e: &crate::events::SqlFailure) {
    let red = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
    lines.push(Line::from(vec![
        Span::styled("✗ ", red),
        Span::styled(
            e.sqlstate
                .as_ref()
                .map(|c| format!("[{c}] "))
                .unwrap_or_default(),
            red,
        ),
        Span::styled(e.message.clone(), red),
    ]));
    if let Some(d) = &e.detail {
        lines.push(Line::raw(format!("  detail: {d}")));
    }
    if let Some(h) = &e.hint {
        lines.push(Line::styled(format!("  hint: {h}"), Style::new().fg(AMBER)));
    }
    let mut at = Vec::new();
    if let (Some(file), Some(line)) = (&e.file, e.line) {
        at.push(format!("at {file}:{line}:{}", e.column.unwrap_or(1)));
    }
    if let Some(n) = e.statement {
        at.push(format!("statement {n}"));
    }
    if !at.is_empty() {
        lines.push(Line::raw(format!("  {}", at.join(" · "))));
    }
}

fn draw_detail(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState, focused: bool) {
    let Some(i) = view.detail_step(state) else {
        let block = panel_block(Panel::Detail, String::new(), focused);
        frame.render_widget(Paragraph::new("no step").block(block), area);
        return;
    };
    let s = &state.steps[i];
    let following = if view.selected.is_some() {
        "selected (Esc: follow)"
    } else {
        "following the run"
    };
    let block = panel_block(Panel::Detail, format!("{} · {following}", s.id), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let now = view.now;
    let mut lines: Vec<Line<'static>> = Vec::new();

    let mut head = vec![
        Span::styled(format!("{} ", step_mark(s).0), step_mark(s).1),
        Span::styled(s.id.clone(), bold()),
    ];
    if let Some(t) = &s.title {
        head.push(Span::raw(format!(" — {t}")));
    }
    lines.push(Line::from(head));
    let mut facts = vec![
        s.kind.to_owned(),
        format!(
            "phase {}",
            state.phases.get(s.phase).map_or("?", |p| p.id.as_str())
        ),
    ];
    if s.breaking {
        facts.push("BREAKING".into());
    }
    if s.on_critical_path {
        facts.push("critical path".into());
    }
    lines.push(Line::from(vec![
        if s.check.as_ref().is_some_and(|c| c.is_warning()) {
            Span::styled("warning (check failed)", step_mark(s).1)
        } else {
            Span::styled(s.status.label().to_owned(), status_style(s.status))
        },
        Span::styled(format!(" · {}", facts.join(" · ")), dim()),
    ]));
    if let Some(mode) = s.transaction_mode {
        let how = match (s.in_transaction, &s.no_transaction_reason) {
            (Some(false), Some(r)) => format!("NOT in a transaction ({r})"),
            (Some(false), None) => "NOT in a transaction".to_owned(),
            _ => "in one transaction".to_owned(),
        };
        lines.push(Line::raw(format!("transaction {mode}: {how}")));
    }
    if !s.limits.is_empty() {
        lines.push(Line::styled(
            s.limits
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(" · "),
            dim(),
        ));
    }
    // Timing and attempts.
    let mut timing = Vec::new();
    if !s.statement_lines.is_empty() {
        timing.push(match s.statement {
            Some(k) => format!("statement {k}/{}", s.statement_lines.len()),
            None => format!(
                "{} statement{}",
                s.statement_lines.len(),
                if s.statement_lines.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        });
    }
    if let Some(t) = s.first_started {
        timing.push(format!("started {}", fmt::clock(t, state.zone)));
    }
    let verb = match s.status {
        StepStatus::Running => "running",
        StepStatus::Waiting => "waiting",
        _ => "took",
    };
    match step_elapsed(s, now) {
        Some(a) if s.expected.is_zero() => timing.push(format!("{verb} {}", fmt::dur(a))),
        Some(a) if a > s.expected => timing.push(format!(
            "{verb} {} of {} expected: {} OVER",
            fmt::dur(a),
            fmt::dur(s.expected),
            fmt::dur(a - s.expected)
        )),
        Some(a) => timing.push(format!(
            "{verb} {} of {} expected",
            fmt::dur(a),
            fmt::dur(s.expected)
        )),
        None if s.expected.is_zero() => {}
        None => timing.push(format!("expected {}", fmt::dur(s.expected))),
    }
    if s.starts > 1 || s.attempt > 1 {
        timing.push(format!("attempt {} (started {}×)", s.attempt, s.starts));
    }
    if s.retries > 0 {
        timing.push(format!(
            "{} lock retr{}",
            s.retries,
            if s.retries == 1 { "y" } else { "ies" }
        ));
    }
    if s.rows > 0 {
        timing.push(format!("{} rows", s.rows));
    }
    if !timing.is_empty() {
        lines.push(Line::raw(timing.join(" · ")));
    }
    if let Some(r) = &s.last_retry {
        lines.push(Line::styled(
            format!("last retry: {r}"),
            Style::new().fg(AMBER),
        ));
    }
    if let Some(w) = &s.lock_wait {
        let amber = Style::new().fg(AMBER).add_modifier(Modifier::BOLD);
        lines.push(Line::styled(
            format!(
                "⚠ waiting for a lock for {} — blocked by:",
                fmt::dur(fmt::between(w.since, now))
            ),
            amber,
        ));
        for b in &w.blockers {
            lines.push(Line::styled(
                format!(
                    "  pid {} {} ({}, xact open {:.0}s): {}",
                    b.pid,
                    if b.application_name.is_empty() {
                        "?"
                    } else {
                        b.application_name.as_str()
                    },
                    b.state,
                    b.xact_age_s,
                    b.query.lines().next().unwrap_or("")
                ),
                Style::new().fg(AMBER),
            ));
        }
    }
    if let Some(reason) = &s.skip_reason {
        lines.push(Line::styled(format!("skipped: {reason}"), dim()));
    }
    if let Some(e) = &s.error {
        error_lines(&mut lines, e);
        if s.kind == "migrate" {
            lines.push(Line::styled(
                match s.in_transaction {
                    Some(false) => {
                        "  outside a transaction: statements that finished before stay applied"
                    }
                    _ => "  in one transaction: nothing of this step was committed",
                },
                dim(),
            ));
        }
    }
    if let Some(e) = &s.rollback_error {
        lines.push(Line::styled("rollback:", Style::new().fg(Color::Red)));
        error_lines(&mut lines, e);
    }
    if let Some(reason) = &s.left_applied {
        lines.push(Line::styled(
            format!("rollback: left applied ({reason})"),
            Style::new().fg(AMBER),
        ));
    }
    if let Some(exp) = &s.expectation {
        match &s.check {
            Some(c) => lines.push(Line::from(vec![
                Span::raw(format!("expect {exp} · got {} → ", c.actual)),
                if c.passed {
                    Span::styled("PASS", Style::new().fg(Color::Green))
                } else if c.is_warning() {
                    Span::styled("FAIL (warning)", Style::new().fg(AMBER))
                } else {
                    Span::styled(
                        "FAIL (critical)",
                        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                    )
                },
            ])),
            None => lines.push(Line::raw(format!("expect {exp}"))),
        }
    }
    if let Some(t) = &s.alert_threshold {
        lines.push(Line::raw(format!("alert when {t}")));
    }
    if let Some(p) = state.probes.iter().find(|p| p.step == i) {
        lines.push(Line::raw(format!(
            "latest {} · {} samples · {} alerts",
            p.latest.as_deref().unwrap_or("-"),
            p.samples.len(),
            p.alerts
        )));
    }
    if let Some(prog) = &s.program {
        lines.push(Line::raw(format!("$ {prog}")));
    }
    if let Some(out) = &s.command_output {
        lines.push(Line::raw(format!(
            "exit {}",
            out.exit_code.map_or("-".into(), |c| c.to_string())
        )));
        for l in out
            .stdout_tail
            .lines()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(Line::styled(format!("  {l}"), dim()));
        }
        for l in out
            .stderr_tail
            .lines()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(Line::styled(format!("  {l}"), Style::new().fg(AMBER)));
        }
    }
    if let Some(p) = &s.prompt {
        lines.push(Line::raw(format!("prompt: {p}")));
    }
    for q in &s.questions {
        lines.push(Line::styled(format!("  ? {q}"), dim()));
    }
    if let Some(d) = s.decision {
        lines.push(Line::raw(format!(
            "decision: {}{}",
            crate::narration::decision_word(d),
            s.decided_by
                .as_ref()
                .map(|o| format!(" by {o}"))
                .unwrap_or_default()
        )));
    } else if let Some(by) = &s.decided_by {
        lines.push(Line::raw(format!("acknowledged by {by}")));
    }
    for n in s
        .notices
        .iter()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        lines.push(Line::styled(n.clone(), dim()));
    }
    // The SQL, with the statement being run highlighted.
    let head_len = lines.len();
    let mut focus_line = None;
    if let Some(sql) = &s.sql {
        let (origin, first) = s.sql_origin.clone().unwrap_or_default();
        lines.push(Line::styled(format!("── SQL {origin}:{first} ──"), dim()));
        let current = if state.rolling_back {
            None
        } else {
            s.statement
        };
        let failed_at = s.error.as_ref().and_then(|e| e.statement);
        let range_of = |k: usize| s.statement_lines.get(k.wrapping_sub(1)).copied();
        let cur = current.and_then(range_of);
        let failed = failed_at.and_then(range_of);
        let done_upto = s.statements_done;
        let num_w = (first + sql.lines().count()).to_string().len();
        for (n, text) in sql.lines().enumerate() {
            let line_no = n + 1;
            let in_range =
                |r: Option<(usize, usize)>| r.is_some_and(|(a, b)| a <= line_no && line_no <= b);
            let stmt = s
                .statement_lines
                .iter()
                .position(|&(a, b)| a <= line_no && line_no <= b)
                .map(|k| k + 1);
            let (mark, style) = if in_range(failed) && s.status == StepStatus::Failed {
                (
                    "✗",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                )
            } else if in_range(cur) && s.status == StepStatus::Running {
                (
                    "▶",
                    Style::new()
                        .fg(Color::Black)
                        .bg(Color::Cyan)
                        .add_modifier(Modifier::BOLD),
                )
            } else if stmt.is_some_and(|k| k <= done_upto) {
                ("✓", Style::new().fg(Color::Green))
            } else {
                (" ", Style::new())
            };
            if focus_line.is_none() && mark != " " && mark != "✓" {
                focus_line = Some(lines.len());
            }
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{:>num_w$}{mark}", first + n),
                    if mark == " " { dim() } else { style },
                ),
                Span::styled(format!(" {text}"), style),
            ]));
        }
    } else if state.rolling_back
        && let Some(sql) = &s.statement_sql
    {
        lines.push(Line::styled("── rollback statement ──", dim()));
        for l in sql.lines() {
            lines.push(Line::raw(l.to_owned()));
        }
    }
    // Lines wrap (an error message must be read whole). Scroll: the operator's offset, or
    // keep the header and the highlighted statement both in sight by eliding SQL above it.
    let h = inner.height as usize;
    let width = usize::from(inner.width.max(1));
    let rows = |l: &Line| l.width().div_ceil(width).max(1);
    let offset = if view.detail_scroll > 0 {
        view.detail_scroll
    } else if let Some(f) = focus_line {
        let total_to_focus: usize = lines.iter().take(f + 3).map(rows).sum();
        let head_rows: usize = lines.iter().take(head_len + 1).map(rows).sum();
        if total_to_focus <= h {
            0
        } else if head_rows + 4 <= h {
            // Header + SQL title + "⋮" + as many SQL lines as fit, ending past the statement.
            let available = h - head_rows - 1;
            let end = (f + 3).min(lines.len());
            let mut start = end;
            let mut used = 0;
            while start > head_len + 1 && used + rows(&lines[start - 1]) <= available {
                start -= 1;
                used += rows(&lines[start]);
            }
            let elided = start - (head_len + 1);
            let mut kept: Vec<Line> = Vec::with_capacity(h + 2);
            let mut rest = lines.into_iter();
            kept.extend(rest.by_ref().take(head_len + 1));
            kept.push(Line::styled(format!("  ⋮ {elided} lines"), dim()));
            kept.extend(rest.skip(elided));
            lines = kept;
            0
        } else {
            total_to_focus - h
        }
    } else {
        0
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(offset).unwrap_or(u16::MAX), 0)),
        inner,
    );
}

// ---------------------------------------------------------------------------------------
// Modal and help

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn stage_line(stage: &Stage, m_message: Option<&str>, comment: &str) -> Vec<Line<'static>> {
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
                Span::styled("y", bold().fg(Color::Cyan)),
                Span::raw(" yes · any other key cancels"),
            ]));
        }
        Stage::NoGo => out.push(Line::from(vec![
            Span::styled(" NO-GO: ", hot),
            Span::styled(" a", bold().fg(Color::Cyan)),
            Span::raw(" abort here (leave the database as it is) · "),
            Span::styled("b", bold().fg(Color::Cyan)),
            Span::raw(" roll back this run's migrations · other key cancels"),
        ])),
        Stage::Comment => out.push(Line::from(vec![
            Span::styled(" comment: ", hot),
            Span::raw(format!(" {comment}")),
            Span::styled("█", Style::new().fg(Color::Cyan)),
            Span::styled("  (Enter: done)", dim()),
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

fn keys_line(keys: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in keys {
        key_hint(&mut spans, k, what);
    }
    Line::from(spans)
}

fn draw_modal(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
    let Some(prompt) = &state.prompt else {
        return;
    };
    let default = super::keys::ModalView {
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
                "Confirm each (space/enter ticks, ↑↓ moves):",
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
            // The live projection (the same as the header's); the engine's as a fallback.
            let proj = state.projected_end(now).or(*projected_end);
            let hard = hard_end.or(state.header.hard_end);
            if let (Some(p), Some(h)) = (proj, hard) {
                let spare = h - p;
                let margin =
                    chrono::Duration::from_std(state.window_budget / 10).unwrap_or_default();
                let style = if spare.num_milliseconds() < 0 {
                    pace_style(Pace::Over)
                } else if spare < margin {
                    pace_style(Pace::Tight)
                } else {
                    pace_style(Pace::Fine)
                };
                lines.push(Line::from(vec![
                    Span::styled("  window  ", dim()),
                    Span::styled(
                        format!(
                            "projected end {} · hard end {} · {}",
                            fmt::clock(p, state.zone),
                            fmt::clock(h, state.zone),
                            if spare.num_milliseconds() < 0 {
                                format!("{} OVER", fmt::signed(-spare))
                            } else {
                                format!("{} to spare", fmt::signed(spare))
                            }
                        ),
                        style,
                    ),
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
            let mut keys: Vec<(&str, &str)> = Vec::new();
            if failed_critical.is_empty() {
                keys.push(("g", if all { "go" } else { "go (tick all first)" }));
            } else {
                keys.push(("O", "go overriding failed checks"));
            }
            keys.extend([("n", "no-go"), ("c", "comment"), ("Esc", "hide")]);
            lines.push(keys_line(&keys));
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
            lines.push(keys_line(&[
                ("a", "acknowledge (done)"),
                ("c", "note it (journaled)"),
                ("p", "pause here (resumable)"),
                ("Esc", "hide"),
            ]));
            (format!(" ✎ MANUAL STEP {step} "), Style::new().fg(AMBER))
        }
        Prompt::Failure { step } => {
            let s = state.step(step);
            let cancelled = s.is_some_and(|s| s.statement_cancelled);
            lines.push(Line::styled(
                format!(
                    "{step} failed{}{}",
                    if cancelled {
                        ": you cancelled its running statement (x)"
                    } else {
                        ""
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
            lines.push(Line::raw(""));
            lines.push(keys_line(&[
                ("r", "retry"),
                ("b", "roll back this run's migrations"),
                ("a", "abort (leave as is)"),
                ("Esc", "hide"),
            ]));
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
            lines.push(keys_line(&[
                ("m", "mark applied"),
                ("r", "run it again"),
                ("A", "abort"),
                ("Esc", "hide"),
            ]));
            (format!(" ? UNCERTAIN {step} "), Style::new().fg(Color::Red))
        }
    };
    lines.extend(stage_line(&m.stage, m.message.as_deref(), &m.comment));
    let width = area.width.saturating_sub(4).min(100);
    // Wrapped height estimate: each line takes ceil(len / inner width) rows.
    let inner_w = width.saturating_sub(2).max(1) as usize;
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

/// Step ids, comma-separated, cut to about `max` characters with how many were left out.
fn id_list(state: &UiState, ids: &[usize], max: usize) -> String {
    let mut out = String::new();
    for (n, &i) in ids.iter().enumerate() {
        let id = state.steps.get(i).map_or("?", |s| s.id.as_str());
        let sep = if n == 0 { "" } else { ", " };
        let rest = ids.len() - n;
        if n > 0 && out.chars().count() + sep.len() + id.chars().count() + 14 > max {
            out.push_str(&format!(" … and {rest} more"));
            break;
        }
        out.push_str(sep);
        out.push_str(id);
    }
    out
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Succeeded => "SUCCEEDED",
        Outcome::Failed => "FAILED",
        Outcome::Halted => "HALTED",
        Outcome::RolledBack => "ROLLED BACK",
        Outcome::Aborted => "ABORTED",
        Outcome::Interrupted => "INTERRUPTED",
    }
}

/// `cutover run --resume`: what the journal says happened, over the replayed panels, until
/// the operator continues (Enter) or leaves (q).
fn draw_resume(frame: &mut Frame, area: Rect, state: &UiState, r: &Restored) {
    let width = area.width.saturating_sub(4).min(110);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let label = |s: &str| Span::styled(format!("{s:<10}"), dim());
    let indent = || Span::raw(" ".repeat(10));
    let mut lines: Vec<Line<'static>> = Vec::new();

    // Where the journal is and how much of it there is.
    let mut journal = vec![label("journal")];
    let mut facts = Vec::new();
    if let Some(path) = &r.journal {
        facts.push(path.clone());
    }
    facts.push(format!("{} events", r.events));
    facts.push(format!(
        "{} attempt{}",
        r.attempts,
        if r.attempts == 1 { "" } else { "s" }
    ));
    if let (Some(a), Some(b)) = (r.first_ts, r.last_ts) {
        facts.push(format!(
            "{}–{} {}",
            fmt::clock(a, state.zone),
            fmt::clock(b, state.zone),
            fmt::zone_name(state.zone)
        ));
    }
    journal.push(Span::raw(facts.join(" · ")));
    lines.push(Line::from(journal));
    if r.unreadable > 0 {
        lines.push(Line::from(vec![
            indent(),
            Span::styled(
                format!(
                    "{} unreadable line{} (a torn last write) ignored",
                    r.unreadable,
                    if r.unreadable == 1 { "" } else { "s" }
                ),
                Style::new().fg(AMBER),
            ),
        ]));
    }
    lines.push(Line::raw(""));

    // How and where it stopped.
    let mut stopped = vec![label("stopped")];
    match &r.outcome {
        Some((outcome, message)) => {
            let style = match outcome {
                Outcome::Halted | Outcome::Interrupted => Style::new().fg(AMBER),
                Outcome::Succeeded => Style::new().fg(Color::Green),
                _ => Style::new().fg(Color::Red),
            }
            .add_modifier(Modifier::BOLD);
            let at = r
                .last_ts
                .map(|t| format!(" at {}", fmt::clock(t, state.zone)));
            if r.unfinished {
                stopped.push(Span::styled(
                    format!("NO FINISH IN THE JOURNAL{}", at.unwrap_or_default()),
                    style,
                ));
            } else {
                stopped.push(Span::styled(
                    format!("{}{}", outcome_label(*outcome), at.unwrap_or_default()),
                    style,
                ));
            }
            if let Some(m) = message {
                stopped.push(Span::raw(format!(" — {m}")));
            }
        }
        None => stopped.push(Span::raw("the journal has no run in it")),
    }
    lines.push(Line::from(stopped));
    let (where_, then): (String, Option<&str>) = match &r.stop {
        Some(stop) => match &stop.kind {
            StopKind::Running {
                statement,
                in_transaction,
            } => (
                format!(
                    "during {}{}",
                    stop.step,
                    statement
                        .map(|(n, of)| format!(" (statement {n} of {of})"))
                        .unwrap_or_default()
                ),
                Some(match in_transaction {
                    Some(true) => {
                        "its transaction was rolled back (nothing applied): it runs again"
                    }
                    Some(false) => "outside a transaction, may be half done: you will be asked",
                    None => "it runs again",
                }),
            ),
            StopKind::Gate => (
                format!("at gate {}: no decision was given", stop.step),
                Some("the gate asks again"),
            ),
            StopKind::Manual => (
                format!("at manual step {}: not acknowledged", stop.step),
                Some("it asks again"),
            ),
            StopKind::FailureDecision => (
                format!(
                    "after {} failed: no retry, roll back or abort was chosen",
                    stop.step
                ),
                Some("it runs again"),
            ),
            StopKind::Uncertain => (
                format!(
                    "at {}, left half done by an earlier crash (unresolved)",
                    stop.step
                ),
                Some("you will be asked again whether it was applied"),
            ),
            StopKind::RollingBack => (format!("rolling back ({})", stop.step), None),
        },
        None => (
            match r.next {
                Some(i) => format!(
                    "between steps; next: {}",
                    state.steps.get(i).map_or("?", |s| s.id.as_str())
                ),
                None => "with nothing left to run".to_owned(),
            },
            None,
        ),
    };
    lines.push(Line::from(vec![indent(), Span::styled(where_, bold())]));
    if let Some(then) = then {
        lines.push(Line::from(vec![indent(), Span::styled(then, dim())]));
    }
    if let Some((outcome, _)) = &r.outcome
        && matches!(
            outcome,
            Outcome::Succeeded | Outcome::RolledBack | Outcome::Aborted
        )
    {
        lines.push(Line::from(vec![
            indent(),
            Span::styled(
                format!(
                    "this run ended {}: the database will most likely refuse to resume it",
                    outcome.as_str()
                ),
                Style::new().fg(AMBER),
            ),
        ]));
    }
    lines.push(Line::raw(""));

    // What was done.
    let mut counts = vec![Span::styled(
        format!("{} done", r.done.len()),
        Style::new().fg(Color::Green),
    )];
    let mut more = |n: usize, what: &str, style: Style| {
        if n > 0 {
            counts.push(Span::raw(" · "));
            counts.push(Span::styled(format!("{n} {what}"), style));
        }
    };
    more(r.skipped.len(), "skipped", dim());
    more(r.failed.len(), "failed", Style::new().fg(Color::Red));
    more(
        r.rolled_back.len(),
        "rolled back",
        Style::new().fg(Color::Magenta),
    );
    counts.push(Span::raw(format!(" · {} to run", r.to_run)));
    let mut steps = vec![label("steps")];
    steps.extend(counts);
    lines.push(Line::from(steps));
    let list_w = inner_w.saturating_sub(10);
    if !r.done.is_empty() {
        lines.push(Line::from(vec![
            label("  done"),
            Span::raw(id_list(state, &r.done, list_w)),
        ]));
    }
    if !r.skipped.is_empty() {
        lines.push(Line::from(vec![
            label("  skipped"),
            Span::styled(id_list(state, &r.skipped, list_w), dim()),
        ]));
    }
    for &i in r.failed.iter().take(3) {
        let s = &state.steps[i];
        let why = match (&s.error, &s.check) {
            (Some(e), _) => e.to_string(),
            (None, Some(c)) => format!("got {}, expected {}", c.actual, c.expected),
            (None, None) => s.status.label().to_owned(),
        };
        lines.push(Line::from(vec![
            label("  failed"),
            Span::styled(
                fmt::fit(&format!("{}: {why}", s.id), list_w),
                Style::new().fg(Color::Red),
            ),
        ]));
    }
    if r.failed.len() > 3 {
        lines.push(Line::from(vec![
            indent(),
            Span::styled(format!("… and {} more failed", r.failed.len() - 3), dim()),
        ]));
    }
    if !r.rolled_back.is_empty() {
        lines.push(Line::from(vec![
            label("  undone"),
            Span::raw(id_list(state, &r.rolled_back, list_w)),
        ]));
    }
    lines.push(Line::raw(""));

    // The decisions already given: they stand.
    const SHOWN: usize = 6;
    if r.decisions.is_empty() {
        lines.push(Line::from(vec![
            label("decisions"),
            Span::styled("none given yet", dim()),
        ]));
    } else {
        lines.push(Line::from(vec![
            label("decisions"),
            Span::styled("given earlier in this run; they stand", dim()),
        ]));
        let skip = r.decisions.len().saturating_sub(SHOWN);
        if skip > 0 {
            lines.push(Line::from(vec![
                indent(),
                Span::styled(format!("… {skip} earlier"), dim()),
            ]));
        }
        for d in r.decisions.iter().skip(skip) {
            let style = match d.decision {
                Some(Decision::Go) => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
                Some(_) => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                None => Style::new().fg(Color::Green),
            };
            let mut row = vec![
                Span::raw("  "),
                Span::styled(format!("{:<13}", decision_word(d.decision)), style),
                Span::raw(format!(
                    "{} by {} at {}",
                    d.step,
                    if d.operator.is_empty() {
                        "?"
                    } else {
                        d.operator.as_str()
                    },
                    fmt::clock(d.ts, state.zone)
                )),
            ];
            if !d.overrode.is_empty() {
                row.push(Span::styled(
                    format!(" OVERRIDING {}", d.overrode.join(", ")),
                    Style::new().fg(Color::Red),
                ));
            }
            if let Some(c) = &d.comment {
                row.push(Span::styled(format!(" — \"{c}\""), dim()));
            }
            lines.push(Line::from(row));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Continuing reconnects and asks the database: applied steps are skipped, decisions given stand.",
        dim(),
    ));

    let needed: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = (needed as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = match &r.run_id {
        Some(id) => format!(" ↻ RESUMING RUN {id} "),
        None => " ↻ RESUMING ".to_owned(),
    };
    let keys = keys_line(&[
        ("⏎", "continue the run"),
        ("Esc", "look around"),
        ("q", "leave (nothing runs)"),
    ]);
    let border = Style::new().fg(Color::Cyan);
    let block = Block::bordered()
        .title(Line::styled(title, border.add_modifier(Modifier::BOLD)))
        .title_bottom(keys)
        .border_style(border);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn draw_help(frame: &mut Frame, area: Rect) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_are_round_and_spaced() {
        assert_eq!(axis_step(30 * 60_000, 90, 7), 300_000);
        assert_eq!(axis_label(0), "0");
        assert_eq!(axis_label(300_000), "+5m");
        assert_eq!(axis_label(7_200_000), "+2h");
        assert_eq!(axis_label(90_000), "+90s");
    }

    #[test]
    fn a_diamonds_second_parent_is_never_cut_off_unseen() {
        let parts = vec![
            "001_add_loyalty_tier".to_owned(),
            "002_create_order_events".to_owned(),
        ];
        assert_eq!(
            dep_text(&parts, 80),
            " ← 001_add_loyalty_tier, 002_create_order_events"
        );
        let narrow = dep_text(&parts, 30);
        assert!(narrow.ends_with(" +1"), "{narrow}");
        assert!(narrow.chars().count() <= 30, "{narrow}");
        let tiny = dep_text(&parts, 12);
        assert!(tiny.ends_with(" +1"), "{tiny}");
    }

    #[test]
    fn a_step_past_its_expected_duration_says_so_in_words() {
        let over = against_expected(Duration::from_secs(180), Duration::from_secs(120));
        assert!(
            over.ends_with(&format!("{} over", fmt::dur(Duration::from_secs(60)))),
            "{over}"
        );
        let within = against_expected(Duration::from_secs(60), Duration::from_secs(120));
        assert!(!within.contains("over"), "{within}");
    }

    #[test]
    fn duration_bars_mark_expected_and_overrun() {
        let bar = |e: u64, a: Option<u64>| -> String {
            duration_bar(Duration::from_secs(e), a.map(Duration::from_secs), 12)
                .iter()
                .map(|c| c.0)
                .collect()
        };
        assert_eq!(bar(10, None), "········┊···");
        assert_eq!(bar(10, Some(5)), "████····┊···");
        assert_eq!(bar(10, Some(20)), "██████▓▓▓▓▓▓");
        // No expected duration: no bar at all.
        assert_eq!(bar(0, Some(5)), " ".repeat(12));
    }
}
