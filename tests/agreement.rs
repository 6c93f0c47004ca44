//! One truth: the same journals, from real runs on PostgreSQL, through the operator's screen
//! (the TUI's state) and through the post-migration report. Every step's final status,
//! attempts, rows and times agree, and the report's count of applied migrations is what
//! `cutover status` reads from the database.
//!
//! Runs: a clean run, a retry after a failure, a no-go with rollback, a rollback in which one
//! step's rollback fails, a resume after the engine was killed mid-statement, and a go that
//! overrides a failed critical check.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use cutover::engine::RunOptions;
use cutover::events::{Command, Decision, Event, Outcome};
use cutover::journal::Entry;
use cutover::report::model::{StepKind, StepStatus as ReportStatus};
use cutover::tui::state::{StepStatus as ScreenStatus, UiState};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(15);

fn options(url: &str, journal: PathBuf) -> RunOptions {
    RunOptions {
        target: cutover::connect::resolve(Some(url), "cutover:agreement", &|_| None).unwrap(),
        operator: "tester".into(),
        journal,
        run_id: None,
        exclusive_journal: false,
        resume: false,
        new_run: false,
        allow_changed: false,
        monitor_cap: None,
        rehearsal: None,
    }
}

fn load(path: &Path) -> (cutover::runbook::Runbook, cutover::plan::Plan) {
    let loaded = cutover::runbook::load(path);
    let runbook = loaded.runbook.expect("the runbook loads");
    let plan = cutover::plan::plan(&runbook);
    assert!(!plan.has_errors());
    (runbook, plan)
}

struct Run {
    events: UnboundedReceiver<Entry>,
    commands: UnboundedSender<Command>,
    handle: JoinHandle<Result<Outcome, cutover::engine::EngineError>>,
}

fn start(runbook: &Path, opts: RunOptions) -> Run {
    let (runbook, plan) = load(runbook);
    let (event_tx, events) = unbounded_channel();
    let (commands, command_rx) = unbounded_channel();
    let handle = tokio::spawn(async move {
        cutover::engine::run(&runbook, &plan, opts, event_tx, command_rx).await
    });
    Run {
        events,
        commands,
        handle,
    }
}

impl Run {
    async fn until(&mut self, what: &str, matches: impl Fn(&Event) -> bool) {
        loop {
            match tokio::time::timeout(WAIT, self.events.recv()).await {
                Ok(Some(entry)) if matches(&entry.event) => return,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the run ended before {what}"),
                Err(_) => panic!("no {what} within {WAIT:?}"),
            }
        }
    }

    fn send(&self, command: Command) {
        self.commands.send(command).expect("the engine listens");
    }

    async fn finish(mut self) -> Outcome {
        let mut seen = Vec::new();
        while let Ok(Some(entry)) = tokio::time::timeout(WAIT, self.events.recv()).await {
            seen.push(entry.event);
        }
        tokio::time::timeout(WAIT, self.handle)
            .await
            .unwrap_or_else(|_| panic!("the engine did not return; after: {seen:#?}"))
            .expect("no panic")
            .expect("the run ends")
    }
}

fn decide(step: &str, decision: Decision, questions: &[&str], override_checks: bool) -> Command {
    Command::Decide {
        step: step.into(),
        decision,
        operator: "tester".into(),
        // An override stands with its reason.
        comment: override_checks.then(|| "verified by hand".to_owned()),
        answers: questions.iter().map(|q| (q.to_string(), true)).collect(),
        override_failed_checks: override_checks,
    }
}

fn runbook(dir: &Path, name: &str, steps: &str) -> PathBuf {
    common::write(
        dir,
        "runbook.yaml",
        &format!(
            "name: {name}\nwindow:\n  budget: 1h\nphases:\n  - id: main\n    kind: migration\n    budget: 30m\n    steps:\n{steps}"
        ),
    )
}

/// The word both front ends mean by a step's final state.
fn report_word(status: ReportStatus, kind: StepKind) -> &'static str {
    match status {
        ReportStatus::Applied => "applied",
        ReportStatus::Done | ReportStatus::Passed => "done",
        ReportStatus::CheckFailed | ReportStatus::Failed => "failed",
        ReportStatus::Go => "go",
        ReportStatus::NoGo => "no-go",
        ReportStatus::Undecided => "waiting",
        ReportStatus::RolledBack => "rolled back",
        ReportStatus::RollbackFailed => "rollback failed",
        ReportStatus::Skipped => "skipped",
        ReportStatus::Interrupted if kind == StepKind::Checkpoint => "waiting",
        ReportStatus::Interrupted => "interrupted",
    }
}

