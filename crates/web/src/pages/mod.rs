//! The console's pages, one file per section.

pub mod auth;
pub mod clients;
pub mod dashboard;
pub mod timeline;
