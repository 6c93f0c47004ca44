//! A YAML document as a tree of values that each remember where they were written.
//!
//! serde-saphyr parses the YAML; every node is read through `Spanned` so the loader can
//! point each diagnostic at the exact line and column instead of relying on serde's
//! first-error-wins messages.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

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

/// Where each character of a scalar's value is written in the file.
///
/// YAML rewrites a scalar's text: a block scalar loses its indentation, a folded (`>`) or
/// a multi-line plain or quoted scalar joins its lines with spaces, quotes and escapes
/// disappear. Offsets into the value (from the SQL parser, say) are mapped back by
/// re-scanning the scalar as written: every non-blank character of the value is matched
/// with the same character in the file, with runs of whitespace, line breaks, doubled
/// quotes and escapes in between. When that fails (it should not), every offset maps to
/// the scalar's start and [`ScalarMap::is_exact`] says so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScalarMap {
    /// Sorted by `value`. From one anchor to the next, the value's bytes are the file's
    /// bytes, on one line.
    anchors: Vec<Anchor>,
    /// Where the scalar is written: the place of every offset when the map is not exact.
    start: Loc,
}

/// A byte of the value and where it is in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Anchor {
    value: usize,
    offset: usize,
    line: usize,
    column: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Plain or block (`|`, `>`): the value's characters are the file's, but for whitespace.
    Plain,
    Single,
    Double,
}

/// The file under the scan, with the line and column of the current byte.
struct Cursor<'s> {
    text: &'s str,
    pos: usize,
    line: usize,
    column: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
    }

    fn bump_bytes(&mut self, n: usize) {
        let target = self.pos.saturating_add(n);
        while self.pos < target && self.peek().is_some() {
            self.bump();
        }
    }

    fn anchor(&self, value: usize) -> Anchor {
        Anchor {
            value,
            offset: self.pos,
            line: self.line,
            column: self.column,
        }
    }
}

/// What a double-quoted escape stands for, and its length in the file.
enum Escape {
    Char(char),
    /// `\` at the end of a line: the line break and the next line's indentation vanish.
    LineBreak,
}

fn escape(rest: &str) -> Option<(Escape, usize)> {
    let mut chars = rest.strip_prefix('\\')?.chars();
    let c = chars.next()?;
    let hex = |digits: usize| -> Option<(Escape, usize)> {
        let code = rest.get(2..2 + digits)?;
        let ch = char::from_u32(u32::from_str_radix(code, 16).ok()?)?;
        Some((Escape::Char(ch), 2 + digits))
    };
    let ch = match c {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' => return hex(2),
        'u' => return hex(4),
        'U' => return hex(8),
        '\n' => return Some((Escape::LineBreak, 2)),
        '\r' => {
            let n = if rest.get(2..3) == Some("\n") { 3 } else { 2 };
            return Some((Escape::LineBreak, n));
        }
        _ => return None,
    };
    Some((Escape::Char(ch), 1 + c.len_utf8()))
}

impl ScalarMap {
    /// Maps `value`, the scalar the parser read at `written` (its [`Node::written`]).
    pub fn new(text: &str, written: Loc, value: &str) -> ScalarMap {
        let mut start = written;
        if start.offset == 0
            && (start.line, start.column) != (1, 1)
            && let Some(offset) = offset_at(text, start.line, start.column)
        {
            start.offset = offset;
        }
        let quoted = match text.get(start.offset..).and_then(|r| r.chars().next()) {
            Some('"') => Some(Style::Double),
            Some('\'') => Some(Style::Single),
            _ => None,
        };
        // A quoted scalar's span runs from its opening quote to its closing one; a block
        // scalar whose text starts with a quote ends with a line break instead.
        let closed = start.len >= 2
            && start
                .offset
                .checked_add(start.len - 1)
                .and_then(|end| text.as_bytes().get(end))
                == text.as_bytes().get(start.offset);
        let anchors = quoted
            .filter(|_| closed)
            .and_then(|style| align(text, start, value, style))
            .or_else(|| align(text, start, value, Style::Plain))
            .unwrap_or_default();
        ScalarMap { anchors, start }
    }

    /// Whether offsets map to their exact place (else all map to the scalar's start).
    pub fn is_exact(&self) -> bool {
        !self.anchors.is_empty()
    }

