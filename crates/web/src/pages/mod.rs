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
pub mod tickets;
pub mod tickets_calendars;
pub mod tickets_categories;
pub mod tickets_detail;
pub mod tickets_new;
pub mod tickets_view;
pub mod timeline;
