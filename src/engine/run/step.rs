//! One step by its kind: a migration, a check, a manual task, a command, a checkpoint; and what follows a failure.

use super::*;

impl<'a> Engine<'a> {
    /// Runs one step (with its failure handling). `Some` stops the run.
    pub(super) async fn step(&mut self, i: usize) -> Result<Option<Stop>, EngineError> {
        let step = self.steps[i];
        let id = step.id.clone();
        // What the tracking rows say to do with it (see crate::verdict).
        let action = self.action(i);
        if let Some(reason) = skip_reason(&action) {
            self.out.emit(Event::StepSkipped { step: id, reason })?;
            return Ok(None);
        }
        // An uncertain migration is settled first (asked below); a fresh step asks its
        // preconditions.
        if action == verdict::StepAction::Run {
            match self.preconditions(i).await? {
                require::Required::Run => {}
                require::Required::Skip(reason) => {
                    self.out.emit(Event::StepSkipped { step: id, reason })?;
                    return Ok(None);
                }
                require::Required::Halt(reason) => {
                    return Ok(Some(Stop::Finished(Outcome::Halted, Some(reason))));
                }
            }
        }
        match &step.kind {
            StepKind::Migrate(m) => {
                if action == verdict::StepAction::AskUncertain {
                    loop {
                        let still_running = self.still_running().await;
                        self.out.emit(Event::UncertainStep {
                            step: id.clone(),
                            still_running,
                        })?;
                        match self.wait_uncertain(&id).await? {
                            Ok(true) => {
                                if let Some(reason) = self.cannot_mark_applied(m).await? {
                                    self.out.emit(Event::DecisionRejected {
                                        step: id.clone(),
                                        reason,
                                    })?;
                                    continue;
                                }
                                self.mark(
                                    &id,
                                    "migrate",
                                    Some(&m.sql.text),
                                    StepStatus::Applied,
                                    1,
                                    0,
                                )
                                .await?;
                                self.applied.push(i);
                                self.out.emit(Event::StepSkipped {
                                    step: id,
                                    reason: "marked applied by the operator after an uncertain interruption".into(),
                                })?;
                                return Ok(None);
                            }
                            Ok(false) => {
                                self.adopt_interrupted_builds(&id, m).await?;
                                break;
                            }
                            Err(stop) => return Ok(Some(stop)),
                        }
                    }
                }
                self.run_migration(i, m).await
            }
            StepKind::Check(_) => Ok(self.run_checks(&[i], 1).await?.1),
            StepKind::Probe(_) => Ok(None),
            StepKind::Backfill(b) => self.run_backfill(i, b).await,
            StepKind::Manual { prompt } => {
                self.out.emit(Event::ManualWaiting {
                    step: id.clone(),
                    prompt: prompt.clone(),
                })?;
                loop {
                    // The phase's probes keep sampling while the operator watches: an alert
                    // during the wait is raised on screen.
                    let next_sample = match self.phase_probes.take() {
                        Some(mut probes) => {
                            let next = self.sample_due(&mut probes).await;
                            self.phase_probes = Some(probes);
                            Some(next?)
                        }
                        None => None,
                    };
                    let command = match next_sample {
                        Some(at) => tokio::select! {
                            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => continue,
                            command = self.commands.recv() => command,
                        },
                        None => self.commands.recv().await,
                    };
                    match command {
                        Some(Command::Acknowledge {
                            step: s,
                            operator,
                            note,
                        }) if s == id => {
                            self.out
                                .emit_durable(Event::ManualAcknowledged {
                                    step: id.clone(),
                                    operator,
                                    note: note.filter(|n| !n.trim().is_empty()),
                                })
                                .await?;
                            self.mark(&id, "manual", None, StepStatus::Done, 1, 0)
                                .await?;
                            return Ok(None);
                        }
                        Some(other) => {
                            if let Some(stop) = self.waiting_command(other, &id)? {
                                return Ok(Some(stop));
                            }
                        }
                        None => {
                            return Ok(Some(Stop::Finished(
                                Outcome::Interrupted,
                                Some("front end closed".into()),
                            )));
                        }
                    }
                }
            }
            StepKind::Command(c) => loop {
                self.out.emit(Event::StepStarted {
                    step: id.clone(),
                    attempt: 1,
                    in_transaction: None,
                })?;
                let started = Instant::now();
                match crate::engine::command::run(&c.program, c.timeout).await {
                    Ok(result) => {
                        self.out.emit(Event::CommandOutput {
                            step: id.clone(),
                            exit_code: result.exit_code,
                            stdout_tail: crate::secret::mask(
                                &result.stdout_tail,
                                self.secret.as_deref(),
                            ),
                            stderr_tail: crate::secret::mask(
                                &result.stderr_tail,
                                self.secret.as_deref(),
                            ),
                        })?;
                        if result.exit_code == Some(0) {
                            self.mark(&id, "command", None, StepStatus::Done, 1, 0)
                                .await?;
                            self.out.emit(Event::StepFinished {
                                step: id,
                                duration_ms: ms(started.elapsed()),
                                rows: 0,
                            })?;
                            return Ok(None);
                        }
                        let message = match result.exit_code {
                            Some(code) => {
                                format!("`{}` exited with status {code}", c.program.join(" "))
                            }
                            None if result.timed_out => format!(
                                "`{}` timed out after {}",
                                c.program.join(" "),
                                crate::runbook::duration::format(c.timeout)
                            ),
                            None => format!("`{}` was killed by a signal", c.program.join(" ")),
                        };
                        self.out.emit(Event::StepFailed {
                            step: id.clone(),
                            error: SqlFailure {
                                message,
                                ..SqlFailure::default()
                            },
                        })?;
                    }
                    Err(e) => {
                        self.out.emit(Event::StepFailed {
                            step: id.clone(),
                            error: SqlFailure {
                                message: format!("cannot start `{}`: {e}", c.program.join(" ")),
                                ..SqlFailure::default()
                            },
                        })?;
                    }
                }
                match self.after_failure(&id, false).await? {
                    FailureChoice::Retry => continue,
                    FailureChoice::Stop(stop) => return Ok(Some(stop)),
                }
            },
            StepKind::Checkpoint(cp) => self.checkpoint(i, &cp.prompt, &cp.questions).await,
        }
    }

