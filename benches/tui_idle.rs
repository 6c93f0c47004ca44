//! What the operator TUI costs while nothing happens: `cutover run` in a pseudo-terminal
//! (160×48), waiting at a checkpoint with its modal open — the state a window can sit in for
//! many minutes. Reads the process's CPU time (all threads, from /proc) over three quiet spells
//! and prints the median as a share of one core, against `sleep` measured the same way in the same run
//! (what a process that does nothing costs to measure). Target: under 0.5% of one core.
//! It reports, it does not assert.
//!
//!   scripts/bench                         # every bench, on a scratch PostgreSQL
//!   BENCH_IDLE_SECS=30 scripts/bench      # longer quiet spells (default 10 s each)
//!
//! Needs CUTOVER_TEST_DATABASE_URL (scripts/bench sets it). Linux only (/proc).

// A benchmark stops on a broken setup: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/pty.rs"]
mod pty;

use std::path::Path;
use std::time::{Duration, Instant};

const TARGET_PERCENT: f64 = 0.5;
const SPELLS: usize = 3;

/// User + system CPU time of a process and all its threads so far.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the state.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc_sysconf_clk_tck() };
    Some(Duration::from_secs_f64(ticks as f64 / per_second))
}

unsafe extern "C" {
    fn sysconf(name: i32) -> i64;
}

/// Clock ticks per second (`_SC_CLK_TCK` is 2 on Linux).
unsafe fn libc_sysconf_clk_tck() -> f64 {
    // SAFETY: sysconf(_SC_CLK_TCK) only reads a constant.
    let ticks = unsafe { sysconf(2) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// The share of one core `pid` used over `spell`.
fn idle_share(pid: u32, spell: Duration) -> f64 {
    let before = cpu_time(pid).unwrap_or_default();
    let started = Instant::now();
    std::thread::sleep(spell);
    let used = cpu_time(pid).unwrap_or_default().saturating_sub(before);
    used.as_secs_f64() / started.elapsed().as_secs_f64() * 100.0
}

fn fresh_database(admin_url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let name = format!("bench_idle_{}", std::process::id());
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
            .await
            .expect("connect to CUTOVER_TEST_DATABASE_URL");
        tokio::spawn(connection);
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client.batch_execute(&sql).await.expect("a fresh database");
        }
    });
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a URL with a database name");
    format!("{base}/{name}")
}

fn main() {
    let Ok(admin_url) = std::env::var("CUTOVER_TEST_DATABASE_URL") else {
        eprintln!("tui_idle: CUTOVER_TEST_DATABASE_URL is not set; run scripts/bench");
        std::process::exit(2);
    };
    let spell = Duration::from_secs(
        std::env::var("BENCH_IDLE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(10),
    );
    let url = fresh_database(&admin_url);
    let dir = std::env::temp_dir().join(format!("tui-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let runbook = dir.join("idle.yaml");
    std::fs::write(
        &runbook,
        "name: idle\nwindow:\n  budget: 2h\nphases:\n  - id: prepare\n    kind: preparation\n    budget: 30m\n    steps:\n      - check: server-is-up\n        sql: SELECT 1\n        expect: 1\n      - checkpoint: go\n        prompt: Proceed with the bench?\n        questions: [Is the team ready?, Is the backup verified?]\n",
    )
    .expect("write the runbook");
    let mut tui = pty::Spawn::new(["run".into(), runbook.clone().into_os_string()])
        .args(["--operator", "bench", "--database-url", &url, "--journal"])
        .arg(dir.join("j.jsonl"))
        .cwd(&dir)
        .size(160, 48)
        .spawn();
    tui.wait_for("Proceed with the bench?", Duration::from_secs(30));
    let pid = tui.pid().expect("the TUI's pid");
    // Let the first redraws after the gate opened settle.
    std::thread::sleep(Duration::from_secs(2));
    // Three spells, the median reported: on a shared machine one spell can be inflated by
    // the host (stolen time is charged to whoever runs).
    let mut spells: Vec<f64> = (0..SPELLS).map(|_| idle_share(pid, spell)).collect();
    spells.sort_by(f64::total_cmp);
    let share = spells[SPELLS / 2];
    drop(tui);
    let reference = {
        let mut sleeper = std::process::Command::new("sleep")
            .arg(format!("{}", spell.as_secs() + 1))
            .spawn()
            .expect("sleep");
        let share = idle_share(sleeper.id(), spell);
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        share
    };
    println!(
        "tui_idle: `cutover run` waiting at a gate (160×48, modal open), {SPELLS} spells of {}s: median {share:.2}% of one core (spells: {}); `sleep` measured the same way: {reference:.2}% (target < {TARGET_PERCENT}%): {}",
        spell.as_secs(),
        spells
            .iter()
            .map(|s| format!("{s:.2}%"))
            .collect::<Vec<_>>()
            .join(", "),
        if share < TARGET_PERCENT {
            "meets the target"
        } else {
            "ABOVE the target"
        }
    );
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
