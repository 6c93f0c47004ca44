//! `cutover report JOURNAL`: the post-migration report, from the journal alone (no database).

use super::exit;
use crate::report;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown with a Mermaid gantt chart.
    Md,
    /// JSON, schema documented in docs/report-schema.md.
    Json,
    /// One self-contained HTML page (inline SVG, no scripts).
    Html,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The journal a run wrote (runs/<runbook>-<timestamp>.jsonl).
    pub journal: PathBuf,
    /// Output format (default: from the -o extension, else md).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The zone times are shown in: utc, local, or an offset like +02:00 (default: the
    /// runbook's window zone, from window.start; else UTC).
    #[arg(long, value_name = "ZONE", value_parser = crate::runbook::parse_zone)]
    pub tz: Option<chrono::FixedOffset>,
}

fn format_for(args: &ReportArgs) -> ReportFormat {
    if let Some(f) = args.format {
        return f;
    }
    let ext = args
        .output
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("json") => ReportFormat::Json,
        Some("html" | "htm") => ReportFormat::Html,
        _ => ReportFormat::Md,
    }
}

/// How every journal line starts (`Entry` serialized: `ts` first).
const LINE_START: &[u8] = b"{\"ts\":\"";

/// A journal with no readable entry is still a journal (of a run killed before its first
/// write reached the disk) when it is empty, or when its only line is the start of a journal
/// line cut short (NUL padding and blank space aside). Anything else with no readable entry
/// (a runbook, some other JSON) is not a journal.
fn torn_before_first_entry(path: &Path, unreadable: &[usize]) -> bool {
    use std::io::Read;
    match unreadable {
        [] => true,
        [_] => {
            let mut head = Vec::new();
            let read = std::fs::File::open(path)
                .and_then(|f| f.take(4096).read_to_end(&mut head).map(|_| ()));
            if read.is_err() {
                return false;
            }
            let start = head
                .iter()
                .position(|b| !b.is_ascii_whitespace() && *b != 0)
                .unwrap_or(head.len());
            let line = &head[start..];
            let line = &line[..line
                .iter()
                .position(|&b| b == b'\n' || b == 0)
                .unwrap_or(line.len())];
            let n = line.len().min(LINE_START.len());
            line[..n] == LINE_START[..n]
        }
        _ => false,
    }
}

/// The report of a fleet's journal (`runs/<fleet>.fleet.jsonl`): each wave, each database.
fn fleet_report(args: &ReportArgs) -> Result<String, u8> {
    let events = super::fleet::replay(&args.journal);
    if events.is_empty() {
        eprintln!(
            "cutover report: {} holds no readable fleet journal entry",
            args.journal.display()
        );
        return Err(exit::USAGE);
    }
    let summary = crate::fleet::summarize(&events);
    match format_for(args) {
        ReportFormat::Md => Ok(summary.markdown()),
        ReportFormat::Json => serde_json::to_string_pretty(&summary).map_err(|e| {
            eprintln!("cutover report: cannot encode the report as JSON: {e}");
            exit::FAILED
        }),
        ReportFormat::Html => {
            eprintln!("cutover report: a fleet's report is Markdown or JSON (--format md|json)");
            Err(exit::USAGE)
        }
    }
}

pub fn run(args: ReportArgs) -> u8 {
    let path = &args.journal;
    if path.to_string_lossy().ends_with(".fleet.jsonl") {
        return match fleet_report(&args) {
            Ok(text) => write_out(&args, &text),
            Err(code) => code,
        };
    }
    let replay = match crate::journal::replay(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "cutover report: cannot read the journal {}: {e}",
                path.display()
            );
            return exit::USAGE;
        }
    };
    if replay.entries.is_empty() && !torn_before_first_entry(path, &replay.unreadable) {
        eprintln!(
            "cutover report: {} holds no readable journal entry ({} unreadable line(s)); is it a journal written by `cutover run`?",
            path.display(),
            replay.unreadable.len()
        );
        return exit::USAGE;
    }
    let mut built = report::build(&replay.entries, &replay.unreadable);
    if let (Some(tz), Some(plan)) = (args.tz, built.plan.as_mut()) {
        plan.zone = Some(tz.to_string());
    }
    built.journal.file = Some(path.display().to_string());
    let text = match format_for(&args) {
        ReportFormat::Md => report::markdown::render(&built),
        ReportFormat::Html => report::html::render(&built),
        ReportFormat::Json => match report::to_json(&built) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cutover report: cannot encode the report as JSON: {e}");
                return exit::FAILED;
            }
        },
    };
    write_out(&args, &text)
}

fn write_out(args: &ReportArgs, text: &str) -> u8 {
    let written = match &args.output {
        Some(out) => {
            std::fs::write(out, text.as_bytes()).map_err(|e| (out.display().to_string(), e))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| ("standard output".to_owned(), e)),
            }
        }
    };
    if let Err((target, e)) = written {
        eprintln!("cutover report: cannot write {target}: {e}");
        return exit::USAGE;
    }
    exit::OK
}
