//! Verification checks: a series on read-only sessions of their own, widened when the pace says so.

use super::*;

/// A series of checks opens its further sessions once it has run this long with checks still
/// to start, and the pace so far says those would keep one session busy this long again (a
/// connection costs ~10 ms: trivial checks never pay for one; a check still running with
/// none done yet counts as slow).
pub(super) const WIDEN_AFTER: Duration = Duration::from_millis(30);
/// The first look at a series' pace comes sooner: a first check still running by then is slow
/// enough for more sessions at once, and trivial ones have shown their pace.
pub(super) const FIRST_LOOK: Duration = Duration::from_millis(10);

/// A check's result as its tracking row records it.
pub(super) struct FinishedCheck {
    id: String,
    status: StepStatus,
    sql_checksum: String,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: chrono::DateTime<chrono::Utc>,
}

/// A read-only session for checks, with its backend pid.
pub(super) async fn open_check_session(target: Target) -> Result<(Client, i32), EngineError> {
    let (client, _) = connect(&target).await?;
    let secret = target.secret();
    let db = |e: tokio_postgres::Error| {
        EngineError::Database(crate::secret::mask(&e.to_string(), secret.as_deref()))
    };
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(db)?;
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .map_err(db)?
        .get(0);
    Ok((client, pid))
}

/// One check's query on its session, within its timeout: the rows, or (SQLSTATE, message).
pub(super) async fn run_check(
    client: &Client,
    check: &Check,
    target: &Target,
) -> Result<sqlexec::QueryResult, (Option<String>, String)> {
    let cancel = client.cancel_token();
    match tokio::time::timeout(check.timeout, sqlexec::simple(client, &check.sql.text)).await {
        Ok(r) => r.map_err(|e| {
            (
                e.code().map(|c| c.code().to_owned()),
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned()),
            )
        }),
        Err(_) => {
            let _ = crate::connect::cancel(target, &cancel).await;
            Err((
                Some("57014".to_owned()),
                format!(
                    "timed out after {}",
                    crate::runbook::duration::format(check.timeout)
                ),
            ))
        }
    }
}

/// A check's (or precondition's) verdict and the value it read; a query that failed does
/// not pass, and says why (the password masked).
pub(super) fn verdict(
    expect: &crate::runbook::Expectation,
    result: Result<sqlexec::QueryResult, (Option<String>, String)>,
    secret: Option<&str>,
) -> (bool, String) {
    match result {
        Ok(r) => {
            let verdict = expect.evaluate(&r.rows);
            (verdict.passed, verdict.actual)
        }
        Err((code, message)) => (
            false,
            format!(
                "error{}: {}",
                code.map(|c| format!(" [{c}]")).unwrap_or_default(),
                crate::secret::mask(&message, secret)
            ),
        ),
    }
}

impl<'a> Engine<'a> {
    /// The checks at the head of `order` that run as one series: all consecutive ones when
    /// they run one at a time (the plan's order already respects their dependencies), else
    /// those up to the first that depends on one before it in the series.
    pub(super) fn check_series(&self, order: &[usize], parallel: usize) -> Vec<usize> {
        let mut ids: HashSet<&str> = HashSet::new();
        order
            .iter()
            .copied()
            .take_while(|&j| {
                let step = self.steps[j];
                let fits = matches!(step.kind, StepKind::Check(_))
                    && self.action(j) == verdict::StepAction::Run
                    // One with preconditions runs on its own, after them.
                    && step.require.is_empty()
                    && (parallel <= 1
                        || step.depends_on.iter().all(|d| !ids.contains(d.id.as_str())));
                if fits {
                    ids.insert(step.id.as_str());
                }
                fits
            })
            .collect()
    }

