//! `cutover run` flags that would answer for the operator are refused in the TUI (before
//! anything connects), not silently ignored.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn approve_given_to_the_tui_is_refused_with_the_reason() {
    for flags in [
        &["--approve", "go-live"][..],
        &["--approve-all"][..],
        &[
            "--override-failed-checks",
            "go-live",
            "--override-reason",
            "x",
        ][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("run")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/demo.yaml"))
            .args(flags)
            // Nothing may connect: a URL that cannot work proves it.
            .env("CUTOVER_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .output()
            .expect("run cutover");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(
            stderr.contains(flags[0]) && stderr.contains("--headless"),
            "{flags:?}: {stderr}"
        );
        assert!(!stderr.contains("connect"), "{flags:?}: {stderr}");
    }
}

#[test]
fn an_override_without_a_reason_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("run")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/demo.yaml"))
        .args(["--headless", "--override-failed-checks", "go-live"])
        .env("CUTOVER_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run cutover");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--override-reason"), "{stderr}");
}
