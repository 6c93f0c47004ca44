//! The broken-runbook corpus: every file in `tests/broken/*.yaml` is a runbook with
//! something wrong in it, and its header says exactly which diagnostics it must produce.
//!
//! Header lines (leading `#` comment lines of each file):
//!
//! ```text
//! # expect: LINE:COL CODE | text that must appear in the message or the help
//! # expect-in: migrations/x.sql LINE:COL CODE | text   (diagnostic located in a SQL file)
//! # related: LINE:COL | label text      (the previous expect also has this related place)
//! # env: NAME=value                     (variables the loader sees; nothing else is set)
//! # absent: text                        (no diagnostic's message or help contains this)
//! # level: warning                      (the file is about a warning: no error expected)
//! # bug: description                    (a known bug in src/: checked by an ignored test)
//! # fix: LINE | replacement line          (the suggestion, applied: it must appear in a help,
//! #                                         and the file with every fix applied must load and
//! #                                         plan without errors; `<delete>` removes the line)
//! ```
//!
//! Any other `#` line is free text. LINE:COL are 1-based and name the place a user
//! would want to be sent to: the offending key or value.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cutover::diag::{Diagnostic, Level};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MIN_FILES: usize = 40;

#[derive(Debug)]
struct Expect {
    /// The header line the expectation was written on (for reports).
    header_line: usize,
    /// `None`: the runbook itself; otherwise relative to the corpus folder.
    file: Option<PathBuf>,
    line: usize,
    column: usize,
    code: String,
    text: String,
    related: Vec<(usize, usize, String)>,
}

#[derive(Debug, Default)]
struct Header {
    expects: Vec<Expect>,
    env: HashMap<String, String>,
    absent: Vec<(usize, String)>,
    warning_only: bool,
    bug: Option<String>,
    /// (header line, runbook line, replacement or `None` to delete).
    fixes: Vec<(usize, usize, Option<String>)>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/broken exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn parse_line_col(text: &str) -> Result<(usize, usize), String> {
    let (line, column) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not LINE:COL"))?;
    let line = line
        .parse()
        .map_err(|_| format!("bad line number in `{text}`"))?;
    let column = column
        .parse()
        .map_err(|_| format!("bad column number in `{text}`"))?;
    Ok((line, column))
}

/// `LINE:COL CODE | text` (the part after `expect:`).
fn parse_expect(rest: &str, file: Option<PathBuf>, header_line: usize) -> Result<Expect, String> {
    let (place, text) = rest
        .split_once('|')
        .ok_or_else(|| format!("missing `| text` in `{rest}`"))?;
    let mut words = place.split_whitespace();
    let (line, column) = parse_line_col(words.next().ok_or("missing LINE:COL")?)?;
    let code = words.next().ok_or("missing CODE")?.to_owned();
    if let Some(extra) = words.next() {
        return Err(format!("unexpected `{extra}` before `|`"));
    }
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err("the text after `|` is empty".into());
    }
    Ok(Expect {
        header_line,
        file,
        line,
        column,
        code,
        text,
        related: Vec::new(),
    })
}

fn parse_header(source: &str) -> Result<Header, String> {
    let mut header = Header::default();
    for (i, line) in source.lines().enumerate() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        let n = i + 1;
        let at = |e: String| format!("header line {n}: {e}");
        if let Some(rest) = comment.strip_prefix("expect:") {
            header
                .expects
                .push(parse_expect(rest.trim(), None, n).map_err(at)?);
        } else if let Some(rest) = comment.strip_prefix("expect-in:") {
            let rest = rest.trim();
            let (file, rest) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| at("expect-in needs a file, LINE:COL, CODE and text".into()))?;
            header
                .expects
                .push(parse_expect(rest.trim(), Some(PathBuf::from(file)), n).map_err(at)?);
        } else if let Some(rest) = comment.strip_prefix("related:") {
            let (place, label) = rest
                .split_once('|')
                .ok_or_else(|| at("related needs `LINE:COL | label`".into()))?;
            let (line, column) = parse_line_col(place.trim()).map_err(at)?;
            header
                .expects
                .last_mut()
                .ok_or_else(|| at("related must follow an expect".into()))?
                .related
                .push((line, column, label.trim().to_owned()));
        } else if let Some(rest) = comment.strip_prefix("env:") {
            let (name, value) = rest
                .trim()
                .split_once('=')
                .ok_or_else(|| at("env needs NAME=value".into()))?;
            header.env.insert(name.to_owned(), value.to_owned());
        } else if let Some(rest) = comment.strip_prefix("absent:") {
            let text = rest.trim();
            if text.is_empty() {
                return Err(at("absent needs a text".into()));
            }
            header.absent.push((n, text.to_owned()));
        } else if let Some(rest) = comment.strip_prefix("level:") {
            match rest.trim() {
                "warning" => header.warning_only = true,
                other => return Err(at(format!("unknown level `{other}`"))),
            }
        } else if let Some(rest) = line
            .trim_start_matches('#')
            .trim_start()
            .strip_prefix("fix:")
        {
            // The replacement is taken verbatim after `| ` (indentation matters in YAML).
            let (place, replacement) = rest
                .split_once('|')
                .ok_or_else(|| at("fix needs `LINE | replacement`".into()))?;
            let line_no = place
                .trim()
                .parse::<usize>()
                .map_err(|_| at(format!("bad line number `{}`", place.trim())))?;
            let replacement = replacement.strip_prefix(' ').unwrap_or(replacement);
            let replacement = (replacement.trim() != "<delete>").then(|| replacement.to_owned());
            header.fixes.push((n, line_no, replacement));
        } else if let Some(rest) = comment.strip_prefix("bug:") {
            header.bug = Some(rest.trim().to_owned());
        }
    }
    Ok(header)
}

