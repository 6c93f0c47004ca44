//! `cutover fleet` against real databases on the scratch cluster: a canary, then waves with
//! a concurrency cap; a failure stops the fleet at its wave's gate with the evidence; a
//! resume runs what is left and never runs a finished database again; a SIGKILL mid-wave
//! then a resume finishes every database exactly once; a bad fleet file is refused where it
//! is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::cli::cutover_command;
use common::{connect, fresh_db, scratch_dir, write};
use std::path::Path;
use std::time::{Duration, Instant};

const RUNBOOK: &str = r#"name: tenant
window:
  budget: 30m
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: create-items
        sql: |
          CREATE TABLE public.items (id int PRIMARY KEY, note text);
          INSERT INTO public.items VALUES (1, 'first');
        rollback: DROP TABLE public.items
      - migrate: second-row
        sql: SLEEP INSERT INTO public.items VALUES (2, 'second')
        rollback: DELETE FROM public.items WHERE id = 2
  - id: verify
    kind: verification
    budget: 5m
    steps:
      - check: two-items
        sql: SELECT count(*) FROM public.items
        expect: 2
"#;

/// The admin URL with its password as `${FLEET_PW}` (a fleet file holds none), and the
/// password.
fn url_template(db: &str) -> (String, String) {
    let admin = common::admin_url();
    let (scheme_user, rest) = admin
        .split_once(':')
        .map(|(a, b)| (a.to_owned(), b))
        .unwrap();
    // postgres://cutover:PASS@host:port/postgres
    let after_scheme = rest.trim_start_matches("//");
    let (user, rest) = after_scheme.split_once(':').unwrap();
    let (password, host_and_db) = rest.split_once('@').unwrap();
    let host = host_and_db.split('/').next().unwrap();
    (
        format!("{scheme_user}://{user}:${{FLEET_PW}}@{host}/{db}"),
        password.to_owned(),
    )
}

