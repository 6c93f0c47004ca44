//! What the run as a whole went through: gates and their questions, decisions, rollbacks, cancellations, and where it stood when something happened.

use super::*;

impl RunRecord {
    /// What the engine asks, and when the question is answered or moot.
    pub(super) fn follow_questions(&mut self, event: &Event) {
        let ask = |record: &mut RunRecord, waiting: Waiting| {
            record.waiting = Some(waiting);
            record.waiting_seq += 1;
        };
        match event {
            Event::ManualWaiting { step, prompt } => ask(
                self,
                Waiting::Manual {
                    step: step.clone(),
                    prompt: prompt.clone(),
                },
            ),
            Event::CheckpointReached {
                step,
                prompt,
                questions,
                failed_critical,
                projected_end,
                hard_end,
                ..
            } => ask(
                self,
                Waiting::Gate {
                    step: step.clone(),
                    prompt: prompt.clone(),
                    questions: questions.clone(),
                    failed_critical: failed_critical.clone(),
                    projected_end: parse_time(projected_end),
                    hard_end: parse_time(hard_end),
                    rejected: None,
                },
            ),
            Event::UncertainStep { step, .. } => {
                ask(self, Waiting::Uncertain { step: step.clone() })
            }
            Event::AwaitingFailureDecision { step } => {
                ask(self, Waiting::Failure { step: step.clone() })
            }
            Event::DecisionRejected { step, reason } => {
                if let Some(Waiting::Gate {
                    step: s, rejected, ..
                }) = &mut self.waiting
                    && s == step
                {
                    *rejected = Some(reason.clone());
                }
                self.rejected_seq += 1;
            }
            // Answered, or moot: the step goes on, is skipped, or the run ends or rolls back.
            Event::StepStarted { step, .. } | Event::StepSkipped { step, .. }
                if self.waiting.as_ref().is_some_and(|w| w.step() == step) =>
            {
                self.waiting = None;
            }
            Event::RunFinished { outcome, .. } => {
                let question = self.waiting.take();
                if *outcome == crate::events::Outcome::Halted {
                    self.halted_at = question;
                }
            }
            Event::RunStarted { checksum, .. } => {
                self.waiting = None;
                self.halted_at = None;
                self.checksum = Some(checksum.clone());
            }
            Event::ManualAcknowledged { .. }
            | Event::DecisionRecorded { .. }
            | Event::RollbackStarted { .. }
            | Event::Cancelled { .. } => self.waiting = None,
            _ => {}
        }
    }

    /// Where the run stood, taken before the entry changes it: a cancel closes the open
    /// question, and the run's end settles what was running.
    pub(super) fn note_where_it_stood(&mut self, event: &Event) {
        match event {
            Event::Cancelled { reason } => {
                if self.waiting.is_some() {
                    self.stop_candidate = self.stop_point();
                }
                self.cancel_reached = self.current.clone().filter(|c| {
                    self.step(c)
                        .is_some_and(|s| s.status == Status::Running && !s.is_probe())
                });
                self.cancel = Some(reason.clone());
            }
            Event::RunFinished { outcome, .. } => {
                if *outcome != Outcome::Succeeded {
                    self.stopped_at = self.stop_point().or_else(|| self.stop_candidate.take());
                }
                self.stop_candidate = None;
                self.cancel_reached = None;
            }
            _ => {}
        }
    }

