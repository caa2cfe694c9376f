//! The console's pages, one file per section.

pub mod admin;
pub mod auth;
pub mod client_forms;
pub mod clients;
pub mod communications;
pub mod communications_channels;
pub mod communications_compose;
pub mod communications_inbox;
pub mod communications_templates;
pub mod communications_view;
pub mod contacts;
pub mod dashboard;
mod dashboard_communications;
pub mod imports;
pub mod merges;
pub mod password_reset;
pub mod settings;
pub mod tickets;
pub mod tickets_calendars;
pub mod tickets_categories;
pub mod tickets_detail;
pub mod tickets_new;
pub mod tickets_view;
pub mod timeline;
