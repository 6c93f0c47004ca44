//! cutover: drive a PostgreSQL maintenance window from a YAML runbook.
pub mod cli;
pub mod connect;
pub mod diag;
pub mod engine;
pub mod journal;
pub mod plan;
pub mod report;
pub mod runbook;
pub mod tui;
