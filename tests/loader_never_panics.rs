//! Deterministic mutation fuzzing: whatever the runbook text, loading and planning it
//! (and rendering what comes out) yields a model or diagnostics, never a panic.
//!
//! Seeds are a few valid runbooks written here plus every `runbooks/*.yaml`. Each is
//! mutated with a fixed-seed xorshift generator (delete, duplicate and swap lines, insert
//! random bytes or YAML punctuation, truncate, re-indent, replace values, add keys and
//! dependencies). The small inline seeds get a few thousand mutants each; the real
//! runbooks, which cost 10-100 ms per mutant in a debug build (YAML parse and SQL
//! analysis), get a share proportional to their size so the test stays under ~20 s.
//! `CUTOVER_FUZZ_SCALE=10` multiplies every count for a longer run.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Mutants per inline seed.
const INLINE_ITERATIONS: usize = 2500;
/// Mutants per `runbooks/*.yaml` seed: this many bytes of runbook text in total.
const FILE_SEED_BYTES: usize = 1_000_000;
const MIN_FILE_ITERATIONS: usize = 40;

/// xorshift64*: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// Fragments that YAML, the runbook format or SQL give meaning to.
const PUNCTUATION: [&str; 48] = [
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!int ",
    "!",
    "|",
    ">",
    "|-",
    ">+",
    "'",
    "\"",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\t",
    "\r",
    "\n",
    "  ",
    "~",
    "null",
    "true",
    "-1",
    "0",
    "99999999999999999999",
    "1e400",
    "${",
    "${DB_HOST}",
    "${UNSET_VAR}",
    "$$",
    "\u{0}",
    "\u{feff}",
    "é",
    "💥",
    "+1h",
    "25:61",
    ";",
];

/// Values a runbook key might be given.
const VALUES: [&str; 40] = [
    "",
    "~",
    "0",
    "-1",
    "1",
    "2",
    "4",
    "true",
    "false",
    "30",
    "30s",
    "5m",
    "1h30m",
    "0s",
    "30 mins",
    "\"08:30\"",
    "\"23:59\"",
    "+2h",
    "+0s",
    "[]",
    "{}",
    "[a, b]",
    "{gt: 1}",
    "{between: [1, 5]}",
    "{between: [5, 1]}",
    "{rows: 3}",
    "{empty: true}",
    "{eq: null}",
    "|\n  BEGIN;\n  COMMIT;",
    "CREATE INDEX CONCURRENTLY i ON t (c)",
    "VACUUM t",
    "DELETE FROM t",
    "migrations/001.sql",
    "../../../etc/passwd",
    "postgres://u:p@h/db",
    "${DB_HOST}",
    "always",
    "never",
    "auto",
    "verification",
];

/// Keys worth adding in random places.
const KEYS: [&str; 24] = [
    "depends_on",
    "parallel",
    "start",
    "budget",
    "transaction",
    "expect",
    "alert",
    "every",
    "sql",
    "file",
    "rollback",
    "breaking",
    "questions",
    "prompt",
    "run",
    "kind",
    "id",
    "expected_duration",
    "migrate",
    "check",
    "checkpoint",
    "probe",
    "severity",
    "lock_retries",
];

fn char_floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Ids of the steps in a seed, so a mutation can wire up surprising dependencies.
fn ids_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix("- ")?;
            let (kind, id) = l.split_once(':')?;
            let known = [
                "migrate",
                "check",
                "probe",
                "manual",
                "command",
                "checkpoint",
            ];
            known
                .contains(&kind.trim())
                .then(|| id.trim().to_owned())
                .filter(|id| !id.is_empty())
        })
        .collect()
}