fn db_name(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

async fn fleet_dbs(tag: &str, n: usize) -> Vec<String> {
    let mut urls = Vec::new();
    for _ in 0..n {
        urls.push(fresh_db(tag).await);
    }
    urls
}

fn fleet_file(dir: &Path, name: &str, urls: &[String], waves: &str) -> std::path::PathBuf {
    let mut text = format!("name: {name}\nrunbook: tenant.yaml\ntargets:\n");
    for url in urls {
        let (template, _) = url_template(&db_name(url));
        text.push_str(&format!("  - url: {template}\n"));
    }
    text.push_str(waves);
    write(dir, "fleet.yaml", &text)
}

async fn run_fleet(dir: &Path, args: &[&str]) -> common::cli::Output {
    let (_, password) = url_template("postgres");
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        cutover_command(dir, args)
            .env("FLEET_PW", password)
            .output(),
    )
    .await
    .expect("the fleet finishes")
    .unwrap();
    common::cli::Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn items(url: &str) -> Option<i64> {
    connect(url)
        .await
        .query_one("SELECT count(*) FROM public.items", &[])
        .await
        .ok()
        .map(|r| r.get(0))
}

const WAVES: &str = "waves:\n  - name: canary\n    size: 1\n  - name: first\n    size: 5\n    concurrency: 3\n  - name: second\n    size: 10\n    concurrency: 4\n  - name: rest\n    concurrency: 5\n";

/// 30 databases: the canary, 5, 10, then the rest. One database of the second wave already
/// has the table the first migration creates: its run fails, the wave starts nothing more
/// (`on_error: halt`), and the fleet stops at the gate after it with the evidence (exit 3).
/// Databases of later waves are untouched. Once that database is set right, a resume runs
/// it and the rest — and runs no finished database again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_a_wave_stops_the_fleet_at_its_gate_until_resumed() {
    let urls = fleet_dbs("fleet_gate", 30).await;
    let dir = scratch_dir("fleet-gate");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let path = fleet_file(&dir, "tenants", &urls, WAVES);
    // The 9th database (the second wave's third) is in the way.
    let blocked = &urls[8];
    connect(blocked)
        .await
        .batch_execute("CREATE TABLE public.items (id int)")
        .await
        .unwrap();
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-waves",
        ],
    )
    .await;
    assert_eq!(out.code, Some(3), "{out:?}");
    let blocked_name = db_name(blocked);
    assert!(
        out.stdout.contains(&format!(
            "FAILED {blocked_name}: failed: create-items: [42P07] relation \"items\" already exists"
        )),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("halted at the gate after wave second: 1 database(s) failed"),
        "{out:?}"
    );
    for url in &urls[..6] {
        assert_eq!(items(url).await, Some(2), "canary and first wave: {url}");
    }
    for url in &urls[16..] {
        assert_eq!(items(url).await, None, "later waves untouched: {url}");
    }
    // The fleet report: halted, the failed database first, each wave's count.
    let report = run_fleet(&dir, &["report", "runs/tenants.fleet.jsonl"]).await;
    assert_eq!(report.code, Some(0), "{report:?}");
    let md = report.stdout;
    assert!(md.contains("# Fleet report: tenants"), "{md}");
    assert!(md.contains("| Outcome | **halted**"), "{md}");
    // How many of the second wave finished before the halt depends on timing; one failed.
    assert!(
        md.lines()
            .any(|l| l.starts_with("| `second` | 10 | ") && l.ends_with(" | 1 | — |")),
        "{md}"
    );
    let first_row = md
        .lines()
        .skip_while(|l| !l.starts_with("| Database |"))
        .nth(2)
        .unwrap_or_default();
    assert!(
        first_row.starts_with(&format!("| `{blocked_name}` | `second` | **failed** |")),
        "{md}"
    );

    // `status --fleet`: the failed database needs attention, later waves are pending.
    let status = run_fleet(&dir, &["status", "--fleet", path.to_str().unwrap()]).await;
    assert_eq!(status.code, Some(1), "{status:?}");
    assert!(status.stdout.contains("needing attention"), "{status:?}");
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.contains(&blocked_name) && l.contains("1 failed")),
        "{status:?}"
    );

    connect(blocked)
        .await
        .batch_execute("DROP TABLE public.items")
        .await
        .unwrap();
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-waves",
            "--resume",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("wave first: passed its gate earlier"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(&format!(
            "{}: done already (not run again)",
            db_name(&urls[6])
        )),
        "{out:?}"
    );
    for url in &urls {
        assert_eq!(items(url).await, Some(2), "{url}");
    }
    let status = run_fleet(&dir, &["status", "--fleet", path.to_str().unwrap()]).await;
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status
            .stdout
            .contains("30 database(s) done, 0 pending, 0 needing attention"),
        "{status:?}"
    );
    let history = run_fleet(&dir, &["history", "--fleet", "tenants"]).await;
    assert_eq!(history.code, Some(0), "{history:?}");
    assert!(history.stdout.contains("started by"), "{history:?}");
    assert!(history.stdout.contains("resumed by"), "{history:?}");
    assert!(
        history
            .stdout
            .contains("halted: halted at the gate after wave second"),
        "{history:?}"
    );
    assert!(
        history
            .stdout
            .contains("succeeded: every database succeeded"),
        "{history:?}"
    );
    // The fleet journal has every wave's gate and decision.
    let journal = std::fs::read_to_string(dir.join("runs/tenants.fleet.jsonl")).unwrap();
    assert!(journal.contains("\"event\":\"wave_gate\""));
    assert!(journal.contains("\"event\":\"wave_decision\""));
}

