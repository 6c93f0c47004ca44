//! SQL analysis with squawk's PostgreSQL grammar: statement splitting, kinds,
//! transaction requirements, tables read/written, destructive operations and
//! squawk-linter findings. Pure: no I/O.

use std::collections::BTreeSet;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use squawk_linter::Linter;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

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

/// Groups top-level tokens into statements, ending each at a terminating `;`
/// (one directly under the file, a top-level statement, or a top-level error).
fn group_statements(root: &SyntaxNode) -> Vec<Group> {
    #[derive(Default)]
    struct Builder {
        groups: Vec<Group>,
        range: Option<Range<usize>>,
        elems: Vec<SyntaxNode>,
        stray: bool,
    }
    impl Builder {
        fn feed(&mut self, token: &SyntaxToken, owner: Option<&SyntaxNode>) {
            if token.kind().is_trivia() {
                return;
            }
            let terminates = token.kind() == SyntaxKind::SEMICOLON
                && match owner {
                    None => true,
                    Some(owner) => token.parent().as_ref() == Some(owner),
                };
            if terminates {
                self.close();
                return;
            }
            let r = token.text_range();
            let (start, end) = (usize::from(r.start()), usize::from(r.end()));
            self.range = Some(match self.range.take() {
                Some(range) => range.start..end,
                None => start..end,
            });
            match owner {
                Some(owner) if self.elems.last() != Some(owner) => self.elems.push(owner.clone()),
                Some(_) => {}
                None => self.stray = true,
            }
        }
        fn close(&mut self) {
            let elems = std::mem::take(&mut self.elems);
            let stray = std::mem::take(&mut self.stray);
            if let Some(range) = self.range.take() {
                self.groups.push(Group {
                    range,
                    elems,
                    stray,
                });
            }
        }
    }

    let mut builder = Builder::default();
    for child in root.children_with_tokens() {
        match child {
            SyntaxElement::Token(token) => builder.feed(&token, None),
            SyntaxElement::Node(node) => {
                for el in node.descendants_with_tokens() {
                    if let SyntaxElement::Token(token) = el {
                        builder.feed(&token, Some(&node));
                    }
                }
            }
        }
    }
    builder.close();
    builder.groups
}

/// Short human kind of a statement node.
fn stmt_kind(node: &SyntaxNode) -> String {
    use SyntaxKind as K;
    let first = first_token_kind(node);
    let concurrently = has_child_token(node, K::CONCURRENTLY_KW);
    let kind = match node.kind() {
        K::SELECT | K::COMPOUND_SELECT | K::PAREN_SELECT => "SELECT",
        K::SAVEPOINT_CREATE => "SAVEPOINT",
        K::COMMIT_TRANSACTION if first == Some(K::END_KW) => "END",
        K::COMMIT_TRANSACTION => "COMMIT",
        K::ROLLBACK_TRANSACTION if first == Some(K::ABORT_KW) => "ABORT",
        K::ROLLBACK_TRANSACTION => "ROLLBACK",
        K::BEGIN if first == Some(K::START_KW) => "START TRANSACTION",
        K::COMMENT_ON => "COMMENT",
        K::REFRESH => "REFRESH MATERIALIZED VIEW",
        K::DROP_TEXT_SEARCH_CONFIG => "DROP TEXT SEARCH CONFIGURATION",
        K::DROP_TEXT_SEARCH_DICT => "DROP TEXT SEARCH DICTIONARY",
        K::SET_SESSION_AUTH => "SET SESSION AUTHORIZATION",
        K::RESET_SESSION_AUTH => "RESET SESSION AUTHORIZATION",
        K::CREATE_INDEX if concurrently => "CREATE INDEX CONCURRENTLY",
        K::DROP_INDEX if concurrently => "DROP INDEX CONCURRENTLY",
        K::REINDEX if has_descendant_token(node, K::CONCURRENTLY_KW) => "REINDEX CONCURRENTLY",
        other => return format!("{other:?}").replace('_', " "),
    };
    kind.to_string()
}

fn is_transaction_control(kind: SyntaxKind) -> bool {
    use SyntaxKind as K;
    matches!(
        kind,
        K::BEGIN
            | K::COMMIT_TRANSACTION
            | K::ROLLBACK_TRANSACTION
            | K::SAVEPOINT_CREATE
            | K::RELEASE_SAVEPOINT
            | K::ROLLBACK_TO_SAVEPOINT
            | K::PREPARE_TRANSACTION
    )
}