fn mutate(text: &str, ids: &[String], rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let n = lines.len().max(1);
    match rng.below(12) {
        // Delete a line.
        0 => {
            if !lines.is_empty() {
                lines.remove(rng.below(lines.len()));
            }
        }
        // Duplicate a line.
        1 => {
            let i = rng.below(n).min(lines.len().saturating_sub(1));
            if let Some(line) = lines.get(i).cloned() {
                lines.insert(i, line);
            }
        }
        // Swap two lines.
        2 => {
            if lines.len() > 1 {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(a, b);
            }
        }
        // Re-indent a line.
        3 => {
            if let Some(line) = lines.get_mut(rng.below(n)) {
                let spaces = line.len() - line.trim_start_matches(' ').len();
                let keep = line.trim_start_matches(' ').to_owned();
                let new = match rng.below(4) {
                    0 => spaces.saturating_sub(2),
                    1 => spaces + 2,
                    2 => rng.below(12),
                    _ => spaces.saturating_sub(1),
                };
                *line = format!("{}{keep}", " ".repeat(new));
            }
        }
        // Replace the value of a `key: value` line.
        4 => {
            if let Some(line) = lines.get_mut(rng.below(n))
                && let Some(colon) = line.find(": ")
            {
                let value = rng.pick(&VALUES);
                line.truncate(colon + 2);
                line.push_str(value);
            }
        }
        // Add a key somewhere, at the indentation of the line before.
        5 => {
            let i = rng.below(n);
            let indent = lines
                .get(i)
                .map_or(0, |l| l.len() - l.trim_start_matches([' ', '-']).len());
            let key = rng.pick(&KEYS);
            let value = rng.pick(&VALUES);
            lines.insert(
                i.min(lines.len()),
                format!("{}{key}: {value}", " ".repeat(indent)),
            );
        }
        // Point a dependency at a random step (cycles, forward and cross-phase edges),
        // written under a step header so that it often still loads.
        6 => {
            let headers: Vec<usize> = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    ids.iter()
                        .any(|id| l.trim_end().ends_with(&format!(": {id}")))
                })
                .filter(|(_, l)| l.trim_start().starts_with("- "))
                .map(|(i, _)| i)
                .collect();
            if !headers.is_empty() && !ids.is_empty() {
                let at = headers[rng.below(headers.len())];
                let indent = lines[at].len() - lines[at].trim_start().len() + 2;
                let a = &ids[rng.below(ids.len())];
                let b = &ids[rng.below(ids.len())];
                let deps = if rng.chance(2) {
                    format!("[{a}]")
                } else {
                    format!("[{a}, {b}]")
                };
                lines.insert(at + 1, format!("{}depends_on: {deps}", " ".repeat(indent)));
            }
        }
        // Everything else works on the raw text.
        _ => return mutate_bytes(text, rng),
    }
    lines.join("\n")
}

fn mutate_bytes(text: &str, rng: &mut Rng) -> String {
    let at = char_floor(text, rng.below(text.len() + 1));
    match rng.below(5) {
        // Truncate.
        0 => text[..at].to_owned(),
        // Insert punctuation.
        1 | 2 => {
            let piece = rng.pick(&PUNCTUATION);
            format!("{}{piece}{}", &text[..at], &text[at..])
        }
        // Insert random bytes (made valid UTF-8 the lossy way).
        3 => {
            let count = 1 + rng.below(6);
            let bytes: Vec<u8> = (0..count).map(|_| (rng.next() & 0xff) as u8).collect();
            let mut out = text.as_bytes()[..at].to_vec();
            out.extend_from_slice(&bytes);
            out.extend_from_slice(&text.as_bytes()[at..]);
            String::from_utf8_lossy(&out).into_owned()
        }
        // Delete a short range.
        _ => {
            let end = char_floor(text, at + 1 + rng.below(16));
            format!("{}{}", &text[..at], &text[end..])
        }
    }
}

/// The environment the loader sees: every variable is set except `UNSET_*` (and `EMPTY`,
/// which is set to nothing).
fn env(name: &str) -> Option<String> {
    match name {
        "EMPTY" => Some(String::new()),
        n if n.starts_with("UNSET") => None,
        n => Some(format!("value-of-{n}")),
    }
}

/// Loads, plans and renders one text: whether it loaded, or the panic message.
fn exercise(path: &Path, text: &str) -> Result<bool, String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let loaded = cutover::runbook::load_text(path, text, &env);
        let mut diagnostics = loaded.diagnostics;
        if let Some(runbook) = &loaded.runbook {
            let plan = cutover::plan::plan(runbook);
            let _ = cutover::plan::graph::text(runbook, &plan);
            let _ = cutover::plan::graph::dot(runbook, &plan);
            let _ = cutover::plan::graph::mermaid(runbook, &plan);
            let _ = serde_json::to_string(&plan);
            diagnostics.extend(plan.diagnostics);
        }
        for d in &diagnostics {
            let _ = d.to_string();
            let _ = cutover::diag::render(d, &loaded.sources, false);
        }
        loaded.runbook.is_some()
    }));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "(non-string panic payload)".to_owned())
    })
}

