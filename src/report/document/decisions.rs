//! Decisions: every checkpoint reached, what it asked and what was answered.

use super::super::doc::{
    Block, Item, Section, Span, Spans, bad, code, joined, plain, strong, text,
};
use super::super::model::{DecisionKind, Report};
use super::super::text::{self, Clock, dur};
use super::bad_if;

/// `**Label:** rest` as a list item.
fn labelled(label: &str, rest: Spans) -> Item {
    let mut spans = vec![strong(vec![plain(label)]), plain(" ")];
    spans.extend(rest);
    Item::new(spans)
}

pub(super) fn section(r: &Report, clock: Clock) -> Section {
    if r.gates().next().is_none() {
        return super::empty("decisions", "Decisions", "No checkpoint was reached.");
    }
    let mut blocks = Vec::new();
    for cp in r.gates() {
        let verdict = cp
            .decision
            .as_ref()
            .map_or("no decision", |d| text::decision_word(d.decision));
        let attempt = if r.segments.len() > 1 {
            format!(" (attempt {})", cp.segment)
        } else {
            String::new()
        };
        blocks.push(Block::Heading(vec![
            code(&cp.step),
            plain(format!(" — {verdict}{attempt}")),
        ]));
        let mut items = Vec::new();
        let forecast = match (cp.advice, cp.projected_end, cp.hard_end) {
            (Some(advice), Some(end), Some(hard)) => Some((
                crate::narration::forecast(
                    &clock.time(end),
                    &clock.time(hard),
                    hard - end,
                    cp.pace,
                    advice,
                ),
                advice,
            )),
            _ => None,
        };
        if let Some(at) = cp.reached_at {
            let mut reached = clock.time(at);
            if forecast.is_none() {
                if let Some(p) = cp.projected_end {
                    reached.push_str(&format!("; projected end then {}", clock.time(p)));
                }
                if let Some(h) = cp.hard_end {
                    reached.push_str(&format!(" (hard end {})", clock.time(h)));
                }
            }
            items.push(labelled("Reached:", vec![plain(reached)]));
        }
        if let Some((sentence, advice)) = forecast {
            let said = plain(sentence);
            let said = if advice == crate::plan::forecast::Advice::Go {
                said
            } else {
                bad(vec![said])
            };
            items.push(labelled("Forecast:", vec![said]));
        }
        if let Some(words) = &cp.rollback_outlook {
            items.push(labelled("A rollback then:", vec![plain(words.clone())]));
        }
        if let Some(p) = &cp.prompt {
            items.push(labelled("Prompt:", vec![text(p)]));
        }
        if !cp.failed_critical.is_empty() {
            let mut spans = vec![
                bad(vec![plain("Failed critical checks at the gate:")]),
                plain(" "),
            ];
            spans.extend(joined(cp.failed_critical.iter().map(code), ", "));
            items.push(Item::new(spans));
        }
        if !cp.server_sessions.is_empty() {
            let mut item = Item::new(vec![
                strong(vec![plain("Server at the gate")]),
                plain(" (long transactions, lock waits):"),
            ]);
            item.sub = cp.server_sessions.iter().map(|s| vec![text(s)]).collect();
            items.push(item);
        }
        for rej in &cp.rejections {
            items.push(Item::new(vec![
                strong(vec![plain("Rejected")]),
                plain(format!(" at {}: ", clock.time(rej.at))),
                text(&rej.reason),
            ]));
        }
        items.push(labelled(
            "Decision:",
            match &cp.decision {
                None => vec![plain("none — the run stopped here without an answer")],
                Some(d) if d.restored => vec![plain(format!(
                    "{} at {} — restored: given earlier in this run and standing",
                    d.decision.as_str(),
                    clock.time(d.at)
                ))],
                Some(d) => {
                    let waited = d
                        .waited_ms
                        .map(|w| format!(" (after {})", dur(w)))
                        .unwrap_or_default();
                    let mut spans = bad_if(
                        d.decision != DecisionKind::Go,
                        vec![plain(d.decision.as_str())],
                    );
                    spans.extend([
                        plain(" by "),
                        text(&d.operator),
                        plain(format!(" at {}{waited}", clock.time(d.at))),
                    ]);
                    spans
                }
            },
        ));
        if let Some(d) = &cp.decision {
            if let Some(c) = &d.comment {
                items.push(labelled("Comment:", vec![text(c)]));
            }
            if !d.overrode_failed_checks.is_empty() {
                let mut spans = vec![plain(
                    "⚠ OVERRIDE: went ahead despite failed critical checks ",
                )];
                spans.extend(joined(d.overrode_failed_checks.iter().map(code), ", "));
                items.push(Item::new(vec![bad(spans)]));
            }
            let questions: Vec<(&str, Option<bool>)> = if cp.questions.is_empty() {
                d.answers
                    .iter()
                    .map(|a| (a.question.as_str(), Some(a.confirmed)))
                    .collect()
            } else {
                cp.questions
                    .iter()
                    .map(|q| {
                        (
                            q.as_str(),
                            d.answers
                                .iter()
                                .find(|a| &a.question == q)
                                .map(|a| a.confirmed),
                        )
                    })
                    .collect()
            };
            if !questions.is_empty() {
                let mut item = Item::new(vec![strong(vec![plain("Questions:")])]);
                item.sub = questions
                    .into_iter()
                    .map(|(q, answer)| {
                        let (ticked, why) = match answer {
                            Some(true) => (true, " "),
                            Some(false) => (false, " (answered no) "),
                            None => (false, " (not answered) "),
                        };
                        vec![Span::Tick(ticked), plain(why), text(q)]
                    })
                    .collect();
                items.push(item);
            }
        } else if !cp.questions.is_empty() {
            let mut item = Item::new(vec![strong(vec![plain("Questions:")])]);
            item.sub = cp
                .questions
                .iter()
                .map(|q| vec![Span::Tick(false), plain(" "), text(q)])
                .collect();
            items.push(item);
        }
        blocks.push(Block::List(items));
    }
    Section {
        id: "decisions",
        title: "Decisions",
        blocks,
    }
}
