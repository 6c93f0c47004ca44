//! The report's one document: what each section shows, in what order, and what it
//! emphasises. Markdown and HTML render it (`super::markdown`, `super::html`); neither
//! decides what to show.

mod decisions;
mod environment;
mod rehearsal;
mod steps;
mod stops;
mod summary;
mod timeline;
mod verification;

use super::doc::{Callout, Document, Section, Spans, Tone, bad, code, joined, plain, text};
use super::model::Report;
use super::text::Clock;

/// The document for `r`, its times written on `clock`.
pub fn build(r: &Report) -> Document {
    let clock = Clock::new(r);
    let title = r
        .summary
        .title
        .as_deref()
        .or(r.summary.runbook.as_deref())
        .unwrap_or("unknown runbook")
        .to_owned();
    let mut sections = vec![
        summary::section(r, clock),
        decisions::section(r, clock),
        timeline::section(r, clock),
        steps::section(r, clock),
    ];
    sections.extend(rehearsal::section(r));
    sections.extend([
        verification::checks(r, clock),
        verification::monitoring(r, clock),
        stops::section(r, clock),
        environment::section(r, clock),
    ]);
    sections.extend(verification::check_sql(r));
    Document {
        title,
        callouts: callouts(r, clock),
        sections,
    }
}

fn callouts(r: &Report, clock: Clock) -> Vec<Callout> {
    use super::model::RunOutcome;
    let mut out = Vec::new();
    match r.summary.outcome {
        RunOutcome::Succeeded => {}
        RunOutcome::Incomplete => out.push(Callout {
            tone: Tone::Bad,
            spans: r.outcome_spans(),
            note: None,
        }),
        _ => {
            let mut spans = vec![plain("Outcome: ")];
            spans.extend(r.outcome_spans());
            out.push(Callout {
                tone: Tone::Bad,
                spans,
                note: None,
            });
        }
    }
    if let Some(cap) = r.rehearsal_cap() {
        out.push(Callout {
            tone: Tone::Warn,
            spans: vec![
                plain(format!(
                    "Rehearsal: each monitoring phase was capped at {} (",
                    crate::runbook::duration::format(cap)
                )),
                code("--monitor-for"),
                plain("); these are not a real window's times."),
            ],
            note: None,
        });
    }
    for (cp, d) in r.overrides() {
        let mut spans = vec![
            plain("⚠ OVERRIDE: "),
            text(&d.operator),
            plain(" said go at "),
            code(&cp.step),
            plain(format!(
                " ({}) although critical checks had failed: ",
                clock.time(d.at)
            )),
        ];
        spans.extend(joined(d.overrode_failed_checks.iter().map(code), ", "));
        spans.push(plain("."));
        out.push(Callout {
            tone: Tone::Warn,
            spans,
            note: d
                .comment
                .as_ref()
                .map(|c| vec![plain("Their reason: “"), text(c), plain("”")]),
        });
    }
    out
}

/// `spans` in bold when `when`, else as they are.
fn bad_if(when: bool, spans: Spans) -> Spans {
    if when { vec![bad(spans)] } else { spans }
}

/// A section with nothing to show but a sentence saying so.
fn empty(id: &'static str, title: &'static str, sentence: &str) -> Section {
    Section {
        id,
        title,
        blocks: vec![super::doc::Block::Para(vec![plain(sentence)])],
    }
}
