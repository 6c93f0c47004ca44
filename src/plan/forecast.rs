//! How much of the window is left from where a run stands, and whether it still fits: the one
//! projection the engine journals at a gate and the operator's screen and the watcher show.
//! Pure.
//!
//! A phase's steps take their expected durations (a running one what is left of it); a phase
//! with probes lasts at least its sampling window — its budget, or a rehearsal's
//! `--monitor-for` cap — from its start, as the engine runs it.
//!
//! The machine's work (migrations, checks, commands) is then scaled by the run's **pace**: how
//! long the work finished so far took against what was expected of it (a rehearsal's times,
//! or the runbook's `expected_duration`). Production 1.4× slower than the copy means the rest
//! will likely be too. People's time (gates, manual tasks) and sampling windows are not
//! scaled: they do not run faster on a faster server.

use super::Plan;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Expected work that must be finished before the pace counts: below it, one fast or slow
/// statement of a few milliseconds would swing the whole projection.
pub const PACE_BASIS: Duration = Duration::from_secs(1);

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepProgress {
    ToDo,
    /// Running (or waiting for a person) this long.
    Running(Duration),
    /// Running, with this much known to be left (a backfill's ETA at its measured rate):
    /// taken as it is, not scaled by the pace.
    Left(Duration),
    /// Finished, in this long when this run timed it (`None`: skipped, or done by an earlier
    /// run or attempt).
    Done(Option<Duration>),
}

/// Where a phase stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseProgress {
    NotStarted,
    /// Started this long ago.
    Running(Duration),
    Finished,
}

/// The expected work left, and the pace it was scaled by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outlook {
    pub remaining: Duration,
    /// Actual ÷ expected over the machine's finished work, once [`PACE_BASIS`] of it is done.
    pub pace: Option<f64>,
}

/// Whether the step's time is the machine's (scaled by the pace) rather than a person's.
fn machine_work(kind: &str) -> bool {
    matches!(kind, "migrate" | "check" | "command" | "backfill")
}

impl Plan {
    /// The expected work left in the window, at the pace of the work done so far.
    pub fn outlook(
        &self,
        monitor_cap: Option<Duration>,
        step: impl Fn(usize) -> StepProgress,
        phase: impl Fn(usize) -> PhaseProgress,
    ) -> Outlook {
        let pace = self.pace(&step);
        let scale = |i: usize, d: Duration| match pace {
            Some(p) if machine_work(self.steps[i].kind) => d.mul_f64(p),
            _ => d,
        };
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
                    StepProgress::ToDo => scale(i, self.steps[i].expected),
                    StepProgress::Running(ran) => {
                        scale(i, self.steps[i].expected).saturating_sub(ran)
                    }
                    StepProgress::Left(left) => left,
                    StepProgress::Done(_) => Duration::ZERO,
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
        Outlook {
            remaining: total,
            pace,
        }
    }

    /// The expected work left in the window (see [`Plan::outlook`]).
    pub fn remaining(
        &self,
        monitor_cap: Option<Duration>,
        step: impl Fn(usize) -> StepProgress,
        phase: impl Fn(usize) -> PhaseProgress,
    ) -> Duration {
        self.outlook(monitor_cap, step, phase).remaining
    }

    /// Actual ÷ expected over the machine's steps this run finished and timed that had an
    /// expectation; `None` until [`PACE_BASIS`] of expected work is behind.
    fn pace(&self, step: &impl Fn(usize) -> StepProgress) -> Option<f64> {
        let (mut expected, mut actual) = (Duration::ZERO, Duration::ZERO);
        for (i, s) in self.steps.iter().enumerate() {
            if !machine_work(s.kind) || s.expected.is_zero() {
                continue;
            }
            if let StepProgress::Done(Some(ran)) = step(i) {
                expected += s.expected;
                actual += ran;
            }
        }
        (expected >= PACE_BASIS).then(|| actual.as_secs_f64() / expected.as_secs_f64())
    }
}

/// What cutover advises at a gate, from the forecast alone (the checks and the checklist are
/// the operator's to weigh).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Advice {
    /// The rest fits with room to spare.
    Go,
    /// It fits, but with less than a tenth of the window to spare.
    Tight,
    /// At this pace the window overruns its hard end.
    NoGo,
}

impl Advice {
    pub fn as_str(self) -> &'static str {
        match self {
            Advice::Go => "go",
            Advice::Tight => "tight",
            Advice::NoGo => "no-go",
        }
    }
}

