//! The console's pages, one file per section.

pub mod admin;
pub mod auth;
pub mod client_forms;
pub mod clients;
pub mod contacts;
pub mod dashboard;
pub mod imports;
pub mod merges;
pub mod settings;
pub mod timeline;