    /// Where byte `offset` of `value` (the text this map was built for) is written.
    fn position(&self, value: &str, offset: usize) -> Option<Anchor> {
        let mut offset = offset.min(value.len());
        while !value.is_char_boundary(offset) {
            offset -= 1;
        }
        let i = self.anchors.partition_point(|a| a.value <= offset);
        let anchor = self.anchors.get(i.checked_sub(1)?)?;
        let within = value.get(anchor.value..offset)?;
        Some(Anchor {
            value: offset,
            offset: anchor.offset + within.len(),
            line: anchor.line,
            column: anchor.column + within.chars().count(),
        })
    }

    /// The place in the file of `len` bytes at `offset` in `value`.
    pub fn locate(&self, value: &str, offset: usize, len: usize) -> Loc {
        let Some(start) = self.position(value, offset) else {
            return self.start;
        };
        let end = self
            .position(value, offset.saturating_add(len))
            .map_or(start.offset, |e| e.offset);
        Loc {
            line: start.line,
            column: start.column,
            offset: start.offset,
            len: end.saturating_sub(start.offset),
        }
    }
}

/// Matches `value` against the scalar written at `start`, or `None` when they differ.
fn align(text: &str, start: Loc, value: &str, style: Style) -> Option<Vec<Anchor>> {
    let mut anchors = Vec::new();
    let mut cursor = Cursor {
        text,
        pos: start.offset,
        line: start.line,
        column: start.column,
    };
    if style != Style::Plain {
        cursor.bump(); // the opening quote
    }
    let mut from = 0;
    let leading = value.bytes().take_while(|b| *b == b'\n').count();
    if style == Style::Plain
        && leading > 0
        && !matches!(cursor.peek(), Some(c) if c.is_whitespace())
    {
        // A block scalar's span starts at its first line with content; the value's
        // leading line breaks are the empty lines just above it.
        let line_start = text.get(..start.offset)?.rfind('\n').map_or(0, |i| i + 1);
        let indentation = text.get(line_start..start.offset)?;
        if !indentation.bytes().all(|b| b == b' ') || start.line <= leading {
            return None;
        }
        let mut starts = Vec::with_capacity(leading);
        let mut at = line_start;
        for _ in 0..leading {
            let end = at.checked_sub(1)?;
            let begin = text.get(..end)?.rfind('\n').map_or(0, |i| i + 1);
            if !text
                .get(begin..end)?
                .bytes()
                .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
            {
                return None;
            }
            starts.push((begin, end - begin));
            at = begin;
        }
        for (j, (begin, length)) in starts.into_iter().rev().enumerate() {
            anchors.push(Anchor {
                value: j,
                offset: begin + indentation.len().min(length),
                line: start.line - leading + j,
                column: start.column,
            });
        }
        from = leading;
    }
    // The next (value, file) byte pair that continues the current anchor's run.
    let mut expected: Option<(usize, usize)> = None;
    let mut mark = |anchors: &mut Vec<Anchor>, cursor: &Cursor, v: usize, run: Option<usize>| {
        if expected != Some((v, cursor.pos)) {
            anchors.push(cursor.anchor(v));
        }
        expected = run.map(|len| (v + len, cursor.pos + len));
    };
    for (i, c) in value.get(from..)?.char_indices() {
        let v = from + i;
        loop {
            let here = cursor.peek();
            if style == Style::Double && here == Some('\\') {
                match escape(cursor.rest())? {
                    (Escape::LineBreak, n) => {
                        cursor.bump_bytes(n);
                        while matches!(cursor.peek(), Some(' ' | '\t')) {
                            cursor.bump();
                        }
                        continue;
                    }
                    (Escape::Char(e), n) if e == c => {
                        mark(&mut anchors, &cursor, v, None);
                        cursor.bump_bytes(n);
                        break;
                    }
                    (Escape::Char(_), _) => return None,
                }
            }
            if style == Style::Single && c == '\'' && cursor.rest().starts_with("''") {
                mark(&mut anchors, &cursor, v, None);
                cursor.bump_bytes(2);
                break;
            }
            if here == Some(c) {
                // A line break ends a run: the next line starts with its own anchor.
                mark(
                    &mut anchors,
                    &cursor,
                    v,
                    (c != '\n').then_some(c.len_utf8()),
                );
                cursor.bump();
                break;
            }
            let blank_here = matches!(here, Some(' ' | '\t' | '\n' | '\r'));
            if matches!(c, ' ' | '\t' | '\n') {
                // Whitespace the parser rewrote (a folded line break, say): it maps to
                // the whitespace written here, if any.
                mark(&mut anchors, &cursor, v, None);
                if blank_here {
                    if cursor.rest().starts_with("\r\n") {
                        cursor.bump();
                    }
                    cursor.bump();
                }
                break;
            }
            if blank_here {
                cursor.bump();
                continue;
            }
            return None;
        }
    }
    mark(&mut anchors, &cursor, value.len(), None);
    Some(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_knows_its_line_and_column() {
        let doc = parse("name: demo\nphases:\n  - id: prep\n    budget: 30m\n").unwrap();
        let Value::Map(entries) = &doc.value else {
            panic!("map")
        };
        assert_eq!(entries[0].0.loc.line, 1);
        assert_eq!(entries[0].1.loc.column, 7);
        let Value::Seq(phases) = &entries[1].1.value else {
            panic!("seq")
        };
        let Value::Map(phase) = &phases[0].value else {
            panic!("map")
        };
        assert_eq!((phase[1].0.loc.line, phase[1].0.loc.column), (4, 5));
        assert_eq!(phase[1].1.value, Value::Str("30m".into()));
        assert_eq!((phase[1].1.loc.line, phase[1].1.loc.column), (4, 13));
    }

    #[test]
    fn scalars_keep_their_types() {
        let doc = parse("a: 43\nb: true\nc: 1.5\nd: ~\ne: '43'").unwrap();
        let Value::Map(entries) = doc.value else {
            panic!("map")
        };
        let values: Vec<Value> = entries.into_iter().map(|(_, v)| v.value).collect();
        assert_eq!(
            values,
            vec![
                Value::Int(43),
                Value::Bool(true),
                Value::Float(1.5),
                Value::Null,
                Value::Str("43".into())
            ]
        );
    }

    /// The node under `key` in a top-level mapping.
    fn value_of<'d>(doc: &'d Node, key: &str) -> &'d Node {
        let Value::Map(entries) = &doc.value else {
            panic!("map")
        };
        entries
            .iter()
            .find(|(k, _)| k.scalar_text().as_deref() == Some(key))
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no `{key}`"))
    }

    /// Parses `yaml`, maps the string under `key`, and checks that every character of
    /// the value that is not whitespace maps to the same character in the file, at a
    /// line and column that agree with the offset.
    fn mapped(yaml: &str, key: &str) -> (String, ScalarMap) {
        let doc = parse(yaml).unwrap();
        let node = value_of(&doc, key);
        let Value::Str(value) = &node.value else {
            panic!("`{key}` is not a string: {node:?}")
        };
        let map = ScalarMap::new(yaml, node.written, value);
        assert!(map.is_exact(), "{key}: {map:?}");
        for (i, c) in value.char_indices().filter(|(_, c)| !c.is_whitespace()) {
            let loc = map.locate(value, i, c.len_utf8());
            let (line, column) = line_col_at(yaml, loc.offset).unwrap();
            assert_eq!((loc.line, loc.column), (line, column), "{key}: byte {i}");
            let written = yaml[loc.offset..].chars().next();
            if written == Some(c) && !(c == '\'' && yaml[loc.offset..].starts_with("''")) {
                assert_eq!(loc.len, c.len_utf8(), "{key}: byte {i}");
            } else {
                // An escape (`\t`, `''`) stands for the character.
                assert!(
                    matches!(written, Some('\\' | '\'')),
                    "{key}: byte {i} `{c}` at {loc:?}"
                );
            }
        }
        (value.clone(), map)
    }

    /// Line and column of the first `needle` in the value, mapped to the file.
    fn place(value: &str, map: &ScalarMap, needle: &str) -> (usize, usize) {
        let offset = value
            .find(needle)
            .unwrap_or_else(|| panic!("no `{needle}`"));
        let loc = map.locate(value, offset, needle.len());
        (loc.line, loc.column)
    }

    #[test]
    fn folded_sql_maps_to_the_lines_it_was_written_on() {
        let yaml = "sql: >\n  ALTER TABLE t ADD c int;\n  BEGIN;\n\n  COMMIT;\nnext: 1\n";
        let (value, map) = mapped(yaml, "sql");
        assert_eq!(value, "ALTER TABLE t ADD c int; BEGIN;\nCOMMIT;\n");
        assert_eq!(place(&value, &map, "ALTER"), (2, 3));
        assert_eq!(place(&value, &map, "BEGIN"), (3, 3));
        assert_eq!(place(&value, &map, "COMMIT"), (5, 3));
        // A span covering the folded line break covers it in the file too.
        let begin = value.find("t ADD").unwrap();
        let loc = map.locate(&value, begin, value.find("BEGIN;").unwrap() + 6 - begin);
        assert_eq!(
            &yaml[loc.offset..loc.offset + loc.len],
            "t ADD c int;\n  BEGIN;"
        );
    }

    #[test]
    fn folded_more_indented_lines_and_chomping() {
        let yaml = "sql: >-\n  SELECT 1\n     FROM t\n  WHERE x\n";
        let (value, map) = mapped(yaml, "sql");
        assert_eq!(value, "SELECT 1\n   FROM t\nWHERE x");
        assert_eq!(place(&value, &map, "FROM"), (3, 6));
        assert_eq!(place(&value, &map, "WHERE"), (4, 3));
    }

    #[test]
    fn literal_block_with_leading_blank_lines() {
        let yaml = "a: 1\nsql: |\n\n\n    BEGIN;\n    SELECT 1;\n";
        let (value, map) = mapped(yaml, "sql");
        assert_eq!(value, "\n\nBEGIN;\nSELECT 1;\n");
        // The text starts on the first empty line, at the block's indentation.
        assert_eq!(place(&value, &map, "\n"), (3, 5));
        assert_eq!(place(&value, &map, "BEGIN"), (5, 5));
        assert_eq!(place(&value, &map, "SELECT"), (6, 5));
        // The end of the text is just past its last line break.
        let end = map.locate(&value, value.len(), 0);
        assert_eq!((end.line, end.column), (7, 1));
    }

    #[test]
    fn literal_block_with_an_indentation_indicator_and_a_comment() {
        let yaml = "sql: |2 # the SQL\n    SELECT 1\n  FROM t\n";
        let (value, map) = mapped(yaml, "sql");
        assert_eq!(value, "  SELECT 1\nFROM t\n");
        assert_eq!(place(&value, &map, "SELECT"), (2, 5));
        assert_eq!(place(&value, &map, "FROM"), (3, 3));
    }

    #[test]
    fn multi_line_plain_scalars_fold_like_folded_blocks() {
        let yaml = "sql: SELECT count(*)   \n  FROM users\n    WHERE id = 'é'\nsql2:\n  SELECT 2\n";
        let (value, map) = mapped(yaml, "sql");
        assert_eq!(value, "SELECT count(*) FROM users WHERE id = 'é'");
        assert_eq!(place(&value, &map, "FROM"), (2, 3));
        assert_eq!(place(&value, &map, "'é'"), (3, 16));
        let (value, map) = mapped(yaml, "sql2");
        assert_eq!(place(&value, &map, "2"), (5, 10));
    }

    #[test]
    fn quoted_scalars_skip_quotes_and_escapes() {
        let yaml = "s: 'it''s\n  here'\nd: \"a\\tb \\\n   c\\x41 \\\"q\\\" \\u00e9!\"\n";
        let (value, map) = mapped(yaml, "s");
        assert_eq!(value, "it's here");
        assert_eq!(place(&value, &map, "it"), (1, 5));
        assert_eq!(place(&value, &map, "s here"), (1, 9));
        assert_eq!(place(&value, &map, "here"), (2, 3));
        let (value, map) = mapped(yaml, "d");
        assert_eq!(value, "a\tb cA \"q\" é!");
        assert_eq!(place(&value, &map, "b"), (3, 8));
        assert_eq!(place(&value, &map, "c"), (4, 4));
        assert_eq!(place(&value, &map, "A"), (4, 5));
        assert_eq!(place(&value, &map, "q"), (4, 12));
        assert_eq!(place(&value, &map, "!"), (4, 22));
    }

    #[test]
    fn block_text_that_starts_with_a_quote_is_not_taken_for_a_quoted_scalar() {
        let yaml = "sql: |\n  \"Users\" are\n  SELECT 1\n";
        let (value, map) = mapped(yaml, "sql");
        assert_eq!(place(&value, &map, "Users"), (2, 4));
        assert_eq!(place(&value, &map, "SELECT"), (3, 3));
    }

    #[test]
    fn an_alias_maps_into_its_anchor_and_crlf_counts_as_one_break() {
        let yaml = "a: &q >\r\n  SELECT 1\r\n  FROM t\r\nb: *q\r\n";
        let (value, map) = mapped(yaml, "b");
        assert_eq!(value, "SELECT 1 FROM t\n");
        assert_eq!(place(&value, &map, "FROM"), (3, 3));
    }

    #[test]
    fn a_value_that_does_not_match_the_file_maps_to_the_scalar_start() {
        let yaml = "sql: SELECT 1\n";
        let doc = parse(yaml).unwrap();
        let node = value_of(&doc, "sql");
        let map = ScalarMap::new(yaml, node.written, "DELETE FROM t");
        assert!(!map.is_exact());
        let loc = map.locate("DELETE FROM t", 7, 4);
        assert_eq!((loc.line, loc.column), (1, 6));
        // Offsets out of range or inside a character never panic.
        let (value, map) = mapped("s: é é\n", "s");
        for offset in 0..value.len() + 3 {
            let _ = map.locate(&value, offset, 10);
        }
        let _ = ScalarMap::new("", Loc::default(), "x").locate("x", 5, 5);
        let _ = ScalarMap::new(
            "s: x",
            Loc {
                offset: 99,
                ..Loc::default()
            },
            "x",
        );
    }

    #[test]
    fn every_string_in_the_shipped_runbooks_and_the_corpus_maps_exactly() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut strings = 0;
        for dir in ["runbooks", "tests/broken"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let Ok(yaml) = std::fs::read_to_string(&path) else {
                    continue; // not UTF-8 on purpose
                };
                let Ok(doc) = parse(&yaml) else {
                    continue;
                };
                let mut stack = vec![&doc];
                while let Some(node) = stack.pop() {
                    match &node.value {
                        Value::Str(value) => {
                            let map = ScalarMap::new(&yaml, node.written, value);
                            assert!(map.is_exact(), "{}: {node:?}", path.display());
                            for (i, c) in value.char_indices().filter(|(_, c)| !c.is_whitespace()) {
                                let loc = map.locate(value, i, c.len_utf8());
                                let written = yaml[loc.offset..].chars().next();
                                assert!(
                                    written == Some(c) || matches!(written, Some('\\' | '\'')),
                                    "{}: {value:?} byte {i}",
                                    path.display()
                                );
                            }
                            strings += 1;
                        }
                        Value::Seq(items) => stack.extend(items),
                        Value::Map(entries) => {
                            stack.extend(entries.iter().flat_map(|(k, v)| [k, v]));
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(strings > 1000, "{strings}");
    }

    #[test]
    fn block_collections_are_located_at_the_key_or_dash_that_introduces_them() {
        let yaml = "window:\n  start: x\nexpect: {gt: 1}\nsteps:\n  - check: a\n  -   # c\n\n    manual: b\n  - [1]\n";
        let doc = parse(yaml).unwrap();
        let loc = |n: &Node| (n.loc.line, n.loc.column);
        assert_eq!(loc(value_of(&doc, "window")), (1, 1));
        assert_eq!(value_of(&doc, "window").written.line, 2);
        assert_eq!(loc(value_of(&doc, "expect")), (3, 9));
        let steps = value_of(&doc, "steps");
        assert_eq!(loc(steps), (4, 1));
        let Value::Seq(items) = &steps.value else {
            panic!("seq")
        };
        let places: Vec<_> = items.iter().map(loc).collect();
        assert_eq!(places, vec![(5, 5), (6, 3), (9, 5)]);
        // The document itself has no owner: it stays at its first key.
        assert_eq!(loc(&doc), (1, 1));
    }

    #[test]
    fn a_tab_after_a_plain_scalar_is_reported_at_the_tab() {
        // The parser names the scalar (2:6) as the place of the tab.
        let err = parse("a:\n  b: plain\n\n \tc: 1\n").unwrap_err();
        assert_eq!((err.loc.line, err.loc.column), (4, 2), "{err:?}");
        assert_eq!(err.message, "found a tab in the indentation");
        assert_eq!(err.loc.offset, 16);
        // After a plain scalar on two lines.
        let err = parse("a:\n  b: plain\n    more\n\tc: 1\n").unwrap_err();
        assert_eq!((err.loc.line, err.loc.column), (4, 1), "{err:?}");
    }

    #[test]
    fn syntax_messages_do_not_repeat_the_place() {
        let err = parse("a: b: c\n").unwrap_err();
        assert!(!err.message.contains("at line"), "{err:?}");
        assert_eq!((err.loc.line, err.loc.column), (1, 5), "{err:?}");
        assert_eq!(strip_place("bad at line 3, column 7"), "bad");
        assert_eq!(strip_place("at line x"), "at line x");
        assert_eq!(
            strip_place("found at line 3, column"),
            "found at line 3, column"
        );
    }

    #[test]
    fn syntax_errors_and_duplicate_keys_are_located() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.loc.line, 2, "{err:?}");
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.loc.line >= 1, "{err:?}");
    }
}
