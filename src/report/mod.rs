//! The post-migration report: journal in, Markdown/JSON/HTML out.
//!
//! [`model::build`] folds the journal's entries into a [`Report`] (pure, no database), which
//! is the JSON (the documented schema in `docs/report-schema.md`). [`document::build`] lays
//! it out once as a [`doc::Document`] — sections, tables, lists, and what to emphasise — and
//! [`markdown`] (with a Mermaid gantt) and [`html`] (a self-contained page, inline SVG, no
//! scripts) are two thin renderings of that one document.

pub mod doc;
pub mod document;
pub mod html;
pub mod markdown;
pub mod model;
mod text;

pub use model::{Report, SCHEMA_VERSION, build};

/// The report as pretty-printed JSON (schema version [`SCHEMA_VERSION`]), newline-terminated.
pub fn to_json(report: &Report) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}
