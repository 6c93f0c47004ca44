//! Every runbook shipped in `runbooks/` checks clean and runs end to end, headless, on its
//! own fresh database: `cutover check` exits 0, then `cutover run --headless --approve-all
//! --monitor-for 2s` exits 0 and journals `run_finished: succeeded`.
//!
//! Commands run from the repository root, as a user would (`file:` paths resolve against
//! the runbook's folder or its parent). All failures are collected and reported together,
//! each with the failed steps as the journal tells them.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use cutover::events::{Event, Outcome};
use cutover::journal::replay;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// At least this many runbooks must be there (a glob that silently matches nothing, or a
/// folder that lost its files, must not pass).
const MIN_RUNBOOKS: usize = 5;
/// A runbook that takes longer than this end to end is reported as hanging.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seed_runbooks() -> Vec<PathBuf> {
    let dir = repo().join("runbooks");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    found.sort();
    found
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Checks and runs one runbook; `Err` says precisely what went wrong.
async fn check_and_run(runbook: PathBuf, url: String, journal: PathBuf) -> Result<String, String> {
    let shown = runbook
        .strip_prefix(repo())
        .unwrap_or(&runbook)
        .display()
        .to_string();
    let check = tokio::process::Command::new(common::binary())
        .arg("check")
        .arg(&shown)
        .current_dir(repo())
        .output()
        .await
        .map_err(|e| format!("{shown}: cannot start cutover check: {e}"))?;
    if !check.status.success() {
        return Err(format!(
            "{shown}: `cutover check` exited {}:\n{}{}",
            check.status,
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        ));
    }
    let started = Instant::now();
    let child = tokio::process::Command::new(common::binary())
        .arg("run")
        .arg(&shown)
        .args([
            "--headless",
            "--json",
            "--approve-all",
            "--monitor-for",
            "2s",
        ])
        .arg("--database-url")
        .arg(&url)
        .arg("--journal")
        .arg(&journal)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{shown}: cannot start cutover run: {e}"))?;
    let out = match tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| format!("{shown}: cutover run: {e}"))?,
        Err(_) => {
            return Err(format!(
                "{shown}: `cutover run` did not finish in {RUN_TIMEOUT:?} (journal {})",
                journal.display()
            ));
        }
    };
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let entries = if journal.exists() {
        replay(&journal)
            .map_err(|e| format!("{shown}: cannot read the journal: {e}"))?
            .entries
    } else {
        Vec::new()
    };
    // What went wrong, as the journal tells it.
    let problems: Vec<String> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::StepFailed { step, error } => Some(format!("step `{step}` failed: {error}")),
            Event::CheckResult {
                step,
                passed: false,
                actual,
                expected,
                ..
            } => Some(format!(
                "check `{step}` failed: got {actual}, expected {expected:?}"
            )),
            Event::DecisionRejected { step, reason } => {
                Some(format!("decision at `{step}` rejected: {reason}"))
            }
            Event::RollbackStep {
                step,
                ok: false,
                error,
            } => Some(format!("rollback of `{step}` failed: {error:?}")),
            Event::RunFinished { outcome, message } if *outcome != Outcome::Succeeded => {
                Some(format!(
                    "run finished {}: {}",
                    outcome.as_str(),
                    message.as_deref().unwrap_or("")
                ))
            }
            _ => None,
        })
        .collect();
    let succeeded = entries.iter().any(|e| {
        matches!(
            e.event,
            Event::RunFinished {
                outcome: Outcome::Succeeded,
                ..
            }
        )
    });
    let last_is_success = matches!(
        entries.last().map(|e| &e.event),
        Some(Event::RunFinished {
            outcome: Outcome::Succeeded,
            ..
        })
    );
    if !out.status.success() || !succeeded || !last_is_success {
        return Err(format!(
            "{shown}: `cutover run` exited {} after {:.1}s; journal {} has run_finished succeeded: {succeeded}\n  {}\n  stderr: {}\n  last output:\n{}",
            out.status,
            elapsed.as_secs_f64(),
            journal.display(),
            if problems.is_empty() {
                "(no failed step in the journal)".to_owned()
            } else {
                problems.join("\n  ")
            },
            tail(&stderr, 10),
            tail(&String::from_utf8_lossy(&out.stdout), 8)
        ));
    }
    Ok(format!(
        "{shown}: ok in {:.1}s ({} events)",
        elapsed.as_secs_f64(),
        entries.len()
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_runbook_checks_and_runs_end_to_end() {
    let runbooks = seed_runbooks();
    let names: Vec<String> = runbooks
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        runbooks.len() >= MIN_RUNBOOKS,
        "expected at least {MIN_RUNBOOKS} runbooks in runbooks/, found {}: {names:?}",
        runbooks.len()
    );
    let dir = common::scratch_dir("seed");
    // Each runbook on its own database, all at once (they mostly wait on the server).
    let mut tasks = tokio::task::JoinSet::new();
    for runbook in runbooks {
        let stem = runbook.file_stem().unwrap().to_string_lossy().into_owned();
        let url = common::fresh_db(&format!("seed_{stem}")).await;
        let journal = dir.join(format!("{stem}.jsonl"));
        tasks.spawn(check_and_run(runbook, url, journal));
    }
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("runbook task panicked") {
            Ok(line) => ok.push(line),
            Err(problem) => failed.push(problem),
        }
    }
    ok.sort();
    failed.sort();
    eprintln!("{}", ok.join("\n"));
    assert!(
        failed.is_empty(),
        "{} of {} seed runbooks failed:\n\n{}",
        failed.len(),
        names.len(),
        failed.join("\n\n")
    );
}

