//! A fleet of 200 small databases, 5 steps each: `cutover fleet --headless` (a canary, then
//! the rest 16 at once) against the loop a team writes today — `cutover run --headless` on
//! each database in turn. Prints both wall times, the ratio, and the fleet process's peak
//! resident memory and open file descriptors (sampled from /proc while it runs).
//!
//!   scripts/bench --bench fleet_throughput
//!   BENCH_REPS=3 FLEET_DBS=500 scripts/bench --bench fleet_throughput
//!
//! Needs CUTOVER_TEST_DATABASE_URL (a role that may create databases; scripts/bench sets
//! it). Never fails on time.

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNBOOK: &str = "name: fleet_bench\nwindow:\n  budget: 1h\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: a\n        sql: CREATE TABLE public.a (id int PRIMARY KEY)\n        rollback: DROP TABLE public.a\n      - migrate: b\n        sql: INSERT INTO public.a VALUES (1), (2)\n        rollback: DELETE FROM public.a\n      - migrate: c\n        sql: CREATE INDEX a_id ON public.a (id)\n        rollback: DROP INDEX public.a_id\n      - migrate: d\n        sql: COMMENT ON TABLE public.a IS 'bench'\n        rollback: COMMENT ON TABLE public.a IS NULL\n  - id: v\n    kind: verification\n    budget: 5m\n    steps:\n      - check: two\n        sql: SELECT count(*) FROM public.a\n        expect: 2\n";

struct Admin {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
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
        Admin { rt, client }
    }

    fn exec(&self, sql: &str) {
        self.rt.block_on(self.client.batch_execute(sql)).unwrap();
    }
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{db}")
}

/// Fresh databases `bench_fleet_<n>`.
fn databases(admin: &Admin, n: usize) -> Vec<String> {
    (0..n)
        .map(|k| {
            let name = format!("bench_fleet_{k:04}");
            admin.exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            admin.exec(&format!("CREATE DATABASE {name}"));
            name
        })
        .collect()
}

/// Peak resident memory (MB) and most open descriptors of a process, sampled until it ends.
fn watch(mut child: std::process::Child) -> (Duration, f64, usize) {
    let started = Instant::now();
    let (mut peak_mb, mut fds) = (0.0f64, 0usize);
    let pid = child.id();
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        {
            peak_mb = peak_mb.max(kb / 1024.0);
        }
        if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            fds = fds.max(dir.count());
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the fleet failed: {status}");
            return (started.elapsed(), peak_mb, fds);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() {
    let url = std::env::var("CUTOVER_TEST_DATABASE_URL")
        .expect("CUTOVER_TEST_DATABASE_URL (run through scripts/bench)");
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let n: usize = std::env::var("FLEET_DBS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let cutover = PathBuf::from(env!("CARGO_BIN_EXE_cutover"));
    let admin = Admin::connect(&url);
    let (mut fleet_times, mut loop_times, mut rss, mut fds) = (Vec::new(), Vec::new(), 0.0f64, 0);
    for rep in 0..reps {
        let dir =
            std::env::temp_dir().join(format!("cutover-bench-fleet-{}-{rep}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("tenant.yaml"), RUNBOOK).unwrap();
        // The fleet.
        let dbs = databases(&admin, n);
        let mut fleet = String::from("name: bench\nrunbook: tenant.yaml\ntargets:\n");
        for db in &dbs {
            fleet.push_str(&format!(
                "  - url: {}\n",
                with_db(&url, db).replace(
                    &url.split('@')
                        .next()
                        .unwrap()
                        .rsplit_once(':')
                        .map(|(_, p)| format!(":{p}@"))
                        .unwrap_or_default(),
                    ":${BENCH_PW}@",
                )
            ));
        }
        fleet.push_str("waves:\n  - name: canary\n    size: 1\n  - name: rest\n    concurrency: 16\n    on_error: continue\n");
        std::fs::write(dir.join("fleet.yaml"), fleet).unwrap();
        let password = url
            .split('@')
            .next()
            .and_then(|userinfo| userinfo.rsplit_once(':'))
            .map(|(_, p)| p.to_owned())
            .unwrap_or_default();
        let child = Command::new(&cutover)
            .current_dir(&dir)
            .args(["fleet", "fleet.yaml", "--headless", "--approve-waves"])
            .env("BENCH_PW", &password)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (took, peak, open) = watch(child);
        fleet_times.push(took);
        rss = rss.max(peak);
        fds = fds.max(open);
        // The loop, on fresh databases.
        let dbs = databases(&admin, n);
        let started = Instant::now();
        for db in &dbs {
            let out = Command::new(&cutover)
                .current_dir(&dir)
                .args(["run", "tenant.yaml", "--headless", "--database-url"])
                .arg(with_db(&url, db))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        loop_times.push(started.elapsed());
        for db in &dbs {
            admin.exec(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
        let _ = std::fs::remove_dir_all(Path::new(&dir));
    }
    fleet_times.sort();
    loop_times.sort();
    let (f, l) = (fleet_times[reps / 2], loop_times[reps / 2]);
    println!(
        "fleet_throughput: {n} databases × 5 steps, median of {reps}\n  cutover fleet (16 at once)   {:>8.2}s  peak RSS {rss:.0} MB, at most {fds} open descriptors\n  cutover run, one by one      {:>8.2}s\n  fleet / loop                 {:>8.2}×",
        f.as_secs_f64(),
        l.as_secs_f64(),
        f.as_secs_f64() / l.as_secs_f64()
    );
}
