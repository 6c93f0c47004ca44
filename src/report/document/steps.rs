//! Steps: the migrations, commands and manual steps, then what happened inside each.

use super::super::doc::{Block, Item, Section, Spans, bad, code, plain, strong, text};
use super::super::model::{
    MUCH_LONGER_FACTOR, MUCH_LONGER_MIN_MS, Report, Step, StepKind, StepStatus,
};
use super::super::text::{self as words, Clock, dur, num, times};
use super::bad_if;
use super::summary::non_empty;

fn shown_in_steps(s: &Step) -> bool {
    matches!(
        s.kind,
        StepKind::Migrate
            | StepKind::Command
            | StepKind::Manual
            | StepKind::Backfill
            | StepKind::Unknown
    )
}

pub(super) fn section(r: &Report, clock: Clock) -> Section {
    let shown: Vec<&Step> = r.steps.iter().filter(|s| shown_in_steps(s)).collect();
    if shown.is_empty() {
        return super::empty(
            "steps",
            "Steps",
            "No migration, command or manual step ran.",
        );
    }
    let planned = r.plan.is_some();
    let mut headers = vec!["Step", "Kind", "Phase", "Status", "Started", "Duration"];
    if planned {
        headers.extend(["Expected", "Elapsed"]);
    }
    headers.extend(["Attempts", "Lock retries", "Rows", "Transaction"]);
    let rows = shown
        .iter()
        .map(|s| {
            let failed = matches!(
                s.status,
                StepStatus::Failed
                    | StepStatus::Interrupted
                    | StepStatus::RollbackFailed
                    | StepStatus::NoGo
            );
            let mut cells = vec![
                vec![code(&s.id)],
                vec![plain(s.kind.as_str())],
                s.phase.iter().map(code).collect(),
                bad_if(failed, vec![plain(words::status_word(s.status))]),
                non_empty(s.started_at.map(|t| clock.time(t)).unwrap_or_default()),
                non_empty(s.duration_ms.map(dur).unwrap_or_default()),
            ];
            if planned {
                let p = r.planned_step(&s.id);
                cells.push(non_empty(p.map(|p| dur(p.expected_ms)).unwrap_or_default()));
                cells.push(
                    p.and_then(|p| {
                        let actual = p.actual_ms?;
                        Some(if p.much_longer {
                            vec![bad(vec![plain(format!(
                                "{} ({} expected)",
                                dur(actual),
                                times(actual, p.expected_ms)
                            ))])]
                        } else {
                            vec![plain(dur(actual))]
                        })
                    })
                    .unwrap_or_default(),
                );
            }
            cells.extend([
                non_empty(if s.attempts > 0 {
                    s.attempts.to_string()
                } else {
                    String::new()
                }),
                non_empty(if s.retries.is_empty() {
                    String::new()
                } else {
                    s.retries.len().to_string()
                }),
                non_empty(s.rows.map(|n| n.to_string()).unwrap_or_default()),
                non_empty(if s.attempts > 0 {
                    words::transaction(s.in_transaction, s.kind).to_owned()
                } else {
                    String::new()
                }),
            ]);
            cells
        })
        .collect();
    let mut blocks = vec![Block::Table { headers, rows }];
    if planned {
        blocks.push(Block::Note(vec![
            plain("Expected: the runbook's expected duration, as planned. Elapsed: wall time from the step's start to its end, every attempt, lock wait and retry included; "),
            bad(vec![plain("highlighted")]),
            plain(format!(
                " when at least {MUCH_LONGER_FACTOR}× the expected time and {} over it.",
                dur(MUCH_LONGER_MIN_MS)
            )),
        ]));
    }
    for s in &shown {
        blocks.extend(details(s, clock));
    }
    Section {
        id: "steps",
        title: "Steps",
        blocks,
    }
}

