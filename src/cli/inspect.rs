//! `check`, `plan` and `graph`: everything that reads a runbook without touching a database.

use super::{GraphFormat, OutputFormat, exit};
use crate::diag::{self, Diagnostic, Level, Sources};
use crate::plan::{self, Plan};
use crate::runbook::{self, Runbook, duration};
use std::io::IsTerminal;
use std::path::Path;

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Loads and plans; returns all diagnostics, sorted by file and position.
pub(crate) fn analyze(path: &Path) -> (Option<(Runbook, Plan)>, Vec<Diagnostic>, Sources) {
    let loaded = runbook::load(path);
    let mut diagnostics = loaded.diagnostics;
    let result = loaded.runbook.map(|rb| {
        let plan = plan::plan(&rb);
        diagnostics.extend(plan.diagnostics.iter().cloned());
        (rb, plan)
    });
    diagnostics.sort_by_key(|d| (d.file.clone(), d.loc.map(|l| (l.line, l.column)), d.level));
    (result, diagnostics, loaded.sources)
}

fn print_diagnostics(diagnostics: &[Diagnostic], sources: &Sources) {
    let color = color();
    for d in diagnostics {
        say!("{}", diag::render(d, sources, color));
    }
}

fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .count();
    (errors, warnings)
}

pub fn check(path: &Path, deny_warnings: bool, format: OutputFormat) -> u8 {
    let (_, diagnostics, sources) = analyze(path);
    let (errors, warnings) = counts(&diagnostics);
    match format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "runbook": path,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics,
            });
            say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        OutputFormat::Text => {
            print_diagnostics(&diagnostics, &sources);
            say!(
                "{}: {errors} error(s), {warnings} warning(s)",
                path.display()
            );
        }
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// Loads and plans, printing the errors and returning the exit code when it cannot go on.
pub(crate) fn load_clean(path: &Path) -> Result<(Runbook, Plan), u8> {
    plan_clean(path, load_only(path)?)
}

/// The first half of [`load_clean`]: the runbook read, not yet planned (a run connects while
/// its SQL is parsed and linted). Refuses, saying why, a runbook that did not load.
pub(crate) fn load_only(path: &Path) -> Result<runbook::Loaded, u8> {
    let loaded = runbook::load(path);
    if loaded.runbook.is_some() {
        return Ok(loaded);
    }
    refuse(path, loaded.diagnostics, &loaded.sources);
    Err(exit::FAILED)
}

/// The second half of [`load_clean`]: plans a loaded runbook; any error refuses it.
pub(crate) fn plan_clean(path: &Path, loaded: runbook::Loaded) -> Result<(Runbook, Plan), u8> {
    let mut diagnostics = loaded.diagnostics;
    let Some(rb) = loaded.runbook else {
        refuse(path, diagnostics, &loaded.sources);
        return Err(exit::FAILED);
    };
    let plan = plan::plan(&rb);
    diagnostics.extend(plan.diagnostics.iter().cloned());
    if diagnostics.iter().any(|d| d.level == Level::Error) {
        refuse(path, diagnostics, &loaded.sources);
        return Err(exit::FAILED);
    }
    Ok((rb, plan))
}

/// Prints a runbook's errors (with snippets) and how to see everything.
fn refuse(path: &Path, diagnostics: Vec<Diagnostic>, sources: &Sources) {
    let mut errors: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    errors.sort_by_key(|d| (d.file.clone(), d.loc.map(|l| (l.line, l.column))));
    for d in &errors {
        eprintln!(
            "{}",
            diag::render(d, sources, std::io::stderr().is_terminal())
        );
    }
    eprintln!(
        "{}: {} error(s); run `cutover check {}` for details",
        path.display(),
        errors.len(),
        path.display()
    );
}

pub fn plan(path: &Path, format: OutputFormat, tz: Option<chrono::FixedOffset>) -> u8 {
    let (mut runbook, plan) = match load_clean(path) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    if tz.is_some() {
        runbook.window.zone = tz;
    }
    match format {
        OutputFormat::Json => {
            say!(
                "{}",
                serde_json::to_string_pretty(&plan).unwrap_or_default()
            );
        }
        OutputFormat::Text => say_raw!("{}", render_plan(&runbook, &plan)),
    }
    exit::OK
}

