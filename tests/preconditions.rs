//! Preconditions (`require:`): read-only queries a step asks before it runs, against a real
//! server. One that does not hold halts the run before the step, skips the step, or is only
//! said, as the runbook chose — each answer journaled — and a bad one is refused before the
//! window.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::cli::{cutover, headless};
use common::{connect, fresh_db, scratch_dir, write};
use cutover::events::Event;

const RUNBOOK: &str = r#"name: NAME
window:
  budget: 30m
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: email-not-null
        sql: ALTER TABLE public.customers ALTER COLUMN email SET NOT NULL
        rollback: ALTER TABLE public.customers ALTER COLUMN email DROP NOT NULL
        require:
          - sql: SELECT count(*) FROM public.customers WHERE email IS NULL
            expect: 0
      - migrate: add-tier
        sql: ALTER TABLE public.customers ADD COLUMN tier text
        rollback: ALTER TABLE public.customers DROP COLUMN tier
        require:
          - sql: |
              SELECT count(*) FROM information_schema.columns
               WHERE table_schema = 'public' AND table_name = 'customers' AND column_name = 'tier'
            expect: 0
            on_fail: skip
      - migrate: audit
        sql: CREATE TABLE public.audit (id int)
        rollback: DROP TABLE public.audit
        require:
          - sql: SELECT count(*) FROM public.customers
            expect: { ge: 1000 }
            on_fail: warn
"#;

async fn source(tag: &str, null_emails: bool) -> String {
    let url = fresh_db(tag).await;
    connect(&url)
        .await
        .batch_execute(&format!(
            "CREATE TABLE public.customers (id int PRIMARY KEY, email text);
             INSERT INTO public.customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 20) g;
             {}",
            if null_emails {
                "UPDATE public.customers SET email = NULL WHERE id <= 3;"
            } else {
                ""
            }
        ))
        .await
        .unwrap();
    url
}

fn journal_in(dir: &std::path::Path) -> Vec<Event> {
    let path = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    cutover::journal::replay(&path)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.event)
        .collect()
}

async fn applied(url: &str) -> Vec<String> {
    connect(url)
        .await
        .query(
            "SELECT step_id FROM cutover.steps WHERE status = 'applied' ORDER BY step_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// NULL emails left: the NOT NULL migration's precondition does not hold, so the run halts
/// before it (exit 3, resumable) with nothing applied and what it found journaled; once the
/// data is set right, `--resume` asks again and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_that_does_not_hold_halts_before_its_step_until_set_right() {
    let url = source("require_halt", true).await;
    let dir = scratch_dir("require-halt");
    let path = write(&dir, "r.yaml", &RUNBOOK.replace("NAME", "require_halt"));
    let out = headless(&dir, &path, &url, &[]).await;
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stdout.contains(
            "precondition 1 of email-not-null FAILED (got 3, expected = 0): the run halts before the step"
        ),
        "{out:?}"
    );
    assert!(applied(&url).await.is_empty());
    let events = journal_in(&dir);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::PreconditionChecked { step, passed: false, actual, .. } if step == "email-not-null" && actual == "3"
    )));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::StepStarted { step, .. } if step == "email-not-null")),
        "the step never started"
    );

    connect(&url)
        .await
        .batch_execute(
            "UPDATE public.customers SET email = 'unknown@example.com' WHERE email IS NULL",
        )
        .await
        .unwrap();
    let out = headless(&dir, &path, &url, &["--resume"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains("precondition 1 of email-not-null holds (got 0)"),
        "{out:?}"
    );
    assert_eq!(applied(&url).await, ["add-tier", "audit", "email-not-null"]);
}

/// `on_fail: skip`: the column is there already, so the step that adds it is skipped — not
/// marked applied, so a later run asks again — and the run goes on. `on_fail: warn`: said and
/// run anyway. The report says what each precondition found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_passes_over_the_step_and_warn_runs_it_anyway() {
    let url = source("require_skip", false).await;
    connect(&url)
        .await
        .batch_execute("ALTER TABLE public.customers ADD COLUMN tier text")
        .await
        .unwrap();
    let dir = scratch_dir("require-skip");
    let path = write(&dir, "r.yaml", &RUNBOOK.replace("NAME", "require_skip"));
    let out = headless(&dir, &path, &url, &[]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains(
            "precondition 1 of add-tier FAILED (got 1, expected = 0): the step is skipped"
        ),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(
            "precondition 1 of audit FAILED (got 20, expected >= 1000): the step runs anyway (on_fail: warn)"
        ),
        "{out:?}"
    );
    assert_eq!(applied(&url).await, ["audit", "email-not-null"]);
    let events = journal_in(&dir);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::StepSkipped { step, reason } if step == "add-tier" && reason.contains("precondition 1 of `add-tier` does not hold")
    )));

    let journal = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let report = cutover(&dir, &["report", journal.to_str().unwrap()]).await;
    assert_eq!(report.code, Some(0), "{report:?}");
    assert!(
        report.stdout.contains("Precondition 1 (at "),
        "{}",
        report.stdout
    );
    assert!(
        report
            .stdout
            .contains("did NOT hold — got `1`, expected = 0; the step was skipped"),
        "{}",
        report.stdout
    );
    let json = cutover(
        &dir,
        &["report", journal.to_str().unwrap(), "--format", "json"],
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let audit = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "audit")
        .unwrap();
    assert_eq!(audit["preconditions"][0]["on_fail"], "warn");
    assert_eq!(audit["preconditions"][0]["passed"], false);
}

/// A precondition that writes, an unknown `on_fail`, one on a step kind that takes none, and
/// one PostgreSQL cannot parse: refused by `cutover check`, each where it is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_preconditions_are_refused_before_the_window() {
    let dir = scratch_dir("require-bad");
    let cases = [
        (
            "          - sql: DELETE FROM public.customers\n            expect: 0\n",
            "is not a query: preconditions run read-only",
        ),
        (
            "          - sql: SELECT 1\n            expect: 1\n            on_fail: stop\n",
            "on_fail",
        ),
        (
            "          - sql: SELEC 1\n            expect: 1\n",
            "precondition 1 of `email-not-null`: PostgreSQL cannot parse this",
        ),
        (
            "          - sql: SELECT 1\n",
            "a precondition needs `expect`",
        ),
    ];
    for (require, says) in cases {
        let text = RUNBOOK.replace("NAME", "require_bad").replace(
            "          - sql: SELECT count(*) FROM public.customers WHERE email IS NULL\n            expect: 0\n",
            require,
        );
        let path = write(&dir, "r.yaml", &text);
        let out = cutover(&dir, &["check", path.to_str().unwrap()]).await;
        assert_eq!(out.code, Some(1), "{require}: {out:?}");
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains(says), "{require}: {said}");
        assert!(said.contains("r.yaml:"), "points at the file: {said}");
    }
    let manual = "name: m\nwindow: { budget: 1h }\nphases:\n  - id: p\n    kind: preparation\n    budget: 1h\n    steps:\n      - manual: tell\n        prompt: Tell the team\n        require:\n          - sql: SELECT 1\n            expect: 1\n";
    let path = write(&dir, "m.yaml", manual);
    let out = cutover(&dir, &["check", path.to_str().unwrap()]).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(
        said.contains("`require` belongs to migrate steps, not manual steps"),
        "{said}"
    );
}
