//! Each kind of step's own fields: migrate, check, probe, command, checkpoint.

use super::*;

impl Ctx<'_> {
    pub(super) fn migrate(&mut self, f: &Fields, defaults: &Defaults) -> Option<Migrate> {
        let sql = self.sql_of(f, "migrate");
        let rollback = f.get("rollback").and_then(|n| {
            let text = self.string(n, "rollback")?;
            if looks_like_sql_path(&text) {
                self.sql_file(
                    &text,
                    n.loc,
                    "write the SQL that undoes the migration in it, or remove the `rollback:` key (with `irreversible: \"<why>\"` if nothing can undo it)",
                )
            } else {
                self.inline_sql(n, "rollback")
            }
        });
        let irreversible = f.get("irreversible").and_then(|n| self.irreversible(n));
        if irreversible.is_some()
            && let Some(rollback_node) = f.get("rollback")
        {
            self.error(
                "rollback-and-irreversible",
                rollback_node.loc,
                "a migration is either undone by its `rollback` or declared `irreversible`, not both",
                "keep `rollback:` if its SQL undoes the migration, or remove it and keep `irreversible: <reason>`",
            );
        }
        let transaction_loc = f.get("transaction").map(|n| n.loc);
        let transaction = f
            .get("transaction")
            .and_then(|n| self.tx_mode(n))
            .unwrap_or(defaults.transaction);
        Some(Migrate {
            sql: sql?,
            rollback,
            irreversible,
            transaction,
            transaction_loc,
            lock_timeout: self.optional_duration(f, "lock_timeout", defaults.lock_timeout),
            concurrent_lock_timeout: self.optional_duration(
                f,
                "concurrent_lock_timeout",
                defaults.concurrent_lock_timeout,
            ),
            statement_timeout: self.optional_duration(
                f,
                "statement_timeout",
                defaults.statement_timeout,
            ),
            lock_retries: f
                .get("lock_retries")
                .and_then(|n| self.count(n, "lock_retries", 0))
                .unwrap_or(defaults.lock_retries),
            breaking: f
                .get("breaking")
                .and_then(|n| self.boolean(n, "breaking"))
                .unwrap_or(false),
            rollback_expected: None,
        })
    }

    /// `irreversible: <reason>`: the reason is what the report and the operator read at a no-go.
    pub(super) fn irreversible(&mut self, node: &Node) -> Option<String> {
        if let Value::Bool(_) = node.value {
            self.error(
                "irreversible-without-reason",
                node.loc,
                "`irreversible` takes the reason nothing can undo this migration, not true or false",
                "write the reason, e.g. `irreversible: \"data migration: nothing to undo\"`",
            );
            return None;
        }
        self.string(node, "irreversible")
    }

    pub(super) fn check(&mut self, f: &Fields, defaults: &Defaults) -> Option<Check> {
        let sql = self.sql_of(f, "check");
        let expect = self
            .require(f, "expect", "a check step", "1")
            .and_then(|n| self.expectation(n));
        let severity = f
            .get("severity")
            .and_then(|n| {
                self.one_of(
                    n,
                    "severity",
                    &[
                        ("critical", Severity::Critical),
                        ("warning", Severity::Warning),
                    ],
                )
            })
            .unwrap_or(Severity::Critical);
        Some(Check {
            sql: sql?,
            expect: expect?,
            severity,
            timeout: self.optional_duration(f, "timeout", defaults.check_timeout),
        })
    }

    /// `require:` — one precondition or a list of them, each `{ sql | file, expect, on_fail,
    /// timeout }`.
    pub(super) fn preconditions(
        &mut self,
        node: &Node,
        defaults: &Defaults,
    ) -> Option<Vec<Precondition>> {
        const KEYS: [&str; 5] = ["sql", "file", "expect", "on_fail", "timeout"];
        const EXAMPLE: &str = "require:\n  - sql: SELECT count(*) FROM customers WHERE email IS NULL\n    expect: 0\n    on_fail: halt   # or skip, warn";
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => vec![node],
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    format!(
                        "`require` takes preconditions (queries with their expected answer), found {}",
                        other.kind()
                    ),
                    format!("write them as a list, for example:\n{EXAMPLE}"),
                );
                return None;
            }
        };
        let mut all = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(f) = self.fields(item, "a precondition", &KEYS, EXAMPLE) else {
                ok = false;
                continue;
            };
            let sql = self.sql_of(&f, "precondition");
            let expect = self
                .require(&f, "expect", "a precondition", "0")
                .and_then(|n| self.expectation(n));
            let on_fail = match f.get("on_fail") {
                Some(n) => self.one_of(
                    n,
                    "on_fail",
                    &[
                        ("halt", OnFail::Halt),
                        ("skip", OnFail::Skip),
                        ("warn", OnFail::Warn),
                    ],
                ),
                None => Some(OnFail::Halt),
            };
            let timeout = self.optional_duration(&f, "timeout", defaults.check_timeout);
            match (sql, expect, on_fail) {
                (Some(sql), Some(expect), Some(on_fail)) => all.push(Precondition {
                    sql,
                    expect,
                    on_fail,
                    timeout,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(all)
    }

    pub(super) fn probe(&mut self, f: &Fields) -> Option<Probe> {
        let sql = self.sql_of(f, "probe");
        let every = self.optional_duration(f, "every", Duration::from_secs(60));
        if every.is_zero() {
            let loc = f.key_loc("every").unwrap_or(f.loc);
            self.error(
                "out-of-range",
                loc,
                "`every` must be longer than zero",
                "write `every: 30s` or longer",
            );
        }
        let alert = f
            .get("alert")
            .and_then(|n| self.comparison(n, "alert", false));
        Some(Probe {
            sql: sql?,
            every,
            alert: alert.and_then(|e| match e {
                Expectation::Value(c) => Some(c),
                Expectation::Rows(_) | Expectation::Empty(_) => None,
            }),
        })
    }

    pub(super) fn command(&mut self, f: &Fields, defaults: &Defaults) -> Option<Command> {
        let run = self.require(
            f,
            "run",
            "a command step",
            "[pg_dump, -Fc, -f, backup.dump]",
        )?;
        let program = match &run.value {
            Value::Seq(items) if !items.is_empty() => {
                let mut args = Vec::new();
                for item in items {
                    match item.scalar_text() {
                        Some(s) => args.push(s),
                        None => self.error(
                            "wrong-type",
                            item.loc,
                            format!(
                                "each argument of `run` must be a string, found {}",
                                item.value.kind()
                            ),
                            "quote the argument",
                        ),
                    }
                }
                args
            }
            Value::Str(s) => {
                let words: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
                self.error(
                    "wrong-type",
                    run.loc,
                    "`run` is a list of arguments, not a shell line",
                    format!(
                        "write `run: [{}]` (no shell is involved; for a pipeline use `[sh, -c, \"...\"]`)",
                        words.join(", ")
                    ),
                );
                return None;
            }
            other => {
                self.error(
                    "wrong-type",
                    run.loc,
                    format!(
                        "`run` must be a non-empty list of arguments, found {}",
                        other.kind()
                    ),
                    "write `run: [pg_dump, -Fc, -f, backup.dump]`",
                );
                return None;
            }
        };
        Some(Command {
            program,
            timeout: self.optional_duration(f, "timeout", defaults.command_timeout),
        })
    }

    pub(super) fn checkpoint(&mut self, f: &Fields) -> Option<Checkpoint> {
        let prompt = self
            .require(f, "prompt", "a checkpoint", "Go for production migration?")
            .and_then(|n| self.string(n, "prompt"));
        let questions = self
            .require(f, "questions", "a checkpoint", "[Backup verified?, Rollback plan documented?]")
            .and_then(|n| {
                let list = self.string_list(n, "questions", "[Backup verified?]")?;
                if list.is_empty() {
                    self.error(
                        "empty-questions",
                        n.loc,
                        "a checkpoint needs at least one checklist question",
                        "list what the operator must confirm, e.g. `questions: [Backup verified?, Staging tests passed?]`",
                    );
                    return None;
                }
                Some(list.into_iter().map(|(q, _)| q).collect::<Vec<_>>())
            });
        Some(Checkpoint {
            prompt: prompt?,
            questions: questions?,
        })
    }
}

/// Whether a URL or conninfo string carries a password written out (not `${VAR}`).
pub(super) fn has_literal_password(url: &str) -> bool {
    if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            return !password.is_empty() && !password.starts_with("${");
        }
        return url.split(['?', '&']).any(|p| {
            p.strip_prefix("password=")
                .is_some_and(|v| !v.is_empty() && !v.starts_with("${"))
        });
    }
    url.split_whitespace().any(|p| {
        p.strip_prefix("password=")
            .is_some_and(|v| !v.is_empty() && !v.starts_with("${"))
    })
}
