//! SQL analysis with squawk's PostgreSQL grammar: statement splitting, kinds,
//! transaction requirements, tables read/written, destructive operations and
//! squawk-linter findings. Pure: no I/O.

use std::collections::BTreeSet;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use squawk_linter::Linter;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

mod access;
mod destructive;
mod statements;

use access::*;
use destructive::*;
use statements::*;

/// One top-level SQL statement as the server will receive it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// Byte range in the input, trimmed of surrounding whitespace/comments, without the `;`.
    pub range: Range<usize>,
    /// `input[range]`.
    pub text: String,
    /// Short human kind, e.g. `CREATE INDEX CONCURRENTLY`; `UNKNOWN` if unparsable.
    pub kind: String,
    /// `Some(reason)` when PostgreSQL refuses to run it inside a transaction block.
    pub no_transaction: Option<&'static str>,
    /// When set, `no_transaction` only applies to servers below this `server_version_num`.
    pub no_transaction_below: Option<u32>,
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SqlError {
    pub message: String,
    pub offset: usize,
}

/// A squawk-linter violation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Rule name in kebab-case, as squawk names it.
    pub rule: String,
    /// The rule itself (`None`: the linter failed).
    #[serde(skip)]
    pub code: Option<squawk_linter::Rule>,
    pub message: String,
    pub help: Option<String>,
    pub offset: usize,
}

/// An operation that loses data or breaks clients.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Destructive {
    DropTable(String),
    DropColumn {
        table: String,
        column: String,
    },
    ChangeColumnType {
        table: String,
        column: String,
    },
    /// `to` carries the schema of `from` (or the new schema for `SET SCHEMA`).
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    Truncate(String),
    /// Not a client break: what it costs is speed (and a unique index's guarantee); without
    /// `CONCURRENTLY`, a lock on its table while it drops.
    DropIndex {
        name: String,
        concurrently: bool,
    },
    /// Breaks what relied on the trigger, unless the same SQL creates it again.
    DropTrigger {
        name: String,
        table: String,
    },
    /// Any other `DROP` statement, e.g. `DROP VIEW v`.
    DropOther(String),
}

/// A `DROP … CASCADE`: it also drops whatever depends on the object, beyond the statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cascade {
    /// The statement, e.g. `DROP INDEX app.i`.
    pub statement: String,
    /// What CASCADE can reach from an object of that kind.
    pub reaches: &'static str,
}

/// Everything [`analyze`] learns about a piece of SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Analysis {
    pub statements: Vec<Statement>,
    /// What PostgreSQL's own parser refuses: its first syntax error (PL/pgSQL bodies are
    /// checked by the server when they run).
    pub errors: Vec<SqlError>,
    /// Tables read: FROM/JOIN/subqueries, FK targets, LIKE sources, COPY ... TO.
    pub reads: BTreeSet<String>,
    /// Tables created, altered, dropped, renamed, inserted/updated/deleted, truncated, indexed...
    pub writes: BTreeSet<String>,
    /// Offsets of BEGIN/START/COMMIT/END/ROLLBACK/ABORT/SAVEPOINT/RELEASE/PREPARE TRANSACTION.
    pub transaction_control: Vec<usize>,
    pub destructive: Vec<(usize, Destructive)>,
    pub cascades: Vec<(usize, Cascade)>,
    /// `UPDATE`/`DELETE` without `WHERE` of a table the SQL did not create: (verb, table).
    pub whole_table_writes: Vec<(usize, &'static str, String)>,
    /// `CREATE EXTENSION`s, by name.
    pub extensions: Vec<(usize, String)>,
    /// squawk-linter violations (default rules).
    pub findings: Vec<Finding>,
}

/// Parses, splits, and analyses `sql`; never panics.
///
/// `in_transaction`: whether the executor will wrap the SQL in one transaction
/// (squawk's `assume_in_transaction`).
pub fn analyze(sql: &str, in_transaction: bool) -> Analysis {
    guarded(sql, |sql| build(sql, Some(in_transaction))).unwrap_or_else(|| Analysis {
        errors: vec![SqlError {
            message: "internal error: the SQL analyser failed on this input".into(),
            offset: 0,
        }],
        ..Analysis::default()
    })
}

/// Splits into statements with the real grammar: dollar quotes, comments, DO
/// blocks, function bodies, and string literals containing `;` are respected.
pub fn split_statements(sql: &str) -> Vec<Statement> {
    guarded(sql, |sql| build(sql, None).statements).unwrap_or_default()
}

/// PostgreSQL's parser's verdict only (no splitting or linting): its first syntax error.
pub fn syntax_errors(sql: &str) -> Vec<SqlError> {
    guarded(sql, pg_syntax_errors).unwrap_or_else(|| {
        vec![SqlError {
            message: "internal error: the SQL parser failed on this input".into(),
            offset: 0,
        }]
    })
}

fn pg_syntax_errors(sql: &str) -> Vec<SqlError> {
    super::pg_parser::syntax_error(sql)
        .map(|e| SqlError {
            message: e.message,
            offset: e.offset,
        })
        .into_iter()
        .collect()
}

