//! `cutover status` and `cutover history` against real PostgreSQL after runs with applied,
//! failed and changed steps.
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

#[tokio::test]
async fn status_tells_applied_failed_changed_and_pending_and_history_lists_runs() {
    let url = common::fresh_db("status").await;
    let dir = common::scratch_dir("status");
    let path = common::write(&dir, "where-now.yaml", RUNBOOK);
    let path = path.to_str().expect("utf-8 path");

    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 0, "{text}");
    assert!(line_for(&text, "a").ends_with("pending"), "{text}");

    let (code, text) = cutover(&dir, &["run", path, "--headless", "--database-url", &url]);
    assert_eq!(code, 1, "step c fails: {text}");

    // Change the SQL of applied step `b` after the fact.
    std::fs::write(
        dir.join("where-now.yaml"),
        RUNBOOK.replace("CREATE TABLE b (id int)", "CREATE TABLE b (id bigint)"),
    )
    .expect("rewrite runbook");
    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 0, "{text}");
    assert!(line_for(&text, "a").ends_with("applied"), "{text}");
    assert!(line_for(&text, "b").contains("CHANGED"), "{text}");
    assert!(line_for(&text, "c").ends_with("failed"), "{text}");

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
