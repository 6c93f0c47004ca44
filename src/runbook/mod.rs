//! The runbook model and its YAML loader.
pub mod yaml;
