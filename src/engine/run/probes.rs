//! Monitoring probes: sampled through their phase, alerting when a threshold is crossed.

use super::*;

pub(super) struct ProbeSlot {
    index: usize,
    next_at: Instant,
    /// Its last sample was beyond the threshold.
    alerting: bool,
}

pub(super) struct ProbeRunner {
    slots: Vec<ProbeSlot>,
}

impl ProbeRunner {
    pub(super) fn new(probes: &[usize], start: Instant) -> Self {
        ProbeRunner {
            slots: probes
                .iter()
                .map(|&index| ProbeSlot {
                    index,
                    next_at: start,
                    alerting: false,
                })
                .collect(),
        }
    }
}

impl<'a> Engine<'a> {
    /// Samples the probes that are due; returns when the next one is.
    pub(super) async fn sample_due(
        &mut self,
        probes: &mut ProbeRunner,
    ) -> Result<Instant, EngineError> {
        let now = Instant::now();
        for slot in probes.slots.iter_mut() {
            if slot.next_at <= now {
                let step = self.steps[slot.index];
                let StepKind::Probe(probe) = &step.kind else {
                    continue;
                };
                slot.next_at = now + probe.every;
                let result = sqlexec::simple(&self.monitor, &probe.sql.text).await;
                let value = result
                    .ok()
                    .and_then(|r| crate::runbook::Comparison::sample(&r.rows));
                let alert = match (&probe.alert, &value) {
                    (Some(threshold), Some(v)) => threshold.holds(v),
                    _ => false,
                };
                self.out.emit(Event::ProbeSample {
                    step: step.id.clone(),
                    value: value.clone(),
                    alert,
                })?;
                // An alert is raised when the threshold is crossed, not on every sample
                // beyond it (the samples say that); it is raised again after a recovery.
                let crossed = alert && !slot.alerting;
                slot.alerting = alert;
                if crossed {
                    self.out.emit(Event::Alert {
                        step: step.id.clone(),
                        value: value.map(|v| v.to_string()).unwrap_or_default(),
                        threshold: probe
                            .alert
                            .as_ref()
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                    })?;
                }
            }
        }
        Ok(probes
            .slots
            .iter()
            .map(|s| s.next_at)
            .min()
            .unwrap_or(now + Duration::from_secs(1)))
    }

    pub(super) async fn sample_probes(
        &mut self,
        probes: &mut ProbeRunner,
        phase_started: Instant,
        until: Duration,
    ) -> Result<Option<Stop>, EngineError> {
        loop {
            if self.end_phase || phase_started.elapsed() >= until {
                return Ok(None);
            }
            let next = self.sample_due(probes).await?;
            let deadline = phase_started + until;
            let wake = next.min(deadline);
            tokio::select! {
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
                command = self.commands.recv() => {
                    match command {
                        Some(Command::EndPhase) => self.end_phase = true,
                        Some(other) => {
                            if let Some(stop) = self.waiting_command(other, "monitoring")? {
                                return Ok(Some(stop));
                            }
                        }
                        None => return Ok(Some(Stop::Finished(Outcome::Interrupted, Some("front end closed".into())))),
                    }
                }
            }
        }
    }
}
