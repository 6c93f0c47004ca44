//! What a rehearsal costs over a plain run of the same runbook: `cutover rehearse` (copy by
//! TEMPLATE, the run, the schema before and after, up → down → up of every migration on a
//! second copy, both copies dropped) and `cutover rehearse --no-round-trip`, each against
//! `cutover run --headless --approve-all` on a fresh database holding the same data.
//!
//! The runbook: 40 small migrations (a table and a few rows each, with rollback SQL), a
//! check and a gate, over a source with a 20,000-row table. Repetitions interleave the three
//! so the host's drift hits them alike. Prints medians and the ratios; never fails on time.
//!
//!   scripts/bench --bench rehearse_overhead
//!   BENCH_REPS=9 scripts/bench --bench rehearse_overhead
//!
//! Needs CUTOVER_TEST_DATABASE_URL (a role that may create databases; scripts/bench sets it).

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MIGRATIONS: usize = 40;

fn runbook(dir: &Path) -> PathBuf {
    let mut yaml = String::from(
        "name: rehearse_bench\nwindow:\n  budget: 8h\nphases:\n  - id: migrate\n    kind: migration\n    budget: 4h\n    steps:\n",
    );
    for n in 1..=MIGRATIONS {
        yaml.push_str(&format!(
            "      - migrate: m{n:02}\n        sql: |\n          CREATE TABLE public.bench_{n:02} (id int PRIMARY KEY, note text);\n          INSERT INTO public.bench_{n:02} VALUES (1, 'a'), (2, 'b');\n        rollback: DROP TABLE public.bench_{n:02}\n"
        ));
    }
    yaml.push_str(
        "      - checkpoint: go\n        prompt: Go?\n        questions: [Ready?]\n  - id: verify\n    kind: verification\n    budget: 1h\n    steps:\n      - check: rows\n        sql: SELECT count(*) FROM public.big\n        expect: 20000\n",
    );
    let path = dir.join("rehearse-bench.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
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
            .unwrap();
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
        self.rt.block_on(self.client.batch_execute(sql)).unwrap();
    }

    /// A fresh database with the source's data: a 20,000-row table.
    fn seeded(&self, name: &str) -> String {
        self.exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        self.exec(&format!("CREATE DATABASE {name}"));
        let url = with_db(&self.url, name);
        let db = Admin::connect(&url);
        db.exec(
            "CREATE TABLE public.big (id int PRIMARY KEY, note text);
             INSERT INTO public.big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;",
        );
        url
    }
}

fn timed(mut cmd: Command, what: &str) -> Duration {
    let started = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let url = std::env::var("CUTOVER_TEST_DATABASE_URL")
        .expect("CUTOVER_TEST_DATABASE_URL (run through scripts/bench)");
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let cutover = PathBuf::from(env!("CARGO_BIN_EXE_cutover"));
    let dir = std::env::temp_dir().join(format!("cutover-bench-rehearse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let runbook = runbook(&dir);
    let admin = Admin::connect(&url);
    let source = admin.seeded("bench_rehearse_source");
    let (mut plain, mut full, mut no_trip) = (Vec::new(), Vec::new(), Vec::new());
    for rep in 0..reps {
        let run_db = admin.seeded(&format!("bench_rehearse_run_{rep}"));
        let mut order: Vec<u8> = vec![0, 1, 2];
        order.rotate_left(rep % 3);
        for which in order {
            let mut cmd = Command::new(&cutover);
            cmd.current_dir(&dir);
            match which {
                0 => {
                    cmd.args([
                        "run",
                        runbook.to_str().unwrap(),
                        "--headless",
                        "--approve-all",
                    ])
                    .args(["--database-url", &run_db]);
                    plain.push(timed(cmd, "cutover run"));
                }
                1 => {
                    cmd.args([
                        "rehearse",
                        runbook.to_str().unwrap(),
                        "--database-url",
                        &source,
                    ]);
                    full.push(timed(cmd, "cutover rehearse"));
                }
                _ => {
                    cmd.args(["rehearse", runbook.to_str().unwrap(), "--no-round-trip"])
                        .args(["--database-url", &source]);
                    no_trip.push(timed(cmd, "cutover rehearse --no-round-trip"));
                }
            }
        }
        admin.exec(&format!(
            "DROP DATABASE bench_rehearse_run_{rep} WITH (FORCE)"
        ));
    }
    admin.exec("DROP DATABASE bench_rehearse_source WITH (FORCE)");
    let plain = median(&mut plain);
    let full = median(&mut full);
    let no_trip = median(&mut no_trip);
    let ratio = |d: Duration| d.as_secs_f64() / plain.as_secs_f64();
    println!(
        "rehearse_overhead: {MIGRATIONS} migrations, a check and a gate over a 20,000-row table, {reps} repetitions, medians"
    );
    println!(
        "  cutover run --headless          {:>8.0} ms  (reference)",
        plain.as_secs_f64() * 1e3
    );
    println!(
        "  cutover rehearse --no-round-trip {:>7.0} ms  {:.2}× the plain run",
        no_trip.as_secs_f64() * 1e3,
        ratio(no_trip)
    );
    println!(
        "  cutover rehearse                 {:>7.0} ms  {:.2}× the plain run (up → down → up on a second copy)",
        full.as_secs_f64() * 1e3,
        ratio(full)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
