use super::*;

fn at(seq: u64, secs: i64, event: Event) -> Entry {
    Entry {
        ts: DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default(),
        seq,
        event,
    }
}

fn started(step: &str, attempt: u32) -> Event {
    Event::StepStarted {
        step: step.into(),
        attempt,
        in_transaction: Some(true),
    }
}

#[test]
fn a_retry_counts_both_attempts_and_keeps_the_last_ones_rows_and_time() {
    let r = RunRecord::of(&[
        at(1, 0, started("m", 1)),
        at(
            2,
            1,
            Event::StatementFinished {
                step: "m".into(),
                index: 1,
                rows: 500,
                duration_ms: 900,
            },
        ),
        at(
            3,
            2,
            Event::StepFailed {
                step: "m".into(),
                error: Default::default(),
            },
        ),
        at(4, 10, started("m", 2)),
        at(
            5,
            11,
            Event::StatementFinished {
                step: "m".into(),
                index: 1,
                rows: 3,
                duration_ms: 40,
            },
        ),
        at(
            6,
            11,
            Event::StepFinished {
                step: "m".into(),
                duration_ms: 1000,
                rows: 3,
            },
        ),
    ]);
    let m = r.step("m").unwrap();
    assert_eq!(m.status, Status::Done);
    assert_eq!(m.attempts, 2);
    assert_eq!(
        m.rows,
        Some(3),
        "the applied attempt's rows, not the largest"
    );
    assert_eq!(m.statements, 1);
    assert_eq!(m.duration_ms, Some(1000));
    assert_eq!(
        m.first_started_at,
        DateTime::from_timestamp(1_700_000_000, 0)
    );
}

#[test]
fn a_failed_rollback_and_a_rollback_that_ran_nothing_leave_the_step_applied() {
    let r = RunRecord::of(&[
        at(1, 0, started("a", 1)),
        at(
            2,
            1,
            Event::StepFinished {
                step: "a".into(),
                duration_ms: 5,
                rows: 0,
            },
        ),
        at(3, 2, started("b", 1)),
        at(
            4,
            3,
            Event::StepFinished {
                step: "b".into(),
                duration_ms: 5,
                rows: 0,
            },
        ),
        at(
            5,
            4,
            Event::RollbackStarted {
                steps: vec!["b".into(), "a".into()],
            },
        ),
        at(
            6,
            5,
            Event::StatementFinished {
                step: "b".into(),
                index: 1,
                rows: 0,
                duration_ms: 1,
            },
        ),
        at(
            7,
            5,
            Event::RollbackStep {
                step: "b".into(),
                ok: false,
                error: None,
            },
        ),
        at(
            8,
            6,
            Event::RollbackLeftApplied {
                step: "a".into(),
                reason: "no rollback SQL".into(),
            },
        ),
    ]);
    let b = r.step("b").unwrap();
    assert_eq!(b.status, Status::RollbackFailed);
    assert_eq!(b.statements, 0, "rollback statements are not the step's");
    assert_eq!(r.step("a").map(|s| s.status), Some(Status::LeftApplied));
}

#[test]
fn what_the_engine_waits_for_is_asked_refused_and_answered() {
    let gate = || Event::CheckpointReached {
        step: "go".into(),
        prompt: "Go?".into(),
        questions: vec!["Ready?".into()],
        failed_critical: vec![],
        projected_end: "2026-01-01T00:00:00Z".into(),
        hard_end: "not a time".into(),
        pace: None,
        advice: None,
    };
    let mut r = RunRecord::new();
    r.apply(&at(1, 0, gate()));
    assert_eq!(r.waiting_seq, 1);
    let Some(Waiting::Gate {
        projected_end,
        hard_end,
        ..
    }) = &r.waiting
    else {
        panic!("a gate: {:?}", r.waiting)
    };
    assert!(projected_end.is_some() && hard_end.is_none());
    r.apply(&at(
        2,
        1,
        Event::DecisionRejected {
            step: "go".into(),
            reason: "not every question is confirmed".into(),
        },
    ));
    assert_eq!(r.rejected_seq, 1);
    assert!(matches!(
        &r.waiting,
        Some(Waiting::Gate { rejected: Some(why), .. }) if why.contains("question")
    ));
    r.apply(&at(
        3,
        2,
        Event::DecisionRecorded {
            step: "go".into(),
            decision: Decision::Go,
            operator: "op".into(),
            comment: None,
            answers: vec![],
            overrode_failed_checks: vec![],
            restored: false,
        },
    ));
    assert_eq!(r.waiting, None);
    r.apply(&at(4, 3, gate()));
    assert_eq!(
        r.waiting_seq, 2,
        "the same gate asked again is a new question"
    );
    r.apply(&at(
        5,
        4,
        Event::RunFinished {
            outcome: crate::events::Outcome::Halted,
            message: None,
        },
    ));
    assert_eq!(r.waiting, None);
    assert_eq!(r.step("go").map(|s| s.status), Some(Status::Interrupted));
}

