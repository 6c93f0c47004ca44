//! Mapping offsets in a scalar's value back to where its characters are written in the file.

use super::*;

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
