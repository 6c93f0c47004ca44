//! The operator TUI: a screen over the engine's events and a keyboard for its commands.
//!
//! - [`state`]: `UiState`, reduced from journal entries (pure).
//! - [`draw`]: the whole screen from `UiState` + `ViewState` (pure; the clock is injected),
//!   one file per screen element.
//! - [`bindings`]: every key binding as data (dispatch, footer hints, help read it).
//! - [`keys`]: `ViewState` and `handle_key` (pure): keys to engine commands, with every
//!   run-changing action behind a second confirming key.
//! - [`app`]: the event loop, terminal setup/restore, signals; [`run_tui`] is the entry point.
//! - [`watch`]: `cutover watch`, the same screen fed from `cutover.events`, read-only.
//!
//! Each screen element is found in three places, by name: how it looks (`draw/`), which keys
//! it answers (its context in `bindings`) and what they do (`keys/`):
//!
//! | element | drawn in | key context | acts in |
//! |---|---|---|---|
//! | panels: timeline, graph, checks, monitor, log, step | `draw/{timeline,graph,checks,monitor,log,detail}.rs` | `Nav` | `keys/nav.rs` |
//! | header, footer | `draw/{header,footer}.rs` | (hints of the live contexts) | — |
//! | gate, no-go, failed, manual, uncertain step; comment; sent | `draw/modal.rs` | `Gate`, `NoGo`, `Failure`, `Manual`, `Uncertain`, `Comment`, `Sent` | `keys/prompt.rs` |
//! | a confirmation (the modal's or the footer's) | `draw/{modal,footer}.rs` | `Confirm` | `keys/prompt.rs`, `keys/mod.rs` |
//! | run-wide keys (pause, cancel, abort, end, quit) | footer hints | `Run`, `Anywhere` | `keys/mod.rs` |
//! | the resume summary | `draw/resume.rs` | `Resume`, `ResumeHidden` | `keys/resume.rs` |
//! | help | `draw/help.rs` | `Help` | `keys/nav.rs` |
//! | the watcher's overlays | `watch/screen.rs` | `Watch` | `watch/mod.rs` |
//! | the fleet: grid, gate | `fleet/draw.rs` | `Fleet`, `FleetGate` | `fleet/mod.rs` |
pub mod app;
pub mod bindings;
pub mod draw;
pub mod fleet;
pub mod fmt;
pub mod keys;
pub mod state;
pub mod watch;

pub use app::{TuiError, run_tui, run_tui_full};
pub use draw::draw;
pub use keys::{Panel, ViewState, handle_key};
pub use state::UiState;
