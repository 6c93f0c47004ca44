//! What a run does with what the database already records, decided without a database: which
//! run to continue (or why not), whether the runbook may run at all, and for each step whether
//! it runs, is skipped, or needs a person. Pure (in the manner of refinery's
//! `verify_migrations`): the engine reads the tracking store, asks here, and executes the
//! answer; the rules are unit-tested without PostgreSQL.

use crate::events::Outcome;
use crate::runbook::{Step, StepKind};
use crate::tracking::{StepRecord, StepStatus, is_resumable};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The SQL checksum tracking records for a migration.
pub fn checksum(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Which run this is.
#[derive(Debug, PartialEq, Eq)]
pub enum RunChoice {
    /// Continue the interrupted run with this id.
    Resume(String),
    /// Begin a new run.
    Begin,
    /// Neither: why, in words for the operator.
    Refuse(String),
}

/// The latest recorded run of the runbook (id and stored outcome) and what was asked for.
pub fn run_choice(
    runbook: &str,
    latest: Option<(&str, Option<Outcome>)>,
    resume: bool,
    new_run: bool,
) -> RunChoice {
    let resumable = latest.filter(|(_, outcome)| is_resumable(*outcome));
    match (resumable, resume, new_run) {
        (Some((id, _)), true, _) => RunChoice::Resume(id.to_owned()),
        // Killed before its run was even recorded: nothing ran, so begin it now.
        (None, true, _) if latest.is_none() => RunChoice::Begin,
        (None, true, _) => RunChoice::Refuse(format!(
            "there is no interrupted run of `{runbook}` to resume on this database (its last run ended {}); start a new one without `--resume`",
            latest
                .and_then(|(_, outcome)| outcome.map(Outcome::as_str))
                .unwrap_or("cleanly")
        )),
        (Some((id, outcome)), false, false) => RunChoice::Refuse(format!(
            "run {id} of `{runbook}` did not finish ({}); continue it with `--resume`, or start over with `--new-run` (applied steps are skipped either way)",
            outcome.map_or("interrupted", Outcome::as_str)
        )),
        _ => RunChoice::Begin,
    }
}

/// Applied migrations whose SQL changed since: the run refuses to start unless the operator
/// accepts them (`--allow-changed`). `None`: nothing stands in the way.
pub fn changed_refusal(
    steps: &[&Step],
    records: &HashMap<String, StepRecord>,
    allow_changed: bool,
) -> Option<String> {
    if allow_changed {
        return None;
    }
    let changed: Vec<&str> = steps
        .iter()
        .filter(|s| {
            let StepKind::Migrate(m) = &s.kind else {
                return false;
            };
            records.get(&s.id).is_some_and(|r| {
                r.status == StepStatus::Applied
                    && r.sql_checksum.as_deref() != Some(checksum(&m.sql.text).as_str())
            })
        })
        .map(|s| s.id.as_str())
        .collect();
    (!changed.is_empty()).then(|| {
        format!(
            "the SQL of already-applied step(s) {} changed since they were applied (checksum mismatch); restore the applied SQL, write a new migration, or pass --allow-changed",
            changed.join(", ")
        )
    })
}

/// What to do with one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepAction {
    /// Run it (never run, failed, rolled back, or not a step tracking remembers).
    Run,
    /// Skip it, saying why.
    Skip(&'static str),
    /// A migration left `started` outside a transaction: only a person can say whether it
    /// took effect (mark it applied, or run it again).
    AskUncertain,
    /// A check this run already ran before the go at `gate`: its result was the evidence for
    /// that go and stands. Run again after the go (and after the migrations it let through),
    /// a "target is empty" check would fail and read like a bypassed gate.
    Restore { gate: String },
}

/// What to do with `step` given its tracking row, in run `run_id`. `gate_passed`: for a
/// check, the checkpoint it is evidence for (see [`consuming_gates`]) if this run gave that
/// checkpoint its go.
pub fn step_action(
    step: &Step,
    record: Option<&StepRecord>,
    run_id: &str,
    gate_passed: Option<&str>,
) -> StepAction {
    let Some(record) = record else {
        return StepAction::Run;
    };
    let in_this_run = record.run_id == run_id;
    match (&step.kind, record.status) {
        (StepKind::Check(_), StepStatus::Passed | StepStatus::Failed) if in_this_run => {
            match gate_passed {
                Some(gate) => StepAction::Restore {
                    gate: gate.to_owned(),
                },
                None => StepAction::Run,
            }
        }
        // Whichever run applied it: never twice.
        (StepKind::Migrate(_), StepStatus::Applied) => StepAction::Skip("already applied"),
        (StepKind::Migrate(_), StepStatus::Started) => StepAction::AskUncertain,
        // A backfill left `started` goes on from its cursor (each batch committed with it).
        (StepKind::Backfill(_), StepStatus::Applied) => StepAction::Skip("already applied"),
        (StepKind::Manual { .. }, StepStatus::Done) if in_this_run => {
            StepAction::Skip("acknowledged earlier in this run")
        }
        (StepKind::Command(_), StepStatus::Done) if in_this_run => {
            StepAction::Skip("ran earlier in this run")
        }
        _ => StepAction::Run,
    }
}

/// The checkpoint each check is evidence for: the first checkpoint after it in plan order
/// (`order`: step indexes, every phase's order in turn). A failed critical check holds back
/// exactly that checkpoint's go.
pub fn consuming_gates(order: &[usize], steps: &[&Step]) -> HashMap<usize, String> {
    let mut gates = HashMap::new();
    let mut waiting: Vec<usize> = Vec::new();
    for &i in order {
        match steps.get(i).map(|s| &s.kind) {
            Some(StepKind::Check(_)) => waiting.push(i),
            Some(StepKind::Checkpoint(_)) => {
                for check in waiting.drain(..) {
                    gates.insert(check, steps[i].id.clone());
                }
            }
            _ => {}
        }
    }
    gates
}

/// Every step's action, in runbook order; `passed`: the checkpoints this run gave a go.
pub fn step_actions(
    steps: &[&Step],
    order: &[usize],
    records: &HashMap<String, StepRecord>,
    run_id: &str,
    passed: &std::collections::HashSet<String>,
) -> Vec<StepAction> {
    let gates = consuming_gates(order, steps);
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let gate = gates.get(&i).filter(|g| passed.contains(*g));
            step_action(s, records.get(&s.id), run_id, gate.map(String::as_str))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = r#"
name: verdict
window:
  budget: 1h
phases:
  - id: main
    kind: migration
    budget: 30m
    steps:
      - migrate: a
        sql: CREATE TABLE a (id int)
        rollback: DROP TABLE a
      - migrate: b
        sql: CREATE TABLE b (id int)
        rollback: DROP TABLE b
      - manual: tell
        prompt: Tell the team
      - command: backup
        run: [echo, ok]
      - check: rows
        sql: SELECT 1
        expect: 1
      - checkpoint: go
        prompt: Go?
        questions: [Ready?]
      - check: empty
        sql: SELECT 0
        expect: 0
      - checkpoint: live
        prompt: Live?
        questions: [Ready?]
"#;

    fn runbook() -> crate::runbook::Runbook {
        let loaded =
            crate::runbook::load_text(std::path::Path::new("verdict.yaml"), RUNBOOK, &|_| None);
        loaded.runbook.expect("the test runbook loads")
    }

    fn record(step: &str, run: &str, status: StepStatus, sql: Option<&str>) -> StepRecord {
        StepRecord {
            step_id: step.into(),
            run_id: run.into(),
            status,
            sql_checksum: sql.map(checksum),
        }
    }

    fn records(rows: Vec<StepRecord>) -> HashMap<String, StepRecord> {
        rows.into_iter().map(|r| (r.step_id.clone(), r)).collect()
    }

    fn actions(rows: Vec<StepRecord>, run: &str) -> Vec<StepAction> {
        actions_after(rows, run, &[])
    }

    /// With the go given at `passed` checkpoints in this run.
    fn actions_after(rows: Vec<StepRecord>, run: &str, passed: &[&str]) -> Vec<StepAction> {
        let rb = runbook();
        let steps: Vec<&Step> = rb.phases.iter().flat_map(|p| &p.steps).collect();
        let order: Vec<usize> = (0..steps.len()).collect();
        let passed = passed.iter().map(|g| g.to_string()).collect();
        step_actions(&steps, &order, &records(rows), run, &passed)
    }

    #[test]
    fn a_check_before_a_passed_gate_keeps_its_result_and_others_run_again() {
        let rows = || {
            vec![
                record("rows", "r1", StepStatus::Failed, None),
                record("empty", "r1", StepStatus::Passed, None),
            ]
        };
        // Resumed after the go at `go`: `rows` was its evidence and stands; `empty`, checked
        // before the next gate, runs again.
        let got = actions_after(rows(), "r1", &["go"]);
        assert_eq!(got[4], StepAction::Restore { gate: "go".into() });
        assert_eq!(got[6], StepAction::Run);
        // No go yet: both run again.
        let got = actions_after(rows(), "r1", &[]);
        assert_eq!((&got[4], &got[6]), (&StepAction::Run, &StepAction::Run));
        // A go given in another run restores nothing of this one.
        let got = actions_after(rows(), "r2", &["go"]);
        assert_eq!(got[4], StepAction::Run);
    }

    #[test]
    fn nothing_recorded_runs_everything() {
        assert!(actions(vec![], "r1").iter().all(|a| *a == StepAction::Run));
    }

    #[test]
    fn an_applied_migration_is_skipped_whichever_run_applied_it() {
        for run in ["r1", "an-older-run"] {
            let got = actions(
                vec![record(
                    "a",
                    run,
                    StepStatus::Applied,
                    Some("CREATE TABLE a (id int)"),
                )],
                "r1",
            );
            assert_eq!(got[0], StepAction::Skip("already applied"));
            assert_eq!(got[1], StepAction::Run);
        }
    }

    #[test]
    fn failed_and_rolled_back_migrations_run_again() {
        let got = actions(
            vec![
                record("a", "r0", StepStatus::Failed, None),
                record("b", "r0", StepStatus::RolledBack, None),
            ],
            "r1",
        );
        assert_eq!(got[..2], [StepAction::Run, StepAction::Run]);
    }

    #[test]
    fn a_migration_left_started_needs_a_person() {
        let got = actions(vec![record("b", "r1", StepStatus::Started, None)], "r1");
        assert_eq!(got[1], StepAction::AskUncertain);
    }

    #[test]
    fn manual_steps_and_commands_done_count_only_in_their_own_run() {
        let rows = || {
            vec![
                record("tell", "r1", StepStatus::Done, None),
                record("backup", "r1", StepStatus::Done, None),
            ]
        };
        let resumed = actions(rows(), "r1");
        assert_eq!(
            resumed[2],
            StepAction::Skip("acknowledged earlier in this run")
        );
        assert_eq!(resumed[3], StepAction::Skip("ran earlier in this run"));
        let next = actions(rows(), "r2");
        assert_eq!(next[2..4], [StepAction::Run, StepAction::Run]);
    }

    #[test]
    fn checks_run_again_without_a_passed_gate_and_unknown_statuses_skip_nothing() {
        let got = actions(
            vec![
                record("rows", "r1", StepStatus::Passed, None),
                record("a", "r1", StepStatus::Unknown, None),
            ],
            "r1",
        );
        assert_eq!(got[4], StepAction::Run);
        assert_eq!(got[0], StepAction::Run);
    }

    #[test]
    fn steps_gone_from_the_runbook_are_ignored_and_new_ones_run() {
        let got = actions(
            vec![record(
                "removed-long-ago",
                "r0",
                StepStatus::Applied,
                Some("x"),
            )],
            "r1",
        );
        assert_eq!(got.len(), 8);
        assert!(got.iter().all(|a| *a == StepAction::Run));
    }

    #[test]
    fn changed_applied_sql_refuses_unless_allowed() {
        let rb = runbook();
        let steps: Vec<&Step> = rb.phases.iter().flat_map(|p| &p.steps).collect();
        let changed = records(vec![
            record(
                "a",
                "r0",
                StepStatus::Applied,
                Some("CREATE TABLE a (id bigint)"),
            ),
            record(
                "b",
                "r0",
                StepStatus::Applied,
                Some("CREATE TABLE b (id int)"),
            ),
        ]);
        let refusal = changed_refusal(&steps, &changed, false).expect("a refusal");
        assert!(refusal.contains("step(s) a changed"), "{refusal}");
        assert!(!refusal.contains(" b"), "{refusal}");
        assert_eq!(changed_refusal(&steps, &changed, true), None);
        // A failed step's SQL may change: it never took effect.
        let failed = records(vec![record("a", "r0", StepStatus::Failed, Some("old"))]);
        assert_eq!(changed_refusal(&steps, &failed, false), None);
    }

    #[test]
    fn the_run_to_continue_or_why_not() {
        use Outcome::*;
        let choice = |latest, resume, new_run| run_choice("rb", latest, resume, new_run);
        // Nothing recorded: a new run, resumed or not.
        assert_eq!(choice(None, false, false), RunChoice::Begin);
        assert_eq!(choice(None, true, false), RunChoice::Begin);
        // Interrupted, halted or failed: resumable.
        for outcome in [None, Some(Interrupted), Some(Halted), Some(Failed)] {
            assert_eq!(
                choice(Some(("r1", outcome)), true, false),
                RunChoice::Resume("r1".into())
            );
            assert!(matches!(
                choice(Some(("r1", outcome)), false, false),
                RunChoice::Refuse(why) if why.contains("--resume") && why.contains("--new-run")
            ));
            assert_eq!(choice(Some(("r1", outcome)), false, true), RunChoice::Begin);
        }
        // Ended for good: a finished run is never resumed.
        for outcome in [Succeeded, RolledBack, Aborted] {
            assert_eq!(
                choice(Some(("r1", Some(outcome))), false, false),
                RunChoice::Begin
            );
            assert!(matches!(
                choice(Some(("r1", Some(outcome))), true, false),
                RunChoice::Refuse(why) if why.contains(outcome.as_str())
            ));
        }
    }
}
