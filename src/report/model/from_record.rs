//! The report from the run record: the one fold of the journal, turned into the documented schema.

use super::*;

/// A step's state from the run record, in the report's words (`None`: not started, the
/// report's own default stands).
pub(super) fn report_status(status: crate::record::Status, kind: StepKind) -> Option<StepStatus> {
    use crate::record::Status;
    Some(match status {
        Status::Pending => return None,
        Status::Running | Status::Uncertain => StepStatus::Interrupted,
        Status::Waiting => StepStatus::Undecided,
        Status::Interrupted if matches!(kind, StepKind::Checkpoint | StepKind::Manual) => {
            StepStatus::Undecided
        }
        Status::Interrupted => StepStatus::Interrupted,
        Status::Done => match kind {
            StepKind::Migrate | StepKind::Backfill | StepKind::Unknown => StepStatus::Applied,
            StepKind::Check => StepStatus::Passed,
            StepKind::Checkpoint => StepStatus::Go,
            StepKind::Command | StepKind::Manual | StepKind::Probe => StepStatus::Done,
        },
        Status::LeftApplied => StepStatus::Applied,
        Status::CheckFailed => StepStatus::CheckFailed,
        Status::Failed => StepStatus::Failed,
        Status::Skipped => StepStatus::Skipped,
        Status::Go => StepStatus::Go,
        Status::NoGo => StepStatus::NoGo,
        Status::RolledBack => StepStatus::RolledBack,
        Status::RollbackFailed => StepStatus::RollbackFailed,
    })
}

/// Builds the report from a journal's readable entries and the line numbers it could not read:
/// the run record's fold of them, in the report's shape.
pub fn build(entries: &[Entry], unreadable: &[usize]) -> Report {
    let record = RunRecord::of(entries);
    from_record(record, entries, unreadable)
}

/// The warnings about lines that could not be read.
pub(super) fn unreadable_warnings(entries: usize, unreadable: &[usize]) -> Vec<String> {
    let torn = torn_tail(entries, unreadable);
    unreadable
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if torn && i + 1 == unreadable.len() {
                format!(
                    "line {line} is torn (cut short mid-write: a crash, kill or power loss); it was left out"
                )
            } else {
                format!(
                    "line {line} is not a readable journal entry (a write torn before a resume?); it was left out"
                )
            }
        })
        .collect()
}

/// What is odd about the journal, or what the run did to stay exactly-once, said where a
/// reader looks.
pub(super) fn anomaly_text(a: &Anomaly) -> String {
    match a {
        Anomaly::SeqGap { from, to } => {
            format!("seq jumps from {from} to {to}: the journal may be missing events")
        }
        Anomaly::OutsideRun {
            seq,
            before_any: true,
        } => {
            format!("seq {seq}: events before any run_started: the start of the journal is missing")
        }
        Anomaly::OutsideRun {
            seq,
            before_any: false,
        } => format!("seq {seq}: events after run_finished without a new run_started"),
        Anomaly::OtherRun { seq, run_id, first } => format!(
            "seq {seq}: a different run ({run_id}) starts in this journal; the report treats it as part of {first}"
        ),
        Anomaly::StartedAgainWithoutResumed { seq } => {
            format!("seq {seq}: run_started again without resumed")
        }
        Anomaly::ChecksumChanged { seq, checksum } => {
            format!("the runbook changed between attempts: checksum {checksum} at seq {seq}")
        }
        Anomaly::ServerVersionChanged { seq, version } => {
            format!("the server version changed between attempts: {version} at seq {seq}")
        }
        Anomaly::StartsResumed => {
            "the journal starts with a resumed run: earlier attempts are in another journal"
                .to_owned()
        }
        Anomaly::HardEndNotTime { seq, text } => {
            format!("seq {seq}: hard_end `{text}` is not RFC 3339")
        }
        Anomaly::PlanDiffers { seq, first_attempt } => format!(
            "seq {seq}: this attempt journals a different plan; the report compares against the plan of attempt {first_attempt}"
        ),
        Anomaly::RollbackStepWithoutStart { seq } => {
            format!("seq {seq}: rollback_step without rollback_started")
        }
        Anomaly::LockLost { at, reason } => {
            format!("the runbook lock was lost at {}: {reason}", at.to_rfc3339())
        }
        Anomaly::LockRegained { at, pid } => format!(
            "the runbook lock was held again at {} (pid {pid}); applied steps were read again from the database",
            at.to_rfc3339()
        ),
        Anomaly::Reconnected {
            at,
            session,
            reason,
        } => format!(
            "the {session} session was reconnected at {}: {reason}",
            at.to_rfc3339()
        ),
        Anomaly::RunbookChanged {
            at,
            started_with,
            now,
        } => format!(
            "the runbook changed between attempts of this run (checksum {started_with} at the start, {now} from {})",
            at.to_rfc3339()
        ),
    }
}

