//! Reading a runbook or SQL file as text, and saying in a DBA's words why it cannot be.

/// Why a file's bytes are not UTF-8 text: where (byte offset), what, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotText {
    pub offset: usize,
    pub message: String,
    pub help: String,
}

const SAVE_AS_UTF8: &str = "save it as UTF-8 (in most editors: \"Save with encoding\" or \"Reopen with encoding\" → UTF-8)";

/// The file's text, or why it is not UTF-8 text. `what` names it ("the runbook", "SQL file
/// `x.sql`").
pub fn decode(bytes: Vec<u8>, what: &str) -> Result<String, NotText> {
    if let Some(utf16) = utf16_kind(&bytes) {
        return Err(NotText {
            offset: 0,
            message: format!("{what} is saved as UTF-16 ({utf16}), not UTF-8"),
            help: SAVE_AS_UTF8.to_owned(),
        });
    }
    if let Some(nul) = bytes.iter().position(|b| *b == 0) {
        return Err(NotText {
            offset: nul,
            message: format!("{what} contains a NUL byte here: it is not a text file"),
            help: "name a text file; if it is text, save it as UTF-8".to_owned(),
        });
    }
    String::from_utf8(bytes).map_err(|e| NotText {
        offset: e.utf8_error().valid_up_to(),
        message: format!("{what} is not valid UTF-8 here"),
        help: format!("{SAVE_AS_UTF8}; this byte looks like Latin-1 or Windows-1252 text"),
    })
}

/// `little-endian` or `big-endian` when the bytes are UTF-16: a byte-order mark, or text
/// whose every other byte is NUL.
fn utf16_kind(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some("little-endian"),
        [0xFE, 0xFF, ..] => return Some("big-endian"),
        _ => {}
    }
    let sample = &bytes[..bytes.len().min(512) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let nul_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    // ASCII text in UTF-16 has a NUL in every pair; allow some non-ASCII characters.
    if nul_at(1) * 10 >= pairs * 9 && nul_at(0) == 0 {
        Some("little-endian")
    } else if nul_at(0) * 10 >= pairs * 9 && nul_at(1) == 0 {
        Some("big-endian")
    } else {
        None
    }
}

/// Characters a terminal acts on instead of showing (C0 controls other than tab, line feed
/// and carriage return; DEL; C1 controls), each with its byte offset.
pub fn control_characters(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|(_, c)| is_invisible_control(*c))
        .collect()
}

pub fn is_invisible_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// `text` without control characters, and without the rest of a terminal escape sequence
/// (`ESC [ 31 m`) an ESC starts.
pub fn without_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameters and intermediates, then one final byte (@ to ~).
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            }
        } else if !is_invisible_control(c) {
            out.push(c);
        }
    }
    out
}

/// How a control character is named to a DBA: `ESC (U+001B)`.
pub fn control_name(c: char) -> String {
    let name = match c {
        '\0' => "NUL",
        '\u{7}' => "BEL",
        '\u{8}' => "backspace",
        '\u{b}' => "vertical tab",
        '\u{c}' => "form feed",
        '\u{1b}' => "ESC",
        '\u{7f}' => "DEL",
        c if (c as u32) >= 0x80 => "a C1 control character",
        _ => "a control character",
    };
    format!("{name} (U+{:04X})", c as u32)
}

/// `text` with every control character written as its escape (`\u{1b}`), so printing it
/// never moves a terminal's cursor or changes its colours.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(is_invisible_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if is_invisible_control(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `text` with each control character replaced by a visible symbol (␛ for ESC), and a map
/// from offsets in `text` to offsets in the result, for drawing snippets of it.
pub fn visible(text: &str) -> (String, impl Fn(usize) -> usize + '_) {
    let out: String = text
        .chars()
        .map(|c| {
            if !is_invisible_control(c) {
                c
            } else if (c as u32) < 0x20 {
                char::from_u32(0x2400 + c as u32).unwrap_or('?')
            } else if c == '\u{7f}' {
                '\u{2421}'
            } else {
                '\u{FFFD}'
            }
        })
        .collect();
    let shift = move |offset: usize| {
        let before = text.get(..offset).unwrap_or(text);
        before
            .chars()
            .map(|c| {
                if is_invisible_control(c) {
                    3 // every replacement above is three bytes
                } else {
                    c.len_utf8()
                }
            })
            .sum::<usize>()
            + offset.saturating_sub(before.len())
    };
    (out, shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn utf16_is_named_with_or_without_a_byte_order_mark() {
        for bom in [true, false] {
            let err = decode(utf16le("name: demo\nphases: []\n", bom), "the runbook").unwrap_err();
            assert!(err.message.contains("UTF-16 (little-endian)"), "{err:?}");
            assert!(err.help.contains("UTF-8"), "{err:?}");
        }
        let mut be = vec![0xFE, 0xFF];
        for unit in "name: x\n".encode_utf16() {
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert!(decode(be, "x").unwrap_err().message.contains("big-endian"));
    }

    #[test]
    fn latin1_and_binary_are_told_apart() {
        let latin1 = decode(b"name: caf\xe9\n".to_vec(), "the runbook").unwrap_err();
        assert_eq!(latin1.offset, 9);
        assert!(latin1.help.contains("Latin-1"));
        let binary =
            decode(b"\x7fELF\x02\x01\x01\x00\x00".to_vec(), "SQL file `x.sql`").unwrap_err();
        assert!(binary.message.contains("not a text file"), "{binary:?}");
        assert_eq!(decode(b"SELECT 1;\n".to_vec(), "x").unwrap(), "SELECT 1;\n");
    }

    #[test]
    fn control_characters_are_found_named_and_made_visible() {
        let text = "title: bad\u{1b}[31mred\u{7}\n";
        assert_eq!(
            control_characters(text),
            vec![(10, '\u{1b}'), (18, '\u{7}')]
        );
        assert_eq!(control_name('\u{1b}'), "ESC (U+001B)");
        assert_eq!(escape_controls("a\u{1b}b"), "a\\u{1b}b");
        assert_eq!(without_controls("bad\u{1b}[31mred\u{7}"), "badred");
        let (shown, shift) = visible(text);
        assert_eq!(shown, "title: bad\u{241b}[31mred\u{2407}\n");
        assert_eq!(&shown[shift(10)..shift(11)], "\u{241b}");
        assert_eq!(&shown[shift(11)..shift(12)], "[");
        assert_eq!(shift(text.len()), shown.len());
    }
}
