//! cutover: drive a PostgreSQL maintenance window from a YAML runbook.
pub mod catalog;
pub mod cli;
pub mod connect;
pub mod diag;
pub mod engine;
/// What a run says and is told: events, decisions, commands. The engine, the journal and every
/// front end depend on this; it depends on none of them.
pub mod events;
pub mod fleet;
pub mod journal;
pub mod narration;
pub mod plan;
pub mod record;
pub mod rehearsal;
pub mod report;
pub mod runbook;
pub mod secret;
pub mod tracking;
pub mod tui;
pub mod verdict;
