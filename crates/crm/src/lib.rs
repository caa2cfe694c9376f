//! The `crm` binary's library: settings from the environment and the subcommands.

pub mod commands;
pub mod settings;