/// What happened inside a step, when anything did: a heading and a list.
fn details(s: &Step, clock: Clock) -> Vec<Block> {
    // A prompt or a note alone is not news: every manual step has them.
    let news = !s.notices.is_empty()
        || !s.lock_waits.is_empty()
        || !s.invalid_indexes.is_empty()
        || !s.retries.is_empty()
        || !s.errors.is_empty()
        || s.command.is_some()
        || s.skip_news().is_some()
        || s.uncertain
        || s.acknowledged_by.is_some()
        || !s.preconditions.is_empty()
        || s.backfill.is_some();
    if !news {
        return Vec::new();
    }
    let mut items: Vec<Item> = Vec::new();
    let mut item = |spans: Spans| items.push(Item::new(spans));
    if let Some(p) = &s.prompt {
        item(vec![plain("Prompt: "), text(p)]);
    }
    if let Some(who) = &s.acknowledged_by {
        item(vec![
            plain("Acknowledged by "),
            text(who),
            plain(
                s.finished_at
                    .map(|t| format!(" at {}", clock.time(t)))
                    .unwrap_or_default(),
            ),
        ]);
    }
    if let Some(note) = &s.note {
        item(vec![plain("Their note: “"), text(note), plain("”")]);
    }
    if let Some(b) = &s.backfill {
        let mut spans = vec![plain(format!(
            "Backfill: {} rows in {} batches{}, up to key {}",
            num(b.rows as f64),
            b.batches,
            b.total_estimate
                .map(|t| format!(" (estimated {} up front)", num(t as f64)))
                .unwrap_or_default(),
            b.last_key
        ))];
        if b.throttled_ms > 0 || !b.throttles.is_empty() {
            spans.push(plain(format!(
                "; waited {} for the server's health",
                dur(b.throttled_ms)
            )));
        }
        item(spans);
        for t in &b.throttles {
            item(vec![
                plain(format!("Throttled at {}: ", clock.time(t.at))),
                text(&t.reason),
            ]);
        }
        for a in &b.adjustments {
            item(vec![
                plain(format!("At {}, ", clock.time(a.at))),
                text(&a.operator),
                plain(" set "),
                text(&a.change),
            ]);
        }
    }
    for p in &s.preconditions {
        let consequence = match (p.passed, p.on_fail) {
            (true, _) => "",
            (false, crate::runbook::OnFail::Halt) => "; the run halted before the step",
            (false, crate::runbook::OnFail::Skip) => "; the step was skipped",
            (false, crate::runbook::OnFail::Warn) => "; the step ran anyway (on_fail: warn)",
        };
        let spans = vec![
            plain(format!(
                "Precondition {} (at {}): {} — got ",
                p.index,
                clock.time(p.at),
                if p.passed { "held" } else { "did NOT hold" },
            )),
            code(&p.actual),
            plain(", expected "),
            text(&p.expected),
            plain(consequence),
        ];
        item(if p.passed { spans } else { vec![bad(spans)] });
    }
    if let Some(reason) = s.skip_news() {
        item(vec![
            plain(format!("{}: ", words::skipped_word(s))),
            text(reason),
        ]);
    }
    if s.uncertain {
        item(vec![
            bad(vec![plain("Uncertain:")]),
            plain(
                " a crash interrupted it between its statements; the operator resolved it on resume",
            ),
        ]);
    }
    for w in &s.lock_waits {
        for b in &w.blockers {
            item(vec![
                strong(vec![plain("Lock wait")]),
                plain(format!(
                    " at {} ({} into the statement): blocked by pid {} (",
                    clock.time(w.at),
                    dur(w.waited_ms),
                    b.pid
                )),
                code(&b.application_name),
                plain(", "),
                text(&b.state),
                plain(format!(", transaction open {}s): ", num(b.xact_age_s))),
                code(&b.query),
            ]);
        }
    }
    for i in &s.invalid_indexes {
        let mut spans = vec![
            strong(vec![plain("INVALID index")]),
            plain(" "),
            code(&i.index),
            plain(format!(
                " left by a failed concurrent build, at {}: ",
                clock.time(i.at)
            )),
        ];
        match &i.error {
            None => spans.extend([
                plain("dropped ("),
                code("DROP INDEX CONCURRENTLY"),
                plain(") before the next attempt"),
            ]),
            Some(e) => spans.extend([
                bad(vec![plain("could not be dropped")]),
                plain(": "),
                text(words::error_head(e)),
                plain(" — still there"),
            ]),
        }
        item(spans);
    }
    for retry in &s.retries {
        item(vec![
            plain(format!(
                "Retry at {}: attempt {} after {} — ",
                clock.time(retry.at),
                retry.attempt,
                dur(retry.delay_ms)
            )),
            text(&retry.reason),
        ]);
    }
    for n in &s.notices {
        item(vec![
            text(&n.severity),
            plain(format!(" at {}: ", clock.time(n.at))),
            text(&n.message),
        ]);
    }
    for e in &s.errors {
        let mut error = Item::new(vec![
            bad(vec![plain("Error")]),
            plain(format!(
                " (attempt {}) at {}: ",
                e.attempt,
                clock.time(e.at)
            )),
            text(words::error_head(&e.error)),
        ]);
        if let Some(d) = &e.error.detail {
            error.sub.push(vec![plain("Detail: "), text(d)]);
        }
        if let Some(h) = &e.error.hint {
            error.sub.push(vec![plain("Hint: "), text(h)]);
        }
        if let Some(at) = words::error_location(&e.error) {
            error.sub.push(vec![plain("At: "), code(at)]);
        }
        items.push(error);
    }
    if let Some(c) = &s.command {
        items.push(Item::new(vec![plain(format!(
            "Exit status: {}",
            c.exit_code
                .map_or("none (killed or timed out)".to_owned(), |x| x.to_string())
        ))]));
        if !c.stdout_tail.trim().is_empty() {
            items.push(Item {
                spans: vec![plain("Output (tail):")],
                sub: Vec::new(),
                output: Some(c.stdout_tail.clone()),
            });
        }
        if !c.stderr_tail.trim().is_empty() {
            items.push(Item {
                spans: vec![plain("Errors (tail):")],
                sub: Vec::new(),
                output: Some(c.stderr_tail.clone()),
            });
        }
    }
    vec![Block::Heading(vec![code(&s.id)]), Block::List(items)]
}
