//! Reads a runbook file into the model, collecting every problem with its exact place.
//!
//! The loader never stops at the first problem: a DBA fixing a runbook at 1 a.m. wants the
//! whole list at once. It never panics either — every shape of input becomes either a
//! model or diagnostics.

use super::duration;
use super::encoding;
use super::env;
use super::model::*;
use super::yaml::{self, Loc, Node, ScalarMap, Value};
use crate::diag::{Diagnostic, Sources};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod backfill;
mod fleet;
mod kinds;
mod sql_files;
mod structure;
mod values;

pub use fleet::{LoadedFleet, load_fleet, load_fleet_text, load_fleet_with};
use kinds::*;
use sql_files::*;

/// The result of loading: the runbook when there were no errors, and every diagnostic.
#[derive(Debug, Default)]
pub struct Loaded {
    pub runbook: Option<Runbook>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

/// Loads a runbook, resolving `${VAR}` from the process environment.
pub fn load(path: &Path) -> Loaded {
    load_with_env(path, &|name| std::env::var(name).ok())
}

pub fn load_with_env(path: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> Loaded {
    let mut loaded = Loaded::default();
    let text = match std::fs::read(path) {
        Ok(bytes) => match encoding::decode(bytes.clone(), "the runbook") {
            Ok(text) => text,
            Err(e) => {
                let loc = loc_of_byte(&bytes, e.offset);
                loaded.diagnostics.push(
                    Diagnostic::error("not-utf8", path, Some(loc), e.message).with_help(e.help),
                );
                return loaded;
            }
        },
        Err(e) => {
            loaded.diagnostics.push(Diagnostic::error(
                "unreadable",
                path,
                None,
                format!("cannot read the runbook: {e}"),
            ));
            return loaded;
        }
    };
    load_text(path, &text, lookup)
}

/// The comment written right after `key:` on the key's own line (`budget: #4h` → `#4h`),
/// and where its `#` is.
fn comment_after_key(text: &str, key: &Node) -> Option<(String, Loc)> {
    let end = key.written.offset.checked_add(key.written.len)?;
    let rest = text.get(end..)?;
    let line = rest.split('\n').next()?.trim_end_matches('\r');
    let after_colon = line.trim_start().strip_prefix(':')?;
    let comment = after_colon.trim_start();
    if !(after_colon.starts_with([' ', '\t']) && comment.starts_with('#')) {
        return None;
    }
    let offset = end + (line.len() - comment.len());
    let mut at = loc_of_byte(text.as_bytes(), offset);
    at.len = comment.trim_end().len();
    Some((comment.trim_end().to_owned(), at))
}

/// Free-text keys whose plain value a `#` may cut short (and `questions` items).
const CUT_TEXT_KEYS: [&str; 4] = ["title", "description", "prompt", "notes"];

/// A comment on the line right after a plain (unquoted) scalar: `prompt: Check dashboard #3`
/// reads as `Check dashboard`, the rest a comment. The comment and where it starts.
fn comment_after_value(text: &str, value: &Node) -> Option<(String, Loc)> {
    let start = value.written.offset;
    if text.get(start..)?.starts_with(['"', '\'', '|', '>']) {
        return None;
    }
    let end = start.checked_add(value.written.len)?;
    let line = text.get(end..)?.split('\n').next()?.trim_end_matches('\r');
    let comment = line.trim_start();
    if !(line.starts_with([' ', '\t']) && comment.starts_with('#')) {
        return None;
    }
    let offset = end + (line.len() - comment.len());
    let mut at = loc_of_byte(text.as_bytes(), offset);
    at.len = comment.trim_end().len();
    Some((comment.trim_end().to_owned(), at))
}

/// Loads from text already read; `path` names the file in diagnostics and anchors
/// relative SQL paths.
pub fn load_text(path: &Path, text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Loaded {
    let mut ctx = Ctx {
        file: path.to_path_buf(),
        text,
        diags: Vec::new(),
        sources: Sources::default(),
        env: lookup,
        hasher: Sha256::new(),
        window_start_written: false,
        sql_root: None,
        comment_values: std::collections::HashSet::new(),
    };
    ctx.sources.insert(path, text.to_owned());
    ctx.hasher.update(text.as_bytes());
    // Invisible characters a terminal would act on: named where they are, before the YAML
    // parser stumbles over them somewhere else.
    let controls = encoding::control_characters(text);
    for (offset, c) in controls.iter().take(10) {
        let loc = loc_of_byte(text.as_bytes(), *offset);
        let line = text[..*offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[*offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i);
        let cleaned = encoding::without_controls(text[line..line_end].trim());
        ctx.diags.push(
            Diagnostic::error(
                "control-character",
                path,
                Some(loc),
                format!(
                    "an invisible control character, {}, is written here",
                    encoding::control_name(*c)
                ),
            )
            .with_help(format!("delete it (a pasted terminal colour code or a stray key?): `{cleaned}`; to mean the character itself, write its escape in a double-quoted string, e.g. \"\\e\"")),
        );
    }
    let runbook = if !controls.is_empty() {
        None
    } else {
        match yaml::parse_with(text, yaml::Limits::from_env(lookup)) {
            Ok(doc) => {
                ctx.comments_taken_for_values(&doc);
                ctx.runbook(&doc)
            }
            Err(e) => {
                let (message, help) = match e.help {
                    Some(help) => (e.message, help),
                    None => yaml_message(&e.message),
                };
                ctx.diags.push(
                    Diagnostic::error("yaml-syntax", path, Some(e.loc), message).with_help(help),
                );
                None
            }
        }
    };
    let has_errors = ctx
        .diags
        .iter()
        .any(|d| d.level == crate::diag::Level::Error);
    Loaded {
        runbook: if has_errors { None } else { runbook },
        diagnostics: ctx.diags,
        sources: ctx.sources,
    }
}

/// The parser's message in a user's words, with advice that fits it.
fn yaml_message(raw: &str) -> (String, String) {
    let first = raw.lines().next().unwrap_or(raw);
    let message = first
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(first)
        .split("; set DuplicateKeyPolicy")
        .next()
        .unwrap_or(first)
        .trim_end_matches(['.', ' '])
        .to_owned();
    let lower = message.to_ascii_lowercase();
    let help = if lower.contains("duplicate") {
        "each key may appear once per mapping: remove or merge the repeated key"
    } else if lower.contains("tab") {
        "indent with spaces, not tabs"
    } else {
        "fix the YAML syntax at this place (check indentation, `:` after keys, and closing brackets/quotes)"
    };
    (message, help.to_owned())
}

struct Ctx<'a> {
    file: PathBuf,
    text: &'a str,
    diags: Vec<Diagnostic>,
    sources: Sources,
    env: &'a dyn Fn(&str) -> Option<String>,
    hasher: Sha256,
    /// `window.start` is written (even if it failed to parse): no cascade of errors.
    window_start_written: bool,
    /// The declared `sql_root` (resolved), where every SQL file must be.
    sql_root: Option<PathBuf>,
    /// Where null values stand that a `#` made of what was meant as the value (reported).
    comment_values: std::collections::HashSet<usize>,
}

/// The keys of one mapping, checked against the keys allowed there.
struct Fields<'n> {
    entries: Vec<(String, &'n Node, &'n Node)>,
    loc: Loc,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| *v)
    }

