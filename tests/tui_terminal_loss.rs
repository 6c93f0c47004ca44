//! The operator's terminal disappears while the TUI waits at a gate, and no SIGHUP reaches
//! cutover: a killed tmux server or terminal emulator closes the pty master, the kernel
//! hangs the terminal up and signals only the session leader, and the shell in between
//! neither dies of it nor passes it on. cutover must notice the dead terminal itself, stop
//! the run cleanly (resumable, journal intact) and exit — not spin on the dead tty forever.
//!
//! The shared pty harness (`common::pty`) cannot close a terminal without killing the
//! process in it (its Drop kills first, and the master is private), so this test drives
//! portable-pty and vt100 itself.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cutover::events::{Event, Outcome};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::Read;
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Generous: a loaded 2-core machine and a debug build.
const DEADLINE: Duration = Duration::from_secs(90);

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

/// The parent pid of a process, from /proc (None once it is gone or reaped).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The state letter of a process (R, S, Z, ...), for diagnostics.
fn state_of(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next().map(str::to_owned)
}

fn child_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| parent_of(pid) == Some(parent))
}

fn alive(pid: u32) -> bool {
    state_of(pid).is_some_and(|s| s != "Z")
}

fn kill9(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

/// The journal's events, without the gate's evidence that follows it (`rollback_outlook`,
/// and the look at the server, `server_activity`, journaled again whenever it changes):
/// whether they are in the journal yet when the screen shows the gate is a matter of timing.
fn events(journal: &Path) -> Vec<Event> {
    cutover::journal::replay(journal)
        .expect("the journal is readable")
        .entries
        .into_iter()
        .map(|e| e.event)
        .filter(|e| {
            !matches!(
                e,
                Event::ServerActivity { .. } | Event::RollbackOutlook { .. }
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_closed_without_sighup_stops_the_run_and_cutover_exits() {
    let url = common::fresh_db("terminal_loss").await;
    let dir = common::scratch_dir("terminal-loss");
    let runbook = common::write(&dir, "gated.yaml", RUNBOOK);
    let journal = dir.join("runs/gated.jsonl");
    let exit_file = dir.join("cutover-exit-code");

    // sh is the session leader on the pty, the only process the kernel sends SIGHUP to on
    // a hang-up; it ignores it, so it neither dies (a dying session leader would SIGHUP its
    // foreground group) nor passes it on. cutover runs as its child and learns of the
    // hang-up only from the terminal. sh records cutover's exit code in a file.
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 48,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new("/bin/sh");
    cmd.args([
        "-c",
        r#"trap '' HUP; "$0" "$@"; echo $? > "$CUTOVER_TEST_EXIT_FILE""#,
    ]);
    cmd.arg(env!("CARGO_BIN_EXE_cutover"));
    cmd.arg("run");
    cmd.arg(&runbook);
    cmd.args(["--operator", "tester", "--journal"]);
    cmd.arg(&journal);
    cmd.cwd(&dir);
    cmd.env("TERM", "xterm-256color");
    cmd.env("CUTOVER_DATABASE_URL", &url);
    cmd.env("CUTOVER_TEST_EXIT_FILE", &exit_file);
    let mut sh = pair.slave.spawn_command(cmd).expect("spawn sh in the pty");
    drop(pair.slave);
    let sh_pid = sh.process_id().expect("sh has a pid");

    // The screen, read by a thread that lets go of its master fd after the first read
    // once `closing` is set (the TUI redraws its clock every second). No writer is taken:
    // portable-pty's writer types "\n" and EOF into the terminal when dropped.
    let screen = Arc::new(Mutex::new(vt100::Parser::new(
        NonZeroU16::new(48).expect("rows"),
        NonZeroU16::new(160).expect("cols"),
        0,
    )));
    let closing = Arc::new(AtomicBool::new(false));
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let reader_thread = {
        let screen = Arc::clone(&screen);
        let closing = Arc::clone(&closing);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                screen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .process(&buf[..n]);
                if closing.load(Ordering::SeqCst) {
                    return; // drops the last master fd
                }
            }
        })
    };
    let text = || {
        screen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .screen()
            .contents()
    };

    // The TUI waits at the gate.
    let deadline = Instant::now() + DEADLINE;
    while !text().contains("decision needed") {
        assert!(
            Instant::now() < deadline && !reader_thread.is_finished(),
            "the gate never showed:\n{}",
            text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let cutover_pid = child_of(sh_pid).expect("cutover runs as sh's child");
    let before = events(&journal);
    assert!(
        matches!(before.last(), Some(Event::CheckpointReached { step, .. }) if step == "go-on"),
        "{before:?}"
    );

    // The terminal closes: every master fd goes, nobody signals cutover.
    closing.store(true, Ordering::SeqCst);
    drop(pair.master);
    let deadline = Instant::now() + DEADLINE;
    while !reader_thread.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the pty reader never let go of the terminal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = reader_thread.join();

    // cutover stops the run and exits on its own.
    let deadline = Instant::now() + DEADLINE;
    while alive(cutover_pid) || !exit_file.exists() {
        if Instant::now() >= deadline {
            let state = state_of(cutover_pid);
            let tail = events(&journal);
            kill9(cutover_pid);
            let _ = sh.kill();
            panic!(
                "cutover (pid {cutover_pid}, state {state:?}) did not exit within {DEADLINE:?} after its terminal closed; journal tail: {:?}",
                &tail[tail.len().saturating_sub(3)..]
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = sh.wait();
    let code = std::fs::read_to_string(&exit_file).expect("exit code file");
    assert_eq!(
        code.trim(),
        "6",
        "exit code 6: interrupted, resumable (the terminal loss, not a crash or a panic)"
    );

    // The journal ends with a clean, resumable stop, for the terminal's reason (no SIGHUP).
    let after = events(&journal);
    assert_eq!(&after[..before.len()], &before[..], "the journal only grew");
    let tail: Vec<&Event> = after[before.len()..].iter().collect();
    assert!(
        matches!(
            tail.as_slice(),
            [Event::Cancelled { reason }, Event::RunFinished { outcome: Outcome::Interrupted, .. }]
                if reason == "the terminal was closed"
        ),
        "{tail:?}"
    );

    // The database agrees, and the run continues from the gate.
    let client = common::connect(&url).await;
    let outcome: Option<String> = client
        .query_one(
            "SELECT outcome FROM cutover.runs WHERE runbook = 'gated'",
            &[],
        )
        .await
        .expect("the run is recorded")
        .get(0);
    assert_eq!(outcome.as_deref(), Some("interrupted"));
    let resumed = tokio::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("run")
        .arg(&runbook)
        .args([
            "--headless",
            "--resume",
            "--approve-all",
            "--operator",
            "tester",
        ])
        .arg("--journal")
        .arg(&journal)
        .current_dir(&dir)
        .env("CUTOVER_DATABASE_URL", &url)
        .output()
        .await
        .expect("run cutover --resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let done = events(&journal);
    assert!(
        done.iter()
            .any(|e| matches!(e, Event::StepSkipped { step, .. } if step == "001_create"))
    );
    assert!(matches!(
        done.last(),
        Some(Event::RunFinished {
            outcome: Outcome::Succeeded,
            ..
        })
    ));
}
