//! `cutover status` and `cutover history` against real PostgreSQL after runs with applied,
//! failed and changed steps.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use std::process::Command;

fn cutover(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(common::binary())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run cutover");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

const RUNBOOK: &str = r#"
name: where-now
window:
  budget: 10m
phases:
  - id: mig
    kind: migration
    budget: 5m
    steps:
      - migrate: a
        sql: CREATE TABLE a (id int)
        rollback: DROP TABLE a
      - migrate: b
        sql: CREATE TABLE b (id int)
        rollback: DROP TABLE b
      - migrate: c
        sql: SELECT 1/0
        rollback: SELECT 1
"#;

fn line_for<'a>(text: &'a str, step: &str) -> &'a str {
    text.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(step))
        .unwrap_or_else(|| panic!("no line for {step} in:\n{text}"))
}

/// The summary: the last line of `status`.
fn summary(text: &str) -> &str {
    text.lines().last().unwrap_or_default()
}

#[tokio::test]
async fn status_tells_applied_failed_changed_and_pending_and_history_lists_runs() {
    let url = common::fresh_db("status").await;
    let dir = common::scratch_dir("status");
    let path = common::write(&dir, "where-now.yaml", RUNBOOK);
    let path = path.to_str().expect("utf-8 path");

    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 3, "pending only: {text}");
    assert!(line_for(&text, "a").ends_with("pending"), "{text}");
    assert!(
        summary(&text).starts_with(
            "0 applied, 0 done, 0 decided, 3 pending, 0 failed, 0 uncertain, 0 changed"
        ),
        "{text}"
    );

    let (code, text) = cutover(&dir, &["run", path, "--headless", "--database-url", &url]);
    assert_eq!(code, 1, "step c fails: {text}");

    // Change the SQL of applied step `b` after the fact.
    std::fs::write(
        dir.join("where-now.yaml"),
        RUNBOOK.replace("CREATE TABLE b (id int)", "CREATE TABLE b (id bigint)"),
    )
    .expect("rewrite runbook");
    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(
        code, 1,
        "a failed and a changed step need attention: {text}"
    );
    assert!(line_for(&text, "a").ends_with("applied"), "{text}");
    assert!(line_for(&text, "b").contains("CHANGED"), "{text}");
    assert!(line_for(&text, "c").ends_with("failed"), "{text}");
    let last = summary(&text);
    assert!(
        last.starts_with(
            "1 applied, 0 done, 0 decided, 0 pending, 1 failed, 0 uncertain, 1 changed"
        ),
        "{text}"
    );
    assert!(last.contains("NEEDS ATTENTION"), "{text}");

    let (code, text) = cutover(&dir, &["history", "--database-url", &url]);
    assert_eq!(code, 0, "{text}");
    let run = text
        .lines()
        .find(|l| l.contains("where-now"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(run.contains("failed") && run.contains("2 applied"), "{run}");
    if let Some(password) = common::password() {
        assert!(!text.contains(&password));
    }
}

/// Every step kind: the engine records migrations, commands, manual steps, checks and
/// checkpoints in cutover.steps, never probes (and checks run again every time).
const EVERY_KIND: &str = r#"
name: every-kind
window:
  budget: 2m
phases:
  - id: prep
    kind: preparation
    budget: 30s
    steps:
      - migrate: make-t
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
      - command: say-hello
        run: [sh, -c, "echo hello"]
      - check: t-is-empty
        sql: SELECT count(*) FROM t
        expect: 0
      - manual: tell-the-team
        prompt: Tell the team.
      - checkpoint: go-on
        prompt: Go on?
        questions: [Is the team told?]
  - id: watch
    kind: monitoring
    budget: 5s
    steps:
      - probe: sessions
        sql: SELECT count(*) FROM pg_stat_activity
        every: 1s
      - probe: rows-in-t
        sql: SELECT count(*) FROM t
        every: 1s
"#;

#[tokio::test]
async fn after_a_successful_run_nothing_is_pending_and_probes_are_not_tracked() {
    let url = common::fresh_db("status_kinds").await;
    let dir = common::scratch_dir("status-kinds");
    let path = common::write(&dir, "every-kind.yaml", EVERY_KIND);
    let path = path.to_str().expect("utf-8 path");

    // Before any run: the migration, command, manual step and gate are pending; the check
    // and the probes are not (they run every time).
    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 3, "pending only: {text}");
    for step in ["make-t", "say-hello", "tell-the-team", "go-on"] {
        assert!(line_for(&text, step).ends_with("pending"), "{step}: {text}");
    }
    for step in ["t-is-empty", "sessions", "rows-in-t"] {
        assert!(!line_for(&text, step).contains("pending"), "{step}: {text}");
    }
    assert!(
        summary(&text).starts_with("0 applied, 0 done, 0 decided, 4 pending,"),
        "{text}"
    );

    let (code, text) = cutover(
        &dir,
        &[
            "run",
            path,
            "--headless",
            "--approve-all",
            "--monitor-for",
            "1s",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(code, 0, "{text}");

    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 0, "everything applied: {text}");
    assert!(line_for(&text, "make-t").ends_with("applied"), "{text}");
    assert!(line_for(&text, "say-hello").ends_with("done"), "{text}");
    assert!(line_for(&text, "tell-the-team").ends_with("done"), "{text}");
    assert!(line_for(&text, "go-on").contains("go"), "{text}");
    assert!(line_for(&text, "t-is-empty").contains("passed"), "{text}");
    for probe in ["sessions", "rows-in-t"] {
        let line = line_for(&text, probe);
        assert!(line.ends_with("not tracked (runs every time)"), "{line}");
    }
    assert_eq!(
        summary(&text),
        "1 applied, 2 done, 1 decided, 0 pending, 0 failed, 0 uncertain, 0 changed; 1 check(s) and 2 probe(s) run every time, never pending",
        "{text}"
    );
}

const INDEXED: &str = r#"
name: indexed
window:
  budget: 2m
phases:
  - id: mig
    kind: migration
    budget: 1m
    steps:
      - migrate: make-t
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
      - migrate: index-t
        sql: CREATE INDEX CONCURRENTLY t_id ON t (id)
        rollback: DROP INDEX CONCURRENTLY t_id
        transaction: auto
"#;

#[tokio::test]
async fn an_uncertain_step_needs_attention() {
    let url = common::fresh_db("status_uncertain").await;
    let dir = common::scratch_dir("status-uncertain");
    let path = common::write(&dir, "indexed.yaml", INDEXED);
    let path = path.to_str().expect("utf-8 path");
    let (code, text) = cutover(&dir, &["run", path, "--headless", "--database-url", &url]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 0, "{text}");

    // What a crash between the statements of a non-transactional migration leaves: the row
    // written before its first statement (`started`), never the one after its last.
    let client = common::connect(&url).await;
    let changed = client
        .execute(
            "UPDATE cutover.steps SET status = 'started', finished_at = NULL WHERE runbook = 'indexed' AND step_id = 'index-t'",
            &[],
        )
        .await
        .expect("mark index-t started");
    assert_eq!(changed, 1);

    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 1, "an uncertain step needs attention: {text}");
    assert!(line_for(&text, "index-t").contains("UNCERTAIN"), "{text}");
    assert!(line_for(&text, "make-t").ends_with("applied"), "{text}");
    let last = summary(&text);
    assert!(
        last.starts_with(
            "1 applied, 0 done, 0 decided, 0 pending, 0 failed, 1 uncertain, 0 changed"
        ),
        "{text}"
    );
    assert!(last.contains("NEEDS ATTENTION: 1 step(s)"), "{text}");
}
