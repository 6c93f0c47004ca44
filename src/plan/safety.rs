//! SQL safety and conflict analysis, with the transaction mode the engine will really use.

use super::lint_rules;
use super::sql::{self, Analysis, Destructive};
use super::{EdgeKind, StepPlan};
use crate::diag::Diagnostic;
use crate::runbook::{Loc, Runbook, SqlSource, Step, StepKind, TxMode};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

/// Where an offset inside a step's SQL is, as a file and a location in it.
pub(crate) fn locate(
    source: &SqlSource,
    runbook_file: &std::path::Path,
    offset: usize,
    len: usize,
) -> (PathBuf, Loc) {
    source.locate(runbook_file, offset, len)
}

/// A step's SQL as analysed for how it runs, and its rollback's.
struct StepSql {
    analysis: sql::Analysis,
    rollback: Option<sql::Analysis>,
}

/// Whether `step` runs in one transaction: `blocker` is a statement that cannot.
fn in_transaction(step: &Step, blocker: Option<&sql::Statement>) -> bool {
    match &step.kind {
        StepKind::Migrate(m) => match (m.transaction, blocker) {
            // Refused below; analysed as written.
            (TxMode::Always, _) => true,
            (TxMode::Auto, Some(_)) | (TxMode::Never, _) => false,
            (TxMode::Auto, None) => true,
        },
        // Checks and probes run in a read-only transaction.
        _ => true,
    }
}

fn blocker(analysis: &sql::Analysis) -> Option<&sql::Statement> {
    analysis
        .statements
        .iter()
        .find(|s| s.no_transaction.is_some() && s.no_transaction_below.is_none())
}

/// Parses and lints a step's SQL and rollback; pure, so steps are analysed in parallel.
fn analyse_step(step: &Step) -> Option<StepSql> {
    let source = step.kind.sql()?;
    // Most SQL runs in a transaction: analyse for that once, and again only if not.
    let mut analysis = sql::analyze(&source.text, true);
    if !in_transaction(step, blocker(&analysis)) {
        analysis = sql::analyze(&source.text, false);
    }
    let rollback = match &step.kind {
        StepKind::Migrate(m) => m.rollback.as_ref().map(|rollback| {
            let probe = sql::analyze(&rollback.text, true);
            if probe.statements.iter().any(|s| s.no_transaction.is_some()) {
                sql::analyze(&rollback.text, false)
            } else {
                probe
            }
        }),
        _ => None,
    };
    Some(StepSql { analysis, rollback })
}

/// Steps analysed together before their findings are reported (bounds the memory held).
const CHUNK: usize = 1024;

