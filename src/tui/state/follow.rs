//! Journal entries into the screen's state, through the run record: the run, its attempts, phases, decisions and steps, the log, and a restored run.

use super::*;

impl UiState {
    pub(super) fn log(&mut self, ts: DateTime<Utc>, text: String, level: Level) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { ts, text, level });
    }

    /// Where the run stood, in the screen's terms (a running statement, of how many).
    pub(super) fn stop_of(&self, stop: &crate::record::Stop) -> StopPoint {
        use crate::record::StopKind as K;
        let kind = match &stop.kind {
            K::Running {
                statement,
                in_transaction,
            } => StopKind::Running {
                statement: statement.map(|n| {
                    let of = self.step(&stop.step).map_or(n, |s| s.statement_lines.len());
                    (n, of.max(n))
                }),
                in_transaction: *in_transaction,
            },
            K::Gate => StopKind::Gate,
            K::Manual => StopKind::Manual,
            K::FailureDecision => StopKind::FailureDecision,
            K::Uncertain => StopKind::Uncertain,
            K::RollingBack => StopKind::RollingBack,
        };
        StopPoint {
            step: stop.step.clone(),
            kind,
        }
    }

    /// Rebuilds the screen of an earlier attempt of the run from its journal (before
    /// `--resume` continues it): the last run's entries through [`UiState::apply`], then
    /// the summary in [`UiState::restored`]. A journal that stops without `run_finished`
    /// (the process died) is closed as interrupted, with its running steps settled.
    pub fn restore(&mut self, entries: &[Entry], journal: Option<&str>, unreadable: usize) {
        let entries = last_run(entries);
        for entry in entries {
            self.apply(entry);
        }
        let unfinished = self.started && self.outcome.is_none();
        if unfinished {
            self.record.journal_ended();
            self.take_steps();
            self.take_run();
            let message = "the journal ends before the run finished: cutover was killed or crashed, or the machine went down";
            if let Some(ts) = self.last_ts {
                self.log(ts, message.to_owned(), Level::Warn);
            }
            self.outcome = Some((Outcome::Interrupted, Some(message.to_owned())));
        }
        self.prompt = None;

        let mut order: Vec<usize> = (0..self.steps.len())
            .filter(|&i| self.steps[i].kind != "probe")
            .collect();
        order.sort_by_key(|&i| self.exec_pos[i]);
        let mut summary = Restored {
            journal: journal.map(str::to_owned),
            run_id: self.header.run_id.clone(),
            attempts: self.attempts,
            events: entries.len(),
            unreadable,
            first_ts: entries.first().map(|e| e.ts),
            last_ts: self.last_ts,
            unfinished,
            outcome: self.outcome.clone(),
            stop: self.stopped_at.clone(),
            done: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            rolled_back: Vec::new(),
            to_run: 0,
            next: None,
            decisions: self.decisions.clone(),
        };
        for i in order {
            let s = &self.steps[i];
            match s.status {
                StepStatus::Done if s.kind != "checkpoint" => summary.done.push(i),
                StepStatus::Skipped => summary.skipped.push(i),
                StepStatus::Failed | StepStatus::RollbackFailed => summary.failed.push(i),
                StepStatus::RolledBack => summary.rolled_back.push(i),
                _ => {}
            }
            if !matches!(s.status, StepStatus::Done | StepStatus::Skipped) {
                summary.to_run += 1;
                summary.next.get_or_insert(i);
            }
        }
        self.restored = Some(summary);
    }

    /// The operator chose to continue a restored run: the engine starts again, so the
    /// screen is "connecting" until its `run_started` (the replayed steps stay as they were).
    pub fn continue_resumed(&mut self) {
        self.outcome = None;
        self.started = false;
        self.cancelled = None;
        self.prompt = None;
        self.rolling_back = false;
        self.stopped_at = None;
        // The engine runs the checks again and counts failed critical ones afresh.
        self.failed_critical.clear();
    }

    /// Folds one journal entry into the state: the run record takes it, the log tells it,
    /// and the screen takes what changed from the record.
    pub fn apply(&mut self, entry: &Entry) {
        let attempts = self.record.attempts.len();
        self.record.apply(entry);
        self.version += 1;
        self.last_ts = Some(entry.ts);
        if self.record.attempts.len() != attempts {
            self.take_attempt(entry.ts);
        }
        self.log_entry(entry);
        self.take_steps();
        self.take_decisions();
        self.take_run();
    }

    /// A new attempt of the run started: the header is its.
    pub(super) fn take_attempt(&mut self, ts: DateTime<Utc>) {
        let n = self.record.attempts.len();
        let Some(a) = self.record.attempts.last() else {
            return;
        };
        let resumed = a.resumed;
        let h = &mut self.header;
        h.run_id = Some(a.run_id.clone());
        h.title = a.title.clone();
        h.runbook = a.runbook.clone();
        h.operator = a.operator.clone();
        h.target = Some(a.target.clone());
        h.server_version = Some(a.server_version.clone());
        h.cutover_version = Some(a.cutover_version.clone());
        h.resumed = resumed;
        if let Some(end) = a.hard_end {
            h.hard_end = Some(end);
            h.window_start = chrono::Duration::from_std(self.window_budget)
                .ok()
                .map(|b| end - b);
        }
        self.started = true;
        self.attempts = u32::try_from(n).unwrap_or(u32::MAX);
        if resumed && !self.log.is_empty() {
            // What follows is this attempt; what precedes it, the earlier ones.
            let run_id = self.header.run_id.clone().unwrap_or_default();
            self.log(
                ts,
                format!("──── continuing run {run_id} (attempt {n}) ────"),
                Level::Gate,
            );
        }
    }

    /// The entry's sentence in the log; a decision restated on resume names the one that
    /// stands.
    pub(super) fn log_entry(&mut self, entry: &Entry) {
        let told = crate::narration::tell(entry);
        let text = match &self.record.restated {
            Some(earlier) => format!(
                "DECISION {}: {} by {} at {} (given earlier in this run; it stands)",
                earlier.step,
                decision_word(earlier.decision),
                earlier.operator,
                crate::tui::fmt::clock(earlier.at, self.zone)
            ),
            None => told.text,
        };
        if !text.is_empty() {
            self.log(entry.ts, text, told.level);
        }
        for line in told.more {
            self.log(entry.ts, line, Level::Detail);
        }
    }

    /// The run as the record has it: its phases, the step it is at, what the engine waits
    /// for, failures, failed critical checks, the gate's server evidence, alerts, a rollback
    /// under way, a cancel, where it stopped and how it ended.
    pub(super) fn take_run(&mut self) {
        self.take_phases();
        let r = &self.record;
        self.current_step = r.current.as_ref().and_then(|c| self.index.get(c).copied());
        if self.errors.len() != r.errors.len() {
            self.errors = r
                .errors
                .iter()
                .map(|e| ErrorUi {
                    ts: e.at,
                    step: e.step.clone(),
                    error: e.error.clone(),
                })
                .collect();
        }
        if self.failed_critical != r.failed_critical {
            self.failed_critical = r.failed_critical.clone();
        }
        if self.server_sessions != r.server_sessions {
            self.server_sessions = r.server_sessions.clone();
        }
        if r.alerts.len() != self.alerts.len() {
            self.alerts = r
                .alerts
                .iter()
                .map(|a| AlertUi {
                    ts: a.at,
                    step: a.step.clone(),
                    value: a.value.clone(),
                    threshold: a.threshold.clone(),
                })
                .collect();
        }
        self.rolling_back = r.rollback.is_some();
        let steps = r.rollback.as_deref().unwrap_or_default();
        if self.rollback_steps != steps {
            self.rollback_steps = steps.to_vec();
        }
        if self.outcome != r.outcome {
            self.outcome = r.outcome.clone();
        }
        if self.prompt != r.waiting {
            self.prompt = r.waiting.clone();
        }
        if self.cancelled != r.cancel {
            self.cancelled = r.cancel.clone();
        }
        self.prompt_seq = r.waiting_seq;
        self.rejected_seq = r.rejected_seq;
        let stopped = r.stopped_at.as_ref().map(|s| self.stop_of(s));
        if self.stopped_at != stopped {
            self.stopped_at = stopped;
        }
    }

    /// Each phase's times: a phase finished in an earlier attempt of the run is only walked
    /// through again on resume, and keeps its own timing.
    pub(super) fn take_phases(&mut self) {
        for ph in &mut self.phases {
            ph.started = None;
            ph.finished = None;
            ph.duration_ms = None;
            ph.over_budget = false;
        }
        for run in &self.record.phases {
            let Some(p) = self.phase_index(&run.phase) else {
                continue;
            };
            let ph = &mut self.phases[p];
            ph.over_budget |= run.budget_exceeded_at.is_some();
            if ph.finished.is_none() {
                ph.started = Some(run.started_at);
                ph.finished = run.finished_at;
                ph.duration_ms = run.finished_at.map(|_| run.duration_ms);
            }
        }
        self.current_phase = self
            .record
            .phases
            .last()
            .and_then(|run| self.phase_index(&run.phase));
    }

    /// The decisions and acknowledgements, as the run record has them (one announced again
    /// on resume is not a second decision).
    pub(super) fn take_decisions(&mut self) {
        let given = self.record.decisions.iter().filter(|d| !d.restored);
        if given.clone().count() == self.decisions.len() {
            return;
        }
        self.decisions = given
            .map(|d| DecisionUi {
                ts: d.at,
                step: d.step.clone(),
                decision: d.decision,
                operator: d.operator.clone(),
                comment: d.comment.clone(),
                overrode: d.overrode_failed_checks.clone(),
            })
            .collect();
    }

    /// The steps the entry changed, as the run record has them, so the screen and the
    /// report agree. Runs on every event: it copies only what can have changed.
    pub(super) fn take_steps(&mut self) {
        for r in self.record.touched() {
            let Some(&i) = self.index.get(&r.id) else {
                continue;
            };
            take_step(&mut self.steps[i], r);
            if let (Some(check), Some(rehearsal)) =
                (self.steps[i].check.as_mut(), &self.record.rehearsal)
            {
                check.rehearsed = rehearsal
                    .checks
                    .iter()
                    .find(|(id, _, _)| *id == r.id)
                    .map(|(_, passed, actual)| (*passed, actual.clone()));
            }
            if let (Some(stats), Some(&p)) = (&r.probe, self.probe_of.get(&i)) {
                let probe = &mut self.probes[p];
                probe.samples.clone_from(&stats.recent);
                probe.latest = (stats.samples > 0)
                    .then(|| stats.last.clone().unwrap_or_else(|| "NULL".to_owned()));
                probe.alert_now = stats.alert_now;
                probe.alerts = stats.alerts;
            }
        }
    }
}

