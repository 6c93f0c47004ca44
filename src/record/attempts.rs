//! Attempts of one run: where each started and stopped, the sequence numbers, and the stop point of the last.

use super::*;

impl RunRecord {
    /// What the run was doing: the open question, else the current step or another one
    /// running or waiting, else a rollback's step.
    pub(super) fn stop_point(&self) -> Option<Stop> {
        if let Some(w) = &self.waiting {
            let kind = match w {
                Waiting::Gate { .. } => StopKind::Gate,
                Waiting::Manual { .. } => StopKind::Manual,
                Waiting::Failure { .. } => StopKind::FailureDecision,
                Waiting::Uncertain { .. } => StopKind::Uncertain,
            };
            return Some(Stop {
                step: w.step().to_owned(),
                kind,
            });
        }
        let current = self.current.as_ref().and_then(|c| self.step(c));
        let open = current.into_iter().chain(self.steps.iter()).find_map(|s| {
            let kind = match s.status {
                Status::Waiting if s.kind == Some(Kind::Checkpoint) => StopKind::Gate,
                Status::Waiting => StopKind::Manual,
                Status::Uncertain => StopKind::Uncertain,
                Status::Running if !s.is_probe() => StopKind::Running {
                    statement: s.statement.as_ref().map(|(n, _)| *n),
                    in_transaction: s.in_transaction,
                },
                _ => return None,
            };
            Some(Stop {
                step: s.id.clone(),
                kind,
            })
        });
        open.or_else(|| {
            self.rollback.as_ref()?;
            self.current.clone().map(|step| Stop {
                step,
                kind: StopKind::RollingBack,
            })
        })
    }