/// The projected end against the hard end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forecast {
    pub end: DateTime<Utc>,
    pub hard_end: DateTime<Utc>,
    pub pace: Option<f64>,
    /// Less spare time than this is tight (a tenth of the window's budget).
    pub margin: chrono::Duration,
}

impl Forecast {
    pub fn new(
        now: DateTime<Utc>,
        outlook: Outlook,
        hard_end: DateTime<Utc>,
        window_budget: Duration,
    ) -> Forecast {
        Forecast {
            end: chrono::Duration::from_std(outlook.remaining)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            hard_end,
            pace: outlook.pace,
            margin: chrono::Duration::from_std(window_budget / 10).unwrap_or_default(),
        }
    }

    /// Time between the projected end and the hard end (negative: over).
    pub fn spare(&self) -> chrono::Duration {
        self.hard_end - self.end
    }

    pub fn advice(&self) -> Advice {
        let spare = self.spare();
        if spare < chrono::Duration::zero() {
            Advice::NoGo
        } else if spare < self.margin {
            Advice::Tight
        } else {
            Advice::Go
        }
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
                StepProgress::Done(None)
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
            |_| StepProgress::Done(None),
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

    /// A window of two migrations and a gate between them, each migration expected to take
    /// `first` and `second`.
    fn two_migrations(first: &str, second: &str) -> Plan {
        let text = format!(
            "name: p\nwindow: {{ budget: 1h }}\nphases:\n  - id: m\n    kind: migration\n    budget: 1h\n    steps:\n      - migrate: a\n        sql: CREATE TABLE a (id int)\n        rollback: DROP TABLE a\n        expected_duration: {first}\n      - checkpoint: go\n        prompt: Go?\n        questions: [ready?]\n        expected_duration: 5m\n      - migrate: b\n        sql: CREATE TABLE b (id int)\n        rollback: DROP TABLE b\n        expected_duration: {second}\n"
        );
        let loaded = crate::runbook::load_text(Path::new("p.yaml"), &text, &|_| None);
        super::super::plan(&loaded.runbook.expect("loads"))
    }

    fn at_gate(plan: &Plan, a_took: Option<Duration>) -> Outlook {
        let ids: Vec<String> = plan.steps.iter().map(|s| s.id.clone()).collect();
        plan.outlook(
            None,
            |i| match ids[i].as_str() {
                "a" => StepProgress::Done(a_took),
                "go" => StepProgress::Running(Duration::ZERO),
                _ => StepProgress::ToDo,
            },
            |_| PhaseProgress::Running(Duration::from_secs(60)),
        )
    }

    #[test]
    fn a_slower_server_than_expected_stretches_the_machine_work_left_not_the_gates() {
        let plan = two_migrations("10s", "20m");
        // The first migration took 15 s against 10 s expected: the second will take 1.5×.
        let outlook = at_gate(&plan, Some(Duration::from_secs(15)));
        assert_eq!(outlook.pace, Some(1.5));
        assert_eq!(
            outlook.remaining,
            Duration::from_secs(5 * 60) + Duration::from_secs(30 * 60)
        );
        // Not timed here (done by an earlier run): planned times stand.
        let outlook = at_gate(&plan, None);
        assert_eq!(outlook.pace, None);
        assert_eq!(outlook.remaining, Duration::from_secs(25 * 60));
    }

    #[test]
    fn a_few_milliseconds_of_work_do_not_set_the_pace() {
        let plan = two_migrations("200ms", "20m");
        let outlook = at_gate(&plan, Some(Duration::from_secs(2)));
        assert_eq!(
            outlook.pace, None,
            "200ms of expected work is too little to judge by"
        );
        assert_eq!(outlook.remaining, Duration::from_secs(25 * 60));
    }

    #[test]
    fn the_advice_follows_the_time_to_spare() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T01:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let hard_end = now + chrono::Duration::minutes(60);
        let budget = Duration::from_secs(2 * 3600);
        let advise = |minutes_left: u64| {
            let outlook = Outlook {
                remaining: Duration::from_secs(minutes_left * 60),
                pace: Some(1.2),
            };
            Forecast::new(now, outlook, hard_end, budget).advice()
        };
        assert_eq!(advise(30), Advice::Go);
        // Less than a tenth of the window's budget (12 min) to spare.
        assert_eq!(advise(50), Advice::Tight);
        assert_eq!(advise(61), Advice::NoGo);
        let never = Outlook {
            remaining: Duration::MAX,
            pace: None,
        };
        assert_eq!(
            Forecast::new(now, never, hard_end, budget).advice(),
            Advice::NoGo
        );
    }
}
