//! A database whose tracking schema an earlier cutover wrote stays readable, and runs go on
//! against it: `history` and `status` read what was recorded, and a new run skips what was
//! applied. Two shapes: the schema of the 2026-12-06 release (frozen in tests/fixtures), and
//! the first one (no journal columns, no ledger of applied steps, no lock function).

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
name: upgrade
window:
  budget: 10m
phases:
  - id: mig
    kind: migration
    budget: 5m
    steps:
      - migrate: a
        sql: CREATE TABLE public.a (id int)
        rollback: DROP TABLE public.a
      - migrate: b
        sql: CREATE TABLE public.b (id int)
        rollback: DROP TABLE public.b
"#;

/// The first tracking schema cutover wrote.
const FIRST_SCHEMA: &str = "
CREATE SCHEMA cutover;
CREATE TABLE cutover.runs (
    id text PRIMARY KEY, runbook text NOT NULL, checksum text NOT NULL, operator text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, outcome text);
CREATE TABLE cutover.steps (
    runbook text NOT NULL, step_id text NOT NULL, run_id text NOT NULL, kind text NOT NULL,
    sql_checksum text, status text NOT NULL, started_at timestamptz, finished_at timestamptz,
    attempts integer NOT NULL DEFAULT 0, rows bigint, decision text, approver text,
    PRIMARY KEY (runbook, step_id));
CREATE TABLE cutover.decisions (
    run_id text NOT NULL, step_id text NOT NULL, decision text NOT NULL, operator text NOT NULL,
    comment text, answers jsonb NOT NULL, overrides jsonb NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE cutover.events (
    run_id text NOT NULL, seq bigint NOT NULL, ts timestamptz NOT NULL, event jsonb NOT NULL,
    PRIMARY KEY (run_id, seq));
";

/// What the earlier release recorded: a run that applied `a` (its table exists) and was
/// then interrupted, and an earlier run that succeeded with nothing applied.
const RECORDED: &str = "
CREATE TABLE public.a (id int);
INSERT INTO cutover.runs (id, runbook, checksum, operator, started_at, finished_at, outcome) VALUES
  ('upgrade-old-0', 'upgrade', 'c0', 'firstdba', now() - interval '2 days', now() - interval '2 days', 'succeeded'),
  ('upgrade-old-1', 'upgrade', 'c1', 'olddba', now() - interval '1 day', NULL, 'interrupted');
INSERT INTO cutover.steps (runbook, step_id, run_id, kind, sql_checksum, status, started_at, finished_at, attempts, rows)
  VALUES ('upgrade', 'a', 'upgrade-old-1', 'migrate',
          encode(sha256(convert_to('CREATE TABLE public.a (id int)', 'UTF8')), 'hex'),
          'applied', now() - interval '1 day', now() - interval '1 day', 1, 0);
";

async fn upgraded_database_keeps_its_runs(tag: &str, schema: &str, ledger: bool) {
    let url = common::fresh_db(tag).await;
    let dir = common::scratch_dir(tag);
    let db = common::connect(&url).await;
    db.batch_execute(schema).await.expect("the earlier schema");
    db.batch_execute(RECORDED).await.expect("the earlier runs");
    if ledger {
        db.batch_execute(
            "INSERT INTO cutover.applied (runbook, step_id, sql_checksum, run_id)
               SELECT runbook, step_id, sql_checksum, run_id FROM cutover.steps WHERE status = 'applied'",
        )
        .await
        .expect("the earlier ledger");
    }
    let path = common::write(&dir, "upgrade.yaml", RUNBOOK);
    let path = path.to_str().expect("utf-8 path");

    let (code, text) = cutover(&dir, &["history", "--database-url", &url]);
    assert_eq!(code, 0, "{text}");
    for expected in [
        "upgrade-old-0",
        "succeeded",
        "upgrade-old-1",
        "interrupted",
        "olddba",
    ] {
        assert!(text.contains(expected), "history lacks {expected}:\n{text}");
    }

    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 3, "a applied, b pending: {text}");
    let line = |step: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(step))
            .unwrap_or_else(|| panic!("no line for {step}:\n{text}"))
            .to_owned()
    };
    assert!(line("a").ends_with("applied"), "{text}");
    assert!(line("b").ends_with("pending"), "{text}");

    // A new run on the upgraded schema: `a` is not applied twice, `b` is applied.
    let (code, text) = cutover(
        &dir,
        &[
            "run",
            path,
            "--headless",
            "--new-run",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("already applied"), "{text}");
    let (code, text) = cutover(&dir, &["status", path, "--database-url", &url]);
    assert_eq!(code, 0, "{text}");
    let (_, text) = cutover(&dir, &["history", "--database-url", &url]);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("upgrade-")).count(),
        3,
        "both earlier runs and the new one:\n{text}"
    );
}

#[tokio::test]
async fn the_schema_of_the_2026_12_06_release_is_upgraded_in_place() {
    let schema = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tracking/2026-12-06.sql"),
    )
    .expect("the frozen schema");
    upgraded_database_keeps_its_runs("upgrade_release", &schema, true).await;
}

#[tokio::test]
async fn the_first_tracking_schema_is_upgraded_in_place() {
    upgraded_database_keeps_its_runs("upgrade_first", FIRST_SCHEMA, false).await;
}
