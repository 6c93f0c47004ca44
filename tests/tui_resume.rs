//! `cutover run --resume` in the TUI, end to end in a pseudo-terminal: the restored run is
//! shown first, nothing is started by a stray key or by leaving, and Enter continues it.
//! (The summary's content and the keys are covered in detail, without a terminal, in
//! tests/tui.rs.)

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::pty::{self, Spawn, keys};
use cutover::events::{Event, Outcome};
use std::path::Path;

const RUNBOOK: &str = r#"
name: gated
title: Gated window
window: { budget: 30m }
phases:
  - id: prep
    kind: preparation
    budget: 10m
    steps:
      - migrate: 001_create
        sql: CREATE TABLE before_the_gate (id int);
      - checkpoint: go-on
        prompt: Continue past the gate?
        questions: [Is everyone ready?]
      - migrate: 002_create
        sql: CREATE TABLE after_the_gate (id int);
"#;

fn events(journal: &Path) -> Vec<Event> {
    cutover::journal::replay(journal)
        .expect("the journal is readable")
        .entries
        .into_iter()
        .map(|e| e.event)
        .collect()
}

fn tui(dir: &Path, url: &str, journal: &Path) -> pty::Pty {
    Spawn::new([
        "run",
        "gated.yaml",
        "--resume",
        "--operator",
        "bob",
        "--journal",
    ])
    .arg(journal)
    .env("CUTOVER_DATABASE_URL", url)
    .cwd(dir)
    .spawn()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_shows_the_restored_run_and_starts_only_on_enter() {
    let url = common::fresh_db("tui_resume").await;
    let dir = common::scratch_dir("tui-resume");
    common::write(&dir, "gated.yaml", RUNBOOK);
    let journal = dir.join("runs/gated.jsonl");

    // Attempt 1 (headless, nobody approves): 001 applied, halted at the gate.
    let first = std::process::Command::new(common::binary())
        .args(["run", "gated.yaml", "--headless", "--operator", "alice"])
        .arg("--journal")
        .arg(&journal)
        .current_dir(&dir)
        .env("CUTOVER_DATABASE_URL", &url)
        .output()
        .expect("run cutover headless");
    assert_eq!(
        first.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let halted = events(&journal);

    // Resuming shows what happened; stray keys and leaving start nothing.
    let mut t = tui(&dir, &url, &journal);
    let screen = t.wait_until("the resume summary", pty::TIMEOUT, |s| {
        s.contains("RESUMING RUN gated-") && s.contains("continue the run")
    });
    assert!(
        screen.contains("at gate go-on: no decision was given"),
        "{screen}"
    );
    assert!(screen.contains("001_create"), "{screen}");
    assert!(screen.contains("HALTED"), "{screen}");
    t.send_keys(&[" ", "g", "y", "x"]);
    t.wait_for("not continued yet", pty::TIMEOUT);
    assert_eq!(events(&journal), halted, "nothing ran");
    t.send("q");
    assert_eq!(t.wait_exit(pty::TIMEOUT), 6);
    assert!(t.screen_text().contains("left without continuing the run"));
    assert_eq!(events(&journal), halted, "nothing ran");
    drop(t);

    // Enter continues: the engine resumes the run, skips what is applied, asks the gate.
    let mut t = tui(&dir, &url, &journal);
    t.wait_for("RESUMING RUN gated-", pty::TIMEOUT);
    t.send(keys::ENTER);
    t.wait_until("the gate, asked again", pty::TIMEOUT, |s| {
        s.contains("decision needed") && !s.contains("RESUMING RUN")
    });
    let resumed = events(&journal);
    assert!(
        resumed[halted.len()..]
            .iter()
            .any(|e| matches!(e, Event::RunStarted { resumed: true, .. }))
    );
    assert!(resumed[halted.len()..].iter().any(|e| matches!(
        e,
        Event::StepSkipped { step, .. } if step == "001_create"
    )));
    // Tick, go, confirm: the run completes.
    t.send(" ");
    t.send("g");
    t.wait_for("Confirm GO", pty::TIMEOUT);
    t.send("y");
    t.wait_for("SUCCEEDED", pty::TIMEOUT);
    t.send("q");
    assert_eq!(t.wait_exit(pty::TIMEOUT), 0);
    assert!(matches!(
        events(&journal).last(),
        Some(Event::RunFinished {
            outcome: Outcome::Succeeded,
            ..
        })
    ));
}
