//! The runbook model and its YAML loader.
pub mod duration;
pub mod encoding;
pub mod env;
pub mod expect;
pub mod loader;
pub mod model;
pub mod yaml;

pub use loader::{
    Loaded, LoadedFleet, load, load_fleet, load_fleet_text, load_fleet_with, load_text,
    load_with_env,
};
pub use model::*;
pub use yaml::Loc;