pub(super) fn step_kind(kind: Option<Kind>) -> StepKind {
    match kind {
        Some(Kind::Migrate) => StepKind::Migrate,
        Some(Kind::Check) => StepKind::Check,
        Some(Kind::Probe) => StepKind::Probe,
        Some(Kind::Command) => StepKind::Command,
        Some(Kind::Manual) => StepKind::Manual,
        Some(Kind::Checkpoint) => StepKind::Checkpoint,
        Some(Kind::Backfill) => StepKind::Backfill,
        None => StepKind::Unknown,
    }
}

pub(super) fn span_result(result: crate::record::SpanResult) -> SpanResult {
    use crate::record::SpanResult as R;
    match result {
        R::Done => SpanResult::Done,
        R::Failed => SpanResult::Failed,
        R::NoGo => SpanResult::NoGo,
        R::Alert => SpanResult::Alert,
        R::Interrupted => SpanResult::Interrupted,
    }
}

/// A step as the run record has it, in the report's words.
pub(super) fn step_of(r: &crate::record::StepRecord) -> Step {
    let kind = step_kind(r.kind);
    let probe = r.probe.as_ref().filter(|_| kind == StepKind::Probe);
    let (finished_at, duration_ms) = match probe {
        // A probe's stretch is from its first sample to its last.
        Some(p) => (p.last_at, None),
        None => (r.finished_at, r.finished_at.and(r.duration_ms)),
    };
    Step {
        id: r.id.clone(),
        kind,
        phase: r.phase.clone(),
        status: if kind == StepKind::Probe {
            StepStatus::Done
        } else {
            report_status(r.status, kind).unwrap_or(StepStatus::Skipped)
        },
        started_at: r.first_started_at,
        finished_at,
        duration_ms,
        attempts: r.attempts,
        in_transaction: r.in_transaction,
        rows: if kind == StepKind::Migrate {
            r.rows
        } else {
            None
        },
        statements: r.statements,
        retries: r
            .retries
            .iter()
            .map(|x| Retry {
                at: x.at,
                attempt: x.attempt,
                delay_ms: x.delay_ms,
                reason: x.reason.clone(),
            })
            .collect(),
        lock_waits: r
            .lock_waits
            .iter()
            .map(|w| LockWait {
                at: w.at,
                waited_ms: w.waited_ms,
                blockers: w.blockers.iter().map(blocker).collect(),
            })
            .collect(),
        invalid_indexes: r
            .invalid_indexes
            .iter()
            .map(|i| InvalidIndex {
                at: i.at,
                index: i.index.clone(),
                dropped: i.error.is_none(),
                error: i.error.as_ref().map(SqlError::from),
            })
            .collect(),
        notices: r
            .notices
            .iter()
            .map(|n| Notice {
                at: n.at,
                severity: n.severity.clone(),
                message: n.message.clone(),
            })
            .collect(),
        errors: r
            .errors
            .iter()
            .map(|e| StepError {
                at: e.at,
                attempt: e.attempt,
                error: (&e.error).into(),
            })
            .collect(),
        command: r.command.as_ref().map(|c| CommandOutput {
            exit_code: c.exit_code,
            stdout_tail: c.stdout_tail.clone(),
            stderr_tail: c.stderr_tail.clone(),
        }),
        skip_reason: r.skip_reason.clone(),
        uncertain: r.uncertain,
        acknowledged_by: r.decided_by.clone().filter(|_| kind == StepKind::Manual),
        note: r.note.clone(),
        prompt: r.prompt.clone(),
        preconditions: r
            .preconditions
            .iter()
            .map(|p| PreconditionResult {
                index: p.index,
                at: p.at,
                passed: p.passed,
                actual: p.actual.clone(),
                expected: p.expected.to_string(),
                on_fail: p.on_fail,
            })
            .collect(),
        backfill: r.backfill.as_ref().map(|b| BackfillReport {
            rows: b.rows_done,
            batches: b.batches,
            total_estimate: b.total_estimate,
            last_key: b.last_key,
            throttled_ms: b.throttled_ms,
            throttles: b
                .throttles
                .iter()
                .map(|(at, reason)| Throttled {
                    at: *at,
                    reason: reason.clone(),
                })
                .collect(),
            adjustments: b
                .adjustments
                .iter()
                .map(|(at, operator, change)| BackfillAdjustment {
                    at: *at,
                    operator: operator.clone(),
                    change: change.clone(),
                })
                .collect(),
        }),
    }
}