fn clock(runbook: &Runbook, offset: std::time::Duration) -> String {
    match runbook.window.start {
        Some(start) => {
            let at = start + chrono::Duration::from_std(offset).unwrap_or_default();
            let zone = runbook.window.zone.unwrap_or(*start.offset());
            at.with_timezone(&zone).format("%H:%M").to_string()
        }
        None => format!("+{}", duration::format(offset)),
    }
}

/// The plan as a DBA reads it before the window.
pub fn render_plan(runbook: &Runbook, plan: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", runbook.title, runbook.name);
    let start = runbook
        .window
        .start
        .map_or("when the run starts".to_owned(), |s| {
            s.with_timezone(&runbook.window.zone.unwrap_or(*s.offset()))
                .to_rfc3339()
        });
    let _ = writeln!(
        out,
        "window: starts {start}, budget {}, phases end at {} — slack {}{}",
        duration::format(plan.window_budget),
        clock(runbook, plan.planned_end),
        if plan.slack_ms < 0 { "-" } else { "" },
        duration::format(std::time::Duration::from_millis(
            plan.slack_ms.unsigned_abs()
        ))
    );
    for (p, phase) in plan.phases.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{} {}  [{}]  {}–{} (budget {}){}",
            p + 1,
            phase.id,
            phase.kind,
            clock(runbook, phase.planned_start),
            clock(runbook, phase.planned_end),
            duration::format(phase.budget),
            if phase.parallel > 1 {
                format!(", parallel {}", phase.parallel)
            } else {
                String::new()
            }
        );
        for &i in &phase.order {
            let s = &plan.steps[i];
            let mut flags = Vec::new();
            if let Some(in_tx) = s.in_transaction
                && s.kind == "migrate"
            {
                flags.push(if in_tx {
                    "tx".to_owned()
                } else {
                    "no-tx".to_owned()
                });
            }
            if s.breaking {
                flags.push("BREAKING".into());
            }
            // What a no-go leaves applied, said before the night.
            if let Some(crate::runbook::StepKind::Migrate(m)) = runbook
                .phases
                .iter()
                .flat_map(|p| &p.steps)
                .find(|step| step.id == s.id)
                .map(|step| &step.kind)
                && crate::plan::left_applied_by_rollback(m).is_some()
            {
                flags.push(if m.irreversible.is_some() {
                    "irreversible".into()
                } else {
                    "no rollback".into()
                });
            }
            if s.on_critical_path {
                flags.push("critical path".into());
            }
            let _ = write!(
                out,
                "  {} {:<10} {:<36} {:>7}",
                clock(runbook, s.planned_start),
                s.kind,
                s.id,
                if s.expected.is_zero() {
                    "-".to_owned()
                } else {
                    duration::format(s.expected)
                },
            );
            if !flags.is_empty() {
                let _ = write!(out, "  [{}]", flags.join(", "));
            }
            out.push('\n');
            if !s.depends_on.is_empty() {
                let _ = writeln!(out, "        after: {}", s.depends_on.join(", "));
            }
            if let Some(reason) = &s.no_transaction_reason {
                let _ = writeln!(out, "        outside a transaction: {reason}");
            }
            // Each precondition on one line: the query (its first line), what must come
            // back, and what the step does otherwise.
            for r in &s.require {
                let _ = writeln!(
                    out,
                    "        requires: {} → {} (else {})",
                    r.first_line(),
                    r.expect,
                    r.otherwise()
                );
            }
            let touched: Vec<String> = s
                .writes
                .iter()
                .map(|t| format!("{t} (w)"))
                .chain(
                    s.reads
                        .iter()
                        .filter(|t| !s.writes.contains(*t))
                        .map(|t| format!("{t} (r)")),
                )
                .collect();
            if !touched.is_empty() {
                let _ = writeln!(out, "        tables: {}", touched.join(", "));
            }
        }
    }
    let _ = writeln!(
        out,
        "\ncritical path ({}): {}",
        duration::format(plan.critical_path_duration),
        if plan.critical_path.is_empty() {
            "-".to_owned()
        } else {
            plan.critical_path.join(" → ")
        }
    );
    for note in &plan.ordering_notes {
        let _ = writeln!(out, "note: {note}");
    }
    let warnings = plan
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .count();
    if warnings > 0 {
        let _ = writeln!(
            out,
            "{warnings} warning(s): run `cutover check` to see them"
        );
    }
    out
}

