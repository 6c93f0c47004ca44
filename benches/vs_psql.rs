//! cutover against plain psql on the same small migrations (200, then 1,000), and on verification checks.
//!
//! Each migration is a small CREATE TABLE plus an INSERT of a few rows (with a rollback for
//! cutover). cutover runs them as a headless run with tracking and the journal on (the
//! default: every event fsynced before a front end sees it; every migration in its own
//! transaction with its tracking row); psql runs the same SQL from one file with `-X -q -v ON_ERROR_STOP=1 -f`. Each
//! repetition uses fresh databases and the order alternates between repetitions.
//!
//! Prints the median wall times and cutover's as a ratio of psql's, against a target of
//! 1.1×. It never fails on time, only when a run itself fails.
//!
//!   scripts/bench                       # provisions a scratch PostgreSQL
//!   BENCH_REPS=9 scripts/bench          # more repetitions (default 5)
//!   BENCH_ONLY=checks scripts/bench --bench vs_psql   # one half (or BENCH_ONLY=migrations)
//!
//! Needs CUTOVER_TEST_DATABASE_URL (a superuser URL; scripts/bench sets it) and `psql`.

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The migration races: 200 steps (with a tmpfs journal and a profile too), then 1,000.
const SIZES: [usize; 2] = [200, 1_000];
const TARGET_RATIO: f64 = 1.1;

fn migration_sql(n: usize) -> String {
    // Schema-qualified: with a role named like cutover's tracking schema, `"$user"` first in
    // the search_path would otherwise put the tables there.
    format!(
        "CREATE TABLE public.bench_{n:03} (id int PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\nINSERT INTO public.bench_{n:03} (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');\n"
    )
}

fn write_inputs(dir: &Path, steps: usize) -> (PathBuf, PathBuf) {
    let mut yaml = String::from(
        "name: bench\ntitle: 200 small migrations\nwindow:\n  budget: 8h\nphases:\n  - id: migrations\n    kind: migration\n    budget: 8h\n    steps:\n",
    );
    let mut script = String::new();
    for n in 1..=steps {
        let sql = migration_sql(n);
        yaml.push_str(&format!("      - migrate: m{n:03}\n        sql: |\n"));
        for line in sql.lines() {
            yaml.push_str(&format!("          {line}\n"));
        }
        yaml.push_str(&format!(
            "        rollback: DROP TABLE public.bench_{n:03}\n"
        ));
        script.push_str(&sql);
    }
    let runbook = dir.join(format!("bench-{steps}.yaml"));
    let sql = dir.join(format!("bench-{steps}.sql"));
    std::fs::write(&runbook, yaml).expect("write the runbook");
    std::fs::write(&sql, script).expect("write the SQL file");
    (runbook, sql)
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{db}")
}

struct Admin {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    url: String,
}

impl Admin {
    fn connect(url: &str) -> Admin {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let client = rt.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("connect to CUTOVER_TEST_DATABASE_URL");
            tokio::spawn(connection);
            client
        });
        Admin {
            rt,
            client,
            url: url.to_owned(),
        }
    }

    fn exec(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A new empty database; returns its name and URL.
    fn fresh(&self, name: &str) -> (String, String) {
        self.exec(&format!("DROP DATABASE IF EXISTS {name}"));
        self.exec(&format!("CREATE DATABASE {name}"));
        (name.to_owned(), with_db(&self.url, name))
    }

    fn drop_db(&self, name: &str) {
        self.exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }

    fn count_tables(&self, url: &str) -> i64 {
        self.rt.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("connect to the bench database");
            let conn = tokio::spawn(connection);
            let n: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'bench\\_%'",
                    &[],
                )
                .await
                .expect("count tables")
                .get(0);
            drop(client);
            let _ = conn.await;
            n
        })
    }
}

fn timed(mut cmd: Command, what: &str) -> Duration {
    let started = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

#[derive(Clone, Copy, PartialEq)]
enum Contender {
    Psql,
    Cutover,
    /// cutover with its journal on a tmpfs (/dev/shm): how much is the journal's fsync.
    CutoverTmpfs,
}

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Contender::Psql => "psql -f",
            Contender::Cutover => "cutover run (journal on disk)",
            Contender::CutoverTmpfs => "cutover run (journal on tmpfs)",
        }
    }
}

