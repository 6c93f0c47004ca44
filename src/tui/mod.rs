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
pub mod app;
pub mod bindings;
pub mod draw;
pub mod fmt;
pub mod keys;
pub mod state;
pub mod watch;

pub use app::{TuiError, run_tui, run_tui_full};
pub use draw::draw;
pub use keys::{Panel, ViewState, handle_key};
pub use state::UiState;
