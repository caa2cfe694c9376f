//! Postgres access: the tenant-scoped transaction, one repository module per aggregate, and the
//! job queue's tables (`queue`). What the database keeps true by itself (row policies,
//! triggers, SQL functions) is listed in `docs/data-model.md`; a repository function that relies
//! on a trigger or SQL function says so in its doc comment.

pub mod activities;
pub mod activity_reminders;
pub mod api_keys;
pub mod audit;
pub mod authz;
pub mod business_calendars;
pub mod calendar_connections;
pub mod calendar_event_links;
pub mod calendar_feeds;
pub mod channel_settings;
pub mod clients;
pub mod communications;
pub mod communications_kpis;
pub mod contacts;
pub mod crypto;
pub mod custom_fields;
pub mod demo_proposals;
pub mod demo_tickets;
pub mod heartbeats;
pub mod idempotency;
pub mod imports;
pub mod kpis;
pub mod live;
pub mod merges;
pub mod message_templates;
pub mod migrate;
pub mod opportunities;
pub mod pipeline_metrics;
pub mod pipelines;
pub mod platform_mails;
pub mod principal;
pub mod proposal_kpis;
pub mod proposal_templates;
pub mod proposals;
pub mod queue;
pub mod roles;
pub mod search_words;
pub mod sessions;
pub mod tenants;
pub mod ticket_categories;
pub mod ticket_escalations;
pub mod ticket_kpis;
pub mod tickets;
pub mod timeline;
mod tx;
pub mod users;

pub use sqlx::PgPool;
pub use tx::TenantTx;

/// A uniqueness or check constraint a caller may want to turn into a 409 or 422.
pub fn constraint_of(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}
