//! A password drawn from the journal's own vocabulary — a JSON key, a step id, a digit, a word
//! of the narration — never costs a run, a name or a journal line, and never shows where it
//! entered: the target (a user named like the password), the server's words, a check's result,
//! a command's output. Run on a real PostgreSQL with a role that has that password.
//!
//! The passwords are the ones users reported (`event`, `bars`, `2026`, …) plus a random draw
//! from the words of a real journal and its narration; the seed is printed, and
//! `CUTOVER_SECRET_SEED=N` replays a draw.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::cli::{Output, cutover, cutover_command};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const MASK: &str = "********";

/// Words a role may not be named, and the test server's own role.
fn usable_role_name(word: &str) -> bool {
    let reserved = [
        "public",
        "none",
        "current_user",
        "session_user",
        "current_role",
        "postgres",
    ];
    let admin = admin_user();
    !word.is_empty()
        && word.len() < 60
        && !word.starts_with("pg_")
        && !reserved.contains(&word.to_ascii_lowercase().as_str())
        && word != admin
}

fn admin_user() -> String {
    let url = common::admin_url();
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let userinfo = rest.split('@').next().unwrap_or("");
    userinfo.split(':').next().unwrap_or("").to_owned()
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A step id, runbook name or operator that contains the password, when the password can be
/// part of an identifier; otherwise a plain one.
fn with_word(word: &str, prefix: &str, suffix: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        format!("{prefix}{word}{suffix}")
    } else {
        format!("{prefix}plain{suffix}")
    }
}

struct Case {
    password: String,
    role: String,
    runbook: String,
    step: String,
    operator: String,
}

impl Case {
    fn new(password: &str, n: usize) -> Case {
        let role = if usable_role_name(password) {
            password.to_owned()
        } else {
            format!("secret_role_{n}")
        };
        Case {
            password: password.to_owned(),
            role,
            runbook: with_word(password, "", "-gen-window"),
            step: with_word(password, "", "-seed"),
            operator: with_word(password, "op-", ""),
        }
    }
}

/// Creates the role (the password as its password and, where allowed, as its name) and a
/// database it owns; returns the URL to run with, the password in it percent-encoded.
async fn provision(case: &Case, n: usize) -> (String, String) {
    let admin = common::connect(&common::admin_url()).await;
    let db = format!("secrets_{}_{n}", std::process::id());
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .await
        .unwrap();
    // A role left by an interrupted earlier run owns its databases: drop those first.
    let owned: Vec<String> = admin
        .query(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1",
            &[&case.role],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for old in owned {
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&old)
            ))
            .await
            .unwrap();
    }
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&case.role)))
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}",
            quote_ident(&case.role),
            quote_literal(&case.password)
        ))
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {db} OWNER {}",
            quote_ident(&case.role)
        ))
        .await
        .unwrap();
    let admin_url = common::admin_url();
    let host = admin_url
        .split('@')
        .nth(1)
        .and_then(|h| h.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_owned();
    let url = format!(
        "postgres://{}:{}@{host}/{db}",
        percent_encoded(&case.role),
        percent_encoded(&case.password)
    );
    (url, db)
}

async fn drop_role(case: &Case, db: &str) {
    let admin = common::connect(&common::admin_url()).await;
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .await;
    let _ = admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&case.role)))
        .await;
}

fn write_runbook(dir: &Path, case: &Case) -> std::path::PathBuf {
    let text = format!(
        r#"name: {runbook}
title: Window for {runbook}
window:
  budget: 1h
phases:
  - id: main
    kind: migration
    budget: 30m
    steps:
      - command: show-env
        run: [sh, -c, "echo pw=$PGPASSWORD"]
      - migrate: {step}
        sql: |
          DO $$ BEGIN RAISE NOTICE 'connected as %', current_user; END $$;
          DO $$ BEGIN RAISE NOTICE 'secret is %', current_setting('app.secret'); END $$;
          CREATE TABLE seeded (n int);
        rollback: DROP TABLE seeded
      - check: who
        sql: SELECT current_setting('app.secret')
        expect: nobody
        severity: warning
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#,
        runbook = case.runbook,
        step = case.step,
    );
    common::write(dir, "runbook.yaml", &text)
}