/// One step's facts from the run record.
pub(super) fn take_step(s: &mut StepUi, r: &crate::record::StepRecord) {
    use crate::record::Status;
    s.status = screen_status(r.status);
    s.starts = r.attempts;
    if r.first_started_at.is_some() {
        s.first_started = r.first_started_at;
    }
    // The details the report lists too.
    if s.notices.len() != r.notices.len() {
        s.notices = r
            .notices
            .iter()
            .map(|n| format!("{}: {}", n.severity, n.message))
            .collect();
    }
    s.error = r
        .errors
        .last()
        .filter(|e| e.attempt == r.attempts)
        .map(|e| e.error.clone());
    s.retries = u32::try_from(r.retries.len()).unwrap_or(u32::MAX);
    s.last_retry = r.retries.last().map(|x| {
        format!(
            "{}; attempt {} in {}",
            x.reason,
            x.attempt,
            crate::tui::fmt::ms(x.delay_ms)
        )
    });
    s.lock_waits = u32::try_from(r.lock_waits.len()).unwrap_or(u32::MAX);
    s.check = r.check.as_ref().map(|c| CheckOutcome {
        passed: c.passed,
        actual: c.actual.clone(),
        expected: c.expected.to_string(),
        severity: c.severity,
        duration_ms: c.duration_ms,
        rehearsed: None,
    });
    s.command_output = r.command.as_ref().map(|c| CommandOutputUi {
        exit_code: c.exit_code,
        stdout_tail: c.stdout_tail.clone(),
        stderr_tail: c.stderr_tail.clone(),
    });
    s.rollback_error.clone_from(&r.rollback_error);
    s.left_applied.clone_from(&r.left_applied);
    s.decision = r.decision;
    s.decided_by.clone_from(&r.decided_by);
    s.statement_cancelled = r.statement_cancelled;
    // The latest attempt, as it goes.
    s.attempt = r.attempt;
    if r.in_transaction.is_some() {
        s.in_transaction = r.in_transaction;
    }
    if r.started_at.is_some() {
        s.started = r.started_at;
    }
    let statement = r.statement.as_ref().map(|(n, _)| *n);
    if s.statement != statement || s.statement_sql.is_none() != statement.is_none() {
        s.statement = statement;
        s.statement_sql = r.statement.as_ref().map(|(_, sql)| sql.clone());
    }
    s.statements_done = r.statements_done;
    s.rows = r.rows_so_far;
    s.lock_wait = r
        .waiting_for_lock
        .as_ref()
        .map(|(since, blockers)| LockWaitUi {
            since: *since,
            blockers: blockers.clone(),
        });
    match r.status {
        Status::Running => {
            s.finished = None;
            s.duration_ms = None;
        }
        // Skipped as done before.
        Status::Skipped => {
            s.skip_reason.clone_from(&r.skip_reason);
            s.finished = r.skipped_at;
        }
        Status::Done | Status::Go | Status::NoGo | Status::CheckFailed | Status::Failed
            if r.finished_at.is_some() =>
        {
            s.finished = r.finished_at;
            s.duration_ms = r.duration_ms;
            if r.status == Status::Done
                && let Some(rows) = r.rows
            {
                s.rows = rows;
            }
        }
        _ => {}
    }
}

/// A step's state from the run record, in the screen's words.
pub(super) fn screen_status(status: crate::record::Status) -> StepStatus {
    use crate::record::Status;
    match status {
        Status::Pending => StepStatus::Pending,
        Status::Running => StepStatus::Running,
        Status::Waiting => StepStatus::Waiting,
        // Still applied after a rollback that ran nothing: done, with the reason in the detail.
        Status::Done | Status::Go | Status::LeftApplied => StepStatus::Done,
        Status::CheckFailed | Status::Failed => StepStatus::Failed,
        Status::Skipped => StepStatus::Skipped,
        Status::Uncertain => StepStatus::Uncertain,
        Status::NoGo => StepStatus::NoGo,
        Status::RolledBack => StepStatus::RolledBack,
        Status::RollbackFailed => StepStatus::RollbackFailed,
        Status::Interrupted => StepStatus::Interrupted,
    }
}