pub(super) fn segment_of(index: u32, a: &crate::record::Attempt) -> Segment {
    let (outcome, message) = match &a.finished {
        Some((outcome, message)) => (RunOutcome::from(*outcome), message.clone()),
        None => (RunOutcome::Incomplete, None),
    };
    Segment {
        index,
        run_id: a.run_id.clone(),
        resumed: a.resumed,
        operator: a.operator.clone(),
        started_at: a.started_at,
        ended_at: a.ended_at,
        hard_end: a.hard_end,
        server_version: a.server_version.clone(),
        cutover_version: a.cutover_version.clone(),
        runbook_checksum: a.checksum.clone(),
        outcome,
        message,
        last_event: a.last_event.to_owned(),
        stopped_in_step: a.stopped_in_step.clone(),
    }
}

pub(super) fn checkpoint_of(g: &crate::record::Gate) -> Checkpoint {
    Checkpoint {
        step: g.step.clone(),
        segment: g.attempt,
        reached_at: g.reached_at,
        prompt: g.prompt.clone(),
        questions: g.questions.clone(),
        failed_critical: g.failed_critical.clone(),
        projected_end: g.projected_end,
        hard_end: g.hard_end,
        pace: g.pace,
        advice: g.advice,
        rollback_outlook: g
            .rollback_outlook
            .as_ref()
            .map(crate::narration::rollback_words),
        rejections: g
            .rejections
            .iter()
            .map(|(at, reason)| Rejection {
                at: *at,
                reason: reason.clone(),
            })
            .collect(),
        server_sessions: g
            .server_sessions
            .as_ref()
            .map(|(at, sessions)| sessions.iter().map(|s| s.summary(*at)).collect())
            .unwrap_or_default(),
        decision: g.decision.as_ref().map(|d| DecisionRecord {
            decision: DecisionKind::from(d.decision),
            operator: d.operator.clone(),
            at: d.at,
            comment: d.comment.clone(),
            answers: d
                .answers
                .iter()
                .map(|(q, yes)| Answer {
                    question: q.clone(),
                    confirmed: *yes,
                })
                .collect(),
            overrode_failed_checks: d.overrode_failed_checks.clone(),
            restored: d.restored,
            waited_ms: d.waited_ms,
        }),
    }
}

pub(super) fn rollback_of(r: &crate::record::RollbackRun) -> Rollback {
    Rollback {
        segment: r.attempt,
        started_at: r.started_at,
        checkpoint: r.checkpoint.clone(),
        failed_step: r.failed_step.clone(),
        planned: r.planned.clone(),
        results: r
            .results
            .iter()
            .map(|u| RollbackResult {
                step: u.step.clone(),
                at: u.at,
                ok: u.ok,
                error: u.error.as_ref().map(SqlError::from),
                left_applied: u.left_applied.clone(),
            })
            .collect(),
        complete: r.complete(),
    }
}

pub(super) fn probe_of(id: &str, p: &crate::record::ProbeStats) -> Option<Probe> {
    Some(Probe {
        step: id.to_owned(),
        samples: p.samples,
        numeric_samples: p.numeric,
        null_samples: p.nulls,
        min: p.min,
        mean: (p.numeric > 0).then(|| p.sum / f64::from(p.numeric)),
        max: p.max,
        last: p.last.clone(),
        first_at: p.first_at?,
        last_at: p.last_at?,
        alerts: p.alerts,
    })
}