/// A fleet killed with SIGKILL in the middle of a wave, then resumed until it finishes:
/// every database ends with each migration applied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_killed_mid_wave_resumes_and_finishes_exactly_once() {
    let urls = fleet_dbs("fleet_kill", 12).await;
    let dir = scratch_dir("fleet-kill");
    write(
        &dir,
        "tenant.yaml",
        &RUNBOOK.replace("SLEEP ", "SELECT pg_sleep(0.3); "),
    );
    let path = fleet_file(
        &dir,
        "killed",
        &urls,
        "waves:\n  - name: canary\n    size: 2\n  - name: rest\n    concurrency: 3\n",
    );
    let (_, password) = url_template("postgres");
    let mut child = cutover_command(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-waves",
        ],
    )
    .env("FLEET_PW", &password)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(child.try_wait().unwrap().is_none(), "killed mid-wave");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    // Let the killed runs' sessions go.
    let admin = connect(&common::admin_url()).await;
    let started = Instant::now();
    loop {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'cutover:tenant%'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "sessions linger"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-waves",
            "--resume",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    for url in &urls {
        let rows: Vec<i32> = connect(url)
            .await
            .query("SELECT id FROM public.items ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(rows, vec![1, 2], "{url}");
        let applied: i64 = connect(url)
            .await
            .query_one("SELECT count(*) FROM cutover.applied", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(applied, 2, "{url}");
    }
}

/// A fleet file that would mislead is refused before anything connects: a wave other than
/// the last without its size, a password written in a URL, an unknown `on_error`.
#[test]
fn a_bad_fleet_file_is_refused_where_it_is_wrong() {
    let dir = scratch_dir("fleet-bad");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let cases = [
        (
            "name: f\nrunbook: tenant.yaml\ntargets:\n  - url: postgres://app@db/a\nwaves:\n  - name: canary\n  - name: rest\n",
            "only the last wave may leave out its `size`",
            "fleet.yaml:6:5",
        ),
        (
            "name: f\nrunbook: tenant.yaml\ntargets:\n  - url: postgres://app:hunter2@db/a\nwaves:\n  - name: all\n",
            "`url` holds a password",
            "fleet.yaml:4:10",
        ),
        (
            "name: f\nrunbook: tenant.yaml\ntargets:\n  - url: postgres://app@db/a\nwaves:\n  - name: all\n    on_error: stop\n",
            "on_error",
            "fleet.yaml:7:15",
        ),
    ];
    for (text, says, at) in cases {
        let path = write(&dir, "fleet.yaml", text);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(["fleet", path.to_str().unwrap(), "--headless"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{says}: {stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
        assert!(stderr.contains(at), "{at}: {stderr}");
    }
}

/// Targets found by a query on a server (`targets_from`): every database it lists runs,
/// each on that server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_found_by_a_query_all_run() {
    let urls = fleet_dbs("fleet_query", 4).await;
    let dir = scratch_dir("fleet-query");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let (server, _) = url_template("postgres");
    let pattern = format!("t_fleet_query_{}_%", std::process::id());
    let path = write(
        &dir,
        "fleet.yaml",
        &format!(
            "name: queried\nrunbook: tenant.yaml\ntargets_from:\n  server: {server}\n  sql: SELECT datname FROM pg_database WHERE datname LIKE '{pattern}' ORDER BY 1\nwaves:\n  - name: canary\n    size: 1\n  - name: rest\n    concurrency: 2\n"
        ),
    );
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-waves",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("on 4 database(s) in 2 wave(s)"),
        "{out:?}"
    );
    for url in &urls {
        assert_eq!(items(url).await, Some(2), "{url}");
    }
}

/// `cutover fleet` in a terminal: the grid fills as the canary runs, its gate waits for the
/// operator (g, then y), a database opens in its own screen (Enter) and q comes back; the
/// decision is journaled with the operator's name, and every database ends with its rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_screen_waits_for_the_operator_at_the_gate_and_opens_a_database() {
    use common::pty::Spawn;
    let urls = fleet_dbs("fleet_tui", 4).await;
    let dir = scratch_dir("fleet-tui");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let path = fleet_file(
        &dir,
        "tenants",
        &urls,
        "waves:\n  - name: canary\n    size: 1\n  - name: rest\n    concurrency: 3\n",
    );
    let (_, password) = url_template("postgres");
    let wait = Duration::from_secs(60);
    let mut tui = Spawn::new(["fleet".into(), path.clone().into_os_string()])
        .args(["--operator", "lead"])
        .env("FLEET_PW", password)
        .cwd(&dir)
        .size(160, 40)
        .spawn();
    tui.wait_for("gate after wave canary", wait);
    let screen = tui.wait_for("3/3", wait);
    assert!(
        screen.contains("canary passed") || screen.contains("canary at its gate"),
        "{screen}"
    );
    assert!(screen.contains("✓ 1  ✗ 0  ▶ 0  · 3"), "{screen}");
    for url in &urls[1..] {
        assert_eq!(
            items(url).await,
            None,
            "nothing past the gate before the go: {url}"
        );
    }
    // The canary's own screen: its steps, read-only.
    tui.send("s");
    tui.wait_for("sorted by fleet order", wait);
    tui.send("\r");
    tui.wait_for("WATCHING", wait);
    tui.wait_for("two-items", wait);
    tui.send("q");
    tui.wait_for("gate after wave canary", wait);
    tui.send("g");
    tui.wait_for("start wave rest? (y)", wait);
    tui.send("y");
    tui.wait_for("fleet succeeded", wait);
    tui.send("q");
    assert_eq!(tui.wait_exit(wait), 0, "{}", tui.transcript());
    for url in &urls {
        assert_eq!(items(url).await, Some(2), "{url}");
    }
    let journal = std::fs::read_to_string(dir.join("runs/tenants.fleet.jsonl")).unwrap();
    assert!(
        journal.contains(r#""event":"wave_decision","go":true,"operator":"lead","reason":"go from the fleet screen by lead","wave":"canary""#),
        "{journal}"
    );
    assert_eq!(
        journal.matches(r#""event":"target_started""#).count(),
        4,
        "{journal}"
    );
}

/// No-go at the fleet screen's gate (n, then y): the fleet halts there (exit 3), later
/// databases untouched, and the halt is journaled as the operator's decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_go_at_the_fleet_screen_halts_the_fleet_at_the_gate() {
    use common::pty::Spawn;
    let urls = fleet_dbs("fleet_tui_nogo", 3).await;
    let dir = scratch_dir("fleet-tui-nogo");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let path = fleet_file(
        &dir,
        "tenants",
        &urls,
        "waves:\n  - name: canary\n    size: 1\n  - name: rest\n",
    );
    let (_, password) = url_template("postgres");
    let wait = Duration::from_secs(60);
    let mut tui = Spawn::new(["fleet".into(), path.clone().into_os_string()])
        .args(["--operator", "lead"])
        .env("FLEET_PW", password)
        .cwd(&dir)
        .size(160, 40)
        .spawn();
    tui.wait_for("gate after wave canary", wait);
    tui.send("n");
    tui.wait_for("halt the fleet here (resumable with --resume)? (y)", wait);
    tui.send("y");
    tui.wait_for("fleet halted", wait);
    tui.send("q");
    assert_eq!(tui.wait_exit(wait), 3, "{}", tui.transcript());
    assert_eq!(items(&urls[0]).await, Some(2));
    for url in &urls[1..] {
        assert_eq!(items(url).await, None, "{url}");
    }
    let journal = std::fs::read_to_string(dir.join("runs/tenants.fleet.jsonl")).unwrap();
    assert!(
        journal.contains(
            r#""go":false,"operator":"lead","reason":"no-go from the fleet screen by lead""#
        ),
        "{journal}"
    );
}

/// SIGTERM while a wave runs under the fleet screen: the running databases are cancelled,
/// the terminal is given back with how the fleet ended (interrupted, exit 6), and a resume
/// finishes every database exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_the_fleet_screen_interrupts_resumably() {
    use common::pty::Spawn;
    let urls = fleet_dbs("fleet_tui_term", 3).await;
    let dir = scratch_dir("fleet-tui-term");
    write(
        &dir,
        "tenant.yaml",
        &RUNBOOK.replace("SLEEP ", "SELECT pg_sleep(30); "),
    );
    let path = fleet_file(
        &dir,
        "tenants",
        &urls,
        "waves:\n  - name: all\n    concurrency: 3\n",
    );
    let (_, password) = url_template("postgres");
    let wait = Duration::from_secs(60);
    let mut tui = Spawn::new(["fleet".into(), path.clone().into_os_string()])
        .args(["--operator", "lead"])
        .env("FLEET_PW", password)
        .cwd(&dir)
        .size(160, 40)
        .spawn();
    // All three in their second migration (the first one done: 1 of 3 steps).
    tui.wait_until("three databases at 1/3", wait, |s| {
        s.matches(" 1/3 ").count() == 3
    });
    tui.signal("TERM");
    let code = tui.wait_exit(wait);
    assert_eq!(code, 6, "{}", tui.transcript());
    let screen = tui.screen_text();
    assert!(
        screen.contains("fleet tenants: interrupted — terminated (SIGTERM): stopped in wave all"),
        "{screen}"
    );
    for url in &urls {
        assert_eq!(items(url).await, Some(1), "the first migration only: {url}");
    }
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let out = run_fleet(
        &dir,
        &["fleet", path.to_str().unwrap(), "--headless", "--resume"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    for url in &urls {
        assert_eq!(items(url).await, Some(2), "{url}");
    }
}

/// `on_error: rollback-wave`: a failure in the wave starts nothing more, the failed database
/// rolls back its own run, and every database of the wave that had succeeded is rolled
/// back by an undo run of its own; the fleet stops at the gate (exit 3) with the rollbacks
/// in the evidence. Once the cause is set right, a resume runs the wave again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_a_rollback_wave_undoes_the_whole_wave() {
    let urls = fleet_dbs("fleet_undo", 5).await;
    let dir = scratch_dir("fleet-undo");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let path = fleet_file(
        &dir,
        "tenants",
        &urls,
        "waves:\n  - name: canary\n    size: 1\n  - name: all\n    on_error: rollback-wave\n",
    );
    // The wave's third database is in the way (one at a time: the first two succeed).
    let blocked = &urls[3];
    connect(blocked)
        .await
        .batch_execute("CREATE TABLE public.items (id int)")
        .await
        .unwrap();
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-waves",
        ],
    )
    .await;
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stdout
            .contains("wave all rolled back after 1 failure(s): 2 of 2 database(s) undone"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("the wave was rolled back: 2 database(s) that had succeeded"),
        "{out:?}"
    );
    assert_eq!(items(&urls[0]).await, Some(2), "the canary stays");
    for url in &urls[1..3] {
        assert_eq!(items(url).await, None, "undone with the wave: {url}");
    }
    assert_eq!(
        items(blocked).await,
        Some(0),
        "the failed one: its own table, untouched"
    );
    assert_eq!(items(&urls[4]).await, None, "never started");
    let statuses: Vec<String> = connect(&urls[1])
        .await
        .query(
            "SELECT step_id || '=' || status FROM cutover.steps WHERE kind = 'migrate' ORDER BY step_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        statuses,
        ["create-items=rolled_back", "second-row=rolled_back"],
        "{out:?}"
    );
    let journal = std::fs::read_to_string(dir.join("runs/tenants.fleet.jsonl")).unwrap();
    assert_eq!(
        journal.matches(r#""event":"target_rolled_back""#).count(),
        2,
        "{journal}"
    );
    let report = run_fleet(&dir, &["report", "runs/tenants.fleet.jsonl"]).await;
    assert!(
        report.stdout.contains("rolled back with its wave"),
        "{report:?}"
    );

    connect(blocked)
        .await
        .batch_execute("DROP TABLE public.items")
        .await
        .unwrap();
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--resume",
            "--approve-waves",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    for url in &urls {
        assert_eq!(items(url).await, Some(2), "{url}");
    }
}

/// `--approve-wave NAME` passes that wave's gate only: the fleet goes past the canary and
/// halts at the next gate (exit 3). A wave the fleet does not have is refused before
/// anything runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_wave_passes_the_named_gate_only() {
    let urls = fleet_dbs("fleet_named", 3).await;
    let dir = scratch_dir("fleet-named");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let path = fleet_file(
        &dir,
        "tenants",
        &urls,
        "waves:\n  - name: canary\n    size: 1\n  - name: second\n    size: 1\n  - name: rest\n",
    );
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-wave",
            "nosuch",
        ],
    )
    .await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr
            .contains("--approve-wave nosuch: no such wave (its waves: canary, second, rest)"),
        "{out:?}"
    );
    assert_eq!(items(&urls[0]).await, None, "nothing ran");
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            path.to_str().unwrap(),
            "--headless",
            "--approve-wave",
            "canary",
        ],
    )
    .await;
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stdout
            .contains("GO (--approve-wave canary: every database of the wave succeeded)"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("halted at the gate after wave second"),
        "{out:?}"
    );
    assert_eq!(items(&urls[1]).await, Some(2));
    assert_eq!(items(&urls[2]).await, None);
}