fn median_ms(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A rough profile of one cutover run from its journal (timestamps are taken as each
/// event is emitted, before it is written).
fn breakdown(journal: &Path, wall: Duration, steps: usize) {
    use cutover::events::Event;
    let Ok(replay) = cutover::journal::replay(journal) else {
        return;
    };
    let entries = replay.entries;
    let ms = |a: &cutover::journal::Entry, b: &cutover::journal::Entry| {
        (b.ts - a.ts).num_microseconds().unwrap_or(0) as f64 / 1000.0
    };
    let (mut statement, mut setup, mut record, mut between) = (vec![], vec![], vec![], vec![]);
    for w in entries.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        match (&a.event, &b.event) {
            (Event::StatementStarted { .. }, Event::StatementFinished { .. }) => {
                statement.push(ms(a, b))
            }
            (Event::StepStarted { .. }, Event::StatementStarted { .. }) => setup.push(ms(a, b)),
            (Event::StatementFinished { .. }, Event::StepFinished { .. }) => record.push(ms(a, b)),
            (Event::StepFinished { .. }, Event::StepStarted { .. }) => between.push(ms(a, b)),
            _ => {}
        }
    }
    let span = match (entries.first(), entries.last()) {
        (Some(a), Some(b)) => ms(a, b),
        _ => 0.0,
    };
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let row = |label: &str, total: f64, extra: String| {
        println!("    {label:<68} {total:>6.0} ms  {extra}");
    };
    println!(
        "  where cutover's time goes (one run, journal on disk, {:.3}s wall):",
        wall.as_secs_f64()
    );
    row(
        "outside the journal (start, 3 connections, schema, planning, exit)",
        wall.as_secs_f64() * 1000.0 - span,
        String::new(),
    );
    row(
        "statement_started -> statement_finished (the first one carries BEGIN)",
        sum(&statement),
        format!(
            "{} statements, median {:.2} ms",
            statement.len(),
            median_ms(&statement)
        ),
    );
    row(
        "step_started -> first statement (journal wait, row + COMMIT sent)",
        sum(&setup),
        format!("median {:.2} ms", median_ms(&setup)),
    );
    row(
        "last statement -> step_finished (tracking row + COMMIT answered)",
        sum(&record),
        format!("median {:.2} ms", median_ms(&record)),
    );
    row(
        "step_finished -> next step_started",
        sum(&between),
        format!("median {:.2} ms", median_ms(&between)),
    );
    println!(
        "    journal: {} events ({:.1} per step), group-committed on a writer thread; the engine waits for it once per step, before sending COMMIT",
        entries.len(),
        entries.len() as f64 / steps as f64
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there are no options of our own.
    let Ok(admin_url) = std::env::var("CUTOVER_TEST_DATABASE_URL") else {
        eprintln!(
            "vs_psql: CUTOVER_TEST_DATABASE_URL is not set; run scripts/bench (it provisions a scratch PostgreSQL)"
        );
        std::process::exit(2);
    };
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let cutover = PathBuf::from(env!("CARGO_BIN_EXE_cutover"));
    let dir = std::env::temp_dir().join(format!("vs-psql-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let shm = Path::new("/dev/shm");
    let shm_dir = shm
        .is_dir()
        .then(|| shm.join(format!("vs-psql-{}", std::process::id())))
        .filter(|d| std::fs::create_dir_all(d).is_ok());
    // BENCH_ONLY=migrations or BENCH_ONLY=checks runs one half.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let admin = Admin::connect(&admin_url);
    if only != "checks" {
        for (n, &steps) in SIZES.iter().enumerate() {
            // The big one takes seconds per run: fewer repetitions.
            let reps = if n == 0 { reps } else { reps.min(3) };
            migrations(&admin, &cutover, &dir, shm_dir.as_deref(), steps, reps);
            println!();
        }
    }
    if only != "migrations" {
        checks(&admin, &cutover, &dir, reps);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(d) = shm_dir {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A verification phase of `n` checks running `query(k)`, `parallel` at once; and the same
/// queries as one psql script.
fn checks_inputs(
    dir: &Path,
    name: &str,
    n: usize,
    parallel: usize,
    query: &dyn Fn(usize) -> String,
) -> (PathBuf, PathBuf) {
    let mut yaml = format!(
        "name: {name}\nwindow:\n  budget: 8h\nphases:\n  - id: verify\n    kind: verification\n    budget: 8h\n    parallel: {parallel}\n    steps:\n"
    );
    let mut script = String::new();
    for k in 1..=n {
        yaml.push_str(&format!(
            "      - check: c{k:03}\n        sql: {}\n        expect: 1\n",
            query(k)
        ));
        script.push_str(&format!("{};\n", query(k)));
    }
    let runbook = dir.join(format!("{name}.yaml"));
    let sql = dir.join(format!("{name}.sql"));
    std::fs::write(&runbook, yaml).expect("write the checks runbook");
    std::fs::write(&sql, script).expect("write the checks script");
    (runbook, sql)
}

/// What a race measured of one runbook: medians in seconds.
struct Measured {
    /// The whole `cutover run`, process start to exit.
    wall: f64,
    /// Its phases, as the journal timed them (the checks themselves, without the start-up
    /// and exit every run pays alike).
    phases: f64,
}

/// The phases' time of a run, from its journal's `phase_finished` events.
fn phases_of(journal: &Path) -> f64 {
    let Ok(replay) = cutover::journal::replay(journal) else {
        return 0.0;
    };
    replay
        .entries
        .iter()
        .map(|e| match e.event {
            cutover::events::Event::PhaseFinished { duration_ms, .. } => {
                duration_ms as f64 / 1000.0
            }
            _ => 0.0,
        })
        .sum()
}

/// The median times of `cutover run` of each runbook and of `psql -f` of `sql`, each on a
/// fresh database, all in every repetition (in alternating order).
fn race(
    admin: &Admin,
    cutover: &Path,
    dir: &Path,
    runbooks: &[&Path],
    sql: &Path,
    reps: usize,
) -> (Vec<Measured>, f64) {
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); runbooks.len()];
    let mut phases: Vec<Vec<f64>> = vec![Vec::new(); runbooks.len()];
    let mut theirs = Vec::new();
    for rep in 0..reps {
        // 0 is psql, k > 0 the runbook k - 1.
        let mut order: Vec<usize> = (0..=runbooks.len()).collect();
        if rep % 2 == 1 {
            order.reverse();
        }
        for k in order {
            let (name, url) = admin.fresh(&format!("benchc_{}_{rep}_{k}", std::process::id()));
            if k == 0 {
                let mut cmd = Command::new("psql");
                cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-f"])
                    .arg(sql)
                    .arg(&url);
                theirs.push(timed(cmd, "psql").as_secs_f64());
            } else {
                let journal = dir.join(format!("checks-{rep}-{k}.jsonl"));
                let mut cmd = Command::new(cutover);
                cmd.arg("run")
                    .arg(runbooks[k - 1])
                    .args(["--headless", "--approve-all", "--database-url"])
                    .arg(&url)
                    .arg("--journal")
                    .arg(&journal);
                ours[k - 1].push(timed(cmd, "cutover run").as_secs_f64());
                phases[k - 1].push(phases_of(&journal));
            }
            admin.drop_db(&name);
        }
    }
    let measured = ours
        .iter()
        .zip(&phases)
        .map(|(wall, phases)| Measured {
            wall: median_ms(wall),
            phases: median_ms(phases),
        })
        .collect();
    (measured, median_ms(&theirs))
}

/// Races `steps` tracked migrations through cutover against the same SQL through psql.
fn migrations(
    admin: &Admin,
    cutover: &Path,
    dir: &Path,
    shm_dir: Option<&Path>,
    steps: usize,
    reps: usize,
) {
    let (runbook, sql) = write_inputs(dir, steps);

    let mut contenders = vec![Contender::Psql, Contender::Cutover];
    if shm_dir.is_some() && steps == SIZES[0] {
        contenders.push(Contender::CutoverTmpfs);
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    let mut profiled: Option<(PathBuf, Duration)> = None;
    println!("vs_psql: {steps} migrations (CREATE TABLE + 3-row INSERT each), {reps} repetitions");
    for rep in 0..reps {
        // Alternate the order so neither side always runs on a warmer server.
        let mut order: Vec<usize> = (0..contenders.len()).collect();
        if rep % 2 == 1 {
            order.reverse();
        }
        let mut line = format!("  rep {}:", rep + 1);
        for k in order {
            let contender = contenders[k];
            let (name, url) = admin.fresh(&format!("bench_{}_{rep}_{k}", std::process::id()));
            let elapsed = match contender {
                Contender::Psql => {
                    let mut cmd = Command::new("psql");
                    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
                        .arg(&sql)
                        .arg(&url);
                    timed(cmd, "psql")
                }
                Contender::Cutover | Contender::CutoverTmpfs => {
                    let journal_dir = if contender == Contender::Cutover {
                        dir.to_path_buf()
                    } else {
                        shm_dir.map(Path::to_path_buf).expect("tmpfs dir")
                    };
                    let journal = journal_dir.join(format!("bench-{steps}-{rep}.jsonl"));
                    let mut cmd = Command::new(cutover);
                    cmd.arg("run")
                        .arg(&runbook)
                        .args(["--headless", "--approve-all", "--database-url"])
                        .arg(&url)
                        .arg("--journal")
                        .arg(&journal);
                    let elapsed = timed(cmd, "cutover run");
                    if contender == Contender::Cutover {
                        profiled = Some((journal, elapsed));
                    }
                    elapsed
                }
            };
            let tables = admin.count_tables(&url);
            assert_eq!(
                tables,
                steps as i64,
                "{} created {tables} tables, not {steps}",
                contender.label()
            );
            admin.drop_db(&name);
            line.push_str(&format!(
                "  {} {:.3}s",
                contender.label(),
                elapsed.as_secs_f64()
            ));
            times[k].push(elapsed);
        }
        println!("{line}");
    }

    let medians: Vec<Duration> = times.iter_mut().map(|t| median(t)).collect();
    let psql = medians[0].as_secs_f64();
    println!();
    for (k, contender) in contenders.iter().enumerate() {
        let m = medians[k].as_secs_f64();
        println!(
            "  {:<32} median {:>7.3}s  {:>6.2} ms/step  {:>5.2}× psql",
            contender.label(),
            m,
            m * 1000.0 / steps as f64,
            m / psql
        );
    }
    if let Some((journal, wall)) = &profiled {
        println!();
        breakdown(journal, *wall, steps);
    }
    let ratio = medians[1].as_secs_f64() / psql;
    println!();
    println!(
        "{steps} migrations: cutover / psql = {ratio:.2}× (target ≤ {TARGET_RATIO}×): {}",
        if ratio <= TARGET_RATIO {
            "meets the target"
        } else {
            "ABOVE the target"
        }
    );
}

/// Verification phases: 100 trivial checks serially against one psql script, and 16 checks of
/// 20 ms each serially against 4 at once.
fn checks(admin: &Admin, cutover: &Path, dir: &Path, reps: usize) {
    println!();
    println!("checks: {reps} repetitions");
    let trivial =
        |k: usize| format!("SELECT count(*) + 1 FROM pg_class WHERE relname = 'nothing_{k}'");
    let (serial_rb, sql) = checks_inputs(dir, "checks_serial", 100, 1, &trivial);
    let (trivial4, _) = checks_inputs(dir, "checks_trivial4", 100, 4, &trivial);
    // Serial and 4 at once race in the same repetitions: this host's speed drifts.
    let (ours, psql) = race(admin, cutover, dir, &[&serial_rb, &trivial4], &sql, reps);
    let (serial_trivial, at4) = (ours[0].wall, ours[1].wall);
    println!(
        "  100 trivial checks, serial: cutover {serial_trivial:.3}s, psql -f {psql:.3}s: {:.2}× psql (target ≤ 1.5×)",
        serial_trivial / psql
    );
    let slow = |_: usize| "SELECT 1 FROM pg_sleep(0.02)".to_owned();
    let (serial_rb, slow_sql) = checks_inputs(dir, "checks_slow1", 16, 1, &slow);
    let (parallel_rb, _) = checks_inputs(dir, "checks_slow4", 16, 4, &slow);
    let (slow_times, _) = race(
        admin,
        cutover,
        dir,
        &[&serial_rb, &parallel_rb],
        &slow_sql,
        reps,
    );
    let (serial, parallel) = (&slow_times[0], &slow_times[1]);
    // The target is on the checks: a run's start-up and exit are the same either way.
    println!(
        "  16 checks of 20 ms, the verification phase: serial {:.3}s, 4 at once {:.3}s: {:.2}× serial (target ≤ 0.5×)",
        serial.phases,
        parallel.phases,
        parallel.phases / serial.phases
    );
    println!(
        "  16 checks of 20 ms, the whole run: serial {:.3}s, 4 at once {:.3}s: {:.2}×",
        serial.wall,
        parallel.wall,
        parallel.wall / serial.wall
    );
    println!(
        "  100 trivial checks, 4 at once: {at4:.3}s: {:.2}× serial (target: never slower)",
        at4 / serial_trivial
    );
}