/// Loads (and, when that succeeds, plans) one runbook; every diagnostic of both.
fn diagnostics_of(path: &Path, env: &HashMap<String, String>) -> Vec<Diagnostic> {
    let lookup = |name: &str| env.get(name).cloned();
    let loaded = cutover::runbook::load_with_env(path, &lookup);
    let mut diagnostics = loaded.diagnostics;
    if let Some(runbook) = &loaded.runbook {
        diagnostics.extend(cutover::plan::plan(runbook).diagnostics);
    }
    diagnostics
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

fn satisfies(d: &Diagnostic, e: &Expect, runbook: &Path) -> bool {
    let file = e
        .file
        .as_ref()
        .map_or_else(|| runbook.to_path_buf(), |f| corpus_dir().join(f));
    let Some(loc) = d.loc else {
        return false;
    };
    let text_found =
        d.message.contains(&e.text) || d.help.as_deref().is_some_and(|h| h.contains(&e.text));
    loc.line == e.line
        && loc.column == e.column
        && d.code == e.code
        && same_file(&d.file, &file)
        && text_found
        && e.related.iter().all(|(line, column, label)| {
            d.related.iter().any(|r| {
                r.loc.line == *line
                    && r.loc.column == *column
                    && same_file(&r.file, runbook)
                    && r.label.contains(label.as_str())
            })
        })
}

fn describe(d: &Diagnostic, runbook: &Path) -> String {
    let file = if same_file(&d.file, runbook) {
        String::new()
    } else {
        let shown = d.file.strip_prefix(corpus_dir()).unwrap_or(&d.file);
        format!("{} ", shown.display())
    };
    let mut out = format!(
        "{file}{} {:?} {} | {}",
        d.line_col(),
        d.level,
        d.code,
        d.message
    );
    if let Some(help) = &d.help {
        let _ = write!(out, " | help: {}", help.replace('\n', "\\n"));
    }
    for r in &d.related {
        let _ = write!(
            out,
            "\n        related {}:{} {}",
            r.loc.line, r.loc.column, r.label
        );
    }
    out
}

/// Checks one file; `None` when it behaves as its header says, else a report.
fn check_file(path: &Path) -> Option<String> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // Lossy: a corpus file may hold invalid UTF-8 on purpose (after its header).
    let source = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Some(format!("{name}: cannot read: {e}")),
    };
    let header = match parse_header(&source) {
        Ok(h) => h,
        Err(e) => return Some(format!("{name}: bad header: {e}")),
    };
    let mut problems = Vec::new();
    if header.expects.is_empty() {
        problems.push("the header has no `# expect:` line".to_owned());
    }
    let diagnostics = diagnostics_of(path, &header.env);
    for e in &header.expects {
        if !diagnostics.iter().any(|d| satisfies(d, e, path)) {
            let place = e
                .file
                .as_ref()
                .map_or_else(String::new, |f| format!("{} ", f.display()));
            let mut line = format!(
                "missing (header line {}): {place}{}:{} {} | {}",
                e.header_line, e.line, e.column, e.code, e.text
            );
            for (l, c, label) in &e.related {
                let _ = write!(line, " [related {l}:{c} {label}]");
            }
            problems.push(line);
        }
    }
    for (n, text) in &header.absent {
        for d in &diagnostics {
            if d.message.contains(text.as_str())
                || d.help.as_deref().is_some_and(|h| h.contains(text.as_str()))
            {
                problems.push(format!(
                    "unwanted (header line {n}): `{text}` appears in {}",
                    describe(d, path)
                ));
            }
        }
    }
    if !header.fixes.is_empty() {
        problems.extend(check_fixes(path, &source, &header, &diagnostics));
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    if header.warning_only {
        if errors > 0 {
            problems.push(format!(
                "`# level: warning` but there are {errors} error(s)"
            ));
        }
        if !diagnostics.iter().any(|d| d.level == Level::Warning) {
            problems.push("`# level: warning` but there is no warning".to_owned());
        }
    } else if errors == 0 {
        problems.push("no error-level diagnostic (add `# level: warning` if intended)".into());
    }
    if problems.is_empty() {
        return None;
    }
    let mut report = format!("{name}:\n");
    for p in problems {
        let _ = writeln!(report, "    {p}");
    }
    let _ = writeln!(report, "  produced {} diagnostic(s):", diagnostics.len());
    for d in &diagnostics {
        let _ = writeln!(report, "    {}", describe(d, path));
    }
    Some(report)
}