/// Every place the password entered, unmasked: none of these may appear anywhere.
fn leaks(case: &Case) -> Vec<String> {
    let p = &case.password;
    let mut leaks = vec![
        format!("pw={p}"),
        format!("secret is {p}"),
        format!("\"actual\":\"{p}\""),
    ];
    if case.role == case.password {
        leaks.push(format!("connected as {p}"));
        leaks.push(format!("{p}@127.0.0.1"));
    }
    leaks
}

fn assert_no_leak(case: &Case, what: &str, text: &str) {
    for leak in leaks(case) {
        assert!(
            !text.contains(&leak),
            "password {:?}: {what} shows `{leak}`:\n{text}",
            case.password
        );
    }
}

/// All string values of a JSON document, joined: what a reader of the values sees.
fn strings_of(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push_str(k);
                out.push('\n');
                strings_of(v, out);
            }
        }
        _ => {}
    }
}

async fn run_case(case: &Case, n: usize) {
    let (url, db) = provision(case, n).await;
    let admin = common::connect(&common::admin_url()).await;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} SET app.secret = {}",
            quote_literal(&case.password)
        ))
        .await
        .unwrap();
    let dir = common::scratch_dir(&format!("secrets-{n}"));
    let path = write_runbook(&dir, case);
    let journal = dir.join("run.jsonl");
    let mut cmd = cutover_command(&dir, &[]);
    cmd.args([
        "run",
        path.to_str().unwrap(),
        "--headless",
        "--approve-all",
        "--operator",
        &case.operator,
        "--database-url",
        &url,
        "--journal",
        journal.to_str().unwrap(),
    ])
    .env("PGPASSWORD", &case.password);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("cutover finished")
        .unwrap();
    let out = Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let who = format!("password {:?}", case.password);
    assert_eq!(out.code, Some(0), "{who}: the run succeeds: {out:?}");
    assert_no_leak(case, "the headless output", &out.stdout);
    assert_no_leak(case, "the headless errors", &out.stderr);
    // The leak channels were exercised, and masked.
    assert!(
        out.stdout.contains(&format!("pw={MASK}")),
        "{who}: command output masked: {out:?}"
    );

    // The journal is whole, every line parses, and every name is intact.
    let replayed = cutover::journal::replay(&journal).expect("journal readable");
    assert!(
        replayed.unreadable.is_empty(),
        "{who}: unreadable journal lines {:?}",
        replayed.unreadable
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut values = String::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{who}: journal line is not JSON ({e}): {line}"));
        strings_of(&v, &mut values);
    }
    assert_no_leak(case, "the journal", &values);
    assert_no_leak(case, "the journal", &text);
    let report = cutover::report::build(&replayed.entries, &replayed.unreadable);
    assert_eq!(
        report.summary.operator.as_deref(),
        Some(case.operator.as_str()),
        "{who}: operator named"
    );
    assert_eq!(
        report.summary.runbook.as_deref(),
        Some(case.runbook.as_str()),
        "{who}: runbook named"
    );
    assert_eq!(
        report.summary.title.as_deref(),
        Some(format!("Window for {}", case.runbook).as_str()),
        "{who}: title intact"
    );
    let target = report.summary.target.clone().unwrap_or_default();
    assert!(
        !target.contains(&format!("{}@", case.role)) || case.role != case.password,
        "{who}: the target masks a user named like the password: {target}"
    );
    let actual: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.step == "who")
        .map(|c| c.actual.as_str())
        .collect();
    assert_eq!(actual.len(), 1, "{who}: one check result");
    assert!(
        !actual[0].contains(&case.password),
        "{who}: the check's result shows the password: {actual:?}"
    );
    // A number-like setting reads back as a number (`02` is 2), which is not the password.
    if case.password.parse::<f64>().is_err() {
        assert_eq!(actual, vec![MASK], "{who}: the check's result is masked");
    }
    assert!(report.step(&case.step).is_some(), "{who}: step id intact");
    assert_eq!(
        report.summary.counts.steps_applied, 1,
        "{who}: {:?}",
        report.summary
    );

    for format in ["md", "json", "html"] {
        let r = cutover(
            &dir,
            &["report", journal.to_str().unwrap(), "--format", format],
        )
        .await;
        assert_eq!(r.code, Some(0), "{who}: {r:?}");
        assert!(
            r.stdout.contains(&case.runbook),
            "{who}: the {format} report names the runbook"
        );
        assert!(
            r.stdout.contains(&case.operator),
            "{who}: the {format} report names the operator"
        );
        // Markdown escapes the mask's `*` as `\*`: read the text, not its escapes (a
        // password `\` would otherwise seem to follow "secret is ").
        let shown = if format == "md" {
            r.stdout.replace("\\*", "*")
        } else {
            r.stdout.clone()
        };
        assert_no_leak(case, &format!("the {format} report"), &shown);
    }

    // status and history, and what the watcher reads (the mirrored events).
    let status = cutover(
        &dir,
        &["status", path.to_str().unwrap(), "--database-url", &url],
    )
    .await;
    assert_eq!(status.code, Some(0), "{who}: {status:?}");
    assert!(status.stdout.contains(&case.step), "{who}: {status:?}");
    assert_no_leak(case, "status", &status.stdout);
    let history = cutover(&dir, &["history", "--database-url", &url]).await;
    assert_eq!(history.code, Some(0), "{who}: {history:?}");
    assert!(history.stdout.contains(&case.runbook), "{who}: {history:?}");
    assert!(
        history.stdout.contains(&case.operator),
        "{who}: {history:?}"
    );
    assert_no_leak(case, "history", &history.stdout);
    let owner = common::connect(&{
        let (base, _) = common::admin_url()
            .rsplit_once('/')
            .map(|(b, d)| (b.to_owned(), d.to_owned()))
            .unwrap();
        format!("{base}/{db}")
    })
    .await;
    let mirrored: Vec<serde_json::Value> = owner
        .query("SELECT event FROM cutover.events ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!mirrored.is_empty(), "{who}: events mirrored for watch");
    let mut watched = String::new();
    for v in &mirrored {
        strings_of(v, &mut watched);
    }
    assert!(
        watched.contains(&case.step),
        "{who}: step id intact for watch"
    );
    assert_no_leak(case, "the mirrored events (watch)", &watched);
    drop(owner);
    drop_role(case, &db).await;
}