    /// The run's attempts and its phases as they ran.
    pub(super) fn follow_attempts(&mut self, entry: &Entry) {
        let ts = entry.ts;
        match &entry.event {
            Event::RunStarted {
                run_id,
                runbook,
                title,
                checksum,
                operator,
                target,
                server_version,
                cutover_version,
                resumed,
                hard_end,
                plan,
            } => {
                // An earlier attempt without `run_finished` (killed, crashed) ended at its
                // last entry.
                if let Some(last) = self.last_ts {
                    self.close_attempt(last);
                }
                self.warned_outside = false;
                let seq = entry.seq;
                match self.attempts.first() {
                    Some(first) => {
                        let mut odd = Vec::new();
                        if &first.run_id != run_id {
                            odd.push(Anomaly::OtherRun {
                                seq,
                                run_id: run_id.clone(),
                                first: first.run_id.clone(),
                            });
                        } else if !resumed {
                            odd.push(Anomaly::StartedAgainWithoutResumed { seq });
                        }
                        if &first.checksum != checksum {
                            odd.push(Anomaly::ChecksumChanged {
                                seq,
                                checksum: checksum.clone(),
                            });
                        }
                        if &first.server_version != server_version {
                            odd.push(Anomaly::ServerVersionChanged {
                                seq,
                                version: server_version.clone(),
                            });
                        }
                        self.anomalies.extend(odd);
                    }
                    None if *resumed => self.anomalies.push(Anomaly::StartsResumed),
                    None => {}
                }
                if parse_time(hard_end).is_none() {
                    self.anomalies.push(Anomaly::HardEndNotTime {
                        seq,
                        text: hard_end.clone(),
                    });
                }
                let reference = self
                    .attempts
                    .iter()
                    .zip(1..)
                    .find_map(|(a, n)| a.plan.as_ref().map(|p| (n, p)));
                if let (Some((first_attempt, reference)), Some(plan)) = (reference, plan)
                    && reference != plan
                {
                    self.anomalies
                        .push(Anomaly::PlanDiffers { seq, first_attempt });
                }
                self.attempts.push(Attempt {
                    run_id: run_id.clone(),
                    runbook: runbook.clone(),
                    title: title.clone(),
                    checksum: checksum.clone(),
                    operator: operator.clone(),
                    target: target.clone(),
                    server_version: server_version.clone(),
                    cutover_version: cutover_version.clone(),
                    resumed: *resumed,
                    hard_end_text: hard_end.clone(),
                    hard_end: parse_time(hard_end),
                    plan: plan.clone(),
                    seq: entry.seq,
                    started_at: ts,
                    ended_at: ts,
                    finished: None,
                    last_event: "run_started",
                    stopped_in_step: None,
                    closed: false,
                });
                self.last_decision = None;
                self.last_failed_step = None;
                self.rolling_back = false;
                self.cancel = None;
                self.stopped_at = None;
                self.stop_candidate = None;
                self.cancel_reached = None;
            }
            Event::PhaseStarted { phase } => {
                if let Some(p) = self.current_phase.take() {
                    let prev = &mut self.phases[p];
                    prev.ended_at = ts;
                    prev.duration_ms = ms_between(prev.started_at, ts);
                }
                self.phases.push(PhaseRun {
                    phase: phase.clone(),
                    attempt: u32::try_from(self.attempts.len()).unwrap_or(u32::MAX),
                    started_at: ts,
                    finished_at: None,
                    ended_at: ts,
                    duration_ms: 0,
                    budget_ms: None,
                    budget_exceeded_at: None,
                    spans: Vec::new(),
                });
                self.current_phase = Some(self.phases.len() - 1);
            }
            Event::PhaseBudgetExceeded { phase, budget_ms } => {
                if let Some(p) = self.phases.iter_mut().rev().find(|p| &p.phase == phase) {
                    p.budget_ms = Some(*budget_ms);
                    p.budget_exceeded_at.get_or_insert(ts);
                }
            }
            Event::PhaseFinished { phase, duration_ms } => {
                if let Some(p) = self.phases.iter().rposition(|p| &p.phase == phase) {
                    let open: Vec<String> = self
                        .open
                        .iter()
                        .filter(|(_, o)| o.phase == p)
                        .map(|(id, _)| id.clone())
                        .collect();
                    for id in open {
                        self.close_span(&id, ts, SpanResult::Interrupted);
                    }
                    let run = &mut self.phases[p];
                    run.finished_at = Some(ts);
                    run.ended_at = ts;
                    run.duration_ms = *duration_ms;
                    if self.current_phase == Some(p) {
                        self.current_phase = None;
                    }
                    // Its probes stop sampling with it.
                    for (i, s) in self.steps.iter_mut().enumerate() {
                        if s.status == Status::Running
                            && s.probe.as_ref().is_some_and(|pr| pr.phase == Some(p))
                        {
                            s.status = Status::Done;
                            s.finished_at = Some(ts);
                            self.touched.push(i);
                        }
                    }
                }
            }
            Event::RunFinished { outcome, message } => {
                if *outcome == Outcome::Aborted {
                    let checkpoint = match &self.last_decision {
                        Some((cp, Decision::Abort)) => Some(cp.clone()),
                        _ => None,
                    };
                    self.aborts.push(Abort {
                        attempt: self.attempt_no(),
                        at: ts,
                        checkpoint,
                        message: message.clone(),
                    });
                }
                if let Some(a) = self.attempts.last_mut().filter(|a| !a.closed) {
                    a.finished = Some((*outcome, message.clone()));
                    a.last_event = "run_finished";
                }
                self.close_attempt(ts);
            }
            _ => {}
        }
    }

    /// After each entry: the open attempt and phase reach it.
    pub(super) fn reach(&mut self, entry: &Entry) {
        self.last_ts = Some(entry.ts);
        if let Some(a) = self.attempts.last_mut().filter(|a| !a.closed) {
            a.ended_at = entry.ts;
            a.last_event = entry.event.name();
        }
        if let Some(p) = self.current_phase {
            let run = &mut self.phases[p];
            run.ended_at = entry.ts;
            run.duration_ms = ms_between(run.started_at, entry.ts);
        }
    }

    /// Before each entry: what is odd about where it stands in the journal.
    pub(super) fn check_sequence(&mut self, entry: &Entry) {
        if let Some(prev) = self.last_seq
            && entry.seq != prev + 1
        {
            self.anomalies.push(Anomaly::SeqGap {
                from: prev,
                to: entry.seq,
            });
        }
        self.last_seq = Some(entry.seq);
        let open = self.attempts.last().is_some_and(|a| !a.closed);
        if !open && !self.warned_outside && !matches!(entry.event, Event::RunStarted { .. }) {
            self.warned_outside = true;
            self.anomalies.push(Anomaly::OutsideRun {
                seq: entry.seq,
                before_any: self.attempts.is_empty(),
            });
        }
    }
}
