//! Diagnostics: what is wrong, exactly where, and what to write instead.
//!
//! Plain data so tests can assert on them; rendered through miette for terminals and
//! through serde for tools.

use crate::runbook::encoding::escape_controls;
use crate::runbook::yaml::Loc;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// A secondary place that explains the diagnostic (for example each edge of a cycle).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Related {
    pub file: PathBuf,
    pub loc: Loc,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub level: Level,
    /// A stable kebab-case code, e.g. `unknown-key`.
    pub code: &'static str,
    pub message: String,
    pub file: PathBuf,
    pub loc: Option<Loc>,
    /// What to write instead.
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn error(
        code: &'static str,
        file: &Path,
        loc: Option<Loc>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level: Level::Error,
            code,
            // A message quotes what the user wrote: never let it drive the terminal.
            message: escape_controls(&message.into()),
            file: file.to_path_buf(),
            loc,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn warning(
        code: &'static str,
        file: &Path,
        loc: Option<Loc>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, file, loc, message)
        }
    }

    pub fn note(
        code: &'static str,
        file: &Path,
        loc: Option<Loc>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level: Level::Note,
            ..Diagnostic::error(code, file, loc, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(escape_controls(&help.into()));
        self
    }

    pub fn with_related(mut self, file: &Path, loc: Loc, label: impl Into<String>) -> Self {
        self.related.push(Related {
            file: file.to_path_buf(),
            loc,
            label: escape_controls(&label.into()),
        });
        self
    }

    /// `file:line:column`, the way editors and terminals link to a place.
    pub fn position(&self) -> String {
        match self.loc {
            Some(loc) => format!("{}:{}:{}", self.file.display(), loc.line, loc.column),
            None => self.file.display().to_string(),
        }
    }

    /// Line and column only, e.g. `12:7` (empty when the place is the whole file).
    pub fn line_col(&self) -> String {
        self.loc
            .map(|l| format!("{}:{}", l.line, l.column))
            .unwrap_or_default()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        };
        write!(
            f,
            "{}: {level}[{}]: {}",
            self.position(),
            self.code,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        for related in &self.related {
            write!(
                f,
                "\n  {}:{}:{}: {}",
                related.file.display(),
                related.loc.line,
                related.loc.column,
                related.label
            )?;
        }
        Ok(())
    }
}

/// The text of every file a diagnostic may point into, for snippets.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: BTreeMap<PathBuf, String>,
}

impl Sources {
    pub fn insert(&mut self, path: &Path, text: String) {
        self.files.insert(path.to_path_buf(), text);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
}

/// Byte offset of a 1-based line/column in `text` (columns counted in characters).
fn offset_of(text: &str, loc: Loc) -> usize {
    if loc.offset > 0 || (loc.line == 1 && loc.column == 1) {
        return loc.offset.min(text.len());
    }
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == loc.line {
            let col_bytes: usize = line
                .chars()
                .take(loc.column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + col_bytes;
        }
        offset += line.len();
    }
    text.len()
}

/// Renders with a snippet of the offending source, as miette draws it.
pub fn render(diagnostic: &Diagnostic, sources: &Sources, color: bool) -> String {
    let header = diagnostic.to_string();
    let (Some(loc), Some(text)) = (diagnostic.loc, sources.get(&diagnostic.file)) else {
        return header;
    };
    // Control characters drawn as visible symbols: the snippet must not drive the terminal.
    let (shown, shift) = crate::runbook::encoding::visible(text);
    let span = |loc: Loc| {
        let at = offset_of(text, loc);
        let end = (at + loc.len.max(1)).min(text.len());
        let end = (at..=end)
            .rev()
            .find(|e| text.is_char_boundary(*e))
            .unwrap_or(at);
        (shift(at), shift(end).saturating_sub(shift(at)).max(1))
    };
    let (offset, len) = span(loc);
    let len = len.min(shown.len().saturating_sub(offset));
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some("here".into()),
        (offset, len),
    )];
    for related in &diagnostic.related {
        if related.file == diagnostic.file {
            let (at, len) = span(related.loc);
            let len = len.min(shown.len().saturating_sub(at));
            labels.push(LabeledSpan::new_with_span(
                Some(related.label.clone()),
                (at, len),
            ));
        }
    }
    let mut report = miette::MietteDiagnostic::new(diagnostic.message.clone())
        .with_labels(labels)
        .with_severity(match diagnostic.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Note => miette::Severity::Advice,
        });
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help.clone());
    }
    let source = NamedSource::new(diagnostic.file.display().to_string(), shown.clone());
    let report = miette::Report::new(report).with_source_code(source);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    match GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .render_report(&mut out, report.as_ref())
    {
        Ok(()) => {
            // miette counts columns in bytes: its `[file:line:col]` says ours instead, which
            // counts characters as editors do.
            let name = format!("[{}:", diagnostic.file.display());
            if let Some(start) = out.find(&name)
                && let Some(len) = out[start..].find(']')
            {
                out.replace_range(
                    start..start + len + 1,
                    &format!("[{}]", diagnostic.position()),
                );
            }
            // Keep the one-line `file:line:col` header: editors and CI logs link to it.
            let level = match diagnostic.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "note",
            };
            let mut lines = format!(
                "{}: {level}[{}]\n{out}",
                diagnostic.position(),
                diagnostic.code
            );
            for related in diagnostic
                .related
                .iter()
                .filter(|r| r.file != diagnostic.file)
            {
                lines.push_str(&format!(
                    "  {}:{}:{}: {}\n",
                    related.file.display(),
                    related.loc.line,
                    related.loc.column,
                    related.label
                ));
            }
            lines
        }
        Err(_) => header,
    }
}