/// Why PostgreSQL refuses to run this statement in a transaction block, if it
/// does, plus the server version from which the restriction no longer applies.
fn no_transaction(node: &SyntaxNode) -> (Option<&'static str>, Option<u32>) {
    use SyntaxKind as K;
    let reason = match node.kind() {
        K::CREATE_INDEX if has_child_token(node, K::CONCURRENTLY_KW) => {
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction block"
        }
        K::DROP_INDEX if has_child_token(node, K::CONCURRENTLY_KW) => {
            "DROP INDEX CONCURRENTLY cannot run inside a transaction block"
        }
        K::REINDEX if has_descendant_token(node, K::CONCURRENTLY_KW) => {
            "REINDEX CONCURRENTLY cannot run inside a transaction block"
        }
        K::REINDEX
            if has_child(node, K::REINDEX_TARGET_SCHEMA)
                || has_child(node, K::REINDEX_TARGET_DATABASE)
                || has_child(node, K::REINDEX_TARGET_SYSTEM) =>
        {
            "REINDEX SCHEMA/DATABASE/SYSTEM cannot run inside a transaction block"
        }
        K::VACUUM => "VACUUM cannot run inside a transaction block",
        K::CREATE_DATABASE => "CREATE DATABASE cannot run inside a transaction block",
        K::DROP_DATABASE => "DROP DATABASE cannot run inside a transaction block",
        K::ALTER_DATABASE if has_child(node, K::SET_TABLESPACE) => {
            "ALTER DATABASE ... SET TABLESPACE cannot run inside a transaction block"
        }
        K::ALTER_SYSTEM => "ALTER SYSTEM cannot run inside a transaction block",
        K::CREATE_TABLESPACE => "CREATE TABLESPACE cannot run inside a transaction block",
        K::DROP_TABLESPACE => "DROP TABLESPACE cannot run inside a transaction block",
        K::ALTER_TABLE
            if node
                .descendants()
                .any(|n| n.kind() == K::DETACH_CONCURRENTLY) =>
        {
            "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction block"
        }
        K::CLUSTER
            if !has_child(node, K::TABLE_NAME_REF) && !has_child(node, K::CLUSTER_LEGACY) =>
        {
            "CLUSTER without a table name cannot run inside a transaction block"
        }
        K::ALTER_TYPE if has_child(node, K::ADD_VALUE) => {
            return (
                Some(
                    "ALTER TYPE ... ADD VALUE cannot run inside a transaction block before \
                     PostgreSQL 12 (from 12 on, the new value is unusable until commit)",
                ),
                Some(120_000),
            );
        }
        K::CREATE_SUBSCRIPTION
            if !option_is_false(node, "create_slot") && !option_is_false(node, "connect") =>
        {
            "CREATE SUBSCRIPTION that creates a replication slot cannot run inside a transaction block"
        }
        K::DROP_SUBSCRIPTION => {
            "DROP SUBSCRIPTION cannot run inside a transaction block when it drops a replication slot"
        }
        K::ALTER_SUBSCRIPTION
            if has_child(node, K::REFRESH_PUBLICATION)
                || (has_descendant_token(node, K::PUBLICATION_KW)
                    && !option_is_false(node, "refresh")) =>
        {
            "ALTER SUBSCRIPTION ... REFRESH PUBLICATION cannot run inside a transaction block"
        }
        K::COMMIT_PREPARED => "COMMIT PREPARED cannot run inside a transaction block",
        K::ROLLBACK_PREPARED => "ROLLBACK PREPARED cannot run inside a transaction block",
        K::DO if do_block_ends_transactions(node) => {
            "a DO block that runs COMMIT or ROLLBACK cannot run inside a transaction block"
        }
        _ => return (None, None),
    };
    (Some(reason), None)
}

fn do_block_ends_transactions(node: &SyntaxNode) -> bool {
    use SyntaxKind as K;
    let Some(body) = ast::Do::cast(node.clone()).and_then(|d| d.plpgsql()) else {
        return false;
    };
    body.syntax().descendants().any(|n| {
        matches!(
            n.kind(),
            K::PLPGSQL_COMMIT_STMT
                | K::PLPGSQL_ROLLBACK_STMT
                | K::COMMIT_TRANSACTION
                | K::ROLLBACK_TRANSACTION
        )
    })
}

/// Whether a `WITH (name = false|off|0)` style option is present.
fn option_is_false(node: &SyntaxNode, name: &str) -> bool {
    node.descendants()
        .filter(|n| n.kind() == SyntaxKind::ATTRIBUTE_OPTION)
        .any(|opt| {
            let named = opt
                .children()
                .find(|c| c.kind() == SyntaxKind::ATTRIBUTE_NAME)
                .is_some_and(|c| c.text().to_string().trim().eq_ignore_ascii_case(name));
            let value = opt
                .children()
                .find(|c| c.kind() == SyntaxKind::ATTRIBUTE_VALUE)
                .map(|c| {
                    c.text()
                        .to_string()
                        .trim()
                        .trim_matches('\'')
                        .to_ascii_lowercase()
                });
            named && matches!(value.as_deref(), Some("false" | "off" | "0" | "no"))
        })
}

fn first_token_kind(node: &SyntaxNode) -> Option<SyntaxKind> {
    node.descendants_with_tokens()
        .filter_map(SyntaxElement::into_token)
        .find(|t| !t.kind().is_trivia())
        .map(|t| t.kind())
}

fn has_child(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.children().any(|c| c.kind() == kind)
}

fn has_child_token(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.children_with_tokens()
        .any(|c| c.as_token().is_some_and(|t| t.kind() == kind))
}