#[test]
fn a_cancel_that_closes_a_gate_leaves_the_run_stopped_at_the_gate() {
    let r = RunRecord::of(&[
        at(1, 0, started("m", 1)),
        at(
            2,
            1,
            Event::StepFinished {
                step: "m".into(),
                duration_ms: 5,
                rows: 0,
            },
        ),
        at(
            3,
            2,
            Event::CheckpointReached {
                step: "go".into(),
                prompt: "Go?".into(),
                questions: vec![],
                failed_critical: vec![],
                projected_end: String::new(),
                hard_end: String::new(),
                pace: None,
                advice: None,
            },
        ),
        at(
            4,
            3,
            Event::Cancelled {
                reason: "SIGTERM".into(),
            },
        ),
        at(
            5,
            4,
            Event::RunFinished {
                outcome: Outcome::Interrupted,
                message: None,
            },
        ),
    ]);
    assert_eq!(
        r.stopped_at,
        Some(Stop {
            step: "go".into(),
            kind: StopKind::Gate
        })
    );
    assert_eq!(r.cancel.as_deref(), Some("SIGTERM"));
    assert_eq!(r.current.as_deref(), Some("go"));
}

#[test]
fn a_cancelled_statement_fails_its_step_and_is_not_a_run_cancel() {
    let mut r = RunRecord::of(&[
        at(1, 0, started("m", 1)),
        at(
            2,
            1,
            Event::StatementStarted {
                step: "m".into(),
                index: 2,
                sql: "UPDATE t SET x = 1".into(),
            },
        ),
        at(
            3,
            2,
            Event::StatementCancelled {
                step: "m".into(),
                reason: "cancelled by the operator".into(),
            },
        ),
    ]);
    r.apply(&at(
        4,
        3,
        Event::StepFailed {
            step: "m".into(),
            error: SqlFailure {
                sqlstate: Some("57014".into()),
                ..Default::default()
            },
        },
    ));
    let m = r.step("m").unwrap();
    assert!(m.statement_cancelled);
    assert_eq!(r.cancel, None);
    assert_eq!(r.errors.len(), 1);
    // The same failure without a cancel that reached it is the SQL's own.
    let mut other = RunRecord::of(&[at(1, 0, started("m", 1))]);
    other.apply(&at(
        2,
        1,
        Event::StepFailed {
            step: "m".into(),
            error: SqlFailure {
                sqlstate: Some("57014".into()),
                ..Default::default()
            },
        },
    ));
    assert!(!other.step("m").unwrap().statement_cancelled);
}

#[test]
fn a_run_that_stops_mid_statement_says_which_and_ends_its_probes_sampling() {
    let sample = |secs, value| {
        at(
            secs as u64,
            secs,
            Event::ProbeSample {
                step: "lag".into(),
                value: Some(crate::runbook::Scalar::Int(value)),
                alert: value > 5,
            },
        )
    };
    let mut r = RunRecord::of(&[
        at(
            0,
            0,
            Event::PhaseStarted {
                phase: "watch".into(),
            },
        ),
        sample(1, 3),
        sample(2, 9),
        at(
            3,
            3,
            Event::PhaseFinished {
                phase: "watch".into(),
                duration_ms: 3000,
            },
        ),
    ]);
    let lag = r.step("lag").unwrap();
    assert_eq!(lag.status, Status::Done, "its phase ended");
    let stats = lag.probe.as_ref().unwrap();
    assert_eq!(
        (stats.samples, stats.min, stats.max),
        (2, Some(3.0), Some(9.0))
    );
    assert!(stats.alert_now);
    assert_eq!(r.phases[0].duration_ms, 3000);
    r.apply(&at(
        4,
        4,
        Event::PhaseStarted {
            phase: "migrate".into(),
        },
    ));
    r.apply(&at(5, 5, started("m", 1)));
    r.apply(&at(
        6,
        6,
        Event::StatementStarted {
            step: "m".into(),
            index: 2,
            sql: "ALTER TABLE t ADD c int".into(),
        },
    ));
    r.apply(&at(
        7,
        8,
        Event::RunFinished {
            outcome: Outcome::Failed,
            message: None,
        },
    ));
    assert_eq!(
        r.stopped_at.as_ref().map(|s| &s.kind),
        Some(&StopKind::Running {
            statement: Some(2),
            in_transaction: Some(true)
        })
    );
    assert_eq!(r.step("m").unwrap().status, Status::Interrupted);
    let migrate = &r.phases[1];
    assert_eq!((migrate.finished_at, migrate.duration_ms), (None, 4000));
}
