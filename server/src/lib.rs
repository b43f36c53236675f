//! Tessera's server: the REST API, the MFA rules, persistence and the CLI.
//! See ARCHITECTURE.md for how a request flows through these modules.

pub mod api;
mod assets;
pub mod cli;
pub mod clock;
pub mod config;
pub mod database;
mod entity;
pub mod service;
mod startup;
pub mod telemetry;

pub use config::Settings;
pub use startup::Application;