/// The report of a journal's run record.
pub(super) fn from_record(
    mut record: RunRecord,
    entries: &[Entry],
    unreadable: &[usize],
) -> Report {
    let last = entries.last();
    let torn_tail = torn_tail(entries.len(), unreadable);
    // Where a journal without `run_finished` stops, before its end closes what was open.
    let stopped_step = record.open_step().map(str::to_owned);
    let stopped_phase = record.current_phase().map(|p| p.phase.clone());
    record.journal_ended();
    let rehearsed = record.rehearsal.take();
    let record = record;

    let mut warnings = unreadable_warnings(entries.len(), unreadable);
    warnings.extend(record.anomalies.iter().map(anomaly_text));
    let segments: Vec<Segment> = record
        .attempts
        .iter()
        .zip(1..)
        .map(|(a, n)| segment_of(n, a))
        .collect();
    let steps: Vec<Step> = record.steps.iter().map(step_of).collect();
    let kind_of = |id: &str| {
        record
            .step(id)
            .map_or(StepKind::Unknown, |s| step_kind(s.kind))
    };
    let phases: Vec<Phase> = record
        .phases
        .iter()
        .map(|p| Phase {
            phase: p.phase.clone(),
            segment: p.attempt,
            started_at: p.started_at,
            finished_at: p.finished_at,
            ended_at: p.ended_at,
            duration_ms: p.duration_ms,
            budget_ms: p.budget_ms,
            budget_exceeded_at: p.budget_exceeded_at,
            overrun_ms: p.budget_ms.map(|b| p.duration_ms.saturating_sub(b)),
            spans: p
                .spans
                .iter()
                .map(|s| Span {
                    step: s.step.clone(),
                    kind: kind_of(&s.step),
                    started_at: s.started_at,
                    ended_at: s.ended_at,
                    result: span_result(s.result),
                })
                .collect(),
        })
        .collect();
    let checkpoints: Vec<Checkpoint> = record.gates.iter().map(checkpoint_of).collect();
    let checks: Vec<CheckResult> = record
        .checks
        .iter()
        .map(|c| CheckResult {
            step: c.step.clone(),
            segment: c.attempt,
            at: c.at,
            passed: c.passed,
            expected: c.expected.to_string(),
            actual: c.actual.clone(),
            severity: match c.severity {
                Severity::Critical => CheckSeverity::Critical,
                Severity::Warning => CheckSeverity::Warning,
            },
            duration_ms: c.duration_ms,
        })
        .collect();
    let probes: Vec<Probe> = record
        .steps
        .iter()
        .filter_map(|s| probe_of(&s.id, s.probe.as_ref()?))
        .collect();
    let alerts: Vec<Alert> = record
        .alerts
        .iter()
        .map(|a| Alert {
            step: a.step.clone(),
            at: a.at,
            value: a.value.clone(),
            threshold: a.threshold.clone(),
        })
        .collect();
    let rollbacks: Vec<Rollback> = record.rollbacks.iter().map(rollback_of).collect();
    let aborts: Vec<Abort> = record
        .aborts
        .iter()
        .map(|a| Abort {
            segment: a.attempt,
            at: a.at,
            checkpoint: a.checkpoint.clone(),
            message: a.message.clone(),
        })
        .collect();
    let cancellations: Vec<Cancellation> = record
        .cancels
        .iter()
        .map(|c| Cancellation {
            segment: c.attempt,
            at: c.at,
            reason: if c.statement_only {
                format!(
                    "running statement {}; the run went on to the failure choice",
                    c.reason
                )
            } else {
                c.reason.clone()
            },
            step: c.step.clone(),
        })
        .collect();
    let first = record.attempts.first();

    let outcome = segments
        .last()
        .map_or(RunOutcome::Incomplete, |s| s.outcome);
    let stopped_at = match (outcome, last) {
        (RunOutcome::Incomplete, Some(last)) => Some(StoppedAt {
            event: last.event.name().to_owned(),
            seq: last.seq,
            at: last.ts,
            step: stopped_step,
            phase: stopped_phase,
            torn_line: if torn_tail {
                unreadable.last().copied()
            } else {
                None
            },
        }),
        _ => None,
    };

    let interruptions: Vec<Interruption> = segments
        .windows(2)
        .map(|w| Interruption {
            after_segment: w[0].index,
            at: w[0].ended_at,
            outcome: w[0].outcome,
            message: w[0].message.clone(),
            last_event: w[0].last_event.clone(),
            step: w[0].stopped_in_step.clone(),
            resumed_at: w[1].started_at,
            resumed_by: w[1].operator.clone(),
            gap_ms: ms_between(w[0].ended_at, w[1].started_at),
        })
        .collect();

    let started_at = segments
        .first()
        .map(|s| s.started_at)
        .or(entries.first().map(|e| e.ts));
    let ended_at = last.map(|e| e.ts);
    let planned_end = segments.first().and_then(|s| s.hard_end);
    // The reference plan: the first one journaled (a resumed attempt journals it again).
    let reference = record
        .attempts
        .iter()
        .zip(1..)
        .find_map(|(a, n)| a.plan.as_ref().map(|p| (n, a.seq, p)));
    let plan =
        reference.and_then(
            |(segment, seq, plan)| match plan_report(plan, segment, &phases) {
                Ok(p) => Some(p),
                Err(why) => {
                    warnings.push(format!("seq {seq}: the journaled plan is left out: {why}"));
                    None
                }
            },
        );
    let planned_start = plan.as_ref().map(|p| p.window_start);
    let planned_finish = plan.as_ref().map(|p| {
        p.phases
            .iter()
            .map(|ph| ph.planned_end)
            .max()
            .unwrap_or(p.window_start)
    });
    let window = Window {
        planned_end,
        started_at,
        ended_at,
        duration_ms: started_at.zip(ended_at).map(|(a, b)| ms_between(a, b)),
        active_ms: (!segments.is_empty()).then(|| {
            segments
                .iter()
                .map(|s| ms_between(s.started_at, s.ended_at))
                .sum()
        }),
        // A run that did not finish has no end to compare.
        margin_ms: planned_end
            .zip(ended_at)
            .filter(|_| outcome != RunOutcome::Incomplete)
            .map(|(p, e)| (p - e).num_milliseconds()),
        planned_start,
        planned_finish,
        start_delay_ms: started_at
            .zip(planned_start)
            .map(|(a, p)| (a - p).num_milliseconds()),
        finish_margin_ms: planned_finish
            .zip(ended_at)
            .filter(|_| outcome != RunOutcome::Incomplete)
            .map(|(p, e)| (p - e).num_milliseconds()),
    };

    let mut counts = Counts::default();
    for s in &steps {
        match s.status {
            // A migration whose rollback failed is still in the database, as `status`
            // counts it.
            StepStatus::Applied | StepStatus::RollbackFailed => counts.steps_applied += 1,
            StepStatus::Done if matches!(s.kind, StepKind::Command | StepKind::Manual) => {
                counts.steps_done += 1
            }
            StepStatus::Failed => counts.steps_failed += 1,
            StepStatus::RolledBack => counts.steps_rolled_back += 1,
            StepStatus::Skipped => counts.steps_skipped += 1,
            StepStatus::Interrupted => counts.steps_interrupted += 1,
            _ => {}
        }
        counts.lock_waits += u32::try_from(s.lock_waits.len()).unwrap_or(u32::MAX);
        counts.lock_retries += u32::try_from(s.retries.len()).unwrap_or(u32::MAX);
    }
    let mut latest: BTreeMap<&str, &CheckResult> = BTreeMap::new();
    for c in &checks {
        latest.insert(&c.step, c);
    }
    for c in latest.values() {
        if c.passed {
            counts.checks_passed += 1;
        } else {
            counts.checks_failed += 1;
            match c.severity {
                CheckSeverity::Critical => counts.checks_failed_critical += 1,
                CheckSeverity::Warning => counts.checks_failed_warning += 1,
            }
        }
    }
    counts.alerts = u32::try_from(alerts.len()).unwrap_or(u32::MAX);
    counts.overrides = u32::try_from(
        checkpoints
            .iter()
            .filter(|c| {
                c.decision
                    .as_ref()
                    .is_some_and(|d| !d.overrode_failed_checks.is_empty())
            })
            .count(),
    )
    .unwrap_or(u32::MAX);
    counts.interruptions = u32::try_from(interruptions.len()).unwrap_or(u32::MAX);

    let rehearsal = rehearsal_of(rehearsed, &steps, &checks);
    Report {
        schema_version: SCHEMA_VERSION,
        journal: JournalInfo {
            file: None,
            entries: entries.len(),
            first_seq: entries.first().map(|e| e.seq),
            last_seq: last.map(|e| e.seq),
            unreadable_lines: unreadable.to_vec(),
            torn_tail,
        },
        summary: Summary {
            run_id: first.map(|a| a.run_id.clone()),
            runbook: first.map(|a| a.runbook.clone()),
            title: first.map(|a| a.title.clone()),
            target: first.map(|a| a.target.clone()),
            operator: first.map(|a| a.operator.clone()),
            outcome,
            message: segments.last().and_then(|s| s.message.clone()),
            stopped_at,
            window,
            counts,
        },
        environment: Environment {
            server_version: first.map(|a| a.server_version.clone()),
            cutover_version: first.map(|a| a.cutover_version.clone()),
            runbook_checksum: first.map(|a| a.checksum.clone()),
        },
        segments,
        interruptions,
        checkpoints,
        plan,
        phases,
        steps,
        checks,
        probes,
        alerts,
        rollbacks,
        aborts,
        cancellations,
        warnings,
        rehearsal,
    }
}

