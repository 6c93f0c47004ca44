//! The step detail: the selected step's SQL, statements, errors and lock waits.

use super::*;

pub(super) fn error_lines(lines: &mut Vec<Line<'static>>, e: &crate::events::SqlFailure) {
    let red = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
    lines.push(Line::from(vec![
        Span::styled("✗ ", red),
        Span::styled(
            e.sqlstate
                .as_ref()
                .map(|c| format!("[{c}] "))
                .unwrap_or_default(),
            red,
        ),
        Span::styled(e.message.clone(), red),
    ]));
    if let Some(d) = &e.detail {
        lines.push(Line::raw(format!("  detail: {d}")));
    }
    if let Some(h) = &e.hint {
        lines.push(Line::styled(format!("  hint: {h}"), Style::new().fg(AMBER)));
    }
    let mut at = Vec::new();
    if let (Some(file), Some(line)) = (&e.file, e.line) {
        at.push(format!("at {file}:{line}:{}", e.column.unwrap_or(1)));
    }
    if let Some(n) = e.statement {
        at.push(format!("statement {n}"));
    }
    if !at.is_empty() {
        lines.push(Line::raw(format!("  {}", at.join(" · "))));
    }
}

pub(super) fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    state: &UiState,
    view: &ViewState,
    focused: bool,
) {
    let Some(i) = view.detail_step(state) else {
        let block = panel_block(Panel::Detail, String::new(), focused);
        frame.render_widget(Paragraph::new("no step").block(block), area);
        return;
    };
    let s = &state.steps[i];
    let following = if view.selected.is_some() {
        format!(
            "selected ({}: follow)",
            bindings::key(Context::Nav, Act::Reset)
        )
    } else {
        "following the run".to_owned()
    };
    let block = panel_block(Panel::Detail, format!("{} · {following}", s.id), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let now = view.now;
    let mut lines: Vec<Line<'static>> = Vec::new();

    let mut head = vec![
        Span::styled(format!("{} ", step_mark(s).0), step_mark(s).1),
        Span::styled(s.id.clone(), bold()),
    ];
    if let Some(t) = &s.title {
        head.push(Span::raw(format!(" — {t}")));
    }
    lines.push(Line::from(head));
    let mut facts = vec![
        s.kind.to_owned(),
        format!(
            "phase {}",
            state.phases.get(s.phase).map_or("?", |p| p.id.as_str())
        ),
    ];
    if s.breaking {
        facts.push("BREAKING".into());
    }
    if s.on_critical_path {
        facts.push("critical path".into());
    }
    lines.push(Line::from(vec![
        if s.check.as_ref().is_some_and(|c| c.is_warning()) {
            Span::styled("warning (check failed)", step_mark(s).1)
        } else {
            Span::styled(s.status.label().to_owned(), status_style(s.status))
        },
        Span::styled(format!(" · {}", facts.join(" · ")), dim()),
    ]));
    if let Some(mode) = s.transaction_mode {
        let how = match (s.in_transaction, &s.no_transaction_reason) {
            (Some(false), Some(r)) => format!("NOT in a transaction ({r})"),
            (Some(false), None) => "NOT in a transaction".to_owned(),
            _ => "in one transaction".to_owned(),
        };
        lines.push(Line::raw(format!("transaction {mode}: {how}")));
    }
    if !s.limits.is_empty() {
        lines.push(Line::styled(
            s.limits
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(" · "),
            dim(),
        ));
    }
    // Timing and attempts.
    let mut timing = Vec::new();
    if !s.statement_lines.is_empty() {
        timing.push(match s.statement {
            Some(k) => format!("statement {k}/{}", s.statement_lines.len()),
            None => format!(
                "{} statement{}",
                s.statement_lines.len(),
                if s.statement_lines.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        });
    }
    if let Some(t) = s.first_started {
        timing.push(format!("started {}", fmt::clock(t, state.zone)));
    }
    let verb = match s.status {
        StepStatus::Running => "running",
        StepStatus::Waiting => "waiting",
        _ => "took",
    };
    match step_elapsed(s, now) {
        Some(a) if s.expected.is_zero() => timing.push(format!("{verb} {}", fmt::dur(a))),
        Some(a) if a > s.expected => timing.push(format!(
            "{verb} {} of {} expected: {} OVER",
            fmt::dur(a),
            fmt::dur(s.expected),
            fmt::dur(a - s.expected)
        )),
        Some(a) => timing.push(format!(
            "{verb} {} of {} expected",
            fmt::dur(a),
            fmt::dur(s.expected)
        )),
        None if s.expected.is_zero() => {}
        None => timing.push(format!("expected {}", fmt::dur(s.expected))),
    }
    if s.starts > 1 || s.attempt > 1 {
        timing.push(format!("attempt {} (started {}×)", s.attempt, s.starts));
    }
    if s.retries > 0 {
        timing.push(format!(
            "{} lock retr{}",
            s.retries,
            if s.retries == 1 { "y" } else { "ies" }
        ));
    }
    if s.rows > 0 {
        timing.push(format!("{} rows", s.rows));
    }
    if !timing.is_empty() {
        lines.push(Line::raw(timing.join(" · ")));
    }
    if s.status == StepStatus::Running
        && let Some((at, progress)) = state
            .record
            .step(&s.id)
            .and_then(|r| r.index_build.as_ref())
    {
        lines.push(Line::styled(
            format!(
                "index build: {} ({} ago)",
                progress.describe(),
                fmt::dur(fmt::between(*at, now))
            ),
            Style::new().fg(Color::Cyan),
        ));
    }
    if let Some(b) = state.backfill(i) {
        lines.extend(backfill_lines(
            b,
            now,
            inner.width as usize,
            s.status == StepStatus::Running && state.is_active(),
        ));
    }
    if let Some(r) = &s.last_retry {
        lines.push(Line::styled(
            format!("last retry: {r}"),
            Style::new().fg(AMBER),
        ));
    }
    if let Some(w) = &s.lock_wait {
        let amber = Style::new().fg(AMBER).add_modifier(Modifier::BOLD);
        lines.push(Line::styled(
            format!(
                "⚠ waiting for a lock for {} — blocked by:",
                fmt::dur(fmt::between(w.since, now))
            ),
            amber,
        ));
        for b in &w.blockers {
            lines.push(Line::styled(
                format!(
                    "  pid {} {} ({}, xact open {:.0}s): {}",
                    b.pid,
                    if b.application_name.is_empty() {
                        "?"
                    } else {
                        b.application_name.as_str()
                    },
                    b.state,
                    b.xact_age_s,
                    b.query.lines().next().unwrap_or("")
                ),
                Style::new().fg(AMBER),
            ));
        }
    }
    if let Some(reason) = &s.skip_reason {
        lines.push(Line::styled(format!("skipped: {reason}"), dim()));
    }
    if let Some(e) = &s.error {
        error_lines(&mut lines, e);
        if s.kind == "migrate" {
            lines.push(Line::styled(
                match s.in_transaction {
                    Some(false) => {
                        "  outside a transaction: statements that finished before stay applied"
                    }
                    _ => "  in one transaction: nothing of this step was committed",
                },
                dim(),
            ));
        }
    }
    if let Some(e) = &s.rollback_error {
        lines.push(Line::styled("rollback:", Style::new().fg(Color::Red)));
        error_lines(&mut lines, e);
    }
    if let Some(reason) = &s.left_applied {
        lines.push(Line::styled(
            format!("rollback: left applied ({reason})"),
            Style::new().fg(AMBER),
        ));
    }
    if let Some(exp) = &s.expectation {
        match &s.check {
            Some(c) => lines.push(Line::from(vec![
                Span::raw(format!("expect {exp} · got {} → ", c.actual)),
                if c.passed {
                    Span::styled("PASS", Style::new().fg(Color::Green))
                } else if c.is_warning() {
                    Span::styled("FAIL (warning)", Style::new().fg(AMBER))
                } else {
                    Span::styled(
                        "FAIL (critical)",
                        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                    )
                },
            ])),
            None => lines.push(Line::raw(format!("expect {exp}"))),
        }
    }
    // Each precondition, with its latest answer once asked.
    let asked = state.record.step(&s.id).map(|r| &r.preconditions);
    for (n, r) in s.require.iter().enumerate() {
        let mut spans = vec![Span::raw(format!(
            "requires {} → {} (else {})",
            r.first_line(),
            r.expect,
            r.otherwise()
        ))];
        if let Some(p) = asked.and_then(|a| a.iter().find(|p| p.index == n + 1)) {
            spans.push(Span::raw(format!(" · got {} → ", p.actual)));
            spans.push(if p.passed {
                Span::styled("holds", Style::new().fg(Color::Green))
            } else {
                Span::styled(
                    "DOES NOT HOLD",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                )
            });
        }
        lines.push(Line::from(spans));
    }
    if let Some(t) = &s.alert_threshold {
        lines.push(Line::raw(format!("alert when {t}")));
    }
    if let Some(p) = state.probes.iter().find(|p| p.step == i) {
        lines.push(Line::raw(format!(
            "latest {} · {} samples · {} alerts",
            p.latest.as_deref().unwrap_or("-"),
            p.samples.len(),
            p.alerts
        )));
    }
    if let Some(prog) = &s.program {
        lines.push(Line::raw(format!("$ {prog}")));
    }
    if let Some(out) = &s.command_output {
        lines.push(Line::raw(format!(
            "exit {}",
            out.exit_code.map_or("-".into(), |c| c.to_string())
        )));
        for l in out
            .stdout_tail
            .lines()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(Line::styled(format!("  {l}"), dim()));
        }
        for l in out
            .stderr_tail
            .lines()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(Line::styled(format!("  {l}"), Style::new().fg(AMBER)));
        }
    }
    if let Some(p) = &s.prompt {
        lines.push(Line::raw(format!("prompt: {p}")));
    }
    for q in &s.questions {
        lines.push(Line::styled(format!("  ? {q}"), dim()));
    }
    if let Some(d) = s.decision {
        lines.push(Line::raw(format!(
            "decision: {}{}",
            crate::narration::decision_word(d),
            s.decided_by
                .as_ref()
                .map(|o| format!(" by {o}"))
                .unwrap_or_default()
        )));
    } else if let Some(by) = &s.decided_by {
        lines.push(Line::raw(format!("acknowledged by {by}")));
    }
    for n in s
        .notices
        .iter()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        lines.push(Line::styled(n.clone(), dim()));
    }
    // The SQL, with the statement being run highlighted.
    let head_len = lines.len();
    let mut focus_line = None;
    if let Some(sql) = &s.sql {
        let (origin, first) = s.sql_origin.clone().unwrap_or_default();
        lines.push(Line::styled(format!("── SQL {origin}:{first} ──"), dim()));
        let current = if state.rolling_back {
            None
        } else {
            s.statement
        };
        let failed_at = s.error.as_ref().and_then(|e| e.statement);
        let range_of = |k: usize| s.statement_lines.get(k.wrapping_sub(1)).copied();
        let cur = current.and_then(range_of);
        let failed = failed_at.and_then(range_of);
        let done_upto = s.statements_done;
        let num_w = (first + sql.lines().count()).to_string().len();
        for (n, text) in sql.lines().enumerate() {
            let line_no = n + 1;
            let in_range =
                |r: Option<(usize, usize)>| r.is_some_and(|(a, b)| a <= line_no && line_no <= b);
            let stmt = s
                .statement_lines
                .iter()
                .position(|&(a, b)| a <= line_no && line_no <= b)
                .map(|k| k + 1);
            let (mark, style) = if in_range(failed) && s.status == StepStatus::Failed {
                (
                    "✗",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                )
            } else if in_range(cur) && s.status == StepStatus::Running {
                (
                    "▶",
                    Style::new()
                        .fg(Color::Black)
                        .bg(Color::Cyan)
                        .add_modifier(Modifier::BOLD),
                )
            } else if stmt.is_some_and(|k| k <= done_upto) {
                ("✓", Style::new().fg(Color::Green))
            } else {
                (" ", Style::new())
            };
            if focus_line.is_none() && mark != " " && mark != "✓" {
                focus_line = Some(lines.len());
            }
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{:>num_w$}{mark}", first + n),
                    if mark == " " { dim() } else { style },
                ),
                Span::styled(format!(" {text}"), style),
            ]));
        }
    } else if state.rolling_back
        && let Some(sql) = &s.statement_sql
    {
        lines.push(Line::styled("── rollback statement ──", dim()));
        for l in sql.lines() {
            lines.push(Line::raw(l.to_owned()));
        }
    }
    // Lines wrap (an error message must be read whole). Scroll: the operator's offset, or
    // keep the header and the highlighted statement both in sight by eliding SQL above it.
    let h = inner.height as usize;
    let width = usize::from(inner.width.max(1));
    let rows = |l: &Line| l.width().div_ceil(width).max(1);
    let offset = if view.detail_scroll > 0 {
        view.detail_scroll
    } else if let Some(f) = focus_line {
        let total_to_focus: usize = lines.iter().take(f + 3).map(rows).sum();
        let head_rows: usize = lines.iter().take(head_len + 1).map(rows).sum();
        if total_to_focus <= h {
            0
        } else if head_rows + 4 <= h {
            // Header + SQL title + "⋮" + as many SQL lines as fit, ending past the statement.
            let available = h - head_rows - 1;
            let end = (f + 3).min(lines.len());
            let mut start = end;
            let mut used = 0;
            while start > head_len + 1 && used + rows(&lines[start - 1]) <= available {
                start -= 1;
                used += rows(&lines[start]);
            }
            let elided = start - (head_len + 1);
            let mut kept: Vec<Line> = Vec::with_capacity(h + 2);
            let mut rest = lines.into_iter();
            kept.extend(rest.by_ref().take(head_len + 1));
            kept.push(Line::styled(format!("  ⋮ {elided} lines"), dim()));
            kept.extend(rest.skip(elided));
            lines = kept;
            0
        } else {
            total_to_focus - h
        }
    } else {
        0
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(offset).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
