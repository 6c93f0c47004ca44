//! Drawing: a pure function of the state, the view and the injected clock. Only what is
//! visible is built, so a frame costs the same with 20 steps or 2,000 and 10,000 log lines.

use super::bindings::{self, Act, Binding, Context};
use super::fmt;
use super::keys::{Action, Panel, Stage, ViewState, hint_applies, prompt_context};
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

mod backfill;
mod checks;
mod detail;
mod drift;
mod fit;
mod footer;
mod graph;
mod header;
mod help;
mod log;
mod modal;
mod monitor;
mod resume;
mod timeline;
mod widgets;

use backfill::*;
use checks::*;
use detail::*;
use drift::*;
use fit::*;
use footer::*;
use graph::*;
use header::*;
use help::*;
use log::*;
use modal::*;
use monitor::*;
use resume::*;
use timeline::*;

pub(crate) use footer::{context_hints, hints_line};
pub(crate) use help::{FLEET_HELP, WATCH_HELP, draw_help_screen};
pub(crate) use widgets::{centered, key_hint};

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
    if let Some(drift) = &view.drift {
        draw_drift(frame, body, drift);
    }
    if view.help {
        draw_help(frame, body, view.help_scroll);
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