/// Fills in each SQL step's transaction mode, tables and statement count, and reports
/// what is unsafe about its SQL.
pub(crate) fn analyze(runbook: &Runbook, steps: &mut [StepPlan], diags: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    let file = runbook.path.as_path();
    let all: Vec<&Step> = runbook.phases.iter().flat_map(|p| &p.steps).collect();
    for (plans, listed) in steps.chunks_mut(CHUNK).zip(all.chunks(CHUNK)) {
        let analysed: Vec<Option<StepSql>> = listed
            .par_iter()
            .with_min_len(16)
            .map(|step| analyse_step(step))
            .collect();
        for ((plan, step), analysed) in plans.iter_mut().zip(listed).zip(analysed) {
            let (Some(source), Some(StepSql { analysis, rollback })) = (step.kind.sql(), analysed)
            else {
                continue;
            };
            let blocker = blocker(&analysis);
            let in_transaction = in_transaction(step, blocker);
            if let StepKind::Migrate(m) = &step.kind {
                match (m.transaction, blocker) {
                    (TxMode::Always, Some(stmt)) => {
                        let (f, loc) = locate(source, file, stmt.range.start, stmt.range.len());
                        diags.push(
                            Diagnostic::error(
                                "needs-no-transaction",
                                &f,
                                Some(loc),
                                format!(
                                    "step `{}` has `transaction: always`, but {} cannot run inside a transaction block",
                                    step.id, stmt.kind
                                ),
                            )
                            .with_help("write `transaction: auto` (cutover then runs this step outside a transaction) or `transaction: never`")
                            .with_related(file, m.transaction_loc.unwrap_or(step.loc), "transaction mode set here"),
                        );
                    }
                    (TxMode::Auto, Some(stmt)) => {
                        plan.no_transaction_reason =
                            Some(format!("{} cannot run in a transaction block", stmt.kind));
                    }
                    (TxMode::Never, _) => {
                        plan.no_transaction_reason = Some("transaction: never".into());
                    }
                    _ => {}
                }
            }
            plan.in_transaction = Some(in_transaction);
            plan.statements = analysis.statements.len();
            plan.reads = analysis.reads.iter().map(|t| normalize(t)).collect();
            plan.writes = analysis.writes.iter().map(|t| normalize(t)).collect();
            report_sql(runbook, step, source, &analysis, in_transaction, diags);
            if let (StepKind::Migrate(m), Some(analysis)) = (&step.kind, rollback)
                && let Some(rollback) = &m.rollback
            {
                // The rollback runs mid-window too: PostgreSQL's parser and the lint rules see
                // it. It undoes the step by design, so what breaks clients is not said of it.
                let what = format!("the rollback of `{}`", step.id);
                for error in &analysis.errors {
                    let (f, loc) = locate(rollback, file, error.offset, 1);
                    diags.push(syntax_error(&what, f, loc, error));
                }
                lint(&what, rollback, file, &analysis, true, diags);
            }
        }
    }
    for step in &all {
        preconditions(step, file, diags);
    }
}

/// A step's preconditions are read-only queries PostgreSQL must be able to parse.
fn preconditions(step: &Step, file: &std::path::Path, diags: &mut Vec<Diagnostic>) {
    for (n, p) in step.require.iter().enumerate() {
        let what = format!("precondition {} of `{}`", n + 1, step.id);
        let analysis = sql::analyze(&p.sql.text, true);
        for error in &analysis.errors {
            let (f, loc) = locate(&p.sql, file, error.offset, 1);
            diags.push(syntax_error(&what, f, loc, error));
        }
        // As for checks: the session is read-only too, but this says so before the window.
        if !analysis.writes.is_empty() {
            let offset = analysis
                .statements
                .iter()
                .find(|s| s.kind != "SELECT")
                .map_or(0, |s| s.range.start);
            let (f, loc) = locate(&p.sql, file, offset, 1);
            diags.push(
                Diagnostic::error(
                    "precondition-writes",
                    &f,
                    Some(loc),
                    format!("{what} is not a query: preconditions run read-only, before the step"),
                )
                .with_help("write one SELECT whose answer says whether the step may run, e.g. `SELECT count(*) FROM customers WHERE email IS NULL` with `expect: 0`"),
            );
        }
    }
}

/// Extensions PostgreSQL (13+) marks trusted: a role with CREATE on the database may create
/// them; any other needs a superuser.
const TRUSTED_EXTENSIONS: [&str; 23] = [
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dict_int",
    "fuzzystrmatch",
    "hstore",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "pg_trgm",
    "pgcrypto",
    "plperl",
    "plpgsql",
    "pltcl",
    "seg",
    "tablefunc",
    "tcn",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
];

/// `CREATE EXTENSION` needs privileges a migration role often lacks: found out at `check`,
/// not mid-window.
fn create_extension(step: &str, extension: &str, file: &std::path::Path, loc: Loc) -> Diagnostic {
    if TRUSTED_EXTENSIONS.contains(&extension) {
        Diagnostic::note(
            "create-extension",
            file,
            Some(loc),
            format!(
                "step `{step}` creates extension {extension}: the role running cutover needs CREATE on the database (it is a trusted extension)"
            ),
        )
    } else {
        Diagnostic::warning(
            "create-extension",
            file,
            Some(loc),
            format!("step `{step}` creates extension {extension}, which only a superuser may create (it is not a trusted extension)"),
        )
        .with_help("run cutover as a superuser for this step, or have a superuser create the extension before the window (then keep `CREATE EXTENSION IF NOT EXISTS` here as a no-op)")
    }
}

