//! A checkpoint: its evidence, its questions, and the decision only a person gives.

use super::*;
use crate::plan::forecast::Forecast;

impl<'a> Engine<'a> {
    pub(super) async fn checkpoint(
        &mut self,
        i: usize,
        prompt: &str,
        questions: &[String],
    ) -> Result<Option<Stop>, EngineError> {
        let id = self.steps[i].id.clone();
        if self.decisions.get(&id) == Some(&Decision::Go) {
            let (operator, at) = self.decided_by.get(&id).cloned().unzip();
            self.out.emit(Event::DecisionRecorded {
                step: id.clone(),
                decision: Decision::Go,
                operator: operator.unwrap_or_default(),
                comment: Some(match at {
                    Some(at) => format!(
                        "decision given earlier in this run ({}) stands",
                        at.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                    None => "decision given earlier in this run stands".into(),
                }),
                answers: Vec::new(),
                overrode_failed_checks: Vec::new(),
                restored: true,
            })?;
            return Ok(None);
        }
        // What is left from this gate: the steps before it in the engine's order are done.
        let position: HashMap<usize, usize> = self
            .plan
            .execution_order()
            .enumerate()
            .map(|(n, j)| (j, n))
            .collect();
        let here = position.get(&i).copied().unwrap_or(0);
        let phase_now = self.plan.steps[i].phase;
        let in_phase = self.phase_started.elapsed();
        let outlook = self.plan.outlook(
            self.opts.monitor_cap,
            |j| {
                if position.get(&j).is_some_and(|&n| n < here) {
                    StepProgress::Done(self.out.took(&self.plan.steps[j].id))
                } else {
                    StepProgress::ToDo
                }
            },
            |p| match p.cmp(&phase_now) {
                std::cmp::Ordering::Less => PhaseProgress::Finished,
                std::cmp::Ordering::Equal => PhaseProgress::Running(in_phase),
                std::cmp::Ordering::Greater => PhaseProgress::NotStarted,
            },
        );
        let hard_end = self.window_start
            + chrono::Duration::from_std(self.runbook.window.budget).unwrap_or_default();
        let forecast = Forecast::new(
            chrono::Utc::now(),
            outlook,
            hard_end,
            self.runbook.window.budget,
        );
        self.out.emit(Event::CheckpointReached {
            step: id.clone(),
            prompt: prompt.to_owned(),
            questions: questions.to_vec(),
            failed_critical: self.failed_critical.clone(),
            projected_end: forecast.end.to_rfc3339(),
            hard_end: hard_end.to_rfc3339(),
            pace: forecast.pace,
            advice: Some(forecast.advice()),
        })?;
        // A no-go offers a rollback: what it would undo is evidence for the decision.
        let outlook = self.rollback_outlook();
        self.out.emit(outlook)?;
        // What else the server is doing is part of the evidence; looked at again while the
        // gate waits, and journaled when it changes.
        let mut sessions =
            sqlexec::server_activity(&self.monitor, &self.own_pids, &self.runbook.name).await;
        self.out.emit(Event::ServerActivity {
            step: id.clone(),
            sessions: sessions.clone(),
        })?;
        let mut look = tokio::time::interval_at(
            tokio::time::Instant::now() + GATE_SERVER_LOOK,
            GATE_SERVER_LOOK,
        );
        loop {
            let received = tokio::select! {
                command = self.commands.recv() => command,
                _ = look.tick() => {
                    let now =
                        sqlexec::server_activity(&self.monitor, &self.own_pids, &self.runbook.name).await;
                    let key = |s: &[crate::events::ServerSession]| {
                        s.iter()
                            .map(|x| (x.pid, x.state.clone(), x.xact_start, x.waits_for.clone(), x.blocking))
                            .collect::<Vec<_>>()
                    };
                    if key(&now) != key(&sessions) {
                        sessions = now;
                        self.out.emit(Event::ServerActivity {
                            step: id.clone(),
                            sessions: sessions.clone(),
                        })?;
                    }
                    continue;
                }
            };
            let command = match received {
                Some(c) => c,
                None => {
                    return Ok(Some(Stop::Finished(
                        Outcome::Interrupted,
                        Some("front end closed".into()),
                    )));
                }
            };
            let Command::Decide {
                step,
                decision,
                operator,
                comment,
                answers,
                override_failed_checks,
            } = command
            else {
                if let Some(stop) = self.waiting_command(command, &id)? {
                    return Ok(Some(stop));
                }
                continue;
            };
            if step != id {
                continue;
            }
            if decision == Decision::Go {
                let unticked: Vec<&String> = questions
                    .iter()
                    .filter(|q| !answers.iter().any(|(a, yes)| a == *q && *yes))
                    .collect();
                if !unticked.is_empty() {
                    self.out.emit(Event::DecisionRejected {
                        step: id.clone(),
                        reason: format!(
                            "every question must be confirmed before a go; unconfirmed: {}",
                            unticked
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                    })?;
                    continue;
                }
                if !self.failed_critical.is_empty() && !override_failed_checks {
                    self.out.emit(Event::DecisionRejected {
                        step: id.clone(),
                        reason: format!(
                            "critical checks failed ({}); a go needs an explicit override",
                            self.failed_critical.join(", ")
                        ),
                    })?;
                    continue;
                }
                // An override stands in the record with its reason, or not at all.
                if !self.failed_critical.is_empty()
                    && comment.as_deref().is_none_or(|c| c.trim().is_empty())
                {
                    self.out.emit(Event::DecisionRejected {
                        step: id.clone(),
                        reason: format!(
                            "an override of failed critical checks ({}) needs a reason: say why the go stands",
                            self.failed_critical.join(", ")
                        ),
                    })?;
                    continue;
                }
            }
            let overrode = if decision == Decision::Go {
                std::mem::take(&mut self.failed_critical)
            } else {
                Vec::new()
            };
            // The decision is durable before anything acts on it.
            self.out
                .emit_durable(Event::DecisionRecorded {
                    step: id.clone(),
                    decision,
                    operator: operator.clone(),
                    comment: comment.clone(),
                    answers: answers.clone(),
                    overrode_failed_checks: overrode.clone(),
                    restored: false,
                })
                .await?;
            tracking::record_decision(
                &self.client,
                &tracking::Decided {
                    run_id: &self.run_id,
                    runbook: &self.runbook.name,
                    step: &id,
                    decision,
                    operator: &operator,
                    comment: comment.as_deref(),
                    answers: serde_json::to_value(&answers).unwrap_or_default(),
                    overrides: serde_json::to_value(&overrode).unwrap_or_default(),
                },
            )
            .await
            .map_err(|e| self.db_err(&e))?;
            self.decisions.insert(id.clone(), decision);
            return match decision {
                Decision::Go => Ok(None),
                Decision::Abort => Ok(Some(Stop::Finished(
                    Outcome::Aborted,
                    Some(format!("no-go at `{id}`: aborted")),
                ))),
                Decision::Rollback => Ok(Some(self.rollback().await?)),
            };
        }
    }
}
