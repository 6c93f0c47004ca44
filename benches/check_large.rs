//! `cutover check` on generated runbooks of 10,000 and 50,000 migrations: load (YAML with
//! spans) and plan (DAG, ordering, SQL analysis), in-process. Prints wall time and the
//! process's peak memory, and the 50,000-step time as a ratio of five times the 10,000-step
//! one measured in the same run (1.0 = linear). Targets: 50,000 steps in < 2 s and < 200 MB.
//! Then `check` of the realistic corpus (tests/corpus: 200+ migrations with their downs), as a
//! ratio of PostgreSQL's parser alone reading the same SQL in the same run (the floor: what
//! check adds on top of parsing). It never fails on time.
//!
//!   cargo bench --bench check_large

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::path::Path;
use std::time::{Duration, Instant};

fn runbook(dir: &Path, steps: usize) -> std::path::PathBuf {
    let mut text = String::with_capacity(steps * 110);
    text.push_str("name: big\nwindow:\n  budget: 200h\nphases:\n  - id: m\n    kind: migration\n    budget: 190h\n    steps:\n");
    for i in 0..steps {
        text.push_str(&format!(
            "      - migrate: s{i}\n        sql: CREATE TABLE t{i} (id int)\n        rollback: DROP TABLE t{i}\n"
        ));
        if i > 0 && i % 10 == 0 {
            text.push_str(&format!("        depends_on: [s{}]\n", i - 1));
        }
    }
    let path = dir.join(format!("big-{steps}.yaml"));
    std::fs::write(&path, text).expect("write the generated runbook");
    path
}

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn check(path: &Path) -> Duration {
    let started = Instant::now();
    let loaded = cutover::runbook::load(path);
    let runbook = loaded.runbook.unwrap_or_else(|| {
        panic!(
            "the generated runbook does not load: {:?}",
            loaded.diagnostics.first().map(|d| d.to_string())
        )
    });
    let plan = cutover::plan::plan(&runbook);
    assert!(!plan.has_errors(), "the generated runbook does not plan");
    started.elapsed()
}

/// `check` of the corpus, and PostgreSQL's parser alone over the same SQL files, best of 5.
fn corpus() -> (Duration, Duration, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<String> = std::fs::read_dir(root.join("migrations"))
        .expect("the corpus")
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    files.sort();
    let best = |f: &dyn Fn()| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let t_check = best(&|| {
        let _ = check(&root.join("runbook.yaml"));
    });
    let t_parse = best(&|| {
        for sql in &files {
            let _ = cutover::plan::pg_parser::syntax_error(sql);
        }
    });
    (t_check, t_parse, files.len())
}

fn main() {
    let (t_corpus, t_parse, files) = corpus();
    println!(
        "check the corpus ({files} SQL files): {:.1} ms; PostgreSQL's parser alone: {:.1} ms; ratio {:.1}",
        t_corpus.as_secs_f64() * 1000.0,
        t_parse.as_secs_f64() * 1000.0,
        t_corpus.as_secs_f64() / t_parse.as_secs_f64().max(1e-9)
    );
    let dir = std::env::temp_dir().join(format!("cutover-check-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let small = runbook(&dir, 10_000);
    let large = runbook(&dir, 50_000);
    let t_small = check(&small);
    let mb_small = peak_mb();
    let t_large = check(&large);
    let mb_large = peak_mb();
    let show = |mb: Option<f64>| mb.map_or("?".to_owned(), |m| format!("{m:.0} MB"));
    println!(
        "check 10,000 steps: {:.2} s, peak {}",
        t_small.as_secs_f64(),
        show(mb_small)
    );
    println!(
        "check 50,000 steps: {:.2} s, peak {} (target < 2 s, < 200 MB)",
        t_large.as_secs_f64(),
        show(mb_large)
    );
    println!(
        "ratio 50,000 / (5 × 10,000): {:.2} (1.00 = linear)",
        t_large.as_secs_f64() / (5.0 * t_small.as_secs_f64())
    );
    let _ = std::fs::remove_dir_all(&dir);
}
