//! The report as one self-contained HTML page: inline CSS, the timeline as inline SVG, no
//! scripts and no external resources, so it can be attached to a ticket or mailed as is. It
//! renders [`document::build`]'s one document; every piece of text goes through [`escape`].

use super::doc::{Block, Callout, Item, Section, Span, Tone as Emphasis};
use super::document;
use super::model::{Report, Timestamp};
use super::text::{self, Clock, Tone};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", escape(text))
}

/// Spans as HTML: failures and passes in their colours, every word escaped.
fn spans(parts: &[Span]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Span::Plain(t) | Span::Text(t) => out.push_str(&escape(t)),
            Span::Code(t) => out.push_str(&code(t)),
            Span::Tick(ticked) => out.push_str(if *ticked { "☑" } else { "☐" }),
            Span::Strong(inner) => out.push_str(&format!("<strong>{}</strong>", spans(inner))),
            Span::Bad(inner) => {
                out.push_str(&format!("<span class=\"fail\">{}</span>", spans(inner)))
            }
            Span::Good(inner) => {
                out.push_str(&format!("<span class=\"pass\">{}</span>", spans(inner)))
            }
            Span::Muted(inner) => {
                out.push_str(&format!("<span class=\"muted\">{}</span>", spans(inner)))
            }
            Span::Emph(inner) => out.push_str(&format!("<em>{}</em>", spans(inner))),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; } h3 { margin-bottom: .4em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .92em; }