    /// Runs checks (concurrently when more than one), read-only, each with its timeout.
    pub(super) async fn run_checks(
        &mut self,
        series: &[usize],
        parallel: usize,
    ) -> Result<(usize, Option<Stop>), EngineError> {
        // Read-only sessions kept for the whole run: a connection per check cost more than the
        // check (a lost one is opened again). Those still connecting join as they arrive; the
        // series starts as soon as one is there.
        let needed = parallel.min(series.len()).max(1);
        while let Some(opened) = self.check_sessions_coming.try_join_next() {
            self.adopt_check_session(opened)?;
        }
        self.check_sessions.retain(|c| !c.is_closed());
        if self.check_sessions.is_empty() && self.check_sessions_coming.is_empty() {
            self.check_sessions_coming
                .spawn(open_check_session(self.opts.target.clone()));
        }
        let mut free: Vec<Arc<Client>> = self.check_sessions.iter().take(needed).cloned().collect();
        let mut sessions = free.len();
        // More sessions are opened only once the series shows it is worth a connection each:
        // trivial checks finish on one session before others could even connect.
        let widen_at = tokio::time::sleep(FIRST_LOOK);
        tokio::pin!(widen_at);
        let mut widened = needed <= sessions + self.check_sessions_coming.len();
        let mut busy = Duration::ZERO;
        let mut tasks = tokio::task::JoinSet::new();
        let mut next = 0;
        let mut done = 0;
        let mut stop = None;
        // Tracking rows are written together once the series is done (the journal has each
        // result as it comes, and a check is never "applied": a resume runs it again).
        let mut finished: Vec<FinishedCheck> = Vec::new();
        loop {
            while next < series.len() && stop.is_none() && !self.stopping() {
                let Some(client) = free.pop() else { break };
                let i = series[next];
                next += 1;
                let StepKind::Check(check) = &self.steps[i].kind else {
                    free.push(client);
                    done += 1;
                    continue;
                };
                let id = self.steps[i].id.clone();
                self.out.emit(Event::StepStarted {
                    step: id.clone(),
                    attempt: 1,
                    in_transaction: Some(true),
                })?;
                let check: Check = check.clone();
                let target = self.opts.target.clone();
                tasks.spawn(async move {
                    let started = Instant::now();
                    let result = run_check(&client, &check, &target).await;
                    (client, id, check, result, started.elapsed())
                });
            }
            let joined = tokio::select! {
                () = &mut widen_at, if !widened && next < series.len() => {
                    // Worth a connection each only if what is left would keep one session
                    // busy a while yet, at the pace of the checks done so far.
                    let left = u32::try_from(series.len() - next).unwrap_or(u32::MAX);
                    let pace = u32::try_from(done).ok().filter(|&d| d > 0).map(|d| busy / d);
                    if pace.is_none_or(|pace| pace.saturating_mul(left) >= WIDEN_AFTER) {
                        widened = true;
                        self.widen_check_sessions(needed);
                    } else {
                        widen_at.as_mut().reset(tokio::time::Instant::now() + WIDEN_AFTER);
                    }
                    continue;
                }
                joined = tasks.join_next(), if !tasks.is_empty() => joined,
                Some(opened) = self.check_sessions_coming.join_next(), if sessions < needed && next < series.len() => {
                    if let Some(client) = self.adopt_check_session(opened)? {
                        sessions += 1;
                        free.push(client);
                    }
                    continue;
                }
                else => None,
            };
            let Some(joined) = joined else {
                break;
            };
            done += 1;
            let Ok((client, id, check, result, elapsed)) = joined else {
                continue;
            };
            free.push(client);
            busy += elapsed;
            let (passed, actual) = verdict(&check.expect, result, self.secret.as_deref());
            if !passed && check.severity == Severity::Critical {
                self.failed_critical.push(id.clone());
            }
            let finished_at = chrono::Utc::now();
            finished.push(FinishedCheck {
                id: id.clone(),
                status: if passed {
                    StepStatus::Passed
                } else {
                    StepStatus::Failed
                },
                sql_checksum: checksum(&check.sql.text),
                started_at: finished_at - chrono::Duration::from_std(elapsed).unwrap_or_default(),
                finished_at,
            });
            self.out.emit(Event::CheckResult {
                step: id.clone(),
                passed,
                actual,
                expected: check.expect.clone(),
                severity: check.severity,
                duration_ms: ms(elapsed),
            })?;
            self.out.emit(Event::StepFinished {
                step: id,
                duration_ms: ms(elapsed),
                rows: 0,
            })?;
            if stop.is_none() {
                stop = self.poll_commands();
            }
        }
        self.mark_checks(&finished).await?;
        if done == 0 && stop.is_none() && !self.stopping() {
            return Err(EngineError::Database(
                "no session to run the checks on could be opened".into(),
            ));
        }
        Ok((done, stop))
    }

    /// Opens the check sessions a series still lacks (they join it as they connect).
    pub(super) fn widen_check_sessions(&mut self, needed: usize) {
        let have = self.check_sessions.len() + self.check_sessions_coming.len();
        for _ in have..needed {
            self.check_sessions_coming
                .spawn(open_check_session(self.opts.target.clone()));
        }
    }

    /// Keeps a check session that finished connecting; a failed one fails the run only if
    /// there is no other session to run checks on.
    pub(super) fn adopt_check_session(
        &mut self,
        opened: Result<Result<(Client, i32), EngineError>, tokio::task::JoinError>,
    ) -> Result<Option<Arc<Client>>, EngineError> {
        match opened {
            Ok(Ok((client, pid))) => {
                self.own_pids.push(pid);
                let client = Arc::new(client);
                self.check_sessions.push(Arc::clone(&client));
                Ok(Some(client))
            }
            Ok(Err(e))
                if self.check_sessions.is_empty() && self.check_sessions_coming.is_empty() =>
            {
                Err(e)
            }
            _ => Ok(None),
        }
    }

    /// Whether the phase loop must look at the run before another step starts: a pause, an
    /// early end of the phase, a cancel, or the runbook lock not held.
    pub(super) fn stopping(&self) -> bool {
        self.pause_requested
            || self.end_phase
            || self.cancelled.is_some()
            || !matches!(self.lock.state(), LockState::Held)
    }

    /// Writes the tracking rows of a series of finished checks in one statement.
    pub(super) async fn mark_checks(&self, finished: &[FinishedCheck]) -> Result<(), EngineError> {
        if finished.is_empty() {
            return Ok(());
        }
        let column = |f: fn(&FinishedCheck) -> String| finished.iter().map(f).collect::<Vec<_>>();
        let ids = column(|c| c.id.clone());
        let sums = column(|c| c.sql_checksum.clone());
        let statuses = column(|c| c.status.as_str().to_owned());
        let started: Vec<chrono::DateTime<chrono::Utc>> =
            finished.iter().map(|c| c.started_at).collect();
        let ended: Vec<chrono::DateTime<chrono::Utc>> =
            finished.iter().map(|c| c.finished_at).collect();
        self.monitor
            .execute(
                tracking::UPSERT_CHECKS,
                &[
                    &self.runbook.name,
                    &self.run_id,
                    &self.lock.pid(),
                    &ids,
                    &sums,
                    &statuses,
                    &started,
                    &ended,
                ],
            )
            .await
            .map_err(|e| self.db_err(&e))?;
        Ok(())
    }
}
