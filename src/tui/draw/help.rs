//! The help screens of `run` and `watch`, written from the bindings table.

use super::*;

/// A part of a help screen: a heading and the bindings it lists, one row per help line
/// (bindings of a context with the same line share it), or all on one line for a prompt's
/// few keys.
pub(crate) enum Section {
    Rows(&'static str, &'static [Context]),
    Inline(&'static str, Context),
}

/// The operator's help: looking around and the run on the left, the prompts on the right.
pub(crate) const RUN_HELP: [&[Section]; 2] = [
    &[
        Section::Rows("Looking around", &[Context::Nav]),
        Section::Rows("The run", &[Context::Run, Context::Anywhere]),
    ],
    &[
        Section::Rows("At a gate", &[Context::Gate]),
        Section::Inline("no-go", Context::NoGo),
        Section::Inline("failed step", Context::Failure),
        Section::Inline("manual step", Context::Manual),
        Section::Inline("uncertain step", Context::Uncertain),
        Section::Inline("decision sent", Context::Sent),
        Section::Inline("comment", Context::Comment),
        Section::Inline("confirming", Context::Confirm),
        Section::Inline("in this help", Context::Help),
        Section::Inline("resuming", Context::Resume),
        Section::Inline("looking first", Context::ResumeHidden),
        Section::Inline("drift check", Context::Drift),
    ],
];

/// The fleet screen's help.
pub(crate) const FLEET_HELP: [&[Section]; 2] = [
    &[Section::Rows("The databases", &[Context::Fleet])],
    &[Section::Rows(
        "At a wave's gate",
        &[Context::FleetGate, Context::Confirm, Context::Anywhere],
    )],
];

/// The watcher's help.
pub(crate) const WATCH_HELP: [&[Section]; 2] = [
    &[Section::Rows("Looking around", &[Context::Nav])],
    &[Section::Rows(
        "Watching",
        &[Context::Watch, Context::Anywhere],
    )],
];

/// Rows of (keys, what they do) and headings, for one column.
pub(crate) fn help_rows(sections: &[Section]) -> Vec<(String, String, bool)> {
    let mut rows: Vec<(String, String, bool)> = Vec::new();
    for section in sections {
        if !rows.is_empty() {
            rows.push((String::new(), String::new(), false));
        }
        match section {
            Section::Rows(heading, contexts) => {
                rows.push(((*heading).to_owned(), String::new(), true));
                let mut merged: Vec<(Vec<String>, &str)> = Vec::new();
                for b in contexts.iter().flat_map(|c| bindings::of(*c)) {
                    match merged.iter_mut().find(|(_, help)| *help == b.help) {
                        Some((keys, _)) => keys.push(b.keys_label()),
                        None => merged.push((vec![b.keys_label()], b.help)),
                    }
                }
                rows.extend(
                    merged
                        .into_iter()
                        .map(|(keys, help)| (keys.join(" / "), help.to_owned(), false)),
                );
            }
            Section::Inline(heading, context) => {
                let mut merged: Vec<(Vec<String>, &str)> = Vec::new();
                for b in bindings::of(*context) {
                    let what = b.prompt.unwrap_or(b.help);
                    match merged.iter_mut().find(|(_, w)| *w == what) {
                        Some((keys, _)) => keys.push(b.keys_label()),
                        None => merged.push((vec![b.keys_label()], what)),
                    }
                }
                let what: Vec<String> = merged
                    .into_iter()
                    .map(|(keys, what)| format!("{} {what}", keys.join(" / ")))
                    .collect();
                rows.push(((*heading).to_owned(), what.join(" · "), false));
            }
        }
    }
    rows
}

/// Words of `text` in lines of at most `width` columns (a word longer than that has a line
/// of its own).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// One column of the help at `width`: headings, then keys right-aligned and what they do,
/// wrapped under itself.
fn column_lines(rows: &[(String, String, bool)], width: u16) -> Vec<Line<'static>> {
    let key_w = rows
        .iter()
        .filter(|(_, _, heading)| !heading)
        .map(|(k, _, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let what_w = usize::from(width).saturating_sub(key_w + 2).max(16);
    let mut lines = Vec::new();
    for (k, what, heading) in rows {
        if *heading {
            lines.push(Line::styled(k.clone(), bold()));
            continue;
        }
        for (i, part) in wrap_words(what, what_w).into_iter().enumerate() {
            let keys = if i == 0 { k.as_str() } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:>key_w$}  "), bold().fg(Color::Cyan)),
                Span::raw(part),
            ]));
        }
    }
    lines
}