fn has_descendant_token(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.descendants_with_tokens()
        .any(|c| c.as_token().is_some_and(|t| t.kind() == kind))
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

/// Collects table accesses and destructive operations under `root`; `offset`
/// maps a node to its byte offset in the original input.
fn scan(root: &SyntaxNode, offset: &dyn Fn(&SyntaxNode) -> usize, acc: &mut Acc, depth: u8) {
    use SyntaxKind as K;
    for node in root.descendants() {
        match node.kind() {
            K::TABLE_NAME_REF | K::RELATION_NAME_REF | K::TABLE_NAME | K::VIEW | K::VIEW_REF => {
                let Some(name) = path_name(&node).map(|name| qualify_rename(&node, name)) else {
                    continue;
                };
                match classify(&node, &name) {
                    Some(Access::Read) => {
                        acc.reads.insert(name);
                    }
                    Some(Access::Write) => {
                        acc.writes.insert(name);
                    }
                    None => {}
                }
            }
            K::DO if depth < MAX_BODY_DEPTH => {
                // PL/pgSQL parse errors are not reported: squawk's PL/pgSQL
                // grammar is incomplete (it rejects `SELECT ... INTO`, for one).
                if let Some(body) = ast::Do::cast(node.clone()).and_then(|d| d.plpgsql()) {
                    let map =
                        |n: &SyntaxNode| usize::from(body.source_range(n.text_range()).start());
                    scan(&body.syntax(), &map, acc, depth + 1);
                }
            }
            K::CREATE_TRIGGER => {
                if let Some((name, table)) = trigger_of(&node) {
                    acc.created_triggers.push((offset(&node), name, table));
                }
            }
            K::CREATE_TABLE | K::CREATE_TABLE_AS => {
                if let Some(name) = node
                    .children()
                    .find(|c| matches!(c.kind(), K::PATH | K::TABLE_NAME))
                    .and_then(|n| path_name(&n))
                {
                    acc.created_tables.push((offset(&node), name));
                }
            }
            K::UPDATE | K::DELETE
                if !node
                    .children()
                    .any(|c| matches!(c.kind(), K::WHERE_CLAUSE | K::WHERE_CURRENT_OF)) =>
            {
                let verb = if node.kind() == K::UPDATE {
                    "updates"
                } else {
                    "deletes"
                };
                if let Some(table) = node
                    .children()
                    .find(|c| c.kind() == K::RELATION_NAME)
                    .and_then(|n| path_name(&n))
                {
                    acc.whole_table_writes.push((offset(&node), verb, table));
                }
            }
            K::CREATE_EXTENSION => {
                if let Some(name) = node
                    .children()
                    .find(|c| c.kind() == K::EXTENSION)
                    .map(|n| ast::normalize_name_node(&n))
                {
                    acc.extensions.push((offset(&node), name));
                }
            }
            K::SET_SCHEMA if !is_deferred(&node) => {
                // The relation reappears under its new schema.
                if let Some(new) = moved_name(&node) {
                    acc.writes.insert(new);
                }
            }
            _ => {}
        }
        if is_destructive_candidate(node.kind()) && !is_deferred(&node) {
            destructive(&node, offset, acc);
        }
    }
}

/// Dotted, normalised name of a table-like reference or definition.
fn path_name(node: &SyntaxNode) -> Option<String> {
    let parts: Vec<String> = node
        .descendants()
        .filter(|n| {
            matches!(
                n.kind(),
                SyntaxKind::PATH_SEGMENT_REF | SyntaxKind::PATH_SEGMENT
            )
        })
        .map(|n| ast::normalize_name_node(&n))
        .collect();
    if parts.is_empty() || parts.iter().any(String::is_empty) {
        return None;
    }
    Some(parts.join("."))
}

/// Name of the relation an ALTER statement targets.
fn alter_target(stmt: &SyntaxNode) -> Option<String> {
    use SyntaxKind as K;
    stmt.children()
        .find(|c| {
            matches!(
                c.kind(),
                K::TABLE_RELATION_NAME | K::TABLE_NAME_REF | K::RELATION_NAME_REF | K::VIEW_REF
            )
        })
        .and_then(|c| path_name(&c))
}

/// `RENAME TO new` keeps the schema: qualify `new` like the renamed relation.
fn qualify_rename(node: &SyntaxNode, name: String) -> String {
    use SyntaxKind as K;
    let Some(parent) = node.parent() else {
        return name;
    };
    if name.contains('.') || !matches!(parent.kind(), K::TABLE_RENAME_TO | K::VIEW_RENAME_TO) {
        return name;
    }
    match parent
        .parent()
        .and_then(|stmt| alter_target(&stmt))
        .and_then(|old| old.rsplit_once('.').map(|(schema, _)| schema.to_string()))
    {
        Some(schema) => format!("{schema}.{name}"),
        None => name,
    }
}

/// New name of a relation moved by `SET SCHEMA`.
fn moved_name(set_schema: &SyntaxNode) -> Option<String> {
    let schema = set_schema
        .children()
        .find(|c| c.kind() == SyntaxKind::SCHEMA_REF)
        .map(|c| ast::normalize_name_node(&c))
        .filter(|s| !s.is_empty())?;
    let old = alter_target(&set_schema.parent()?)?;
    let base = old.rsplit_once('.').map_or(old.as_str(), |(_, base)| base);
    Some(format!("{schema}.{base}"))
}

/// Whether an unqualified `name` at `node` refers to a CTE in scope.
fn is_cte(node: &SyntaxNode, name: &str) -> bool {
    use SyntaxKind as K;
    !name.contains('.')
        && node.ancestors().any(|a| {
            a.children()
                .filter(|c| c.kind() == K::WITH_CLAUSE)
                .flat_map(|w| w.children())
                .filter(|t| t.kind() == K::WITH_TABLE)
                .flat_map(|t| t.children())
                .filter(|n| n.kind() == K::CTE_NAME)
                .any(|n| ast::normalize_name_node(&n) == name)
        })
}

/// Whether `node` is read or written by executing its statement.
fn classify(node: &SyntaxNode, name: &str) -> Option<Access> {
    use SyntaxKind as K;
    let parent = node.parent()?;
    let grandparent = parent.parent();
    let from_item = matches!(parent.kind(), K::RELATION_FROM_ITEM)
        || (parent.kind() == K::RELATION_NAME
            && grandparent.as_ref().is_some_and(|g| g.kind() == K::TABLE));
    if from_item && is_cte(node, name) {
        return None;
    }
    if is_deferred(node) {
        return Some(Access::Read);
    }
    if from_item {
        return Some(Access::Read);
    }
    if matches!(node.kind(), K::TABLE_NAME | K::VIEW | K::VIEW_REF) {
        return Some(Access::Write);
    }
    let access = match parent.kind() {
        K::REFERENCES_CONSTRAINT | K::FOREIGN_KEY_CONSTRAINT | K::LIKE_CLAUSE => Access::Read,
        K::COPY_TABLE => match grandparent {
            Some(copy) if has_child(&copy, K::COPY_FROM) => Access::Write,
            _ => Access::Read,
        },
        K::TABLE_RELATION_NAME
            if grandparent
                .as_ref()
                .is_some_and(|g| g.kind() == K::TABLE_AND_COLUMNS) =>
        {
            let full = node
                .ancestors()
                .find(|a| a.kind() == K::VACUUM)
                .is_some_and(|v| has_descendant_token(&v, K::FULL_KW));
            if full { Access::Write } else { Access::Read }
        }
        _ => Access::Write,
    };
    Some(access)
}

/// Whether `node` sits in SQL that is stored rather than executed now (SQL
/// function bodies, rule actions, PREPARE, EXPLAIN without ANALYZE).
fn is_deferred(node: &SyntaxNode) -> bool {
    use SyntaxKind as K;
    node.ancestors().any(|a| match a.kind() {
        K::ATOMIC_BODY | K::RULE_DO => true,
        kind if ast::Stmt::can_cast(kind) => a.parent().is_some_and(|p| match p.kind() {
            K::PREPARE => true,
            K::EXPLAIN => !explain_executes(&p),
            _ => false,
        }),
        _ => false,
    })
}

fn explain_executes(explain: &SyntaxNode) -> bool {
    use SyntaxKind as K;
    if has_child(explain, K::EXPLAIN_ANALYZE) {
        return true;
    }
    explain
        .children()
        .filter(|c| c.kind() == K::EXPLAIN_OPTION_LIST)
        .flat_map(|list| list.children())
        .filter(|o| o.kind() == K::EXPLAIN_OPTION)
        .any(|opt| {
            let is_analyze = opt
                .children()
                .find(|c| c.kind() == K::EXPLAIN_OPTION_NAME)
                .is_some_and(|c| {
                    let t = c.text().to_string().to_ascii_lowercase();
                    t == "analyze" || t == "analyse"
                });
            let off = opt
                .children()
                .find(|c| c.kind() == K::EXPLAIN_OPTION_VALUE)
                .is_some_and(|c| {
                    let t = c.text().to_string().trim().to_ascii_lowercase();
                    matches!(t.as_str(), "false" | "off" | "0" | "no")
                });
            is_analyze && !off
        })
}

fn is_destructive_candidate(kind: SyntaxKind) -> bool {
    kind == SyntaxKind::ALTER_TABLE
        || kind == SyntaxKind::TRUNCATE
        || (ast::Stmt::can_cast(kind) && format!("{kind:?}").starts_with("DROP_"))
}

/// What `DROP … CASCADE` of an object of this kind can reach.
fn cascade_reach(kind: SyntaxKind) -> &'static str {
    use SyntaxKind as K;
    match kind {
        K::DROP_INDEX => "the foreign keys on other tables that rely on its uniqueness",
        K::DROP_TABLE => "the views over it and the foreign keys in other tables that reference it",
        K::DROP_VIEW | K::DROP_MATERIALIZED_VIEW => "the views built on it",
        K::DROP_TYPE | K::DROP_DOMAIN => {
            "every column of that type, with its data, and the functions that use it"
        }
        K::DROP_SCHEMA => "every object in the schema, with its data",
        K::DROP_FUNCTION | K::DROP_PROCEDURE => "the triggers, defaults and views that call it",
        K::DROP_SEQUENCE => "the column defaults that draw from it",
        K::DROP_EXTENSION => {
            "every column, index and function that uses the extension's types or functions"
        }
        _ => "every object that depends on it",
    }
}

