//! The report as one document of sections, tables and lists, with what to emphasise said by
//! meaning (a failure, a pass, a strong word) rather than by format. `document::build` makes
//! it from the [`Report`](super::Report); Markdown and HTML are two renderings of it.

/// A run of text in a sentence or a table cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Span {
    /// cutover's own words, written as they are (no markup in them).
    Plain(String),
    /// Text from the journal or the runbook: escaped by each format.
    Text(String),
    /// An identifier, SQL or a value: a code span.
    Code(String),
    /// Emphasis: bold.
    Strong(Vec<Span>),
    /// Something that went wrong: bold in Markdown, the failure colour in HTML.
    Bad(Vec<Span>),
    /// Something that passed: plain in Markdown, the pass colour in HTML.
    Good(Vec<Span>),
    /// A side remark: italic.
    Emph(Vec<Span>),
    /// A checklist box: ticked or not.
    Tick(bool),
    /// Something absent or beside the point: plain in Markdown, greyed in HTML.
    Muted(Vec<Span>),
}

/// Spans in a row: a sentence, a cell.
pub type Spans = Vec<Span>;

pub fn plain(text: impl Into<String>) -> Span {
    Span::Plain(text.into())
}

pub fn text(text: impl Into<String>) -> Span {
    Span::Text(text.into())
}

pub fn code(text: impl Into<String>) -> Span {
    Span::Code(text.into())
}

pub fn strong(spans: Spans) -> Span {
    Span::Strong(spans)
}

pub fn bad(spans: Spans) -> Span {
    Span::Bad(spans)
}

/// Spans joined by `sep` (plain text), e.g. a list of code spans.
pub fn joined(parts: impl IntoIterator<Item = Span>, sep: &str) -> Spans {
    let mut out = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(plain(sep));
        }
        out.push(part);
    }
    out
}

/// The words of `spans` without any markup (for plain-text output).
pub fn flatten(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Plain(t) | Span::Text(t) | Span::Code(t) => out.push_str(t),
            Span::Tick(true) => out.push_str("[x]"),
            Span::Tick(false) => out.push_str("[ ]"),
            Span::Strong(inner)
            | Span::Bad(inner)
            | Span::Good(inner)
            | Span::Emph(inner)
            | Span::Muted(inner) => {
                out.push_str(&flatten(inner));
            }
        }
    }
    out
}

/// An item of a list: its sentence, sub-items, and command output shown as a block.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Item {
    pub spans: Spans,
    pub sub: Vec<Spans>,
    pub output: Option<String>,
}

impl Item {
    pub fn new(spans: Spans) -> Item {
        Item {
            spans,
            ..Item::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A sub-heading within a section.
    Heading(Spans),
    Para(Spans),
    /// A note on how to read what is above it.
    Note(Spans),
    /// A table; an empty cell shows as a dash.
    Table {
        headers: Vec<&'static str>,
        rows: Vec<Vec<Spans>>,
    },
    /// Labelled values, one per row.
    Pairs(Vec<(&'static str, Spans)>),
    List(Vec<Item>),
    /// SQL, verbatim.
    Sql(String),
    /// The timeline diagram: a Mermaid gantt in Markdown, inline SVG in HTML.
    Timeline,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The HTML anchor.
    pub id: &'static str,
    pub title: &'static str,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Bad,
    Warn,
}

/// What the reader must see first, above the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Callout {
    pub tone: Tone,
    pub spans: Spans,
    /// A plain remark after it (the operator's reason for an override).
    pub note: Option<Spans>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub title: String,
    pub callouts: Vec<Callout>,
    pub sections: Vec<Section>,
}