/// `--targets FILE`: the databases come from a file of their own (the fleet file then need
/// not list any); a mistake in it is shown at its file, line and column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_from_a_file_of_their_own_all_run() {
    let urls = fleet_dbs("fleet_targets_file", 2).await;
    let dir = scratch_dir("fleet-targets-file");
    write(&dir, "tenant.yaml", &RUNBOOK.replace("SLEEP ", ""));
    let fleet = write(
        &dir,
        "fleet.yaml",
        "name: tenants\nrunbook: tenant.yaml\nwaves:\n  - name: all\n",
    );
    let mut list = String::new();
    for url in &urls {
        let (template, _) = url_template(&db_name(url));
        list.push_str(&format!("- url: {template}\n  labels: {{ tier: gold }}\n"));
    }
    let targets = write(&dir, "databases.yaml", &list);
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            fleet.to_str().unwrap(),
            "--targets",
            targets.to_str().unwrap(),
            "--headless",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    for url in &urls {
        assert_eq!(items(url).await, Some(2), "{url}");
    }
    let status = run_fleet(
        &dir,
        &[
            "status",
            "--fleet",
            fleet.to_str().unwrap(),
            "--targets",
            targets.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(status.stdout.contains(&db_name(&urls[1])), "{status:?}");
    let bad = write(
        &dir,
        "bad.yaml",
        "targets:\n  - name: acme\n    labels: { tier: gold }\n",
    );
    let out = run_fleet(
        &dir,
        &[
            "fleet",
            fleet.to_str().unwrap(),
            "--targets",
            bad.to_str().unwrap(),
            "--headless",
        ],
    )
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("bad.yaml:2:"), "{out:?}");
    assert!(out.stderr.contains("url"), "{out:?}");
}
