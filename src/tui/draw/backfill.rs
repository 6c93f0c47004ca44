//! A backfill's progress: a bar, rows against the estimate, rate, ETA, and why it waits.

use super::*;
use crate::record::BackfillProgress;

/// Thousands separated: `200,000`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// For the timeline's row: `48% · ETA 21s`, or what it waits for.
pub(super) fn backfill_short(b: &BackfillProgress) -> String {
    let pct = b.fraction().map_or_else(
        || format!("{} rows", count(b.rows_done)),
        |f| format!("{:.0}%", f * 100.0),
    );
    if b.held {
        return format!("{pct} · held");
    }
    if b.throttled.is_some() {
        return format!("{pct} · waiting");
    }
    match b.eta() {
        Some(eta) => format!("{pct} · ETA {}", fmt::dur(eta)),
        None => pct,
    }
}

/// For the step detail: the bar and figures, the wait, and the keys that change it.
pub(super) fn backfill_lines(
    b: &BackfillProgress,
    now: DateTime<Utc>,
    width: usize,
    running: bool,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let bar_w = width.saturating_sub(8).clamp(10, 40);
    let filled = b
        .fraction()
        .map_or(0, |f| ((f * bar_w as f64).round() as usize).min(bar_w));
    let mut bar = vec![Span::styled(
        "█".repeat(filled),
        Style::new().fg(Color::Cyan),
    )];
    bar.push(Span::styled("░".repeat(bar_w - filled), dim()));
    if let Some(f) = b.fraction() {
        bar.push(Span::raw(format!(" {:.0}%", f * 100.0)));
    }
    lines.push(Line::from(bar));
    let mut figures = vec![match b.total_estimate {
        Some(t) => format!("{} of ~{} rows", count(b.rows_done), count(t)),
        None => format!("{} rows", count(b.rows_done)),
    }];
    figures.push(format!("{} batches", count(u64::from(b.batches))));
    if let Some(rate) = b.rate() {
        figures.push(format!("{} rows/s", count(rate.round() as u64)));
    }
    if let Some(eta) = b.eta().filter(|_| running) {
        figures.push(format!("ETA {}", fmt::dur(eta)));
    }
    figures.push(format!("next batch {}", count(u64::from(b.batch_size))));
    if let Some(lag) = b.max_replica_lag_ms {
        figures.push(format!("lag mark {}", crate::narration::ms(lag)));
    }
    lines.push(Line::raw(figures.join(" · ")));
    if let Some((since, reason)) = &b.throttled {
        lines.push(Line::styled(
            format!(
                "⏸ waiting {}: {reason}",
                fmt::dur(fmt::between(*since, now))
            ),
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        ));
    }
    if b.throttled_ms > 0 {
        lines.push(Line::styled(
            format!(
                "waited {} in all for the server's health",
                crate::narration::ms(b.throttled_ms)
            ),
            dim(),
        ));
    }
    if running {
        lines.push(Line::styled(
            format!(
                "{} {} · {}/{} batch size ×2/÷2 · {}/{} lag mark ×2/÷2",
                bindings::key(Context::Run, Act::BackfillHold),
                if b.held { "let it go on" } else { "hold" },
                bindings::key(Context::Run, Act::BackfillBigger),
                bindings::key(Context::Run, Act::BackfillSmaller),
                bindings::key(Context::Run, Act::BackfillLagUp),
                bindings::key(Context::Run, Act::BackfillLagDown),
            ),
            dim(),
        ));
    }
    lines
}