/// Whether `stmt` must run outside a transaction block on this server version.
pub fn needs_no_transaction_on(server_version_num: u32, stmt: &Statement) -> bool {
    match (stmt.no_transaction, stmt.no_transaction_below) {
        (None, _) => false,
        (Some(_), Some(below)) => server_version_num < below,
        (Some(_), None) => true,
    }
}

/// 1-based (line, column) of a byte offset in `text`; the column counts characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let col = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, col)
}

/// Inputs up to this size are analysed on the caller's stack.
const INLINE_LIMIT: usize = 2048;
/// Stack bytes reserved per input byte (pathological nesting costs ~150).
const STACK_PER_BYTE: usize = 256;
const MIN_STACK: usize = 8 << 20;
const MAX_STACK: usize = 1 << 30;

/// Runs `f`, catching panics; big inputs get a thread whose stack scales with
/// the input, since the parser (and tree drop) recurse once per nesting level.
fn guarded<T: Send>(sql: &str, f: impl FnOnce(&str) -> T + Send) -> Option<T> {
    if sql.len() <= INLINE_LIMIT {
        return catch_unwind(AssertUnwindSafe(|| f(sql))).ok();
    }
    let stack = sql
        .len()
        .saturating_mul(STACK_PER_BYTE)
        .clamp(MIN_STACK, MAX_STACK);
    let mut f = Some(f);
    let spawned = std::thread::scope(|scope| {
        let work = &mut f;
        std::thread::Builder::new()
            .name("sql-analysis".into())
            .stack_size(stack)
            .spawn_scoped(scope, move || work.take().map(|f| f(sql)))
            .map(|handle| handle.join().ok().flatten())
    });
    match spawned {
        Ok(result) => result,
        // No thread available: fall back to the caller's stack.
        Err(_) => {
            let f = f.take()?;
            catch_unwind(AssertUnwindSafe(|| f(sql))).ok()
        }
    }
}

/// Shared implementation; `lint` is `None` when only splitting.
fn build(sql: &str, lint: Option<bool>) -> Analysis {
    let parse = SourceFile::parse(sql);
    let root = parse.syntax_node();
    let full = lint.is_some();
    let mut out = Analysis::default();

    if full {
        // PostgreSQL's own parser says what is valid; squawk's tree serves the analysis.
        out.errors = pg_syntax_errors(sql);
    }

    let mut acc = Acc::default();
    for group in group_statements(&root) {
        let stmts: Vec<&SyntaxNode> = group
            .elems
            .iter()
            .filter(|n| ast::Stmt::can_cast(n.kind()))
            .collect();
        let single = match (group.elems.as_slice(), stmts.as_slice()) {
            ([_], [only]) if !group.stray => Some(*only),
            _ => None,
        };
        let (kind, no_transaction, no_transaction_below) = match single {
            Some(node) => {
                let (reason, below) = no_transaction(node);
                (stmt_kind(node), reason, below)
            }
            None => ("UNKNOWN".to_string(), None, None),
        };
        if full {
            for node in &stmts {
                if is_transaction_control(node.kind()) {
                    out.transaction_control.push(group.range.start);
                    break;
                }
            }
            for node in &stmts {
                scan(
                    node,
                    &|n: &SyntaxNode| usize::from(n.text_range().start()),
                    &mut acc,
                    0,
                );
            }
        }
        out.statements.push(Statement {
            text: sql.get(group.range.clone()).unwrap_or_default().to_string(),
            range: group.range,
            kind,
            no_transaction,
            no_transaction_below,
        });
    }

    if let Some(in_transaction) = lint {
        // A trigger dropped and created again by the same SQL is replaced, not removed.
        let created = std::mem::take(&mut acc.created_triggers);
        acc.destructive.retain(|(at, d)| match d {
            Destructive::DropTrigger { name, table } => !created
                .iter()
                .any(|(c_at, c_name, c_table)| c_at > at && c_name == name && c_table == table),
            _ => true,
        });
        out.reads = acc.reads;
        out.writes = acc.writes;
        out.destructive = acc.destructive;
        out.cascades = acc.cascades;
        // A table the same SQL created is new: writing all of it is no risk.
        let created = std::mem::take(&mut acc.created_tables);
        let created_before =
            |table: &str, at: usize| created.iter().any(|(c_at, c)| *c_at < at && c == table);
        out.whole_table_writes = acc
            .whole_table_writes
            .into_iter()
            .filter(|(at, _, table)| !created_before(table, *at))
            .collect();
        out.extensions = acc.extensions;
        let linted = catch_unwind(AssertUnwindSafe(|| {
            let mut linter = Linter::with_rules(&[], &super::lint_rules::NEVER_REPORTED);
            linter.settings.assume_in_transaction = in_transaction;
            linter.lint(&parse, sql)
        }));
        match linted {
            Ok(violations) => {
                let on_new_table = |v: &squawk_linter::Violation| {
                    let at = usize::from(v.text_range.start());
                    is_lock_risk(v.code)
                        && altered_table(&root, v).is_some_and(|t| created_before(&t, at))
                };
                // A foreign key told to be added NOT VALID is not told its lock again.
                let fk_said: Vec<Option<usize>> = violations
                    .iter()
                    .filter(|v| v.code == squawk_linter::Rule::ConstraintMissingNotValid)
                    .map(|v| statement_of(&root, v))
                    .collect();
                out.findings = violations
                    .into_iter()
                    .filter(|v| !advises_what_postgresql_refuses(&root, v))
                    .filter(|v| !on_new_table(v))
                    .filter(|v| {
                        v.code != squawk_linter::Rule::AddingForeignKeyConstraint
                            || !fk_said.contains(&statement_of(&root, v))
                    })
                    .map(|v| Finding {
                        rule: v.code.to_string(),
                        code: Some(v.code),
                        message: v.message,
                        help: v.help,
                        offset: usize::from(v.text_range.start()),
                    })
                    .collect();
            }
            Err(_) => out.findings.push(Finding {
                rule: "internal-error".into(),
                code: None,
                message: "squawk-linter failed on this input; findings are incomplete".into(),
                help: None,
                offset: 0,
            }),
        }
    }
    out
}

