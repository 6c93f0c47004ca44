//! The report as Markdown (GitHub-flavoured), with the timeline as a Mermaid `gantt` block:
//! a rendering of [`document::build`]'s one document.
//!
//! Every piece of journal text is escaped: free text with backslashes, identifiers and SQL
//! in code spans, and pipes inside table cells.

use super::doc::{Block, Callout, Item, Section, Span};
use super::document;
use super::model::Report;
use super::text::{self, Tone};
use std::fmt::Write;

/// Renders the whole report.
pub fn render(r: &Report) -> String {
    let doc = document::build(r);
    let mut out = String::new();
    line(
        &mut out,
        &format!("# Post-migration report: {}", esc(&doc.title)),
    );
    out.push('\n');
    callouts(&mut out, &doc.callouts);
    for section in &doc.sections {
        write_section(&mut out, r, section);
    }
    let end = out.trim_end_matches('\n').len();
    out.truncate(end);
    out.push('\n');
    out
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// Spans as Markdown: emphasis is bold, journal text escaped, identifiers in code spans.
fn spans(parts: &[Span]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Span::Plain(t) => out.push_str(t),
            Span::Text(t) => out.push_str(&esc(t)),
            Span::Code(t) => out.push_str(&code(t)),
            Span::Tick(ticked) => out.push_str(if *ticked { "[x]" } else { "[ ]" }),
            Span::Strong(inner) | Span::Bad(inner) => {
                let _ = write!(out, "**{}**", spans(inner));
            }
            Span::Good(inner) | Span::Muted(inner) => out.push_str(&spans(inner)),
            Span::Emph(inner) => {
                let _ = write!(out, "_{}_", spans(inner));
            }
        }
    }
    out
}

fn callouts(out: &mut String, callouts: &[Callout]) {
    for (i, c) in callouts.iter().enumerate() {
        if i > 0 {
            line(out, ">");
        }
        line(out, &format!("> **{}**", spans(&c.spans)));
        if let Some(note) = &c.note {
            line(out, &format!("> {}", spans(note)));
        }
    }
    if !callouts.is_empty() {
        out.push('\n');
    }
}

fn write_section(out: &mut String, r: &Report, section: &Section) {
    line(out, &format!("## {}", section.title));
    out.push('\n');
    for block in &section.blocks {
        match block {
            Block::Heading(s) => line(out, &format!("### {}", spans(s))),
            Block::Para(s) | Block::Note(s) => line(out, &spans(s)),
            Block::Table { headers, rows } => {
                header(out, headers);
                for cells in rows {
                    row(out, cells.iter().map(|c| spans(c)));
                }
            }
            Block::Pairs(pairs) => {
                header(out, &["", ""]);
                for (label, value) in pairs {
                    row(out, [(*label).to_owned(), spans(value)].into_iter());
                }
            }
            Block::List(items) => {
                for item in items {
                    list_item(out, item);
                }
            }
            Block::Sql(sql) => {
                let fence = if sql.contains("```") { "~~~~" } else { "```" };
                line(out, &format!("{fence}sql"));
                line(out, sql);
                line(out, fence);
            }
            Block::Timeline => match gantt(r) {
                Some(g) => {
                    line(out, "```mermaid");
                    out.push_str(&g);
                    line(out, "```");
                }
                None => continue,
            },
        }
        out.push('\n');
    }
}

fn list_item(out: &mut String, item: &Item) {
    line(out, &format!("- {}", spans(&item.spans)));
    for sub in &item.sub {
        line(out, &format!("  - {}", spans(sub)));
    }
    if let Some(text) = &item.output {
        out.push('\n');
        fenced(out, "  ", text);
    }
}

/// A table row; pipes inside cells are escaped (GFM honours `\|` even inside code spans).
fn row(out: &mut String, cells: impl Iterator<Item = String>) {
    out.push('|');
    for c in cells {
        out.push(' ');
        if c.is_empty() {
            out.push('—');
        } else {
            out.push_str(&c.replace('|', "\\|"));
        }
        out.push_str(" |");
    }
    out.push('\n');
}

fn header(out: &mut String, cells: &[&str]) {
    out.push('|');
    for c in cells {
        out.push_str(&format!(" {c} |"));
    }
    out.push('\n');
    out.push('|');
    for _ in cells {
        out.push_str("---|");
    }
    out.push('\n');
}

/// Free text: Markdown punctuation and HTML are escaped, line breaks become spaces.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Intraword underscores (`rolled_back`) never emphasise; only edges need it.
            '_' => {
                let inner = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                if !(inner(i.checked_sub(1)) && inner(Some(i + 1))) {
                    out.push('\\');
                }
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span that survives any backticks and pipes inside it.
pub fn code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in flat.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || flat.starts_with(' ') || flat.ends_with(' ') {
        format!("{fence} {flat} {fence}")
    } else {
        format!("{fence}{flat}{fence}")
    }
}

