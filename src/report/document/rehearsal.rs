//! The run against its rehearsal on a copy (`cutover run --against`): the schema then and
//! now, each step's time there and here, and the checks whose result changed.

use super::super::doc::{Block, Item, Section, Spans, bad, code, plain, text};
use super::super::model::Report;
use super::super::text::{dur, signed_dur};
use super::bad_if;

/// A difference of a second or more, and half the rehearsal's time again, is flagged.
fn notable(rehearsal_ms: u64, difference_ms: i64) -> bool {
    difference_ms >= 1_000 && difference_ms.unsigned_abs() * 2 >= rehearsal_ms
}

pub(super) fn section(r: &Report) -> Option<Section> {
    let c = r.rehearsal.as_ref()?;
    let schema: Spans = if c.drift.is_empty() {
        vec![plain(format!(
            "as rehearsed (fingerprint {})",
            c.fingerprint.get(..12).unwrap_or(&c.fingerprint)
        ))]
    } else {
        let mut spans = vec![bad(vec![plain(format!(
            "differed from the rehearsal's start in {} object(s)",
            c.drift.len()
        ))])];
        if let Some(who) = &c.drift_accepted_by {
            spans.extend([
                plain("; accepted by "),
                text(who),
                plain(" (--accept-drift)"),
            ]);
        }
        spans
    };
    let mut blocks = vec![Block::Pairs(vec![
        (
            "Rehearsal",
            vec![code(&c.run_id), plain(" ("), text(&c.record), plain(")")],
        ),
        ("Schema at the start", schema),
    ])];
    if !c.drift.is_empty() {
        blocks.push(Block::Heading(vec![plain("Drift since the rehearsal")]));
        blocks.push(Block::List(
            c.drift.iter().map(|d| Item::new(vec![text(d)])).collect(),
        ));
    }
    blocks.push(Block::Table {
        headers: vec!["Step", "Rehearsal", "Data here", "Production", "Difference"],
        rows: c
            .steps
            .iter()
            .map(|s| {
                let difference = match (s.rehearsal_ms, s.difference_ms) {
                    (Some(rehearsed), Some(d)) => {
                        bad_if(notable(rehearsed, d), vec![plain(signed_dur(d))])
                    }
                    _ => Vec::new(),
                };
                vec![
                    vec![code(&s.step)],
                    s.rehearsal_ms
                        .map(|ms| vec![plain(dur(ms))])
                        .unwrap_or_default(),
                    s.data_factor
                        .map(|f| vec![plain(format!("×{f:.1}"))])
                        .unwrap_or_default(),
                    s.production_ms
                        .map(|ms| vec![plain(dur(ms))])
                        .unwrap_or_default(),
                    difference,
                ]
            })
            .collect(),
    });
    blocks.push(if c.checks_changed.is_empty() {
        Block::Para(vec![plain(
            "Every check that ran gave the same verdict as on the rehearsal.",
        )])
    } else {
        Block::List(
            c.checks_changed
                .iter()
                .map(|ch| {
                    let verdict = |passed: bool| if passed { "passed" } else { "failed" };
                    Item::new(vec![
                        code(&ch.step),
                        plain(" "),
                        bad(vec![plain(format!(
                            "{} on the rehearsal, {} here",
                            verdict(ch.rehearsal_passed),
                            verdict(ch.passed)
                        ))]),
                        plain(": it read "),
                        code(&ch.rehearsal_actual),
                        plain(" there, "),
                        code(&ch.actual),
                        plain(" here"),
                    ])
                })
                .collect(),
        )
    });
    Some(Section {
        id: "rehearsal",
        title: "Rehearsal against production",
        blocks,
    })
}
