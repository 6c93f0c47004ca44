//! `cutover run --headless`: the engine with a line printer instead of a screen. Gates pass
//! only by `--approve ID` / `--approve-all`; otherwise the run halts there, resumable.

use crate::events::{Command, Decision, Outcome};
use crate::journal::Entry;
use crate::record::{RunRecord, Waiting};
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
    /// Why an override's go stands (journaled as its comment).
    pub override_reason: Option<String>,
    pub operator: String,
    pub on_failure: OnFailure,
    pub uncertain: Option<Uncertain>,
    pub json: bool,
    /// Print nothing (a fleet prints one line per database instead).
    pub quiet: bool,
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

/// Prints events and answers the engine's questions by the policy: what the engine asks is
/// what the run record says it waits for.
/// Returns where the run was left waiting for a person, if it was: the step, and whether its
/// go needs an override of failed critical checks.
pub async fn drive(
    mut events: UnboundedReceiver<Entry>,
    commands: UnboundedSender<Command>,
    policy: Policy,
) -> Option<(String, bool)> {
    let mut waiting: Option<(String, bool)> = None;
    let mut record = RunRecord::new();
    let (mut asked, mut refused) = (0, 0);
    let mut batch = Vec::new();
    while events.recv_many(&mut batch, 256).await > 0 {
        // What arrived together is printed with one write (the journal hands events over a
        // step at a time): a line per write costs a system call per event.
        let mut text = String::new();
        for entry in batch.iter().filter(|_| !policy.quiet) {
            if policy.json {
                text.push_str(&serde_json::to_string(entry).unwrap_or_default());
                text.push('\n');
            } else {
                let said = line(entry);
                if !said.is_empty() {
                    text.push_str(&said);
                    text.push('\n');
                }
            }
        }
        say_raw!("{text}");
        for entry in batch.drain(..) {
            respond(
                &entry,
                &mut record,
                &policy,
                &commands,
                &mut waiting,
                &mut asked,
                &mut refused,
            );
        }
    }
    waiting
}

/// Folds an entry into the record and answers what the engine now asks, if anything.
fn respond(
    entry: &Entry,
    record: &mut RunRecord,
    policy: &Policy,
    commands: &UnboundedSender<Command>,
    waiting: &mut Option<(String, bool)>,
    asked: &mut u64,
    refused: &mut u64,
) {
    record.apply(entry);
    let reply = if record.rejected_seq != *refused {
        // A refused decision is not tried again: the run halts at the gate.
        *refused = record.rejected_seq;
        Some(Command::Pause)
    } else if record.waiting_seq != *asked {
        *asked = record.waiting_seq;
        record
            .waiting
            .as_ref()
            .map(|question| answer(question, policy, waiting))
    } else {
        None
    };
    if let Some(command) = reply {
        let _ = commands.send(command);
    }
}

/// The policy's answer to what the engine asks; `waiting` notes a question left to a person.
fn answer(question: &Waiting, policy: &Policy, waiting: &mut Option<(String, bool)>) -> Command {
    let approved = |step: &str| policy.approve_all || policy.approve.iter().any(|a| a == step);
    match question {
        Waiting::Gate {
            step,
            questions,
            failed_critical,
            ..
        } => {
            let overriding = policy.override_checks.contains(step);
            if approved(step) && (failed_critical.is_empty() || overriding) {
                Command::Decide {
                    step: step.clone(),
                    decision: Decision::Go,
                    operator: policy.operator.clone(),
                    comment: Some(match &policy.override_reason {
                        Some(why) if overriding && !failed_critical.is_empty() => why.clone(),
                        _ => "approved on the command line (headless)".into(),
                    }),
                    answers: questions.iter().map(|q| (q.clone(), true)).collect(),
                    // Only where asked for by name: it is journaled as an override.
                    override_failed_checks: overriding && !failed_critical.is_empty(),
                }
            } else {
                if !failed_critical.is_empty() && approved(step) {
                    eprintln!(
                        "critical checks failed before `{step}` ({}): approving is not enough; pass --override-failed-checks {step} --override-reason \"<why>\" to give the go anyway",
                        failed_critical.join(", ")
                    );
                }
                *waiting = Some((step.clone(), !failed_critical.is_empty()));
                Command::Pause
            }
        }
        Waiting::Manual { step, .. } => {
            if approved(step) {
                Command::Acknowledge {
                    step: step.clone(),
                    operator: policy.operator.clone(),
                    note: None,
                }
            } else {
                *waiting = Some((step.clone(), false));
                Command::Pause
            }
        }
        Waiting::Failure { .. } => match policy.on_failure {
            OnFailure::Stop => Command::Pause,
            OnFailure::Rollback => Command::Rollback,
            OnFailure::Abort => Command::Abort,
        },
        Waiting::Uncertain { step } => match policy.uncertain {
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
        },
    }
}

/// The exit code for an outcome (documented in the README).
/// The exit code of a run the engine could not carry to an outcome: refused or unreachable
/// is a usage/configuration error (nothing ran); anything else stopped it, resumable.
pub fn error_exit_code(e: &crate::engine::EngineError) -> u8 {
    match e {
        crate::engine::EngineError::Refused(_) | crate::engine::EngineError::Connect { .. } => {
            super::exit::USAGE
        }
        _ => exit_code(Outcome::Interrupted),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(uncertain: Option<Uncertain>) -> Policy {
        Policy {
            approve: Vec::new(),
            approve_all: false,
            override_checks: Vec::new(),
            override_reason: None,
            operator: "ci".into(),
            on_failure: OnFailure::Stop,
            uncertain,
            json: false,
            quiet: false,
        }
    }

    /// The verdict puts a half-done migration to a person; headless, `--uncertain` is that
    /// person's standing answer, and without it the run halts rather than guess.
    #[test]
    fn an_uncertain_step_is_answered_by_the_uncertain_flag_or_halts() {
        let question = Waiting::Uncertain {
            step: "add-index".into(),
        };
        for (flag, applied) in [(Uncertain::Applied, true), (Uncertain::Retry, false)] {
            let mut left = None;
            let reply = answer(&question, &policy(Some(flag)), &mut left);
            assert!(
                matches!(&reply, Command::ResolveUncertain { step, applied: a } if step == "add-index" && *a == applied),
                "{reply:?}"
            );
            assert_eq!(left, None);
        }
        let mut left = None;
        let reply = answer(&question, &policy(None), &mut left);
        assert!(matches!(reply, Command::Pause), "{reply:?}");
    }
}
