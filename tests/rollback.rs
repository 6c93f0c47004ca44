//! `cutover rollback` against a real database: after a window that completed, it shows what
//! it would undo and does nothing without a confirmation; with one, it undoes the applied
//! migrations newest first by their rollback SQL, leaves the ones without any (saying so),
//! and a later run applies again exactly what was rolled back — nothing twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::cli::{cutover, headless};
use common::{connect, fresh_db, scratch_dir, write};

const RUNBOOK: &str = r#"name: shop
window:
  budget: 30m
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: create-items
        sql: CREATE TABLE public.items (id int PRIMARY KEY)
        rollback: DROP TABLE public.items
      - migrate: add-note
        sql: ALTER TABLE public.items ADD COLUMN note text
        rollback: ALTER TABLE public.items DROP COLUMN note
      - migrate: create-audit
        sql: CREATE TABLE public.audit (id int)
"#;

async fn exists(url: &str, table: &str) -> bool {
    connect(url)
        .await
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn rollback_asks_first_then_undoes_newest_first_and_a_rerun_reapplies_once() {
    let url = fresh_db("rollback_cmd").await;
    let dir = scratch_dir("rollback-cmd");
    let runbook = write(&dir, "shop.yaml", RUNBOOK);
    let rb = runbook.to_str().unwrap();
    let run = headless(&dir, &runbook, &url, &[]).await;
    assert_eq!(run.code, Some(0), "{run:?}");

    // No terminal and no --yes: it shows what it would do, and does nothing.
    let asked = cutover(&dir, &["rollback", rb, "--database-url", &url]).await;
    assert_eq!(asked.code, Some(2), "{asked:?}");
    let audit = asked
        .stderr
        .find("create-audit: left applied (no rollback SQL)");
    let note = asked.stderr.find("add-note: its rollback SQL runs");
    let items = asked.stderr.find("create-items: its rollback SQL runs");
    assert!(
        audit < note && note < items && audit.is_some(),
        "not newest first: {asked:?}"
    );
    assert!(asked.stderr.contains("--yes"), "{asked:?}");
    assert!(exists(&url, "public.items").await, "rolled back unasked");

    let done = cutover(&dir, &["rollback", rb, "--database-url", &url, "--yes"]).await;
    assert_eq!(done.code, Some(4), "rolled back is exit 4: {done:?}");
    assert!(!exists(&url, "public.items").await, "{done:?}");
    assert!(exists(&url, "public.audit").await, "{done:?}");
    assert!(done.stderr.contains("journal: runs/"), "{done:?}");
    if let Some(password) = common::password() {
        for out in [&asked, &done] {
            assert!(
                !out.stdout.contains(&password) && !out.stderr.contains(&password),
                "the password leaked: {out:?}"
            );
        }
    }

    // Nothing left that a rollback could undo: said, exit 0.
    let again = cutover(&dir, &["rollback", rb, "--database-url", &url, "--yes"]).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again.stderr.contains("nothing of `shop` to roll back"),
        "{again:?}"
    );

    // A new run applies what was rolled back, and not the audit table again (which would
    // fail: it exists).
    let rerun = headless(&dir, &runbook, &url, &[]).await;
    assert_eq!(rerun.code, Some(0), "{rerun:?}");
    assert!(exists(&url, "public.items").await, "{rerun:?}");
    let note_column: i64 = connect(&url)
        .await
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(note_column, 1, "{rerun:?}");
}

/// On a terminal it asks for the runbook's name: anything else leaves the database as it
/// is; the name rolls back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_rollback_asks_for_the_runbooks_name() {
    use common::pty::Spawn;
    use std::time::Duration;
    let url = fresh_db("rollback_tty").await;
    let dir = scratch_dir("rollback-tty");
    let runbook = write(&dir, "shop.yaml", RUNBOOK);
    let run = headless(&dir, &runbook, &url, &[]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let wait = Duration::from_secs(30);
    let ask = || {
        Spawn::new(["rollback".into(), runbook.clone().into_os_string()])
            .args(["--database-url", &url])
            .cwd(&dir)
            .spawn()
    };
    let mut wrong = ask();
    wrong.wait_for("to roll back, anything else to leave", wait);
    wrong.send("shops\r");
    assert_eq!(wrong.wait_exit(wait), 2, "{}", wrong.transcript());
    assert!(wrong.transcript().contains("nothing was rolled back"));
    assert!(exists(&url, "public.items").await);
    let mut right = ask();
    right.wait_for("to roll back, anything else to leave", wait);
    right.send("shop\r");
    assert_eq!(right.wait_exit(wait), 4, "{}", right.transcript());
    assert!(
        !exists(&url, "public.items").await,
        "{}",
        right.transcript()
    );
}