/// A help screen over `area`, scrolled down `scroll` lines: two columns side by side where
/// they fit, else one.
pub(crate) fn draw_help_screen(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    columns: [&[Section]; 2],
    footnote: Option<&str>,
    scroll: u16,
) {
    let [left_rows, right_rows] = columns.map(help_rows);
    let two = area.width >= 150;
    let width = if two {
        area.width.min(170)
    } else {
        area.width.min(96)
    };
    let inner_w = width.saturating_sub(2);
    let (left, right) = if two {
        let half = inner_w.saturating_sub(3) / 2;
        (
            column_lines(&left_rows, half),
            column_lines(&right_rows, inner_w.saturating_sub(3 + half)),
        )
    } else {
        let mut all = column_lines(&left_rows, inner_w);
        all.push(Line::raw(""));
        all.extend(column_lines(&right_rows, inner_w));
        (all, Vec::new())
    };
    let mut body_h = left.len().max(right.len());
    if let Some(text) = footnote {
        body_h += 1 + wrap_words(text, usize::from(inner_w)).len();
    }
    let body_h = u16::try_from(body_h).unwrap_or(u16::MAX);
    let rect = centered(area, width, body_h.saturating_add(2));
    let room = rect.height.saturating_sub(2);
    let scroll = scroll.min(body_h.saturating_sub(room));
    let scrolls = body_h > room;
    let title = if scrolls {
        let keys: Vec<String> = bindings::of(Context::Help)
            .map(|b| b.keys.first().map(|k| k.short_label()).unwrap_or_default())
            .take(2)
            .collect();
        format!(
            " {title} — {} scroll ({}/{body_h}), any other key closes ",
            keys.concat(),
            scroll + room
        )
    } else {
        format!(" {title} — any key closes ")
    };
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(title)
        .border_style(Style::new().fg(Color::Cyan));
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let mut left = left;
    if let Some(text) = footnote {
        left.push(Line::raw(""));
        left.extend(
            wrap_words(text, usize::from(inner_w))
                .into_iter()
                .map(|l| Line::styled(l, dim())),
        );
    }
    if two {
        let half = inner_w.saturating_sub(3) / 2;
        let [l, _, r] = Layout::horizontal([
            Constraint::Length(half),
            Constraint::Length(3),
            Constraint::Min(1),
        ])
        .areas(body);
        frame.render_widget(Paragraph::new(left).scroll((scroll, 0)), l);
        frame.render_widget(Paragraph::new(right).scroll((scroll, 0)), r);
    } else {
        frame.render_widget(Paragraph::new(left).scroll((scroll, 0)), body);
    }
}

pub(super) fn draw_help(frame: &mut Frame, area: Rect, scroll: u16) {
    draw_help_screen(frame, area, "Keys", RUN_HELP, None, scroll);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every binding is on a help screen, in the section of its context: its keys and what
    /// it does, for run and watch.
    #[test]
    fn every_binding_is_shown_in_help() {
        let sections: Vec<&Section> = RUN_HELP
            .iter()
            .chain(WATCH_HELP.iter())
            .chain(FLEET_HELP.iter())
            .flat_map(|c| c.iter())
            .collect();
        for b in bindings::BINDINGS {
            let section = sections.iter().find(|s| match s {
                Section::Rows(_, contexts) => contexts.contains(&b.context),
                Section::Inline(_, context) => *context == b.context,
            });
            let Some(section) = section else {
                panic!("{:?} is in no help section", b.context);
            };
            let rows = help_rows(std::slice::from_ref(*section));
            let shown = rows.iter().any(|(k, what, _)| {
                k.contains(&b.keys_label()) && what.contains(b.help)
                    || what.contains(&b.keys_label()) && what.contains(b.prompt.unwrap_or(b.help))
            });
            assert!(
                shown,
                "{:?} in {:?} ({:?}: {:?}) is not in its help section:\n{rows:#?}",
                b.act,
                b.context,
                b.keys_label(),
                b.help
            );
        }
    }
}