const INLINE_SEEDS: [&str; 3] = [
    r#"name: night-shift
title: "Night shift: orders"
description: >
  Everything the format has, in one place.
window:
  start: 2024-01-31T22:00:00+01:00
  budget: 4h
database:
  url: postgres://app@${DB_HOST}:${DB_PORT:-5432}/shop
defaults:
  lock_timeout: 2s
  statement_timeout: 10m
  lock_retries: 3
  retry_backoff: 250ms
  transaction: auto
  check_timeout: 30s
  command_timeout: 5m
phases:
  - id: prep
    title: Preparation
    kind: preparation
    budget: 30m
    start: "22:00"
    steps:
      - manual: notify
        prompt: Tell the team
        expected_duration: 1m
      - command: backup
        run: [pg_dump, -Fc, -f, backup.dump]
        timeout: 20m
      - check: connections
        sql: SELECT count(*) FROM pg_stat_activity
        expect: {lt: 200}
        severity: warning
        depends_on: [notify]
      - checkpoint: go
        prompt: Go?
        questions: [Backup verified?, Team told?]
  - id: schema
    kind: migration
    budget: 1h
    start: +40m
    parallel: 2
    steps:
      - migrate: 001_add_email
        sql: ALTER TABLE users ADD COLUMN email text
        rollback: ALTER TABLE users DROP COLUMN email
        lock_timeout: 1s
      - migrate: 002_index_email
        sql: |
          CREATE INDEX CONCURRENTLY users_email_idx
              ON users (email);
        rollback: DROP INDEX CONCURRENTLY users_email_idx
        depends_on: [001_add_email]
        expected_duration: 10m
      - migrate: 003_drop_fax
        file: migrations/003_drop_fax.sql
        rollback: migrations/003_drop_fax.down.sql
        breaking: true
        transaction: always
  - id: verify
    kind: verification
    budget: 15m
    steps:
      - check: emails
        sql: "SELECT count(*) FROM users WHERE email IS NULL"
        expect: 0
      - check: range
        sql: SELECT 42
        expect: {between: [1, 100]}
      - check: rows
        sql: SELECT 1 UNION SELECT 2
        expect: {rows: 2}
      - check: none
        file: migrations/orphans.sql
        expect: {empty: true}
  - id: watch
    kind: monitoring
    budget: 15m
    steps:
      - probe: lag
        sql: SELECT 1
        every: 30s
        alert: {gt: 10}
"#,
    r#"name: tiny
window: {budget: 1h}
phases:
  - {id: p, kind: preparation, budget: 5m, steps: [{manual: a, prompt: hi}, {manual: b, prompt: ho, depends_on: [a]}]}
"#,
    r#"# Anchors, aliases, quoting and block scalars.
name: anchors
window:
  budget: 2h
phases:
  - id: schema
    kind: migration
    budget: 1h
    steps:
      - &step
        migrate: a
        sql: >
          ALTER TABLE orders
          ADD COLUMN total numeric;
        rollback: 'ALTER TABLE orders DROP COLUMN total'
      - migrate: b
        sql: |

          BEGIN;
          UPDATE orders SET total = 0;
          COMMIT;
        rollback: SELECT 1
        transaction: never
      - checkpoint: "c"
        prompt: 'It''s time?'
        questions:
          - "Sure?"
          - Really?
"#,
];

fn seeds(scratch: &Path) -> Vec<(PathBuf, String)> {
    let mut seeds: Vec<(PathBuf, String)> = INLINE_SEEDS
        .iter()
        .enumerate()
        .map(|(i, text)| (scratch.join(format!("seed-{i}.yaml")), (*text).to_owned()))
        .collect();
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    if let Ok(entries) = std::fs::read_dir(&runbooks) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        found.sort();
        for path in found {
            if let Ok(text) = std::fs::read_to_string(&path) {
                seeds.push((path, text));
            }
        }
    }
    seeds
}

