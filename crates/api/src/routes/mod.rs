//! One module per resource; each exports `router()`.

pub mod activities;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod business_calendars;
pub mod calendar_connections;
pub mod calendar_feed;
pub mod calendar_settings;
pub mod channels;
pub mod clients;
pub mod communications;
pub mod contacts;
pub mod custom_fields;
pub mod docs;
pub mod events;
pub mod export;
pub mod health;
pub mod imports;
pub mod kpis;
pub mod me;
pub mod merges;
pub mod message_templates;
pub mod opportunities;
pub mod pipelines;
pub mod proposal_templates;
pub mod proposals;
pub mod roles;
pub mod tenant;
pub mod ticket_categories;
pub mod tickets;
pub mod timeline;
pub mod tracking;
pub mod users;
pub mod webhooks;

use crate::http::ApiError;

/// Parses a path id; anything that is not a UUID is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::not_found())
}