    fn key_loc(&self, key: &str) -> Option<Loc> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, k, _)| k.loc)
    }
}

/// The closest allowed word, if it is close enough to be what was meant.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase().replace('-', "_");
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&lower, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

const STEP_COMMON: [&str; 4] = ["title", "depends_on", "expected_duration", "notes"];

impl Ctx<'_> {
    fn error(
        &mut self,
        code: &'static str,
        loc: Loc,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        // A value a `#` turned into a comment is reported once, in those words.
        if self.comment_values.contains(&loc.offset) {
            return;
        }
        let d = Diagnostic::error(code, &self.file, Some(loc), message).with_help(help);
        self.diags.push(d);
    }

    /// `key: #1` reads as a key with no value and a comment: said so where it happens, with
    /// the quoted value to write instead.
    fn comments_taken_for_values(&mut self, doc: &Node) {
        let mut stack = vec![doc];
        let mut found = Vec::new();
        let mut cut = Vec::new();
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Map(entries) => {
                    for (key, value) in entries {
                        let name = key.scalar_text().unwrap_or_default();
                        let texts: Vec<&Node> = match &value.value {
                            Value::Str(_) if CUT_TEXT_KEYS.contains(&name.as_str()) => vec![value],
                            Value::Seq(items) if name == "questions" => items.iter().collect(),
                            _ => Vec::new(),
                        };
                        for text in texts {
                            if let (Value::Str(read), Some((comment, at))) =
                                (&text.value, comment_after_value(self.text, text))
                            {
                                cut.push((name.clone(), read.clone(), comment, at));
                            }
                        }
                        if value.value == Value::Null
                            && let Some((comment, at)) = comment_after_key(self.text, key)
                            && let Some(name) = key.scalar_text()
                        {
                            found.push((name, value.loc, at, comment));
                        }
                        stack.push(value);
                    }
                }
                Value::Seq(items) => stack.extend(items),
                _ => {}
            }
        }
        // Keys whose value is free text may really start with `#`; elsewhere the `#` is a slip.
        const TEXT_KEYS: [&str; 7] = [
            "title",
            "description",
            "prompt",
            "notes",
            "expect",
            "eq",
            "ne",
        ];
        for (key, read, comment, at) in cut {
            let whole = format!("{read} {comment}");
            let quoted = whole.replace('\\', "\\\\").replace('"', "\\\"");
            let (what, written) = if key == "questions" {
                ("question".to_owned(), format!("- \"{quoted}\""))
            } else {
                (format!("{key} text"), format!("{key}: \"{quoted}\""))
            };
            self.diags.push(
                Diagnostic::warning(
                    "comment-in-text",
                    &self.file,
                    Some(at),
                    format!(
                        "the `#` starts a YAML comment, so the {what} ends at `{read}` and `{comment}` is not read"
                    ),
                )
                .with_help(format!("if it is all one text, quote it: `{written}`")),
            );
        }
        for (key, null_at, loc, comment) in found {
            let bare = comment.trim_start_matches('#').trim();
            let help = if TEXT_KEYS.contains(&key.as_str()) {
                let quoted = comment.replace('\\', "\\\\").replace('"', "\\\"");
                format!("if `{comment}` is the value, quote it: `{key}: \"{quoted}\"`")
            } else if !bare.is_empty() && !bare.contains(char::is_whitespace) {
                format!("write the value without the `#`: `{key}: {bare}`")
            } else {
                format!("write the value before any `#`: `{key}: <value>  # comment`")
            };
            let d = Diagnostic::error(
                "comment-not-value",
                &self.file,
                Some(loc),
                format!(
                    "`{key}` has no value: the `#` starts a comment, so `{comment}` is not read"
                ),
            )
            .with_help(help);
            self.diags.push(d);
            self.comment_values.insert(null_at.offset);
        }
    }

    fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        example: &str,
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!("{what} must be a mapping, found {}", node.value.kind()),
                format!("write it as keys and values, for example:\n{example}"),
            );
            return None;
        };
        let mut fields = Fields {
            entries: Vec::new(),
            loc: node.loc,
        };
        for (key, value) in entries {
            let Some(name) = key.scalar_text() else {
                self.error(
                    "wrong-type",
                    key.loc,
                    format!(
                        "keys in {what} must be plain words, found {}",
                        key.value.kind()
                    ),
                    format!("allowed keys: {}", allowed.join(", ")),
                );
                continue;
            };
            if allowed.contains(&name.as_str()) {
                fields.entries.push((name, key, value));
            } else {
                self.unknown_key(&name, key.loc, what, allowed);
            }
        }
        Some(fields)
    }

    fn unknown_key(&mut self, name: &str, loc: Loc, what: &str, allowed: &[&str]) {
        let help = match did_you_mean(name, allowed) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("allowed keys here: {}", allowed.join(", ")),
        };
        self.error(
            "unknown-key",
            loc,
            format!("unknown key `{name}` in {what}"),
            help,
        );
    }

    fn require<'n>(
        &mut self,
        fields: &Fields<'n>,
        key: &str,
        what: &str,
        example: &str,
    ) -> Option<&'n Node> {
        let node = fields.get(key);
        if node.is_none() {
            self.error(
                "missing-key",
                fields.loc,
                format!("{what} needs `{key}`"),
                format!("add it, for example `{key}: {example}`"),
            );
        }
        node
    }

    // ----- the document -----
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_passwords_are_recognised() {
        assert!(has_literal_password("postgres://app:hunter2@db/app"));
        assert!(has_literal_password("host=db password=hunter2"));
        assert!(has_literal_password("postgres://db/app?password=x"));
        assert!(!has_literal_password("postgres://app:${PW}@db/app"));
        assert!(!has_literal_password("postgres://app@db/app"));
        assert!(!has_literal_password("${DATABASE_URL}"));
    }

    fn load_ok(text: &str) -> Runbook {
        let loaded = load_text(Path::new("rb.yaml"), text, &|_| None);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        loaded.runbook.unwrap()
    }

    fn only_sql(runbook: &Runbook) -> &SqlSource {
        runbook.phases[0].steps[0].kind.sql().unwrap()
    }

    /// Line and column in the runbook of the first `needle` in the step's SQL.
    fn sql_place(source: &SqlSource, needle: &str) -> (usize, usize) {
        let offset = source.text.find(needle).unwrap();
        let (file, loc) = source.locate(Path::new("rb.yaml"), offset, needle.len());
        assert_eq!(file, Path::new("rb.yaml"));
        (loc.line, loc.column)
    }

    const HEAD: &str = "name: demo\nwindow:\n  budget: 4h\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: s\n";

    #[test]
    fn folded_inline_sql_locates_each_statement_on_its_own_line() {
        let text = format!(
            "{HEAD}        sql: >\n          ALTER TABLE t ADD c int;\n          BEGIN;\n          COMMIT;\n        rollback: ALTER TABLE t\n          DROP c\n"
        );
        let runbook = load_ok(&text);
        let sql = only_sql(&runbook);
        assert_eq!(sql.text, "ALTER TABLE t ADD c int; BEGIN; COMMIT;\n");
        assert_eq!(sql_place(sql, "ALTER"), (11, 11));
        assert_eq!(sql_place(sql, "BEGIN"), (12, 11));
        assert_eq!(sql_place(sql, "COMMIT"), (13, 11));
        let SqlOrigin::Inline {
            first_line, column, ..
        } = &sql.origin
        else {
            panic!("inline")
        };
        assert_eq!((*first_line, *column), (11, 11));
        // A multi-line plain rollback too.
        let StepKind::Migrate(m) = &runbook.phases[0].steps[0].kind else {
            panic!("migrate")
        };
        let rollback = m.rollback.as_ref().unwrap();
        assert_eq!(rollback.text, "ALTER TABLE t DROP c");
        assert_eq!(sql_place(rollback, "DROP"), (15, 11));
    }

    #[test]
    fn literal_inline_sql_starting_with_a_blank_line_starts_on_that_line() {
        let text = format!("{HEAD}        sql: |\n\n          BEGIN;\n          SELECT 1;\n");
        let runbook = load_ok(&text);
        let sql = only_sql(&runbook);
        assert_eq!(sql_place(sql, "BEGIN"), (12, 11));
        assert_eq!(sql_place(sql, "SELECT"), (13, 11));
        let SqlOrigin::Inline { first_line, .. } = &sql.origin else {
            panic!("inline")
        };
        assert_eq!(*first_line, 11);
    }

    #[test]
    fn quoted_inline_sql_points_past_the_quote_and_escapes() {
        let text = format!("{HEAD}        sql: \"SELECT \\\"a\\\"\n          FROM t\"\n");
        let runbook = load_ok(&text);
        let sql = only_sql(&runbook);
        assert_eq!(sql.text, "SELECT \"a\" FROM t");
        assert_eq!(sql_place(sql, "SELECT"), (10, 15));
        assert_eq!(sql_place(sql, "a"), (10, 24));
        assert_eq!(sql_place(sql, "FROM"), (11, 11));
    }

    #[test]
    fn a_number_through_an_alias_is_taken_as_written_at_its_anchor() {
        let text = format!(
            "{HEAD}        sql: SELECT 1\n      - migrate: &id 007\n        sql: SELECT 2\n      - manual: n\n        depends_on: [*id]\n        prompt: ok\n"
        );
        let runbook = load_ok(&text);
        let steps = &runbook.phases[0].steps;
        assert_eq!(steps[1].id, "007");
        assert_eq!(steps[2].depends_on[0].id, "007");
    }

    #[test]
    fn mapping_level_diagnostics_point_at_the_key_that_owns_the_mapping() {
        let text = "name: demo\nwindow:\n  start: 2024-01-31T22:00:00+01:00\nphases: []\n";
        let loaded = load_text(Path::new("rb.yaml"), text, &|_| None);
        let missing = loaded
            .diagnostics
            .iter()
            .find(|d| d.code == "missing-key")
            .unwrap();
        let loc = missing.loc.unwrap();
        assert_eq!((loc.line, loc.column), (2, 1), "{missing}");
        // The window is located at its budget, the thing a window-level warning is about.
        let runbook = load_ok(&format!("{HEAD}        sql: SELECT 1\n"));
        assert_eq!(
            (runbook.window.loc.line, runbook.window.loc.column),
            (3, 11)
        );
    }

    #[test]
    fn did_you_mean_finds_close_keys() {
        assert_eq!(
            did_you_mean("dependson", &["depends_on", "title"]),
            Some("depends_on")
        );
        assert_eq!(
            did_you_mean("depends-on", &["depends_on", "title"]),
            Some("depends_on")
        );
        assert_eq!(did_you_mean("zzz", &["depends_on", "title"]), None);
    }
}