/// What dropping an index costs, said once: speed (and a unique index's guarantee) always; a
/// lock on its table too without CONCURRENTLY.
fn drop_index(
    step: &str,
    index: &str,
    concurrently: bool,
    file: &std::path::Path,
    loc: Loc,
) -> Diagnostic {
    let cost = "queries that used it slow down, and a unique index's guarantee goes with it";
    if concurrently {
        Diagnostic::note(
            "drop-index",
            file,
            Some(loc),
            format!("step `{step}` drops index {index}: {cost}"),
        )
    } else {
        Diagnostic::warning(
            "drop-index",
            file,
            Some(loc),
            format!(
                "step `{step}` drops index {index} without CONCURRENTLY: its table is locked against reads and writes until the drop is done, and {cost}"
            ),
        )
        .with_help("write `DROP INDEX CONCURRENTLY` (cutover then runs the step outside a transaction)")
    }
}

/// squawk's findings that stand on this SQL (`breaking`: the step said it breaks clients).
fn lint(
    what: &str,
    source: &SqlSource,
    file: &std::path::Path,
    analysis: &Analysis,
    breaking: bool,
    diags: &mut Vec<Diagnostic>,
) {
    for finding in analysis.findings.iter().filter(|f| {
        f.code
            .is_none_or(|rule| lint_rules::reported(rule, breaking))
    }) {
        let (f, loc) = locate(source, file, finding.offset, 1);
        let mut d = Diagnostic::warning(
            "sql-lint",
            &f,
            Some(loc),
            format!("{what} [{}]: {}", finding.rule, finding.message),
        );
        if let Some(help) = &finding.help {
            d = d.with_help(help.clone());
        }
        diags.push(d);
    }
}

/// SQL that PostgreSQL's own parser refuses: the server would refuse it too, mid-window.
fn syntax_error(what: &str, file: PathBuf, loc: Loc, error: &sql::SqlError) -> Diagnostic {
    Diagnostic::error(
        "sql-syntax",
        &file,
        Some(loc),
        format!("{what}: PostgreSQL cannot parse this: {}", error.message),
    )
    .with_help("fix the SQL here: PostgreSQL's own parser stops at this point, so the server would refuse the statement during the window")
}

/// `public.users` and `users` are the same table for conflict purposes.
fn normalize(table: &str) -> String {
    table.strip_prefix("public.").unwrap_or(table).to_owned()
}

