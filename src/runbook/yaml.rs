//! A YAML document as a tree of values that each remember where they were written.
//!
//! serde-saphyr parses the YAML; every node is read through `Spanned` so the loader can
//! point each diagnostic at the exact line and column instead of relying on serde's
//! first-error-wins messages.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

mod scalar_map;

pub use scalar_map::ScalarMap;

/// Where something was written: 1-based line and column, plus the byte range when known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Loc {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub len: usize,
}

impl Loc {
    fn from_saphyr(location: &serde_saphyr::Location) -> Self {
        let span = location.span();
        Loc {
            line: usize::try_from(location.line()).unwrap_or(0),
            column: usize::try_from(location.column()).unwrap_or(0),
            offset: span
                .byte_offset()
                .and_then(|o| usize::try_from(o).ok())
                .unwrap_or(0),
            len: span
                .byte_len()
                .and_then(|o| usize::try_from(o).ok())
                .unwrap_or(0),
        }
    }
}

/// A YAML value with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where a diagnostic about this value points. A scalar or a flow collection: where
    /// it starts. A block collection has no opening character of its own, and the parser
    /// places it at its first key or item, which is not what is wrong; so it is located
    /// at the key that owns it (`window:`), or at the `-` of its list item when it starts
    /// on a later line than that `-`. The document's root stays at its first key.
    pub loc: Loc,
    /// Where the value itself is written, as the parser reports it: differs from `loc`
    /// for an alias (`*name`: the anchored value) and for a block collection.
    pub written: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The word a user would use for this kind of value in an error message.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The value as text if it is a scalar (numbers and booleans included).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            loc: Loc::from_saphyr(&spanned.referenced),
            written: Loc::from_saphyr(&spanned.defined),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// A YAML syntax error with its location, and what to do about it when cutover knows better
/// than a generic hint.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub loc: Loc,
    pub help: Option<String>,
}

/// The parser's safety limits that remain once the size of the file is allowed for: each can
/// be raised through the environment variable named with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Nesting of lists and mappings (`CUTOVER_YAML_MAX_DEPTH`).
    pub max_depth: usize,
    /// Aliases (`*name`) and anchors (`&name`) (`CUTOVER_YAML_MAX_ALIASES`).
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_aliases: 50_000,
        }
    }
}

impl Limits {
    /// The defaults, raised by `CUTOVER_YAML_MAX_DEPTH` / `CUTOVER_YAML_MAX_ALIASES`.
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Limits {
        let read = |name: &str, default: usize| {
            lookup(name)
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        let base = Limits::default();
        Limits {
            max_depth: read("CUTOVER_YAML_MAX_DEPTH", base.max_depth),
            max_aliases: read("CUTOVER_YAML_MAX_ALIASES", base.max_aliases),
        }
    }
}

/// Parses a YAML document into a located tree. Duplicate keys are errors.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    parse_with(text, Limits::default())
}

/// [`parse`] with the given limits. The number of values may grow with the file (a 50,000-step
/// runbook is legitimate); nesting and aliases stay bounded, as they guard against documents
/// built to exhaust the machine.
pub fn parse_with(text: &str, limits: Limits) -> Result<Node, SyntaxError> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(text.len().saturating_mul(2));
    budget.max_events = budget.max_events.max(text.len().saturating_mul(4));
    budget.max_depth = limits.max_depth;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        budget: Some(budget),
    };
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(mut doc) => {
            locate_block_collections(&mut doc, text);
            Ok(doc)
        }
        Err(e) => Err(syntax_error(text, &e, limits)),
    }
}

/// A breached safety limit in words: which limit, its value, and how to raise it.
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach, limits: Limits) -> (String, String) {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } => (
            format!(
                "the YAML nests lists and mappings more than {} levels deep here",
                limits.max_depth
            ),
            format!(
                "a runbook nests about 8 levels: look for brackets that are never closed or indentation that keeps growing; if the nesting is meant, raise the limit with CUTOVER_YAML_MAX_DEPTH={}",
                limits.max_depth * 2
            ),
        ),
        B::Aliases { .. } | B::Anchors { .. } | B::AliasAnchorRatio { .. } => (
            format!(
                "the YAML uses more aliases (`*name`) or anchors (`&name`) than the {} cutover reads",
                limits.max_aliases
            ),
            format!(
                "write the repeated values out, or raise the limit with CUTOVER_YAML_MAX_ALIASES={}",
                limits.max_aliases * 2
            ),
        ),
        B::Documents { .. } => (
            "the file holds more YAML documents than a runbook may".to_owned(),
            "a runbook is one YAML document: remove the `---` lines that start others".to_owned(),
        ),
        _ => (
            "the YAML exceeds one of the parser's safety limits here (values an alias expands to, or the size of its text)".to_owned(),
            "write repeated values out instead of expanding aliases of large values, or split the runbook".to_owned(),
        ),
    }
}

