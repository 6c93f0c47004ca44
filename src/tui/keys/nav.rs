//! Looking around: panels, cursor, scrolling, selection, the help screen. Never changes the run.

use super::*;

/// Steps in the order of the dependency view.
pub(super) fn graph_steps(state: &UiState) -> impl Iterator<Item = usize> + '_ {
    state.graph_rows.iter().filter_map(|r| match r {
        crate::tui::state::GraphRow::Step(i) => Some(*i),
        crate::tui::state::GraphRow::Phase(_) => None,
    })
}

/// Moves the step cursor `delta` places along `order` (from the step in focus).
fn move_along(state: &UiState, view: &mut ViewState, order: &[usize], delta: isize) {
    let Some(last) = order.len().checked_sub(1) else {
        return;
    };
    let here = view
        .focus_step(state)
        .and_then(|s| order.iter().position(|&i| i == s))
        .unwrap_or(0);
    let to = here.saturating_add_signed(delta).min(last);
    view.cursor = order.get(to).copied();
}

/// The dependency view's order.
pub(super) fn move_cursor(state: &UiState, view: &mut ViewState, delta: isize) {
    let order: Vec<usize> = graph_steps(state).collect();
    move_along(state, view, &order, delta);
}

/// Execution order, the order the timeline lists a phase's steps in.
pub(super) fn timeline_cursor(state: &UiState, view: &mut ViewState, delta: isize) {
    let mut order: Vec<usize> = (0..state.steps.len()).collect();
    order.sort_by_key(|&i| state.exec_pos[i]);
    move_along(state, view, &order, delta);
}

pub(super) fn scroll(state: &UiState, view: &mut ViewState, delta: isize) {
    match view.panel {
        Panel::Timeline => timeline_cursor(state, view, delta),
        Panel::Graph => move_cursor(state, view, delta),
        Panel::Checks => {
            let n = state.checks.len();
            if n > 0 {
                view.check_cursor =
                    (view.check_cursor as isize + delta).clamp(0, n as isize - 1) as usize;
            }
        }
        Panel::Monitor => {
            let n = state.probes.len();
            if n > 0 {
                view.probe_cursor =
                    (view.probe_cursor as isize + delta).clamp(0, n as isize - 1) as usize;
            }
        }
        Panel::Log => {
            // Up (negative) goes back in time.
            let max = state.log.len().saturating_sub(1) as isize;
            view.log_scroll = (view.log_scroll as isize - delta).clamp(0, max.max(0)) as usize;
        }
        Panel::Detail => {
            view.detail_scroll = (view.detail_scroll as isize + delta).max(0) as usize;
        }
    }
}

/// Any key but the help screen's own closes it.
pub fn close_help(view: &mut ViewState) {
    view.help = false;
    view.help_scroll = 0;
}

/// Looking around: panels, cursor, scrolling, selection. Never changes the run, so it
/// returns nothing to send (the watcher uses it too).
pub fn navigate(state: &UiState, view: &mut ViewState, act: Act, key: Key) {
    match act {
        Act::Help => view.help = true,
        Act::ScrollHelp(by) => {
            view.help_scroll = view.help_scroll.saturating_add_signed(by);
        }
        Act::Zoom => view.zoom = !view.zoom,
        Act::NextPanel => view.panel = view.panel.cycle(true),
        Act::PrevPanel => view.panel = view.panel.cycle(false),
        Act::PanelByNumber => {
            if let Key::Char(d @ '1'..='6') = key {
                view.panel = Panel::ALL[d as usize - '1' as usize];
            }
        }
        Act::Up => scroll(state, view, -1),
        Act::Down => scroll(state, view, 1),
        Act::Left if view.panel == Panel::Checks => scroll(state, view, -1),
        Act::Right if view.panel == Panel::Checks => scroll(state, view, 1),
        Act::PageUp => scroll(state, view, -10),
        Act::PageDown => scroll(state, view, 10),
        Act::Top => match view.panel {
            Panel::Log => view.log_scroll = state.log.len().saturating_sub(1),
            Panel::Detail => view.detail_scroll = 0,
            _ => scroll(state, view, -(state.steps.len() as isize)),
        },
        Act::Follow => match view.panel {
            Panel::Log => view.log_scroll = 0,
            _ => {
                view.cursor = None;
                view.selected = None;
            }
        },
        Act::Select => {
            let step = match view.panel {
                Panel::Checks => state.checks.get(view.check_cursor).copied(),
                Panel::Monitor => state.probes.get(view.probe_cursor).map(|p| p.step),
                _ => view.cursor,
            };
            if let Some(step) = step {
                view.selected = Some(step);
                view.detail_scroll = 0;
                view.panel = Panel::Detail;
            }
        }
        Act::Reset => {
            view.cursor = None;
            view.selected = None;
            view.notice = None;
            view.log_scroll = 0;
        }
        _ => {}
    }
}
