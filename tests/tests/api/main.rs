//! Integration tests of the API against real Postgres and Redis: one binary, one module per
//! concern.

mod audit;
mod ciphers;
mod clients;
mod console;
mod conventions;
mod demo_data;
mod edge_input;
mod escalation;
mod events;
mod idempotency_auth;
mod imports;
mod jobs;
mod kpis;
mod merges;
mod operations;
mod passwords;
mod redis_outage;
mod roles;
mod search;
mod tenancy;
mod tenant_settings;
mod tokens;
mod users;