/// Rules about locks and scans on a table with rows: no risk on a table the same SQL created.
fn is_lock_risk(rule: squawk_linter::Rule) -> bool {
    use squawk_linter::Rule as R;
    matches!(
        rule,
        R::AddingSerialPrimaryKeyField
            | R::AddingFieldWithDefault
            | R::AddingNotNullableField
            | R::AddingRequiredField
            | R::AddingForeignKeyConstraint
            | R::ConstraintMissingNotValid
            | R::DisallowedUniqueConstraint
            | R::RequireConcurrentIndexCreation
            | R::ChangingColumnType
    )
}

/// The table the `ALTER TABLE` or `CREATE INDEX` a finding is in changes.
fn altered_table(root: &SyntaxNode, v: &squawk_linter::Violation) -> Option<String> {
    use SyntaxKind as K;
    let at = v.text_range.start();
    let stmt = root
        .descendants()
        .filter(|n| matches!(n.kind(), K::ALTER_TABLE | K::CREATE_INDEX))
        .filter(|n| n.text_range().start() <= at && at < n.text_range().end())
        .last()?;
    match stmt.kind() {
        K::ALTER_TABLE => alter_target(&stmt),
        _ => stmt
            .children()
            .find(|c| matches!(c.kind(), K::RELATION_NAME | K::PATH))
            .and_then(|c| path_name(&c)),
    }
}

/// The top-level statement a finding is in (its start), if any.
fn statement_of(root: &SyntaxNode, v: &squawk_linter::Violation) -> Option<usize> {
    let at = v.text_range.start();
    root.children()
        .find(|n| n.text_range().start() <= at && at < n.text_range().end())
        .map(|n| usize::from(n.text_range().start()))
}

/// squawk advises `NOT VALID` on every added constraint, but PostgreSQL accepts it only on
/// `CHECK` and `FOREIGN KEY`: on a primary key, unique or exclusion constraint the advice is
/// refused (their lock risk is said by the rule for the index they build).
fn advises_what_postgresql_refuses(root: &SyntaxNode, v: &squawk_linter::Violation) -> bool {
    use SyntaxKind as K;
    if v.code != squawk_linter::Rule::ConstraintMissingNotValid {
        return false;
    }
    root.descendants()
        .filter(|n| n.kind() == K::ADD_CONSTRAINT && n.text_range().start() == v.text_range.start())
        .any(|n| {
            n.descendants().any(|c| {
                matches!(
                    c.kind(),
                    K::PRIMARY_KEY_CONSTRAINT | K::UNIQUE_CONSTRAINT | K::EXCLUDE_CONSTRAINT
                )
            })
        })
}

/// A top-level statement: its trimmed range and the top-level nodes it spans.
struct Group {
    range: Range<usize>,
    elems: Vec<SyntaxNode>,
    /// Whether it also holds tokens outside any node.
    stray: bool,
}

/// Accumulated reads, writes and destructive operations.
#[derive(Default)]
struct Acc {
    reads: BTreeSet<String>,
    writes: BTreeSet<String>,
    destructive: Vec<(usize, Destructive)>,
    cascades: Vec<(usize, Cascade)>,
    /// `CREATE TRIGGER`s: (offset, name, table).
    created_triggers: Vec<(usize, String, String)>,
    /// `CREATE TABLE`s: (offset, name).
    created_tables: Vec<(usize, String)>,
    whole_table_writes: Vec<(usize, &'static str, String)>,
    extensions: Vec<(usize, String)>,
}

enum Access {
    Read,
    Write,
}

/// Maximum nesting of DO blocks analysed.
const MAX_BODY_DEPTH: u8 = 4;

#[cfg(test)]
mod tests;
