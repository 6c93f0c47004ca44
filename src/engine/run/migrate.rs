//! Running a migration: its statements as one pipeline, its tracking row and COMMIT behind them, the next one sent ahead; outside a transaction, step by step.

use super::*;

impl<'a> Engine<'a> {
    /// Journals the notices the server sent so far (see [`drain_notices`]).
    fn drain_notices(&mut self) -> Result<(), EngineError> {
        drain_notices(
            &mut self.notices,
            &mut self.out,
            self.secret.as_deref(),
            &mut self.notices_for,
        )
    }

    /// Runs one statement, reporting lock waits while it waits and honouring Cancel.
    /// `prelude` (transaction setup) is sent in the same round trip, just before it.
    pub(super) async fn statement(
        &mut self,
        step: &str,
        index: usize,
        text: &str,
        prelude: Option<&str>,
    ) -> Result<Result<u64, tokio_postgres::Error>, EngineError> {
        Ok(self
            .statements(step, index, &[text], prelude)
            .await?
            .map_err(|(_, e)| e))
    }

    /// Runs statements of one transaction as a pipeline (all sent at once, answered in order),
    /// each with its own started/finished events, reporting lock waits and honouring Cancel.
    /// `first_index` numbers the first; `prelude` (transaction setup) goes just before them.
    /// A failure says which statement (its position in `texts`): the rest never ran.
    pub(super) async fn statements(
        &mut self,
        step: &str,
        first_index: usize,
        texts: &[&str],
        prelude: Option<&str>,
    ) -> Result<Result<u64, (usize, tokio_postgres::Error)>, EngineError> {
        if texts.is_empty() {
            return Ok(Ok(0));
        }
        // Nothing else is in flight: what the server said so far belongs to earlier steps,
        // what it says from now on to this one.
        self.drain_notices()?;
        step.clone_into(&mut self.notices_for);
        let pipeline = sqlexec::Pipeline::send(&self.client, prelude, texts).await;
        self.read_statements(step, first_index, texts, pipeline)
            .await
    }