fn report_sql(
    runbook: &Runbook,
    step: &crate::runbook::Step,
    source: &SqlSource,
    analysis: &Analysis,
    in_transaction: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let file = runbook.path.as_path();
    for error in &analysis.errors {
        let (f, loc) = locate(source, file, error.offset, 1);
        diags.push(syntax_error(&format!("step `{}`", step.id), f, loc, error));
    }
    match &step.kind {
        StepKind::Backfill(_) => {
            // Each batch commits with the cursor: a batch's own COMMIT would break that.
            for &offset in &analysis.transaction_control {
                let (f, loc) = locate(source, file, offset, 5);
                diags.push(
                    Diagnostic::error(
                        "transaction-control",
                        &f,
                        Some(loc),
                        format!("backfill `{}` controls its own transaction, but each of its batches already runs in one, with its cursor", step.id),
                    )
                    .with_help("write one batch's statement (`UPDATE … WHERE id > $1 AND id <= $2`); cutover commits each batch"),
                );
            }
            if analysis.statements.len() > 1 {
                let (f, loc) = locate(source, file, 0, 1);
                diags.push(
                    Diagnostic::error(
                        "backfill-statements",
                        &f,
                        Some(loc),
                        format!("backfill `{}` has {} statements: a batch is one statement with $1 and $2", step.id, analysis.statements.len()),
                    )
                    .with_help("keep the one statement that moves a batch; put other changes in migrate steps around it"),
                );
            }
        }
        StepKind::Migrate(m) => {
            if in_transaction {
                for &offset in &analysis.transaction_control {
                    let (f, loc) = locate(source, file, offset, 5);
                    diags.push(
                        Diagnostic::error(
                            "transaction-control",
                            &f,
                            Some(loc),
                            format!("step `{}` controls its own transaction, but cutover already runs it in one", step.id),
                        )
                        .with_help("remove BEGIN/COMMIT (cutover commits the step together with its tracking row), or set `transaction: never`"),
                    );
                }
            }
            for (offset, drop) in &analysis.destructive {
                if let Destructive::DropIndex { name, concurrently } = drop {
                    let (f, loc) = locate(source, file, *offset, 4);
                    diags.push(drop_index(&step.id, name, *concurrently, &f, loc));
                }
            }
            for (offset, cascade) in &analysis.cascades {
                let (f, loc) = locate(source, file, *offset, 4);
                diags.push(
                    Diagnostic::warning(
                        "drop-cascade",
                        &f,
                        Some(loc),
                        format!(
                            "step `{}`: {} CASCADE also drops {}, without naming them",
                            step.id, cascade.statement, cascade.reaches
                        ),
                    )
                    .with_help("drop what depends on it by name first, then drop it without CASCADE: a no-go cannot bring back what CASCADE took with it"),
                );
            }
            for (offset, verb, table) in &analysis.whole_table_writes {
                let (f, loc) = locate(source, file, *offset, 6);
                diags.push(
                    Diagnostic::warning(
                        "whole-table-write",
                        &f,
                        Some(loc),
                        format!(
                            "step `{}` {verb} every row of {table} in one statement: on a big table that is one long transaction locking every row, replica lag and bloat",
                            step.id
                        ),
                    )
                    .with_help("if the table is large, move the data change out of the schema change into batches over key ranges (each its own short transaction); add a WHERE if not every row is meant"),
                );
            }
            for (offset, extension) in &analysis.extensions {
                let (f, loc) = locate(source, file, *offset, 6);
                diags.push(create_extension(&step.id, extension, &f, loc));
            }
            if !m.breaking {
                for (offset, what) in analysis
                    .destructive
                    .iter()
                    .filter(|(_, d)| !matches!(d, Destructive::DropIndex { .. }))
                {
                    let (f, loc) = locate(source, file, *offset, 4);
                    diags.push(
                        Diagnostic::warning(
                            "undeclared-breaking",
                            &f,
                            Some(loc),
                            format!(
                                "step `{}` {}, which breaks clients still using the old schema",
                                step.id,
                                describe(what)
                            ),
                        )
                        .with_help("if that is intended, declare `breaking: true` on the step"),
                    );
                }
            }
            if let Some(rollback) = &m.rollback
                && sql::split_statements(&rollback.text).is_empty()
            {
                let (f, loc) = locate(rollback, file, 0, 1);
                diags.push(
                    Diagnostic::warning(
                        "empty-rollback",
                        &f,
                        Some(loc),
                        format!(
                            "the rollback of `{}` has no statements, only comments: a no-go leaves the migration applied",
                            step.id
                        ),
                    )
                    .with_help("write the SQL that undoes it, or replace `rollback:` with `irreversible: \"<why nothing can undo it>\"`"),
                );
            }
            if m.rollback.is_none() && m.irreversible.is_none() {
                diags.push(
                    Diagnostic::warning(
                        "no-rollback",
                        file,
                        Some(step.loc),
                        format!("migration `{}` has no rollback", step.id),
                    )
                    .with_help("add `rollback: migrations/<name>.down.sql` (or inline SQL) so a no-go can undo it, or say `irreversible: \"<why>\"`"),
                );
            }
            lint(
                &format!("step `{}`", step.id),
                source,
                file,
                analysis,
                m.breaking,
                diags,
            );
        }
        StepKind::Check(_) | StepKind::Probe(_) => {
            if !analysis.writes.is_empty() {
                let offset = analysis
                    .statements
                    .iter()
                    .find(|s| s.kind != "SELECT")
                    .map_or(0, |s| s.range.start);
                let (f, loc) = locate(source, file, offset, 1);
                let tables: Vec<&str> = analysis.writes.iter().map(String::as_str).collect();
                diags.push(
                    Diagnostic::error(
                        "check-writes",
                        &f,
                        Some(loc),
                        format!(
                            "{} `{}` would write to {}, but checks and probes run read-only",
                            step.kind.key(),
                            step.id,
                            tables.join(", ")
                        ),
                    )
                    .with_help("make it a SELECT, or turn it into a migrate step"),
                );
            }
        }
        StepKind::Manual { .. } | StepKind::Command(_) | StepKind::Checkpoint(_) => {}
    }
}