/// Each fix is what a help suggests, and applying them all gives a runbook without errors.
fn check_fixes(
    path: &Path,
    source: &str,
    header: &Header,
    diagnostics: &[Diagnostic],
) -> Vec<String> {
    let mut problems = Vec::new();
    let original: Vec<&str> = source.lines().collect();
    for (n, line, replacement) in &header.fixes {
        if let Some(text) = replacement {
            let wanted = text.trim();
            // The whole line, or in backticks the part of it the fix changes: the key
            // (`did you mean \`description\``) or the value (`write \`5m\``).
            let was = original.get(line.wrapping_sub(1)).map_or("", |l| l.trim());
            let split = |l: &str| {
                let l = l.trim_start_matches("- ");
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            };
            let changed = match (split(was), split(wanted)) {
                (Some((k0, v0)), Some((k1, v1))) if k0 == k1 && v0 != v1 => Some(v1),
                (Some((k0, v0)), Some((k1, v1))) if k0 != k1 && v0 == v1 => Some(k1),
                _ => None,
            }
            .map(|part| format!("`{part}`"));
            // Or every word the fix brings in is named in backticks (`did you mean \`eq\``).
            let words = |l: &str| -> Vec<String> {
                l.split(|c: char| !(c.is_alphanumeric() || "_-.".contains(c)))
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            let old_words = words(was);
            let new_words: Vec<String> = words(wanted)
                .into_iter()
                .filter(|w| !old_words.contains(w))
                .collect();
            let in_backticks = |h: &str, w: &str| {
                h.split('`')
                    .skip(1)
                    .step_by(2)
                    .any(|span| words(span).iter().any(|x| x == w))
            };
            let suggested = |h: &str| {
                h.contains(wanted)
                    || changed.as_deref().is_some_and(|v| h.contains(v))
                    || (!new_words.is_empty() && new_words.iter().all(|w| in_backticks(h, w)))
            };
            if !diagnostics
                .iter()
                .any(|d| d.help.as_deref().is_some_and(suggested))
            {
                problems.push(format!(
                    "fix (header line {n}): no help suggests `{wanted}`"
                ));
            }
        }
    }
    let mut lines: Vec<Option<String>> = source.lines().map(|l| Some(l.to_owned())).collect();
    for (n, line, replacement) in &header.fixes {
        match lines.get_mut(line.wrapping_sub(1)) {
            Some(slot) => *slot = replacement.clone(),
            None => problems.push(format!("fix (header line {n}): no line {line}")),
        }
    }
    let fixed: String = lines.into_iter().flatten().map(|l| l + "\n").collect();
    // Beside the original, so relative SQL paths resolve the same; not a `.yaml` file, so
    // the corpus never picks it up.
    let fixed_path = path.with_extension(format!("fixed-{}", std::process::id()));
    if let Err(e) = std::fs::write(&fixed_path, fixed) {
        problems.push(format!("cannot write the fixed runbook: {e}"));
        return problems;
    }
    let after = diagnostics_of(&fixed_path, &header.env);
    let _ = std::fs::remove_file(&fixed_path);
    for d in after.iter().filter(|d| d.level == Level::Error) {
        problems.push(format!(
            "with the fixes applied, still: {}",
            describe(d, &fixed_path)
        ));
    }
    problems
}

fn is_known_bug(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| parse_header(&String::from_utf8_lossy(&b)).ok())
        .is_some_and(|h| h.bug.is_some())
}