    /// Reads the answers of statements already sent (see [`Engine::statements`]): the first
    /// one counts from when it was sent, each other from when the one before it finished.
    pub(super) async fn read_statements(
        &mut self,
        step: &str,
        first_index: usize,
        texts: &[&str],
        mut pipeline: sqlexec::Pipeline,
    ) -> Result<Result<u64, (usize, tokio_postgres::Error)>, EngineError> {
        let Some(first) = texts.first() else {
            return Ok(Ok(0));
        };
        let mut started = pipeline.sent_at();
        self.out.emit(Event::StatementStarted {
            step: step.to_owned(),
            index: first_index,
            sql: first.chars().take(2000).collect(),
        })?;
        let cancel = self.client.cancel_token();
        // The first look comes after one poll interval, never before the statement runs.
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + self.lock_poll, self.lock_poll);
        let mut last_blockers = Vec::new();
        let mut last_told = started;
        // An index build says how far it is, every few seconds while it moves.
        let builds_index = |t: &str| {
            let t = t.to_ascii_uppercase();
            t.contains("CREATE INDEX") || t.contains("CREATE UNIQUE INDEX") || t.contains("REINDEX")
        };
        let mut progress_told: Option<(Instant, crate::events::IndexProgress)> = None;
        let mut cancelled = false;
        let mut rows = 0;
        let mut n = 0;
        let target = self.opts.target.clone();
        loop {
            tokio::select! {
                answer = pipeline.next() => {
                    let answer = match answer {
                        Some(answer) => answer,
                        None => break,
                    };
                    if !self.marks_steps {
                        step.clone_into(&mut self.notices_for);
                    }
                    self.drain_notices()?;
                    let affected = match answer {
                        Ok(r) => r.affected,
                        Err(e) => return Ok(Err((n, e))),
                    };
                    rows += affected;
                    self.out.emit(Event::StatementFinished {
                        step: step.to_owned(),
                        index: first_index + n,
                        rows: affected,
                        duration_ms: ms(started.elapsed()),
                    })?;
                    n += 1;
                    let Some(text) = texts.get(n) else { break };
                    started = Instant::now();
                    last_told = started;
                    last_blockers.clear();
                    tick.reset();
                    self.out.emit(Event::StatementStarted {
                        step: step.to_owned(),
                        index: first_index + n,
                        sql: text.chars().take(2000).collect(),
                    })?;
                }
                _ = tick.tick() => {
                    let blockers = sqlexec::blockers(&self.monitor, self.backend_pid).await;
                    // Said when who blocks changes, and again through a long wait (a
                    // concurrent index build may wait minutes for old transactions).
                    let changed = blockers.iter().map(|b| b.pid).ne(last_blockers.iter().map(|b: &crate::events::Blocker| b.pid));
                    if !blockers.is_empty() && (changed || last_told.elapsed() >= LOCK_WAIT_RETELL) {
                        last_told = Instant::now();
                        self.out.emit(Event::LockWait {
                            step: step.to_owned(),
                            blockers: blockers.clone(),
                            waited_ms: ms(started.elapsed()),
                        })?;
                    }
                    last_blockers = blockers;
                    let due = progress_told
                        .as_ref()
                        .is_none_or(|(at, _)| at.elapsed() >= INDEX_PROGRESS_EVERY);
                    if due
                        && texts.get(n).is_some_and(|t| builds_index(t))
                        && let Some(progress) =
                            sqlexec::index_progress(&self.monitor, self.backend_pid).await
                        && progress_told.as_ref().is_none_or(|(_, p)| *p != progress)
                    {
                        self.out.emit(Event::IndexBuildProgress {
                            step: step.to_owned(),
                            progress: progress.clone(),
                        })?;
                        progress_told = Some((Instant::now(), progress));
                    }
                }
                command = self.commands.recv(), if !cancelled => {
                    match command {
                        Some(Command::Cancel { reason }) => {
                            cancelled = true;
                            let _ = crate::connect::cancel(&target, &cancel).await;
                            self.out.emit(Event::Cancelled { reason: reason.clone() })?;
                            self.cancelled = Some(reason);
                        }
                        Some(Command::Abort) => {
                            cancelled = true;
                            self.abort_requested = true;
                            let _ = crate::connect::cancel(&target, &cancel).await;
                            let reason = "aborted by the operator".to_owned();
                            self.out.emit(Event::Cancelled { reason: reason.clone() })?;
                            self.cancelled = Some(reason);
                        }
                        Some(Command::CancelStatement) => {
                            // The step fails with 57014 and the failure choice follows.
                            cancelled = true;
                            let _ = crate::connect::cancel(&target, &cancel).await;
                            self.out.emit(Event::StatementCancelled {
                                step: step.to_owned(),
                                reason: "cancelled by the operator".into(),
                            })?;
                        }
                        Some(Command::Pause) => self.pause_requested = true,
                        Some(Command::EndPhase) => self.end_phase = true,
                        Some(_) => {}
                        // The front end went away: stop listening, let the statement finish.
                        None => cancelled = true,
                    }
                }
            }
        }
        Ok(Ok(rows))
    }

    pub(super) async fn migrate(
        &mut self,
        i: usize,
        m: &Migrate,
    ) -> Result<StepResult, EngineError> {
        let id = self.steps[i].id.clone();
        // Look for blockers well before lock_timeout fires, so the operator sees who it was.
        self.lock_poll =
            (m.lock_timeout / 3).clamp(Duration::from_millis(50), Duration::from_millis(500));
        // A step sent ahead was split when it was sent.
        let statements = match &self.ahead {
            Some(ahead) if ahead.step == i => ahead.statements.clone(),
            _ => sql::split_statements(&m.sql.text),
        };
        let in_tx = runs_in_transaction(
            self.plan.steps[i].in_transaction,
            m.transaction,
            &statements,
            self.server_version_num,
        );
        let sum = checksum(&m.sql.text);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.reconnect_if_lost().await?;
            self.out.emit(Event::StepStarted {
                step: id.clone(),
                attempt,
                in_transaction: Some(in_tx),
            })?;
            let started = Instant::now();
            let journaled = self.out.durable()?;
            let outcome = if in_tx {
                self.migrate_in_transaction(i, m, &statements, &sum, attempt, journaled)
                    .await?
            } else {
                self.migrate_outside_transaction(&id, m, &statements, &sum, attempt, journaled)
                    .await?
            };
            match outcome {
                Ok(rows) => {
                    self.out.emit(Event::StepFinished {
                        step: id,
                        duration_ms: ms(started.elapsed()),
                        rows,
                    })?;
                    return Ok(StepResult::Done);
                }
                Err((error, failure)) => {
                    if let Some(refusal) = self.integrity_refusal(&id, error.as_ref()).await {
                        return Ok(refusal);
                    }
                    let lock_timeout = error.as_ref().and_then(sqlexec::sqlstate) == Some("55P03");
                    if lock_timeout && attempt <= m.lock_retries && self.cancelled.is_none() {
                        let base = ms(self.runbook.defaults.retry_backoff).max(1);
                        let exp = base.saturating_mul(1 << (attempt - 1).min(10));
                        let jitter = jitter(exp / 2 + 1);
                        let delay = exp / 2 + jitter;
                        self.out.emit(Event::Retry {
                            step: id.clone(),
                            attempt: attempt + 1,
                            delay_ms: delay,
                            reason: failure.message.clone(),
                        })?;
                        if let Some(reason) = self.backoff(Duration::from_millis(delay)).await? {
                            return Ok(StepResult::Interrupted(format!(
                                "{reason} while `{id}` waited to retry"
                            )));
                        }
                        continue;
                    }
                    if let Some(reason) = self.cancelled.take() {
                        // Cancelled: stop cleanly; the run is resumable.
                        return Ok(StepResult::Interrupted(format!(
                            "{reason} during `{id}`; {}",
                            if in_tx {
                                "nothing of it was committed"
                            } else {
                                "statements that finished before stay applied"
                            }
                        )));
                    }
                    if in_tx {
                        // Nothing of it was committed; record the failure itself for `status`.
                        self.mark(
                            &id,
                            "migrate",
                            Some(&m.sql.text),
                            StepStatus::Failed,
                            attempt as i32,
                            0,
                        )
                        .await?;
                    }
                    return Ok(StepResult::Failed(failure));
                }
            }
        }
    }

    /// A commit the tracking rules refused: the lock is no longer held, or another runner
    /// applied the step first. Either way nothing of this attempt was committed.
    pub(super) async fn integrity_refusal(
        &self,
        id: &str,
        error: Option<&tokio_postgres::Error>,
    ) -> Option<StepResult> {
        let db = error?.as_db_error()?;
        if db.code().code() == tracking::LOCK_NOT_HELD {
            return Some(StepResult::LockLost(format!(
                "the server refused to commit `{id}`: this runner no longer holds the runbook lock (nothing of `{id}` was committed)"
            )));
        }
        if *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some(tracking::APPLIED_TWICE)
        {
            let by = tracking::applied_by(&self.monitor, &self.runbook.name, id)
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| "another run".into());
            return Some(StepResult::AppliedElsewhere(format!(
                "`{id}` was applied meanwhile by another runner (run {by}); this attempt rolled back, so it is applied once. Stopped: two runners must never work on one runbook — find the other one before resuming"
            )));
        }
        None
    }

    pub(super) fn failure_of(
        &self,
        error: &tokio_postgres::Error,
        source: &SqlSource,
        statement: Option<(usize, &sql::Statement)>,
    ) -> SqlFailure {
        sqlexec::failure(
            error,
            self.runbook,
            Some(source),
            statement,
            self.secret.as_deref(),
        )
    }

    #[allow(clippy::type_complexity)]
    pub(super) async fn migrate_in_transaction(
        &mut self,
        i: usize,
        m: &Migrate,
        statements: &[sql::Statement],
        sum: &str,
        attempt: u32,
        journaled: crate::journal::Durable,
    ) -> Result<Result<u64, (Option<tokio_postgres::Error>, SqlFailure)>, EngineError> {
        let id = self.steps[i].id.as_str();
        let setup = transaction_setup(m, id, self.marks_steps);
        let texts: Vec<&str> = statements.iter().map(|s| s.text.as_str()).collect();
        // Sent ahead while the step before committed, or now: setup and statements together.
        let sent = match self.ahead.take() {
            Some(ahead) if ahead.step == i => Some(ahead.pipeline),
            Some(stale) => {
                stale.pipeline.abandon(&self.opts.target).await;
                None
            }
            None => None,
        };
        let pipeline = match sent {
            Some(pipeline) => Some(pipeline),
            None if statements.is_empty() => None,
            None => Some(sqlexec::Pipeline::send(&self.client, Some(&setup), &texts).await),
        };
        // While the server runs them: what may follow them (the parsing is off the path
        // between this step's last answer and its COMMIT).
        let mut candidate = self.ahead_candidate();
        let mut journaled = Some(journaled);
        // A step of a one-at-a-time phase sends its tracking row and COMMIT right behind its
        // statements (and the next migration behind those) once the journal has it started:
        // the server goes from its last statement to its COMMIT and on to the next step
        // without waiting for this process. Its row count is not known yet: the row is written
        // without it and completed when the run of such steps ends (`complete_rows`).
        let mut closing = None;
        if self.chain_commits && pipeline.is_some() {
            if let Some(journaled) = journaled.take() {
                journaled.wait().await?;
            }
            closing = Some(
                self.send_closing(id, sum, attempt, None, candidate.take())
                    .await,
            );
        }
        let answers = match pipeline {
            Some(pipeline) => self.read_statements(id, 1, &texts, pipeline).await?,
            None => match self.client.batch_execute(&setup).await {
                Ok(()) => Ok(0),
                Err(e) => {
                    let f = self.failure_of(&e, &m.sql, None);
                    return Ok(Err((Some(e), f)));
                }
            },
        };
        let rows = match answers {
            Ok(rows) => rows,
            Err((n, e)) => {
                let f = self.failure_of(&e, &m.sql, statements.get(n).map(|s| (n, s)));
                match closing {
                    // The COMMIT behind the failed statement ended the transaction (a COMMIT
                    // of a failed transaction rolls it back); what went behind it is undone.
                    Some(closing) => closing.abandon(&self.opts.target).await,
                    None => {
                        let _ = self.client.batch_execute("ROLLBACK").await;
                    }
                }
                return Ok(Err((Some(e), f)));
            }
        };
        let chained = closing.is_some();
        let closing = match closing {
            Some(closing) => closing,
            None => {
                // The journal shows the step started before it can commit: after a crash the
                // database is never more than this step ahead of the journal.
                if let Some(journaled) = journaled.take() {
                    journaled.wait().await?;
                }
                self.send_closing(id, sum, attempt, Some(rows as i64), candidate.take())
                    .await
            }
        };
        let Closing {
            record,
            commit,
            next,
        } = closing;
        // Either way the transaction is over: a COMMIT after a failed row rolls back.
        if let Err(e) = record.answer().await.and(commit.answer().await) {
            // What went behind it must not commit in its place.
            if let Some(ahead) = next {
                ahead.pipeline.abandon(&self.opts.target).await;
            }
            let f = self.failure_of(&e, &m.sql, None);
            return Ok(Err((Some(e), f)));
        }
        self.ahead = next;
        if chained {
            self.rows_unrecorded.push((id.to_owned(), rows as i64));
        }
        self.remember_applied(id, sum);
        Ok(Ok(rows))
    }

    /// What the tracking rows now say of step `id`: applied in this run, with this SQL.
    fn remember_applied(&mut self, id: &str, sum: &str) {
        self.records.insert(
            id.to_owned(),
            StepRecord {
                step_id: id.to_owned(),
                run_id: self.run_id.clone(),
                status: StepStatus::Applied,
                sql_checksum: Some(sum.to_owned()),
            },
        );
    }

    /// Sends what ends a migration's transaction: its tracking row (which commits with it, so
    /// the database says what was applied; a failed row makes the COMMIT roll back) and the
    /// COMMIT, then the next migration when it may go ahead (see [`Ahead`]).
    pub(super) async fn send_closing(
        &self,
        id: &str,
        sum: &str,
        attempt: u32,
        rows: Option<i64>,
        candidate: Option<(usize, String, Vec<sql::Statement>)>,
    ) -> Closing {
        let next = candidate.filter(|(j, _, _)| self.may_send_ahead(*j));
        let (client, upsert) = (Arc::clone(&self.client), self.upsert_step.clone());
        let (runbook, step, run_id, sum) = (
            self.runbook.name.clone(),
            id.to_owned(),
            self.run_id.clone(),
            sum.to_owned(),
        );
        let (attempts, holder) = (attempt as i32, self.lock.pid());
        let record = sqlexec::Sent::send(async move {
            client
                .execute(
                    &upsert,
                    &[
                        &runbook,
                        &step,
                        &run_id,
                        &"migrate",
                        &sum,
                        &StepStatus::Applied.as_str(),
                        &attempts,
                        &rows,
                        &holder,
                    ],
                )
                .await
        })
        .await;
        let client = Arc::clone(&self.client);
        let commit = sqlexec::Sent::send(async move { client.batch_execute("COMMIT").await }).await;
        let next = match next {
            Some((step, setup, statements)) => {
                let texts: Vec<&str> = statements.iter().map(|s| s.text.as_str()).collect();
                let pipeline = sqlexec::Pipeline::send(&self.client, Some(&setup), &texts).await;
                Some(Ahead {
                    step,
                    statements,
                    pipeline,
                })
            }
            None => None,
        };
        Closing {
            record,
            commit,
            next,
        }
    }

    /// The migration that may go to the server behind this step's COMMIT: the next step of a
    /// one-at-a-time phase, when it is a transactional migration with statements that the
    /// verdict says to run (and [`Engine::may_send_ahead`] still agrees at the COMMIT).
    /// Its setup and statements.
    pub(super) fn ahead_candidate(&self) -> Option<(usize, String, Vec<sql::Statement>)> {
        let j = self.up_next?;
        let StepKind::Migrate(m) = &self.steps[j].kind else {
            return None;
        };
        if self.action(j) != verdict::StepAction::Run {
            return None;
        }
        let statements = sql::split_statements(&m.sql.text);
        let in_tx = runs_in_transaction(
            self.plan.steps[j].in_transaction,
            m.transaction,
            &statements,
            self.server_version_num,
        );
        if !in_tx || statements.is_empty() {
            return None;
        }
        Some((
            j,
            transaction_setup(m, &self.steps[j].id, self.marks_steps),
            statements,
        ))
    }

    /// Whether step `j` may still be sent ahead now: the lock is held, nobody asked the run to
    /// stop, pause or end the phase, and the verdict still says to run it.
    pub(super) fn may_send_ahead(&self, j: usize) -> bool {
        self.cancelled.is_none()
            && !self.pause_requested
            && !self.abort_requested
            && !self.end_phase
            && self.lock.state() == LockState::Held
            && self.action(j) == verdict::StepAction::Run
            // Its preconditions are asked once the step before it committed.
            && self.steps[j].require.is_empty()
    }

    #[allow(clippy::type_complexity)]
    pub(super) async fn migrate_outside_transaction(
        &mut self,
        id: &str,
        m: &Migrate,
        statements: &[sql::Statement],
        sum: &str,
        attempt: u32,
        journaled: crate::journal::Durable,
    ) -> Result<Result<u64, (Option<tokio_postgres::Error>, SqlFailure)>, EngineError> {
        // Started/finished around the statements: a crash in between leaves it `uncertain`.
        self.mark(
            id,
            "migrate",
            Some(&m.sql.text),
            StepStatus::Started,
            attempt as i32,
            0,
        )
        .await?;
        // What an earlier attempt's failed build left (its connection was lost before it
        // could be dropped) goes before this attempt builds it again.
        self.drop_own_invalid_indexes(id, m).await?;
        let setup = format!(
            "SET lock_timeout = '{}'; SET statement_timeout = '{}'",
            pg_ms(m.lock_timeout),
            pg_ms(m.statement_timeout)
        );
        let reset = "RESET lock_timeout; RESET statement_timeout";
        if let Err(e) = self.client.batch_execute(&setup).await {
            let f = self.failure_of(&e, &m.sql, None);
            return Ok(Err((Some(e), f)));
        }
        let mut lock_timeout = m.lock_timeout;
        let mut rows = 0;
        for (n, stmt) in statements.iter().enumerate() {
            // A concurrent build waits for every older transaction on the server (which does
            // not block the application): that wait has its own, longer timeout.
            let wanted = if sqlexec::waits_for_older_transactions(stmt) {
                m.concurrent_lock_timeout
            } else {
                m.lock_timeout
            };
            let prelude =
                (wanted != lock_timeout).then(|| format!("SET lock_timeout = '{}'", pg_ms(wanted)));
            lock_timeout = wanted;
            if let Some((index, table)) = sqlexec::concurrent_build(stmt) {
                let before = sqlexec::index_state(&self.client, &index, &table)
                    .await
                    .map_err(|e| self.db_err(&e))?;
                if before == sqlexec::IndexState::Missing
                    && !self
                        .own_builds
                        .iter()
                        .any(|(s, i, t)| s == id && *i == index && *t == table)
                {
                    self.own_builds.push((id.to_owned(), index, table));
                }
            }
            let result = self
                .statement(id, n + 1, &stmt.text, prelude.as_deref())
                .await?;
            match result {
                Ok(r) => rows += r,
                Err(e) => {
                    let _ = self.client.batch_execute(reset).await;
                    let f = self.failure_of(&e, &m.sql, Some((n, stmt)));
                    // A failed or cancelled build leaves its index INVALID: gone before
                    // anything else, so a retry never fails on its own leftover.
                    self.drop_own_invalid_indexes(id, m).await?;
                    // Statements before this one stay applied: then the step stays `started`
                    // (uncertain on resume) rather than claiming it failed cleanly.
                    if n == 0 {
                        self.mark(
                            id,
                            "migrate",
                            Some(&m.sql.text),
                            StepStatus::Failed,
                            attempt as i32,
                            rows as i64,
                        )
                        .await?;
                    }
                    return Ok(Err((Some(e), f)));
                }
            }
            if let Some(index) = sqlexec::concurrent_index_name(&stmt.text)
                .filter(|_| stmt.kind.contains("CONCURRENTLY"))
            {
                let table = sqlexec::concurrent_index_table(&stmt.text).unwrap_or_default();
                let state = sqlexec::index_state(&self.client, &index, &table)
                    .await
                    .map_err(|e| self.db_err(&e))?;
                if state == sqlexec::IndexState::Invalid {
                    let _ = self.client.batch_execute(reset).await;
                    self.mark(
                        id,
                        "migrate",
                        Some(&m.sql.text),
                        StepStatus::Failed,
                        attempt as i32,
                        rows as i64,
                    )
                    .await?;
                    let (file, loc) =
                        crate::plan::locate(&m.sql, &self.runbook.path, stmt.range.start, 1);
                    return Ok(Err((
                        None,
                        SqlFailure {
                            message: format!(
                                "index {index} is INVALID: the concurrent build did not complete (an `IF NOT EXISTS` retry would silently skip it)"
                            ),
                            hint: Some(format!(
                                "drop it with `DROP INDEX CONCURRENTLY {index};` and retry the step"
                            )),
                            statement: Some(n + 1),
                            file: Some(file.display().to_string()),
                            line: Some(loc.line),
                            column: Some(loc.column),
                            ..SqlFailure::default()
                        },
                    )));
                }
            }
        }
        let _ = self.client.batch_execute(reset).await;
        journaled.wait().await?;
        self.mark(
            id,
            "migrate",
            Some(&m.sql.text),
            StepStatus::Applied,
            attempt as i32,
            rows as i64,
        )
        .await?;
        self.remember_applied(id, sum);
        Ok(Ok(rows))
    }

    /// Drops the INVALID indexes this run's failed concurrent builds of step `id` left
    /// (`DROP INDEX CONCURRENTLY`, with the step's short `lock_timeout`: it waits only for
    /// sessions using the table), each journaled. One that cannot be dropped now is tried again
    /// before the next attempt.
    pub(super) async fn drop_own_invalid_indexes(
        &mut self,
        id: &str,
        m: &Migrate,
    ) -> Result<(), EngineError> {
        if self.client.is_closed() {
            return Ok(());
        }
        let ours: Vec<(String, String)> = self
            .own_builds
            .iter()
            .filter(|(s, _, _)| s == id)
            .map(|(_, i, t)| (i.clone(), t.clone()))
            .collect();
        for (index, table) in ours {
            let invalid = match sqlexec::invalid_index(&self.client, &index, &table).await {
                Ok(invalid) => invalid,
                Err(_) => return Ok(()),
            };
            let Some(qualified) = invalid else {
                // Built after all, or gone: no longer ours to clean.
                self.own_builds
                    .retain(|(s, i, t)| !(s == id && *i == index && *t == table));
                continue;
            };
            // One statement per query: DROP INDEX CONCURRENTLY refuses the implicit
            // transaction of a multi-statement query.
            let setup = format!("SET lock_timeout = '{}'", pg_ms(m.lock_timeout));
            let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {qualified}");
            let dropped = match self.client.batch_execute(&setup).await {
                Ok(()) => self.client.batch_execute(&drop).await,
                Err(e) => Err(e),
            };
            let _ = self.client.batch_execute("RESET lock_timeout").await;
            let error = match dropped {
                Ok(()) => {
                    self.own_builds
                        .retain(|(s, i, t)| !(s == id && *i == index && *t == table));
                    None
                }
                Err(e) => Some(sqlexec::failure(
                    &e,
                    self.runbook,
                    None,
                    None,
                    self.secret.as_deref(),
                )),
            };
            self.out.emit(Event::InvalidIndexDropped {
                step: id.to_owned(),
                index: qualified,
                error,
            })?;
        }
        Ok(())
    }
}