/// A small deterministic generator (no dependency for one test).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Words of a real journal (keys, ids, digits, values) and of the narration.
fn vocabulary() -> Vec<String> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journals");
    let mut words = BTreeSet::new();
    for name in ["complete", "rolled_back"] {
        let text = std::fs::read_to_string(fixtures.join(format!("{name}.jsonl"))).unwrap();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            if !word.is_empty() && word.len() <= 20 {
                words.insert(word.to_owned());
            }
        }
    }
    for word in [
        "applied", "finished", "started", "go", "rollback", "ms", "ok", "rows", "step", "seq",
        "ts", "id", "0", "1", "12", "2026", ":", "\",\"", "\\",
    ] {
        words.insert(word.to_owned());
    }
    words.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_from_the_journal_s_own_vocabulary_never_costs_a_run_a_name_or_a_line() {
    let seed = std::env::var("CUTOVER_SECRET_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("password draw seed: {seed} (replay with CUTOVER_SECRET_SEED={seed})");
    let vocabulary = vocabulary();
    let mut rng = XorShift(seed);
    let mut passwords: Vec<String> = [
        "event", "bars", "2026", "step", "id", "ok", "\":", ":", "\\",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    while passwords.len() < 15 {
        let word = &vocabulary[(rng.next() % vocabulary.len() as u64) as usize];
        if !passwords.contains(word) && usable_role_name(word) {
            passwords.push(word.clone());
        }
    }
    for (n, password) in passwords.iter().enumerate() {
        eprintln!("password {password:?}");
        run_case(&Case::new(password, n), n).await;
    }
}
