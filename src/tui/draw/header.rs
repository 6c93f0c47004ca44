//! The header: who and where, then when and how.

use super::*;

/// Two lines whatever the width: who and where (title, target, server, operator), then
/// when and how (clock, state, window). Each part has shorter renderings that a narrow
/// terminal falls back on, least important first, so at 80 columns every item stays.
pub(super) fn draw_header(frame: &mut Frame, area: Rect, state: &UiState, view: &ViewState) {
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
            // At the run's pace once it is measured (a rehearsal's times, or the runbook's).
            let paced = state
                .forecast(now)
                .and_then(|f| f.pace)
                .filter(|p| (p - 1.0).abs() >= 0.05)
                .map(|p| format!(" at {p:.1}×"));
            let proj = match state.projected_end(now) {
                Some(proj) => {
                    let (pe, he) = (fmt::clock(proj, state.zone), fmt::clock(end, state.zone));
                    let x = paced.clone().unwrap_or_default();
                    let styled =
                        |a: String, b: String| vec![Span::styled(a, pace_style(p)), Span::raw(b)];
                    Part::new(vec![
                        styled(
                            format!("projected end {pe}{x}"),
                            format!(" / hard end {he}"),
                        ),
                        styled(format!("end ~{pe}{x}"), format!(" / hard end {he}")),
                        styled(format!("end ~{pe}{x}"), format!(" / {he}")),
                        styled(format!("end ~{pe}"), format!(" / {he}")),
                        styled(format!("end ~{pe}"), String::new()),
                        Vec::new(),
                    ])
                }
                None => Part::new(vec![Vec::new()]),
            };
            parts.push(proj);
            gives.extend([
                Give::Next(W2),
                Give::Next(AT),
                Give::Next(CLOCK),
                Give::Next(W1),
                Give::Next(W2),
                Give::Next(W1),
                Give::Next(W2),
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