/// A fenced block for multi-line text (command output).
fn fenced(out: &mut String, indent: &str, content: &str) {
    let mut longest = 2;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    line(out, &format!("{indent}{fence}text"));
    for l in content.trim_end_matches('\n').lines() {
        line(out, &format!("{indent}{l}"));
    }
    line(out, &format!("{indent}{fence}"));
}

/// Mermaid task names may not hold `:` (it ends the name), `#` or `;` (they start comments
/// and entities), nor start with a keyword; anything unusual becomes `_`.
pub fn mermaid_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_control() || ":#;%<>&`\"\\{}".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name.trim().to_owned();
    if name.is_empty() {
        name = "_".into();
    }
    let first = name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    const KEYWORDS: [&str; 14] = [
        "gantt",
        "title",
        "section",
        "dateformat",
        "axisformat",
        "tickinterval",
        "excludes",
        "includes",
        "todaymarker",
        "inclusiveenddates",
        "topaxis",
        "weekday",
        "click",
        "accdescr",
    ];
    if KEYWORDS.iter().any(|k| first.starts_with(k)) {
        name = format!("step {name}");
    }
    name
}

/// The phases and steps' actual times as a Mermaid gantt chart (without the fence); with a
/// journaled plan each phase also gets its planned bar (untagged, so drawn in the default
/// colour) right above its actual one.
pub fn gantt(r: &Report) -> Option<String> {
    let sections = text::timeline(r);
    if sections.is_empty() {
        return None;
    }
    let fmt = "%Y-%m-%dT%H:%M:%S";
    let mut g = String::new();
    line(&mut g, "gantt");
    if let Some(t) = r.summary.title.as_deref().or(r.summary.runbook.as_deref()) {
        line(&mut g, &format!("    title {}", mermaid_name(t)));
    }
    line(&mut g, "    dateFormat YYYY-MM-DDTHH:mm:ss");
    line(&mut g, "    axisFormat %H:%M");
    line(&mut g, "    todayMarker off");
    let mut id = 0;
    // Each actual phase bar ends where the next begins: rounding to whole seconds must not
    // draw two phases at once.
    let actual_phase = |lane: &text::Lane| lane.is_phase && lane.tone != Tone::Planned;
    let phase_starts: Vec<Option<i64>> = sections
        .iter()
        .map(|s| {
            s.lanes
                .iter()
                .find(|l| actual_phase(l))
                .map(|l| l.start.timestamp())
        })
        .collect();
    for (k, section) in sections.into_iter().enumerate() {
        line(
            &mut g,
            &format!("    section {}", mermaid_name(&section.title)),
        );
        let next_phase = phase_starts.iter().skip(k + 1).flatten().next().copied();
        for lane in section.lanes {
            id += 1;
            // Whole seconds: a sub-second step still gets a visible one-second bar.
            let start = lane.start.format(fmt).to_string();
            let start_s = lane.start.timestamp();
            let mut end_s = lane.end.timestamp();
            if lane.end.timestamp_subsec_millis() > 0 {
                end_s += 1;
            }
            let mut end_s = end_s.max(start_s + 1);
            let mut milestone = false;
            if actual_phase(&lane)
                && let Some(next) = next_phase
                && next < end_s
            {
                // Over within the second the next phase began: a point, not a bar.
                milestone = next <= start_s;
                end_s = next.max(start_s);
            }
            let end = if milestone {
                "0s".to_owned()
            } else {
                chrono::DateTime::from_timestamp(end_s, 0)
                    .unwrap_or(lane.end)
                    .format(fmt)
                    .to_string()
            };
            let tag = match (milestone, lane.tone) {
                (true, _) => "milestone, ",
                (_, Tone::Bad) => "crit, ",
                (_, Tone::Open) => "active, ",
                (_, Tone::Done) => "done, ",
                (_, Tone::Planned) => "",
            };
            line(
                &mut g,
                &format!(
                    "    {} :{tag}t{id}, {start}, {end}",
                    mermaid_name(&lane.label)
                ),
            );
        }
    }
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("x | y"), "`x | y`");
        assert_eq!(code("l1\nl2"), "`l1 l2`");
    }

    #[test]
    fn free_text_is_escaped() {
        assert_eq!(esc("<script>*x*_y_"), "\\<script\\>\\*x\\*\\_y\\_");
        assert_eq!(esc("rolled_back _x"), "rolled_back \\_x");
    }

    #[test]
    fn mermaid_names_lose_colons_hashes_and_keywords() {
        assert_eq!(mermaid_name("a:b#c;d"), "a_b_c_d");
        assert_eq!(mermaid_name("section x"), "step section x");
        assert_eq!(mermaid_name("001_add"), "001_add");
    }
}