fn describe(what: &Destructive) -> String {
    match what {
        Destructive::DropTable(t) => format!("drops table {t}"),
        Destructive::DropColumn { table, column } => format!("drops column {table}.{column}"),
        Destructive::ChangeColumnType { table, column } => {
            format!("changes the type of {table}.{column}")
        }
        Destructive::RenameTable { from, to } => format!("renames table {from} to {to}"),
        Destructive::RenameColumn { table, from, to } => {
            format!("renames column {table}.{from} to {to}")
        }
        Destructive::Truncate(t) => format!("truncates {t}"),
        Destructive::DropIndex { name, .. } => format!("drops index {name}"),
        Destructive::DropTrigger { name, table } => format!("drops trigger {name} on {table}"),
        Destructive::DropOther(what) => format!("runs {what}"),
    }
}

/// Migrations that touch the same table: an error where they may run at once, an ordering
/// note where the phase is sequential. Returns the notes.
pub(crate) fn conflicts(
    runbook: &Runbook,
    steps: &[StepPlan],
    edges: &[(usize, usize, EdgeKind)],
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let all: Vec<&crate::runbook::Step> = runbook.phases.iter().flat_map(|p| &p.steps).collect();
    let mut successors: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(from, to, _) in edges {
        successors.entry(from).or_default().push(to);
    }
    let reaches = |from: usize, to: usize| -> bool {
        let mut stack = vec![from];
        let mut seen = HashSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                stack.extend(successors.get(&n).into_iter().flatten().copied());
            }
        }
        false
    };
    // Per phase, which migrations touch which table.
    for (p, phase) in runbook.phases.iter().enumerate() {
        let migrations: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i].phase == p && steps[i].kind == "migrate")
            .collect();
        let mut by_table: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in &migrations {
            let touched: BTreeSet<&str> = steps[i]
                .reads
                .iter()
                .chain(&steps[i].writes)
                .map(String::as_str)
                .collect();
            for table in touched {
                by_table.entry(table).or_default().push(i);
            }
        }
        let mut reported = HashSet::new();
        for (table, users) in by_table {
            for (k, &a) in users.iter().enumerate() {
                for &b in &users[k + 1..] {
                    let a_writes = steps[a].writes.contains(table);
                    let b_writes = steps[b].writes.contains(table);
                    if !(a_writes || b_writes) || reaches(a, b) || reaches(b, a) {
                        continue;
                    }
                    if phase.parallel > 1 {
                        if reported.insert((a, b)) {
                            diags.push(
                                Diagnostic::error(
                                    "parallel-conflict",
                                    &runbook.path,
                                    Some(all[b].loc),
                                    format!(
                                        "`{}` and `{}` both touch table `{table}` and may run at the same time (phase `{}` has parallel: {})",
                                        steps[a].id, steps[b].id, phase.id, phase.parallel
                                    ),
                                )
                                .with_help(format!("add `depends_on: [{}]` to `{}` to order them", steps[a].id, steps[b].id))
                                .with_related(&runbook.path, all[a].loc, format!("`{}` is defined here", steps[a].id)),
                            );
                        }
                    } else {
                        notes.push(format!(
                            "`{}` runs before `{}`: both touch `{table}` and only listing order decides",
                            steps[a].id, steps[b].id
                        ));
                    }
                }
            }
        }
    }
    notes
}
