//! The open prompt's keys: ticking a gate's questions, go, override and no-go, a comment, the choice at a failed, manual or uncertain step, and the confirming key that sends it.

use super::*;

/// What the keys of an open prompt do to it (nothing is sent before `y`).
pub(super) fn prompt_act(state: &UiState, view: &mut ViewState, act: Act) {
    let Some(m) = view.modal.as_mut() else {
        return;
    };
    match act {
        Act::Hide => {
            m.hidden = true;
            if m.stage != Stage::Sent {
                m.message = None;
            }
        }
        Act::CommentDone => {
            m.stage = Stage::Browse;
            m.message = Some(if m.comment.is_empty() {
                "no comment".into()
            } else {
                "comment kept; it is journaled with the decision".into()
            });
        }
        Act::Erase => {
            m.comment.pop();
        }
        Act::Comment => {
            m.stage = Stage::Comment;
            m.message = None;
        }
        Act::Decide(action) => m.stage = Stage::Confirm(action),
        Act::NoGo => {
            m.stage = Stage::NoGo;
            m.message = None;
        }
        Act::QuestionUp => m.focus = m.focus.saturating_sub(1),
        Act::QuestionDown => {
            m.focus = (m.focus + 1).min(m.ticks.len().saturating_sub(1));
        }
        Act::Tick => {
            let n = m.ticks.len();
            if let Some(t) = m.ticks.get_mut(m.focus) {
                *t = !*t;
                m.message = None;
                // On to the next question still to tick; a ticked one is never landed on
                // (a second space would untick it unseen).
                if *t
                    && let Some(next) =
                        (m.focus + 1..n).find(|&q| !m.ticks.get(q).copied().unwrap_or(true))
                {
                    m.focus = next;
                }
            }
        }
        Act::Go | Act::GoOverride => {
            let failed_critical = match &state.prompt {
                Some(Prompt::Gate {
                    failed_critical, ..
                }) => failed_critical.clone(),
                _ => return,
            };
            let unticked = m.ticks.iter().filter(|t| !**t).count();
            let overriding = act == Act::GoOverride;
            m.message = if !overriding && unticked > 0 {
                Some(format!(
                    "tick every question before a go ({unticked} not ticked)"
                ))
            } else if !overriding && !failed_critical.is_empty() {
                Some(format!(
                    "critical checks failed ({}): go needs an override — {}, or {} for no-go",
                    failed_critical.join(", "),
                    bindings::key(Context::Gate, Act::GoOverride),
                    bindings::key(Context::Gate, Act::NoGo),
                ))
            } else if overriding && failed_critical.is_empty() {
                Some(format!(
                    "no critical check failed: use {} for go",
                    bindings::key(Context::Gate, Act::Go)
                ))
            } else if overriding && m.comment.trim().is_empty() {
                Some(format!(
                    "an override needs a reason: {}, type why the go stands, {} — then {}",
                    bindings::key(Context::Gate, Act::Comment),
                    bindings::key(Context::Comment, Act::CommentDone),
                    bindings::key(Context::Gate, Act::GoOverride),
                ))
            } else if unticked > 0 {
                Some(format!(
                    "tick every question before a go ({unticked} not ticked)"
                ))
            } else {
                m.stage = Stage::Confirm(Action::Go {
                    override_checks: overriding,
                });
                None
            };
        }
        _ => {}
    }
}

/// `y` on the prompt's confirmation: the decision goes to the engine.
pub(super) fn confirm_modal(
    state: &UiState,
    view: &mut ViewState,
    operator: &str,
) -> Option<Command> {
    let prompt = state.prompt.as_ref()?;
    let m = view.modal.as_mut()?;
    let Stage::Confirm(action) = m.stage else {
        return None;
    };
    let step = prompt.step().to_owned();
    let comment = Some(m.comment.clone()).filter(|c| !c.trim().is_empty());
    let command = match (action, prompt) {
        (Action::Go { override_checks }, Prompt::Gate { questions, .. }) => Command::Decide {
            step,
            decision: Decision::Go,
            operator: operator.to_owned(),
            comment,
            answers: questions.iter().map(|q| (q.clone(), true)).collect(),
            override_failed_checks: override_checks,
        },
        (Action::NoGoAbort | Action::NoGoRollback, Prompt::Gate { questions, .. }) => {
            Command::Decide {
                step,
                decision: if action == Action::NoGoAbort {
                    Decision::Abort
                } else {
                    Decision::Rollback
                },
                operator: operator.to_owned(),
                comment,
                answers: questions
                    .iter()
                    .zip(m.ticks.iter().chain(std::iter::repeat(&false)))
                    .map(|(q, t)| (q.clone(), *t))
                    .collect(),
                override_failed_checks: false,
            }
        }
        (Action::Acknowledge, Prompt::Manual { .. }) => Command::Acknowledge {
            step,
            operator: operator.to_owned(),
            note: comment,
        },
        (Action::Retry, Prompt::Failure { .. }) => Command::Retry,
        (Action::Rollback, Prompt::Failure { .. }) => Command::Rollback,
        (Action::Abort, Prompt::Failure { .. }) => Command::Abort,
        (Action::MarkApplied, Prompt::Uncertain { .. }) => Command::ResolveUncertain {
            step,
            applied: true,
        },
        (Action::Rerun, Prompt::Uncertain { .. }) => Command::ResolveUncertain {
            step,
            applied: false,
        },
        _ => {
            m.stage = Stage::Browse;
            return None;
        }
    };
    m.stage = Stage::Sent;
    m.message = Some("sent; waiting for the engine".into());
    Some(command)
}
