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

/// A value written where a path or SQL may go is a path when it is one word ending in
/// `.sql` (in any case: `migrations/x.SQL` too).
fn looks_like_sql_path(text: &str) -> bool {
    !text.trim().contains(char::is_whitespace) && has_sql_extension(text.trim())
}

fn has_sql_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
}

/// `a/b/../c` → `a/c`, without touching the file system (`..` above the start is kept).
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The `.sql` files directly in `dir`, sorted.
fn sql_files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|name| has_sql_extension(name))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The 1-based line and column (in characters) of a byte offset in bytes that may not all be
/// UTF-8.
fn loc_of_byte(bytes: &[u8], offset: usize) -> Loc {
    let before = String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]).into_owned();
    Loc {
        line: before.matches('\n').count() + 1,
        column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        offset,
        len: 1,
    }
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

fn step_keys(kind: &str) -> &'static [&'static str] {
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
        ],
        "check" => &["sql", "file", "expect", "severity", "timeout"],
        "probe" => &["sql", "file", "every", "alert"],
        "manual" => &["prompt"],
        "command" => &["run", "timeout"],
        "checkpoint" => &["prompt", "questions"],
        _ => &[],
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

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

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Str(_) => {
                self.error(
                    "empty-value",
                    node.loc,
                    format!("`{what}` is empty"),
                    "write a value",
                );
                None
            }
            // Numbers are taken as written: `001` stays `001`, not `1`.
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                self.raw_text(node).or_else(|| node.scalar_text())
            }
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    if what.contains(' ') {
                        format!("{what} must be a string, found {}", other.kind())
                    } else {
                        format!("`{what}` must be a string, found {}", other.kind())
                    },
                    "write plain text on the same line",
                );
                None
            }
        }
    }

    /// The scalar exactly as it appears in the file (at its anchor for an alias), when
    /// its span is known.
    fn raw_text(&self, node: &Node) -> Option<String> {
        let at = node.written;
        let end = at.offset.checked_add(at.len)?;
        let raw = self.text.get(at.offset..end)?.trim();
        (!raw.is_empty() && at.len > 0 && !raw.contains(['\n', ':', '#', '[', '{', '*', '&', '!']))
            .then(|| raw.to_owned())
    }

    fn identifier(&mut self, node: &Node, what: &str) -> Option<String> {
        let s = self.string(node, what)?;
        if is_identifier(&s) {
            Some(s)
        } else {
            let suggestion: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            self.error(
                "bad-identifier",
                node.loc,
                format!("`{s}` is not a valid {what}"),
                format!("use letters, digits, `_`, `-` and `.` only, e.g. `{suggestion}`"),
            );
            None
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) if *i < 0 => {
                let n = i.unsigned_abs();
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{what}: {i}` is negative and has no unit: a duration is how long something may take"),
                    format!("write `{n}s` or `{n}m` (units: ms, s, m, h, d)"),
                );
                return None;
            }
            Value::Int(i) => {
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{what}: {i}` has no unit"),
                    format!("write `{i}s` or `{i}m` (units: ms, s, m, h, d)"),
                );
                return None;
            }
            other => {
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{what}` must be a duration, found {}", other.kind()),
                    "write a duration like `30s`, `5m` or `1h30m`",
                );
                return None;
            }
        };
        match duration::parse(&text) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{text}` is not a duration ({reason})"),
                    duration::suggest(&text),
                );
                None
            }
        }
    }

    fn optional_duration(&mut self, fields: &Fields, key: &str, default: Duration) -> Duration {
        fields
            .get(key)
            .and_then(|n| self.duration(n, key))
            .unwrap_or(default)
    }

    fn count(&mut self, node: &Node, what: &str, min: i64) -> Option<u32> {
        let too_large =
            |this: &mut Self, written: &str| {
                this.error(
                "out-of-range",
                node.loc,
                format!(
                    "`{what}: {written}` is too large: the largest `{what}` cutover takes is {}",
                    u32::MAX
                ),
                format!("write a number up to {}, e.g. `{what}: {}`", u32::MAX, min.max(5)),
            );
                None
            };
        match &node.value {
            Value::Int(i) if *i >= min => match u32::try_from(*i) {
                Ok(n) => Some(n),
                Err(_) => too_large(self, &i.to_string()),
            },
            // A whole number too large for the parser's integers arrives as a float.
            Value::Float(_)
                if self.raw_text(node).is_some_and(|raw| {
                    !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())
                }) =>
            {
                let raw = self.raw_text(node).unwrap_or_default();
                too_large(self, &raw)
            }
            Value::Int(i) => {
                self.error(
                    "out-of-range",
                    node.loc,
                    format!("`{what}` must be at least {min}, found {i}"),
                    format!("write `{what}: {min}` or more"),
                );
                None
            }
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    format!("`{what}` must be a whole number, found {}", other.kind()),
                    format!("write `{what}: {}`", min.max(1)),
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    format!("`{what}` must be true or false, found {}", other.kind()),
                    format!("write `{what}: true` or `{what}: false`"),
                );
                None
            }
        }
    }

    fn one_of<T: Copy>(&mut self, node: &Node, what: &str, options: &[(&str, T)]) -> Option<T> {
        let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
        let text = node.scalar_text();
        if let Some(found) = options.iter().find(|(w, _)| Some(*w) == text.as_deref()) {
            return Some(found.1);
        }
        let shown = text.unwrap_or_else(|| node.value.kind().to_owned());
        let help = match did_you_mean(&shown, &words) {
            Some(s) => format!("did you mean `{s}`? (one of: {})", words.join(", ")),
            None => format!("write one of: {}", words.join(", ")),
        };
        self.error(
            "bad-value",
            node.loc,
            format!("`{shown}` is not a valid {what}"),
            help,
        );
        None
    }

    fn string_list(
        &mut self,
        node: &Node,
        what: &str,
        example: &str,
    ) -> Option<Vec<(String, Loc)>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            other => {
                // The words written, in a list: `{step: notify}` → `[notify]`.
                let written: Vec<String> = match other {
                    Value::Map(entries) => entries
                        .iter()
                        .filter_map(|(_, v)| v.scalar_text())
                        .filter(|v| is_identifier(v))
                        .collect(),
                    _ => Vec::new(),
                };
                let example = if written.is_empty() {
                    example.to_owned()
                } else {
                    format!("[{}]", written.join(", "))
                };
                self.error(
                    "wrong-type",
                    node.loc,
                    format!("`{what}` must be a list, found {}", other.kind()),
                    format!("write `{what}: {example}`"),
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items {
            if let Some(s) = self.string(item, what) {
                out.push((s, item.loc));
            }
        }
        Some(out)
    }

    // ----- the document -----

    fn runbook(&mut self, doc: &Node) -> Option<Runbook> {
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

    fn window(&mut self, node: &Node) -> Option<Window> {
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

    fn database(&mut self, node: &Node) -> Option<DatabaseConfig> {
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

    fn defaults(&mut self, node: &Node) -> Defaults {
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

    fn tx_mode(&mut self, node: &Node) -> Option<TxMode> {
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

    fn phases(&mut self, node: &Node, defaults: &Defaults, window: Option<&Window>) -> Vec<Phase> {
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

    fn phase(
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

    fn phase_start(&mut self, node: &Node, window: Option<&Window>) -> Option<(PhaseStart, Loc)> {
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

    fn steps(&mut self, node: &Node, defaults: &Defaults) -> Vec<Step> {
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

    fn step(&mut self, node: &Node, defaults: &Defaults) -> Option<Step> {
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
                    None => "name the step's kind as its first key: `- migrate: <id>` (kinds: migrate, check, probe, manual, command, checkpoint)".to_owned(),
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
            _ => self.checkpoint(&f).map(StepKind::Checkpoint),
        };
        let _ = kind_key;
        Some(Step {
            id: id?,
            title,
            kind: step_kind?,
            depends_on,
            expected_duration,
            loc: id_node.loc,
        })
    }

    fn sql_of(&mut self, f: &Fields, what: &str) -> Option<SqlSource> {
        match (f.get("sql"), f.get("file")) {
            (Some(sql), None) => {
                if let Some(path) = sql.scalar_text().filter(|t| looks_like_sql_path(t)) {
                    self.error(
                        "sql-is-a-path",
                        sql.loc,
                        format!("`sql:` holds the SQL itself, but `{path}` is the name of a file"),
                        format!("write `file: {path}` to run the SQL in that file"),
                    );
                    return None;
                }
                self.inline_sql(sql, "sql")
            }
            (None, Some(file)) => {
                let path = self.string(file, "file")?;
                self.sql_file(&path, file.loc, "write the SQL in it, or remove the step")
            }
            (Some(_), Some(_)) => {
                let loc = f.key_loc("file").unwrap_or(f.loc);
                self.error(
                    "sql-and-file",
                    loc,
                    format!("a {what} step has either `sql` or `file`, not both"),
                    "keep the inline `sql`, or move it into the file and keep `file`",
                );
                None
            }
            (None, None) => {
                self.error(
                    "missing-sql",
                    f.loc,
                    format!("a {what} step needs its SQL"),
                    "add `sql: SELECT ...` inline, or `file: migrations/NNN_name.sql`",
                );
                None
            }
        }
    }

    fn inline_sql(&mut self, node: &Node, what: &str) -> Option<SqlSource> {
        let text = self.string(node, what)?;
        // Where each character of the SQL is written (for an alias: at its anchor).
        let map = ScalarMap::new(self.text, node.written, &text);
        if !map.is_exact() {
            self.diags.push(
                Diagnostic::note(
                    "sql-position",
                    &self.file,
                    Some(node.loc),
                    format!("places inside this `{what}` cannot be traced back to the runbook exactly: problems in it are reported at its start"),
                )
                .with_help("write the SQL as a literal block (`|`) or in a file for exact places"),
            );
        }
        let first = map.locate(&text, 0, 0);
        self.hasher.update(text.as_bytes());
        Some(SqlSource {
            text,
            origin: SqlOrigin::Inline {
                loc: node.loc,
                first_line: first.line,
                column: first.column,
                map,
            },
        })
    }

    /// `sql_root: <folder>`: every SQL file must be under it (relative to the runbook's folder).
    fn sql_root(&mut self, node: &Node) {
        let Some(written) = self.string(node, "sql_root") else {
            return;
        };
        let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
        let root = base.join(&written);
        if !root.is_dir() {
            self.error(
                "missing-file",
                node.loc,
                format!("`sql_root` names `{written}`, which is not a folder"),
                "name the folder that holds the SQL files, relative to the runbook's folder, e.g. `sql_root: ..`",
            );
            return;
        }
        self.sql_root = Some(root);
    }

    /// The folders SQL files may be read from: the declared `sql_root`, or the runbook's
    /// folder and its parent (where `migrations/` sits beside `runbooks/`).
    fn sql_roots(&self) -> Vec<PathBuf> {
        let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        match &self.sql_root {
            Some(root) => vec![root.clone()],
            None => vec![base.clone(), base.join("..")],
        }
    }

    /// `if_empty`: what to write instead when the file is empty.
    fn sql_file(&mut self, written: &str, loc: Loc, if_empty: &str) -> Option<SqlSource> {
        let roots = self.sql_roots();
        let candidates: Vec<PathBuf> = roots.iter().map(|r| r.join(written)).collect();
        // Judged on absolute paths: a relative root of "" would contain `../..` too.
        let absolute = |p: &Path| {
            lexically_normal(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
        };
        let inside = |path: &Path| {
            let path = absolute(path);
            roots.iter().any(|r| path.starts_with(absolute(r)))
        };
        let tree = match &self.sql_root {
            Some(_) => "the declared `sql_root`",
            None => "the runbook's folder and its parent",
        };
        if !candidates.iter().any(|p| inside(p)) {
            // Written relative to the runbook's folder while `sql_root` is declared: the same
            // file, named from the root.
            let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
            let from_root = roots.iter().find_map(|root| {
                let target = absolute(&base.join(written));
                let relative = target.strip_prefix(absolute(root)).ok()?;
                target.is_file().then(|| relative.display().to_string())
            });
            let help = match from_root {
                Some(relative) => format!(
                    "paths are relative to {tree}: write `file: {relative}` (or `rollback: {relative}`)"
                ),
                None => "move the file beside the runbook (e.g. into `migrations/`) and name it from there, or declare the folder that holds your SQL with `sql_root: <folder>`".to_owned(),
            };
            self.error(
                "path-outside-runbook",
                loc,
                format!(
                    "`{written}` leads outside {tree}: cutover reads SQL files only from there"
                ),
                help,
            );
            return None;
        }
        let Some(path) = candidates.iter().find(|p| inside(p) && p.exists()).cloned() else {
            self.error(
                "missing-file",
                loc,
                format!("SQL file `{written}` not found"),
                format!(
                    "create it or fix the path (looked for {}; paths are relative to {tree})",
                    candidates
                        .iter()
                        .map(|c| c.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
            return None;
        };
        if path.is_dir() {
            let example = sql_files_in(&path)
                .first()
                .map(|f| format!("{}/{f}", written.trim_end_matches('/')))
                .unwrap_or_else(|| format!("{}/001_change.sql", written.trim_end_matches('/')));
            self.error(
                "is-a-directory",
                loc,
                format!("`{written}` is a folder, not an SQL file"),
                format!("name one file in it, e.g. `file: {example}`"),
            );
            return None;
        }
        // Symbolic links count where they lead.
        let real_roots: Vec<PathBuf> = roots
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect();
        if let Ok(real) = std::fs::canonicalize(&path)
            && !real_roots.iter().any(|r| real.starts_with(r))
        {
            self.error(
                "path-outside-runbook",
                loc,
                format!(
                    "`{written}` leads outside {tree} (a link to {}): cutover reads SQL files only from there",
                    real.display()
                ),
                "copy the file beside the runbook, or declare the folder that holds your SQL with `sql_root: <folder>`",
            );
            return None;
        }
        // Never read (and never print) what is not an SQL file.
        if !has_sql_extension(written) {
            self.error(
                "not-sql-file",
                loc,
                format!("`{written}` is not an SQL file (its name does not end in `.sql`)"),
                "name a `.sql` file; if this file holds SQL, rename it to end in `.sql`",
            );
            return None;
        }
        let what = format!("SQL file `{written}`");
        let text = match std::fs::read(&path) {
            Ok(bytes) => match encoding::decode(bytes.clone(), &what) {
                Ok(text) => text,
                Err(e) => {
                    let at = loc_of_byte(&bytes, e.offset);
                    self.error(
                        "not-utf8",
                        loc,
                        format!(
                            "{} (line {}, column {} of the file)",
                            e.message, at.line, at.column
                        ),
                        e.help,
                    );
                    return None;
                }
            },
            Err(e) => {
                self.error(
                    "unreadable",
                    loc,
                    format!("cannot read `{}`: {e}", path.display()),
                    "check that the file is readable by the user running cutover",
                );
                return None;
            }
        };
        if let Some((offset, c)) = encoding::control_characters(&text).first().copied() {
            let at = loc_of_byte(text.as_bytes(), offset);
            self.diags.push(
                Diagnostic::error(
                    "control-character",
                    &path,
                    Some(at),
                    format!(
                        "an invisible control character, {}, is written here",
                        encoding::control_name(c)
                    ),
                )
                .with_help("delete it (a terminal colour code or a stray key pasted into the file?); in a string literal, write it as an escape: E'\\x1b'"),
            );
            self.sources.insert(&path, text);
            return None;
        }
        let path = &path;
        if text.trim().is_empty() {
            self.error(
                "empty-sql",
                loc,
                format!("SQL file `{written}` is empty"),
                if_empty,
            );
            return None;
        }
        self.hasher.update(text.as_bytes());
        self.sources.insert(path, text.clone());
        Some(SqlSource {
            text,
            origin: SqlOrigin::File {
                path: path.clone(),
                loc,
            },
        })
    }

    fn migrate(&mut self, f: &Fields, defaults: &Defaults) -> Option<Migrate> {
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
        })
    }

    /// `irreversible: <reason>`: the reason is what the report and the operator read at a no-go.
    fn irreversible(&mut self, node: &Node) -> Option<String> {
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

    fn check(&mut self, f: &Fields, defaults: &Defaults) -> Option<Check> {
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

    fn probe(&mut self, f: &Fields) -> Option<Probe> {
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

    fn command(&mut self, f: &Fields, defaults: &Defaults) -> Option<Command> {
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

    fn checkpoint(&mut self, f: &Fields) -> Option<Checkpoint> {
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

    fn scalar(&mut self, node: &Node) -> Option<Scalar> {
        match &node.value {
            Value::Null => Some(Scalar::Null),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Int(i) => Some(Scalar::Int(*i)),
            Value::Float(x) => Some(Scalar::Float(*x)),
            Value::Str(s) => Some(Scalar::Text(s.clone())),
            other => {
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("cannot compare against {}", other.kind()),
                    "compare against one value, e.g. `{ eq: 43 }`",
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node, op: &str) -> Option<f64> {
        match &node.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            other => {
                let shown = node
                    .scalar_text()
                    .map_or_else(|| other.kind().to_owned(), |t| format!("`{t}`"));
                let example = if op == "between" {
                    "`{ between: [1, 10] }`".to_owned()
                } else {
                    format!("`{{ {op}: 100 }}`, or use `eq`/`ne` to compare text")
                };
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("`{op}` compares numbers, but {shown} is not a number"),
                    format!("write numbers, e.g. {example}"),
                );
                None
            }
        }
    }

    fn expectation(&mut self, node: &Node) -> Option<Expectation> {
        self.comparison(node, "expect", true)
    }

    /// Parses `expect` (rows/empty allowed) or `alert` (value comparisons only).
    fn comparison(&mut self, node: &Node, what: &str, rows_allowed: bool) -> Option<Expectation> {
        let mut keys: Vec<&str> = Op::KEYS.to_vec();
        keys.push("between");
        if rows_allowed {
            keys.extend(["rows", "empty"]);
        }
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Seq(_) => {
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("`{what}` cannot be a list"),
                    "for a range write `{ between: [1, 10] }`",
                );
                return None;
            }
            _ if rows_allowed => {
                let value = self.scalar(node)?;
                return Some(Expectation::Value(Comparison::Compare {
                    op: Op::Eq,
                    value,
                }));
            }
            other => {
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("`alert` must say when to alert, found {}", other.kind()),
                    "write a threshold, e.g. `alert: { gt: 200 }`",
                );
                return None;
            }
        };
        let [(key, value)] = entries.as_slice() else {
            self.error(
                "bad-expect",
                node.loc,
                format!("`{what}` takes exactly one comparison, found {}", entries.len()),
                "write one of eq, ne, lt, le, gt, ge, between (and for expect: rows, empty); for a range use `{ between: [1, 10] }`",
            );
            return None;
        };
        let op_name = key.scalar_text().unwrap_or_default();
        let op = match op_name.as_str() {
            "eq" => Some(Op::Eq),
            "ne" => Some(Op::Ne),
            "lt" => Some(Op::Lt),
            "le" => Some(Op::Le),
            "gt" => Some(Op::Gt),
            "ge" => Some(Op::Ge),
            _ => None,
        };
        if let Some(op) = op {
            let value = if matches!(op, Op::Eq | Op::Ne) {
                self.scalar(value)?
            } else {
                let n = self.number(value, &op_name)?;
                match value.value {
                    Value::Int(i) => Scalar::Int(i),
                    _ => Scalar::Float(n),
                }
            };
            return Some(Expectation::Value(Comparison::Compare { op, value }));
        }
        match op_name.as_str() {
            "between" => {
                let Value::Seq(bounds) = &value.value else {
                    self.error(
                        "bad-expect",
                        value.loc,
                        "`between` takes two numbers",
                        "write `{ between: [1, 10] }`",
                    );
                    return None;
                };
                let [low, high] = bounds.as_slice() else {
                    self.error(
                        "bad-expect",
                        value.loc,
                        format!("`between` takes two numbers, found {}", bounds.len()),
                        "write `{ between: [1, 10] }`",
                    );
                    return None;
                };
                let (low_v, high_v) = (self.number(low, "between")?, self.number(high, "between")?);
                if low_v > high_v {
                    self.error(
                        "bad-expect",
                        value.loc,
                        format!("`between` bounds are reversed: {low_v} is above {high_v}"),
                        format!("write `{{ between: [{high_v}, {low_v}] }}`"),
                    );
                    return None;
                }
                Some(Expectation::Value(Comparison::Between {
                    low: low_v,
                    high: high_v,
                }))
            }
            "rows" if rows_allowed => match value.value {
                Value::Int(n) if n >= 0 => Some(Expectation::Rows(n as u64)),
                _ => {
                    self.error(
                        "bad-expect",
                        value.loc,
                        "`rows` is a row count, a whole number of 0 or more",
                        "write `{ rows: 3 }`, or `{ empty: true }` for no rows",
                    );
                    None
                }
            },
            "empty" if rows_allowed => self.boolean(value, "empty").map(Expectation::Empty),
            other => {
                let alias = match other {
                    "gte" | ">=" => Some("ge"),
                    "lte" | "<=" => Some("le"),
                    "neq" | "!=" | "<>" => Some("ne"),
                    "==" | "=" | "equals" => Some("eq"),
                    ">" => Some("gt"),
                    "<" => Some("lt"),
                    _ => None,
                };
                let help = match alias.or_else(|| did_you_mean(other, &keys)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("write one of: {}", keys.join(", ")),
                };
                self.error(
                    "bad-expect",
                    key.loc,
                    format!("`{other}` is not a comparison {what} understands"),
                    help,
                );
                None
            }
        }
    }

    fn duplicate_ids(&mut self, phases: &[Phase]) {
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

/// Whether a URL or conninfo string carries a password written out (not `${VAR}`).
fn has_literal_password(url: &str) -> bool {
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
