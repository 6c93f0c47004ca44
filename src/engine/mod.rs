//! The executor: runs a planned runbook against PostgreSQL. It knows nothing of terminals:
//! it emits typed events and takes commands on channels.
mod command;
pub mod lock;
pub mod mirror;
mod run;
pub mod sqlexec;

pub use run::{
    Connections, EngineError, RunOptions, connect_all, has_checks, new_run_id, run, run_connected,
    undo,
};