    /// A command that arrived while waiting at a gate or manual step.
    pub(super) fn waiting_command(
        &mut self,
        command: Command,
        waiting_on: &str,
    ) -> Result<Option<Stop>, EngineError> {
        match command {
            Command::Pause => Ok(Some(Stop::Finished(
                Outcome::Halted,
                Some(format!("halted at `{waiting_on}`, waiting for a decision")),
            ))),
            Command::Abort => Ok(Some(Stop::Finished(
                Outcome::Aborted,
                Some(format!("aborted at `{waiting_on}`")),
            ))),
            Command::Cancel { reason } => {
                self.out.emit(Event::Cancelled {
                    reason: reason.clone(),
                })?;
                Ok(Some(Stop::Finished(Outcome::Interrupted, Some(reason))))
            }
            Command::EndPhase => {
                self.end_phase = true;
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// The operator's choice after a failed step. `connection_lost`: the step failed because
    /// its session was lost; stopping then ends the run interrupted (resumable, exit 6), and a
    /// retry or rollback opens the session again first.
    pub(super) async fn after_failure(
        &mut self,
        id: &str,
        connection_lost: bool,
    ) -> Result<FailureChoice, EngineError> {
        self.out.emit(Event::AwaitingFailureDecision {
            step: id.to_owned(),
        })?;
        let outlook = self.rollback_outlook();
        self.out.emit(outlook)?;
        loop {
            match self.commands.recv().await {
                Some(Command::Retry) => return Ok(FailureChoice::Retry),
                Some(Command::Rollback) => {
                    self.reconnect_if_lost().await?;
                    return Ok(FailureChoice::Stop(self.rollback().await?));
                }
                Some(Command::Abort) => {
                    return Ok(FailureChoice::Stop(Stop::Finished(
                        Outcome::Aborted,
                        Some(format!("aborted after `{id}` failed")),
                    )));
                }
                Some(Command::Pause) => {
                    return Ok(FailureChoice::Stop(failed_stop(id, connection_lost)));
                }
                Some(Command::Cancel { reason }) => {
                    self.out.emit(Event::Cancelled {
                        reason: reason.clone(),
                    })?;
                    return Ok(FailureChoice::Stop(Stop::Finished(
                        Outcome::Interrupted,
                        Some(reason),
                    )));
                }
                Some(_) => {}
                None => return Ok(FailureChoice::Stop(failed_stop(id, connection_lost))),
            }
        }
    }
}