pub fn graph(path: &Path, format: GraphFormat) -> u8 {
    let (runbook, plan) = match load_clean(path) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let text = match format {
        GraphFormat::Text => plan::graph::text(&runbook, &plan),
        GraphFormat::Dot => plan::graph::dot(&runbook, &plan),
        GraphFormat::Mermaid => plan::graph::mermaid(&runbook, &plan),
    };
    say_raw!("{text}");
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Before the night, the plan says which migrations a no-go would leave applied.
    #[test]
    fn the_plan_names_what_a_no_go_leaves_applied() {
        let text = "name: p\nwindow: { budget: 1h }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: undoable\n        sql: CREATE TABLE a (id int)\n        rollback: DROP TABLE a\n      - migrate: seed\n        sql: INSERT INTO a VALUES (1)\n        rollback: \"-- nothing to undo\"\n      - migrate: audit\n        sql: CREATE TABLE b (id int)\n        irreversible: audit trail stays\n";
        let loaded = runbook::load_text(Path::new("p.yaml"), text, &|_| None);
        let rb = loaded.runbook.expect("loads");
        let pl = plan::plan(&rb);
        let out = render_plan(&rb, &pl);
        let line = |id: &str| {
            out.lines()
                .find(|l| l.contains(id))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(!line("undoable").contains("rollback"), "{out}");
        assert!(line("seed").contains("no rollback"), "{out}");
        assert!(line("audit").contains("irreversible"), "{out}");
    }

    /// A reviewer sees each step's preconditions in the plan: the query, what must come
    /// back, and what the step does otherwise.
    #[test]
    fn the_plan_shows_each_steps_preconditions() {
        let text = "name: p\nwindow: { budget: 1h }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: drop-legacy\n        sql: DROP TABLE legacy\n        require:\n          - sql: SELECT count(*) FROM pg_stat_activity WHERE application_name = 'legacy-app'\n            expect: 0\n          - sql: |\n              SELECT 1\n              FROM pg_tables WHERE tablename = 'legacy'\n            expect: { rows: 1 }\n            on_fail: skip\n";
        let loaded = runbook::load_text(Path::new("p.yaml"), text, &|_| None);
        let rb = loaded.runbook.expect("loads");
        let pl = plan::plan(&rb);
        let out = render_plan(&rb, &pl);
        assert!(
            out.contains("requires: SELECT count(*) FROM pg_stat_activity WHERE application_name = 'legacy-app' → = 0 (else halts)"),
            "{out}"
        );
        assert!(
            out.contains("requires: SELECT 1 … → 1 row (else skipped)"),
            "{out}"
        );
        let json = serde_json::to_value(&pl).expect("the plan encodes");
        assert_eq!(json["steps"][0]["require"][1]["on_fail"], "skip", "{json}");
    }

    /// `critical` is every check's default severity: the plan's flag says which path it means.
    #[test]
    fn the_plan_flags_the_critical_path_in_words_that_mean_one_thing() {
        let text = "name: p\nwindow: { budget: 1h }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: only\n        sql: CREATE TABLE a (id int)\n        rollback: DROP TABLE a\n";
        let loaded = runbook::load_text(Path::new("p.yaml"), text, &|_| None);
        let rb = loaded.runbook.expect("loads");
        let out = render_plan(&rb, &plan::plan(&rb));
        let line = out.lines().find(|l| l.contains("only")).unwrap_or_default();
        assert!(line.contains("critical path"), "{out}");
    }

    /// `plan --tz`: the operator's zone instead of the window's.
    #[test]
    fn the_plan_shows_times_in_the_zone_asked_for() {
        let text = "name: p\nwindow: { start: 2025-03-01T22:00:00Z, budget: 1h }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: only\n        sql: CREATE TABLE a (id int)\n        rollback: DROP TABLE a\n";
        let loaded = runbook::load_text(Path::new("p.yaml"), text, &|_| None);
        let mut rb = loaded.runbook.expect("loads");
        let pl = plan::plan(&rb);
        assert!(render_plan(&rb, &pl).contains("22:00"));
        rb.window.zone = runbook::parse_zone("+02:00").ok();
        let out = render_plan(&rb, &pl);
        assert!(out.contains("00:00") && !out.contains("22:00"), "{out}");
        assert!(runbook::parse_zone("mars").is_err());
    }
}
