//! Environment: versions, the runbook's checksum, the journal, the attempts.

use super::super::doc::{Block, Item, Section, Span, Spans, code, plain, text};
use super::super::model::Report;
use super::super::text::Clock;

pub(super) fn section(r: &Report, clock: Clock) -> Section {
    let e = &r.environment;
    let j = &r.journal;
    let mut journal: Spans = Vec::new();
    if let Some(file) = &j.file {
        journal.extend([code(file), plain(", ")]);
    }
    let mut counts = format!("{} entries", j.entries);
    if let (Some(a), Some(b)) = (j.first_seq, j.last_seq) {
        counts.push_str(&format!(" (seq {a}–{b})"));
    }
    if !j.unreadable_lines.is_empty() {
        let lines: Vec<String> = j.unreadable_lines.iter().map(|n| n.to_string()).collect();
        counts.push_str(&format!("; unreadable line(s): {}", lines.join(", ")));
    }
    journal.push(plain(counts));
    let mut blocks = vec![Block::Pairs(vec![
        ("PostgreSQL", e.server_version.iter().map(text).collect()),
        ("cutover", e.cutover_version.iter().map(text).collect()),
        (
            "Runbook checksum (SHA-256)",
            e.runbook_checksum.iter().map(code).collect(),
        ),
        ("Journal", journal),
    ])];
    if r.segments.len() > 1 {
        blocks.push(Block::Heading(vec![plain("Attempts")]));
        blocks.push(Block::Table {
            headers: vec![
                "#",
                "Started",
                "Ended",
                "Operator",
                "Outcome",
                "Hard end",
                "PostgreSQL",
                "cutover",
            ],
            rows: r
                .segments
                .iter()
                .map(|s| {
                    vec![
                        vec![plain(format!(
                            "{}{}",
                            s.index,
                            if s.resumed { " (resumed)" } else { "" }
                        ))],
                        vec![plain(clock.time(s.started_at))],
                        vec![plain(clock.time(s.ended_at))],
                        vec![text(&s.operator)],
                        vec![plain(s.outcome.as_str())],
                        s.hard_end
                            .map(|t| vec![plain(clock.time(t))])
                            .unwrap_or_default(),
                        vec![text(&s.server_version)],
                        vec![text(&s.cutover_version)],
                    ]
                })
                .collect(),
        });
    }
    if !r.warnings.is_empty() {
        blocks.push(Block::Heading(vec![plain("Journal warnings")]));
        blocks.push(Block::List(
            r.warnings
                .iter()
                .map(|w| Item::new(vec![text(w)]))
                .collect(),
        ));
    }
    blocks.push(Block::Note(vec![Span::Emph(vec![plain(format!(
        "Built from the journal alone (report schema version {}).",
        r.schema_version
    ))])]));
    Section {
        id: "environment",
        title: "Environment",
        blocks,
    }
}