/// The trigger's name and table in `DROP TRIGGER` / `CREATE TRIGGER`.
fn trigger_of(node: &SyntaxNode) -> Option<(String, String)> {
    use SyntaxKind as K;
    let name = node
        .children()
        .find(|c| matches!(c.kind(), K::TRIGGER_REF | K::TRIGGER))
        .map(|n| ast::normalize_name_node(&n))?;
    let table = node
        .children()
        .find(|c| c.kind() == K::ON_RELATION)
        .and_then(|n| path_name(&n))?;
    Some((name, table))
}

fn destructive(node: &SyntaxNode, offset: &dyn Fn(&SyntaxNode) -> usize, acc: &mut Acc) {
    use SyntaxKind as K;
    let at = offset(node);
    if has_child(node, K::CASCADE) && node.kind() != K::TRUNCATE {
        acc.cascades.push((
            at,
            Cascade {
                statement: describe_drop(node),
                reaches: cascade_reach(node.kind()),
            },
        ));
    }
    match node.kind() {
        K::DROP_INDEX => {
            let concurrently = has_child_token(node, K::CONCURRENTLY_KW);
            for r in node.children().filter(|c| c.kind() == K::INDEX_REF) {
                if let Some(name) = path_name(&r) {
                    acc.destructive
                        .push((at, Destructive::DropIndex { name, concurrently }));
                }
            }
        }
        K::DROP_TRIGGER => match trigger_of(node) {
            Some((name, table)) => acc
                .destructive
                .push((at, Destructive::DropTrigger { name, table })),
            None => acc
                .destructive
                .push((at, Destructive::DropOther(describe_drop(node)))),
        },
        K::DROP_TABLE => {
            for r in node.children().filter(|c| c.kind() == K::TABLE_NAME_REF) {
                if let Some(name) = path_name(&r) {
                    acc.destructive.push((at, Destructive::DropTable(name)));
                }
            }
        }
        K::TRUNCATE => {
            for r in node.descendants().filter(|c| c.kind() == K::TABLE_NAME_REF) {
                if let Some(name) = path_name(&r) {
                    acc.destructive.push((at, Destructive::Truncate(name)));
                }
            }
        }
        K::ALTER_TABLE => alter_table_destructive(node, offset, acc),
        _ => acc
            .destructive
            .push((at, Destructive::DropOther(describe_drop(node)))),
    }
}

fn alter_table_destructive(
    node: &SyntaxNode,
    offset: &dyn Fn(&SyntaxNode) -> usize,
    acc: &mut Acc,
) {
    use SyntaxKind as K;
    let Some(table) = node
        .children()
        .find(|c| c.kind() == K::TABLE_RELATION_NAME)
        .and_then(|r| path_name(&r))
    else {
        return;
    };
    let child_name = |n: &SyntaxNode, kind: SyntaxKind| {
        n.children()
            .find(|c| c.kind() == kind)
            .map(|c| ast::normalize_name_node(&c))
            .filter(|s| !s.is_empty())
    };
    for action in node.children() {
        let found = match action.kind() {
            K::DROP_COLUMN => {
                child_name(&action, K::COLUMN_NAME_REF).map(|column| Destructive::DropColumn {
                    table: table.clone(),
                    column,
                })
            }
            K::ALTER_COLUMN if has_child(&action, K::SET_TYPE) => {
                child_name(&action, K::COLUMN_NAME_REF).map(|column| {
                    Destructive::ChangeColumnType {
                        table: table.clone(),
                        column,
                    }
                })
            }
            K::RENAME_COLUMN => child_name(&action, K::COLUMN_NAME_REF)
                .zip(child_name(&action, K::COLUMN_NAME))
                .map(|(from, to)| Destructive::RenameColumn {
                    table: table.clone(),
                    from,
                    to,
                }),
            K::TABLE_RENAME_TO => action
                .children()
                .find(|c| c.kind() == K::TABLE_NAME)
                .and_then(|n| path_name(&n).map(|new| qualify_rename(&n, new)))
                .map(|to| Destructive::RenameTable {
                    from: table.clone(),
                    to,
                }),
            K::SET_SCHEMA => moved_name(&action).map(|to| Destructive::RenameTable {
                from: table.clone(),
                to,
            }),
            _ => None,
        };
        if let Some(d) = found {
            acc.destructive.push((offset(&action), d));
        }
    }
}

