//! The screen's state before anything ran: the runbook and its plan laid out as phases, steps, the dependency view, checks and probes.

use super::*;

pub(super) fn fmt_limit(d: Duration) -> String {
    crate::runbook::duration::format(d)
}

/// Inclusive 1-based line ranges of each statement.
pub(super) fn statement_lines(sql: &str) -> Vec<(usize, usize)> {
    crate::plan::sql::split_statements(sql)
        .iter()
        .map(|s| {
            let (first, _) = crate::plan::sql::line_col(sql, s.range.start);
            let (last, _) = crate::plan::sql::line_col(sql, s.range.end.saturating_sub(1));
            (first, last.max(first))
        })
        .collect()
}

pub(super) fn numeric(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Int(i) => Some(*i as f64),
        Scalar::Float(x) => Some(*x),
        Scalar::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Scalar::Null | Scalar::Text(_) => None,
    }
}

impl UiState {
    pub fn new(runbook: &Runbook, plan: &Plan, operator: &str) -> UiState {
        let listed: Vec<&crate::runbook::Step> =
            runbook.phases.iter().flat_map(|p| &p.steps).collect();
        let mut index = HashMap::new();
        for (i, s) in plan.steps.iter().enumerate() {
            index.entry(s.id.clone()).or_insert(i);
        }
        let by_id: HashMap<&str, &crate::runbook::Step> =
            listed.iter().map(|s| (s.id.as_str(), *s)).collect();

        // Dependencies: the plan's in-phase edges plus explicit cross-phase ones.
        let mut deps: Vec<Vec<(usize, bool)>> = vec![Vec::new(); plan.steps.len()];
        for &(from, to, kind) in &plan.edges {
            if let Some(d) = deps.get_mut(to)
                && from < plan.steps.len()
                && !d.iter().any(|(f, _)| *f == from)
            {
                d.push((from, kind == EdgeKind::Barrier));
            }
        }
        for (to, step) in plan.steps.iter().enumerate() {
            for dep in &step.depends_on {
                if let Some(&from) = index.get(dep)
                    && plan.steps[from].phase != step.phase
                    && !deps[to].iter().any(|(f, _)| *f == from)
                {
                    deps[to].push((from, false));
                }
            }
        }

        let mut exec_pos = vec![usize::MAX; plan.steps.len()];
        for (pos, i) in plan.execution_order().enumerate() {
            if let Some(p) = exec_pos.get_mut(i) {
                *p = pos;
            }
        }
        // Steps the plan did not order (only with planning errors) go last, in listing order.
        let mut next = plan.steps.len();
        for p in exec_pos.iter_mut() {
            if *p == usize::MAX {
                *p = next;
                next += 1;
            }
        }

        // Longest-path depth within the phase: the layer `cutover graph` draws it in too.
        let depth = crate::plan::graph::depths(plan);

        let mut steps = Vec::with_capacity(plan.steps.len());
        for (i, sp) in plan.steps.iter().enumerate() {
            let rs = by_id.get(sp.id.as_str()).copied();
            let mut s = StepUi {
                id: sp.id.clone(),
                title: rs.and_then(|r| r.title.clone()),
                kind: sp.kind,
                phase: sp.phase,
                deps: deps[i].clone(),
                depth: depth[i],
                expected: sp.expected,
                planned_start: sp.planned_start,
                planned_end: sp.planned_end,
                in_transaction: sp.in_transaction,
                no_transaction_reason: sp.no_transaction_reason.clone(),
                breaking: sp.breaking,
                on_critical_path: sp.on_critical_path,
                transaction_mode: None,
                limits: Vec::new(),
                sql: None,
                sql_origin: None,
                statement_lines: Vec::new(),
                rollback_sql: None,
                expectation: None,
                severity: None,
                prompt: None,
                questions: Vec::new(),
                program: None,
                alert_threshold: None,
                require: sp.require.clone(),
                status: StepStatus::Pending,
                first_started: None,
                started: None,
                finished: None,
                duration_ms: None,
                starts: 0,
                attempt: 0,
                retries: 0,
                last_retry: None,
                statement: None,
                statement_sql: None,
                statements_done: 0,
                rows: 0,
                lock_wait: None,
                lock_waits: 0,
                notices: Vec::new(),
                error: None,
                check: None,
                command_output: None,
                skip_reason: None,
                decision: None,
                decided_by: None,
                rollback_error: None,
                left_applied: None,
                statement_cancelled: false,
            };
            if let Some(rs) = rs {
                if let Some(src) = rs.kind.sql() {
                    s.sql = Some(src.text.clone());
                    s.sql_origin = Some(match &src.origin {
                        SqlOrigin::File { path, .. } => (path.display().to_string(), 1),
                        SqlOrigin::Inline { first_line, .. } => {
                            (runbook.path.display().to_string(), *first_line)
                        }
                    });
                }
                match &rs.kind {
                    StepKind::Migrate(m) => {
                        s.transaction_mode = Some(m.transaction.as_str());
                        s.limits = vec![
                            ("lock_timeout".into(), fmt_limit(m.lock_timeout)),
                            ("statement_timeout".into(), fmt_limit(m.statement_timeout)),
                            ("lock_retries".into(), m.lock_retries.to_string()),
                        ];
                        s.statement_lines = statement_lines(&m.sql.text);
                        s.rollback_sql = m.rollback.as_ref().map(|r| r.text.clone());
                    }
                    StepKind::Check(c) => {
                        s.expectation = Some(c.expect.to_string());
                        s.severity = Some(c.severity);
                        s.limits = vec![("timeout".into(), fmt_limit(c.timeout))];
                    }
                    StepKind::Probe(p) => {
                        s.limits = vec![("every".into(), fmt_limit(p.every))];
                        s.alert_threshold = p.alert.as_ref().map(|a| a.to_string());
                    }
                    StepKind::Manual { prompt } => s.prompt = Some(prompt.clone()),
                    StepKind::Command(c) => {
                        s.program = Some(c.program.join(" "));
                        s.limits = vec![("timeout".into(), fmt_limit(c.timeout))];
                    }
                    StepKind::Checkpoint(cp) => {
                        s.prompt = Some(cp.prompt.clone());
                        s.questions = cp.questions.clone();
                    }
                    StepKind::Backfill(b) => {
                        s.limits = vec![
                            ("table".into(), format!("{} by {}", b.table, b.key)),
                            (
                                "batch".into(),
                                format!("{} ({}–{})", b.batch, b.min_batch, b.max_batch),
                            ),
                            ("batch_time".into(), fmt_limit(b.batch_time)),
                            ("lock_timeout".into(), fmt_limit(b.lock_timeout)),
                            ("statement_timeout".into(), fmt_limit(b.statement_timeout)),
                        ];
                        s.statement_lines = statement_lines(&b.sql.text);
                    }
                }
            }
            steps.push(s);
        }

        let phases: Vec<PhaseUi> = plan
            .phases
            .iter()
            .enumerate()
            .map(|(p, pp)| PhaseUi {
                id: pp.id.clone(),
                title: runbook
                    .phases
                    .get(p)
                    .map_or_else(|| pp.id.clone(), |r| r.title.clone()),
                kind: pp.kind,
                planned_start: pp.planned_start,
                planned_end: pp.planned_end,
                budget: pp.budget,
                parallel: pp.parallel,
                order: {
                    // Every step of the phase, in execution order (unordered ones last).
                    let mut o: Vec<usize> =
                        (0..steps.len()).filter(|&i| steps[i].phase == p).collect();
                    o.sort_by_key(|&i| exec_pos[i]);
                    o
                },
                started: None,
                finished: None,
                duration_ms: None,
                over_budget: false,
            })
            .collect();

        let mut graph_rows = Vec::with_capacity(steps.len() + phases.len());
        let mut graph_row_of = vec![0; steps.len()];
        for (p, phase) in phases.iter().enumerate() {
            graph_rows.push(GraphRow::Phase(p));
            let mut members = phase.order.clone();
            members.sort_by_key(|&i| (steps[i].depth, exec_pos[i]));
            for i in members {
                graph_row_of[i] = graph_rows.len();
                graph_rows.push(GraphRow::Step(i));
            }
        }

        let mut checks: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i].kind == "check")
            .collect();
        checks.sort_by_key(|&i| exec_pos[i]);

        let mut probes = Vec::new();
        let mut probe_of = HashMap::new();
        let mut probe_steps: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i].kind == "probe")
            .collect();
        probe_steps.sort_by_key(|&i| exec_pos[i]);
        for i in probe_steps {
            let threshold_value = by_id.get(steps[i].id.as_str()).and_then(|r| match &r.kind {
                StepKind::Probe(p) => match &p.alert {
                    Some(crate::runbook::Comparison::Compare { value, .. }) => numeric(value),
                    Some(crate::runbook::Comparison::Between { high, .. }) => Some(*high),
                    None => None,
                },
                _ => None,
            });
            probe_of.insert(i, probes.len());
            probes.push(ProbeUi {
                step: i,
                samples: VecDeque::new(),
                latest: None,
                alert_now: false,
                alerts: 0,
                threshold: steps[i].alert_threshold.clone(),
                threshold_value,
            });
        }

        let window_start = runbook.window.start.map(|s| s.with_timezone(&Utc));
        let hard_end = window_start.and_then(|s| {
            chrono::Duration::from_std(runbook.window.budget)
                .ok()
                .map(|b| s + b)
        });
        UiState {
            header: Header {
                title: runbook.title.clone(),
                runbook: runbook.name.clone(),
                operator: operator.to_owned(),
                window_start,
                hard_end,
                ..Header::default()
            },
            phases,
            steps,
            index,
            exec_pos,
            graph_rows,
            graph_row_of,
            checks,
            probes,
            probe_of,
            alerts: Vec::new(),
            log: VecDeque::new(),
            record: crate::record::RunRecord::new(),
            errors: Vec::new(),
            prompt: None,
            prompt_seq: 0,
            rejected_seq: 0,
            outcome: None,
            current_phase: None,
            current_step: None,
            rolling_back: false,
            rollback_steps: Vec::new(),
            cancelled: None,
            failed_critical: Vec::new(),
            server_sessions: None,
            window_budget: runbook.window.budget,
            zone: runbook.window.zone.unwrap_or(chrono::Utc.fix()),
            planned_end: plan.planned_end,
            plan: std::sync::Arc::new(plan.clone()),
            started: false,
            last_ts: None,
            version: 0,
            decisions: Vec::new(),
            attempts: 0,
            stopped_at: None,
            restored: None,
        }
    }
}
