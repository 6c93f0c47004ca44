//! A resumed run's summary, before anything runs: continue, look around first, or leave.
//! Nothing here returns a command: the caller starts the engine once `view.resume` is gone.

use super::*;

pub(super) fn act(view: &mut ViewState, act: Act) {
    match act {
        Act::Continue => {
            view.resume = None;
            view.notice = None;
        }
        Act::LookAround | Act::ShowSummary => {
            if let Some(r) = &mut view.resume {
                r.hidden = act == Act::LookAround;
            }
            view.notice = None;
        }
        Act::Leave => view.quit = true,
        Act::NotYet => {
            view.notice = Some(format!(
                "nothing is running yet: {} shows the resume summary ({} there continues)",
                bindings::key(Context::ResumeHidden, Act::ShowSummary),
                bindings::key(Context::Resume, Act::Continue),
            ));
        }
        _ => {}
    }
}