/// The parser's error, without the place it repeats in its message (the diagnostic says
/// where), and at the right place where the parser names the wrong one.
fn syntax_error(text: &str, e: &serde_saphyr::Error, limits: Limits) -> SyntaxError {
    let mut loc = e
        .location()
        .map(|l| Loc::from_saphyr(&l))
        .unwrap_or_default();
    if loc.offset == 0
        && let Some(offset) = offset_at(text, loc.line, loc.column)
    {
        loc.offset = offset;
    }
    let mut inner = e.without_snippet();
    while let serde_saphyr::Error::AliasError { error, .. } = inner {
        inner = error.without_snippet();
    }
    match inner {
        serde_saphyr::Error::Budget { breach, .. } => {
            let (message, help) = budget_message(breach, limits);
            return SyntaxError {
                message,
                loc,
                help: Some(help),
            };
        }
        serde_saphyr::Error::MultipleDocuments { .. } => {
            let loc = second_document_start(text).unwrap_or(loc);
            return SyntaxError {
                message: "a runbook is one YAML document, but a second one starts here (`---`)".to_owned(),
                loc,
                help: Some("remove this `---` line and what follows it, or move that into a runbook of its own".to_owned()),
            };
        }
        _ => {}
    }
    let raw = e.without_snippet().to_string();
    let mut lines = raw.lines();
    let first = strip_place(lines.next().unwrap_or_default());
    let mut message: Vec<&str> = vec![first];
    message.extend(lines);
    let mut message = message.join("\n");
    // The scanner reports a tab met in the indentation after a plain scalar at the
    // scalar's start (the previous line's value): point at the tab itself.
    if first.contains("plain scalar")
        && first.contains("found a tab")
        && let Some(tab) = tab_in_indentation_after(text, loc)
    {
        loc = tab;
        message = "found a tab in the indentation".to_owned();
    }
    SyntaxError {
        message,
        loc,
        help: None,
    }
}

/// The `---` line that starts a second document: the first one after the file's content
/// began (a `---` before any content only opens the first document).
fn second_document_start(text: &str) -> Option<Loc> {
    let mut offset = 0;
    let mut content_seen = false;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        let is_marker =
            trimmed == "---" || trimmed.starts_with("--- ") || trimmed.starts_with("---\t");
        if is_marker && content_seen {
            return Some(Loc {
                line: n + 1,
                column: 1,
                offset,
                len: 3,
            });
        }
        let body = trimmed.trim_start();
        if !is_marker && !body.is_empty() && !body.starts_with('#') && !body.starts_with('%') {
            content_seen = true;
        }
        offset += line.len();
    }
    None
}

/// `message at line 3, column 7` → `message`.
fn strip_place(message: &str) -> &str {
    let Some((before, place)) = message.rsplit_once(" at line ") else {
        return message;
    };
    let is_place = place.split_once(", column ").is_some_and(|(line, column)| {
        [line, column.trim_end_matches('.')]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if is_place { before } else { message }
}

/// Byte offset of a 1-based line and column (columns counted in characters).
fn offset_at(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text.get(start..)?.find('\n')? + 1;
    }
    let rest = text.get(start..)?;
    let in_line: usize = rest
        .chars()
        .take_while(|c| *c != '\n')
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    Some(start + in_line)
}

/// 1-based line and column of a byte offset (columns counted in characters).
fn line_col_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    Some((line, before.get(line_start..)?.chars().count() + 1))
}

/// The first tab in the indentation of a line with content after the line of `loc`.
fn tab_in_indentation_after(text: &str, loc: Loc) -> Option<Loc> {
    let start = offset_at(text, loc.line, loc.column)?;
    let mut pos = start + text.get(start..)?.find('\n')? + 1;
    let mut line = loc.line + 1;
    while pos < text.len() {
        let end = text.get(pos..)?.find('\n').map_or(text.len(), |i| pos + i);
        let content = text.get(pos..end)?;
        let rest = content.trim_start_matches([' ', '\t']);
        let indentation = content.get(..content.len() - rest.len())?;
        let rest = rest.trim_end_matches('\r');
        if let Some(tab) = indentation.find('\t')
            && !rest.is_empty()
            && !rest.starts_with('#')
        {
            return Some(Loc {
                line,
                // The indentation is ASCII: bytes are characters.
                column: tab + 1,
                offset: pos + tab,
                len: 1,
            });
        }
        pos = end + 1;
        line += 1;
    }
    None
}

/// See [`Node::loc`]: block collections are located where they are introduced.
fn locate_block_collections(doc: &mut Node, text: &str) {
    let is_block = |node: &Node| {
        matches!(node.value, Value::Map(_) | Value::Seq(_))
            && !matches!(text.as_bytes().get(node.loc.offset), Some(b'{' | b'['))
    };
    // Iterative: the depth of a document is the parser's business, not the stack's.
    let mut stack: Vec<&mut Node> = vec![doc];
    while let Some(node) = stack.pop() {
        match &mut node.value {
            Value::Map(entries) => {
                for (key, value) in entries.iter_mut() {
                    if is_block(value) {
                        value.loc = key.loc;
                    }
                    stack.push(key);
                    stack.push(value);
                }
            }
            Value::Seq(items) => {
                for item in items.iter_mut() {
                    if is_block(item)
                        && let Some(dash) = dash_on_an_earlier_line(text, item.loc.offset)
                    {
                        item.loc = dash;
                    }
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
}

/// The `-` of a list item whose content starts on a later line (`-\n  key: value`).
fn dash_on_an_earlier_line(text: &str, offset: usize) -> Option<Loc> {
    let before = text.get(..offset)?;
    let mut line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before
        .get(line_start..)?
        .trim_start_matches([' ', '\t'])
        .is_empty()
    {
        return None; // `- key: value`: the item starts on the dash's line.
    }
    while line_start > 0 {
        let end = line_start - 1;
        let start = text.get(..end)?.rfind('\n').map_or(0, |i| i + 1);
        let line = text.get(start..end)?;
        let code = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(comment) => line.get(..comment)?,
            None if line.trim_start().starts_with('#') => "",
            None => line,
        }
        .trim_end();
        if code.trim_start().is_empty() {
            line_start = start;
            continue;
        }
        let dash = start + code.len() - 1;
        let is_dash = code.ends_with('-')
            && (code.len() == 1 || code[..code.len() - 1].ends_with([' ', '\t']));
        if !is_dash {
            return None;
        }
        let (line, column) = line_col_at(text, dash)?;
        return Some(Loc {
            line,
            column,
            offset: dash,
            len: 1,
        });
    }
    None
}

#[cfg(test)]
mod tests;
