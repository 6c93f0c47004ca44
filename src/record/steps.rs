//! Each step's own story: started, statements, rows, retries, lock waits, failures, what it waited on, and how it ended.

use super::*;

impl RunRecord {
    /// The run stopped: what was running or waiting was interrupted; a probe's sampling ended.
    pub(super) fn settle_open_steps(&mut self) {
        for (i, s) in self.steps.iter_mut().enumerate() {
            if matches!(s.status, Status::Running | Status::Waiting) {
                s.status = if s.is_probe() {
                    Status::Done
                } else {
                    Status::Interrupted
                };
                self.touched.push(i);
            }
        }
    }

    /// The run succeeded: its probes' sampling ended.
    pub(super) fn settle_probes(&mut self) {
        for (i, s) in self.steps.iter_mut().enumerate() {
            if s.status == Status::Running && s.is_probe() {
                s.status = Status::Done;
                self.touched.push(i);
            }
        }
    }

    pub(super) fn step_mut(&mut self, id: &str) -> &mut StepRecord {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                let mut step = StepRecord::new(id);
                step.phase = self.current_phase.map(|p| self.phases[p].phase.clone());
                self.steps.push(step);
                self.index.insert(id.to_owned(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        };
        if !self.touched.contains(&i) {
            self.touched.push(i);
        }
        &mut self.steps[i]
    }

    /// A manual step or a checkpoint now waits for a person.
    pub(super) fn wait_for_person(
        &mut self,
        step: &str,
        prompt: &str,
        kind: Kind,
        ts: DateTime<Utc>,
    ) {
        self.current = Some(step.to_owned());
        self.stop_candidate = None;
        self.open_span(step, ts);
        let s = self.step_mut(step);
        s.seen_as(kind);
        s.prompt = Some(prompt.to_owned());
        s.status = Status::Waiting;
        s.first_started_at.get_or_insert(ts);
        s.started_at = Some(ts);
    }

    /// What happened to each step.
    pub(super) fn follow_steps(&mut self, entry: &Entry) {
        let ts = entry.ts;
        match &entry.event {
            Event::StepSkipped { step, reason } => {
                let s = self.step_mut(step);
                s.skip_reason = Some(reason.clone());
                s.skipped_at = Some(ts);
                // The engine skips only what is done already: a step this journal saw start
                // (earlier in this run, or an uncertain one the operator marked applied) was
                // completed then, and keeps its own timing.
                s.status = match s.status {
                    Status::Done | Status::Go => s.status,
                    _ if s.attempts > 0
                        || matches!(
                            s.status,
                            Status::Uncertain | Status::Waiting | Status::Interrupted
                        ) =>
                    {
                        Status::Done
                    }
                    _ => Status::Skipped,
                };
            }
            Event::StepStarted {
                step,
                attempt,
                in_transaction,
            } => {
                self.current = Some(step.clone());
                self.stop_candidate = None;
                self.cancel_reached = None;
                let s = self.step_mut(step);
                s.seen_as(if in_transaction.is_some() {
                    Kind::Migrate
                } else {
                    Kind::Command
                });
                s.statement_cancelled = false;
                s.status = Status::Running;
                s.attempts += 1;
                s.attempt = *attempt;
                s.first_started_at.get_or_insert(ts);
                s.started_at = Some(ts);
                s.finished_at = None;
                s.duration_ms = None;
                s.statements = 0;
                s.measured = false;
                s.statement = None;
                s.statements_done = 0;
                s.rows_so_far = 0;
                s.waiting_for_lock = None;
                if in_transaction.is_some() {
                    s.in_transaction = *in_transaction;
                }
                self.open_span(step, ts);
            }
            Event::StatementStarted { step, index, sql } => {
                let s = self.step_mut(step);
                s.statement = Some((*index, sql.clone()));
                s.waiting_for_lock = None;
            }
            Event::StatementFinished {
                step, index, rows, ..
            } => {
                let rolling_back = self.rolling_back;
                let s = self.step_mut(step);
                if !rolling_back {
                    s.statements += 1;
                }
                s.statements_done = s.statements_done.max(*index);
                s.rows_so_far += rows;
                s.waiting_for_lock = None;
            }
            Event::StepFinished {
                step,
                duration_ms,
                rows,
            } => {
                let s = self.step_mut(step);
                if s.status != Status::CheckFailed {
                    s.status = Status::Done;
                }
                // A check's own measure stands: parallel checks are journaled finished only
                // when the batch is.
                if !s.measured {
                    s.finished_at = Some(ts);
                    s.duration_ms = Some(*duration_ms);
                }
                s.rows = Some(*rows);
                s.waiting_for_lock = None;
                let result = if s.status == Status::CheckFailed {
                    SpanResult::Failed
                } else {
                    SpanResult::Done
                };
                self.close_span(step, ts, result);
            }
            Event::StepFailed { step, error } => {
                // A cancel that reached this step's statement and did not stop the run: the
                // operator's `x` (the engine then offers retry, roll back or abort).
                let cancelled = error.sqlstate.as_deref() == Some("57014")
                    && self.cancel_reached.as_ref() == Some(step);
                self.cancel_reached = None;
                if cancelled {
                    self.cancel = None;
                }
                self.errors.push(RunError {
                    at: ts,
                    step: step.clone(),
                    error: error.clone(),
                });
                let s = self.step_mut(step);
                s.statement_cancelled = cancelled;
                s.waiting_for_lock = None;
                s.errors.push(Failure {
                    at: ts,
                    attempt: s.attempts,
                    error: error.clone(),
                });
                s.status = Status::Failed;
                s.finish_at(ts);
                self.close_span(step, ts, SpanResult::Failed);
            }
            Event::BackfillStarted {
                step,
                from_key,
                rows_done,
                batches,
                total_estimate,
                batch_size,
            } => {
                let s = self.step_mut(step);
                s.seen_as(Kind::Backfill);
                let (throttled_ms, throttles, adjustments) = s
                    .backfill
                    .take()
                    .map(|b| (b.throttled_ms, b.throttles, b.adjustments))
                    .unwrap_or_default();
                s.backfill = Some(BackfillProgress {
                    total_estimate: *total_estimate,
                    rows_done: *rows_done,
                    batches: *batches,
                    last_key: *from_key,
                    batch_size: *batch_size,
                    walk_started: ts,
                    rows_at_start: *rows_done,
                    last_batch_at: None,
                    throttled: None,
                    throttled_ms,
                    throttles,
                    held: false,
                    max_replica_lag_ms: None,
                    adjustments,
                });
            }
            Event::BackfillBatch {
                step,
                batch,
                to_key,
                rows_done,
                next_batch_size,
                ..
            } => {
                let s = self.step_mut(step);
                s.seen_as(Kind::Backfill);
                s.rows_so_far = *rows_done;
                if let Some(b) = s.backfill.as_mut() {
                    b.batches = *batch;
                    b.last_key = *to_key;
                    b.rows_done = *rows_done;
                    b.batch_size = *next_batch_size;
                    b.last_batch_at = Some(ts);
                }
            }
            Event::BackfillThrottled { step, reason } => {
                if let Some(b) = self.step_mut(step).backfill.as_mut() {
                    b.throttled = Some((ts, reason.clone()));
                    b.throttles.push((ts, reason.clone()));
                }
            }
            Event::BackfillAdjusted {
                step,
                operator,
                change,
                batch_size,
                max_replica_lag_ms,
                held,
            } => {
                if let Some(b) = self.step_mut(step).backfill.as_mut() {
                    b.batch_size = *batch_size;
                    b.max_replica_lag_ms = *max_replica_lag_ms;
                    b.held = *held;
                    b.adjustments
                        .push((ts, operator.clone(), change.describe()));
                }
            }
            Event::IndexBuildProgress { step, progress } => {
                self.step_mut(step).index_build = Some((ts, progress.clone()));
            }
            Event::BackfillResumed { step, waited_ms } => {
                if let Some(b) = self.step_mut(step).backfill.as_mut() {
                    b.throttled = None;
                    b.throttled_ms += waited_ms;
                }
            }
            Event::PreconditionChecked {
                step,
                index,
                passed,
                actual,
                expected,
                on_fail,
                ..
            } => {
                let s = self.step_mut(step);
                let outcome = PreconditionOutcome {
                    at: ts,
                    index: *index,
                    passed: *passed,
                    actual: actual.clone(),
                    expected: expected.clone(),
                    on_fail: *on_fail,
                };
                match s.preconditions.iter_mut().find(|p| p.index == *index) {
                    Some(p) => *p = outcome,
                    None => s.preconditions.push(outcome),
                }
            }
            Event::CheckResult {
                step,
                passed,
                actual,
                expected,
                severity,
                duration_ms,
            } => {
                let s = self.step_mut(step);
                s.seen_as(Kind::Check);
                s.check = Some(CheckOutcome {
                    passed: *passed,
                    actual: actual.clone(),
                    expected: expected.clone(),
                    severity: *severity,
                    duration_ms: *duration_ms,
                });
                s.status = if *passed {
                    Status::Done
                } else {
                    Status::CheckFailed
                };
                // It ran from its start for its own duration, never past this event.
                if let Some(start) = s.started_at {
                    let end = start
                        + chrono::Duration::milliseconds(
                            i64::try_from(*duration_ms).unwrap_or(i64::MAX / 2),
                        );
                    s.finished_at = Some(end.min(ts).max(start));
                    s.duration_ms = Some(*duration_ms);
                    s.measured = true;
                }
                // Its span ends where the check did, whenever the engine gets round to
                // journaling `step_finished` (a parallel batch's are journaled together).
                let measured = self.open.get(step).map(|o| {
                    let start = self.phases[o.phase].spans[o.span].started_at;
                    offset(start, *duration_ms).unwrap_or(ts).min(ts).max(start)
                });
                let result = if *passed {
                    SpanResult::Done
                } else {
                    SpanResult::Failed
                };
                match measured {
                    Some(end) => self.close_span(step, end, result),
                    None => self.open_span(step, ts),
                }
                self.checks.push(CheckRun {
                    step: step.clone(),
                    attempt: self.attempt_no(),
                    at: ts,
                    passed: *passed,
                    expected: expected.clone(),
                    actual: actual.clone(),
                    severity: *severity,
                    duration_ms: *duration_ms,
                });
            }
            Event::ManualWaiting { step, prompt } => {
                self.wait_for_person(step, prompt, Kind::Manual, ts)
            }
            Event::ManualAcknowledged {
                step,
                operator,
                note,
            } => {
                self.close_span(step, ts, SpanResult::Done);
                let s = self.step_mut(step);
                s.seen_as(Kind::Manual);
                s.decided_by = Some(operator.clone());
                s.note.clone_from(note);
                s.status = Status::Done;
                s.finish_at(ts);
                self.decisions.push(DecisionRecord {
                    at: ts,
                    step: step.clone(),
                    decision: None,
                    operator: operator.clone(),
                    comment: note.clone(),
                    overrode_failed_checks: Vec::new(),
                    restored: false,
                });
            }
            Event::CheckpointReached { step, prompt, .. } => {
                self.wait_for_person(step, prompt, Kind::Checkpoint, ts)
            }
            Event::DecisionRecorded {
                step,
                decision,
                operator,
                comment,
                overrode_failed_checks,
                restored,
                ..
            } => {
                if *restored {
                    self.restated = self
                        .decisions
                        .iter()
                        .rev()
                        .find(|d| &d.step == step && !d.restored)
                        .cloned();
                }
                let s = self.step_mut(step);
                s.seen_as(Kind::Checkpoint);
                // Restated on resume: the decision given earlier (who, when) stands.
                if !(*restored && s.decision.is_some()) {
                    s.decided_by = Some(operator.clone()).filter(|o| !o.is_empty());
                }
                s.decision = Some(*decision);
                s.status = if *decision == Decision::Go {
                    Status::Go
                } else {
                    Status::NoGo
                };
                // A decision restored on resume stands with the time it was given.
                if !(*restored && s.finished_at.is_some()) {
                    s.finish_at(ts);
                }
                self.decisions.push(DecisionRecord {
                    at: ts,
                    step: step.clone(),
                    decision: Some(*decision),
                    operator: operator.clone(),
                    comment: comment.clone(),
                    overrode_failed_checks: overrode_failed_checks.clone(),
                    restored: *restored,
                });
                let result = if *decision == Decision::Go {
                    SpanResult::Done
                } else {
                    SpanResult::NoGo
                };
                self.close_span(step, ts, result);
            }
            Event::ServerActivity { step, .. } | Event::DecisionRejected { step, .. } => {
                self.step_mut(step).seen_as(Kind::Checkpoint);
            }
            Event::UncertainStep { step, .. } => {
                self.current = Some(step.clone());
                self.stop_candidate = None;
                let s = self.step_mut(step);
                s.seen_as(Kind::Migrate);
                s.status = Status::Uncertain;
                s.uncertain = true;
            }
            Event::AwaitingFailureDecision { .. } => self.stop_candidate = None,
            Event::StatementCancelled { step, .. } => {
                // Not a run cancel: the step's 57014 failure and the failure choice follow.
                self.cancel_reached = Some(step.clone());
            }
            Event::ProbeSample { step, value, alert } => {
                let phase = self.current_phase;
                let s = self.step_mut(step);
                s.seen_as(Kind::Probe);
                if s.status == Status::Pending {
                    s.status = Status::Running;
                    s.first_started_at.get_or_insert(ts);
                    s.started_at = Some(ts);
                }
                s.probe.get_or_insert_with(ProbeStats::default).sample(
                    ts,
                    value.as_ref(),
                    *alert,
                    phase,
                );
                // Its stretch in the phase runs from its first sample to its latest.
                if let Some(p) = phase {
                    let spans = &mut self.phases[p].spans;
                    match spans.iter_mut().rev().find(|s| &s.step == step) {
                        Some(span) => span.ended_at = ts,
                        None => spans.push(Span {
                            step: step.clone(),
                            started_at: ts,
                            ended_at: ts,
                            result: SpanResult::Done,
                        }),
                    }
                    if *alert && let Some(span) = spans.iter_mut().rev().find(|s| &s.step == step) {
                        span.result = SpanResult::Alert;
                    }
                }
            }
            Event::Alert { step, .. } => {
                let s = self.step_mut(step);
                s.seen_as(Kind::Probe);
                s.probe.get_or_insert_with(ProbeStats::default).alerts += 1;
            }
            Event::RollbackStarted { .. } => self.rolling_back = true,
            Event::RollbackStep { step, ok, error } => {
                // Journals before `rollback_left_applied` said "left applied" as a failure.
                let left = error
                    .as_ref()
                    .filter(|e| !ok && e.message == "no rollback SQL declared; left applied");
                self.current = Some(step.clone());
                if let Some(error) = error.as_ref().filter(|_| left.is_none()) {
                    self.errors.push(RunError {
                        at: ts,
                        step: step.clone(),
                        error: error.clone(),
                    });
                }
                let s = self.step_mut(step);
                s.seen_as(Kind::Migrate);
                if left.is_none() {
                    s.rollback_error = error.clone();
                }
                s.status = match (ok, left) {
                    (true, _) => Status::RolledBack,
                    (false, Some(_)) => {
                        s.left_applied = Some("no rollback SQL".to_owned());
                        Status::LeftApplied
                    }
                    (false, None) => Status::RollbackFailed,
                };
            }
            Event::RollbackLeftApplied { step, reason } => {
                self.current = Some(step.clone());
                let s = self.step_mut(step);
                s.seen_as(Kind::Migrate);
                s.status = Status::LeftApplied;
                s.left_applied = Some(reason.clone());
            }
            Event::Notice {
                step,
                severity,
                message,
            } => self.step_mut(step).notices.push(Notice {
                at: ts,
                severity: severity.clone(),
                message: message.clone(),
            }),
            Event::Retry {
                step,
                attempt,
                delay_ms,
                reason,
            } => {
                let s = self.step_mut(step);
                s.waiting_for_lock = None;
                s.retries.push(Retry {
                    at: ts,
                    attempt: *attempt,
                    delay_ms: *delay_ms,
                    reason: reason.clone(),
                });
            }
            Event::LockWait {
                step,
                blockers,
                waited_ms,
            } => {
                let s = self.step_mut(step);
                let since = s.waiting_for_lock.as_ref().map_or(ts, |(since, _)| *since);
                s.waiting_for_lock = Some((since, blockers.clone()));
                s.lock_waits.push(LockWait {
                    at: ts,
                    waited_ms: *waited_ms,
                    blockers: blockers.clone(),
                });
            }
            Event::CommandOutput {
                step,
                exit_code,
                stdout_tail,
                stderr_tail,
            } => {
                let s = self.step_mut(step);
                s.seen_as(Kind::Command);
                s.command = Some(CommandOutput {
                    exit_code: *exit_code,
                    stdout_tail: stdout_tail.clone(),
                    stderr_tail: stderr_tail.clone(),
                })
            }
            Event::InvalidIndexDropped { step, index, error } => {
                self.step_mut(step).invalid_indexes.push(InvalidIndex {
                    at: ts,
                    index: index.clone(),
                    error: error.clone(),
                })
            }
            Event::RunFinished { outcome, .. } => {
                if *outcome == Outcome::Succeeded {
                    self.settle_probes();
                } else {
                    self.settle_open_steps();
                }
            }
            _ => {}
        }
    }
}
