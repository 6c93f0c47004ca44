//! Verification, monitoring, and the checks' SQL.

use super::super::doc::{Block, Item, Section, Span, bad, code, plain, text};
use super::super::model::{CheckSeverity, Report};
use super::super::text::{Clock, dur, num};
use super::bad_if;
use super::summary::non_empty;

pub(super) fn checks(r: &Report, clock: Clock) -> Section {
    if r.checks.is_empty() {
        return super::empty("verification", "Verification", "No check ran.");
    }
    let several = r.segments.len() > 1;
    let mut headers = vec!["Check"];
    if several {
        headers.push("Attempt");
    }
    headers.extend(["Expected", "Actual", "Result", "Severity", "At", "Took"]);
    let rows = r
        .checks_in_runbook_order()
        .into_iter()
        .map(|(c, title)| {
            let mut cells = vec![match title {
                Some(t) => vec![code(&c.step), plain(" — "), text(t)],
                None => vec![code(&c.step)],
            }];
            if several {
                cells.push(vec![plain(c.segment.to_string())]);
            }
            cells.push(vec![code(&c.expected)]);
            cells.push(vec![code(&c.actual)]);
            cells.push(match (c.passed, c.severity) {
                (true, _) => vec![Span::Good(vec![plain("pass")])],
                (false, CheckSeverity::Critical) => vec![bad(vec![plain("FAIL")])],
                (false, CheckSeverity::Warning) => {
                    vec![bad(vec![plain("FAIL")]), plain(" (warning)")]
                }
            });
            cells.push(vec![plain(c.severity.as_str())]);
            cells.push(vec![plain(clock.time(c.at))]);
            cells.push(vec![plain(dur(c.duration_ms))]);
            cells
        })
        .collect();
    let mut blocks = vec![Block::Table { headers, rows }];
    let kept: Vec<Item> = r
        .checks_kept()
        .map(|(step, why)| Item::new(vec![code(step), plain(" kept, not run again: "), text(why)]))
        .collect();
    if !kept.is_empty() {
        blocks.push(Block::List(kept));
    }
    Section {
        id: "verification",
        title: "Verification",
        blocks,
    }
}

pub(super) fn monitoring(r: &Report, clock: Clock) -> Section {
    let mut blocks = Vec::new();
    if r.probes.is_empty() {
        blocks.push(Block::Para(vec![plain("No probe was sampled.")]));
    } else {
        blocks.push(Block::Table {
            headers: vec![
                "Probe", "Samples", "Min", "Mean", "Max", "Last", "Alerts", "From", "To",
            ],
            rows: r
                .probes
                .iter()
                .map(|p| {
                    vec![
                        vec![code(&p.step)],
                        vec![plain(if p.null_samples > 0 {
                            format!("{} ({} without a value)", p.samples, p.null_samples)
                        } else {
                            p.samples.to_string()
                        })],
                        non_empty(p.min.map(num).unwrap_or_default()),
                        non_empty(p.mean.map(num).unwrap_or_default()),
                        non_empty(p.max.map(num).unwrap_or_default()),
                        p.last.iter().map(code).collect(),
                        bad_if(p.alerts > 0, vec![plain(p.alerts.to_string())]),
                        vec![plain(clock.time(p.first_at))],
                        vec![plain(clock.time(p.last_at))],
                    ]
                })
                .collect(),
        });
    }
    if !r.alerts.is_empty() {
        blocks.push(Block::Heading(vec![plain("Alerts")]));
        blocks.push(Block::Table {
            headers: vec!["At", "Probe", "Value", "Threshold"],
            rows: r
                .alerts
                .iter()
                .map(|a| {
                    vec![
                        vec![plain(clock.time(a.at))],
                        vec![code(&a.step)],
                        vec![code(&a.value)],
                        vec![code(&a.threshold)],
                    ]
                })
                .collect(),
        });
    }
    Section {
        id: "monitoring",
        title: "Monitoring",
        blocks,
    }
}

/// Each check's SQL, for a reader checking what "passed" meant.
pub(super) fn check_sql(r: &Report) -> Option<Section> {
    let sql = r.check_sql();
    if sql.is_empty() {
        return None;
    }
    let mut blocks = Vec::new();
    for (step, text) in sql {
        blocks.push(Block::Heading(vec![code(step)]));
        blocks.push(Block::Sql(text.trim_end().to_owned()));
    }
    Some(Section {
        id: "check-sql",
        title: "Appendix: the checks' SQL",
        blocks,
    })
}