/// The hazard the seed runbooks first ran into: cutover creates a schema called `cutover` in
/// the target database before the first migration, and PostgreSQL's default search_path is
/// `"$user", public`. When the connecting role is named `cutover` (as in scripts/
/// with-scratch-pg, and a likely name for a dedicated migration role), unqualified CREATEs
/// in a runbook landed in cutover's tracking schema instead of `public`. (With any other
/// role name this passes trivially.)
#[tokio::test]
async fn unqualified_tables_are_not_created_in_the_tracking_schema() {
    let url = common::fresh_db("schema_collision").await;
    let dir = common::scratch_dir("schema-collision");
    let runbook = common::write(
        &dir,
        "collision.yaml",
        "name: collision\nwindow:\n  budget: 1h\nphases:\n  - id: migrations\n    kind: migration\n    budget: 10m\n    steps:\n      - migrate: create-widgets\n        sql: CREATE TABLE widgets (id int PRIMARY KEY)\n        rollback: DROP TABLE widgets\n",
    );
    let out = tokio::process::Command::new(common::binary())
        .arg("run")
        .arg(&runbook)
        .args(["--headless", "--approve-all", "--database-url", &url])
        .arg("--journal")
        .arg(dir.join("collision.jsonl"))
        .output()
        .await
        .expect("run cutover");
    assert!(
        out.status.success(),
        "cutover run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = common::connect(&url).await;
    let row = client
        .query_one(
            "SELECT current_user::text, (SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'widgets')",
            &[],
        )
        .await
        .unwrap();
    let (user, schema): (String, Option<String>) = (row.get(0), row.get(1));
    assert_eq!(
        schema.as_deref(),
        Some("public"),
        "connected as role `{user}`, the runbook's `CREATE TABLE widgets` was created in schema {schema:?}"
    );
}

/// What is left of that hazard: the fix strips `"$user"` from the search_path of the
/// connection that runs migrations only. Checks (their own read-only connections) and probes
/// (the monitor connection) still resolve unqualified names through `"$user"` first, so for
/// a role named `cutover` a check on the user's own `runs`, `steps` or `decisions` table
/// silently reads cutover's tracking table of that name instead: here `SELECT count(*)
/// FROM runs` gets 1 (cutover.runs) instead of 3 (public.runs), and the critical check fails
/// on the wrong data (or could pass on it).
#[tokio::test]
async fn checks_read_the_users_tables_not_the_tracking_tables() {
    let url = common::fresh_db("check_shadow").await;
    let dir = common::scratch_dir("check-shadow");
    let runbook = common::write(
        &dir,
        "shadow.yaml",
        "name: shadow\nwindow:\n  budget: 1h\nphases:\n  - id: migrations\n    kind: migration\n    budget: 10m\n    steps:\n      - migrate: create-runs\n        sql: |\n          CREATE TABLE runs (id int PRIMARY KEY);\n          INSERT INTO runs VALUES (1), (2), (3);\n        rollback: DROP TABLE runs\n  - id: verify\n    kind: verification\n    budget: 10m\n    steps:\n      - check: three-runs\n        sql: SELECT count(*) FROM runs\n        expect: { eq: 3 }\n",
    );
    let journal = dir.join("shadow.jsonl");
    let out = tokio::process::Command::new(common::binary())
        .arg("run")
        .arg(&runbook)
        .args(["--headless", "--approve-all", "--database-url", &url])
        .arg("--journal")
        .arg(&journal)
        .output()
        .await
        .expect("run cutover");
    assert!(
        out.status.success(),
        "cutover run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = replay(&journal)
        .expect("journal")
        .entries
        .into_iter()
        .find_map(|e| match e.event {
            Event::CheckResult { passed, actual, .. } => Some((passed, actual)),
            _ => None,
        })
        .expect("a check_result event");
    assert!(
        result.0,
        "`SELECT count(*) FROM runs` got {} (public.runs has 3 rows)",
        result.1
    );
}
