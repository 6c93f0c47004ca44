//! Questions the renderers ask of a report: its outcome line, gates, overrides, planned steps and phases, checks in runbook order.

use super::*;

impl Report {
    /// The one-line verdict shared by every format, e.g. `succeeded` or
    /// `INCOMPLETE — the journal ends at statement_started (…), during step x`.
    pub fn outcome_line(&self) -> String {
        doc::flatten(&self.outcome_spans())
    }

    /// [`Report::outcome_line`] with identifiers (event, step and phase names) as code and
    /// the run's message as journal text, for the renderers to quote.
    pub fn outcome_spans(&self) -> Spans {
        let s = &self.summary;
        match (&s.outcome, &s.stopped_at) {
            (RunOutcome::Incomplete, Some(stop)) => {
                let mut line = vec![
                    plain("INCOMPLETE — the journal ends at "),
                    code(&stop.event),
                    plain(format!(" ({})", stop.at.format("%Y-%m-%d %H:%M:%S UTC"))),
                ];
                match (&stop.step, &stop.phase) {
                    (Some(step), _) => line.extend([plain(", during step "), code(step)]),
                    (None, Some(phase)) => {
                        line.extend([plain(", between steps of phase "), code(phase)]);
                    }
                    (None, None) => line.push(plain(", outside any phase")),
                }
                if let Some(n) = stop.torn_line {
                    line.push(plain(format!(
                        "; line {n} is torn (a write cut short): a crash or kill"
                    )));
                } else {
                    line.extend([
                        plain("; there is no "),
                        code("run_finished"),
                        plain(": a crash or kill"),
                    ]);
                }
                line
            }
            (RunOutcome::Incomplete, None) => vec![plain(match self.journal.unreadable_lines.as_slice() {
                [] => "INCOMPLETE — the journal holds no readable event: nothing was recorded (the file is empty: a run killed before its first journal write, or one that has not written yet)".to_owned(),
                [line] => format!(
                    "INCOMPLETE — the journal holds no readable event: nothing was recorded (line {line} is torn: a run killed before its first journal write was complete)"
                ),
                lines => format!(
                    "INCOMPLETE — the journal holds no readable event: nothing was recorded ({} unreadable lines)",
                    lines.len()
                ),
            })],
            (outcome, _) => match &s.message {
                Some(m) => vec![plain(format!("{} — ", outcome.as_str())), text(m)],
                None => vec![plain(outcome.as_str())],
            },
        }
    }

    /// Go decisions that overrode failed critical checks.
    pub fn overrides(&self) -> impl Iterator<Item = (&Checkpoint, &DecisionRecord)> {
        self.checkpoints.iter().filter_map(|c| {
            c.decision
                .as_ref()
                .filter(|d| !d.overrode_failed_checks.is_empty())
                .map(|d| (c, d))
        })
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// A step as planned, when the journal holds a plan that names it.
    pub fn planned_step(&self, id: &str) -> Option<&PlannedStep> {
        self.plan
            .as_ref()?
            .phases
            .iter()
            .flat_map(|p| &p.steps)
            .find(|s| s.step == id)
    }

    /// A phase as planned, when the journal holds a plan that names it.
    pub fn planned_phase(&self, id: &str) -> Option<&PlannedPhase> {
        self.plan.as_ref()?.phases.iter().find(|p| p.phase == id)
    }

    /// Planned steps that took much longer than expected, in plan order.
    /// The checkpoints worth a section: a decision the engine only restated on resume (given
    /// in an earlier attempt, which has its own section) is not repeated.
    pub fn gates(&self) -> impl Iterator<Item = &Checkpoint> {
        self.checkpoints.iter().filter(|cp| {
            !(cp.reached_at.is_none() && cp.decision.as_ref().is_some_and(|d| d.restored))
        })
    }

    /// The check results in the runbook's order (by the journaled plan; journal order without
    /// one), each attempt's after the earlier's, with the check's title.
    pub fn checks_in_runbook_order(&self) -> Vec<(&CheckResult, Option<&str>)> {
        // Each step's place in the plan, and its title, looked up once per check.
        let mut planned: std::collections::HashMap<&str, (usize, Option<&str>)> =
            std::collections::HashMap::new();
        for (n, s) in self
            .plan
            .iter()
            .flat_map(|p| &p.phases)
            .flat_map(|ph| &ph.steps)
            .enumerate()
        {
            planned
                .entry(s.step.as_str())
                .or_insert((n, s.title.as_deref()));
        }
        let mut checks: Vec<(usize, usize, &CheckResult, Option<&str>)> = self
            .checks
            .iter()
            .enumerate()
            .map(|(n, c)| {
                let (place, title) = planned
                    .get(c.step.as_str())
                    .copied()
                    .unwrap_or((usize::MAX, None));
                (place, n, c, title)
            })
            .collect();
        checks.sort_by_key(|&(place, n, c, _)| (place, c.segment, n));
        checks
            .into_iter()
            .map(|(_, _, c, title)| (c, title))
            .collect()
    }

    /// The checks' SQL, in the runbook's order (from the journaled plan).
    pub fn check_sql(&self) -> Vec<(&str, &str)> {
        self.plan
            .iter()
            .flat_map(|p| &p.phases)
            .flat_map(|ph| &ph.steps)
            .filter_map(|s| s.sql.as_deref().map(|sql| (s.step.as_str(), sql)))
            .collect()
    }

    /// A rehearsal's monitoring cap, when the run was one.
    pub fn rehearsal_cap(&self) -> Option<std::time::Duration> {
        self.plan
            .as_ref()
            .and_then(|p| p.monitor_cap_ms)
            .map(std::time::Duration::from_millis)
    }

    pub fn much_longer_steps(&self) -> impl Iterator<Item = &PlannedStep> {
        self.plan
            .iter()
            .flat_map(|p| &p.phases)
            .flat_map(|p| &p.steps)
            .filter(|s| s.much_longer)
    }
}
