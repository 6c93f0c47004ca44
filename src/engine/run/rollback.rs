//! Rolling back: the applied migrations' rollback SQL, in reverse order of application.

use super::*;

impl<'a> Engine<'a> {
    /// What [`Engine::rollback`] would do if chosen now (said before each question that
    /// offers it): the same migrations, in the same order, with the same reasons.
    pub(super) fn rollback_outlook(&self) -> Event {
        let mut undoes = Vec::new();
        let mut left_applied = Vec::new();
        // The rehearsed downs, while every one undone has one.
        let mut expected = Some(Duration::ZERO);
        for &i in self.applied.iter().rev() {
            let step = self.steps[i];
            let StepKind::Migrate(m) = &step.kind else {
                continue;
            };
            match (&m.rollback, crate::plan::left_applied_by_rollback(m)) {
                (Some(_), None) => {
                    undoes.push(step.id.clone());
                    expected = expected.zip(m.rollback_expected).map(|(a, b)| a + b);
                }
                (_, reason) => left_applied.push(crate::events::KeptApplied {
                    step: step.id.clone(),
                    reason: reason.unwrap_or_default(),
                }),
            }
        }
        let expected = expected.filter(|_| !undoes.is_empty());
        let hard_end = self.window_start
            + chrono::Duration::from_std(self.runbook.window.budget).unwrap_or_default();
        let fits = expected.map(|d| {
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| chrono::Utc::now().checked_add_signed(d))
                .is_some_and(|end| end <= hard_end)
        });
        Event::RollbackOutlook {
            undoes,
            left_applied,
            expected_ms: expected.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            fits,
        }
    }

    /// Undoes this run's migrations in reverse order of application, each journaled.
    pub(super) async fn rollback(&mut self) -> Result<Stop, EngineError> {
        let order: Vec<usize> = self.applied.iter().rev().copied().collect();
        self.out
            .emit_durable(Event::RollbackStarted {
                steps: order.iter().map(|&i| self.steps[i].id.clone()).collect(),
            })
            .await?;
        let mut left_applied = Vec::new();
        for i in order {
            let step = self.steps[i];
            let StepKind::Migrate(m) = &step.kind else {
                continue;
            };
            let nothing_to_run = crate::plan::left_applied_by_rollback(m);
            let (Some(rollback), None) = (&m.rollback, &nothing_to_run) else {
                let reason = nothing_to_run.unwrap_or_default();
                left_applied.push(format!("`{}` ({reason})", step.id));
                self.out.emit(Event::RollbackLeftApplied {
                    step: step.id.clone(),
                    reason,
                })?;
                continue;
            };
            let statements = sql::split_statements(&rollback.text);
            let needs_no_tx = statements
                .iter()
                .any(|s| s.no_transaction.is_some() && s.no_transaction_below.is_none());
            let result = if needs_no_tx {
                let mut r = Ok(());
                for (n, s) in statements.iter().enumerate() {
                    if let Err(e) = self.statement(&step.id, n + 1, &s.text, None).await? {
                        r = Err(self.failure_of(&e, rollback, Some((n, s))));
                        break;
                    }
                }
                if r.is_ok() {
                    self.mark(
                        &step.id,
                        "migrate",
                        Some(&m.sql.text),
                        StepStatus::RolledBack,
                        1,
                        0,
                    )
                    .await?;
                }
                r
            } else {
                let mut r = match self.client.batch_execute("BEGIN").await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(self.failure_of(&e, rollback, None)),
                };
                if r.is_ok() {
                    for (n, s) in statements.iter().enumerate() {
                        if let Err(e) = self.statement(&step.id, n + 1, &s.text, None).await? {
                            r = Err(self.failure_of(&e, rollback, Some((n, s))));
                            break;
                        }
                    }
                }
                if r.is_ok() {
                    let sum = checksum(&m.sql.text);
                    let done = self
                        .client
                        .execute(
                            tracking::UPSERT_STEP,
                            &[
                                &self.runbook.name,
                                &step.id,
                                &self.run_id,
                                &"migrate",
                                &sum,
                                &StepStatus::RolledBack.as_str(),
                                &1i32,
                                &0i64,
                                &self.lock.pid(),
                            ],
                        )
                        .await;
                    r = match done {
                        Ok(_) => self
                            .client
                            .batch_execute("COMMIT")
                            .await
                            .map_err(|e| self.failure_of(&e, rollback, None)),
                        Err(e) => Err(self.failure_of(&e, rollback, None)),
                    };
                }
                if r.is_err() {
                    let _ = self.client.batch_execute("ROLLBACK").await;
                }
                r
            };
            match result {
                Ok(()) => {
                    self.records.remove(&step.id);
                    self.out.emit(Event::RollbackStep {
                        step: step.id.clone(),
                        ok: true,
                        error: None,
                    })?;
                }
                Err(error) => {
                    self.out.emit(Event::RollbackStep {
                        step: step.id.clone(),
                        ok: false,
                        error: Some(error),
                    })?;
                    return Ok(Stop::Finished(
                        Outcome::Failed,
                        Some(format!(
                            "rollback of `{}` failed; later rollbacks were not attempted",
                            step.id
                        )),
                    ));
                }
            }
        }
        self.applied.clear();
        // Said in the outcome's message, so nobody reads "rolled back" as "as before".
        let message = (!left_applied.is_empty())
            .then(|| format!("left applied: {}", left_applied.join(", ")));
        Ok(Stop::Finished(Outcome::RolledBack, message))
    }
}
