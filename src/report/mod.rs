//! The post-migration report: journal in, Markdown/JSON/HTML out.
//!
//! [`model::build`] folds the journal's entries into a [`Report`] (pure, no database); the
//! renderers turn that into Markdown (with a Mermaid gantt), JSON (the documented schema in
//! `docs/report-schema.md`) or a self-contained HTML page (inline SVG, no scripts).

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