fn screen_word(status: ScreenStatus, kind: &str, decision: Option<Decision>) -> &'static str {
    match status {
        ScreenStatus::Done if kind == "migrate" => "applied",
        ScreenStatus::Done if kind == "checkpoint" => match decision {
            Some(Decision::Go) => "go",
            _ => "no-go",
        },
        ScreenStatus::Done => "done",
        ScreenStatus::Failed => "failed",
        ScreenStatus::NoGo => "no-go",
        ScreenStatus::Waiting => "waiting",
        ScreenStatus::RolledBack => "rolled back",
        ScreenStatus::RollbackFailed => "rollback failed",
        ScreenStatus::Skipped => "skipped",
        ScreenStatus::Running | ScreenStatus::Interrupted | ScreenStatus::Uncertain => {
            "interrupted"
        }
        ScreenStatus::Pending => "pending",
    }
}

/// Screen and report agree on every step the journal mentions; the report's applied count is
/// the database's.
async fn assert_agree(what: &str, runbook_path: &Path, journal: &Path, url: &str) {
    let (runbook, plan) = load(runbook_path);
    let replayed = cutover::journal::replay(journal).expect("journal readable");
    let report = cutover::report::build(&replayed.entries, &replayed.unreadable);
    let mut screen = UiState::new(&runbook, &plan, "tester");
    for entry in &replayed.entries {
        screen.apply(entry);
    }
    let mut disagreements = Vec::new();
    for r in &report.steps {
        let Some(s) = screen.steps.iter().find(|s| s.id == r.id) else {
            disagreements.push(format!("{}: on the report, not on the screen", r.id));
            continue;
        };
        let (rw, sw) = (
            report_word(r.status, r.kind),
            screen_word(s.status, s.kind, s.decision),
        );
        if rw != sw {
            disagreements.push(format!("{}: report {rw}, screen {sw}", r.id));
        }
        if r.attempts != s.starts {
            disagreements.push(format!(
                "{}: attempts: report {}, screen {}",
                r.id, r.attempts, s.starts
            ));
        }
        if r.kind == StepKind::Migrate
            && r.status == ReportStatus::Applied
            && r.rows != Some(s.rows)
        {
            disagreements.push(format!(
                "{}: rows: report {:?}, screen {}",
                r.id, r.rows, s.rows
            ));
        }
        if r.finished_at.is_some()
            && s.finished.is_some()
            && (r.finished_at != s.finished || r.duration_ms != s.duration_ms)
        {
            disagreements.push(format!(
                "{}: finished: report {:?} after {:?} ms, screen {:?} after {:?} ms",
                r.id, r.finished_at, r.duration_ms, s.finished, s.duration_ms
            ));
        }
        if (r.notices.len(), r.retries.len(), r.lock_waits.len())
            != (s.notices.len(), s.retries as usize, s.lock_waits as usize)
        {
            disagreements.push(format!(
                "{}: notices/retries/lock waits: report {:?}, screen {:?}",
                r.id,
                (r.notices.len(), r.retries.len(), r.lock_waits.len()),
                (s.notices.len(), s.retries, s.lock_waits)
            ));
        }
        if r.status == ReportStatus::Failed
            && r.errors.last().map(|e| e.error.message.as_str())
                != s.error.as_ref().map(|e| e.message.as_str())
        {
            disagreements.push(format!(
                "{}: error: report {:?}, screen {:?}",
                r.id,
                r.errors.last(),
                s.error
            ));
        }
        if r.started_at != s.first_started {
            disagreements.push(format!(
                "{}: started: report {:?}, screen {:?}",
                r.id, r.started_at, s.first_started
            ));
        }
    }
    // Phases: a phase the screen shows finished is one the report shows finished, at the
    // same time, after the same duration, over budget or not.
    for ph in &screen.phases {
        let Some(finished) = ph.finished else {
            continue;
        };
        let ran = report
            .phases
            .iter()
            .find(|r| r.phase == ph.id && r.finished_at == Some(finished));
        match ran {
            Some(r)
                if Some(r.duration_ms) == ph.duration_ms
                    && Some(r.started_at) == ph.started
                    && r.budget_exceeded_at.is_some() == ph.over_budget => {}
            other => disagreements.push(format!(
                "phase {}: screen {:?}–{:?} ({:?} ms, over budget {}), report {:?}",
                ph.id,
                ph.started,
                ph.finished,
                ph.duration_ms,
                ph.over_budget,
                other.map(|r| (r.started_at, r.finished_at, r.duration_ms))
            )),
        }
    }
    // Decisions: who, when, what, why, and what they overrode.
    for c in &report.checkpoints {
        let Some(d) = c.decision.as_ref().filter(|d| !d.restored) else {
            continue;
        };
        let word = d.decision.as_str();
        let on_screen = screen.decisions.iter().any(|s| {
            s.step == c.step
                && s.ts == d.at
                && s.operator == d.operator
                && s.comment == d.comment
                && s.overrode == d.overrode_failed_checks
                && s.decision
                    .map(|x| cutover::report::model::DecisionKind::from(x).as_str())
                    == Some(word)
        });
        if !on_screen {
            disagreements.push(format!(
                "{}: the report's decision {word} by {} at {} is not on the screen: {:?}",
                c.step, d.operator, d.at, screen.decisions
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{what}: the screen and the report disagree:\n{}",
        disagreements.join("\n")
    );
    // `cutover status` counts the migrations the tracking schema has applied.
    let db = common::connect(url).await;
    let applied: i64 = db
        .query_one(
            "SELECT count(*) FROM cutover.steps WHERE kind = 'migrate' AND status = 'applied'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        i64::from(report.summary.counts.steps_applied),
        applied,
        "{what}: the report counts {} applied, the database {applied}",
        report.summary.counts.steps_applied
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_run() {
    let url = common::fresh_db("agree_clean").await;
    let dir = common::scratch_dir("agree-clean");
    let path = runbook(
        &dir,
        "clean",
        r#"      - migrate: create
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
      - migrate: fill
        sql: INSERT INTO t SELECT generate_series(1, 25)
        rollback: DELETE FROM t
      - check: filled
        sql: SELECT count(*) FROM t
        expect: 25
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#,
    );
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    run.send(decide("gate", Decision::Go, &["Ready?"], false));
    assert_eq!(run.finish().await, Outcome::Succeeded);
    assert_agree("a clean run", &path, &journal, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_failure() {
    let url = common::fresh_db("agree_retry").await;
    let dir = common::scratch_dir("agree-retry");
    let path = runbook(
        &dir,
        "retry",
        r#"      - migrate: fill
        sql: |
          CREATE TABLE IF NOT EXISTS t (id int);
          INSERT INTO t SELECT generate_series(1, 7);
          INSERT INTO needed SELECT 1
        rollback: DROP TABLE t
"#,
    );
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until("the failure choice", |e| {
        matches!(e, Event::AwaitingFailureDecision { .. })
    })
    .await;
    common::connect(&url)
        .await
        .batch_execute("CREATE TABLE public.needed (id int)")
        .await
        .unwrap();
    run.send(Command::Retry);
    assert_eq!(run.finish().await, Outcome::Succeeded);
    assert_agree("a retry after a failure", &path, &journal, &url).await;
}

const TWO_AND_A_GATE: &str = r#"      - migrate: first
        sql: CREATE TABLE first_t (id int)
        rollback: DROP TABLE first_t
      - migrate: kept
        sql: CREATE TABLE kept_t (id int)
        irreversible: kept on purpose
      - migrate: second
        sql: CREATE TABLE second_t (id int)
        rollback: ROLLBACK_SQL
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
"#;

async fn no_go_rollback(tag: &str, rollback_sql: &str) {
    let url = common::fresh_db(tag).await;
    let dir = common::scratch_dir(tag);
    let path = runbook(
        &dir,
        tag,
        &TWO_AND_A_GATE.replace("ROLLBACK_SQL", rollback_sql),
    );
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    run.send(decide("gate", Decision::Rollback, &[], false));
    let outcome = run.finish().await;
    assert!(
        matches!(outcome, Outcome::RolledBack | Outcome::Failed),
        "{outcome:?}"
    );
    assert_agree(tag, &path, &journal, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_go_with_rollback() {
    no_go_rollback("agree_rollback", "DROP TABLE second_t").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_in_which_one_step_s_rollback_fails() {
    no_go_rollback("agree_rollback_fails", "DROP TABLE no_such_table").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_after_the_engine_was_killed() {
    let url = common::fresh_db("agree_resume").await;
    let dir = common::scratch_dir("agree-resume");
    let path = runbook(
        &dir,
        "resume",
        r#"      - migrate: create
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
      - migrate: slow
        sql: SELECT pg_sleep(1.5)
      - migrate: after
        sql: CREATE TABLE after_t (id int)
        rollback: DROP TABLE after_t
"#,
    );
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until(
        "the slow statement",
        |e| matches!(e, Event::StatementStarted { step, .. } if step == "slow"),
    )
    .await;
    // Killed: no run_finished, the statement left to the server.
    run.handle.abort();
    drop(run);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut opts = options(&url, journal.clone());
    opts.resume = true;
    let run = start(&path, opts);
    assert_eq!(run.finish().await, Outcome::Succeeded);
    assert_agree("a resume after a kill", &path, &journal, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_go_that_overrides_a_failed_critical_check() {
    let url = common::fresh_db("agree_override").await;
    let dir = common::scratch_dir("agree-override");
    let path = runbook(
        &dir,
        "override",
        r#"      - migrate: create
        sql: CREATE TABLE t (id int)
        rollback: DROP TABLE t
      - check: has-rows
        sql: SELECT count(*) FROM t
        expect: { gt: 0 }
      - checkpoint: gate
        prompt: Go?
        questions: [Ready?]
      - migrate: after
        sql: CREATE TABLE after_t (id int)
        rollback: DROP TABLE after_t
"#,
    );
    let journal = dir.join("j.jsonl");
    let mut run = start(&path, options(&url, journal.clone()));
    run.until("the gate", |e| matches!(e, Event::CheckpointReached { .. }))
        .await;
    run.send(decide("gate", Decision::Go, &["Ready?"], true));
    assert_eq!(run.finish().await, Outcome::Succeeded);
    assert_agree("an override", &path, &journal, &url).await;
}