/// `DROP <KIND> <objects>`, without IF EXISTS / CASCADE / RESTRICT.
fn describe_drop(node: &SyntaxNode) -> String {
    use SyntaxKind as K;
    let kind = match node.kind() {
        K::DROP_OWNED => "DROP OWNED BY".to_string(),
        _ => stmt_kind(node),
    };
    let elements: Vec<SyntaxElement> = node.children_with_tokens().collect();
    let keep = |e: &SyntaxElement| {
        e.as_node()
            .is_some_and(|n| !matches!(n.kind(), K::IF_EXISTS | K::CASCADE | K::RESTRICT))
    };
    let (Some(first), Some(last)) = (
        elements.iter().position(keep),
        elements.iter().rposition(keep),
    ) else {
        return kind;
    };
    let mut text = String::new();
    for element in elements.get(first..=last).unwrap_or_default() {
        match element {
            SyntaxElement::Node(n) => text.push_str(&n.text().to_string()),
            SyntaxElement::Token(t) => text.push_str(t.text()),
        }
    }
    let objects = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{kind} {objects}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn texts(sql: &str) -> Vec<String> {
        split_statements(sql).into_iter().map(|s| s.text).collect()
    }

    fn kinds(sql: &str) -> Vec<String> {
        split_statements(sql).into_iter().map(|s| s.kind).collect()
    }

    fn ok(sql: &str) -> Analysis {
        let a = analyze(sql, false);
        assert!(a.errors.is_empty(), "unexpected errors: {:?}", a.errors);
        a
    }

    // ---- splitting ----

    #[test]
    fn splits_simple_statements_and_trims() {
        let sql = "  select 1 ;\n\n-- comment\ninsert into t values (1);  select 2";
        let stmts = split_statements(sql);
        assert_eq!(stmts.len(), 3);
        assert_eq!(stmts[0].text, "select 1");
        assert_eq!(&sql[stmts[0].range.clone()], "select 1");
        assert_eq!(stmts[1].text, "insert into t values (1)");
        assert_eq!(stmts[2].text, "select 2");
        assert_eq!(stmts[2].range.end, sql.len());
    }

    #[test]
    fn splits_respecting_strings_and_comments() {
        let sql = "select 'a;b', E'it\\'s;' as x; -- c; d\nselect /* x; /* nested; */ y; */ 2; \
                   select \"we;ird\" from t";
        assert_eq!(
            texts(sql),
            vec![
                "select 'a;b', E'it\\'s;' as x",
                "select /* x; /* nested; */ y; */ 2",
                "select \"we;ird\" from t",
            ]
        );
    }

    #[test]
    fn splits_respecting_dollar_quotes_and_do_blocks() {
        let sql = "DO $$ BEGIN UPDATE t SET a = 1; DELETE FROM u; END $$;\n\
                   create function f() returns int language plpgsql as $fn$\n\
                   begin perform 1; return 2; end $fn$;\n\
                   select $x$;$x$;";
        let stmts = split_statements(sql);
        assert_eq!(stmts.len(), 3, "{stmts:?}");
        assert_eq!(stmts[0].kind, "DO");
        assert!(stmts[0].text.ends_with("END $$"));
        assert_eq!(stmts[1].kind, "CREATE FUNCTION");
        assert!(stmts[1].text.ends_with("end $fn$"));
        assert_eq!(stmts[2].text, "select $x$;$x$");
    }

    #[test]
    fn splits_begin_atomic_function_bodies() {
        let sql = "create function f() returns int language sql begin atomic select 1; select 2; end; select 3";
        let stmts = split_statements(sql);
        assert_eq!(stmts.len(), 2, "{stmts:?}");
        assert!(stmts[0].text.ends_with("select 2; end"));
        assert_eq!(stmts[1].text, "select 3");
    }

    #[test]
    fn trailing_comment_before_semicolon_is_excluded() {
        let sql = "-- lead\nselect 1 -- trailing ; comment\n;\n/* tail */";
        let stmts = split_statements(sql);
        assert_eq!(stmts.len(), 1);
        assert_eq!(stmts[0].text, "select 1");
        assert_eq!(stmts[0].range, 8..16);
    }

    #[test]
    fn empty_statements_are_skipped() {
        assert_eq!(texts(";;select 1;;;"), vec!["select 1"]);
        assert!(split_statements("").is_empty());
        assert!(split_statements("  -- only a comment; here\n/* and ; this */ ").is_empty());
    }

    // ---- kinds ----

    #[test]
    fn statement_kinds() {
        let sql = "create index concurrently i on t (a); create index i2 on t (b); \
                   alter table t add column c int; insert into t values (1); \
                   with x as (select 1) insert into t select * from x; \
                   do $$ begin null; end $$; select 1; (select 1) union select 2; \
                   begin; start transaction; commit; end; rollback; abort; savepoint s; \
                   drop index concurrently i; create table t2 as select 1; \
                   comment on table t is 'x'; refresh materialized view mv; vacuum t; \
                   update t set a = 1; delete from t; truncate t; copy t from stdin";
        assert_eq!(
            kinds(sql),
            vec![
                "CREATE INDEX CONCURRENTLY",
                "CREATE INDEX",
                "ALTER TABLE",
                "INSERT",
                "INSERT",
                "DO",
                "SELECT",
                "SELECT",
                "BEGIN",
                "START TRANSACTION",
                "COMMIT",
                "END",
                "ROLLBACK",
                "ABORT",
                "SAVEPOINT",
                "DROP INDEX CONCURRENTLY",
                "CREATE TABLE AS",
                "COMMENT",
                "REFRESH MATERIALIZED VIEW",
                "VACUUM",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "COPY",
            ]
        );
    }

    // ---- reads / writes ----

    #[test]
    fn create_table_with_references() {
        let a = ok("create table app.orders (id bigint primary key, \
                    user_id bigint references \"Users\"(id), \
                    product_id bigint, foreign key (product_id) references app.products (id));");
        assert_eq!(a.writes, set(&["app.orders"]));
        assert_eq!(a.reads, set(&["Users", "app.products"]));
    }

    #[test]
    fn alter_table_add_column() {
        let a = ok("ALTER TABLE Users ADD COLUMN team_id bigint REFERENCES teams(id);");
        assert_eq!(a.writes, set(&["users"]));
        assert_eq!(a.reads, set(&["teams"]));
    }

    #[test]
    fn insert_select() {
        let a = ok(
            "insert into archive (id) select s.id from src s join other o on o.id = s.id \
                    where exists (select 1 from sub where sub.id = s.id);",
        );
        assert_eq!(a.writes, set(&["archive"]));
        assert_eq!(a.reads, set(&["other", "src", "sub"]));
    }

    #[test]
    fn update_from_and_delete_using() {
        let a = ok(
            "update t set a = z.a from z where t.id = z.id; delete from d using e where d.id = e.id;",
        );
        assert_eq!(a.writes, set(&["d", "t"]));
        assert_eq!(a.reads, set(&["e", "z"]));
    }

    #[test]
    fn delete_and_subquery_reads() {
        let a = ok("delete from sessions where user_id in (select id from users where banned);");
        assert_eq!(a.writes, set(&["sessions"]));
        assert_eq!(a.reads, set(&["users"]));
    }

    #[test]
    fn create_index_writes_its_table() {
        let a = ok("create index concurrently if not exists idx on app.t (a);");
        assert_eq!(a.writes, set(&["app.t"]));
        assert!(a.reads.is_empty());
    }

    #[test]
    fn drop_table_writes() {
        let a = ok("drop table if exists a, b.c cascade;");
        assert_eq!(a.writes, set(&["a", "b.c"]));
    }

    #[test]
    fn ctes_are_not_tables() {
        let a = ok(
            "with c as (select * from w), d as (delete from old returning *) \
                    update t set a = 1 from c, d where t.id = c.id;",
        );
        assert_eq!(a.writes, set(&["old", "t"]));
        assert_eq!(a.reads, set(&["w"]));
        // CTEs are scoped to their statement.
        let a = ok("with c as (select 1) select * from c; select * from c;");
        assert_eq!(a.reads, set(&["c"]));
        let a = ok(
            "do $$ begin with c as (select 1) insert into t select * from c; \
                    delete from c; end $$;",
        );
        assert_eq!(a.writes, set(&["c", "t"]));
        assert!(a.reads.is_empty(), "{:?}", a.reads);
        // A schema-qualified name never refers to a CTE.
        let a = ok("with c as (select 1) select * from c, s.c;");
        assert_eq!(a.reads, set(&["s.c"]));
    }

    #[test]
    fn misc_reads_and_writes() {
        let a = ok("create table l (like src including all); \
                    create view v as select * from base; \
                    select * into newt from src3; \
                    copy t4 from stdin; copy t5 to stdout; copy (select * from t6) to stdout; \
                    merge into tgt using srcm on tgt.id = srcm.id when matched then delete; \
                    table t7; truncate t8; alter table s.t9 rename to t10; \
                    alter view s.v1 rename to v2; alter table t11 set schema s2;");
        assert_eq!(
            a.writes,
            set(&[
                "l", "newt", "s.t10", "s.t9", "s.v1", "s.v2", "s2.t11", "t11", "t4", "t8", "tgt",
                "v"
            ])
        );
        assert_eq!(
            a.reads,
            set(&["base", "src", "src3", "srcm", "t5", "t6", "t7"])
        );
    }

    #[test]
    fn do_block_bodies_are_analysed() {
        let a = ok(
            "DO $$\nBEGIN\n  UPDATE accounts SET y = 1 WHERE id IN (SELECT id FROM app.users);\n  \
                    ALTER TABLE q DROP COLUMN w;\nEND\n$$;",
        );
        assert_eq!(a.writes, set(&["accounts", "q"]));
        assert_eq!(a.reads, set(&["app.users"]));
        assert_eq!(a.destructive.len(), 1);
        let (offset, d) = &a.destructive[0];
        assert_eq!(
            d,
            &Destructive::DropColumn {
                table: "q".into(),
                column: "w".into()
            }
        );
        let sql = "DO $$\nBEGIN\n  UPDATE accounts SET y = 1 WHERE id IN (SELECT id FROM app.users);\n  \
                   ALTER TABLE q DROP COLUMN w;\nEND\n$$;";
        assert!(
            sql[*offset..].starts_with("DROP COLUMN w"),
            "{}",
            &sql[*offset..]
        );
    }

    #[test]
    fn stored_sql_is_not_executed() {
        let a = ok(
            "create function f() returns int language sql begin atomic delete from gone; select 1; end; \
                    create rule r as on delete to t do instead delete from u; \
                    explain delete from e1; explain analyze delete from e2; prepare p as delete from e3;",
        );
        assert!(a.writes.contains("e2"));
        assert!(a.writes.contains("t"));
        for table in ["gone", "u", "e1", "e3"] {
            assert!(!a.writes.contains(table), "{table} should not be written");
            assert!(a.reads.contains(table), "{table} should be read");
        }
        assert!(a.destructive.is_empty());
    }

    // ---- destructive ----

    #[test]
    fn destructive_variants() {
        let sql = "drop table app.t;\n\
                   alter table t drop column c, alter column d type text;\n\
                   alter table t rename column e to f;\n\
                   alter table app.a rename to b;\n\
                   alter table x set schema y;\n\
                   truncate only t1, t2;\n\
                   drop view if exists v, w cascade;\n\
                   drop index concurrently app.i;\n\
                   drop type mood; drop schema s cascade;\n\
                   drop trigger if exists trg on t3 cascade; drop owned by r;";
        let a = ok(sql);
        let found: Vec<Destructive> = a.destructive.iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(
            found,
            vec![
                Destructive::DropTable("app.t".into()),
                Destructive::DropColumn {
                    table: "t".into(),
                    column: "c".into()
                },
                Destructive::ChangeColumnType {
                    table: "t".into(),
                    column: "d".into()
                },
                Destructive::RenameColumn {
                    table: "t".into(),
                    from: "e".into(),
                    to: "f".into()
                },
                Destructive::RenameTable {
                    from: "app.a".into(),
                    to: "app.b".into()
                },
                Destructive::RenameTable {
                    from: "x".into(),
                    to: "y.x".into()
                },
                Destructive::Truncate("t1".into()),
                Destructive::Truncate("t2".into()),
                Destructive::DropOther("DROP VIEW v, w".into()),
                Destructive::DropIndex {
                    name: "app.i".into(),
                    concurrently: true
                },
                Destructive::DropOther("DROP TYPE mood".into()),
                Destructive::DropOther("DROP SCHEMA s".into()),
                Destructive::DropTrigger {
                    name: "trg".into(),
                    table: "t3".into()
                },
                Destructive::DropOther("DROP OWNED BY r".into()),
            ]
        );
        let (offset, _) = a.destructive[2];
        assert!(sql[offset..].starts_with("alter column d type text"));
        let (offset, _) = a.destructive[0];
        assert_eq!(offset, 0);
    }

    #[test]
    fn harmless_alters_are_not_destructive() {
        let a = ok(
            "alter table t add column c int; alter table t alter column c set default 1; \
                    create index i on t (c);",
        );
        assert!(a.destructive.is_empty(), "{:?}", a.destructive);
    }

    // ---- transactions ----

    #[test]
    fn no_transaction_statements() {
        let sql = "create index concurrently i on t (a); create index i2 on t (a); \
                   drop index concurrently i; reindex table concurrently t; reindex index i; \
                   vacuum t; vacuum (analyze) t; analyze t; create database d; drop database d; \
                   alter system set work_mem = '1MB'; create tablespace ts location '/x'; \
                   drop tablespace ts; alter table p detach partition c concurrently; \
                   alter table p detach partition c; cluster; cluster t using i; \
                   alter type mood add value 'x'; alter type mood rename value 'a' to 'b'; \
                   reindex database d; commit prepared 'x'; cluster i on t; cluster (verbose)";
        let flags: Vec<(String, bool)> = split_statements(sql)
            .into_iter()
            .map(|s| (s.text, s.no_transaction.is_some()))
            .collect();
        let expected = [
            true, false, true, true, false, true, true, false, true, true, true, true, true, true,
            false, true, false, true, false, true, true, false, true,
        ];
        assert_eq!(flags.len(), expected.len(), "{flags:?}");
        for ((text, got), want) in flags.iter().zip(expected) {
            assert_eq!(*got, want, "{text}");
        }
    }

    #[test]
    fn add_value_depends_on_server_version() {
        let stmts = split_statements("alter type mood add value 'x'; vacuum t; select 1");
        let add = &stmts[0];
        assert!(
            add.no_transaction
                .is_some_and(|r| r.contains("PostgreSQL 12"))
        );
        assert!(needs_no_transaction_on(110_000, add));
        assert!(!needs_no_transaction_on(120_000, add));
        assert!(!needs_no_transaction_on(160_002, add));
        assert!(needs_no_transaction_on(160_002, &stmts[1]));
        assert!(!needs_no_transaction_on(90_600, &stmts[2]));
    }

    #[test]
    fn do_block_with_commit_needs_no_transaction() {
        let stmts = split_statements(
            "do $$ begin update t set a = 1; commit; end $$; do $$ begin update t set a = 1; end $$",
        );
        assert!(stmts[0].no_transaction.is_some());
        assert!(stmts[1].no_transaction.is_none());
    }

    #[test]
    fn subscription_options() {
        let stmts = split_statements(
            "create subscription s connection 'x' publication p; \
             create subscription s connection 'x' publication p with (create_slot = false)",
        );
        assert!(stmts[0].no_transaction.is_some());
        assert!(stmts[1].no_transaction.is_none());
    }

    #[test]
    fn transaction_control_offsets() {
        let sql = "begin;\nselect 1;\nsavepoint a;\nrollback to savepoint a;\nrelease savepoint a;\n\
                   commit;\nstart transaction;\nend;\nrollback;";
        let a = ok(sql);
        let at: Vec<&str> = a
            .transaction_control
            .iter()
            .map(|o| sql[*o..].lines().next().unwrap_or(""))
            .collect();
        assert_eq!(
            at,
            vec![
                "begin;",
                "savepoint a;",
                "rollback to savepoint a;",
                "release savepoint a;",
                "commit;",
                "start transaction;",
                "end;",
                "rollback;",
            ]
        );
    }

    // ---- squawk findings ----

    #[test]
    fn squawk_findings() {
        let sql = "alter table t add column c int not null;\ncreate index i on t (c);";
        let a = analyze(sql, false);
        let rules: Vec<&str> = a.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(rules.contains(&"adding-required-field"), "{rules:?}");
        assert!(
            rules.contains(&"require-concurrent-index-creation"),
            "{rules:?}"
        );
        let f = a
            .findings
            .iter()
            .find(|f| f.rule == "require-concurrent-index-creation")
            .expect("finding");
        assert!(sql[f.offset..].starts_with("create index"));
        assert!(!f.message.is_empty());
    }

    #[test]
    fn concurrent_index_builds_are_not_linted_as_in_a_transaction() {
        // cutover runs CONCURRENTLY outside a transaction itself: squawk's rule is not run.
        let sql = "select 1;\ncreate index concurrently i on t (c);";
        let rule = "ban-concurrent-index-creation-in-transaction";
        assert!(!analyze(sql, true).findings.iter().any(|f| f.rule == rule));
    }

    #[test]
    fn not_valid_is_advised_only_where_postgresql_accepts_it() {
        let sql = "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id);\n\
                   ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);\n\
                   ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (r WITH &&);\n\
                   ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n\
                   ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);";
        let advised: Vec<&str> = analyze(sql, true)
            .findings
            .iter()
            .filter(|f| f.rule == "constraint-missing-not-valid")
            .map(|f| &sql[f.offset..f.offset + 16])
            .collect();
        assert_eq!(advised, ["ADD CONSTRAINT c", "ADD CONSTRAINT f"]);
    }

    #[test]
    fn whole_table_writes_are_found_except_on_a_table_just_created() {
        let a = ok(
            "update app.t set a = 1; delete from t where a = 1; delete from u; \
                    create table n (a int); insert into n values (1); update n set a = 2; \
                    create extension if not exists pgcrypto;",
        );
        let writes: Vec<(&str, &str)> = a
            .whole_table_writes
            .iter()
            .map(|(_, verb, table)| (*verb, table.as_str()))
            .collect();
        assert_eq!(writes, [("updates", "app.t"), ("deletes", "u")]);
        let ext: Vec<&str> = a.extensions.iter().map(|(_, e)| e.as_str()).collect();
        assert_eq!(ext, ["pgcrypto"]);
    }

    #[test]
    fn cascade_names_what_it_reaches() {
        let a = ok("drop index concurrently i cascade; drop view v; drop schema s cascade;");
        let reached: Vec<(&str, &str)> = a
            .cascades
            .iter()
            .map(|(_, c)| (c.statement.as_str(), c.reaches))
            .collect();
        assert_eq!(reached.len(), 2, "{reached:?}");
        assert!(reached[0].0.starts_with("DROP INDEX"));
        assert!(reached[0].1.contains("foreign keys"));
        assert!(reached[1].1.contains("every object in the schema"));
    }

    #[test]
    fn a_trigger_dropped_and_created_again_is_replaced_not_removed() {
        let replaced = ok("drop trigger if exists t_touch on t; \
             create trigger t_touch before update on t for each row execute function f();");
        assert!(
            replaced.destructive.is_empty(),
            "{:?}",
            replaced.destructive
        );
        let elsewhere = ok("drop trigger t_touch on t; \
             create trigger t_touch before update on u for each row execute function f();");
        assert_eq!(elsewhere.destructive.len(), 1);
    }

    // ---- errors ----

    #[test]
    fn syntax_errors_have_offsets() {
        let sql = "select 1;\nselec 2 from x;\ncreate table t (a int,);";
        let a = analyze(sql, false);
        // PostgreSQL's parser stops at the first error: one error, where it stopped.
        assert_eq!(a.errors.len(), 1, "{:?}", a.errors);
        assert_eq!(a.errors[0].offset, 10);
        assert_eq!(line_col(sql, a.errors[0].offset), (2, 1));
        assert!(a.errors[0].message.contains("selec"), "{:?}", a.errors);
        // Everything is still split, the broken statement marked UNKNOWN.
        let kinds: Vec<&str> = a.statements.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, vec!["SELECT", "UNKNOWN", "CREATE TABLE"]);
        assert_eq!(a.statements[1].text, "selec 2 from x");
    }

    #[test]
    fn plpgsql_bodies_do_not_produce_errors() {
        // squawk's PL/pgSQL grammar rejects valid `SELECT ... INTO`; such
        // bodies must not be reported as syntax errors.
        let sql = "do $$ declare r record; begin select * into strict r from src; \
                   insert into dst select 1; end $$;\n\
                   create function f() returns int language plpgsql as $f$ \
                   declare n int; begin select count(*) into n from t; return n; end $f$;";
        let a = analyze(sql, false);
        assert!(a.errors.is_empty(), "{:?}", a.errors);
        assert!(a.writes.contains("dst"), "{:?}", a.writes);
    }

    #[test]
    fn never_panics() {
        // Nesting deep enough to overflow a 2 MiB test-thread stack if parsed inline.
        let deep = format!("select {}1{};", "(".repeat(8_000), ")".repeat(8_000));
        let neg = format!("select {}1;", "- ".repeat(8_000));
        let chain = format!("select 1{};", " and true".repeat(50_000));
        let huge = "insert into t (a, b) values (1, 'x;y'); -- c\n".repeat(5_000);
        let inputs: Vec<String> = vec![
            String::new(),
            "-- just a comment".into(),
            "/* unterminated comment".into(),
            "select 'unterminated".into(),
            "select \"unterminated".into(),
            "do $$ begin".into(),
            "select $tag$ never closed".into(),
            "create function f() returns int as $$ select 1".into(),
            ";;;;".into(),
            ")))(((".into(),
            "\u{0}\u{1}\u{ffff}é漢字🎉;".into(),
            "alter table".into(),
            "drop".into(),
            "do".into(),
            "do 'begin commit'".into(),
            "e'\\".into(),
            "$1 $$ $ $a".into(),
            "begin atomic; end".into(),
            "explain (analyze".into(),
            deep,
            neg,
            chain,
            huge.clone(),
        ];
        for input in &inputs {
            let a = analyze(input, true);
            if input.len() < 10_000 {
                assert_eq!(split_statements(input), a.statements);
            }
            for s in &a.statements {
                assert_eq!(input.get(s.range.clone()), Some(s.text.as_str()));
            }
            for e in &a.errors {
                assert!(e.offset <= input.len());
            }
        }
        assert_eq!(split_statements(&huge).len(), 5_000);
        // Byte soup, at every prefix length of a tricky input.
        let tricky = "DO $x$ BEGIN; E'\\'' \"q\"\"\" /* /* */ $x$; select 'é';";
        for end in 0..=tricky.len() {
            if let Some(prefix) = tricky.get(..end) {
                let _ = analyze(prefix, true);
            }
        }
        let empty = analyze("", true);
        assert!(empty.statements.is_empty() && empty.errors.is_empty());
        let comments = analyze("-- only\n/* comments */", true);
        assert!(comments.statements.is_empty() && comments.errors.is_empty());
    }

    #[test]
    fn unterminated_quotes_report_errors() {
        for sql in ["select 'abc", "select $$abc", "do $$ begin", "select \"abc"] {
            let a = analyze(sql, false);
            assert!(!a.errors.is_empty(), "{sql}");
            assert_eq!(a.statements.len(), 1, "{sql}");
        }
    }

    // ---- line_col ----

    #[test]
    fn line_col_positions() {
        let text = "ab\ncdé\nx";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2));
        assert_eq!(line_col(text, 2), (1, 3));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 3));
        assert_eq!(line_col(text, 7), (2, 4)); // after 'é' (2 bytes)
        assert_eq!(line_col(text, 6), (2, 3)); // inside 'é': clamps back
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 100), (3, 2));
        assert_eq!(line_col("", 5), (1, 1));
    }
}
