//! How much of the window is left from where a run stands: the one projection the engine
//! journals at a gate and the operator's screen and the watcher show. Pure.
//!
//! A phase's steps take their expected durations (a running one what is left of it); a phase
//! with probes lasts at least its sampling window — its budget, or a rehearsal's
//! `--monitor-for` cap — from its start, as the engine runs it.

use super::Plan;
use std::time::Duration;

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepProgress {
    ToDo,
    /// Running (or waiting for a person) this long.
    Running(Duration),
    Done,
}

/// Where a phase stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseProgress {
    NotStarted,
    /// Started this long ago.
    Running(Duration),
    Finished,
}

impl Plan {
    /// The expected work left in the window.
    pub fn remaining(
        &self,
        monitor_cap: Option<Duration>,
        step: impl Fn(usize) -> StepProgress,
        phase: impl Fn(usize) -> PhaseProgress,
    ) -> Duration {
        let mut total = Duration::ZERO;
        for (p, ph) in self.phases.iter().enumerate() {
            let elapsed = match phase(p) {
                PhaseProgress::Finished => continue,
                PhaseProgress::NotStarted => Duration::ZERO,
                PhaseProgress::Running(elapsed) => elapsed,
            };
            let steps_left: Duration = ph
                .order
                .iter()
                .filter(|&&i| self.steps[i].kind != "probe")
                .map(|&i| match step(i) {
                    StepProgress::ToDo => self.steps[i].expected,
                    StepProgress::Running(ran) => self.steps[i].expected.saturating_sub(ran),
                    StepProgress::Done => Duration::ZERO,
                })
                .sum();
            let samples = ph.order.iter().any(|&i| self.steps[i].kind == "probe");
            total += if samples {
                let window = monitor_cap.map_or(ph.budget, |cap| cap.min(ph.budget));
                steps_left.max(window.saturating_sub(elapsed))
            } else {
                steps_left
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan() -> Plan {
        let text = "name: p\nwindow: { budget: 4h }\nphases:\n  - id: m\n    kind: migration\n    budget: 30m\n    steps:\n      - migrate: a\n        sql: CREATE TABLE a (id int)\n        rollback: DROP TABLE a\n        expected_duration: 10m\n      - checkpoint: go\n        prompt: Go?\n        questions: [ready?]\n  - id: watch\n    kind: monitoring\n    budget: 2h\n    steps:\n      - probe: lag\n        sql: SELECT 1\n        every: 10s\n";
        let loaded = crate::runbook::load_text(Path::new("p.yaml"), text, &|_| None);
        let rb = loaded.runbook.expect("loads");
        super::super::plan(&rb)
    }

    #[test]
    fn a_rehearsal_cap_shortens_the_monitoring_that_is_left() {
        let plan = plan();
        let at_gate = |i: usize| {
            if plan.steps[i].id == "a" {
                StepProgress::Done
            } else {
                StepProgress::ToDo
            }
        };
        let phases = |p: usize| {
            if p == 0 {
                PhaseProgress::Running(Duration::from_secs(600))
            } else {
                PhaseProgress::NotStarted
            }
        };
        let gate = plan
            .steps
            .iter()
            .find(|s| s.id == "go")
            .map_or(Duration::ZERO, |s| s.expected);
        let real = plan.remaining(None, at_gate, phases);
        let capped = plan.remaining(Some(Duration::from_secs(30)), at_gate, phases);
        assert_eq!(real, gate + Duration::from_secs(2 * 3600));
        assert_eq!(capped, gate + Duration::from_secs(30));
    }

    #[test]
    fn a_monitoring_phase_under_way_counts_what_is_left_of_its_window() {
        let plan = plan();
        let left = plan.remaining(
            None,
            |_| StepProgress::Done,
            |p| {
                if p == 1 {
                    PhaseProgress::Running(Duration::from_secs(3600))
                } else {
                    PhaseProgress::Finished
                }
            },
        );
        assert_eq!(left, Duration::from_secs(3600));
    }
}
