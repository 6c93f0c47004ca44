//! Rollbacks, aborts and cancellations.

use super::super::doc::{Block, Item, Section, Spans, bad, code, joined, plain, text};
use super::super::model::Report;
use super::super::text::{self as words, Clock};

pub(super) fn section(r: &Report, clock: Clock) -> Section {
    const ID: &str = "stops";
    const TITLE: &str = "Rollbacks, aborts and cancellations";
    if r.rollbacks.is_empty() && r.aborts.is_empty() && r.cancellations.is_empty() {
        return super::empty(ID, TITLE, "None.");
    }
    let mut blocks = Vec::new();
    for rb in &r.rollbacks {
        let mut heading = vec![plain(format!("Rollback at {}", clock.time(rb.started_at)))];
        match (&rb.checkpoint, &rb.failed_step) {
            (Some(cp), _) => heading.extend([plain(" after the no-go at "), code(cp)]),
            (None, Some(step)) => {
                heading.extend([plain(" after "), code(step), plain(" failed")]);
            }
            (None, None) => {}
        }
        blocks.push(Block::Heading(heading));
        if rb.planned.is_empty() {
            blocks.push(Block::Para(vec![plain(
                "Nothing to undo: no migration of this run was applied.",
            )]));
        } else {
            let mut planned = vec![plain("Planned, in order: ")];
            planned.extend(joined(rb.planned.iter().map(code), ", "));
            planned.push(plain("."));
            blocks.push(Block::Para(planned));
            let mut rows: Vec<Vec<Spans>> = rb
                .results
                .iter()
                .map(|res| {
                    let error: Spans = res
                        .error
                        .as_ref()
                        .map(|e| {
                            let mut t = vec![text(words::error_head(e))];
                            if let Some(d) = &e.detail {
                                t.extend([plain("; detail: "), text(d)]);
                            }
                            if let Some(h) = &e.hint {
                                t.extend([plain("; hint: "), text(h)]);
                            }
                            if let Some(at) = words::error_location(e) {
                                t.extend([plain(" at "), code(at)]);
                            }
                            t
                        })
                        .unwrap_or_default();
                    vec![
                        vec![code(&res.step)],
                        vec![plain(clock.time(res.at))],
                        match (&res.left_applied, res.ok) {
                            (_, true) => vec![plain("undone")],
                            (Some(_), false) => vec![bad(vec![plain("left applied")])],
                            (None, false) => vec![bad(vec![plain("FAILED")])],
                        },
                        res.left_applied
                            .as_deref()
                            .map_or(error, |why| vec![text(why)]),
                    ]
                })
                .collect();
            for p in &rb.planned {
                if !rb.results.iter().any(|res| &res.step == p) {
                    rows.push(vec![
                        vec![code(p)],
                        Vec::new(),
                        vec![bad(vec![plain("not attempted")])],
                        Vec::new(),
                    ]);
                }
            }
            blocks.push(Block::Table {
                headers: vec!["Step", "At", "Result", "Error"],
                rows,
            });
        }
        blocks.push(Block::Para(if rb.complete {
            vec![plain("Every planned step was undone.")]
        } else {
            vec![bad(vec![plain(words::rollback_gap(rb))])]
        }));
    }
    if !r.aborts.is_empty() {
        blocks.push(Block::Heading(vec![plain("Aborts")]));
        blocks.push(Block::List(
            r.aborts
                .iter()
                .map(|a| {
                    let mut spans = vec![plain(format!("{} — aborted", clock.time(a.at)))];
                    if let Some(cp) = &a.checkpoint {
                        spans.extend([plain(" at the no-go of "), code(cp)]);
                    }
                    if let Some(m) = &a.message {
                        spans.extend([plain(": "), text(m)]);
                    }
                    Item::new(spans)
                })
                .collect(),
        ));
    }
    if !r.cancellations.is_empty() {
        blocks.push(Block::Heading(vec![plain("Cancellations")]));
        blocks.push(Block::List(
            r.cancellations
                .iter()
                .map(|c| {
                    let mut spans =
                        vec![plain(format!("{} — ", clock.time(c.at))), text(&c.reason)];
                    if let Some(s) = &c.step {
                        spans.extend([plain(" (during "), code(s), plain(")")]);
                    }
                    Item::new(spans)
                })
                .collect(),
        ));
    }
    Section {
        id: ID,
        title: TITLE,
        blocks,
    }
}
