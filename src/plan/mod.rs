//! Validation, the DAG, ordering, conflict and safety analysis. Pure: no I/O.
pub mod sql;