pub(super) fn parse_ts(text: &str) -> Option<Timestamp> {
    crate::record::parse_time(text)
}

pub(super) fn ms_between(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from((to - from).num_milliseconds()).unwrap_or(0)
}

/// The last unreadable line comes after every readable one (blank lines are not counted by
/// the replay, so line numbers can only run ahead of the count).
pub(super) fn torn_tail(entries: usize, unreadable: &[usize]) -> bool {
    unreadable
        .last()
        .is_some_and(|&line| line >= entries + unreadable.len())
}

/// `start + ms`, when it is a representable time.
pub(super) fn offset(start: Timestamp, ms: u64) -> Option<Timestamp> {
    let ms = i64::try_from(ms).ok()?;
    start.checked_add_signed(chrono::Duration::try_milliseconds(ms)?)
}

pub(super) fn signed_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

pub(super) fn blocker(b: &Blocker) -> BlockerInfo {
    BlockerInfo {
        pid: b.pid,
        application_name: b.application_name.clone(),
        state: b.state.clone(),
        query: b.query.clone(),
        xact_age_s: b.xact_age_s,
    }
}

/// The run set against its rehearsal, when it was.
fn rehearsal_of(
    r: Option<crate::events::RehearsalRef>,
    steps: &[Step],
    checks: &[CheckResult],
) -> Option<RehearsalComparison> {
    let r = r?;
    let production = |id: &str| {
        steps
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.duration_ms)
    };
    let mut times: Vec<RehearsedStepTime> = r
        .steps
        .iter()
        .map(|(id, rehearsal_ms)| {
            let production_ms = production(id);
            RehearsedStepTime {
                step: id.clone(),
                rehearsal_ms: *rehearsal_ms,
                production_ms,
                difference_ms: rehearsal_ms.zip(production_ms).map(|(a, b)| {
                    i64::try_from(b)
                        .unwrap_or(i64::MAX)
                        .saturating_sub(i64::try_from(a).unwrap_or(i64::MAX))
                }),
                data_factor: r
                    .scaled
                    .iter()
                    .find(|(step, _)| step == id)
                    .map(|(_, f)| *f),
            }
        })
        .collect();
    for s in steps {
        if !times.iter().any(|t| t.step == s.id) && s.duration_ms.is_some() {
            times.push(RehearsedStepTime {
                step: s.id.clone(),
                rehearsal_ms: None,
                production_ms: s.duration_ms,
                difference_ms: None,
                data_factor: None,
            });
        }
    }
    let checks_changed = r
        .checks
        .iter()
        .filter_map(|(id, rehearsal_passed, rehearsal_actual)| {
            let here = checks.iter().rev().find(|c| &c.step == id)?;
            (here.passed != *rehearsal_passed).then(|| CheckChange {
                step: id.clone(),
                rehearsal_passed: *rehearsal_passed,
                rehearsal_actual: rehearsal_actual.clone(),
                passed: here.passed,
                actual: here.actual.clone(),
            })
        })
        .collect();
    Some(RehearsalComparison {
        record: r.record,
        run_id: r.run_id,
        fingerprint: r.fingerprint,
        rehearsed_fingerprint: r.rehearsed_fingerprint,
        drift: r.drift,
        drift_accepted_by: r.drift_accepted_by,
        steps: times,
        checks_changed,
    })
}