th, td { border: 1px solid #d0d0d0; padding: .25em .55em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.kv th { width: 18em; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; background: #f5f5f5; padding: 0 .2em; border-radius: 3px; word-break: break-word; }
pre { background: #f5f5f5; padding: .6em; overflow-x: auto; }
.callout { border-left: 6px solid; padding: .6em 1em; margin: 1em 0; font-weight: 600; }
.callout.bad { border-color: #c0392b; background: #fdecea; }
.callout.warn { border-color: #e0a030; background: #fff6e0; }
.fail { color: #b0281a; font-weight: 700; }
.pass { color: #2e7d4f; }
.muted { color: #666; }
svg text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; fill: #1d1d1f; }
svg text.phase { font-weight: 700; }
svg text.tick { fill: #666; }
svg line.grid { stroke: #e2e2e2; }
svg line.hardend { stroke: #c0392b; stroke-dasharray: 4 3; } svg text.hardend { fill: #c0392b; }
svg rect.done { fill: #4c9a6a; } svg rect.bad { fill: #c0392b; } svg rect.open { fill: #e0a030; }
svg rect.phase { opacity: .45; }
svg rect.planned { fill: #dde4f0; stroke: #4a5f86; stroke-width: 1; stroke-dasharray: 4 2; }
";

/// Renders the whole report as an HTML document.
pub fn render(r: &Report) -> String {
    let doc = document::build(r);
    let title = escape(&doc.title);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>Post-migration report: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    ));
    out.push_str(&format!("<h1>Post-migration report: {title}</h1>\n"));
    for c in &doc.callouts {
        callout(&mut out, c);
    }
    for section in &doc.sections {
        write_section(&mut out, r, section);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn callout(out: &mut String, c: &Callout) {
    let class = match c.tone {
        Emphasis::Bad => "bad",
        Emphasis::Warn => "warn",
    };
    let note = c
        .note
        .as_ref()
        .map(|n| format!(" {}", spans(n)))
        .unwrap_or_default();
    out.push_str(&format!(
        "<div class=\"callout {class}\">{}{note}</div>\n",
        spans(&c.spans)
    ));
}

fn write_section(out: &mut String, r: &Report, section: &Section) {
    out.push_str(&format!(
        "<section id=\"{}\">\n<h2>{}</h2>\n",
        section.id,
        escape(section.title)
    ));
    for block in &section.blocks {
        match block {
            Block::Heading(s) => out.push_str(&format!("<h3>{}</h3>\n", spans(s))),
            Block::Para(s) => out.push_str(&format!("<p>{}</p>\n", spans(s))),
            Block::Note(s) => out.push_str(&format!("<p class=\"muted\">{}</p>\n", spans(s))),
            Block::Table { headers, rows } => {
                let rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|cells| cells.iter().map(|c| spans(c)).collect())
                    .collect();
                table(out, None, headers, &rows);
            }
            Block::Pairs(pairs) => {
                let rows: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, spans(v))).collect();
                kv(out, &rows);
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    list_item(out, item);
                }
                out.push_str("</ul>\n");
            }
            Block::Sql(sql) => out.push_str(&format!("<pre><code>{}</code></pre>\n", escape(sql))),
            Block::Timeline => out.push_str(&svg(r)),
        }
    }
    out.push_str("</section>\n");
}

fn list_item(out: &mut String, item: &Item) {
    out.push_str(&format!("<li>{}", spans(&item.spans)));
    if !item.sub.is_empty() {
        out.push_str("<ul>\n");
        for sub in &item.sub {
            out.push_str(&format!("<li>{}</li>\n", spans(sub)));
        }
        out.push_str("</ul>");
    }
    if let Some(text) = &item.output {
        out.push_str(&format!(
            "<pre>{}</pre>",
            escape(text.trim_end_matches('\n'))
        ));
    }
    out.push_str("</li>\n");
}

fn table(out: &mut String, class: Option<&str>, headers: &[&str], rows: &[Vec<String>]) {
    match class {
        Some(c) => out.push_str(&format!("<table class=\"{c}\">\n")),
        None => out.push_str("<table>\n"),
    }
    if !headers.is_empty() {
        out.push_str("<tr>");
        for h in headers {
            out.push_str(&format!("<th>{}</th>", escape(h)));
        }
        out.push_str("</tr>\n");
    }
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            if cell.is_empty() {
                out.push_str("<td class=\"muted\">—</td>");
            } else {
                out.push_str(&format!("<td>{cell}</td>"));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// A key/value table: the keys are plain text, the values HTML.
fn kv(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let v = if v.is_empty() {
            "<span class=\"muted\">—</span>".to_owned()
        } else {
            v.clone()
        };
        out.push_str(&format!("<tr><th>{}</th><td>{v}</td></tr>\n", escape(k)));
    }
    out.push_str("</table>\n");
}

const WIDTH: f64 = 980.0;
const LABEL: f64 = 300.0;
const PLOT: f64 = WIDTH - LABEL - 24.0;
const ROW: f64 = 20.0;
const TOP: f64 = 28.0;

/// The timeline as an inline SVG gantt chart: one row per phase and per step, actual times.
pub fn svg(r: &Report) -> String {
    let sections = text::timeline(r);
    let Some(t0) = sections
        .iter()
        .flat_map(|s| s.lanes.iter().map(|l| l.start))
        .min()
    else {
        return String::new();
    };
    let mut t1 = sections
        .iter()
        .flat_map(|s| s.lanes.iter().map(|l| l.end))
        .max()
        .unwrap_or(t0);
    // Show the hard end too when it is not far past the last bar.
    if let Some(end) = r.summary.window.planned_end
        && end > t1
        && (end - t1) * 2 <= (t1 - t0)
    {
        t1 = end;
    }
    let span_ms = ((t1 - t0).num_milliseconds()).max(1000) as f64;
    let x = |t: Timestamp| LABEL + ((t - t0).num_milliseconds() as f64 / span_ms) * PLOT;
    let rows: usize = sections.iter().map(|s| s.lanes.len()).sum();
    let height = TOP + rows as f64 * ROW + (sections.len() as f64) * 6.0 + 10.0;
    let planned = r.plan.is_some();
    let clock = Clock::new(r);
    let (aria, what) = if planned {
        (
            "Timeline of phases and steps, planned against actual",
            format!("planned against actual times, {}", clock.zone_name()),
        )
    } else {
        (
            "Timeline of phases and steps",
            format!("actual times, {}", clock.zone_name()),
        )
    };
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"{aria}\" width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\">\n"
    );
    out.push_str(&format!(
        "<title>Timeline of phases and steps ({what})</title>\n"
    ));
    if planned {
        out.push_str(&format!(
            "<rect class=\"planned\" x=\"8\" y=\"{:.1}\" width=\"14\" height=\"10\" rx=\"2\"/><text x=\"26\" y=\"{:.1}\">planned</text>\n<rect class=\"done\" x=\"90\" y=\"{:.1}\" width=\"14\" height=\"10\" rx=\"2\"/><text x=\"108\" y=\"{:.1}\">actual</text>\n",
            TOP - 20.0,
            TOP - 11.0,
            TOP - 20.0,
            TOP - 11.0
        ));
    }

    // Time axis: a "nice" tick interval giving at most about eight ticks.
    let steps_s: [i64; 16] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200,
    ];
    let span_s = (span_ms / 1000.0).ceil() as i64;
    let tick = steps_s
        .iter()
        .copied()
        .find(|s| span_s / s <= 8)
        .unwrap_or(86_400);
    let fmt = if tick < 60 { "%H:%M:%S" } else { "%H:%M" };
    let mut t = (t0.timestamp() + tick - 1).div_euclid(tick) * tick;
    while t <= t1.timestamp() {
        if let Some(ts) = chrono::DateTime::from_timestamp(t, 0) {
            let px = x(ts);
            out.push_str(&format!(
                "<line class=\"grid\" x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\"/>\n",
                TOP - 6.0,
                height - 6.0
            ));
            out.push_str(&format!(
                "<text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
                TOP - 10.0,
                ts.with_timezone(&clock.zone()).format(fmt)
            ));
        }
        t += tick;
    }
    if let Some(end) = r.summary.window.planned_end
        && end >= t0
        && end <= t1
    {
        let px = x(end);
        out.push_str(&format!(
            "<line class=\"hardend\" x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\"><title>hard end {}</title></line>\n",
            TOP - 6.0,
            height - 6.0,
            escape(&clock.full(end))
        ));
        out.push_str(&format!(
            "<text class=\"hardend\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">hard end</text>\n",
            px - 3.0,
            height - 9.0
        ));
    }

    let mut y = TOP;
    for section in &sections {
        y += 6.0;
        for lane in &section.lanes {
            let class = match lane.tone {
                Tone::Done => "done",
                Tone::Bad => "bad",
                Tone::Open => "open",
                Tone::Planned => "planned",
            };
            let phase = if lane.is_phase { " phase" } else { "" };
            // A planned box is drawn in full, not faded like an actual phase bar.
            let bar_phase = if lane.tone == Tone::Planned {
                ""
            } else {
                phase
            };
            let label: String = if lane.label.chars().count() > 42 {
                let mut l: String = lane.label.chars().take(41).collect();
                l.push('…');
                l
            } else {
                lane.label.clone()
            };
            let indent = if lane.is_phase { 0.0 } else { 12.0 };
            out.push_str(&format!(
                "<text class=\"lbl{phase}\" x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
                8.0 + indent,
                y + ROW * 0.68,
                escape(&label)
            ));
            let x0 = x(lane.start);
            let w = (x(lane.end) - x0).max(2.0);
            let (bar_y, bar_h) = if lane.is_phase {
                (y + 2.0, ROW - 4.0)
            } else {
                (y + 4.0, ROW - 8.0)
            };
            out.push_str(&format!(
                "<rect class=\"{class}{bar_phase}\" x=\"{x0:.1}\" y=\"{bar_y:.1}\" width=\"{w:.1}\" height=\"{bar_h:.1}\" rx=\"2\"><title>{} — {} to {}</title></rect>\n",
                escape(&lane.detail),
                lane.start.format("%H:%M:%S"),
                lane.end.format("%H:%M:%S")
            ));
            y += ROW;
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
