//! Monitoring: each probe's samples against its thresholds.

use super::*;

pub(super) fn draw_monitor(
    frame: &mut Frame,
    area: Rect,
    state: &UiState,
    view: &ViewState,
    focused: bool,
) {
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
