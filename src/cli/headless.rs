//! `cutover run --headless`: the engine with a line printer instead of a screen. Gates pass
//! only by `--approve ID` / `--approve-all`; otherwise the run halts there, resumable.

use crate::events::{Command, Decision, Event, Outcome};
use crate::journal::Entry;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnFailure {
    /// Stop; the run can be resumed (and the step retried) later.
    Stop,
    Rollback,
    Abort,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Uncertain {
    /// Treat a step interrupted mid-way as applied.
    Applied,
    /// Run it again (its SQL must be safe to rerun, e.g. IF NOT EXISTS).
    Retry,
}

pub struct Policy {
    pub approve: Vec<String>,
    pub approve_all: bool,
    /// Checkpoints whose go may pass failed critical checks (journaled as overrides).
    pub override_checks: Vec<String>,
    pub operator: String,
    pub on_failure: OnFailure,
    pub uncertain: Option<Uncertain>,
    pub json: bool,
}

/// One readable line for an event (more lines under it when the narration has them), with
/// its time.
pub fn line(entry: &Entry) -> String {
    let told = crate::narration::tell(entry);
    let mut out = format!("{} {}", entry.ts.format("%H:%M:%S"), told.text);
    for more in told.more {
        out.push('\n');
        out.push_str(&more);
    }
    out
}

/// Prints events and answers the engine's questions by the policy.
/// Returns where the run was left waiting for a person, if it was: the step, and whether its
/// go needs an override of failed critical checks.
pub async fn drive(
    mut events: UnboundedReceiver<Entry>,
    commands: UnboundedSender<Command>,
    policy: Policy,
) -> Option<(String, bool)> {
    let mut waiting: Option<(String, bool)> = None;
    while let Some(entry) = events.recv().await {
        if policy.json {
            say!("{}", serde_json::to_string(&entry).unwrap_or_default());
        } else {
            let text = line(&entry);
            if !text.is_empty() {
                say!("{text}");
            }
        }
        let reply = match &entry.event {
            Event::CheckpointReached {
                step,
                questions,
                failed_critical,
                ..
            } => {
                let overriding = policy.override_checks.contains(step);
                if (policy.approve_all || policy.approve.contains(step))
                    && (failed_critical.is_empty() || overriding)
                {
                    Some(Command::Decide {
                        step: step.clone(),
                        decision: Decision::Go,
                        operator: policy.operator.clone(),
                        comment: Some("approved on the command line (headless)".into()),
                        answers: questions.iter().map(|q| (q.clone(), true)).collect(),
                        // Only where asked for by name: it is journaled as an override.
                        override_failed_checks: overriding && !failed_critical.is_empty(),
                    })
                } else {
                    if !failed_critical.is_empty()
                        && (policy.approve_all || policy.approve.contains(step))
                    {
                        eprintln!(
                            "critical checks failed before `{step}` ({}): approving is not enough; pass --override-failed-checks {step} to give the go anyway",
                            failed_critical.join(", ")
                        );
                    }
                    waiting = Some((step.clone(), !failed_critical.is_empty()));
                    Some(Command::Pause)
                }
            }
            Event::DecisionRejected { .. } => Some(Command::Pause),
            Event::ManualWaiting { step, .. } => {
                if policy.approve_all || policy.approve.contains(step) {
                    Some(Command::Acknowledge {
                        step: step.clone(),
                        operator: policy.operator.clone(),
                    })
                } else {
                    waiting = Some((step.clone(), false));
                    Some(Command::Pause)
                }
            }
            Event::AwaitingFailureDecision { .. } => Some(match policy.on_failure {
                OnFailure::Stop => Command::Pause,
                OnFailure::Rollback => Command::Rollback,
                OnFailure::Abort => Command::Abort,
            }),
            Event::UncertainStep { step, .. } => Some(match policy.uncertain {
                Some(u) => Command::ResolveUncertain {
                    step: step.clone(),
                    applied: u == Uncertain::Applied,
                },
                None => {
                    eprintln!(
                        "step `{step}` was interrupted between its statements; rerun with --uncertain applied|retry after checking the database"
                    );
                    Command::Pause
                }
            }),
            _ => None,
        };
        if let Some(command) = reply {
            let _ = commands.send(command);
        }
    }
    waiting
}

/// The exit code for an outcome (documented in the README).
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Succeeded => 0,
        Outcome::Failed => 1,
        Outcome::Halted => 3,
        Outcome::RolledBack => 4,
        Outcome::Aborted => 5,
        Outcome::Interrupted => 6,
    }
}
