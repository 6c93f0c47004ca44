//! `cutover check` on a corpus of 200+ realistic up/down migrations (tests/corpus: the shapes
//! real projects ship — golang-migrate and pop up/down pairs, Alembic- and Rails-style
//! changes: DDL with and without CONCURRENTLY, comment-only and empty downs, DO blocks,
//! functions and triggers with dollar quotes, RLS policies, extensions, constraint changes,
//! renames, data fixes).
//!
//! Every diagnostic is held in tests/golden/corpus-check.txt, reviewed line by line: each
//! warning in it is true and one a DBA can act on. The classes of false warnings seen on real
//! projects are held at zero here by name. `UPDATE_GOLDEN=1 cargo test --test corpus`
//! rewrites the golden file (then review `git diff tests/golden`).

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn corpus() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus"))
}

fn check() -> (i32, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["check", "--format", "json"])
        .arg(corpus().join("runbook.yaml"))
        .output()
        .expect("run cutover check");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    let diags = doc["diagnostics"].as_array().cloned().unwrap_or_default();
    (out.status.code().unwrap_or(-1), diags)
}

fn line(d: &Value) -> String {
    let file = d["file"].as_str().unwrap_or_default();
    let file = file.rsplit("tests/corpus/").next().unwrap_or(file);
    format!(
        "{file}:{}:{} {} {} | {}",
        d["loc"]["line"],
        d["loc"]["column"],
        d["level"].as_str().unwrap_or_default(),
        d["code"].as_str().unwrap_or_default(),
        d["message"].as_str().unwrap_or_default()
    )
}

#[test]
fn the_corpus_is_two_hundred_migrations_with_their_downs() {
    let runbook = std::fs::read_to_string(corpus().join("runbook.yaml")).expect("runbook");
    let steps: Vec<&str> = runbook
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- migrate: "))
        .collect();
    assert!(steps.len() >= 200, "{} migrations", steps.len());
    for step in &steps {
        let up = corpus().join(format!("migrations/{step}.up.sql"));
        let down = corpus().join(format!("migrations/{step}.down.sql"));
        assert!(up.is_file(), "{}", up.display());
        assert!(down.is_file(), "{}", down.display());
    }
    let empty_downs = steps
        .iter()
        .filter(|s| {
            std::fs::metadata(corpus().join(format!("migrations/{s}.down.sql")))
                .is_ok_and(|m| m.len() == 0)
        })
        .count();
    assert!(empty_downs > 0, "the corpus has an empty down file");
}

#[test]
fn check_on_the_corpus_matches_the_reviewed_golden_file() {
    let (code, diags) = check();
    assert_eq!(
        code, 0,
        "the corpus has no errors: every migration is valid PostgreSQL"
    );
    let text: String = diags.iter().map(|d| line(d) + "\n").collect();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/corpus-check.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if text != expected {
        let actual = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-check.txt");
        let _ = std::fs::write(&actual, &text);
        panic!(
            "check's diagnostics on the corpus changed: diff -u {} {}\n(if intended: UPDATE_GOLDEN=1 cargo test --test corpus, and review every new line)",
            golden.display(),
            actual.display()
        );
    }
}

#[test]
fn the_false_warnings_seen_on_real_projects_stand_at_zero() {
    let (_, diags) = check();
    let lines: Vec<String> = diags.iter().map(line).collect();
    let sql = |d: &Value| -> String {
        let file = d["file"].as_str().unwrap_or_default();
        let at = d["loc"]["line"].as_u64().unwrap_or(0) as usize;
        std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.lines().nth(at.saturating_sub(1)).map(str::to_owned))
            .unwrap_or_default()
    };
    let any = |what: &str, bad: &dyn Fn(&Value, &str) -> bool| {
        let found: Vec<&String> = diags
            .iter()
            .zip(&lines)
            .filter(|(d, l)| bad(d, l))
            .map(|(_, l)| l)
            .collect();
        assert!(found.is_empty(), "{what}:\n{found:#?}");
    };
    any("SQL PostgreSQL parses called unparsable", &|_, l| {
        l.contains("sql-unparsed") || l.contains("sql-syntax")
    });
    any("style rules", &|_, l| {
        [
            "prefer-timestamp",
            "prefer-bigint",
            "prefer-text-field",
            "ban-char-field",
            "prefer-identity",
            "prefer-robust-stmts",
        ]
        .iter()
        .any(|r| l.contains(r))
    });
    any(
        "DROP INDEX called a client break, or said twice",
        &|_, l| {
            (l.contains("undeclared-breaking") && l.contains("DROP INDEX"))
                || l.contains("require-concurrent-index-deletion")
        },
    );
    any("NOT VALID advised where PostgreSQL refuses it", &|d, l| {
        let at = sql(d).to_uppercase();
        l.contains("constraint-missing-not-valid")
            && (at.contains("PRIMARY KEY") || at.contains(" UNIQUE"))
    });
    any(
        "a trigger replaced in the same step called breaking",
        &|d, l| l.contains("undeclared-breaking") && sql(d).to_uppercase().contains("DROP TRIGGER"),
    );
    any("lock risks on a table the same step created", &|_, l| {
        l.contains("create_task_labels") || l.contains("create_import_staging")
    });
    // breaking: true answers squawk's rules about breaking changes.
    let runbook = std::fs::read_to_string(corpus().join("runbook.yaml")).expect("runbook");
    let breaking: Vec<String> = runbook
        .split("- migrate: ")
        .skip(1)
        .filter(|s| s.contains("breaking: true"))
        .filter_map(|s| s.lines().next().map(|id| format!("step `{id}`")))
        .collect();
    any(
        "a rule about breaking changes on a breaking step",
        &|_, l| {
            (l.contains("[ban-drop")
                || l.contains("[renaming-object]")
                || l.contains("undeclared-breaking"))
                && breaking.iter().any(|b| l.contains(b.as_str()))
        },
    );
}