#[test]
fn every_broken_runbook_reports_exactly_where_and_what() {
    let files: Vec<PathBuf> = corpus_files()
        .into_iter()
        .filter(|p| !is_known_bug(p))
        .collect();
    assert!(
        files.len() >= MIN_FILES,
        "the corpus has only {} checked files in tests/broken, expected at least {MIN_FILES}",
        files.len()
    );
    let reports: Vec<String> = files.iter().filter_map(|p| check_file(p)).collect();
    assert!(
        reports.is_empty(),
        "{} of {} broken runbooks do not report what their header expects:\n\n{}",
        reports.len(),
        files.len(),
        reports.join("\n")
    );
}

/// Files marked `# bug:` describe a defect in src/; this test passes once they are fixed
/// (then drop the `# bug:` line so the file joins the main test). None are open at present.
#[test]
#[ignore = "runs only the corpus files marked `# bug:` (known defects); none at present"]
fn known_bugs_in_the_corpus() {
    let files: Vec<PathBuf> = corpus_files()
        .into_iter()
        .filter(|p| is_known_bug(p))
        .collect();
    let reports: Vec<String> = files.iter().filter_map(|p| check_file(p)).collect();
    assert!(
        reports.is_empty(),
        "{} known-bug files still fail:\n\n{}",
        reports.len(),
        reports.join("\n")
    );
}

#[test]
fn header_parser_reads_every_form() {
    let header = parse_header(
        "# free text\n\
         # expect: 3:5 unknown-key | did you mean\n\
         # related: 7:9 | first used here\n\
         # expect-in: migrations/a.sql 2:1 needs-no-transaction | CONCURRENTLY\n\
         # env: DB_HOST=db1\n\
         # absent: DuplicateKeyPolicy\n\
         # level: warning\n\
         name: x\n\
         # expect: 1:1 ignored | after the header\n",
    )
    .expect("valid header");
    assert_eq!(header.expects.len(), 2);
    assert_eq!((header.expects[0].line, header.expects[0].column), (3, 5));
    assert_eq!(
        header.expects[0].related,
        vec![(7, 9, "first used here".to_owned())]
    );
    assert_eq!(
        header.expects[1].file.as_deref(),
        Some(Path::new("migrations/a.sql"))
    );
    assert_eq!(header.expects[1].code, "needs-no-transaction");
    assert_eq!(header.env.get("DB_HOST").map(String::as_str), Some("db1"));
    assert_eq!(header.absent, vec![(6, "DuplicateKeyPolicy".to_owned())]);
    assert!(header.warning_only);
    assert!(parse_header("# expect: 3 code | x\n").is_err());
    assert!(parse_header("# expect: 3:1 code\n").is_err());
    assert!(parse_header("# related: 3:1 | x\n").is_err());
}

/// A valid runbook of 50,000 migrations loads: the parser's budgets grow with the file
/// (its time and memory are measured by `cargo bench --bench check_large`, not here).
#[test]
fn a_runbook_of_50000_steps_loads() {
    let mut text = String::from(
        "name: big\nwindow:\n  budget: 200h\nphases:\n  - id: m\n    kind: migration\n    budget: 190h\n    steps:\n",
    );
    for i in 0..50_000 {
        text.push_str(&format!(
            "      - migrate: s{i}\n        sql: CREATE TABLE t{i} (id int)\n        rollback: DROP TABLE t{i}\n"
        ));
    }
    let loaded = cutover::runbook::load_text(Path::new("big.yaml"), &text, &|_| None);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let runbook = loaded.runbook.expect("loads");
    assert_eq!(runbook.phases[0].steps.len(), 50_000);
}

/// A runbook saved as UTF-16 (as some Windows editors do) is named as such.
#[test]
fn a_runbook_saved_as_utf16_is_named_as_such() {
    let text = "name: demo\nwindow:\n  budget: 1h\nphases: []\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let dir = std::env::temp_dir().join(format!("cutover-utf16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("utf16.yaml");
    std::fs::write(&path, bytes).unwrap();
    let loaded = cutover::runbook::load(&path);
    let d = &loaded.diagnostics[0];
    assert_eq!(d.code, "not-utf8");
    assert!(
        d.message.contains("UTF-16 (little-endian)"),
        "{}",
        d.message
    );
    assert!(!d.help.as_deref().unwrap_or("").contains("Latin-1"), "{d}");
    let _ = std::fs::remove_dir_all(&dir);
}