#[test]
fn loading_and_planning_mutated_runbooks_never_panics() {
    let scratch = std::env::temp_dir().join(format!("cutover-loader-fuzz-{}", std::process::id()));
    let migrations = scratch.join("migrations");
    std::fs::create_dir_all(&migrations).expect("scratch dir");
    for (name, sql) in [
        (
            "003_drop_fax.sql",
            "ALTER TABLE customers DROP COLUMN fax;\n",
        ),
        (
            "003_drop_fax.down.sql",
            "ALTER TABLE customers ADD COLUMN fax text;\n",
        ),
        (
            "orphans.sql",
            "SELECT i.id FROM order_items i LEFT JOIN orders o ON o.id = i.order_id\nWHERE o.id IS NULL;\n",
        ),
    ] {
        std::fs::write(migrations.join(name), sql).expect("write SQL");
    }
    let scale: usize = std::env::var("CUTOVER_FUZZ_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);

    let seeds = seeds(&scratch);
    // The inline seeds must load, or the mutations explore nothing useful. (The
    // runbooks/ seeds are fuzzed whatever state they are in.)
    for (path, text) in seeds.iter().take(INLINE_SEEDS.len()) {
        let loaded = cutover::runbook::load_text(path, text, &env);
        assert!(
            loaded.runbook.is_some(),
            "seed {} does not load:\n{}",
            path.display(),
            loaded
                .diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    // Quiet the default hook while panics are expected to be caught; report ourselves.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    let mut loaded_ok = 0usize;
    let mut total = 0usize;
    'seeds: for (s, (path, original)) in seeds.iter().enumerate() {
        let ids = ids_in(original);
        let mut rng = Rng::new(0xC07_0BE5 + s as u64);
        let iterations = scale
            * if s < INLINE_SEEDS.len() {
                INLINE_ITERATIONS
            } else {
                (FILE_SEED_BYTES / original.len().max(1))
                    .clamp(MIN_FILE_ITERATIONS, INLINE_ITERATIONS)
            };
        let mut current = original.clone();
        let (started, loaded_before) = (std::time::Instant::now(), loaded_ok);
        for i in 0..iterations {
            // Mostly a fresh mutant of the seed; sometimes keep walking from the last one.
            if !rng.chance(3) || current.len() < 16 {
                current = original.clone();
            }
            for _ in 0..1 + rng.below(2) {
                current = mutate(&current, &ids, &mut rng);
            }
            total += 1;
            match exercise(path, &current) {
                Ok(loaded) => loaded_ok += usize::from(loaded),
                Err(message) => {
                    failure = Some((path.clone(), i, message, current.clone()));
                    break 'seeds;
                }
            }
        }
        if std::env::var_os("CUTOVER_FUZZ_VERBOSE").is_some() {
            eprintln!(
                "{}: {iterations} mutants, {} loaded, {:?}",
                path.display(),
                loaded_ok - loaded_before,
                started.elapsed()
            );
        }
    }
    std::panic::set_hook(hook);
    let _ = std::fs::remove_dir_all(&scratch);

    if let Some((path, i, message, text)) = failure {
        panic!(
            "mutant #{i} of {} panicked: {message}\n--- input ({} bytes, {:?}) ---\n{text}\n--- end ---",
            path.display(),
            text.len(),
            text
        );
    }
    // Sanity: the mutations neither always break the runbook nor never do.
    assert!(
        loaded_ok > total / 20 && loaded_ok < total,
        "{loaded_ok} of {total} mutants loaded: the mutator is not exploring"
    );
}

#[test]
fn the_generator_is_deterministic() {
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    let xs: Vec<u64> = (0..8).map(|_| a.next()).collect();
    let ys: Vec<u64> = (0..8).map(|_| b.next()).collect();
    assert_eq!(xs, ys);
    assert!(xs.windows(2).all(|w| w[0] != w[1]));
    let text = INLINE_SEEDS[0];
    let ids = ids_in(text);
    assert!(ids.contains(&"002_index_email".to_owned()), "{ids:?}");
    let mut r1 = Rng::new(1);
    let mut r2 = Rng::new(1);
    assert_eq!(mutate(text, &ids, &mut r1), mutate(text, &ids, &mut r2));
}