    /// What happened at the gates, in rollbacks, aborts and cancels, and what the run did
    /// to stay exactly-once.
    pub(super) fn follow_story(&mut self, entry: &Entry) {
        let ts = entry.ts;
        let attempt = self.attempt_no();
        match &entry.event {
            Event::CheckpointReached {
                step,
                prompt,
                questions,
                failed_critical,
                projected_end,
                hard_end,
                pace,
                advice,
            } => self.gates.push(Gate {
                step: step.clone(),
                attempt,
                reached_at: Some(ts),
                prompt: Some(prompt.clone()),
                questions: questions.clone(),
                failed_critical: failed_critical.clone(),
                projected_end: parse_time(projected_end),
                hard_end: parse_time(hard_end),
                pace: *pace,
                advice: *advice,
                rollback_outlook: None,
                rejections: Vec::new(),
                server_sessions: None,
                decision: None,
            }),
            // Said right after the gate it belongs to (a failed step's has no gate).
            Event::RollbackOutlook {
                undoes,
                left_applied,
                expected_ms,
                fits,
            } => {
                if let Some(Waiting::Gate { step, .. }) = self.waiting.clone() {
                    let g = self.pending_gate(&step);
                    self.gates[g].rollback_outlook = Some(crate::events::RollbackPlan {
                        undoes: undoes.clone(),
                        left_applied: left_applied.clone(),
                        expected_ms: *expected_ms,
                        fits: *fits,
                    });
                }
            }
            Event::ServerActivity { step, sessions } => {
                let g = self.pending_gate(step);
                self.gates[g].server_sessions = Some((ts, sessions.clone()));
            }
            Event::DecisionRejected { step, reason } => {
                let g = self.pending_gate(step);
                self.gates[g].rejections.push((ts, reason.clone()));
            }
            Event::DecisionRecorded {
                step,
                decision,
                operator,
                comment,
                answers,
                overrode_failed_checks,
                restored,
            } => {
                let g = self.pending_gate(step);
                let gate = &mut self.gates[g];
                gate.decision = Some(GateDecision {
                    decision: *decision,
                    operator: operator.clone(),
                    at: ts,
                    comment: comment.clone(),
                    answers: answers.clone(),
                    overrode_failed_checks: overrode_failed_checks.clone(),
                    restored: *restored,
                    waited_ms: gate.reached_at.map(|t| ms_between(t, ts)),
                });
                self.last_decision = Some((step.clone(), *decision));
            }
            Event::AwaitingFailureDecision { step } => {
                self.last_failed_step = Some(step.clone());
            }
            Event::RollbackStarted { steps } => {
                let checkpoint = match &self.last_decision {
                    Some((cp, Decision::Rollback)) => Some(cp.clone()),
                    _ => None,
                };
                let failed_step = if checkpoint.is_none() {
                    self.last_failed_step.clone()
                } else {
                    None
                };
                self.rollbacks.push(RollbackRun {
                    attempt,
                    started_at: ts,
                    checkpoint,
                    failed_step,
                    planned: steps.clone(),
                    results: Vec::new(),
                });
                self.in_rollback = Some(self.rollbacks.len() - 1);
            }
            Event::RollbackStep { step, ok, error } => {
                // Journals before `rollback_left_applied` said "left applied" as a failure.
                let left_applied = (!*ok)
                    .then_some(error.as_ref())
                    .flatten()
                    .filter(|e| e.message == "no rollback SQL declared; left applied")
                    .map(|_| "no rollback SQL".to_owned());
                let r = self.rollback_in_progress(entry);
                self.rollbacks[r].results.push(Undo {
                    step: step.clone(),
                    at: ts,
                    ok: *ok,
                    error: if left_applied.is_some() {
                        None
                    } else {
                        error.clone()
                    },
                    left_applied,
                });
            }
            Event::RollbackLeftApplied { step, reason } => {
                let r = self.rollback_in_progress(entry);
                self.rollbacks[r].results.push(Undo {
                    step: step.clone(),
                    at: ts,
                    ok: false,
                    error: None,
                    left_applied: Some(reason.clone()),
                });
            }
            Event::LockLost { reason } => self.anomalies.push(Anomaly::LockLost {
                at: ts,
                reason: reason.clone(),
            }),
            Event::LockRegained { pid } => self
                .anomalies
                .push(Anomaly::LockRegained { at: ts, pid: *pid }),
            Event::Reconnected { session, reason } => self.anomalies.push(Anomaly::Reconnected {
                at: ts,
                session: session.clone(),
                reason: reason.clone(),
            }),
            Event::RehearsalCompared { rehearsal } => self.rehearsal = Some(rehearsal.clone()),
            Event::RunbookChanged { started_with, now } => {
                self.anomalies.push(Anomaly::RunbookChanged {
                    at: ts,
                    started_with: started_with.clone(),
                    now: now.clone(),
                })
            }
            Event::StatementCancelled { step, reason } => self.cancels.push(Cancel {
                attempt,
                at: ts,
                reason: reason.clone(),
                step: Some(step.clone()),
                statement_only: true,
            }),
            Event::Cancelled { reason } => {
                let step = self.open_step().map(str::to_owned);
                self.cancels.push(Cancel {
                    attempt,
                    at: ts,
                    reason: reason.clone(),
                    step,
                    statement_only: false,
                });
            }
            _ => {}
        }
    }
}
