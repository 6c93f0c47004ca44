//! The runbook's shape: window, database, defaults, phases and steps, and ids that must be unique.

use super::*;

pub(super) fn step_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "migrate" => &[
            "sql",
            "file",
            "rollback",
            "irreversible",
            "transaction",
            "lock_timeout",
            "concurrent_lock_timeout",
            "statement_timeout",
            "lock_retries",
            "breaking",
            "require",
        ],
        "check" => &["sql", "file", "expect", "severity", "timeout", "require"],
        "probe" => &["sql", "file", "every", "alert"],
        "manual" => &["prompt"],
        "command" => &["run", "timeout", "require"],
        "checkpoint" => &["prompt", "questions"],
        "backfill" => &[
            "table",
            "key",
            "sql",
            "file",
            "batch",
            "min_batch",
            "max_batch",
            "batch_time",
            "estimate",
            "lock_timeout",
            "statement_timeout",
            "throttle",
            "require",
        ],
        _ => &[],
    }
}

impl Ctx<'_> {
    pub(super) fn runbook(&mut self, doc: &Node) -> Option<Runbook> {
        const TOP: [&str; 8] = [
            "name",
            "title",
            "description",
            "window",
            "database",
            "defaults",
            "sql_root",
            "phases",
        ];
        if doc.value == Value::Null {
            self.error(
                "empty-runbook",
                Loc {
                    line: 1,
                    column: 1,
                    ..Loc::default()
                },
                "the runbook is empty",
                "start with `name:`, `window:` and `phases:` (see docs/runbook-format.md)",
            );
            return None;
        }
        let f = self.fields(
            doc,
            "the runbook",
            &TOP,
            "name: my-window\nwindow: {budget: 4h}\nphases: [...]",
        )?;
        if let Some(node) = f.get("sql_root") {
            self.sql_root(node);
        }
        let name = self
            .require(&f, "name", "the runbook", "week1-wednesday")
            .and_then(|n| self.identifier(n, "runbook name"));
        let title = f.get("title").and_then(|n| self.string(n, "title"));
        let description = f
            .get("description")
            .and_then(|n| self.string(n, "description"));
        let window = self
            .require(&f, "window", "the runbook", "{ budget: 4h }")
            .and_then(|n| self.window(n));
        let database = f.get("database").and_then(|n| self.database(n));
        let defaults = f
            .get("defaults")
            .map_or_else(Defaults::default, |n| self.defaults(n));
        let phases = self
            .require(
                &f,
                "phases",
                "the runbook",
                "[{ id: migrations, kind: migration, budget: 1h, steps: [...] }]",
            )
            .map(|n| self.phases(n, &defaults, window.as_ref()))
            .unwrap_or_default();
        self.duplicate_ids(&phases);
        let checksum = format!("{:x}", std::mem::take(&mut self.hasher).finalize());
        let name = name?;
        Some(Runbook {
            title: title.unwrap_or_else(|| name.clone()),
            name,
            description,
            window: window?,
            database,
            defaults,
            phases,
            path: self.file.clone(),
            checksum,
        })
    }

    pub(super) fn window(&mut self, node: &Node) -> Option<Window> {
        let f = self.fields(
            node,
            "window",
            &["start", "budget"],
            "window:\n  start: 2024-01-29T08:00:00-05:00\n  budget: 4h",
        )?;
        let budget = self
            .require(&f, "budget", "window", "4h")
            .and_then(|n| self.duration(n, "budget"));
        self.window_start_written = f.get("start").is_some();
        let start = f.get("start").and_then(|n| {
            let text = n.scalar_text().unwrap_or_default();
            match chrono::DateTime::parse_from_rfc3339(text.trim()) {
                Ok(t) => Some(t),
                Err(_) => {
                    self.error(
                        "bad-time",
                        n.loc,
                        format!("`{text}` is not a date and time with a UTC offset"),
                        "write RFC 3339, e.g. `2024-01-29T08:00:00-05:00` (or leave `start` out to start when the run starts)",
                    );
                    None
                }
            }
        });
        Some(Window {
            start,
            zone: start.map(|s| *s.offset()),
            budget: budget?,
            loc: f.get("budget").map_or(node.loc, |n| n.loc),
        })
    }

    pub(super) fn database(&mut self, node: &Node) -> Option<DatabaseConfig> {
        let f = self.fields(
            node,
            "database",
            &["url"],
            "database:\n  url: ${DATABASE_URL}",
        )?;
        let url_node = self.require(&f, "url", "database", "${DATABASE_URL}")?;
        let url = self.string(url_node, "url")?;
        if has_literal_password(&url) {
            self.error(
                "literal-password",
                url_node.loc,
                "the database URL contains a literal password",
                "never write passwords in a runbook: use `url: ${DATABASE_URL}`, PGPASSWORD or ~/.pgpass",
            );
            return None;
        }
        if let Err(missing) = env::interpolate(&url, self.env) {
            self.error(
                "unset-variable",
                url_node.loc,
                format!("environment variable `{missing}` is not set"),
                format!("export {missing}=... before running, or write `${{{missing}:-default}}`"),
            );
            return None;
        }
        Some(DatabaseConfig {
            url_template: url,
            loc: url_node.loc,
        })
    }

    pub(super) fn defaults(&mut self, node: &Node) -> Defaults {
        const KEYS: [&str; 8] = [
            "lock_timeout",
            "concurrent_lock_timeout",
            "statement_timeout",
            "lock_retries",
            "retry_backoff",
            "transaction",
            "check_timeout",
            "command_timeout",
        ];
        let base = Defaults::default();
        let Some(f) = self.fields(node, "defaults", &KEYS, "defaults:\n  lock_timeout: 2s") else {
            return base;
        };
        Defaults {
            lock_timeout: self.optional_duration(&f, "lock_timeout", base.lock_timeout),
            concurrent_lock_timeout: self.optional_duration(
                &f,
                "concurrent_lock_timeout",
                base.concurrent_lock_timeout,
            ),
            statement_timeout: self.optional_duration(
                &f,
                "statement_timeout",
                base.statement_timeout,
            ),
            lock_retries: f
                .get("lock_retries")
                .and_then(|n| self.count(n, "lock_retries", 0))
                .unwrap_or(base.lock_retries),
            retry_backoff: self.optional_duration(&f, "retry_backoff", base.retry_backoff),
            transaction: f
                .get("transaction")
                .and_then(|n| self.tx_mode(n))
                .unwrap_or(base.transaction),
            check_timeout: self.optional_duration(&f, "check_timeout", base.check_timeout),
            command_timeout: self.optional_duration(&f, "command_timeout", base.command_timeout),
        }
    }

    pub(super) fn tx_mode(&mut self, node: &Node) -> Option<TxMode> {
        self.one_of(
            node,
            "transaction mode",
            &[
                ("auto", TxMode::Auto),
                ("always", TxMode::Always),
                ("never", TxMode::Never),
            ],
        )
    }

    pub(super) fn phases(
        &mut self,
        node: &Node,
        defaults: &Defaults,
        window: Option<&Window>,
    ) -> Vec<Phase> {
        let Value::Seq(items) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!("`phases` must be a list, found {}", node.value.kind()),
                "write each phase as a list item: `phases:\\n  - id: preparation\\n    kind: preparation ...`",
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                "empty-phases",
                node.loc,
                "the runbook has no phases",
                "add at least one phase with steps",
            );
        }
        let mut phases = Vec::new();
        let mut seen: HashMap<String, Loc> = HashMap::new();
        for item in items {
            if let Some(phase) = self.phase(item, defaults, window) {
                if let Some(first) = seen.get(&phase.id) {
                    let d = Diagnostic::error(
                        "duplicate-id",
                        &self.file,
                        Some(phase.loc),
                        format!("phase id `{}` is used twice", phase.id),
                    )
                    .with_help("give each phase its own id")
                    .with_related(&self.file, *first, "first used here");
                    self.diags.push(d);
                } else {
                    seen.insert(phase.id.clone(), phase.loc);
                }
                phases.push(phase);
            }
        }
        phases
    }

    pub(super) fn phase(
        &mut self,
        node: &Node,
        defaults: &Defaults,
        window: Option<&Window>,
    ) -> Option<Phase> {
        const KEYS: [&str; 7] = [
            "id", "title", "kind", "budget", "start", "parallel", "steps",
        ];
        let f = self.fields(
            node,
            "a phase",
            &KEYS,
            "- id: migrations\n  kind: migration\n  budget: 1h\n  steps: [...]",
        )?;
        let id_node = self.require(&f, "id", "a phase", "migrations");
        let id = id_node.and_then(|n| self.identifier(n, "phase id"));
        let loc = id_node.map_or(node.loc, |n| n.loc);
        let title = f.get("title").and_then(|n| self.string(n, "title"));
        let kind = self
            .require(&f, "kind", "a phase", "migration")
            .and_then(|n| {
                self.one_of(
                    n,
                    "phase kind",
                    &[
                        ("preparation", PhaseKind::Preparation),
                        ("migration", PhaseKind::Migration),
                        ("verification", PhaseKind::Verification),
                        ("monitoring", PhaseKind::Monitoring),
                    ],
                )
            });
        let budget = self
            .require(&f, "budget", "a phase", "30m")
            .and_then(|n| self.duration(n, "budget"));
        let start = f.get("start").and_then(|n| self.phase_start(n, window));
        let default_parallel = if kind == Some(PhaseKind::Verification) {
            4
        } else {
            1
        };
        let parallel = f
            .get("parallel")
            .and_then(|n| self.count(n, "parallel", 1))
            .map_or(default_parallel, |n| n as usize);
        let steps = match f.get("steps") {
            Some(n) => self.steps(n, defaults),
            None => {
                self.error(
                    "missing-key",
                    f.loc,
                    "a phase needs `steps`",
                    "add `steps:` with at least one step, e.g. `- manual: notify\\n  prompt: Tell the team`",
                );
                Vec::new()
            }
        };
        let id = id?;
        Some(Phase {
            title: title.unwrap_or_else(|| id.clone()),
            id,
            kind: kind?,
            budget: budget?,
            start,
            parallel,
            steps,
            loc,
        })
    }

    pub(super) fn phase_start(
        &mut self,
        node: &Node,
        window: Option<&Window>,
    ) -> Option<(PhaseStart, Loc)> {
        let text = node.scalar_text().unwrap_or_default();
        let help = "write a time of day like `\"08:30\"` (quoted) or an offset from the window start like `+1h30m`";
        if let Some(offset) = text.strip_prefix('+') {
            return match duration::parse(offset) {
                Ok(d) => Some((PhaseStart::Offset(d), node.loc)),
                Err(_) => {
                    self.error(
                        "bad-time",
                        node.loc,
                        format!("`{text}` is not an offset"),
                        help,
                    );
                    None
                }
            };
        }
        let parsed = text.split_once(':').and_then(|(h, m)| {
            let hour: u32 = h.parse().ok()?;
            let minute: u32 = m.parse().ok()?;
            (hour < 24 && minute < 60 && m.len() == 2)
                .then_some(PhaseStart::TimeOfDay { hour, minute })
        });
        match parsed {
            Some(start)
                if window.is_some_and(|w| w.start.is_none()) && !self.window_start_written =>
            {
                self.error(
                    "start-needs-window-start",
                    node.loc,
                    format!("a time-of-day start (`{text}`) needs `window.start`"),
                    "set `window.start`, or write an offset from the run start like `+30m`",
                );
                let _ = start;
                None
            }
            Some(start) => Some((start, node.loc)),
            None => {
                self.error(
                    "bad-time",
                    node.loc,
                    format!("`{text}` is not a planned start"),
                    help,
                );
                None
            }
        }
    }

    pub(super) fn steps(&mut self, node: &Node, defaults: &Defaults) -> Vec<Step> {
        let Value::Seq(items) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!("`steps` must be a list, found {}", node.value.kind()),
                "write each step as a list item, e.g. `steps:\\n  - check: connection-ok\\n    sql: SELECT 1`",
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                "empty-steps",
                node.loc,
                "the phase has no steps",
                "add at least one step, or remove the phase",
            );
        }
        items
            .iter()
            .filter_map(|item| self.step(item, defaults))
            .collect()
    }

    pub(super) fn step(&mut self, node: &Node, defaults: &Defaults) -> Option<Step> {
        let Value::Map(entries) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!("a step must be a mapping, found {}", node.value.kind()),
                "start a step with its kind and id, e.g. `- migrate: 001_create_users`",
            );
            return None;
        };
        let kinds: Vec<(&Node, &Node, String)> = entries
            .iter()
            .filter_map(|(k, v)| {
                let name = k.scalar_text()?;
                StepKind::KEYS
                    .contains(&name.as_str())
                    .then_some((k, v, name))
            })
            .collect();
        let (kind_key, id_node, kind) = match kinds.as_slice() {
            [one] => (one.0, one.1, one.2.clone()),
            [] => {
                let guess = entries
                    .iter()
                    .filter_map(|(k, _)| k.scalar_text())
                    .find_map(|k| did_you_mean(&k, &StepKind::KEYS).map(|s| (k, s)));
                let help = match guess {
                    Some((written, meant)) => format!("did you mean `{meant}` instead of `{written}`?"),
                    None => "name the step's kind as its first key: `- migrate: <id>` (kinds: migrate, check, probe, manual, command, checkpoint, backfill)".to_owned(),
                };
                self.error(
                    "missing-step-kind",
                    node.loc,
                    "this step does not say what kind of step it is",
                    help,
                );
                return None;
            }
            [first, second, ..] => {
                self.error(
                    "several-step-kinds",
                    second.0.loc,
                    format!(
                        "a step has one kind, but this one has both `{}` and `{}`",
                        first.2, second.2
                    ),
                    "split it into two steps, each with its own id",
                );
                return None;
            }
        };
        let id = self.identifier(id_node, &format!("{kind} step id"));
        let mut allowed: Vec<&str> = vec![kind.as_str()];
        allowed.extend(STEP_COMMON);
        allowed.extend(step_keys(&kind));
        // Report keys that belong to another kind of step in those words.
        let mut own = Vec::new();
        for (k, v) in entries {
            let Some(name) = k.scalar_text() else {
                continue;
            };
            if allowed.contains(&name.as_str()) {
                own.push((k.clone(), v.clone()));
            } else if let Some(other) = StepKind::KEYS
                .iter()
                .find(|other| **other != kind && step_keys(other).contains(&name.as_str()))
            {
                self.error(
                    "unknown-key",
                    k.loc,
                    format!("`{name}` belongs to {other} steps, not {kind} steps"),
                    format!("a {kind} step takes: {}", allowed[1..].join(", ")),
                );
            } else {
                self.unknown_key(&name, k.loc, &format!("a {kind} step"), &allowed);
            }
        }
        let map = Node {
            value: Value::Map(own),
            loc: node.loc,
            written: node.written,
        };
        let f = self.fields(&map, "a step", &allowed, "")?;
        let title = f.get("title").and_then(|n| self.string(n, "title"));
        let depends_on = f
            .get("depends_on")
            .and_then(|n| self.string_list(n, "depends_on", "[step-a, step-b]"))
            .unwrap_or_default()
            .into_iter()
            .map(|(id, loc)| Dependency { id, loc })
            .collect();
        let expected_duration = f
            .get("expected_duration")
            .and_then(|n| self.duration(n, "expected_duration"));
        let step_kind = match kind.as_str() {
            "migrate" => self.migrate(&f, defaults).map(StepKind::Migrate),
            "check" => self.check(&f, defaults).map(StepKind::Check),
            "probe" => self.probe(&f).map(StepKind::Probe),
            "manual" => self
                .require(&f, "prompt", "a manual step", "Notify the team")
                .and_then(|n| self.string(n, "prompt"))
                .map(|prompt| StepKind::Manual { prompt }),
            "command" => self.command(&f, defaults).map(StepKind::Command),
            "backfill" => self.backfill(&f, defaults).map(StepKind::Backfill),
            _ => self.checkpoint(&f).map(StepKind::Checkpoint),
        };
        let require = match f.get("require") {
            Some(n) => self.preconditions(n, defaults)?,
            None => Vec::new(),
        };
        let _ = kind_key;
        Some(Step {
            id: id?,
            title,
            kind: step_kind?,
            depends_on,
            expected_duration,
            require,
            loc: id_node.loc,
        })
    }

    pub(super) fn duplicate_ids(&mut self, phases: &[Phase]) {
        let mut seen: HashMap<&str, Loc> = HashMap::new();
        for step in phases.iter().flat_map(|p| &p.steps) {
            if let Some(first) = seen.get(step.id.as_str()) {
                let d = Diagnostic::error(
                    "duplicate-id",
                    &self.file,
                    Some(step.loc),
                    format!("step id `{}` is used twice", step.id),
                )
                .with_help(format!(
                    "rename one of them, e.g. `{}-2`; ids are unique across the runbook",
                    step.id
                ))
                .with_related(&self.file, *first, "first used here");
                self.diags.push(d);
            } else {
                seen.insert(&step.id, step.loc);
            }
        }
    }
}
